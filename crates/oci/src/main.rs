//! berth-oci: an OCI runtime with runc's command line (the subset berth's shim uses:
//! `create`, `start`, `state`, `kill`, `delete`, `exec`, `pause`, `resume`), built on
//! youki's libcontainer. Each invocation is a short-lived, single-threaded process, which
//! is what libcontainer (it clones the calling process) needs. Errors go to stderr; the
//! exit status is non-zero on failure.

use clap::{Parser, Subcommand};
use libcontainer::container::builder::ContainerBuilder;
use libcontainer::container::Container;
use libcontainer::oci_spec::runtime::{LinuxSeccomp, Process, Spec};
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

fn first_arg(process_json: &std::path::Path, key: &[&str]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(process_json).ok()?).ok()?;
    let mut cur = &v;
    for k in key {
        cur = cur.get(k)?;
    }
    cur.get("args")?.get(0)?.as_str().map(String::from)
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
            let args0 = first_arg(&bundle.join("config.json"), &["process"]);
            let bundle = libcontainer_bundle(&bundle)?;
            ContainerBuilder::new(id.clone(), syscall)
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
                .map(|_| ())
                .map_err(|e| docker_message(&format!("{e:?}"), args0.as_deref()))
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
            let args0 = first_arg(&process, &[]);
            let c = container(&cli.root, &id)?;
            exec_seccomp(&c)?;
            let (process, executor) = userns_exec(&c, &process)?;
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

/// The bundle to hand libcontainer: the given one, unless its seccomp filter has
/// `SCMP_CMP_MASKED_EQ` conditions, which libcontainer 0.7 reads with `value` and
/// `valueTwo` the other way round from runc and the runtime spec. Then a corrected copy
/// of config.json (rootfs made absolute) goes to `<bundle>/berth-oci/`, which lives and
/// dies with the bundle; libcontainer records that directory as the container's bundle,
/// so `exec` sees the same filter.
fn libcontainer_bundle(bundle: &std::path::Path) -> Result<PathBuf, String> {
    let path = bundle.join("config.json");
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut spec: serde_json::Value = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let Some(seccomp) = spec.pointer_mut("/linux/seccomp") else { return Ok(bundle.to_path_buf()) };
    let before = seccomp.clone();
    runtime::seccomp::swap_masked_eq_operands(seccomp);
    if *seccomp == before {
        return Ok(bundle.to_path_buf());
    }
    let bundle = std::fs::canonicalize(bundle).map_err(|e| format!("{}: {e}", bundle.display()))?;
    if let Some(root) = spec.pointer_mut("/root/path") {
        let p = PathBuf::from(root.as_str().unwrap_or("rootfs"));
        if p.is_relative() {
            *root = serde_json::Value::String(bundle.join(p).display().to_string());
        }
    }
    let dir = bundle.join("berth-oci");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = serde_json::to_vec(&spec).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("config.json"), out).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// Puts this process under the container's seccomp filter before it joins the container,
/// so the exec'd process inherits it: libcontainer 0.7 applies the filter only to a
/// container's first process. The filter gains `setns` (joining the namespaces needs it,
/// and the kernel still demands CAP_SYS_ADMIN over the target namespace); everything else
/// the join does, the default profile allows.
fn exec_seccomp(c: &Container) -> Result<(), String> {
    let path = c.bundle().join("config.json");
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec: serde_json::Value = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let Some(mut seccomp) = spec.pointer("/linux/seccomp").cloned() else { return Ok(()) };
    if let Some(rules) = seccomp.get_mut("syscalls").and_then(|r| r.as_array_mut()) {
        rules.push(serde_json::json!({"names": ["setns"], "action": "SCMP_ACT_ALLOW"}));
    }
    let filter: LinuxSeccomp = serde_json::from_value(seccomp).map_err(|e| format!("{}: linux.seccomp: {e}", path.display()))?;
    libcontainer::seccomp::initialize_seccomp(&filter).map_err(|e| format!("loading the container's seccomp filter: {e}"))?;
    Ok(())
}

/// libcontainer 0.7 does not put exec'd processes in the container's user namespace
/// (they would run as the host's root). For a container with one, the process joins the
/// container's namespaces as root with every capability, and then [`JoinUserns`] enters
/// the user namespace and becomes the requested user with the requested capabilities,
/// just before exec. Returns the process file to hand libcontainer and the executor.
fn userns_exec(c: &Container, process: &std::path::Path) -> Result<(PathBuf, JoinUserns), String> {
    let path = c.bundle().join("config.json");
    let spec: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let has_userns = spec.pointer("/linux/namespaces").and_then(|n| n.as_array()).is_some_and(|n| n.iter().any(|n| n["type"] == "user"));
    if !has_userns {
        return Ok((process.to_path_buf(), JoinUserns(None)));
    }
    let mut p: serde_json::Value = serde_json::from_slice(&std::fs::read(process).map_err(|e| format!("{}: {e}", process.display()))?)
        .map_err(|e| format!("{}: {e}", process.display()))?;
    let want: Process = serde_json::from_value(p.clone()).map_err(|e| format!("{}: {e}", process.display()))?;
    let all = runtime::caps::host_bounding();
    p["user"] = serde_json::json!({"uid": 0, "gid": 0});
    p["capabilities"] = serde_json::json!({"bounding": all, "effective": all, "permitted": all});
    if let Some(o) = p.as_object_mut() {
        o.remove("noNewPrivileges");
    }
    let joined = process.with_extension("userns.json");
    std::fs::write(&joined, serde_json::to_vec(&p).map_err(|e| e.to_string())?).map_err(|e| format!("{}: {e}", joined.display()))?;
    Ok((joined, JoinUserns(Some(want))))
}

/// The executor of [`userns_exec`]: with a process to become, enters the user namespace
/// of the container's PID 1 first; otherwise libcontainer's default.
#[derive(Clone)]
struct JoinUserns(Option<Process>);

impl Executor for JoinUserns {
    fn exec(&self, spec: &Spec) -> Result<(), ExecutorError> {
        if let Some(want) = &self.0 {
            join_userns(want).map_err(ExecutorError::Other)?;
        }
        DefaultExecutor {}.exec(spec)
    }

    fn validate(&self, spec: &Spec) -> Result<(), ExecutorValidationError> {
        DefaultExecutor {}.validate(spec)
    }
}

/// In the exec'd process (single-threaded, in the container's mount and PID namespaces,
/// root with every capability): joins PID 1's user namespace, then sets groups, IDs,
/// capabilities and no_new_privs as the process asks.
fn join_userns(want: &Process) -> Result<(), String> {
    let ns = std::fs::File::open("/proc/1/ns/user").map_err(|e| format!("open the container's user namespace: {e}"))?;
    let u = want.user();
    let groups: Vec<libc::gid_t> = u.additional_gids().clone().unwrap_or_default();
    // SAFETY: plain system calls on valid arguments in a single-threaded process.
    unsafe {
        if libc::setns(std::os::fd::AsRawFd::as_raw_fd(&ns), libc::CLONE_NEWUSER) != 0 {
            return Err(format!("join the container's user namespace: {}", std::io::Error::last_os_error()));
        }
        libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0);
        if libc::setgroups(groups.len(), groups.as_ptr()) != 0 {
            return Err(format!("setgroups: {}", std::io::Error::last_os_error()));
        }
        if libc::setresgid(u.gid(), u.gid(), u.gid()) != 0 || libc::setresuid(u.uid(), u.uid(), u.uid()) != 0 {
            return Err(format!("become {}:{}: {}", u.uid(), u.gid(), std::io::Error::last_os_error()));
        }
    }
    let none = Default::default();
    let caps = want.capabilities().clone().unwrap_or(none);
    libcontainer::capabilities::drop_privileges(&caps, libcontainer::syscall::syscall::create_syscall().as_ref())
        .map_err(|e| format!("set capabilities: {e}"))?;
    if want.no_new_privileges() == Some(true) {
        // SAFETY: a plain prctl.
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    }
    Ok(())
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

/// Restores default dispositions and an empty mask for every signal: the container's
/// process inherits them across exec, and Rust ignores SIGPIPE at startup (a shell in the
/// container would then never die of a closed pipe). The raw system call, because glibc
/// refuses to touch its own signals 32 and 33.
fn reset_signals() {
    let dfl = [0u64; 4];
    let empty = 0u64;
    unsafe {
        libc::syscall(libc::SYS_rt_sigprocmask, libc::SIG_SETMASK, &empty as *const u64, std::ptr::null_mut::<u64>(), 8usize);
        for sig in 1..=64 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::syscall(libc::SYS_rt_sigaction, sig, dfl.as_ptr(), std::ptr::null_mut::<u64>(), 8usize);
            }
        }
    }
}

fn main() {
    reset_signals();
    let cli = Cli::parse();
    let log = cli.log.clone();
    if let Err(e) = run(cli) {
        report(log.as_deref(), &e);
        std::process::exit(1);
    }
}
