//! `create`: validate the request, merge it with the image config, reserve the name and
//! the writable layer, persist the record.

use super::{names, ContainerRecord, Ctr, StateRecord};
use crate::events::attrs;
use crate::{Engine, Error, Result};
use api::container::{CreateRequest, CreateResponse, HostConfig};
use api::image::{ContainerConfig, StrSlice};
use std::sync::{Arc, Condvar, Mutex};

/// Docker's lower bound for `--memory`.
const MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// Merges the request's config over the image's, with Docker's rules for the command.
pub(crate) fn merge(image: &ContainerConfig, user: &ContainerConfig) -> ContainerConfig {
    let mut c = user.clone();
    let reset_entrypoint = matches!(&user.entrypoint, Some(StrSlice(v)) if v.len() == 1 && v[0].is_empty());
    if reset_entrypoint {
        c.entrypoint = None;
    }
    // Any --entrypoint, even "" (a reset), drops the image's CMD, as Docker documents.
    let user_has_entrypoint = user.entrypoint.as_ref().is_some_and(|e| !e.0.is_empty());
    if !user_has_entrypoint {
        if user.cmd.as_ref().is_none_or(|x| x.0.is_empty()) {
            c.cmd = image.cmd.clone();
        }
        if user.entrypoint.is_none() {
            c.entrypoint = image.entrypoint.clone();
        }
    }
    // Environment: the image's, overridden by the request's.
    let mut env = image.env.clone().unwrap_or_default();
    for e in user.env.clone().unwrap_or_default() {
        let key = e.split_once('=').map_or(e.as_str(), |p| p.0).to_string();
        match env.iter_mut().find(|x| x.split_once('=').map_or(x.as_str(), |p| p.0) == key) {
            Some(x) => *x = e,
            None => env.push(e),
        }
    }
    c.env = (!env.is_empty()).then_some(env);
    if c.user.as_deref().unwrap_or("").is_empty() {
        c.user = image.user.clone();
    }
    if c.working_dir.as_deref().unwrap_or("").is_empty() {
        c.working_dir = image.working_dir.clone();
    }
    for (mine, theirs) in [(&mut c.exposed_ports, &image.exposed_ports), (&mut c.volumes, &image.volumes)] {
        if let Some(t) = theirs {
            let m = mine.get_or_insert_with(Default::default);
            for (k, v) in t {
                m.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    if let Some(l) = &image.labels {
        let m = c.labels.get_or_insert_with(Default::default);
        for (k, v) in l {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if c.stop_signal.is_none() {
        c.stop_signal = image.stop_signal.clone();
    }
    if c.shell.is_none() {
        c.shell = image.shell.clone();
    }
    c.healthcheck = match (&user.healthcheck, &image.healthcheck) {
        (None, i) => i.clone(),
        (Some(u), None) => Some(u.clone()),
        (Some(u), Some(i)) => {
            let mut h = u.clone();
            if h.test.as_ref().is_none_or(|t| t.is_empty()) {
                h.test = i.test.clone();
            }
            if h.interval == 0 {
                h.interval = i.interval;
            }
            if h.timeout == 0 {
                h.timeout = i.timeout;
            }
            if h.start_period == 0 {
                h.start_period = i.start_period;
            }
            if h.start_interval == 0 {
                h.start_interval = i.start_interval;
            }
            if h.retries == 0 {
                h.retries = i.retries;
            }
            Some(h)
        }
    };
    c.on_build = None;
    c
}

/// Checks a host config the way Docker's daemon does, naming the first problem.
pub(crate) fn validate_host_config(h: &HostConfig) -> Result<()> {
    let bad = |m: String| Err(Error::invalid(m));
    let rp = &h.restart_policy;
    match rp.name.as_str() {
        "" | "no" | "always" | "unless-stopped" | "on-failure" => {}
        other => return bad(format!("invalid restart policy '{other}'")),
    }
    if rp.maximum_retry_count < 0 {
        return bad("invalid restart policy: maximum retry count cannot be negative".into());
    }
    if rp.maximum_retry_count > 0 && rp.name != "on-failure" {
        return bad(format!("invalid restart policy: maximum retry count can only be used with 'on-failure'"));
    }
    if h.auto_remove && !matches!(rp.name.as_str(), "" | "no") {
        return bad("can't create 'AutoRemove' container with restart policy".into());
    }
    if h.memory != 0 && h.memory < MIN_MEMORY {
        return bad("Minimum memory limit allowed is 6MB".into());
    }
    if h.memory > 0 && h.memory_swap > 0 && h.memory_swap < h.memory {
        return bad("Minimum memoryswap limit should be larger than memory limit, see usage".into());
    }
    if h.memory_swap > 0 && h.memory == 0 {
        return bad("You should always set the Memory limit when using Memoryswap limit, see usage".into());
    }
    if h.nano_cpus > 0 && (h.cpu_period > 0 || h.cpu_quota > 0) {
        return bad("Conflicting options: Nano CPUs and CPU Period cannot both be set".into());
    }
    let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get()) as i64;
    if h.nano_cpus < 0 || h.nano_cpus > ncpu * 1_000_000_000 {
        return bad(format!("Range of CPUs is from 0.01 to {ncpu}.00, as there are only {ncpu} CPUs available"));
    }
    if h.cpu_shares < 0 {
        return bad("invalid CPU shares: it must be a positive number".into());
    }
    if let Some(s) = h.memory_swappiness {
        if !(-1..=100).contains(&s) {
            return bad(format!("Invalid value: {s}, valid memory swappiness range is 0-100"));
        }
    }
    let mode_ok = |m: &str, allowed: &[&str]| m.is_empty() || allowed.contains(&m) || m.starts_with("container:");
    if !mode_ok(&h.network_mode, &["default", "bridge", "none", "host"]) {
        return Err(Error::not_found(format!("network {} not found", h.network_mode)));
    }
    if !mode_ok(&h.pid_mode, &["host"]) {
        return bad(format!("invalid PID mode: {}", h.pid_mode));
    }
    if !mode_ok(&h.ipc_mode, &["private", "shareable", "host", "none"]) {
        return bad(format!("invalid IPC mode: {}", h.ipc_mode));
    }
    if !matches!(h.uts_mode.as_str(), "" | "host") {
        return bad(format!("invalid UTS mode: {}", h.uts_mode));
    }
    if !matches!(h.cgroupns_mode.as_str(), "" | "private" | "host") {
        return bad(format!("invalid cgroup namespace mode: {}", h.cgroupns_mode));
    }
    if !matches!(h.userns_mode.as_str(), "" | "host") {
        return bad(format!("invalid user namespace mode: {} (only \"host\" is supported)", h.userns_mode));
    }
    super::lifecycle::validate_log_config(&h.log_config)?;
    runtime::caps::compute(h.privileged, h.cap_add.as_deref().unwrap_or(&[]), h.cap_drop.as_deref().unwrap_or(&[])).map_err(Error::invalid)?;
    for o in h.security_opt.iter().flatten() {
        super::lifecycle::parse_security_opt(o)?;
    }
    for d in h.devices.iter().flatten() {
        let spec = if d.path_in_container.is_empty() { d.path_on_host.clone() } else { format!("{}:{}:{}", d.path_on_host, d.path_in_container, if d.cgroup_permissions.is_empty() { "rwm" } else { &d.cgroup_permissions }) };
        runtime::spec::host_device(&spec).map_err(|e| Error::invalid(e.0))?;
    }
    for r in h.device_cgroup_rules.iter().flatten() {
        runtime::spec::parse_device_rule(r).map_err(|e| Error::invalid(e.0))?;
    }
    for b in h.binds.iter().flatten() {
        let parts: Vec<&str> = b.split(':').collect();
        if parts.len() < 2 || parts.len() > 3 || !parts[1].starts_with('/') {
            return bad(format!("invalid volume specification: '{b}'"));
        }
        if !parts[0].starts_with('/') {
            return bad(format!("invalid volume specification: '{b}': named volumes are not supported yet; use an absolute host path"));
        }
    }
    Ok(())
}

impl Engine {
    /// Checks daemon.json's container defaults when the engine opens, so that a bad value
    /// stops the daemon (as dockerd) instead of failing every container: `log-driver` and
    /// `log-opts`, `runtimes` (each with a `path`) and `default-runtime`.
    pub(crate) fn check_daemon_defaults(&self) -> Result<()> {
        let j = &self.config.daemon_json;
        if let Some(o) = j.get("log-opts").filter(|o| !o.as_object().is_some_and(|m| m.values().all(|v| v.is_string()))) {
            return Err(Error::invalid(format!("failed to set log opts: log-opts must be an object of strings, not {o}")));
        }
        super::lifecycle::validate_log_config(&self.daemon_log_config()).map_err(|e| Error::invalid(format!("failed to set log opts: {}", e.message)))?;
        for (name, r) in j.get("runtimes").and_then(|r| r.as_object()).into_iter().flatten() {
            self.runtime(name)?;
            if r.get("runtimeArgs").is_some_and(|a| !a.as_array().is_some_and(|a| a.iter().all(|x| x.is_string()))) {
                return Err(Error::invalid(format!("runtime {name}: runtimeArgs must be a list of strings")));
            }
        }
        let default = self.default_runtime();
        self.runtime(default).map_err(|_| Error::invalid(format!("specified default runtime '{default}' does not exist")))?;
        Ok(())
    }

    /// daemon.json's `log-driver`, json-file by default.
    pub(crate) fn default_log_driver(&self) -> &str {
        self.config.daemon_json.get("log-driver").and_then(|v| v.as_str()).filter(|d| !d.is_empty()).unwrap_or("json-file")
    }

    /// dockerd's `mergeAndVerifyLogConfig`: no driver means daemon.json's `log-driver`
    /// (json-file by default), and a container on the daemon's driver gets its `log-opts`
    /// for every option it does not set itself.
    fn merge_log_config(&self, lc: &mut api::container::LogConfig) {
        let daemon = self.daemon_log_config();
        if lc.kind.is_empty() {
            lc.kind = daemon.kind.clone();
        }
        if lc.kind == daemon.kind {
            for (k, v) in daemon.config {
                lc.config.entry(k).or_insert(v);
            }
        }
    }

    /// The daemon's log configuration: daemon.json `log-driver` and `log-opts`.
    fn daemon_log_config(&self) -> api::container::LogConfig {
        let opts = self.config.daemon_json.get("log-opts").and_then(|o| o.as_object());
        let config = opts.into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect();
        api::container::LogConfig { kind: self.default_log_driver().to_string(), config }
    }

    /// `POST /containers/create`.
    pub fn create_container(&self, name: Option<&str>, req: CreateRequest) -> Result<CreateResponse> {
        let image_name = req.config.image.clone().unwrap_or_default();
        if image_name.is_empty() {
            return Err(Error::invalid("config cannot be empty in order to create a container (no image given)"));
        }
        let name = match name.filter(|n| !n.is_empty()) {
            Some(n) => {
                let n = n.trim_start_matches('/');
                if !names::valid(n) {
                    return Err(Error::invalid(format!("Invalid container name ({n}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")));
                }
                n.to_string()
            }
            None => loop {
                let n = names::random();
                if self.container(&n).is_err() {
                    break n;
                }
            },
        };
        let mut req = req;
        if let Some(w) = req.config.working_dir.as_deref().filter(|w| !w.is_empty() && !w.starts_with('/')) {
            return Err(Error::invalid(format!("the working directory '{w}' is invalid, it needs to be an absolute path")));
        }
        self.merge_log_config(&mut req.host_config.log_config);
        validate_host_config(&req.host_config)?;
        // As dockerd: the runtime is chosen (and must exist) at create.
        if req.host_config.runtime.is_empty() {
            req.host_config.runtime = self.default_runtime().to_string();
        }
        self.runtime(&req.host_config.runtime)?;
        if self.config.userns_remap.is_some() && req.host_config.userns_mode != "host" {
            let h = &req.host_config;
            if h.privileged {
                return Err(Error::invalid("privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode"));
            }
            if h.network_mode == "host" {
                return Err(Error::invalid("cannot share the host's network namespace when user namespaces are enabled"));
            }
            if h.pid_mode == "host" {
                return Err(Error::invalid("cannot share the host PID namespace when user namespaces are enabled"));
            }
        }
        let image_id = self.resolve_image(&image_name)?;
        let image_rec = self.store.image(&image_id)?.ok_or_else(|| Error::not_found(format!("No such image: {image_name}")))?;
        let image_cfg = crate::images::parse_config(&image_id, &self.store.config(&image_id)?)?;
        let config = merge(&image_cfg.config.clone().unwrap_or_default(), &req.config);
        let mut cmdline: Vec<String> = config.entrypoint.clone().map(|e| e.0).unwrap_or_default();
        cmdline.extend(config.cmd.clone().map(|c| c.0).unwrap_or_default());
        if cmdline.is_empty() {
            return Err(Error::invalid("no command specified"));
        }
        let id = store::random_hex(32);
        let mut config = config;
        if config.hostname.as_deref().unwrap_or("").is_empty() {
            config.hostname = Some(id[..12].to_string());
        }
        config.image = Some(image_name.clone());
        let _g = self.name_lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(other) = self.container(&name) {
            if other.rec().name == name {
                let oid = other.rec().id.clone();
                return Err(Error::conflict(format!(
                    "Conflict. The container name \"/{name}\" is already in use by container \"{oid}\". You have to remove (or rename) that container to be able to reuse that name."
                )));
            }
        }
        let paths = self.paths(&id);
        let made: std::io::Result<()> = (|| {
            for d in [paths.upper(), paths.work(), paths.merged()] {
                std::fs::create_dir_all(d)?;
            }
            Ok(())
        })();
        if let Err(e) = made {
            let _ = std::fs::remove_dir_all(&paths.dir);
            return Err(Error::internal(format!("creating the container's directories: {e}")));
        }
        if let Some(top) = &image_rec.top_layer {
            if let Err(e) = self.store.hold_layer(&id, top) {
                let _ = std::fs::remove_dir_all(&paths.dir);
                return Err(e.into());
            }
        }
        let mut host_config = req.host_config;
        // dockerd's warnings (and its dropping of what the host cannot do).
        let mut warnings = Vec::new();
        if host_config.oom_kill_disable == Some(true) {
            if matches!(runtime::cgroups::Hierarchy::detect(), runtime::cgroups::Hierarchy::V2(_)) {
                warnings.push("Your kernel does not support OomKillDisable. OomKillDisable discarded.".to_string());
                host_config.oom_kill_disable = None;
            } else if host_config.memory == 0 {
                warnings.push("OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.".to_string());
            }
        }
        if host_config.network_mode.is_empty() || host_config.network_mode == "default" {
            host_config.network_mode = "bridge".into();
        }
        let rec = ContainerRecord {
            id: id.clone(),
            name: name.clone(),
            created: api::time::now_rfc3339(),
            path: cmdline[0].clone(),
            args: cmdline[1..].to_vec(),
            config,
            host_config,
            image_id: image_id.to_string(),
            state: StateRecord { status: "created".into(), ..Default::default() },
            ..Default::default()
        };
        if let Err(e) = self.save(&rec) {
            let _ = self.store.release_hold(&id);
            let _ = std::fs::remove_dir_all(&paths.dir);
            return Err(e);
        }
        self.register(Arc::new(Ctr { rec: Mutex::new(rec), changed: Condvar::new(), op: Mutex::new(()), pending: Mutex::new(Vec::new()), exits: Mutex::new(0) }));
        drop(_g);
        self.events.publish("container", "create", &id, attrs([("image", image_name), ("name", name)]));
        Ok(CreateResponse { id, warnings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(v: &[&str]) -> Option<StrSlice> {
        Some(StrSlice(v.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn command_merge_follows_docker() {
        let img = ContainerConfig { entrypoint: sl(&["/entry"]), cmd: sl(&["default"]), env: Some(vec!["A=1".into(), "B=2".into()]), ..Default::default() };
        let c = merge(&img, &ContainerConfig::default());
        assert_eq!((c.entrypoint, c.cmd), (sl(&["/entry"]), sl(&["default"])));
        let c = merge(&img, &ContainerConfig { cmd: sl(&["mine"]), ..Default::default() });
        assert_eq!((c.entrypoint, c.cmd), (sl(&["/entry"]), sl(&["mine"])));
        let c = merge(&img, &ContainerConfig { entrypoint: sl(&["/other"]), ..Default::default() });
        assert_eq!((c.entrypoint, c.cmd), (sl(&["/other"]), None), "a new entrypoint drops the image's cmd");
        let c = merge(&img, &ContainerConfig { entrypoint: sl(&[""]), cmd: sl(&["sh"]), ..Default::default() });
        assert_eq!((c.entrypoint, c.cmd), (None, sl(&["sh"])), "--entrypoint \"\" resets it");
        let c = merge(&img, &ContainerConfig { entrypoint: sl(&[""]), ..Default::default() });
        assert_eq!((c.entrypoint, c.cmd), (None, None), "... and the image's cmd with it");
        let c = merge(&img, &ContainerConfig { env: Some(vec!["B=3".into(), "C=4".into()]), ..Default::default() });
        assert_eq!(c.env.unwrap(), vec!["A=1", "B=3", "C=4"]);
    }

    #[test]
    fn host_config_validation_names_the_problem() {
        let mut h = HostConfig { memory: 1024, ..Default::default() };
        assert!(validate_host_config(&h).unwrap_err().message.contains("Minimum memory limit allowed is 6MB"));
        h.memory = 0;
        h.restart_policy.name = "sometimes".into();
        assert!(validate_host_config(&h).unwrap_err().message.contains("invalid restart policy"));
        h.restart_policy.name = "always".into();
        h.auto_remove = true;
        assert!(validate_host_config(&h).unwrap_err().message.contains("AutoRemove"));
        let h = HostConfig { network_mode: "mynet".into(), ..Default::default() };
        assert_eq!(validate_host_config(&h).unwrap_err().kind, crate::ErrorKind::NotFound);
        let h = HostConfig { cap_add: Some(vec!["NOT_A_CAP".into()]), ..Default::default() };
        assert!(validate_host_config(&h).unwrap_err().message.contains("unknown capability"));
    }
}
