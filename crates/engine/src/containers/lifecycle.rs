//! Start, stop, kill, restart, pause, wait, remove, rename, prune, attach — and the monitor
//! that learns about exits from the shim and applies restart policies.

use super::shim::{self, AttachRequest, PendingAttach, ShimSpawn};
use super::{ContainerRecord, Ctr};
use crate::events::attrs;
use crate::{Engine, Error, ErrorKind, Result};
use api::container::HostConfig;
use runtime::spec::{Ns, SpecInput};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What `--security-opt` asks for.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SecurityOpts {
    pub no_new_privileges: bool,
    /// `Some(None)`: unconfined; `Some(Some(json))`: a custom profile.
    pub seccomp: Option<Option<String>>,
    pub unmask_paths: bool,
}

/// Parses one `--security-opt` value (Docker's forms, `key=value` or `key:value`).
pub(crate) fn parse_security_opt(o: &str) -> Result<(String, String)> {
    let (k, v) = o.split_once('=').or_else(|| o.split_once(':')).unwrap_or((o, ""));
    match k {
        "no-new-privileges" => {
            if !matches!(v, "" | "true" | "false") {
                return Err(Error::invalid(format!("invalid --security-opt 2: {o:?}")));
            }
        }
        "seccomp" | "apparmor" | "label" | "systempaths" => {}
        _ => return Err(Error::invalid(format!("invalid --security-opt 2: {o:?}"))),
    }
    Ok((k.to_string(), v.to_string()))
}

/// The container's `--security-opt`s over the daemon's defaults (daemon.json's
/// `no-new-privileges` and `seccomp-profile`: a file, `builtin` or `unconfined`).
fn security(h: &HostConfig, daemon: &serde_json::Map<String, serde_json::Value>) -> Result<SecurityOpts> {
    let mut s = SecurityOpts { no_new_privileges: daemon.get("no-new-privileges").and_then(|v| v.as_bool()).unwrap_or(false), ..Default::default() };
    match daemon.get("seccomp-profile").and_then(|v| v.as_str()) {
        None | Some("" | "builtin") => {}
        Some("unconfined") => s.seccomp = Some(None),
        Some(path) => {
            let profile = std::fs::read_to_string(path).map_err(|e| Error::internal(format!("the daemon's seccomp-profile {path}: {e}")))?;
            s.seccomp = Some(Some(profile));
        }
    }
    for o in h.security_opt.iter().flatten() {
        let (k, v) = parse_security_opt(o)?;
        match k.as_str() {
            "no-new-privileges" => s.no_new_privileges = v != "false",
            "seccomp" if v == "unconfined" => s.seccomp = Some(None),
            "seccomp" if v == "builtin" => s.seccomp = None,
            "seccomp" => s.seccomp = Some(Some(v)),
            "systempaths" if v == "unconfined" => s.unmask_paths = true,
            _ => {}
        }
    }
    Ok(s)
}

/// Checks a log configuration as dockerd's `ValidateLogOpts` does: a known driver, and for
/// json-file only its options with valid values (`none` ignores options).
pub(crate) fn validate_log_config(lc: &api::container::LogConfig) -> Result<()> {
    match lc.kind.as_str() {
        "" | "json-file" => {}
        "none" => return Ok(()),
        other => return Err(Error::invalid(format!("logger: no log driver named '{other}' is registered (berth supports json-file and none)"))),
    }
    log_limits(&lc.config)?;
    super::logs::log_attrs(&lc.config, &Default::default(), &[])?;
    super::logs::log_tag(&lc.config, &serde_json::Value::Null)?;
    Ok(())
}

/// `max-size` and `max-file` of the json-file log (rotated by default: 10 MB × 3).
pub(crate) fn log_limits(opts: &std::collections::BTreeMap<String, String>) -> Result<(u64, u32)> {
    let size = match opts.get("max-size") {
        None => 10 << 20,
        Some(s) if s == "-1" => 0,
        Some(s) => parse_size(s).ok_or_else(|| Error::invalid(format!("invalid max-size {s:?}")))?,
    };
    let files = match opts.get("max-file") {
        None => 3,
        Some(s) => s.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| Error::invalid(format!("invalid max-file {s:?}: must be at least 1")))?,
    };
    for k in opts.keys() {
        if !matches!(k.as_str(), "max-size" | "max-file" | "compress" | "labels" | "labels-regex" | "env" | "env-regex" | "tag" | "mode" | "max-buffer-size") {
            return Err(Error::invalid(format!("unknown log opt '{k}' for json-file log driver")));
        }
    }
    Ok((size, files))
}

/// The container's /etc/resolv.conf from the host's and the DNS settings (the `--dns*`
/// flags, else daemon.json's `dns*`). A setting's list replaces the host's lines of its kind;
/// empty keeps them. Outside the host's network namespace, the host's loopback resolvers are
/// unreachable and IPv6 ones unusable (containers get no IPv6): without any other,
/// Docker's defaults (Google's) stand in.
pub(crate) fn resolv_conf(host: &str, dns: &[String], search: &[String], options: &[String], host_net: bool) -> String {
    let (mut ns, mut search, mut opts) = (dns.to_vec(), search.to_vec(), options.to_vec());
    let (own_ns, own_search, own_opts) = (!ns.is_empty(), !search.is_empty(), !opts.is_empty());
    for l in host.lines() {
        let mut f = l.split_whitespace();
        match f.next() {
            Some("nameserver") if !own_ns => {
                if let Some(a) = f.next().filter(|a| host_net || !(a.starts_with("127.") || a.contains(':'))) {
                    ns.push(a.to_string());
                }
            }
            Some("search") if !own_search => search.extend(f.map(String::from)),
            Some("options") if !own_opts => opts.extend(f.map(String::from)),
            _ => {}
        }
    }
    if ns.is_empty() && !host_net {
        ns = vec!["8.8.8.8".into(), "8.8.4.4".into()];
    }
    let mut out: String = ns.iter().map(|n| format!("nameserver {n}\n")).collect();
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    if !opts.is_empty() {
        out.push_str(&format!("options {}\n", opts.join(" ")));
    }
    out
}

/// The host's resolver configuration as dockerd picks it: `/etc/resolv.conf`, unless it
/// names only systemd-resolved's stub (`127.0.0.53`) and the container has a network of
/// its own, then the upstream servers in `/run/systemd/resolve/resolv.conf`.
fn host_resolv_conf(host_net: bool) -> String {
    let etc = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let servers: Vec<&str> = etc.lines().filter_map(|l| l.trim().strip_prefix("nameserver")).map(str::trim).collect();
    if !host_net && !servers.is_empty() && servers.iter().all(|s| *s == "127.0.0.53") {
        if let Ok(upstream) = std::fs::read_to_string("/run/systemd/resolve/resolv.conf") {
            return upstream;
        }
    }
    etc
}

/// Docker's RAM sizes: `10m`, `1g`, `512k`, `1024` (binary units).
pub(crate) fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim().to_lowercase();
    let (num, mult) = match s.trim_end_matches('b').chars().last()? {
        'k' => (&s[..s.trim_end_matches('b').len() - 1], 1u64 << 10),
        'm' => (&s[..s.trim_end_matches('b').len() - 1], 1 << 20),
        'g' => (&s[..s.trim_end_matches('b').len() - 1], 1 << 30),
        't' => (&s[..s.trim_end_matches('b').len() - 1], 1 << 40),
        _ => (s.trim_end_matches('b'), 1),
    };
    let v: f64 = num.parse().ok()?;
    (v >= 0.0).then(|| (v * mult as f64) as u64)
}

fn host_arch() -> &'static str {
    crate::images::import::host_arch()
}

/// An OCI runtime: its binary and the arguments (daemon.json `runtimeArgs`) that go before
/// every command.
pub(crate) struct Runtime {
    pub path: String,
    pub args: Vec<String>,
}

impl Engine {
    /// daemon.json's `default-runtime`, else berth-oci.
    pub(crate) fn default_runtime(&self) -> &str {
        self.config.daemon_json.get("default-runtime").and_then(|v| v.as_str()).filter(|r| !r.is_empty()).unwrap_or("berth-oci")
    }

    /// The runtime `name` (empty: the default): daemon.json `runtimes`, berth-oci next to
    /// berthd, or runc, crun or youki on PATH.
    pub(crate) fn runtime(&self, name: &str) -> Result<Runtime> {
        let name = if name.is_empty() { self.default_runtime() } else { name };
        if let Some(r) = self.config.daemon_json.get("runtimes").and_then(|r| r.get(name)) {
            let path = r.get("path").and_then(|p| p.as_str()).filter(|p| !p.is_empty()).ok_or_else(|| Error::invalid(format!("runtime {name} has no path in daemon.json")))?;
            let args = r.get("runtimeArgs").and_then(|a| a.as_array()).into_iter().flatten().filter_map(|a| a.as_str().map(String::from)).collect();
            return Ok(Runtime { path: path.to_string(), args });
        }
        if name == "berth-oci" {
            return Ok(Runtime { path: shim::sibling_binary("berth-oci").display().to_string(), args: Vec::new() });
        }
        let found = std::env::var("PATH").unwrap_or_default().split(':').map(|d| std::path::Path::new(d).join(name)).find(|p| p.exists());
        match found {
            Some(p) if matches!(name, "runc" | "crun" | "youki") => Ok(Runtime { path: p.display().to_string(), args: Vec::new() }),
            _ => Err(Error::invalid(format!("unknown or invalid runtime name: {name}"))),
        }
    }

    /// A command line of the container's runtime, with its arguments and state root.
    fn runtime_command(&self, rec: &ContainerRecord) -> Result<std::process::Command> {
        let rt = self.runtime(&rec.host_config.runtime)?;
        let mut c = std::process::Command::new(rt.path);
        c.args(rt.args).arg("--root").arg(self.config.exec_root.join("oci"));
        Ok(c)
    }

    /// Runtimes `--runtime` accepts, for `info`.
    pub(crate) fn runtimes(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        let configured = self.config.daemon_json.get("runtimes").and_then(|r| r.as_object()).map(|r| r.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
        for name in ["berth-oci", "runc", "crun", "youki"].into_iter().map(String::from).chain(configured) {
            if let Ok(r) = self.runtime(&name) {
                let mut v = serde_json::json!({"path": r.path});
                if !r.args.is_empty() {
                    v["runtimeArgs"] = serde_json::json!(r.args);
                }
                m.insert(name, v);
            }
        }
        serde_json::Value::Object(m)
    }

    fn namespace(&self, mode: &str, kind: &str) -> Result<Ns> {
        if mode == "host" {
            return Ok(Ns::Host);
        }
        if let Some(other) = mode.strip_prefix("container:") {
            let c = self.container(other)?;
            let r = c.rec();
            if r.state.status != "running" && r.state.status != "paused" {
                return Err(Error::conflict(format!("cannot join network namespace of a non running container: container {} is {}", r.name, r.state.status)));
            }
            return Ok(Ns::Join(format!("/proc/{}/ns/{kind}", r.state.pid).into()));
        }
        Ok(Ns::Private)
    }

    /// Writes /etc/hostname, /etc/hosts and /etc/resolv.conf for the container.
    fn etc_files(&self, rec: &ContainerRecord, dir: &std::path::Path, host_net: bool) -> Result<Vec<(String, std::path::PathBuf)>> {
        let h = &rec.host_config;
        let hostname = rec.config.hostname.clone().unwrap_or_default();
        let io = |e: std::io::Error| Error::internal(format!("writing /etc files: {e}"));
        let mut files = Vec::new();
        let hn = dir.join("hostname");
        std::fs::write(&hn, format!("{hostname}\n")).map_err(io)?;
        files.push(("/etc/hostname".to_string(), hn));
        let mut hosts = if host_net {
            std::fs::read_to_string("/etc/hosts").unwrap_or_default()
        } else {
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n".to_string()
        };
        for e in h.extra_hosts.iter().flatten() {
            let (name, ip) = e.split_once(':').or_else(|| e.split_once('=')).ok_or_else(|| Error::invalid(format!("bad format for add-host: {e:?}")))?;
            let ip = if ip == "host-gateway" { "127.0.0.1" } else { ip };
            hosts.push_str(&format!("{ip}\t{name}\n"));
        }
        let hp = dir.join("hosts");
        std::fs::write(&hp, hosts).map_err(io)?;
        files.push(("/etc/hosts".to_string(), hp));
        // The container's settings, else the daemon's (daemon.json `dns`, `dns-search`, `dns-opts`).
        let setting = |mine: &Option<Vec<String>>, key: &str| -> Vec<String> {
            match mine.as_deref() {
                Some(v) if !v.is_empty() => v.to_vec(),
                _ => self.config.daemon_json.get(key).and_then(|v| v.as_array()).into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect(),
            }
        };
        let resolv = resolv_conf(&host_resolv_conf(host_net), &setting(&h.dns, "dns"), &setting(&h.dns_search, "dns-search"), &setting(&h.dns_options, "dns-opts"), host_net);
        let rp = dir.join("resolv.conf");
        std::fs::write(&rp, resolv).map_err(io)?;
        files.push(("/etc/resolv.conf".to_string(), rp));
        Ok(files)
    }

    /// `POST /containers/{id}/start`.
    pub fn start_container(&self, name: &str) -> Result<()> {
        let c = self.container(name)?;
        let _op = c.op.lock().unwrap_or_else(|p| p.into_inner());
        match c.rec().state.status.as_str() {
            "running" | "restarting" => return Err(Error::new(ErrorKind::NotModified, "container already started")),
            "paused" => return Err(Error::conflict("cannot start a paused container, try unpause instead")),
            "removing" | "dead" => return Err(Error::conflict("container is marked for removal and cannot be started")),
            _ => {}
        }
        self.update(&c, |r| r.manually_stopped = false)?;
        self.start_locked(&c)
    }

    /// Starts a container whose op lock the caller holds.
    pub(crate) fn start_locked(&self, c: &Arc<Ctr>) -> Result<()> {
        let rec = c.rec().clone();
        match self.launch(&rec) {
            Ok(pid) => {
                // Attach requests that were waiting for this start get their streams now,
                // before the process runs, so they see all of its output.
                let pending: Vec<PendingAttach> = std::mem::take(&mut *c.pending.lock().unwrap_or_else(|p| p.into_inner()));
                let sock = self.paths(&rec.id).socket();
                for p in pending {
                    let r = shim::open_stream(&sock, &p.req.line("init")).map(|(s, _)| s);
                    let _ = p.reply.send(r);
                }
                let waiter = shim::open_wait(&sock, "init").ok();
                if let Err(e) = shim::request(&sock, "start\n") {
                    let _ = shim::request(&sock, "kill init 9\n");
                    self.fail_start(c, &e.message);
                    return Err(shim::classify_start_error(e.message));
                }
                let has_health = rec.config.healthcheck.as_ref().and_then(|h| h.test.as_ref()).is_some_and(|t| !t.is_empty() && t[0] != "NONE");
                self.update(c, |r| {
                    r.state.status = "running".into();
                    r.state.pid = pid;
                    r.state.started_at = api::time::now_rfc3339();
                    r.state.error.clear();
                    r.state.oom_killed = false;
                    r.has_been_started = true;
                    r.state.health = has_health.then(|| api::container::Health { status: "starting".into(), ..Default::default() });
                })?;
                self.events.publish("container", "start", &rec.id, attrs([("image", rec.config.image.clone().unwrap_or_default()), ("name", rec.name.clone())]));
                self.spawn_monitor(c.clone(), waiter);
                if has_health {
                    self.spawn_health(c.clone());
                }
                Ok(())
            }
            Err(e) => {
                self.fail_start(c, &e.message);
                Err(e)
            }
        }
    }

    /// A start that failed: record the error and exit code (127/126 like Docker).
    fn fail_start(&self, c: &Arc<Ctr>, msg: &str) {
        let id = c.rec().id.clone();
        let paths = self.paths(&id);
        unmount_rootfs(&paths);
        let _ = std::fs::remove_dir_all(&paths.state);
        let code = if msg.contains("executable file not found") || msg.contains("no such file or directory") {
            127
        } else if msg.contains("permission denied") {
            126
        } else {
            128
        };
        let _ = self.update(c, |r| {
            r.state.status = if r.has_been_started { "exited".into() } else { "created".into() };
            r.state.exit_code = code;
            r.state.error = msg.to_string();
            r.state.pid = 0;
        });
        // Waiters for the next exit learn about the failed start as an exit.
        *c.exits.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        c.changed.notify_all();
        for p in std::mem::take(&mut *c.pending.lock().unwrap_or_else(|p| p.into_inner())) {
            let _ = p.reply.send(Err(Error::conflict(msg.to_string())));
        }
        // `run --rm` waits for the removal, also after a failed start (as with Docker).
        if c.rec().host_config.auto_remove {
            let me = self.me();
            std::thread::spawn(move || {
                let _ = me.remove_container(&id, true, false);
            });
        }
    }

    /// Writes the bundle and spawns the shim, which mounts the root filesystem in a mount
    /// namespace of its own (see `runtime::rootfs`): the container is created (its process
    /// waits for `start`). Returns its PID.
    fn launch(&self, rec: &ContainerRecord) -> Result<i64> {
        let paths = self.paths(&rec.id);
        // Left by a berthd that mounted root filesystems in its own namespace.
        unmount_rootfs(&paths);
        let _ = std::fs::remove_dir_all(&paths.state);
        std::fs::create_dir_all(&paths.state).map_err(|e| Error::internal(format!("create {}: {e}", paths.state.display())))?;
        let top = self.top_layer(rec)?;
        let mount = self.store.overlay_mount(top.as_ref(), &paths.upper(), &paths.work())?;
        let mut rootfs = runtime::rootfs::Rootfs {
            target: paths.merged(),
            fstype: mount.fstype.clone(),
            source: mount.source.clone(),
            data: mount.data(),
            cwd: mount.cwd.clone(),
            idmapped: None,
        };
        if let (Some(remap), Some(top)) = (self.remap(rec), top.as_ref()) {
            self.idmapped_lowers(remap, top, &paths, &mut rootfs)?;
        }
        self.write_bundle_and_spawn(rec, &paths, &rootfs)
    }

    /// The container's image's top layer; the image may be gone (`rmi -f`), but the
    /// container's hold kept its layers.
    fn top_layer(&self, rec: &ContainerRecord) -> Result<Option<store::Digest>> {
        let image = store::Digest::parse(&rec.image_id)?;
        match self.store.image(&image)?.and_then(|r| r.top_layer) {
            Some(t) => Ok(Some(t)),
            None => Ok(self.store.records("layerhold")?.into_iter().find(|(k, _)| *k == rec.id).and_then(|(_, v)| store::Digest::parse(&String::from_utf8_lossy(&v)).ok())),
        }
    }

    /// The directories whose overlay is the container's root, top first: its writable
    /// layer, then the image's (for reading files such as /etc/passwd without a mount).
    pub(crate) fn rootfs_layers(&self, rec: &ContainerRecord) -> Result<Vec<std::path::PathBuf>> {
        let mut layers = vec![self.paths(&rec.id).upper()];
        if let Some(top) = self.top_layer(rec)? {
            layers.extend(self.store.lower_dirs(&top)?);
        }
        Ok(layers)
    }

    /// The user-namespace mapping a container runs with: the daemon's `--userns-remap`,
    /// unless the container asked for `--userns host`.
    pub(crate) fn remap(&self, rec: &ContainerRecord) -> Option<&runtime::userns::Remap> {
        self.config.userns_remap.as_ref().filter(|_| rec.host_config.userns_mode != "host")
    }

    /// For a remapped container: each image layer is to be bind-mounted, idmapped to the
    /// container's user namespace, under `<container>/m/<n>` (no copy of any layer: a file
    /// owned by 0 in the image shows as the container's root), and the overlay made of
    /// those; the writable layer is owned by that root.
    fn idmapped_lowers(&self, remap: &runtime::userns::Remap, top: &store::Digest, paths: &super::Paths, rootfs: &mut runtime::rootfs::Rootfs) -> Result<()> {
        let base = paths.dir.join("m");
        let mut lowers = Vec::new();
        let mut binds = Vec::new();
        for (n, dir) in self.store.lower_dirs(top)?.into_iter().enumerate() {
            let at = base.join(n.to_string());
            std::fs::create_dir_all(&at).map_err(|e| Error::internal(format!("create {}: {e}", at.display())))?;
            binds.push((dir, at));
            lowers.push(format!("m/{n}"));
        }
        for d in [paths.upper(), paths.work()] {
            std::os::unix::fs::lchown(&d, Some(remap.root_uid()), Some(remap.root_gid()))
                .map_err(|e| Error::internal(format!("chown {}: {e}", d.display())))?;
        }
        let m = store::mount::Mount::overlay(&paths.dir, &lowers, &paths.upper(), &paths.work());
        rootfs.data = m.data();
        rootfs.cwd = m.cwd;
        rootfs.idmapped = Some(runtime::rootfs::Idmapped { uid_map: remap.uid_map(), gid_map: remap.gid_map(), binds });
        Ok(())
    }

    fn write_bundle_and_spawn(&self, rec: &ContainerRecord, paths: &super::Paths, rootfs: &runtime::rootfs::Rootfs) -> Result<i64> {
        let h = &rec.host_config;
        let c = &rec.config;
        let net = match h.network_mode.as_str() {
            "host" => Ns::Host,
            m if m.starts_with("container:") => self.namespace(m, "net")?,
            _ => Ns::Private,
        };
        let pid = self.namespace(&h.pid_mode, "pid")?;
        let ipc = match h.ipc_mode.as_str() {
            "host" => Ns::Host,
            m if m.starts_with("container:") => self.namespace(m, "ipc")?,
            _ => Ns::Private,
        };
        let uts = if h.uts_mode == "host" { Ns::Host } else { Ns::Private };
        let cgroupns = if h.cgroupns_mode == "host" { Ns::Host } else { Ns::Private };
        let user = runtime::user::resolve(&self.rootfs_layers(rec)?, c.user.as_deref().unwrap_or(""), h.group_add.as_deref().unwrap_or(&[]))
            .map_err(|e| Error::invalid(e.0))?;
        let mut env = c.env.clone().unwrap_or_default();
        complete_env(&mut env, (uts != Ns::Host).then(|| c.hostname.clone().unwrap_or_default()).as_deref(), c.tty == Some(true), &user.home);
        let etc = self.etc_files(rec, &paths.dir, net == Ns::Host)?;
        if let Some(r) = self.remap(rec) {
            // The container's root may edit them, as with Docker.
            for (_, f) in &etc {
                let _ = std::os::unix::fs::lchown(f, Some(r.root_uid()), Some(r.root_gid()));
            }
        }
        let sec = security(h, &self.config.daemon_json)?;
        let caps_wanted = runtime::caps::compute(h.privileged, h.cap_add.as_deref().unwrap_or(&[]), h.cap_drop.as_deref().unwrap_or(&[])).map_err(Error::invalid)?;
        let bounding = runtime::caps::host_bounding();
        let caps: Vec<String> = caps_wanted.into_iter().filter(|c| bounding.contains(c)).collect();
        let seccomp = if h.privileged {
            None
        } else {
            match &sec.seccomp {
                Some(None) => None,
                Some(Some(profile)) => Some(
                    runtime::seccomp::to_oci(profile, &caps, host_arch(), kernel()).map_err(|e| Error::invalid(e.to_string()))?,
                ),
                None => Some(runtime::seccomp::default_for(&caps)),
            }
        };
        // Privileged containers see the host's devices, as with dockerd.
        let mut devices = if h.privileged { runtime::spec::host_devices(std::path::Path::new("/dev")) } else { Vec::new() };
        for d in h.devices.iter().flatten() {
            let spec = if d.path_in_container.is_empty() { d.path_on_host.clone() } else { format!("{}:{}:{}", d.path_on_host, d.path_in_container, if d.cgroup_permissions.is_empty() { "rwm" } else { &d.cgroup_permissions }) };
            let dev = runtime::spec::host_device(&spec).map_err(|e| Error::invalid(e.0))?;
            // One node per path: a --device of a privileged container replaces the host's.
            devices.retain(|x: &runtime::spec::Device| x.path != dev.path);
            devices.push(dev);
        }
        let mut host = h.clone();
        if sec.unmask_paths {
            host.masked_paths = Some(Vec::new());
            host.readonly_paths = Some(Vec::new());
        }
        let cgroup_path = format!("{}/{}", if h.cgroup_parent.is_empty() { self.default_cgroup_parent() } else { h.cgroup_parent.trim_end_matches('/') }, rec.id);
        let mut args = vec![rec.path.clone()];
        args.extend(rec.args.iter().cloned());
        let input = SpecInput {
            rootfs: rootfs.target.clone(),
            args,
            env,
            cwd: c.working_dir.clone().unwrap_or_default(),
            user,
            terminal: c.tty == Some(true),
            hostname: c.hostname.clone().unwrap_or_default(),
            domainname: c.domainname.clone().unwrap_or_default(),
            host,
            caps,
            seccomp,
            no_new_privileges: sec.no_new_privileges,
            net,
            pid,
            ipc,
            uts,
            cgroupns,
            etc_files: etc,
            cgroup_path: cgroup_path.clone(),
            devices,
            userns: self.remap(rec).cloned(),
            init: if h.init.unwrap_or_else(|| self.config.daemon_json.get("init").and_then(|v| v.as_bool()).unwrap_or(false)) {
                Some(self.init_binary()?)
            } else {
                None
            },
        };
        let spec = runtime::spec::build(&input).map_err(|e| Error::invalid(e.0))?;
        let bundle = paths.state.clone();
        std::fs::write(bundle.join("config.json"), serde_json::to_vec(&spec).expect("spec")).map_err(|e| Error::internal(format!("writing the bundle: {e}")))?;
        let no_log = h.log_config.kind == "none";
        let (log_max_size, log_max_files) = if no_log { (0, 1) } else { log_limits(&h.log_config.config)? };
        let mut log_attrs = if no_log { Default::default() } else { super::logs::log_attrs(&h.log_config.config, &c.labels.clone().unwrap_or_default(), c.env.as_deref().unwrap_or(&[]))? };
        if !no_log && h.log_config.config.contains_key("tag") {
            let image_name = c.image.clone().unwrap_or_default();
            let fields = serde_json::json!({
                "ID": &rec.id[..12], "FullID": rec.id, "Name": rec.name,
                "ImageID": rec.image_id.trim_start_matches("sha256:").chars().take(12).collect::<String>(), "ImageFullID": rec.image_id, "ImageName": image_name,
                "DaemonName": "docker", "Command": std::iter::once(rec.path.clone()).chain(rec.args.iter().cloned()).collect::<Vec<_>>().join(" "),
            });
            if let Some(tag) = super::logs::log_tag(&h.log_config.config, &fields)? {
                log_attrs.insert("tag".into(), tag);
            }
        }
        let log = paths.log(&rec.id);
        let runtime = self.runtime(&h.runtime)?;
        let shim_bin = shim::sibling_binary("berth-shim");
        let runtime_root = self.config.exec_root.join("oci");
        shim::spawn(&ShimSpawn {
            shim: &shim_bin,
            id: &rec.id,
            bundle: &bundle,
            state: &paths.state,
            runtime: &runtime.path,
            runtime_args: &runtime.args,
            runtime_root: &runtime_root,
            log: if no_log { std::path::Path::new("") } else { &log },
            log_max_size,
            log_max_files,
            log_attrs: &log_attrs,
            tty: c.tty == Some(true),
            stdin: c.open_stdin == Some(true),
            stdin_once: c.stdin_once == Some(true),
            cgroup: &cgroup_path,
            rootfs,
        })
    }

    /// The init for `--init`, bind-mounted into the container at /sbin/docker-init: like
    /// dockerd, daemon.json's `init-path`, else `docker-init` next to berthd or on PATH,
    /// else Debian's `tini-static`. It must be static: it runs on the image's libraries.
    fn init_binary(&self) -> Result<std::path::PathBuf> {
        if let Some(p) = self.config.daemon_json.get("init-path").and_then(|v| v.as_str()).filter(|p| !p.is_empty()) {
            return Ok(p.into());
        }
        let sibling = shim::sibling_binary("docker-init");
        let path = std::env::var("PATH").unwrap_or_default();
        let on_path = ["docker-init", "tini-static"].into_iter().flat_map(|name| path.split(':').map(move |d| std::path::Path::new(d).join(name)));
        std::iter::once(sibling)
            .chain(on_path)
            .find(|p| p.is_absolute() && p.is_file())
            .ok_or_else(|| Error::invalid("--init needs a static init binary: install tini (Debian's tini-static) or set init-path in daemon.json"))
    }

    /// Watches a running container's shim for its exit, on `waiter` (a `wait init`
    /// connection opened before the start, so that no exit can be missed) or a new one.
    pub(crate) fn spawn_monitor(&self, c: Arc<Ctr>, waiter: Option<UnixStream>) {
        let id = c.rec().id.clone();
        let waiter = waiter.or_else(|| shim::open_wait(&self.paths(&id).socket(), "init").ok());
        if let (Some(w), Some(m)) = (waiter, self.monitor.get()) {
            if m.watch(w, c.clone()).is_ok() {
                return;
            }
        }
        // No shim to ask (or no way to watch it): the exit file says how it ended.
        self.exited(c, None);
    }

    /// Handles an exit off the watcher's thread (handling may wait for locks).
    pub(crate) fn exited(&self, c: Arc<Ctr>, exit: Option<shim::Exit>) {
        let me = self.me();
        std::thread::Builder::new()
            .name("exit".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let state = me.paths(&c.rec().id).state;
                // The shim is gone: its exit file says how the container ended, if it did.
                let exit = exit.or_else(|| shim::read_exit_file(&state));
                let exit = exit.unwrap_or(shim::Exit { code: 255, oom: false, at: api::time::now_rfc3339() });
                me.handle_exit(&c, exit);
            })
            .ok();
    }

    /// A container's main process ended.
    fn handle_exit(&self, c: &Arc<Ctr>, exit: shim::Exit) {
        let rec = c.rec().clone();
        let paths = self.paths(&rec.id);
        unmount_rootfs(&paths);
        let _ = std::fs::remove_dir_all(&paths.state);
        let policy = rec.host_config.restart_policy.clone();
        let ran_for = api::time::parse_rfc3339(&rec.state.started_at).map_or(0, |(s, _)| api::time::now_nanos() / 1_000_000_000 - s);
        let restart = !rec.manually_stopped
            && !rec.host_config.auto_remove
            && match policy.name.as_str() {
                "always" | "unless-stopped" => true,
                "on-failure" => exit.code != 0 && (policy.maximum_retry_count == 0 || rec.restart_count < policy.maximum_retry_count),
                _ => false,
            };
        let _ = self.update(c, |r| {
            r.state.status = if restart { "restarting".into() } else { "exited".into() };
            r.state.exit_code = exit.code;
            r.state.finished_at = exit.at.clone();
            r.state.oom_killed = exit.oom;
            r.state.pid = 0;
            if let Some(h) = r.state.health.as_mut() {
                h.status = "unhealthy".into();
            }
            if !restart {
                r.state.health = None;
            }
        });
        *c.exits.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        c.changed.notify_all();
        let image = rec.config.image.clone().unwrap_or_default();
        if exit.oom {
            self.events.publish("container", "oom", &rec.id, attrs([("image", image.clone()), ("name", rec.name.clone())]));
        }
        self.events.publish("container", "die", &rec.id, attrs([("exitCode", exit.code.to_string()), ("image", image), ("name", rec.name.clone())]));
        if rec.host_config.auto_remove {
            let me = self.me();
            let id = rec.id.clone();
            std::thread::spawn(move || {
                let _ = me.remove_container(&id, true, false);
            });
            return;
        }
        if restart {
            // Docker's backoff: 100 ms doubling, reset after a run of 10 s or more.
            let count = rec.restart_count;
            let delay = if ran_for >= 10 { 100 } else { (100u64 << count.min(10)).min(60_000) };
            let me = self.me();
            let c = c.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(delay));
                let _op = c.op.lock().unwrap_or_else(|p| p.into_inner());
                if c.rec().state.status != "restarting" || c.rec().manually_stopped {
                    return;
                }
                let _ = me.update(&c, |r| r.restart_count += 1);
                let id = c.rec().id.clone();
                let name = c.rec().name.clone();
                if me.start_locked(&c).is_ok() {
                    me.events.publish("container", "restart", &id, attrs([("name", name)]));
                }
            });
        }
    }

    /// After a daemon restart: follow containers that still run; collect the exits of those
    /// that ended meanwhile.
    pub(crate) fn reattach(&self, c: &Arc<Ctr>) {
        let id = c.rec().id.clone();
        let paths = self.paths(&id);
        if shim::connect_path(&paths.socket()).is_ok() {
            self.spawn_monitor(c.clone(), None);
            if c.rec().state.health.is_some() {
                self.spawn_health(c.clone());
            }
            return;
        }
        let exit = shim::read_exit_file(&paths.state).unwrap_or(shim::Exit { code: 255, oom: false, at: api::time::now_rfc3339() });
        // Nothing runs any more: make sure the runtime's resources are gone too.
        let rec = c.rec().clone();
        if let Ok(mut rt) = self.runtime_command(&rec) {
            let _ = rt
                .args(["delete", "--force", &id])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
        self.handle_exit(c, exit);
    }

    /// At daemon start: containers whose policy says they should run, start.
    pub(crate) fn schedule_restart_on_boot(&self, c: &Arc<Ctr>) {
        let r = c.rec().clone();
        let policy = r.host_config.restart_policy.name.as_str();
        let wanted = r.has_been_started && !r.manually_stopped && (policy == "always" || policy == "unless-stopped" || (r.state.status == "restarting"));
        if !wanted {
            if r.state.status == "restarting" {
                let _ = self.update(c, |r| r.state.status = "exited".into());
            }
            return;
        }
        let me = self.me();
        let c = c.clone();
        std::thread::spawn(move || {
            let _op = c.op.lock().unwrap_or_else(|p| p.into_inner());
            let _ = me.start_locked(&c);
        });
    }

    fn signal_number(s: &str) -> Result<i32> {
        let up = s.trim().to_uppercase();
        let name = up.strip_prefix("SIG").unwrap_or(&up);
        if let Ok(n) = name.parse::<i32>() {
            if (1..=64).contains(&n) {
                return Ok(n);
            }
        }
        let n = match name {
            "HUP" => 1,
            "INT" => 2,
            "QUIT" => 3,
            "ILL" => 4,
            "TRAP" => 5,
            "ABRT" | "IOT" => 6,
            "BUS" => 7,
            "FPE" => 8,
            "KILL" => 9,
            "USR1" => 10,
            "SEGV" => 11,
            "USR2" => 12,
            "PIPE" => 13,
            "ALRM" => 14,
            "TERM" => 15,
            "STKFLT" => 16,
            "CHLD" | "CLD" => 17,
            "CONT" => 18,
            "STOP" => 19,
            "TSTP" => 20,
            "TTIN" => 21,
            "TTOU" => 22,
            "URG" => 23,
            "XCPU" => 24,
            "XFSZ" => 25,
            "VTALRM" => 26,
            "PROF" => 27,
            "WINCH" => 28,
            "IO" | "POLL" => 29,
            "PWR" => 30,
            "SYS" => 31,
            _ => return Err(Error::invalid(format!("invalid signal: {s}"))),
        };
        Ok(n)
    }

    /// `POST /containers/{id}/kill`.
    pub fn kill_container(&self, name: &str, signal: &str) -> Result<()> {
        let c = self.container(name)?;
        let sig = Self::signal_number(if signal.is_empty() { "KILL" } else { signal })?;
        let rec = c.rec().clone();
        if !matches!(rec.state.status.as_str(), "running" | "paused") {
            return Err(Error::conflict(format!("cannot kill container: {}: container {} is not running", name, rec.id)));
        }
        if matches!(sig, 2 | 9 | 15) {
            // Ended by the user: restart policies leave it alone, as after `stop`.
            self.update(&c, |r| r.manually_stopped = true)?;
        }
        shim::request(&self.paths(&rec.id).socket(), &format!("kill init {sig}\n"))?;
        self.events.publish("container", "kill", &rec.id, attrs([("name", rec.name.clone()), ("signal", sig.to_string())]));
        Ok(())
    }

    /// `POST /containers/{id}/stop`: the stop signal, then SIGKILL after the timeout.
    pub fn stop_container(&self, name: &str, timeout: Option<i64>, signal: Option<&str>) -> Result<()> {
        let c = self.container(name)?;
        let _op = c.op.lock().unwrap_or_else(|p| p.into_inner());
        self.stop_locked(&c, timeout, signal)
    }

    pub(crate) fn stop_locked(&self, c: &Arc<Ctr>, timeout: Option<i64>, signal: Option<&str>) -> Result<()> {
        let rec = c.rec().clone();
        if rec.state.status == "restarting" {
            self.update(c, |r| {
                r.manually_stopped = true;
                r.state.status = "exited".into();
            })?;
            return Ok(());
        }
        if !matches!(rec.state.status.as_str(), "running" | "paused") {
            return Err(Error::new(ErrorKind::NotModified, "container already stopped"));
        }
        self.update(c, |r| r.manually_stopped = true)?;
        let sock = self.paths(&rec.id).socket();
        if rec.state.status == "paused" {
            let _ = self.runtime_cmd(&rec, "resume");
        }
        let sig_name = signal.filter(|s| !s.is_empty()).map(String::from).or(rec.config.stop_signal.clone()).unwrap_or_else(|| "SIGTERM".into());
        let sig = Self::signal_number(&sig_name)?;
        let timeout = timeout.or(rec.config.stop_timeout).unwrap_or(10);
        let exits_before = *c.exits.lock().unwrap_or_else(|p| p.into_inner());
        let _ = shim::request(&sock, &format!("kill init {sig}\n"));
        self.events.publish("container", "kill", &rec.id, attrs([("name", rec.name.clone()), ("signal", sig.to_string())]));
        let stopped = |c: &Ctr| *c.exits.lock().unwrap_or_else(|p| p.into_inner()) > exits_before || !matches!(c.rec().state.status.as_str(), "running" | "paused");
        if timeout < 0 || !self.wait_until(c, Duration::from_secs(timeout as u64), stopped) {
            let _ = shim::request(&sock, "kill init 9\n");
            self.events.publish("container", "kill", &rec.id, attrs([("name", rec.name.clone()), ("signal", "9".into())]));
            if !self.wait_until(c, Duration::from_secs(30), stopped) {
                return Err(Error::internal(format!("container {} did not stop after SIGKILL", rec.id)));
            }
        }
        self.events.publish("container", "stop", &rec.id, attrs([("name", rec.name.clone())]));
        Ok(())
    }

    /// Waits (up to `limit`) until `done(c)`.
    pub(crate) fn wait_until(&self, c: &Ctr, limit: Duration, done: impl Fn(&Ctr) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut g = c.rec();
        loop {
            drop(g);
            if done(c) {
                return true;
            }
            g = c.rec();
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let (ng, _) = c.changed.wait_timeout(g, (deadline - now).min(Duration::from_millis(200))).unwrap_or_else(|p| p.into_inner());
            g = ng;
        }
    }

    /// `POST /containers/{id}/restart`.
    pub fn restart_container(&self, name: &str, timeout: Option<i64>, signal: Option<&str>) -> Result<()> {
        let c = self.container(name)?;
        let _op = c.op.lock().unwrap_or_else(|p| p.into_inner());
        match self.stop_locked(&c, timeout, signal) {
            Ok(()) => {}
            Err(e) if e.kind == ErrorKind::NotModified => {}
            Err(e) => return Err(e),
        }
        self.update(&c, |r| r.manually_stopped = false)?;
        self.start_locked(&c)?;
        let r = c.rec().clone();
        self.events.publish("container", "restart", &r.id, attrs([("name", r.name)]));
        Ok(())
    }

    fn runtime_cmd(&self, rec: &ContainerRecord, verb: &str) -> Result<()> {
        let out = self
            .runtime_command(rec)?
            .args([verb, &rec.id])
            .output()
            .map_err(|e| Error::internal(format!("running the runtime: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::internal(String::from_utf8_lossy(&out.stderr).trim().to_string()))
        }
    }

    /// `POST /containers/{id}/pause`.
    pub fn pause_container(&self, name: &str) -> Result<()> {
        let c = self.container(name)?;
        let _op = c.op.lock().unwrap_or_else(|p| p.into_inner());
        let rec = c.rec().clone();
        match rec.state.status.as_str() {
            "running" => {}
            "paused" => return Err(Error::conflict(format!("container {} is already paused", rec.id))),
            _ => return Err(Error::conflict(format!("container {} is not running", rec.id))),
        }
        self.runtime_cmd(&rec, "pause")?;
        self.update(&c, |r| r.state.status = "paused".into())?;
        self.events.publish("container", "pause", &rec.id, attrs([("name", rec.name)]));
        Ok(())
    }

    /// `POST /containers/{id}/unpause`.
    pub fn unpause_container(&self, name: &str) -> Result<()> {
        let c = self.container(name)?;
        let _op = c.op.lock().unwrap_or_else(|p| p.into_inner());
        let rec = c.rec().clone();
        if rec.state.status != "paused" {
            return Err(Error::conflict(format!("container {} is not paused", rec.id)));
        }
        self.runtime_cmd(&rec, "resume")?;
        self.update(&c, |r| r.state.status = "running".into())?;
        self.events.publish("container", "unpause", &rec.id, attrs([("name", rec.name)]));
        Ok(())
    }

    /// `POST /containers/{id}/wait`, in two steps: this call registers the wait (so an exit
    /// right after it is not missed), the returned closure blocks until the condition holds
    /// and gives the exit code.
    pub fn wait_container(&self, name: &str, condition: &str) -> Result<Box<dyn FnOnce() -> i64 + Send>> {
        let c = self.container(name)?;
        let exits = *c.exits.lock().unwrap_or_else(|p| p.into_inner());
        if !matches!(condition, "" | "not-running" | "next-exit" | "removed") {
            return Err(Error::invalid(format!("invalid condition: {condition:?}")));
        }
        let condition = condition.to_string();
        let me = self.me();
        Ok(Box::new(move || {
            let forever = Duration::from_secs(u64::MAX / 4);
            match condition.as_str() {
                "next-exit" => {
                    me.wait_until(&c, forever, |c| *c.exits.lock().unwrap_or_else(|p| p.into_inner()) > exits);
                }
                "removed" => {
                    let id = c.rec().id.clone();
                    me.wait_until(&c, forever, |_| me.container(&id).is_err());
                }
                _ => {
                    me.wait_until(&c, forever, |c| !matches!(c.rec().state.status.as_str(), "running" | "paused" | "restarting"));
                }
            }
            let code = c.rec().state.exit_code;
            code
        }))
    }

    /// `DELETE /containers/{id}`.
    pub fn remove_container(&self, name: &str, force: bool, _volumes: bool) -> Result<()> {
        let c = self.container(name)?;
        let _op = c.op.lock().unwrap_or_else(|p| p.into_inner());
        let rec = c.rec().clone();
        if matches!(rec.state.status.as_str(), "running" | "paused" | "restarting") {
            if !force {
                let what = if rec.state.status == "paused" { "container is paused and must be unpaused first" } else { "container is running: stop the container before removing or force remove" };
                return Err(Error::conflict(format!("cannot remove container \"/{}\": {what}", rec.name)));
            }
            self.update(&c, |r| r.manually_stopped = true)?;
            if rec.state.status == "paused" {
                let _ = self.runtime_cmd(&rec, "resume");
            }
            let sock = self.paths(&rec.id).socket();
            let _ = shim::request(&sock, "kill init 9\n");
            let exited = self.wait_until(&c, Duration::from_secs(30), |c| !matches!(c.rec().state.status.as_str(), "running" | "paused"));
            if !exited && rec.state.status != "restarting" {
                return Err(Error::internal(format!("could not kill container {}", rec.id)));
            }
        }
        self.update(&c, |r| r.state.status = "removing".into())?;
        let paths = self.paths(&rec.id);
        unmount_rootfs(&paths);
        let mut errs = Vec::new();
        if let Err(e) = std::fs::remove_dir_all(&paths.dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                errs.push(format!("{}: {e}", paths.dir.display()));
            }
        }
        let _ = std::fs::remove_dir_all(&paths.state);
        if let Err(e) = self.store.release_hold(&rec.id) {
            errs.push(e.to_string());
        }
        if let Err(e) = self.store.delete_record(super::RECORD, &rec.id) {
            errs.push(e.to_string());
        }
        self.unregister(&rec.id);
        self.drop_execs_of(&rec.id);
        c.changed.notify_all();
        for p in std::mem::take(&mut *c.pending.lock().unwrap_or_else(|p| p.into_inner())) {
            let _ = p.reply.send(Err(Error::not_found(format!("No such container: {}", rec.id))));
        }
        self.events.publish("container", "destroy", &rec.id, attrs([("image", rec.config.image.clone().unwrap_or_default()), ("name", rec.name.clone())]));
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Error::internal(format!("removing container {}: {}", rec.id, errs.join("; "))))
        }
    }

    /// `POST /containers/{id}/rename`.
    pub fn rename_container(&self, name: &str, new: &str) -> Result<()> {
        let new = new.trim_start_matches('/');
        if !super::names::valid(new) {
            return Err(Error::invalid(format!("Invalid container name ({new}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")));
        }
        let c = self.container(name)?;
        let _g = self.name_lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(other) = self.container(new) {
            if other.rec().name == new {
                return Err(Error::conflict(format!("Conflict. The container name \"/{new}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.", other.rec().id)));
            }
        }
        let old = c.rec().name.clone();
        let r = self.update(&c, |r| r.name = new.to_string())?;
        self.events.publish("container", "rename", &r.id, attrs([("name", new.to_string()), ("oldName", format!("/{old}"))]));
        Ok(())
    }

    /// `POST /containers/prune`.
    pub fn prune_containers(&self, filters: &api::Filters) -> Result<(Vec<String>, u64)> {
        filters.check_keys(&["until", "label", "label!"]).map_err(Error::invalid)?;
        let until = filters.get("until").iter().map(|u| crate::images::parse_time_arg(u)).collect::<Result<Vec<_>>>()?;
        let mut deleted = Vec::new();
        let mut reclaimed = 0u64;
        for c in self.all_containers() {
            let r = c.rec().clone();
            if !matches!(r.state.status.as_str(), "exited" | "created" | "dead") {
                continue;
            }
            let created = api::time::parse_rfc3339(&r.created).map_or(0, |t| t.0);
            if until.iter().any(|&u| created > u) || !filters.match_labels(&r.config.labels.clone().unwrap_or_default()) {
                continue;
            }
            let size = dir_size(&self.paths(&r.id).upper());
            if self.remove_container(&r.id, false, false).is_ok() {
                deleted.push(r.id);
                reclaimed += size;
            }
        }
        self.events.publish("container", "prune", "", attrs([("reclaimed", reclaimed.to_string())]));
        Ok((deleted, reclaimed))
    }

    /// `POST /containers/{id}/attach`: a stream now if it runs, or when it next starts.
    pub fn attach_container(&self, name: &str, req: AttachRequest) -> Result<tokio::sync::oneshot::Receiver<Result<UnixStream>>> {
        let c = self.container(name)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let rec = c.rec().clone();
        match rec.state.status.as_str() {
            "running" => {
                let r = shim::open_stream(&self.paths(&rec.id).socket(), &req.line("init")).map(|(s, _)| s);
                let _ = tx.send(r);
            }
            "paused" => return Err(Error::conflict(format!("container {} is paused, unpause the container before attach", rec.id))),
            "removing" | "dead" => return Err(Error::conflict(format!("container {} is being removed", rec.id))),
            _ => c.pending.lock().unwrap_or_else(|p| p.into_inner()).push(PendingAttach { req, reply: tx }),
        }
        self.events.publish("container", "attach", &rec.id, attrs([("name", rec.name)]));
        Ok(rx)
    }

    /// `POST /containers/{id}/resize`.
    pub fn resize_container(&self, name: &str, h: u16, w: u16) -> Result<()> {
        let c = self.container(name)?;
        let rec = c.rec().clone();
        if !matches!(rec.state.status.as_str(), "running" | "paused") {
            return Err(Error::conflict(format!("Container {} is not running", rec.id)));
        }
        shim::request(&self.paths(&rec.id).socket(), &format!("resize init {h} {w}\n"))?;
        Ok(())
    }
}

/// Adds what Docker adds to a process's environment when missing: `PATH`, `HOSTNAME`,
/// `TERM` (with a TTY) and `HOME`.
pub(crate) fn complete_env(env: &mut Vec<String>, hostname: Option<&str>, tty: bool, home: &str) {
    let has = |env: &Vec<String>, k: &str| env.iter().any(|e| e.split_once('=').map_or(e.as_str(), |p| p.0) == k);
    if !has(env, "PATH") {
        env.insert(0, DEFAULT_PATH.into());
    }
    if let Some(h) = hostname {
        if !has(env, "HOSTNAME") {
            env.push(format!("HOSTNAME={h}"));
        }
    }
    if tty && !has(env, "TERM") {
        env.push("TERM=xterm".into());
    }
    if !has(env, "HOME") {
        env.push(format!("HOME={}", if home.is_empty() { "/" } else { home }));
    }
}

/// Unmounts a container's root filesystem and, for a remapped one, its idmapped layers.
pub(crate) fn unmount_rootfs(paths: &super::Paths) {
    let _ = store::mount::unmount(&paths.merged());
    let base = paths.dir.join("m");
    if let Ok(entries) = std::fs::read_dir(&base) {
        for e in entries.flatten() {
            let _ = store::mount::unmount(&e.path());
            let _ = std::fs::remove_dir(e.path());
        }
        let _ = std::fs::remove_dir(&base);
    }
}

fn kernel() -> (u32, u32) {
    let r = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut it = r.trim().split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Bytes used by files under `dir` (not following symlinks).
pub(crate) fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let Ok(md) = e.path().symlink_metadata() else { continue };
            if md.is_dir() {
                stack.push(e.path());
            } else if md.is_file() {
                total += md.len();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_signals_and_security_opts() {
        assert_eq!(parse_size("10m"), Some(10 << 20));
        assert_eq!(parse_size("1.5g"), Some(3 << 29));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("x"), None);
        assert_eq!(Engine::signal_number("SIGTERM").unwrap(), 15);
        assert_eq!(Engine::signal_number("kill").unwrap(), 9);
        assert_eq!(Engine::signal_number("10").unwrap(), 10);
        assert!(Engine::signal_number("SIGNOPE").is_err());
        let h = HostConfig { security_opt: Some(vec!["no-new-privileges".into(), "seccomp=unconfined".into()]), ..Default::default() };
        assert_eq!(security(&h, &Default::default()).unwrap(), SecurityOpts { no_new_privileges: true, seccomp: Some(None), unmask_paths: false });
        assert!(parse_security_opt("bogus=1").is_err());
        let h = HostConfig { log_config: api::container::LogConfig { kind: "json-file".into(), config: [("max-size".to_string(), "1k".to_string())].into() }, ..Default::default() };
        assert_eq!(log_limits(&h.log_config.config).unwrap(), (1024, 3));
        let lc = |kind: &str, k: &str, v: &str| api::container::LogConfig { kind: kind.into(), config: [(k.to_string(), v.to_string())].into() };
        assert!(validate_log_config(&lc("json-file", "max-size", "bogus")).unwrap_err().message.contains("max-size"));
        assert!(validate_log_config(&lc("json-file", "nope", "1")).unwrap_err().message.contains("unknown log opt 'nope'"));
        assert!(validate_log_config(&lc("json-file", "tag", "{{.Nope")).is_err());
        assert!(validate_log_config(&lc("none", "nope", "1")).is_ok(), "none ignores options");
        assert!(validate_log_config(&lc("syslog", "", "")).unwrap_err().message.contains("no log driver named 'syslog'"));
    }

    #[test]
    fn resolv_conf_keeps_the_hosts_resolvers_unless_settings_replace_them() {
        let host = "nameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver 2001:db8::1\nsearch corp.example\noptions edns0\n";
        let none: [String; 0] = [];
        assert_eq!(resolv_conf(host, &none, &none, &none, false), "nameserver 10.0.0.2\nsearch corp.example\noptions edns0\n");
        assert_eq!(resolv_conf(host, &none, &none, &none, true), "nameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver 2001:db8::1\nsearch corp.example\noptions edns0\n");
        assert_eq!(resolv_conf("nameserver 127.0.0.53\n", &none, &none, &none, false), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        assert_eq!(resolv_conf(host, &["1.1.1.1".into()], &["a.example".into()], &none, false), "nameserver 1.1.1.1\nsearch a.example\noptions edns0\n");
    }
}
