//! berth-shim: one per container. It creates the container through an OCI runtime
//! (`berth-oci` or any runc-compatible binary), becomes the subreaper of its processes,
//! holds their stdio (pipes or a PTY), writes the json-file log, serves attach, exec,
//! resize, kill and wait requests on a unix socket, and records the exit status in a file.
//! It is single-threaded (a `poll` loop) and does not depend on berthd: berthd may die and
//! come back, and finds the shim, the log and the exit status where it left them.
//!
//! Protocol (one request line per connection, replies are lines):
//! - `start` → `ok` | `err <message>`: starts the created container.
//! - `attach <proc> <stdin 0|1> <stdout 0|1> <stderr 0|1> <detach keys hex|->` → `ok`, then
//!   the connection carries the process's output (raw with a TTY, Docker's 8-byte frames
//!   without) and takes its input; the shim closes it when the process has exited and its
//!   output is drained, or when the detach keys are typed.
//! - `exec <proc> <tty 0|1> <stdin 0|1> <process.json>` → `ok <pid>` | `err <message>`, then
//!   the connection is attached to the new process as above.
//! - `resize <proc> <height> <width>` → `ok` | `err`.
//! - `kill <proc> <signal>` → `ok` | `err`.
//! - `wait <proc>` → `exit <code> <oom 0|1> <finished-at>` once the process has exited.
//! - `state` → `pid <pid> <running|exited>`.

mod log;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Args {
    id: String,
    bundle: PathBuf,
    state: PathBuf,
    runtime: String,
    /// Arguments before every runtime command.
    runtime_args: Vec<String>,
    runtime_root: PathBuf,
    log: PathBuf,
    log_max_size: u64,
    log_max_files: u32,
    tty: bool,
    stdin: bool,
    stdin_once: bool,
    cgroup: String,
    /// JSON description of the root filesystem to mount (`runtime::rootfs::Rootfs`).
    rootfs: Option<PathBuf>,
    /// JSON object of attributes recorded with every log line.
    log_attrs: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        id: String::new(),
        bundle: PathBuf::new(),
        state: PathBuf::new(),
        runtime: "berth-oci".into(),
        runtime_args: Vec::new(),
        runtime_root: PathBuf::from("/run/berth/oci"),
        log: PathBuf::new(),
        log_max_size: 10 << 20,
        log_max_files: 3,
        tty: false,
        stdin: false,
        stdin_once: false,
        cgroup: String::new(),
        rootfs: None,
        log_attrs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or_else(|| format!("{k} needs a value"));
        match k.as_str() {
            "--id" => a.id = v()?,
            "--bundle" => a.bundle = v()?.into(),
            "--state" => a.state = v()?.into(),
            "--runtime" => a.runtime = v()?,
            "--runtime-arg" => a.runtime_args.push(v()?),
            "--runtime-root" => a.runtime_root = v()?.into(),
            "--log" => a.log = v()?.into(),
            "--log-max-size" => a.log_max_size = v()?.parse().map_err(|_| "bad --log-max-size")?,
            "--log-max-files" => a.log_max_files = v()?.parse().map_err(|_| "bad --log-max-files")?,
            "--cgroup" => a.cgroup = v()?,
            "--rootfs" => a.rootfs = Some(v()?.into()),
            "--log-attrs" => a.log_attrs = Some(v()?.into()),
            "--tty" => a.tty = true,
            "--stdin" => a.stdin = true,
            "--stdin-once" => a.stdin_once = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.id.is_empty() || a.state.as_os_str().is_empty() {
        return Err("--id and --state are required".into());
    }
    Ok(a)
}

/// One process of the container: its init, or an exec.
struct Proc {
    pid: i32,
    tty: bool,
    stdin_once: bool,
    stdin: Option<OwnedFd>,
    /// Input not yet taken by the process (its stdin is non-blocking).
    stdin_buf: Vec<u8>,
    /// Close stdin once the buffer is written.
    stdin_close: bool,
    /// Output descriptors with their stream number (1 stdout, 2 stderr).
    out: Vec<(OwnedFd, u8)>,
    exit: Option<(i32, String)>,
    exited_at: Option<Instant>,
}

impl Proc {
    /// Writes buffered input without blocking; closes stdin when asked and done.
    fn flush_stdin(&mut self) {
        let Some(fd) = self.stdin.as_ref() else {
            self.stdin_buf.clear();
            return;
        };
        while !self.stdin_buf.is_empty() {
            let n = unsafe { libc::write(fd.as_raw_fd(), self.stdin_buf.as_ptr().cast(), self.stdin_buf.len()) };
            if n <= 0 {
                if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock {
                    return;
                }
                // The process closed its stdin: drop what it will never read.
                self.stdin_buf.clear();
                break;
            }
            self.stdin_buf.drain(..n as usize);
        }
        if self.stdin_close {
            self.stdin = None;
        }
    }
}

enum Mode {
    Command,
    Attach { proc: String, stdin: bool, stdout: bool, stderr: bool, detach: Vec<u8>, matched: usize },
    Wait { proc: String },
}

struct Conn {
    s: UnixStream,
    mode: Mode,
    buf: Vec<u8>,
    /// The client closed its sending side (attach: stdin ended); output still flows.
    read_closed: bool,
    /// Writing to it failed: removed at the end of the loop iteration.
    dead: bool,
}

struct Shim {
    a: Args,
    procs: HashMap<String, Proc>,
    conns: Vec<Conn>,
    log: Option<log::JsonLog>,
    oom: bool,
    /// The runtime's `delete` has run.
    deleted: bool,
}

fn cerr(e: std::io::Error) -> String {
    e.to_string()
}

fn pipe() -> Result<(OwnedFd, OwnedFd), String> {
    let mut fds = [0; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(cerr(std::io::Error::last_os_error()));
    }
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn set_nonblock(fd: RawFd) {
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// Receives a file descriptor sent with SCM_RIGHTS on `s`.
fn recv_fd(s: &UnixStream) -> Result<OwnedFd, String> {
    let mut data = [0u8; 4096];
    let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
    let mut cmsg = [0u8; 64];
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cmsg.as_mut_ptr().cast();
    msg.msg_controllen = cmsg.len();
    let n = unsafe { libc::recvmsg(s.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if n < 0 {
        return Err(cerr(std::io::Error::last_os_error()));
    }
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let fd = *(libc::CMSG_DATA(c) as *const i32);
                return Ok(OwnedFd::from_raw_fd(fd));
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Err("no file descriptor received on the console socket".into())
}

/// Waits up to `timeout` for a connection on `l` and takes the PTY master from it.
fn accept_console(l: &UnixListener, timeout: Duration) -> Result<OwnedFd, String> {
    let mut p = libc::pollfd { fd: l.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    if unsafe { libc::poll(&mut p, 1, timeout.as_millis() as i32) } != 1 {
        return Err("the runtime did not send the console".into());
    }
    let (s, _) = l.accept().map_err(cerr)?;
    recv_fd(&s)
}

fn last_runtime_error(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    // runc-style JSON lines: {"level":"error","msg":"..."}.
    if let Some(i) = line.find("\"msg\":\"") {
        let rest = &line[i + 7..];
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(o) => out.push(o),
                    None => break,
                },
                c => out.push(c),
            }
        }
        return Some(out);
    }
    Some(line.to_string())
}

impl Shim {
    fn runtime(&self) -> Command {
        let mut c = Command::new(&self.a.runtime);
        // The container's processes descend from the runtime: they must not inherit the
        // shim's blocked SIGCHLD (a shell's `wait` would never return) nor signals the
        // shim or its starter ignore (SIGPIPE, nohup's SIGHUP).
        unsafe {
            c.pre_exec(|| {
                runtime::signals::reset();
                Ok(())
            })
        };
        c.args(&self.a.runtime_args).arg("--root").arg(&self.a.runtime_root).arg("--log").arg(self.a.state.join("runtime.log")).arg("--log-format").arg("json");
        c
    }

    fn run_runtime(&self, mut c: Command) -> Result<(), String> {
        let log = self.a.state.join("runtime.log");
        let _ = std::fs::remove_file(&log);
        let out = c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).output().map_err(|e| format!("running {}: {e}", self.a.runtime))?;
        if out.status.success() {
            return Ok(());
        }
        let msg = last_runtime_error(&log)
            .or_else(|| Some(String::from_utf8_lossy(&out.stderr).trim().to_string()).filter(|s| !s.is_empty()))
            .unwrap_or_else(|| format!("{} failed with {}", self.a.runtime, out.status));
        Err(msg)
    }

    /// Sets up stdio and creates the container (not started).
    fn create(&mut self) -> Result<i32, String> {
        if let Some(f) = &self.a.rootfs {
            let text = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
            let rootfs: runtime::rootfs::Rootfs = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            // This process is single-threaded: it can take a mount namespace of its own.
            rootfs.mount_in_own_namespace().map_err(|e| format!("mounting the container's root filesystem: {e}"))?;
        }
        let pidfile = self.a.state.join("init.pid");
        let mut c = self.runtime();
        c.arg("create").arg("--bundle").arg(&self.a.bundle).arg("--pid-file").arg(&pidfile);
        let mut proc = Proc { pid: 0, tty: self.a.tty, stdin_once: self.a.stdin_once, stdin: None, stdin_buf: Vec::new(), stdin_close: false, out: Vec::new(), exit: None, exited_at: None };
        let console = if self.a.tty {
            // Bound by a relative name (socket paths are short); the runtime gets the full
            // path, which it links to from its own state directory.
            let path = PathBuf::from("console.sock");
            let _ = std::fs::remove_file(&path);
            let l = UnixListener::bind(&path).map_err(cerr)?;
            c.arg("--console-socket").arg(self.a.state.join(&path));
            c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
            Some(l)
        } else {
            let (in_r, in_w) = pipe()?;
            let (out_r, out_w) = pipe()?;
            let (err_r, err_w) = pipe()?;
            if self.a.stdin {
                c.stdin(Stdio::from(in_r));
                proc.stdin = Some(in_w);
            } else {
                c.stdin(Stdio::null());
            }
            c.stdout(Stdio::from(out_w)).stderr(Stdio::from(err_w));
            proc.out = vec![(out_r, 1), (err_r, 2)];
            None
        };
        c.arg(&self.a.id);
        let log = self.a.state.join("runtime.log");
        let _ = std::fs::remove_file(&log);
        let status = c.status().map_err(|e| format!("running {}: {e}", self.a.runtime))?;
        drop(c);
        if !status.success() {
            return Err(last_runtime_error(&log).unwrap_or_else(|| format!("{} create failed with {status}", self.a.runtime)));
        }
        if let Some(l) = console {
            let master = accept_console(&l, Duration::from_secs(10))?;
            let _ = std::fs::remove_file("console.sock");
            let dup = unsafe { libc::fcntl(master.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
            proc.stdin = Some(unsafe { OwnedFd::from_raw_fd(dup) });
            proc.out = vec![(master, 1)];
        }
        for (fd, _) in &proc.out {
            set_nonblock(fd.as_raw_fd());
        }
        if let Some(fd) = &proc.stdin {
            set_nonblock(fd.as_raw_fd());
        }
        let pid: i32 = std::fs::read_to_string(&pidfile).map_err(|e| format!("reading {}: {e}", pidfile.display()))?.trim().parse().map_err(|_| "bad pid file".to_string())?;
        proc.pid = pid;
        self.procs.insert("init".into(), proc);
        Ok(pid)
    }

    fn exec(&mut self, name: &str, tty: bool, stdin: bool, process: &str) -> Result<i32, String> {
        if self.procs.contains_key(name) {
            return Err(format!("process {name} exists"));
        }
        let pidfile = self.a.state.join(format!("exec-{name}.pid"));
        let mut c = self.runtime();
        c.arg("exec").arg("--detach").arg("--process").arg(process).arg("--pid-file").arg(&pidfile);
        let mut proc = Proc { pid: 0, tty, stdin_once: true, stdin: None, stdin_buf: Vec::new(), stdin_close: false, out: Vec::new(), exit: None, exited_at: None };
        let console = if tty {
            let path = PathBuf::from(format!("console-{name}.sock"));
            let _ = std::fs::remove_file(&path);
            let l = UnixListener::bind(&path).map_err(cerr)?;
            c.arg("--console-socket").arg(self.a.state.join(&path));
            c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
            Some((l, path))
        } else {
            let (in_r, in_w) = pipe()?;
            let (out_r, out_w) = pipe()?;
            let (err_r, err_w) = pipe()?;
            if stdin {
                c.stdin(Stdio::from(in_r));
                proc.stdin = Some(in_w);
            } else {
                c.stdin(Stdio::null());
            }
            c.stdout(Stdio::from(out_w)).stderr(Stdio::from(err_w));
            proc.out = vec![(out_r, 1), (err_r, 2)];
            None
        };
        c.arg(&self.a.id);
        let log = self.a.state.join("runtime.log");
        let _ = std::fs::remove_file(&log);
        let status = c.status().map_err(|e| format!("running {}: {e}", self.a.runtime))?;
        drop(c);
        if !status.success() {
            return Err(last_runtime_error(&log).unwrap_or_else(|| format!("{} exec failed with {status}", self.a.runtime)));
        }
        if let Some((l, path)) = console {
            let master = accept_console(&l, Duration::from_secs(10))?;
            let _ = std::fs::remove_file(path);
            let dup = unsafe { libc::fcntl(master.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
            proc.stdin = Some(unsafe { OwnedFd::from_raw_fd(dup) });
            proc.out = vec![(master, 1)];
        }
        for (fd, _) in &proc.out {
            set_nonblock(fd.as_raw_fd());
        }
        if let Some(fd) = &proc.stdin {
            set_nonblock(fd.as_raw_fd());
        }
        let pid: i32 = std::fs::read_to_string(&pidfile).map_err(|e| e.to_string())?.trim().parse().map_err(|_| "bad pid file".to_string())?;
        let _ = std::fs::remove_file(&pidfile);
        proc.pid = pid;
        self.procs.insert(name.to_string(), proc);
        Ok(pid)
    }

    /// Handles a complete request line; returns the reply and whether the connection stays.
    fn command(&mut self, line: &str, conn: &mut Conn) -> (String, bool) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let flag = |i: usize| f.get(i).is_some_and(|v| *v == "1");
        match f.as_slice() {
            ["start"] => match self.run_runtime({
                let mut c = self.runtime();
                c.arg("start").arg(&self.a.id);
                c
            }) {
                Ok(()) => ("ok\n".into(), false),
                Err(e) => (format!("err {}\n", e.replace('\n', " ")), false),
            },
            ["attach", proc, _, _, _, keys] => {
                if !self.procs.contains_key(*proc) {
                    return (format!("err no such process {proc}\n"), false);
                }
                conn.mode = Mode::Attach { proc: proc.to_string(), stdin: flag(2), stdout: flag(3), stderr: flag(4), detach: hex(keys), matched: 0 };
                ("ok\n".into(), true)
            }
            ["exec", name, tty, stdin, process] => match self.exec(name, *tty == "1", *stdin == "1", process) {
                Ok(pid) => {
                    conn.mode = Mode::Attach { proc: name.to_string(), stdin: *stdin == "1", stdout: true, stderr: true, detach: hex("1011"), matched: 0 };
                    (format!("ok {pid}\n"), true)
                }
                Err(e) => (format!("err {}\n", e.replace('\n', " ")), false),
            },
            ["resize", proc, h, w] => {
                let (Ok(h), Ok(w)) = (h.parse::<u16>(), w.parse::<u16>()) else { return ("err bad size\n".into(), false) };
                match self.procs.get(*proc) {
                    // The output has closed: the process is gone and no size matters.
                    Some(p) if p.tty && p.out.is_empty() => ("ok\n".into(), false),
                    Some(p) if p.tty => {
                        let ws = libc::winsize { ws_row: h, ws_col: w, ws_xpixel: 0, ws_ypixel: 0 };
                        let fd = p.out[0].0.as_raw_fd();
                        if unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) } == 0 {
                            ("ok\n".into(), false)
                        } else {
                            (format!("err {}\n", std::io::Error::last_os_error()), false)
                        }
                    }
                    Some(_) => ("err the process has no TTY\n".into(), false),
                    None => (format!("err no such process {proc}\n"), false),
                }
            }
            ["kill", proc, sig] => {
                let Ok(sig) = sig.parse::<i32>() else { return ("err bad signal\n".into(), false) };
                match self.procs.get(*proc) {
                    Some(p) if p.exit.is_none() => {
                        if unsafe { libc::kill(p.pid, sig) } == 0 {
                            ("ok\n".into(), false)
                        } else {
                            (format!("err {}\n", std::io::Error::last_os_error()), false)
                        }
                    }
                    Some(_) => ("err the process has exited\n".into(), false),
                    None => (format!("err no such process {proc}\n"), false),
                }
            }
            ["wait", proc] => match self.procs.get(*proc) {
                Some(p) => match &p.exit {
                    Some((code, at)) if p.out.is_empty() => (format!("exit {code} {} {at}\n", u8::from(self.oom && *proc == "init")), false),
                    _ => {
                        conn.mode = Mode::Wait { proc: proc.to_string() };
                        (String::new(), true)
                    }
                },
                None => (format!("err no such process {proc}\n"), false),
            },
            ["state"] => {
                let p = &self.procs["init"];
                (format!("pid {} {}\n", p.pid, if p.exit.is_some() { "exited" } else { "running" }), false)
            }
            _ => (format!("err unknown request {line:?}\n"), false),
        }
    }

    /// Sends process output to the log (init only) and to attached clients.
    fn output(&mut self, proc: &str, stream: u8, data: &[u8]) {
        if proc == "init" {
            if let Some(l) = self.log.as_mut() {
                l.write(stream, data);
            }
        }
        let tty = self.procs.get(proc).is_some_and(|p| p.tty);
        for c in self.conns.iter_mut().filter(|c| !c.dead) {
            if let Mode::Attach { proc: p, stdout, stderr, .. } = &c.mode {
                if p != proc || (stream == 1 && !stdout) || (stream == 2 && !stderr) {
                    continue;
                }
                let r = if tty { c.s.write_all(data) } else { c.s.write_all(&api_frame(stream, data)) };
                if r.is_err() {
                    c.dead = true;
                }
            }
        }
    }

    /// Input from an attached client: detach keys, then the process's stdin.
    fn input(&mut self, ci: usize, data: &[u8]) -> bool {
        let Mode::Attach { proc, stdin, detach, matched, .. } = &mut self.conns[ci].mode else { return true };
        if !*stdin {
            return true;
        }
        let mut out = Vec::with_capacity(data.len());
        for &b in data {
            if !detach.is_empty() && b == detach[*matched] {
                *matched += 1;
                if *matched == detach.len() {
                    return false; // detach: drop the connection, keep the process
                }
                continue;
            }
            if *matched > 0 {
                out.extend_from_slice(&detach[..*matched]);
                *matched = 0;
            }
            out.push(b);
        }
        let proc = proc.clone();
        if let Some(p) = self.procs.get_mut(&proc) {
            if p.stdin.is_some() {
                p.stdin_buf.extend_from_slice(&out);
                p.flush_stdin();
            }
        }
        true
    }

    fn stdin_eof(&mut self, ci: usize) {
        if let Mode::Attach { proc, stdin: true, .. } = &self.conns[ci].mode {
            let proc = proc.clone();
            if let Some(p) = self.procs.get_mut(&proc) {
                if p.stdin_once && !p.tty {
                    p.stdin_close = true;
                    p.flush_stdin();
                }
            }
        }
    }

    /// Whether a process's input buffer is too full to take more from clients.
    fn stdin_full(&self, proc: &str) -> bool {
        self.procs.get(proc).is_some_and(|p| p.stdin_buf.len() > 1 << 20)
    }

    fn reap(&mut self) {
        loop {
            let mut status = 0;
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                return;
            }
            let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) };
            for p in self.procs.values_mut() {
                if p.pid == pid && p.exit.is_none() {
                    p.exit = Some((code, api::time::now_rfc3339()));
                    p.exited_at = Some(Instant::now());
                }
            }
        }
    }

    /// Processes whose exit is known and output drained: answer waiters, close attaches.
    fn settle(&mut self) {
        let done: Vec<String> = self
            .procs
            .iter()
            .filter(|(_, p)| p.exit.is_some() && (p.out.is_empty() || p.exited_at.is_some_and(|t| t.elapsed() > Duration::from_secs(2))))
            .map(|(k, _)| k.clone())
            .collect();
        for name in done {
            let p = self.procs.get_mut(&name).expect("present");
            p.out.clear();
            p.stdin = None;
            let (code, at) = p.exit.clone().expect("exited");
            if name == "init" {
                if let Some(l) = self.log.as_mut() {
                    l.flush();
                }
                self.oom = oom_killed(&self.a.cgroup);
                let tmp = self.a.state.join("exit.tmp");
                let _ = std::fs::write(&tmp, format!("{code} {} {at}\n", u8::from(self.oom)));
                let _ = std::fs::rename(&tmp, self.a.state.join("exit"));
                // Release the runtime's resources (cgroups) before anyone hears of the
                // exit: whoever waits may remove the container next and expect nothing left.
                self.delete_container();
            }
            let oom = u8::from(self.oom && name == "init");
            self.conns.retain_mut(|c| match &c.mode {
                Mode::Wait { proc } if *proc == name => {
                    let _ = c.s.write_all(format!("exit {code} {oom} {at}\n").as_bytes());
                    false
                }
                Mode::Attach { proc, .. } if *proc == name => false,
                _ => true,
            });
        }
    }

    /// `<runtime> delete --force <id>`, once.
    fn delete_container(&mut self) {
        if !self.deleted {
            let mut c = self.runtime();
            c.arg("delete").arg("--force").arg(&self.a.id);
            let _ = c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status();
            self.deleted = true;
        }
    }

    fn finished(&self) -> bool {
        self.procs.get("init").is_some_and(|p| p.exit.is_some() && p.out.is_empty())
            && !self.conns.iter().any(|c| matches!(c.mode, Mode::Wait { .. }))
    }
}

fn api_frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + data.len());
    v.push(stream);
    v.extend_from_slice(&[0, 0, 0]);
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn hex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect()
}

/// Whether the kernel's OOM killer killed a process of the container's cgroup.
fn oom_killed(cgroup: &str) -> bool {
    if cgroup.is_empty() {
        return false;
    }
    let rel = cgroup.trim_start_matches('/');
    for (file, key) in [
        (format!("/sys/fs/cgroup/memory/{rel}/memory.oom_control"), "oom_kill "),
        (format!("/sys/fs/cgroup/{rel}/memory.events"), "oom_kill "),
    ] {
        if let Ok(s) = std::fs::read_to_string(file) {
            if let Some(n) = s.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.trim().parse::<u64>().ok()) {
                return n > 0;
            }
        }
    }
    false
}

fn signalfd_chld() -> OwnedFd {
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        OwnedFd::from_raw_fd(libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK))
    }
}

fn run(a: Args) -> Result<(), String> {
    unsafe {
        libc::setsid();
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let sfd = signalfd_chld();
    std::fs::create_dir_all(&a.state).map_err(cerr)?;
    // Socket paths are limited to 107 bytes: work from the state directory and use
    // relative names, whatever the exec root's length.
    std::env::set_current_dir(&a.state).map_err(|e| format!("{}: {e}", a.state.display()))?;
    // Read before the socket exists: a failure here must not leave one behind.
    let attrs = match &a.log_attrs {
        Some(p) => serde_json::from_slice(&std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?).map_err(|e| format!("{}: {e}", p.display()))?,
        None => serde_json::Map::new(),
    };
    let sock = PathBuf::from("shim.sock");
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock).map_err(|e| format!("listening on {}/shim.sock: {e}", a.state.display()))?;
    listener.set_nonblocking(true).map_err(cerr)?;
    let log = if a.log.as_os_str().is_empty() { None } else { Some(log::JsonLog::open(a.log.clone(), a.log_max_size, a.log_max_files, &attrs).map_err(cerr)?) };
    let mut shim = Shim { a, procs: HashMap::new(), conns: Vec::new(), log, oom: false, deleted: false };
    let mut ready = std::io::stdout();
    match shim.create() {
        Ok(pid) => {
            let _ = writeln!(ready, "ready {pid}");
            let _ = ready.flush();
        }
        Err(e) => {
            let _ = writeln!(ready, "error {}", e.replace('\n', " "));
            let _ = ready.flush();
            shim.delete_container();
            let _ = std::fs::remove_file(&sock);
            return Err(e);
        }
    }
    // Nothing more for berthd on stdout: point it at /dev/null so berthd can go away.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        libc::dup2(null, 1);
        libc::close(null);
    }

    let mut buf = vec![0u8; 32 * 1024];
    loop {
        shim.reap();
        shim.settle();
        if shim.finished() {
            break;
        }
        // Poll set: listener, signalfd, connections, process outputs.
        let mut fds = vec![
            libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: sfd.as_raw_fd(), events: libc::POLLIN, revents: 0 },
        ];
        let nconn = shim.conns.len();
        for c in &shim.conns {
            let full = matches!(&c.mode, Mode::Attach { proc, .. } if shim.stdin_full(proc));
            let events = if c.read_closed || full { 0 } else { libc::POLLIN };
            fds.push(libc::pollfd { fd: c.s.as_raw_fd(), events, revents: 0 });
        }
        let mut ins: Vec<String> = Vec::new();
        for (name, p) in &shim.procs {
            if let (Some(fd), false) = (&p.stdin, p.stdin_buf.is_empty()) {
                fds.push(libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLOUT, revents: 0 });
                ins.push(name.clone());
            }
        }
        let nin = ins.len();
        let mut outs: Vec<(String, usize)> = Vec::new();
        for (name, p) in &shim.procs {
            for (i, (fd, _)) in p.out.iter().enumerate() {
                fds.push(libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 });
                outs.push((name.clone(), i));
            }
        }
        let timeout = if shim.procs.values().any(|p| p.exit.is_some() && !p.out.is_empty()) { 200 } else { -1 };
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            continue;
        }
        if fds[1].revents != 0 {
            let mut info = [0u8; 128];
            while unsafe { libc::read(sfd.as_raw_fd(), info.as_mut_ptr().cast(), info.len()) } > 0 {}
        }
        for (k, name) in ins.iter().enumerate() {
            if fds[2 + nconn + k].revents != 0 {
                if let Some(p) = shim.procs.get_mut(name) {
                    p.flush_stdin();
                }
            }
        }
        // Process output first, so that attach clients get it before the exit.
        let mut closed_out: Vec<(String, usize)> = Vec::new();
        for (k, (name, i)) in outs.iter().enumerate() {
            let re = fds[2 + nconn + nin + k].revents;
            if re == 0 {
                continue;
            }
            let (fd, stream) = {
                let (fd, s) = &shim.procs[name].out[*i];
                (fd.as_raw_fd(), *s)
            };
            loop {
                let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
                if r > 0 {
                    let data = buf[..r as usize].to_vec();
                    shim.output(name, stream, &data);
                    if (r as usize) < buf.len() {
                        break;
                    }
                    continue;
                }
                let err = std::io::Error::last_os_error();
                if r < 0 && err.kind() == std::io::ErrorKind::WouldBlock {
                    break;
                }
                // EOF, or EIO on a PTY whose other side is closed.
                closed_out.push((name.clone(), *i));
                break;
            }
        }
        for (name, i) in closed_out.into_iter().rev() {
            if let Some(p) = shim.procs.get_mut(&name) {
                if i < p.out.len() {
                    p.out.remove(i);
                }
            }
        }
        // Connections.
        let mut drop_conns = Vec::new();
        for ci in 0..nconn {
            let re = fds[2 + ci].revents;
            if re == 0 || shim.conns[ci].dead {
                continue;
            }
            if shim.conns[ci].read_closed {
                // Only hang-ups and errors are reported for these.
                drop_conns.push(ci);
                continue;
            }
            let r = shim.conns[ci].s.read(&mut buf);
            match r {
                Ok(0) if matches!(shim.conns[ci].mode, Mode::Attach { .. }) => {
                    // The client closed its sending side: stdin ends, output keeps flowing.
                    shim.stdin_eof(ci);
                    shim.conns[ci].read_closed = true;
                }
                Ok(0) | Err(_) => drop_conns.push(ci),
                Ok(n) => {
                    let data = buf[..n].to_vec();
                    if matches!(shim.conns[ci].mode, Mode::Command) {
                        shim.conns[ci].buf.extend_from_slice(&data);
                        if let Some(pos) = shim.conns[ci].buf.iter().position(|&b| b == b'\n') {
                            let line = String::from_utf8_lossy(&shim.conns[ci].buf[..pos]).into_owned();
                            let rest = shim.conns[ci].buf[pos + 1..].to_vec();
                            let mut conn = Conn { s: shim.conns[ci].s.try_clone().map_err(cerr)?, mode: Mode::Command, buf: Vec::new(), read_closed: false, dead: false };
                            let (reply, keep) = shim.command(&line, &mut conn);
                            let c = &mut shim.conns[ci];
                            c.mode = conn.mode;
                            c.buf.clear();
                            let _ = c.s.write_all(reply.as_bytes());
                            if !keep {
                                drop_conns.push(ci);
                            } else if !rest.is_empty() && !shim.input(ci, &rest) {
                                drop_conns.push(ci);
                            }
                        }
                    } else if !shim.input(ci, &data) {
                        drop_conns.push(ci);
                    }
                }
            }
        }
        for ci in drop_conns {
            shim.conns[ci].dead = true;
        }
        shim.conns.retain(|c| !c.dead);
        // New connections.
        loop {
            match listener.accept() {
                Ok((s, _)) => {
                    let _ = s.set_nonblocking(false);
                    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
                    shim.conns.push(Conn { s, mode: Mode::Command, buf: Vec::new(), read_closed: false, dead: false });
                }
                Err(_) => break,
            }
        }
    }
    // The container is gone: its runtime resources too (normally released already).
    shim.delete_container();
    let _ = std::fs::remove_file(&sock);
    Ok(())
}

fn main() {
    // Leave berthd at once: it reaps this launcher, init reaps the shim, and berthd needs
    // no thread per container waiting for its shim. Single-threaded here, so fork is safe.
    // SAFETY: fork in a single-threaded process; the parent only calls _exit.
    match unsafe { libc::fork() } {
        -1 => {
            eprintln!("berth-shim: fork: {}", std::io::Error::last_os_error());
            std::process::exit(1);
        }
        0 => {}
        _ => unsafe { libc::_exit(0) },
    }
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("berth-shim: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(a) {
        eprintln!("berth-shim: {e}");
        std::process::exit(1);
    }
}
