//! The OCI runtime spec (`config.json`) for a container, built from its Docker config.
//!
//! Defaults follow Docker: private PID, IPC, UTS, mount, network and cgroup namespaces;
//! `/proc`, `/dev` (tmpfs), `/dev/pts`, `/dev/shm`, `/dev/mqueue`, read-only `/sys` and
//! `/sys/fs/cgroup`; the 14 default capabilities; the default seccomp profile; masked and
//! read-only `/proc` and `/sys` paths; a device cgroup that denies everything but the
//! standard character devices.

use crate::user::ExecUser;
use api::container::HostConfig;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// How a namespace is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ns {
    /// A new namespace.
    Private,
    /// The host's (no namespace entry).
    Host,
    /// Join an existing one (`/proc/<pid>/ns/<type>`).
    Join(PathBuf),
}

/// A host device to expose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Path inside the container.
    pub path: String,
    /// `c` or `b`.
    pub kind: char,
    /// Major number.
    pub major: i64,
    /// Minor number.
    pub minor: i64,
    /// File mode.
    pub file_mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Cgroup permissions (`rwm`).
    pub access: String,
}

/// Everything the spec is made from.
#[derive(Debug, Clone)]
pub struct SpecInput {
    /// Root filesystem (the mounted overlay).
    pub rootfs: PathBuf,
    /// The command: entrypoint plus cmd.
    pub args: Vec<String>,
    /// Final environment.
    pub env: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// Who the process runs as.
    pub user: ExecUser,
    /// TTY.
    pub terminal: bool,
    /// Host name and domain name.
    pub hostname: String,
    /// Domain name.
    pub domainname: String,
    /// Host-side settings.
    pub host: HostConfig,
    /// Capabilities (already computed and limited to what the host can grant).
    pub caps: Vec<String>,
    /// Seccomp (`None`: unconfined).
    pub seccomp: Option<Value>,
    /// `no-new-privileges`.
    pub no_new_privileges: bool,
    /// Network, PID, IPC, UTS and cgroup namespaces.
    pub net: Ns,
    /// PID namespace.
    pub pid: Ns,
    /// IPC namespace.
    pub ipc: Ns,
    /// UTS namespace.
    pub uts: Ns,
    /// Cgroup namespace.
    pub cgroupns: Ns,
    /// Files bind-mounted over `/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`.
    pub etc_files: Vec<(String, PathBuf)>,
    /// Cgroup path (`/berth/<id>`).
    pub cgroup_path: String,
    /// Devices to create and allow.
    pub devices: Vec<Device>,
    /// An init binary to mount at `/sbin/docker-init` and run as PID 1 (`--init`).
    pub init: Option<PathBuf>,
    /// A user namespace with these mappings (`--userns-remap`); `None`: the host's.
    pub userns: Option<crate::userns::Remap>,
}

/// A spec that cannot be built from the config.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

fn ns(kind: &str, mode: &Ns) -> Option<Value> {
    match mode {
        Ns::Private => Some(json!({"type": kind})),
        Ns::Host => None,
        Ns::Join(p) => Some(json!({"type": kind, "path": p})),
    }
}

/// Masked paths (unless privileged).
pub const MASKED_PATHS: [&str; 12] = [
    "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Read-only paths (unless privileged).
pub const READONLY_PATHS: [&str; 5] = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

fn rlimit_name(n: &str) -> Result<String, SpecError> {
    let known = [
        "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio",
        "rttime", "sigpending", "stack", "as",
    ];
    if known.contains(&n) {
        Ok(format!("RLIMIT_{}", n.to_uppercase()))
    } else {
        Err(SpecError(format!("invalid ulimit type: {n}")))
    }
}

fn parse_bind(b: &str) -> Result<(String, String, Vec<String>), SpecError> {
    let parts: Vec<&str> = b.split(':').collect();
    let (src, dst, opts) = match parts.as_slice() {
        [s, d] => (*s, *d, ""),
        [s, d, o] => (*s, *d, *o),
        _ => return Err(SpecError(format!("invalid volume specification: '{b}'"))),
    };
    if !dst.starts_with('/') {
        return Err(SpecError(format!("invalid volume specification: '{b}': invalid mount config for type \"bind\": invalid mount path: '{dst}' mount path must be absolute")));
    }
    if !src.starts_with('/') {
        return Err(SpecError(format!("named volumes are not supported yet: '{b}' (use an absolute host path)")));
    }
    let mut options = vec!["rbind".to_string()];
    let mut propagation = "rprivate".to_string();
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        match o {
            "ro" => options.push("ro".into()),
            "rw" => options.push("rw".into()),
            "z" | "Z" | "nocopy" | "consistent" | "cached" | "delegated" => {}
            p @ ("private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave") => propagation = p.into(),
            other => return Err(SpecError(format!("invalid mode: {other}"))),
        }
    }
    options.push(propagation);
    Ok((src.into(), dst.into(), options))
}

/// Builds `config.json`.
pub fn build(i: &SpecInput) -> Result<Value, SpecError> {
    let h = &i.host;
    let privileged = h.privileged;
    let mut mounts = vec![
        json!({"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]}),
        json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
        json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]}),
        json!({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", if privileged { "rw" } else { "ro" }]}),
        json!({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", if privileged { "rw" } else { "ro" }]}),
        json!({"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]}),
    ];
    if i.ipc != Ns::Host {
        let shm = if h.shm_size > 0 { h.shm_size } else { 64 << 20 };
        mounts.push(json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", format!("size={shm}")]}));
    } else {
        mounts.push(json!({"destination": "/dev/shm", "type": "bind", "source": "/dev/shm", "options": ["rbind", "rprivate"]}));
    }
    for (dst, src) in &i.etc_files {
        let mut opts = vec!["rbind", "rprivate"];
        if h.readonly_rootfs {
            opts.push("ro");
        }
        mounts.push(json!({"destination": dst, "type": "bind", "source": src, "options": opts}));
    }
    for b in h.binds.iter().flatten() {
        let (src, dst, options) = parse_bind(b)?;
        mounts.push(json!({"destination": dst, "type": "bind", "source": src, "options": options}));
    }
    for m in h.mounts.iter().flatten() {
        match m.kind.as_str() {
            "bind" => {
                if !m.source.starts_with('/') || !m.target.starts_with('/') {
                    return Err(SpecError(format!("invalid mount config for type \"bind\": source {:?} and target {:?} must be absolute", m.source, m.target)));
                }
                let mut o = vec!["rbind".to_string(), "rprivate".to_string()];
                if m.read_only {
                    o.push("ro".into());
                }
                mounts.push(json!({"destination": m.target, "type": "bind", "source": m.source, "options": o}));
            }
            "tmpfs" => {
                let mut o = vec!["nosuid".to_string(), "nodev".to_string(), "noexec".to_string()];
                if let Some(sz) = m.tmpfs_options.as_ref().and_then(|t| t["SizeBytes"].as_i64()) {
                    o.push(format!("size={sz}"));
                }
                if let Some(mode) = m.tmpfs_options.as_ref().and_then(|t| t["Mode"].as_u64()) {
                    o.push(format!("mode={mode:o}"));
                }
                if m.read_only {
                    o.push("ro".into());
                }
                mounts.push(json!({"destination": m.target, "type": "tmpfs", "source": "tmpfs", "options": o}));
            }
            "volume" => return Err(SpecError("volume mounts are not supported yet; use a bind mount".into())),
            other => return Err(SpecError(format!("invalid mount type {other:?}"))),
        }
    }
    for (dst, opts) in h.tmpfs.iter().flatten() {
        let mut o: Vec<String> = vec!["noexec".into(), "nosuid".into(), "nodev".into()];
        o.extend(opts.split(',').filter(|s| !s.is_empty()).map(String::from));
        mounts.push(json!({"destination": dst, "type": "tmpfs", "source": "tmpfs", "options": o}));
    }
    if let Some(init) = &i.init {
        mounts.push(json!({"destination": "/sbin/docker-init", "type": "bind", "source": init, "options": ["rbind", "ro", "rprivate"]}));
    }

    let root = i.user.uid == 0;
    let caps = &i.caps;
    let empty: Vec<String> = Vec::new();
    let capabilities = json!({
        "bounding": caps,
        "effective": if root { caps } else { &empty },
        "permitted": if root { caps } else { &empty },
    });
    let mut rlimits = Vec::new();
    for u in h.ulimits.iter().flatten() {
        rlimits.push(json!({"type": rlimit_name(&u.name)?, "soft": u.soft, "hard": u.hard}));
    }
    let args = match &i.init {
        Some(_) => std::iter::once("/sbin/docker-init".to_string()).chain(std::iter::once("--".to_string())).chain(i.args.iter().cloned()).collect(),
        None => i.args.clone(),
    };
    let mut process = json!({
        "terminal": i.terminal,
        "user": {"uid": i.user.uid, "gid": i.user.gid, "additionalGids": i.user.additional_gids},
        "args": args,
        "env": i.env,
        "cwd": if i.cwd.is_empty() { "/" } else { &i.cwd },
        "capabilities": capabilities,
        "oomScoreAdj": h.oom_score_adj,
    });
    // Only when set: libcontainer 0.7 takes a present `false` for "set", and then loads the
    // seccomp filter after dropping CAP_SYS_ADMIN, which the kernel refuses.
    if i.no_new_privileges {
        process["noNewPrivileges"] = json!(true);
    }
    if !rlimits.is_empty() {
        process["rlimits"] = Value::Array(rlimits);
    }
    if let Some(cs) = h.console_size.as_ref().filter(|c| c.len() == 2 && c[0] > 0) {
        process["consoleSize"] = json!({"height": cs[0], "width": cs[1]});
    }

    let namespaces: Vec<Value> = [("pid", &i.pid), ("network", &i.net), ("ipc", &i.ipc), ("uts", &i.uts), ("cgroup", &i.cgroupns)]
        .iter()
        .filter_map(|(k, m)| ns(k, m))
        .chain(std::iter::once(json!({"type": "mount"})))
        .collect();

    // Device cgroup: deny all, then the standard devices, then the requested ones.
    let mut dev_rules = vec![json!({"allow": false, "access": "rwm"})];
    if privileged {
        dev_rules = vec![json!({"allow": true, "access": "rwm"})];
    } else {
        for (t, maj, min, acc) in [
            ("c", None, None, "m"),
            ("b", None, None, "m"),
            ("c", Some(1), Some(3), "rwm"),
            ("c", Some(1), Some(5), "rwm"),
            ("c", Some(1), Some(7), "rwm"),
            ("c", Some(1), Some(8), "rwm"),
            ("c", Some(1), Some(9), "rwm"),
            ("c", Some(5), Some(0), "rwm"),
            ("c", Some(5), Some(1), "rwm"),
            ("c", Some(5), Some(2), "rwm"),
            ("c", Some(136), None, "rwm"),
            ("c", Some(10), Some(200), "rwm"),
        ] {
            let mut r = json!({"allow": true, "type": t, "access": acc});
            if let Some(m) = maj {
                r["major"] = json!(m);
            }
            if let Some(m) = min {
                r["minor"] = json!(m);
            }
            dev_rules.push(r);
        }
        for d in &i.devices {
            dev_rules.push(json!({"allow": true, "type": d.kind.to_string(), "major": d.major, "minor": d.minor, "access": d.access}));
        }
        for rule in h.device_cgroup_rules.iter().flatten() {
            dev_rules.push(parse_device_rule(rule)?);
        }
    }
    let devices: Vec<Value> = i
        .devices
        .iter()
        .map(|d| json!({"path": d.path, "type": d.kind.to_string(), "major": d.major, "minor": d.minor, "fileMode": d.file_mode, "uid": d.uid, "gid": d.gid}))
        .collect();

    let mut resources = json!({"devices": dev_rules});
    let mut memory = serde_json::Map::new();
    if h.memory > 0 {
        memory.insert("limit".into(), json!(h.memory));
        let swap = match h.memory_swap {
            0 => h.memory * 2,
            s => s,
        };
        memory.insert("swap".into(), json!(swap));
    }
    if h.memory_reservation > 0 {
        memory.insert("reservation".into(), json!(h.memory_reservation));
    }
    if let Some(s) = h.memory_swappiness.filter(|s| *s >= 0) {
        memory.insert("swappiness".into(), json!(s));
    }
    if h.oom_kill_disable == Some(true) {
        memory.insert("disableOOMKiller".into(), json!(true));
    }
    if !memory.is_empty() {
        resources["memory"] = Value::Object(memory);
    }
    let mut cpu = serde_json::Map::new();
    if h.cpu_shares > 0 {
        cpu.insert("shares".into(), json!(h.cpu_shares));
    }
    if h.nano_cpus > 0 {
        let period = 100_000i64;
        cpu.insert("period".into(), json!(period));
        cpu.insert("quota".into(), json!(h.nano_cpus * period / 1_000_000_000));
    } else {
        if h.cpu_period > 0 {
            cpu.insert("period".into(), json!(h.cpu_period));
        }
        if h.cpu_quota > 0 {
            cpu.insert("quota".into(), json!(h.cpu_quota));
        }
    }
    if !h.cpuset_cpus.is_empty() {
        cpu.insert("cpus".into(), json!(h.cpuset_cpus));
    }
    if !h.cpuset_mems.is_empty() {
        cpu.insert("mems".into(), json!(h.cpuset_mems));
    }
    if !cpu.is_empty() {
        resources["cpu"] = Value::Object(cpu);
    }
    if let Some(p) = h.pids_limit.filter(|p| *p != 0) {
        resources["pids"] = json!({"limit": if p < 0 { -1 } else { p }});
    }
    if h.blkio_weight > 0 {
        resources["blockIO"] = json!({"weight": h.blkio_weight});
    }

    let mut linux = json!({
        "namespaces": namespaces,
        "resources": resources,
        "cgroupsPath": i.cgroup_path,
        "devices": devices,
    });
    if let Some(r) = &i.userns {
        let maps = |m: &[crate::userns::IdMap]| -> Value {
            m.iter().map(|r| json!({"containerID": r.container, "hostID": r.host, "size": r.size})).collect()
        };
        linux["namespaces"].as_array_mut().expect("array").push(json!({"type": "user"}));
        linux["uidMappings"] = maps(&r.uids);
        linux["gidMappings"] = maps(&r.gids);
    }
    if !privileged {
        linux["maskedPaths"] = json!(h.masked_paths.clone().unwrap_or_else(|| MASKED_PATHS.iter().map(|s| s.to_string()).collect()));
        linux["readonlyPaths"] = json!(h.readonly_paths.clone().unwrap_or_else(|| READONLY_PATHS.iter().map(|s| s.to_string()).collect()));
    }
    if let Some(s) = &i.seccomp {
        linux["seccomp"] = s.clone();
    }
    if let Some(sys) = &h.sysctls {
        for k in sys.keys() {
            validate_sysctl(k, &i.net, &i.ipc, &i.uts)?;
        }
        linux["sysctl"] = json!(sys);
    }
    let mut spec = json!({
        "ociVersion": "1.0.2",
        "process": process,
        "root": {"path": i.rootfs, "readonly": h.readonly_rootfs},
        "mounts": mounts,
        "linux": linux,
    });
    if i.uts != Ns::Host {
        spec["hostname"] = json!(i.hostname);
        if !i.domainname.is_empty() {
            spec["domainname"] = json!(i.domainname);
        }
    }
    if let Some(a) = &h.annotations {
        spec["annotations"] = json!(a);
    }
    Ok(spec)
}

/// Docker allows only namespaced sysctls, and network/IPC/UTS ones only with their
/// namespace private.
fn validate_sysctl(k: &str, net: &Ns, ipc: &Ns, uts: &Ns) -> Result<(), SpecError> {
    let ipc_ok = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];
    let ok = if ipc_ok.contains(&k) || k.starts_with("fs.mqueue.") {
        *ipc != Ns::Host
    } else if k.starts_with("net.") {
        *net != Ns::Host
    } else if k == "kernel.domainname" || k == "kernel.hostname" {
        *uts != Ns::Host
    } else {
        false
    };
    if ok {
        Ok(())
    } else {
        Err(SpecError(format!("sysctl {k:?} is not allowed in the container's namespaces")))
    }
}

/// Parses a `--device-cgroup-rule` (`c 1:3 rwm`, `a *:* m`).
pub fn parse_device_rule(rule: &str) -> Result<Value, SpecError> {
    let bad = || SpecError(format!("invalid device cgroup rule format: '{rule}'"));
    let f: Vec<&str> = rule.split_whitespace().collect();
    let [t, nums, access] = f.as_slice() else { return Err(bad()) };
    if !matches!(*t, "a" | "b" | "c") || access.is_empty() || !access.chars().all(|c| "rwm".contains(c)) {
        return Err(bad());
    }
    let (maj, min) = nums.split_once(':').ok_or_else(bad)?;
    let n = |s: &str| -> Result<Option<i64>, SpecError> {
        if s == "*" {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(|_| bad())
        }
    };
    let mut r = json!({"allow": true, "type": t, "access": access});
    if let Some(m) = n(maj)? {
        r["major"] = json!(m);
    }
    if let Some(m) = n(min)? {
        r["minor"] = json!(m);
    }
    Ok(r)
}

/// Every device node under `dev` (the host's `/dev`), for `--privileged`, as runc's
/// `HostDevices` finds them: character and block devices in the tree, but not what the
/// runtime makes itself (`pts/`, `shm/`, `mqueue/`, `fd/`, `console`) and not the standard
/// devices it creates anyway.
pub fn host_devices(dev: &Path) -> Vec<Device> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    const SKIP_DIRS: [&str; 7] = ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];
    const STANDARD: [&str; 8] = ["console", "null", "zero", "full", "random", "urandom", "tty", "ptmx"];
    let mut out = Vec::new();
    let mut dirs = vec![dev.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(md) = std::fs::symlink_metadata(&path) else { continue };
            let name = e.file_name().to_string_lossy().into_owned();
            let ft = md.file_type();
            if ft.is_dir() {
                if !SKIP_DIRS.contains(&name.as_str()) {
                    dirs.push(path);
                }
                continue;
            }
            let kind = if ft.is_char_device() {
                'c'
            } else if ft.is_block_device() {
                'b'
            } else {
                continue;
            };
            let Ok(rel) = path.strip_prefix(dev) else { continue };
            if dir == dev && STANDARD.contains(&name.as_str()) {
                continue;
            }
            let (major, minor) = dev_numbers(md.rdev());
            out.push(Device { path: Path::new("/dev").join(rel).display().to_string(), kind, major, minor, file_mode: md.mode() & 0o777, uid: md.uid(), gid: md.gid(), access: "rwm".into() });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Major and minor numbers of a `st_rdev` (glibc's `gnu_dev_major`/`gnu_dev_minor`).
fn dev_numbers(rdev: u64) -> (i64, i64) {
    let major = ((rdev >> 32) & 0xffff_f000) | ((rdev >> 8) & 0xfff);
    let minor = ((rdev >> 12) & 0xffff_ff00) | (rdev & 0xff);
    (major as i64, minor as i64)
}

/// Looks up a host device for `--device host[:container[:perms]]`.
pub fn host_device(spec: &str) -> Result<Device, SpecError> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let parts: Vec<&str> = spec.split(':').collect();
    let (host, container, access) = match parts.as_slice() {
        [h] => (*h, *h, "rwm"),
        [h, c] if c.chars().all(|x| "rwm".contains(x)) && !c.starts_with('/') => (*h, *h, *c),
        [h, c] => (*h, *c, "rwm"),
        [h, c, a] => (*h, *c, *a),
        _ => return Err(SpecError(format!("invalid device specification: {spec}"))),
    };
    let md = std::fs::metadata(Path::new(host)).map_err(|e| SpecError(format!("error gathering device information while adding custom device {host:?}: {e}")))?;
    let kind = if md.file_type().is_char_device() {
        'c'
    } else if md.file_type().is_block_device() {
        'b'
    } else {
        return Err(SpecError(format!("error gathering device information while adding custom device {host:?}: not a device node")));
    };
    let (major, minor) = dev_numbers(md.rdev());
    Ok(Device {
        path: container.into(),
        kind,
        major,
        minor,
        file_mode: md.mode() & 0o777,
        uid: md.uid(),
        gid: md.gid(),
        access: access.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SpecInput {
        SpecInput {
            rootfs: "/r".into(),
            args: vec!["sh".into()],
            env: vec!["PATH=/bin".into()],
            cwd: String::new(),
            user: ExecUser::default(),
            terminal: false,
            hostname: "abc".into(),
            domainname: String::new(),
            host: HostConfig::default(),
            caps: crate::caps::compute(false, &[], &[]).unwrap(),
            seccomp: None,
            no_new_privileges: false,
            net: Ns::Private,
            pid: Ns::Private,
            ipc: Ns::Private,
            uts: Ns::Private,
            cgroupns: Ns::Private,
            etc_files: vec![("/etc/hosts".into(), "/x/hosts".into())],
            cgroup_path: "/berth/abc".into(),
            devices: vec![],
            init: None,
            userns: None,
        }
    }

    #[test]
    fn a_remap_adds_a_user_namespace_with_its_mappings() {
        let mut i = input();
        let m = |host| vec![crate::userns::IdMap { container: 0, host, size: 65536 }];
        i.userns = Some(crate::userns::Remap { user: "u".into(), group: "g".into(), uids: m(100000), gids: m(200000) });
        let s = build(&i).unwrap();
        assert!(s["linux"]["namespaces"].as_array().unwrap().contains(&json!({"type": "user"})));
        assert_eq!(s["linux"]["uidMappings"], json!([{"containerID": 0, "hostID": 100000, "size": 65536}]));
        assert_eq!(s["linux"]["gidMappings"][0]["hostID"], 200000);
    }

    #[test]
    fn defaults_are_dockers() {
        let s = build(&input()).unwrap();
        let ns: Vec<&str> = s["linux"]["namespaces"].as_array().unwrap().iter().map(|n| n["type"].as_str().unwrap()).collect();
        assert_eq!(ns, vec!["pid", "network", "ipc", "uts", "cgroup", "mount"]);
        assert_eq!(s["process"]["capabilities"]["bounding"].as_array().unwrap().len(), 14);
        assert_eq!(s["process"]["cwd"], "/");
        assert!(s["linux"]["maskedPaths"].as_array().unwrap().iter().any(|p| p == "/proc/kcore"));
        assert_eq!(s["linux"]["resources"]["devices"][0], json!({"allow": false, "access": "rwm"}));
        assert_eq!(s["hostname"], "abc");
        let dests: Vec<&str> = s["mounts"].as_array().unwrap().iter().map(|m| m["destination"].as_str().unwrap()).collect();
        for d in ["/proc", "/dev", "/dev/pts", "/sys", "/dev/shm", "/dev/mqueue", "/etc/hosts"] {
            assert!(dests.contains(&d), "{d}");
        }
    }

    #[test]
    fn limits_namespaces_and_privileges_map_like_docker() {
        let mut i = input();
        i.host.memory = 64 << 20;
        i.host.nano_cpus = 1_500_000_000;
        i.host.pids_limit = Some(100);
        i.host.cpuset_cpus = "0".into();
        i.host.binds = Some(vec!["/tmp:/data:ro".into()]);
        i.host.tmpfs = Some([("/run".to_string(), "size=1m".to_string())].into());
        i.host.ulimits = Some(vec![api::container::Ulimit { name: "nofile".into(), soft: 100, hard: 200 }]);
        i.net = Ns::Host;
        i.pid = Ns::Join("/proc/1/ns/pid".into());
        i.user = ExecUser { uid: 1000, gid: 1000, additional_gids: vec![], home: "/".into() };
        let s = build(&i).unwrap();
        let r = &s["linux"]["resources"];
        assert_eq!(r["memory"]["limit"], 64 << 20);
        assert_eq!(r["memory"]["swap"], 128 << 20);
        assert_eq!((r["cpu"]["quota"].as_i64(), r["cpu"]["period"].as_i64()), (Some(150_000), Some(100_000)));
        assert_eq!(r["pids"]["limit"], 100);
        let ns = s["linux"]["namespaces"].as_array().unwrap();
        assert!(!ns.iter().any(|n| n["type"] == "network"));
        assert!(ns.iter().any(|n| n["type"] == "pid" && n["path"] == "/proc/1/ns/pid"));
        assert_eq!(s["process"]["capabilities"]["effective"], json!([]), "non-root users get no effective caps");
        assert_eq!(s["process"]["rlimits"][0], json!({"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}));
        let bind = s["mounts"].as_array().unwrap().iter().find(|m| m["destination"] == "/data").unwrap();
        assert_eq!(bind["options"], json!(["rbind", "ro", "rprivate"]));
        let mut p = input();
        p.host.privileged = true;
        let s = build(&p).unwrap();
        assert!(s["linux"].get("maskedPaths").is_none());
        assert_eq!(s["linux"]["resources"]["devices"][0]["allow"], true);
    }

    #[test]
    fn bad_settings_are_named() {
        let mut i = input();
        i.host.binds = Some(vec!["relative:/x".into()]);
        assert!(build(&i).unwrap_err().0.contains("named volumes"));
        let mut i = input();
        i.host.sysctls = Some([("kernel.panic".to_string(), "1".to_string())].into());
        assert!(build(&i).unwrap_err().0.contains("kernel.panic"));
        let mut i = input();
        i.host.ulimits = Some(vec![api::container::Ulimit { name: "bogus".into(), soft: 1, hard: 1 }]);
        assert!(build(&i).unwrap_err().0.contains("invalid ulimit type: bogus"));
        assert!(parse_device_rule("c 1:3 rwm").is_ok());
        assert!(parse_device_rule("x 1:3 rwm").is_err());
        assert!(host_device("/dev/null").is_ok());
        assert!(host_device("/etc/passwd").is_err());
    }

    #[test]
    fn privileged_containers_get_the_hosts_device_nodes() {
        let devs = host_devices(Path::new("/dev"));
        // Whatever the host has: every entry is a real node, none is one the runtime makes.
        for d in &devs {
            assert!(matches!(d.kind, 'c' | 'b') && d.path.starts_with("/dev/"), "{d:?}");
            assert!(!d.path.starts_with("/dev/pts/") && d.path != "/dev/null" && d.path != "/dev/console", "{d:?}");
        }
        let tmp = std::env::temp_dir().join(format!("berth-devs-{}", std::process::id()));
        std::fs::create_dir_all(tmp.join("pts")).unwrap();
        std::fs::write(tmp.join("notadevice"), b"").unwrap();
        assert!(host_devices(&tmp).is_empty(), "plain files and skipped directories give nothing");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
