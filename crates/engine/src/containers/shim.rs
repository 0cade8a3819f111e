//! The engine's side of the shim protocol (see the `berth-shim` crate docs): spawning a
//! shim, requests, attach streams, and exit files.

use crate::{Error, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// An attach request waiting for the container to start.
pub(crate) struct PendingAttach {
    pub req: AttachRequest,
    pub reply: tokio::sync::oneshot::Sender<Result<UnixStream>>,
}

/// Which streams an attach takes, and the detach keys.
#[derive(Debug, Clone, Default)]
pub struct AttachRequest {
    /// Take stdin.
    pub stdin: bool,
    /// Take stdout.
    pub stdout: bool,
    /// Take stderr.
    pub stderr: bool,
    /// The detach sequence as bytes (empty: none).
    pub detach_keys: Vec<u8>,
}

impl AttachRequest {
    pub(crate) fn line(&self, proc: &str) -> String {
        let keys: String = if self.detach_keys.is_empty() { "-".into() } else { self.detach_keys.iter().map(|b| format!("{b:02x}")).collect() };
        format!("attach {proc} {} {} {} {keys}\n", u8::from(self.stdin), u8::from(self.stdout), u8::from(self.stderr))
    }
}

/// Parses Docker's detach keys (`ctrl-p,ctrl-q`, `a,b`, `ctrl-@`).
pub fn parse_detach_keys(s: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for k in s.split(',') {
        let k = k.trim();
        let b = if let Some(c) = k.strip_prefix("ctrl-") {
            match c.as_bytes() {
                [c] if c.is_ascii_alphabetic() => c.to_ascii_lowercase() - b'a' + 1,
                [b'@'] => 0,
                [b'['] => 27,
                [b'\\'] => 28,
                [b']'] => 29,
                [b'^'] => 30,
                [b'_'] => 31,
                _ => return Err(Error::invalid(format!("Unknown character: '{k}'"))),
            }
        } else if k.len() == 1 {
            k.as_bytes()[0]
        } else {
            return Err(Error::invalid(format!("Unknown character: '{k}'")));
        };
        out.push(b);
    }
    Ok(out)
}

/// How to start a shim.
pub(crate) struct ShimSpawn<'a> {
    pub shim: &'a Path,
    pub id: &'a str,
    pub bundle: &'a Path,
    pub state: &'a Path,
    pub runtime: &'a str,
    /// Arguments before every runtime command (daemon.json `runtimeArgs`).
    pub runtime_args: &'a [String],
    pub runtime_root: &'a Path,
    pub log: &'a Path,
    pub log_max_size: u64,
    pub log_max_files: u32,
    /// Attributes recorded with every log line (`--log-opt labels=...`).
    pub log_attrs: &'a std::collections::BTreeMap<String, String>,
    pub tty: bool,
    pub stdin: bool,
    pub stdin_once: bool,
    pub cgroup: &'a str,
    /// The root filesystem the shim mounts in its own mount namespace.
    pub rootfs: &'a runtime::rootfs::Rootfs,
}

/// Starts a shim and waits until the container is created. Returns the container's PID.
pub(crate) fn spawn(s: &ShimSpawn<'_>) -> Result<i64> {
    std::fs::create_dir_all(s.state).map_err(|e| Error::internal(format!("create {}: {e}", s.state.display())))?;
    let shim_log = std::fs::File::create(s.state.join("shim.log")).map_err(|e| Error::internal(e.to_string()))?;
    let rootfs = s.state.join("rootfs.json");
    std::fs::write(&rootfs, serde_json::to_vec(s.rootfs).expect("rootfs")).map_err(|e| Error::internal(format!("write {}: {e}", rootfs.display())))?;
    let mut cmd = Command::new(s.shim);
    cmd.arg("--id").arg(s.id).arg("--bundle").arg(s.bundle).arg("--state").arg(s.state).arg("--rootfs").arg(&rootfs);
    cmd.arg("--runtime").arg(s.runtime).arg("--runtime-root").arg(s.runtime_root);
    for a in s.runtime_args {
        cmd.arg("--runtime-arg").arg(a);
    }
    cmd.arg("--log").arg(s.log).arg("--log-max-size").arg(s.log_max_size.to_string()).arg("--log-max-files").arg(s.log_max_files.to_string());
    cmd.arg("--cgroup").arg(s.cgroup);
    if !s.log_attrs.is_empty() {
        // A file, not an argument: environment values are nobody else's business, and
        // every user of the host can read a process's command line.
        let attrs = s.state.join("log-attrs.json");
        std::fs::write(&attrs, serde_json::to_vec(s.log_attrs).expect("attrs")).map_err(|e| Error::internal(format!("write {}: {e}", attrs.display())))?;
        cmd.arg("--log-attrs").arg(attrs);
    }
    if s.tty {
        cmd.arg("--tty");
    }
    if s.stdin {
        cmd.arg("--stdin");
    }
    if s.stdin_once {
        cmd.arg("--stdin-once");
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(shim_log)
        .spawn()
        .map_err(|e| Error::internal(format!("starting {}: {e}", s.shim.display())))?;
    let out = child.stdout.take().expect("piped");
    let mut line = String::new();
    let _ = BufReader::new(out).read_line(&mut line);
    // The process started is a launcher that forks the shim and exits at once: the shim is
    // nobody's child here (init reaps it), so nothing in berthd waits for it.
    let _ = child.wait();
    let line = line.trim();
    if let Some(pid) = line.strip_prefix("ready ") {
        return pid.parse().map_err(|_| Error::internal(format!("shim answered {line:?}")));
    }
    let msg = line.strip_prefix("error ").unwrap_or(line);
    let msg = if msg.is_empty() {
        let why = std::fs::read_to_string(s.state.join("shim.log")).unwrap_or_default();
        format!("the shim exited before creating the container: {}", why.trim())
    } else {
        msg.to_string()
    };
    Err(classify_start_error(msg))
}

/// Start errors about the user's command are the user's problem (400), like Docker's.
pub(crate) fn classify_start_error(msg: String) -> Error {
    let full = format!("failed to create task for container: OCI runtime create failed: {msg}");
    if msg.contains("executable file not found") || msg.contains("no such file or directory") || msg.contains("permission denied") {
        Error::invalid(full)
    } else {
        Error::internal(full)
    }
}

/// Connects to a unix socket, also when its path is longer than `sun_path` allows: then
/// through `/proc/self/fd/<dir>/<name>`.
pub(crate) fn connect_path(sock: &Path) -> std::io::Result<UnixStream> {
    use std::os::unix::ffi::OsStrExt;
    if sock.as_os_str().as_bytes().len() < 100 {
        return UnixStream::connect(sock);
    }
    let dir = std::fs::File::open(sock.parent().unwrap_or(Path::new("/")))?;
    let name = sock.file_name().unwrap_or_default();
    UnixStream::connect(Path::new(&format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&dir))).join(name))
}

/// Connects to a shim's socket.
pub(crate) fn connect(sock: &Path) -> Result<UnixStream> {
    connect_path(sock).map_err(|e| Error::internal(format!("container shim unreachable at {}: {e}", sock.display())))
}

/// Sends a one-line request and reads the one-line reply.
pub(crate) fn request(sock: &Path, line: &str) -> Result<String> {
    let mut s = connect(sock)?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    s.write_all(line.as_bytes()).map_err(|e| Error::internal(format!("shim: {e}")))?;
    let mut r = BufReader::new(s);
    let mut reply = String::new();
    r.read_line(&mut reply).map_err(|e| Error::internal(format!("shim: {e}")))?;
    let reply = reply.trim().to_string();
    match reply.strip_prefix("err ") {
        Some(e) => Err(Error::internal(e.to_string())),
        None if reply.is_empty() => Err(Error::internal("the container shim closed the connection")),
        None => Ok(reply),
    }
}

/// Opens a stream request (`attach`, `exec`): returns the connection after an `ok` reply,
/// and what followed `ok`.
pub(crate) fn open_stream(sock: &Path, line: &str) -> Result<(UnixStream, String)> {
    let mut s = connect(sock)?;
    s.write_all(line.as_bytes()).map_err(|e| Error::internal(format!("shim: {e}")))?;
    // Read the reply byte by byte: what follows belongs to the stream.
    let mut reply = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match s.read(&mut b) {
            Ok(1) if b[0] == b'\n' => break,
            Ok(1) => reply.push(b[0]),
            _ => return Err(Error::internal("the container shim closed the connection")),
        }
    }
    let reply = String::from_utf8_lossy(&reply).into_owned();
    if let Some(e) = reply.strip_prefix("err ") {
        return Err(Error::internal(e.to_string()));
    }
    let rest = reply.strip_prefix("ok").unwrap_or("").trim().to_string();
    Ok((s, rest))
}

/// An exit as the shim reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exit {
    pub code: i64,
    pub oom: bool,
    pub at: String,
}

pub(crate) fn parse_exit(line: &str) -> Option<Exit> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let (code, oom, at) = match f.as_slice() {
        ["exit", c, o, a] => (*c, *o, *a),
        [c, o, a] => (*c, *o, *a),
        _ => return None,
    };
    Some(Exit { code: code.parse().ok()?, oom: oom == "1", at: at.to_string() })
}

/// Sends `wait <proc>`; the answer comes when the process exits ([`read_exit`]).
pub(crate) fn open_wait(sock: &Path, proc: &str) -> Result<UnixStream> {
    let mut s = connect(sock)?;
    s.write_all(format!("wait {proc}\n").as_bytes()).map_err(|e| Error::internal(format!("shim: {e}")))?;
    Ok(s)
}

/// Reads the answer of a `wait`; `None` if the shim went away without telling.
pub(crate) fn read_exit(s: UnixStream) -> Option<Exit> {
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    parse_exit(line.trim())
}

/// Blocks until process `proc` exits; `None` if the shim went away without telling.
pub(crate) fn wait(sock: &Path, proc: &str) -> Option<Exit> {
    read_exit(open_wait(sock, proc).ok()?)
}

/// The exit file the shim leaves behind.
pub(crate) fn read_exit_file(state: &Path) -> Option<Exit> {
    parse_exit(std::fs::read_to_string(state.join("exit")).ok()?.trim())
}

/// The shim binary and runtime to use: next to berthd, unless configured.
pub(crate) fn sibling_binary(name: &str) -> PathBuf {
    std::env::current_exe().ok().and_then(|p| p.parent().map(|d| d.join(name))).filter(|p| p.exists()).unwrap_or_else(|| PathBuf::from(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys_parse_like_docker() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), vec![16, 17]);
        assert_eq!(parse_detach_keys("a,ctrl-@").unwrap(), vec![b'a', 0]);
        assert!(parse_detach_keys("ctrl-1").is_err());
        assert!(parse_detach_keys("abc").is_err());
    }

    #[test]
    fn exit_lines() {
        assert_eq!(parse_exit("exit 3 1 2026-01-01T00:00:00Z"), Some(Exit { code: 3, oom: true, at: "2026-01-01T00:00:00Z".into() }));
        assert_eq!(parse_exit("0 0 t").map(|e| e.code), Some(0));
        assert_eq!(parse_exit("garbage"), None);
    }
}
