//! berth-oci: an OCI runtime with runc's command line (the subset berth's shim uses:
//! `create`, `start`, `state`, `kill`, `delete`, `exec`, `pause`, `resume`), built on
//! youki's libcontainer. Each invocation is a short-lived, single-threaded process, which
//! is what libcontainer (it clones the calling process) needs. Errors go to stderr; the
//! exit status is non-zero on failure.

mod filter;

use clap::{Parser, Subcommand};
use libcontainer::container::builder::ContainerBuilder;
use libcontainer::container::Container;
use libcontainer::oci_spec::runtime::Spec;
use libcontainer::workload::default::DefaultExecutor;
use libcontainer::workload::{Executor, ExecutorError, ExecutorValidationError};
use libcontainer::signal::Signal;
use libcontainer::syscall::syscall::SyscallType;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "berth-oci", version, about = "berth's OCI runtime")]
struct Cli {
    /// Directory for container state
    #[arg(long, default_value = "/run/berth/oci")]
    root: PathBuf,
    /// Log file (accepted for runc compatibility; errors always go to stderr)
    #[arg(long)]
    log: Option<PathBuf>,
    /// Log format (accepted for runc compatibility)
    #[arg(long = "log-format")]
    log_format: Option<String>,
    /// Use systemd for cgroups (not supported: cgroupfs only)
    #[arg(long = "systemd-cgroup")]
    systemd_cgroup: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a container from a bundle; its process waits for `start`
    Create {
        /// Bundle directory
        #[arg(short, long, default_value = ".")]
        bundle: PathBuf,
        /// File to write the container's PID to
        #[arg(long = "pid-file")]
        pid_file: Option<PathBuf>,
        /// Unix socket to send the PTY master to
        #[arg(long = "console-socket")]
        console_socket: Option<PathBuf>,
        /// Do not use pivot_root
        #[arg(long = "no-pivot")]
        no_pivot: bool,
        /// Number of extra file descriptors to pass
        #[arg(long = "preserve-fds", default_value_t = 0)]
        preserve_fds: i32,
        /// Container ID
        id: String,
    },
    /// Start a created container
    Start {
        /// Container ID
        id: String,
    },
    /// Print a container's state as JSON
    State {
        /// Container ID
        id: String,
    },
    /// Send a signal to a container's process(es)
    Kill {
        /// Send to every process in the container
        #[arg(short, long)]
        all: bool,
        /// Container ID
        id: String,
        /// Signal (name or number)
        #[arg(default_value = "SIGTERM")]
        signal: String,
    },
    /// Delete a container's resources
    Delete {
        /// Kill it first if running
        #[arg(short, long)]
        force: bool,
        /// Container ID
        id: String,
    },
    /// Run a process in a running container
    Exec {
        /// process.json describing the process
        #[arg(short, long)]
        process: PathBuf,
        /// File to write the process's PID to
        #[arg(long = "pid-file")]
        pid_file: Option<PathBuf>,
        /// Unix socket to send the PTY master to
        #[arg(long = "console-socket")]
        console_socket: Option<PathBuf>,
        /// Do not wait for the process
        #[arg(short, long)]
        detach: bool,
        /// Container ID
        id: String,
    },
    /// Freeze a container
    Pause {
        /// Container ID
        id: String,
    },
    /// Thaw a container
    Resume {
        /// Container ID
        id: String,
    },
}

/// Turns libcontainer's errors about the user's command into Docker's wording, which
/// clients match on to choose exit codes 127 and 126.
fn docker_message(e: &str, args0: Option<&str>) -> String {
    let name = args0.unwrap_or("");
    if e.contains("not found in $PATH") || e.contains("No such file or directory") && e.contains("exec") {
        format!("exec: \"{name}\": executable file not found in $PATH")
    } else if e.contains("does not have correct permissions") || e.contains("Permission denied") && e.contains("exec") {
        format!("exec: \"{name}\": permission denied")
    } else {
        e.to_string()
    }
}

fn container(root: &std::path::Path, id: &str) -> Result<Container, String> {
    Container::load(root.join(id)).map_err(|e| format!("container {id}: {e}"))
}

fn run(cli: Cli) -> Result<(), String> {
    if cli.systemd_cgroup {
        return Err("--systemd-cgroup is not supported; berth-oci uses cgroupfs".into());
    }
    std::fs::create_dir_all(&cli.root).map_err(|e| format!("{}: {e}", cli.root.display()))?;
    let syscall = SyscallType::default();
    match cli.cmd {
        Cmd::Create { bundle, pid_file, console_socket, no_pivot, preserve_fds, id } => {
            let spec = read_json(&bundle.join("config.json"))?;
            let args0 = spec.pointer("/process/args/0").and_then(|a| a.as_str()).map(String::from);
            let no_oom_kill = spec.pointer("/linux/resources/memory/disableOOMKiller").and_then(|v| v.as_bool()) == Some(true);
            let cgroup = spec.pointer("/linux/cgroupsPath").and_then(|v| v.as_str()).unwrap_or("").to_string();
            let (bundle, finish) = prepare_create(&bundle, spec, &cli.root)?;
            ContainerBuilder::new(id.clone(), syscall)
                .with_executor(finish)
                .with_root_path(&cli.root)
                .map_err(|e| e.to_string())?
                .with_pid_file(pid_file)
                .map_err(|e| e.to_string())?
                .with_console_socket(console_socket)
                .with_preserved_fds(preserve_fds)
                .as_init(&bundle)
                .with_systemd(false)
                .with_detach(true)
                .with_no_pivot(no_pivot)
                .build()
                .map_err(|e| docker_message(&format!("{e:?}"), args0.as_deref()))?;
            // libcontainer 0.7 never writes the spec's disableOOMKiller; the payload has not
            // started yet, so setting it now is in time.
            if no_oom_kill {
                disable_oom_killer(&cgroup)?;
            }
            Ok(())
        }
        Cmd::Start { id } => container(&cli.root, &id)?.start().map_err(|e| e.to_string()),
        Cmd::State { id } => {
            let c = container(&cli.root, &id)?;
            let s = serde_json::json!({
                "ociVersion": "1.0.2",
                "id": c.id(),
                "status": format!("{}", c.status()).to_lowercase(),
                "pid": c.pid().map_or(0, |p| p.as_raw()),
                "bundle": c.bundle(),
            });
            println!("{s}");
            Ok(())
        }
        Cmd::Kill { all, id, signal } => {
            let sig = Signal::try_from(signal.as_str()).map_err(|e| format!("invalid signal {signal:?}: {e}"))?;
            container(&cli.root, &id)?.kill(sig, all).map_err(|e| e.to_string())
        }
        Cmd::Delete { force, id } => match Container::load(cli.root.join(&id)) {
            Ok(mut c) => c.delete(force).map_err(|e| e.to_string()),
            Err(_) if force => Ok(()),
            Err(e) => Err(format!("container {id}: {e}")),
        },
        Cmd::Exec { process, pid_file, console_socket, detach, id } => {
            let wanted = read_json(&process)?;
            let args0 = wanted.pointer("/args/0").and_then(|a| a.as_str()).map(String::from);
            let c = container(&cli.root, &id)?;
            let (process, executor) = prepare_exec(&c, &process, wanted, &cli.root)?;
            let pid = ContainerBuilder::new(id, syscall)
                .with_executor(executor)
                .with_root_path(&cli.root)
                .map_err(|e| e.to_string())?
                .with_pid_file(pid_file)
                .map_err(|e| e.to_string())?
                .with_console_socket(console_socket)
                .as_tenant()
                .with_detach(detach)
                .with_process(Some(&process))
                .build()
                .map_err(|e| docker_message(&format!("{e:?}"), args0.as_deref()))?;
            if !detach {
                let mut status = 0;
                unsafe { libc::waitpid(pid.as_raw(), &mut status, 0) };
                if libc::WIFEXITED(status) {
                    std::process::exit(libc::WEXITSTATUS(status));
                }
                std::process::exit(128 + libc::WTERMSIG(status));
            }
            Ok(())
        }
        Cmd::Pause { id } => container(&cli.root, &id)?.pause().map_err(|e| e.to_string()),
        Cmd::Resume { id } => container(&cli.root, &id)?.resume().map_err(|e| e.to_string()),
    }
}

/// Where the spec's `linux.seccomp` is kept once taken out of the bundle handed to
/// libcontainer (see [`prepare_create`]).
const SECCOMP_FILE: &str = "seccomp.json";

/// The process a container's payload must finally run as, with what it takes to get there.
#[derive(Clone, Default)]
struct Finish {
    /// The process as the spec asks for it (user, groups, capabilities, no_new_privs);
    /// `None`: libcontainer set all of it up itself.
    want: Option<Wanted>,
    /// Join the user namespace of the container's PID 1 first (exec into a container with
    /// a user namespace: libcontainer 0.7 leaves exec'd processes in the host's).
    join_userns: bool,
    /// The seccomp filter to load.
    filter: Option<filter::Program>,
    /// Make everything under /sys/fs/cgroup read-only (libcontainer 0.7 mounts cgroup v1
    /// hierarchies read-write whatever the spec says, so the payload could raise its own
    /// limits).
    ro_cgroup: bool,
}

/// Root with every capability the host allows, nothing else: what libcontainer leaves the
/// process as when [`Finish`] does the rest.
fn as_root_with_all_caps(process: &mut serde_json::Value) {
    let all = runtime::caps::host_bounding();
    process["user"] = serde_json::json!({"uid": 0, "gid": 0});
    process["capabilities"] = serde_json::json!({"bounding": all, "effective": all, "permitted": all});
    if let Some(o) = process.as_object_mut() {
        o.remove("noNewPrivileges");
    }
}

fn read_json(path: &std::path::Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_json(path: &std::path::Path, v: &serde_json::Value) -> Result<(), String> {
    std::fs::write(path, serde_json::to_vec(v).map_err(|e| e.to_string())?).map_err(|e| format!("{}: {e}", path.display()))
}

/// For `create`: with a seccomp filter, the bundle handed to libcontainer is a copy of the
/// given one in `<bundle>/berth-oci/` (it lives and dies with the bundle) without the
/// filter and with the process as root with every capability; the filter (compiled once,
/// cached under `<root>/seccomp/`), the user and the capabilities are then applied by
/// [`Finish`] just before exec — the order runc uses without no_new_privs. libcontainer
/// compiling the filter itself would cost 15-20 ms per container.
fn prepare_create(bundle: &std::path::Path, mut spec: serde_json::Value, root: &std::path::Path) -> Result<(PathBuf, Finish), String> {
    let ro_cgroup = spec["mounts"].as_array().into_iter().flatten().any(|m| {
        m["destination"] == "/sys/fs/cgroup" && m["type"] == "cgroup" && m["options"].as_array().is_some_and(|o| o.iter().any(|x| x == "ro"))
    });
    let seccomp = spec.pointer_mut("/linux").and_then(|l| l.as_object_mut()).and_then(|l| l.remove("seccomp"));
    if seccomp.is_none() && !ro_cgroup {
        return Ok((bundle.to_path_buf(), Finish::default()));
    }
    let program = seccomp.as_ref().map(|s| filter::program(s, &root.join("seccomp"))).transpose()?;
    let want = Wanted::from_process(&spec["process"])?;
    as_root_with_all_caps(&mut spec["process"]);
    let bundle = std::fs::canonicalize(bundle).map_err(|e| format!("{}: {e}", bundle.display()))?;
    if let Some(rootfs) = spec.pointer_mut("/root/path") {
        let p = PathBuf::from(rootfs.as_str().unwrap_or("rootfs"));
        if p.is_relative() {
            *rootfs = serde_json::Value::String(bundle.join(p).display().to_string());
        }
    }
    let dir = bundle.join("berth-oci");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if let Some(seccomp) = &seccomp {
        write_json(&dir.join(SECCOMP_FILE), seccomp)?;
    }
    write_json(&dir.join("config.json"), &spec)?;
    Ok((dir, Finish { want: Some(want), join_userns: false, filter: program, ro_cgroup }))
}

/// For `exec`: libcontainer 0.7 applies neither the container's seccomp filter nor its
/// user namespace to exec'd processes. When the container has either, the process joins
/// the container as root with every capability, and [`Finish`] does the rest.
fn prepare_exec(c: &Container, process: &std::path::Path, mut p: serde_json::Value, root: &std::path::Path) -> Result<(PathBuf, Finish), String> {
    let spec = read_json(&c.bundle().join("config.json"))?;
    let userns = spec.pointer("/linux/namespaces").and_then(|n| n.as_array()).is_some_and(|n| n.iter().any(|n| n["type"] == "user"));
    let seccomp = match c.bundle().join(SECCOMP_FILE) {
        f if f.exists() => Some(read_json(&f)?),
        _ => spec.pointer("/linux/seccomp").cloned(),
    };
    if !userns && seccomp.is_none() {
        return Ok((process.to_path_buf(), Finish::default()));
    }
    let filter = seccomp.map(|s| filter::program(&s, &root.join("seccomp"))).transpose()?;
    let want = Wanted::from_process(&p)?;
    as_root_with_all_caps(&mut p);
    let joined = process.with_extension("berth-oci.json");
    write_json(&joined, &p)?;
    Ok((joined, Finish { want: Some(want), join_userns: userns, filter, ro_cgroup: false }))
}

impl Executor for Finish {
    fn exec(&self, spec: &Spec) -> Result<(), ExecutorError> {
        if let Some(p) = spec.process().as_ref().filter(|p| p.terminal() == Some(true)) {
            if let Some(size) = p.console_size() {
                set_console_size(size.height(), size.width());
            }
        }
        if self.ro_cgroup {
            cgroups_read_only().map_err(ExecutorError::Other)?;
        }
        if let Some(want) = &self.want {
            self.become_wanted(want).map_err(ExecutorError::Other)?;
        }
        DefaultExecutor {}.exec(spec)
    }

    fn validate(&self, spec: &Spec) -> Result<(), ExecutorValidationError> {
        DefaultExecutor {}.validate(spec)
    }
}

/// Makes /sys/fs/cgroup and every mount under it read-only, in one recursive
/// `mount_setattr` (in the container's mount namespace, still with CAP_SYS_ADMIN).
fn cgroups_read_only() -> Result<(), String> {
    const MOUNT_ATTR_RDONLY: u64 = 0x1;
    if runtime::rootfs::mount_setattr(libc::AT_FDCWD, c"/sys/fs/cgroup", libc::AT_RECURSIVE as libc::c_uint, MOUNT_ATTR_RDONLY, 0) != 0 {
        return Err(format!("making /sys/fs/cgroup read-only: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// `memory.oom_control` = 1 for the container's cgroup (cgroup v1; v2 has no such switch,
/// and Docker ignores the flag there too).
fn disable_oom_killer(cgroup: &str) -> Result<(), String> {
    runtime::cgroups::Hierarchy::detect().set(cgroup, &[("memory", "memory.oom_control", "", "1".into())]).map_err(|e| format!("disabling the OOM killer: {e}"))
}

/// Sets the size of the terminal on stdin (the PTY's replica): libcontainer 0.7 ignores
/// `process.consoleSize`, and a process that reads its size at once (`stty size`, a shell's
/// line editor) must not see 0x0 before the client's first resize arrives. runc's init does
/// the same.
fn set_console_size(height: u64, width: u64) {
    let ws = libc::winsize { ws_row: height.min(u16::MAX as u64) as u16, ws_col: width.min(u16::MAX as u64) as u16, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCSWINSZ reads a winsize we own; on a non-terminal it fails harmlessly.
    unsafe { libc::ioctl(0, libc::TIOCSWINSZ, &ws) };
}

/// What [`Finish`] makes of the process: IDs, groups, capability sets (bit masks by
/// capability number), no_new_privs.
#[derive(Clone, Debug, Default, PartialEq)]
struct Wanted {
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
    bounding: u64,
    effective: u64,
    permitted: u64,
    inheritable: u64,
    ambient: u64,
    no_new_privs: bool,
}

impl Wanted {
    /// From an OCI `process` object.
    fn from_process(p: &serde_json::Value) -> Result<Wanted, String> {
        let id = |k: &str| p["user"][k].as_u64().unwrap_or(0) as u32;
        let set = |k: &str| -> Result<u64, String> {
            let mut bits = 0u64;
            for c in p["capabilities"][k].as_array().into_iter().flatten() {
                let name = c.as_str().unwrap_or("");
                let n = runtime::caps::ALL.iter().position(|x| *x == name).ok_or_else(|| format!("unknown capability {name:?}"))?;
                bits |= 1 << n;
            }
            Ok(bits)
        };
        Ok(Wanted {
            uid: id("uid"),
            gid: id("gid"),
            groups: p["user"]["additionalGids"].as_array().into_iter().flatten().filter_map(|g| g.as_u64()).map(|g| g as u32).collect(),
            bounding: set("bounding")?,
            effective: set("effective")?,
            permitted: set("permitted")?,
            inheritable: set("inheritable")?,
            ambient: set("ambient")?,
            no_new_privs: p["noNewPrivileges"].as_bool().unwrap_or(false),
        })
    }
}

impl Finish {
    /// In the payload's process (single-threaded, in the container's namespaces, root
    /// with every capability): user namespace, seccomp filter, bounding set, groups and
    /// IDs (keeping the permitted set), capability sets, ambient set, no_new_privs — runc's
    /// order without no_new_privs.
    fn become_wanted(&self, w: &Wanted) -> Result<(), String> {
        let err = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
        if self.join_userns {
            let ns = std::fs::File::open("/proc/1/ns/user").map_err(|e| format!("open the container's user namespace: {e}"))?;
            // SAFETY: a plain setns on a valid descriptor in a single-threaded process.
            if unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&ns), libc::CLONE_NEWUSER) } != 0 {
                return Err(err("join the container's user namespace"));
            }
        }
        if let Some(f) = &self.filter {
            filter::load(f)?;
        }
        // SAFETY: plain system calls on valid arguments in a single-threaded process.
        unsafe {
            let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap").ok().and_then(|s| s.trim().parse::<u32>().ok()).unwrap_or(40);
            for cap in 0..=last.min(63) {
                if w.bounding & (1 << cap) == 0 && libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) != 0 {
                    return Err(err("drop from the bounding set"));
                }
            }
            libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0);
            if libc::setgroups(w.groups.len(), w.groups.as_ptr()) != 0 {
                return Err(err("setgroups"));
            }
            if libc::setresgid(w.gid, w.gid, w.gid) != 0 || libc::setresuid(w.uid, w.uid, w.uid) != 0 {
                return Err(err(&format!("become {}:{}", w.uid, w.gid)));
            }
            libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0);
            #[repr(C)]
            struct Header {
                version: u32,
                pid: i32,
            }
            #[repr(C)]
            #[derive(Clone, Copy)]
            struct Data {
                effective: u32,
                permitted: u32,
                inheritable: u32,
            }
            let hdr = Header { version: 0x2008_0522, pid: 0 };
            let half = |m: u64, i: u32| (m >> (32 * i)) as u32;
            let data = [0, 1].map(|i| Data { effective: half(w.effective, i), permitted: half(w.permitted, i), inheritable: half(w.inheritable, i) });
            if libc::syscall(libc::SYS_capset, &hdr as *const Header, data.as_ptr()) != 0 {
                return Err(err("capset"));
            }
            for cap in 0..64u64 {
                if w.ambient & (1 << cap) != 0 && libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong, cap, 0, 0) != 0 {
                    return Err(err("raise an ambient capability"));
                }
            }
            if w.no_new_privs && libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(err("no_new_privs"));
            }
        }
        Ok(())
    }
}

/// Reports an error like runc: a JSON line in the `--log` file when there is one (stderr
/// may be the container's own), on stderr otherwise.
fn report(log: Option<&std::path::Path>, msg: &str) {
    if let Some(path) = log {
        let line = serde_json::json!({"level": "error", "msg": msg}).to_string() + "\n";
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            use std::io::Write;
            if f.write_all(line.as_bytes()).is_ok() {
                return;
            }
        }
    }
    eprintln!("{msg}");
}

fn main() {
    // Rust ignores SIGPIPE at startup; the container would inherit that.
    runtime::signals::reset();
    let cli = Cli::parse();
    let log = cli.log.clone();
    if let Err(e) = run(cli) {
        report(log.as_deref(), &e);
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_wanted_process_comes_from_the_spec() {
        let p = json!({"user": {"uid": 65534, "gid": 65534, "additionalGids": [10, 20]}, "noNewPrivileges": true,
            "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "ambient": ["CAP_CHOWN"]}});
        let w = Wanted::from_process(&p).unwrap();
        assert_eq!(
            w,
            Wanted { uid: 65534, gid: 65534, groups: vec![10, 20], bounding: 0b10_0001, effective: 0b10_0000, permitted: 0b10_0000, inheritable: 0, ambient: 1, no_new_privs: true }
        );
        let mut root = p.clone();
        as_root_with_all_caps(&mut root);
        assert_eq!((root["user"]["uid"].as_u64(), root.get("noNewPrivileges")), (Some(0), None));
        assert!(Wanted::from_process(&json!({"capabilities": {"bounding": ["CAP_NOPE"]}})).unwrap_err().contains("CAP_NOPE"));
    }
}
