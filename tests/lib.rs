//! The end-to-end test harness: each test starts its own `berthd` (temporary data root,
//! exec root and socket) and drives it with `berth` and with the real `docker` CLI.
//!
//! Fixtures are made here, without network: a busybox root filesystem from Debian's
//! `busybox-static` (`/bin/busybox`), packed as a tar in memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Where cargo put the binaries (next to the test executable's `deps/`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe.parent().expect("deps dir");
    let dir = if dir.ends_with("deps") { dir.parent().expect("target dir") } else { dir };
    dir.to_path_buf()
}

/// Path of a workspace binary, which must have been built (`cargo build` runs first).
pub fn bin(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(p.exists(), "{} is missing: run `cargo build --workspace` before the tests", p.display());
    p
}

/// A unique temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `/tmp/berth-test-<tag>-<random>`.
    pub fn new(tag: &str) -> TempDir {
        let mut r = [0u8; 6];
        std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut r)).expect("urandom");
        let name: String = r.iter().map(|b| format!("{b:02x}")).collect();
        let p = std::env::temp_dir().join(format!("berth-test-{tag}-{name}"));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        unmount_under(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Unmounts everything mounted below `dir`, deepest first.
pub fn unmount_under(dir: &Path) {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else { return };
    let prefix = dir.display().to_string();
    let mut targets: Vec<&str> = mounts.lines().filter_map(|l| l.split(' ').nth(1)).filter(|t| t.starts_with(&prefix)).collect();
    targets.sort_by_key(|t| std::cmp::Reverse(t.len()));
    for t in targets {
        let _ = Command::new("umount").arg("-l").arg(t).status();
    }
}

/// A running berthd of one test.
pub struct Daemon {
    /// Its temporary directory (data root, exec root, socket, logs).
    pub dir: TempDir,
    child: Option<Child>,
    /// Extra flags it was started with.
    pub flags: Vec<String>,
    /// The parent cgroup of its containers (removed at the end).
    pub cgroup_parent: String,
}

impl Daemon {
    /// Starts a daemon and waits until it answers.
    pub fn start() -> Daemon {
        Daemon::start_with(&[])
    }

    /// Starts a daemon with extra flags.
    pub fn start_with(flags: &[&str]) -> Daemon {
        let dir = TempDir::new("d");
        let tag = dir.path().file_name().unwrap().to_string_lossy().into_owned();
        let mut d = Daemon { dir, child: None, flags: flags.iter().map(|s| s.to_string()).collect(), cgroup_parent: format!("/{tag}") };
        d.spawn();
        d
    }

    /// The socket path.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("berth.sock")
    }

    /// `unix://...` for `-H`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// The data root.
    pub fn data_root(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The daemon's process ID.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.path().join("berthd.log")).expect("log");
        let mut cmd = Command::new(bin("berthd"));
        // A test that serves https writes its own trusted certificate here, then restarts.
        let ca = self.dir.path().join("ca.pem");
        if ca.exists() {
            cmd.env("SSL_CERT_FILE", &ca);
        }
        let child = cmd
            .arg("-H")
            .arg(self.host())
            .arg("--data-root")
            .arg(self.data_root())
            .arg("--exec-root")
            .arg(self.dir.path().join("exec"))
            .arg("--pidfile")
            .arg(self.dir.path().join("berthd.pid"))
            .arg("--config-file")
            .arg(self.dir.path().join("daemon.json"))
            .arg("--cgroup-parent")
            .arg(&self.cgroup_parent)
            .args(&self.flags)
            // `--userns-remap` reads and extends these, never the host's /etc/subuid.
            .env("BERTH_SUBUID", self.dir.path().join("subuid"))
            .env("BERTH_SUBGID", self.dir.path().join("subgid"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start berthd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::os::unix::net::UnixStream::connect(self.socket()).is_ok() {
                return;
            }
            if let Some(st) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("berthd exited with {st}:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "berthd did not start:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("berthd.log")).unwrap_or_default()
    }

    /// Kills the daemon with SIGKILL (a crash) and waits for it.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops the daemon with SIGTERM and waits for it; returns its exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut c = self.child.take()?;
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(st)) = c.try_wait() {
                return Some(st);
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                return c.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the daemon again on the same directories.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Starts the daemon again after a crash.
    pub fn respawn(&mut self) {
        assert!(self.child.is_none(), "daemon still running");
        self.spawn();
    }

    /// Runs `berth -H <this daemon> args...`.
    pub fn berth(&self, args: &[&str]) -> Run {
        self.berth_in(args, None)
    }

    /// Runs `berth` with stdin.
    pub fn berth_in(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        run(&mut self.command("berth", args), stdin)
    }

    /// Runs the real Docker CLI against this daemon.
    pub fn docker(&self, args: &[&str]) -> Run {
        self.docker_in(args, None)
    }

    /// Runs the real Docker CLI with stdin.
    pub fn docker_in(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        run(&mut self.command("docker", args), stdin)
    }

    /// A command line of `cli` (`docker` or `berth`) against this daemon, not yet run.
    pub fn command(&self, cli: &str, args: &[&str]) -> Command {
        let mut c = if cli == "docker" {
            let cfg = self.dir.path().join("docker-config");
            let _ = std::fs::create_dir_all(&cfg);
            let mut c = Command::new("docker");
            c.arg("--config").arg(cfg).env_remove("DOCKER_CONTEXT");
            c
        } else {
            Command::new(bin(cli))
        };
        c.arg("-H").arg(self.host()).args(args);
        c
    }

    /// A raw HTTP request on the socket: (status, body).
    pub fn http(&self, method: &str, path: &str, body: &[u8]) -> (u16, String, Vec<(String, String)>) {
        use std::io::Read;
        let mut s = std::os::unix::net::UnixStream::connect(self.socket()).expect("connect");
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        if !body.is_empty() {
            req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).expect("write");
        s.write_all(body).expect("write body");
        let mut out = Vec::new();
        s.read_to_end(&mut out).expect("read");
        let text = String::from_utf8_lossy(&out).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let headers = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string())))
            .collect::<Vec<_>>();
        let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v == "chunked");
        let body = if chunked { dechunk(body) } else { body.to_string() };
        (status, body, headers)
    }

    /// Imports the busybox fixture as `name` with `CMD ["sh"]`.
    pub fn import_busybox(&self, name: &str) -> String {
        let r = self.berth_in(&["import", "-c", "CMD [\"sh\"]", "-", name], Some(&busybox_tar()));
        r.ok();
        r.stdout.trim().to_string()
    }
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n.min(after.len())]);
        rest = after.get(n + 2..).unwrap_or("");
    }
    out
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Containers outlive berthd by design: remove them first, then the daemon, then
        // anything a crash may have left (shims, mounts, cgroups).
        if self.child.is_some() {
            let (_, body, _) = self.http("GET", "/containers/json?all=1", b"");
            if let Ok(list) = serde_json::from_str::<serde_json::Value>(&body) {
                for c in list.as_array().into_iter().flatten() {
                    if let Some(id) = c["Id"].as_str() {
                        self.http("DELETE", &format!("/containers/{id}?force=1"), b"");
                    }
                }
            }
        }
        self.stop();
        kill_processes_mentioning(self.dir.path());
        unmount_under(self.dir.path());
        remove_cgroups(&self.cgroup_parent);
    }
}

/// Kills processes whose command line mentions `path` (shims of a test's daemon).
pub fn kill_processes_mentioning(path: &Path) {
    let needle = path.display().to_string();
    let Ok(rd) = std::fs::read_dir("/proc") else { return };
    for e in rd.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmd).contains(&needle) {
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    std::thread::sleep(Duration::from_millis(50));
}

/// Removes a cgroup subtree in every hierarchy (v1 controllers and v2).
pub fn remove_cgroups(parent: &str) {
    let rel = parent.trim_start_matches('/');
    if rel.is_empty() {
        return;
    }
    let mut roots = vec![PathBuf::from("/sys/fs/cgroup")];
    if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
        roots.extend(rd.flatten().map(|e| e.path()));
    }
    for root in roots {
        let top = root.join(rel);
        if !top.is_dir() {
            continue;
        }
        let mut dirs = vec![top.clone()];
        let mut i = 0;
        while i < dirs.len() {
            if let Ok(rd) = std::fs::read_dir(&dirs[i]) {
                for e in rd.flatten() {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        dirs.push(e.path());
                    }
                }
            }
            i += 1;
        }
        for d in dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Whether any cgroup directory of `parent` still exists.
pub fn cgroups_left(parent: &str) -> Vec<PathBuf> {
    let rel = parent.trim_start_matches('/');
    let mut left = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
        for e in rd.flatten() {
            let p = e.path().join(rel);
            if let Ok(sub) = std::fs::read_dir(&p) {
                left.extend(sub.flatten().filter(|x| x.file_type().is_ok_and(|t| t.is_dir())).map(|x| x.path()));
            }
        }
    }
    left
}

/// Mounts below `dir` that are still mounted.
pub fn mounts_under(dir: &Path) -> Vec<String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let prefix = dir.display().to_string();
    mounts.lines().filter_map(|l| l.split(' ').nth(1)).filter(|t| t.starts_with(&prefix)).map(String::from).collect()
}

/// The result of running a command.
pub struct Run {
    /// Exit code (-1 if killed).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Raw standard output.
    pub raw: Vec<u8>,
    /// The command line, for messages.
    pub cmd: String,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "`{}` failed ({}):\nstdout: {}\nstderr: {}", self.cmd, self.code, self.stdout, self.stderr);
        &self.stdout
    }
    /// Asserts failure and returns stderr.
    pub fn err(&self) -> &str {
        assert_ne!(self.code, 0, "`{}` should have failed:\nstdout: {}\nstderr: {}", self.cmd, self.stdout, self.stderr);
        &self.stderr
    }
}

/// Runs a command with optional stdin.
pub fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Run {
    let line = format!("{cmd:?}");
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {line}: {e}"));
    if let Some(data) = stdin {
        let mut w = child.stdin.take().expect("stdin");
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&data);
        });
    }
    let out: Output = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        raw: out.stdout,
        cmd: line,
    }
}

/// Writes tar archives for fixtures.
#[derive(Default)]
pub struct Tar {
    /// The bytes so far.
    pub buf: Vec<u8>,
}

impl Tar {
    fn header(&mut self, name: &str, kind: u8, mode: u32, size: u64, link: &str) {
        assert!(name.len() <= 100 && link.len() <= 100, "fixture names stay short");
        let mut b = [0u8; 512];
        b[..name.len()].copy_from_slice(name.as_bytes());
        b[100..108].copy_from_slice(format!("{mode:07o}\0").as_bytes());
        b[108..116].copy_from_slice(b"0000000\0");
        b[116..124].copy_from_slice(b"0000000\0");
        b[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        b[136..148].copy_from_slice(format!("{:011o}\0", 1_700_000_000u64).as_bytes());
        b[156] = kind;
        b[157..157 + link.len()].copy_from_slice(link.as_bytes());
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        b[148..156].copy_from_slice(b"        ");
        let sum: u32 = b.iter().map(|&x| x as u32).sum();
        b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        self.buf.extend_from_slice(&b);
    }
    /// Adds a directory.
    pub fn dir(&mut self, name: &str) -> &mut Self {
        self.header(name, b'5', 0o755, 0, "");
        self
    }
    /// Adds a file.
    pub fn file(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Self {
        self.header(name, b'0', mode, data.len() as u64, "");
        self.buf.extend_from_slice(data);
        self.buf.resize(self.buf.len() + (512 - data.len() % 512) % 512, 0);
        self
    }
    /// Adds a symlink.
    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.header(name, b'2', 0o777, 0, target);
        self
    }
    /// Adds a hard link.
    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.header(name, b'1', 0o644, 0, target);
        self
    }
    /// Ends the archive.
    pub fn finish(&mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&[0u8; 1024]);
        std::mem::take(&mut self.buf)
    }
}

/// A busybox root filesystem: `/bin/busybox` from Debian's `busybox-static`, a symlink per
/// applet, `/etc/passwd` and `/etc/group`.
pub fn busybox_tar() -> Vec<u8> {
    static CACHE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CACHE
        .get_or_init(|| {
            let busybox = std::fs::read("/bin/busybox").expect("/bin/busybox is missing: apt-get install busybox-static");
            let list = Command::new("/bin/busybox").arg("--list").output().expect("busybox --list");
            let mut t = Tar::default();
            for d in ["bin/", "etc/", "tmp/", "root/", "home/", "dev/", "proc/", "sys/", "var/", "usr/"] {
                t.dir(d);
            }
            t.file("bin/busybox", 0o755, &busybox);
            for applet in String::from_utf8_lossy(&list.stdout).lines() {
                if applet != "busybox" && !applet.is_empty() {
                    t.symlink(&format!("bin/{applet}"), "busybox");
                }
            }
            t.file("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n");
            t.file("etc/group", 0o644, b"root:x:0:\nnobody:x:65534:\n");
            t.finish()
        })
        .clone()
}

/// sha256 hex of bytes.
pub fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// Whether the tests run as root (most need it).
pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// A command on a pseudo-terminal of the test's own (its controlling terminal), typed at
/// and read from as a user's terminal would be.
pub struct Terminal {
    master: std::fs::File,
    child: Child,
    out: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Terminal {
    /// Starts `cmd` on a new terminal of `rows` x `cols`.
    pub fn spawn(cmd: &mut Command, rows: u16, cols: u16) -> Terminal {
        use std::os::fd::FromRawFd;
        use std::os::unix::process::CommandExt;
        let (mut m, mut s) = (-1, -1);
        let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty fills in two descriptors we then own.
        assert_eq!(unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), &ws) }, 0, "openpty");
        // SAFETY: both descriptors are fresh and owned here.
        let (master, slave) = unsafe { (std::fs::File::from_raw_fd(m), std::fs::File::from_raw_fd(s)) };
        let stdio = |f: &std::fs::File| Stdio::from(f.try_clone().expect("dup"));
        cmd.stdin(stdio(&slave)).stdout(stdio(&slave)).stderr(stdio(&slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn on the terminal");
        drop(slave);
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (mut r, o) = (master.try_clone().expect("dup"), out.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once the last holder of the replica has gone.
            while let Ok(n) = std::io::Read::read(&mut r, &mut buf) {
                if n == 0 {
                    break;
                }
                o.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal { master, child, out }
    }

    /// Types `keys` (one read's worth on the other side: send detach keys one at a time).
    pub fn send(&mut self, keys: &[u8]) {
        self.master.write_all(keys).expect("type");
    }

    /// Everything shown so far.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// Waits until the screen shows `text` (panics after `limit`).
    pub fn expect(&self, text: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.screen().contains(text) {
            assert!(Instant::now() < deadline, "terminal never showed {text:?}; it shows:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Resizes the terminal (the kernel sends SIGWINCH to the command).
    pub fn resize(&self, rows: u16, cols: u16) {
        let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCSWINSZ reads a winsize we own.
        assert_eq!(unsafe { libc::ioctl(std::os::fd::AsRawFd::as_raw_fd(&self.master), libc::TIOCSWINSZ, &ws) }, 0);
    }

    /// Waits for the command to exit (killing it after `limit`); its exit code.
    pub fn wait(mut self, limit: Duration) -> i32 {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                return st.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the command did not exit; the terminal shows:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
