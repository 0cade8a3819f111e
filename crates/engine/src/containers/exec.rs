//! `exec`: processes run in a running container, through its shim.

use super::shim;
use crate::events::attrs;
use crate::{Engine, Error, Result};
use api::container::ExecConfig;
use serde::Serialize;
use serde_json::json;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

/// An exec instance.
pub(crate) struct ExecEntry {
    pub id: String,
    pub container: String,
    pub config: ExecConfig,
    pub state: Mutex<ExecState>,
}

#[derive(Default, Clone)]
pub(crate) struct ExecState {
    pub running: bool,
    pub started: bool,
    pub exit_code: Option<i64>,
    pub pid: i64,
}

/// `GET /exec/{id}/json`.
#[derive(Debug, Clone, Serialize)]
pub struct ExecInspect {
    /// ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Running.
    #[serde(rename = "Running")]
    pub running: bool,
    /// Exit code (null until it ends).
    #[serde(rename = "ExitCode")]
    pub exit_code: Option<i64>,
    /// The process.
    #[serde(rename = "ProcessConfig")]
    pub process_config: serde_json::Value,
    /// stdin attached.
    #[serde(rename = "OpenStdin")]
    pub open_stdin: bool,
    /// stderr attached.
    #[serde(rename = "OpenStderr")]
    pub open_stderr: bool,
    /// stdout attached.
    #[serde(rename = "OpenStdout")]
    pub open_stdout: bool,
    /// Can be removed.
    #[serde(rename = "CanRemove")]
    pub can_remove: bool,
    /// Container.
    #[serde(rename = "ContainerID")]
    pub container_id: String,
    /// Detach keys.
    #[serde(rename = "DetachKeys")]
    pub detach_keys: String,
    /// Host PID.
    #[serde(rename = "Pid")]
    pub pid: i64,
}

impl Engine {
    fn exec_entry(&self, id: &str) -> Result<Arc<ExecEntry>> {
        self.execs.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned().ok_or_else(|| Error::not_found(format!("No such exec instance: {id}")))
    }

    pub(crate) fn exec_ids_of(&self, container: &str) -> Vec<String> {
        self.execs.lock().unwrap_or_else(|p| p.into_inner()).values().filter(|e| e.container == container).map(|e| e.id.clone()).collect()
    }

    pub(crate) fn drop_execs_of(&self, container: &str) {
        self.execs.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, e| e.container != container);
    }

    /// `POST /containers/{id}/exec`.
    pub fn create_exec(&self, name: &str, cfg: ExecConfig) -> Result<String> {
        let c = self.container(name)?;
        let r = c.rec().clone();
        if r.state.status == "paused" {
            return Err(Error::conflict(format!("Container {} is paused, unpause the container before exec", r.id)));
        }
        if r.state.status != "running" {
            return Err(Error::conflict(format!("Container {} is not running", r.id)));
        }
        if cfg.cmd.as_ref().is_none_or(|c| c.is_empty()) {
            return Err(Error::invalid("No exec command specified"));
        }
        if !cfg.detach_keys.is_empty() {
            shim::parse_detach_keys(&cfg.detach_keys)?;
        }
        let id = store::random_hex(32);
        let cmd = cfg.cmd.clone().unwrap_or_default().join(" ");
        self.execs.lock().unwrap_or_else(|p| p.into_inner()).insert(
            id.clone(),
            Arc::new(ExecEntry { id: id.clone(), container: r.id.clone(), config: cfg, state: Mutex::new(ExecState::default()) }),
        );
        self.events.publish("container", &format!("exec_create: {cmd}"), &r.id, attrs([("execID", id.clone()), ("name", r.name)]));
        Ok(id)
    }

    /// The OCI process of an exec (health checks use it too).
    pub(crate) fn exec_process_public(&self, rec: &super::ContainerRecord, cfg: &ExecConfig) -> Result<serde_json::Value> {
        self.exec_process(rec, cfg, cfg.tty)
    }

    /// The OCI process of an exec.
    fn exec_process(&self, rec: &super::ContainerRecord, cfg: &ExecConfig, tty: bool) -> Result<serde_json::Value> {
        let user_spec = if cfg.user.is_empty() { rec.config.user.clone().unwrap_or_default() } else { cfg.user.clone() };
        let user = runtime::user::resolve(&self.rootfs_layers(rec)?, &user_spec, rec.host_config.group_add.as_deref().unwrap_or(&[])).map_err(|e| Error::invalid(e.0))?;
        let mut env = rec.config.env.clone().unwrap_or_default();
        for e in cfg.env.clone().unwrap_or_default() {
            let k = e.split_once('=').map_or(e.as_str(), |p| p.0).to_string();
            env.retain(|x| x.split_once('=').map_or(x.as_str(), |p| p.0) != k);
            env.push(e);
        }
        super::lifecycle::complete_env(&mut env, rec.config.hostname.as_deref(), tty, &user.home);
        let h = &rec.host_config;
        let caps = runtime::caps::compute(h.privileged || cfg.privileged, h.cap_add.as_deref().unwrap_or(&[]), h.cap_drop.as_deref().unwrap_or(&[])).map_err(Error::invalid)?;
        let bounding = runtime::caps::host_bounding();
        let caps: Vec<String> = caps.into_iter().filter(|c| bounding.contains(c)).collect();
        let root = user.uid == 0;
        let empty: Vec<String> = Vec::new();
        let cwd = if cfg.working_dir.is_empty() { rec.config.working_dir.clone().filter(|w| !w.is_empty()).unwrap_or_else(|| "/".into()) } else { cfg.working_dir.clone() };
        let nnp = h.security_opt.iter().flatten().any(|o| o == "no-new-privileges" || o == "no-new-privileges=true" || o == "no-new-privileges:true");
        let mut p = json!({
            "terminal": tty,
            "user": {"uid": user.uid, "gid": user.gid, "additionalGids": user.additional_gids},
            "args": cfg.cmd.clone().unwrap_or_default(),
            "env": env,
            "cwd": cwd,
            "capabilities": {"bounding": caps, "effective": if root { &caps } else { &empty }, "permitted": if root { &caps } else { &empty }},
            "noNewPrivileges": nnp,
        });
        if let Some(cs) = cfg.console_size.as_ref().filter(|c| c.len() == 2 && c[0] > 0) {
            p["consoleSize"] = json!({"height": cs[0], "width": cs[1]});
        }
        // As with Docker, an exec'd process has the container's resource limits (--ulimit).
        let bundle = self.paths(&rec.id).state.join("config.json");
        if let Some(r) = std::fs::read(&bundle).ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()).and_then(|v| v["process"].get("rlimits").cloned()) {
            p["rlimits"] = r;
        }
        Ok(p)
    }

    /// `POST /exec/{id}/start`: runs the process; returns its stream unless detached.
    pub fn start_exec(&self, id: &str, start: &api::container::ExecStartConfig) -> Result<Option<UnixStream>> {
        let detach = start.detach;
        let e = self.exec_entry(id)?;
        {
            let mut st = e.state.lock().unwrap_or_else(|p| p.into_inner());
            if st.started {
                return Err(Error::conflict(format!("Error: Exec command {id} has already run")));
            }
            st.started = true;
        }
        let c = self.container(&e.container)?;
        let rec = c.rec().clone();
        if rec.state.status != "running" {
            return Err(Error::conflict(format!("Container {} is not running", rec.id)));
        }
        let tty = start.tty || e.config.tty;
        // The start request's size, when it has one, wins over the create request's (dockerd).
        let mut cfg = e.config.clone();
        if start.console_size.as_ref().is_some_and(|c| c.len() == 2 && c[0] > 0) {
            cfg.console_size = start.console_size.clone();
        }
        let process = self.exec_process(&rec, &cfg, tty)?;
        let paths = self.paths(&rec.id);
        let pfile = paths.state.join(format!("exec-{id}.json"));
        std::fs::write(&pfile, process.to_string()).map_err(|err| Error::internal(format!("writing the exec process: {err}")))?;
        let line = format!("exec {id} {} {} {}\n", u8::from(tty), u8::from(e.config.attach_stdin), pfile.display());
        let opened = shim::open_stream(&paths.socket(), &line);
        let _ = std::fs::remove_file(&pfile);
        let (stream, pid) = match opened {
            Ok(x) => x,
            Err(err) => {
                let code = if err.message.contains("executable file not found") { 127 } else if err.message.contains("permission denied") { 126 } else { 126 };
                let mut st = e.state.lock().unwrap_or_else(|p| p.into_inner());
                st.exit_code = Some(code);
                return Err(Error::invalid(format!("OCI runtime exec failed: {}", err.message)));
            }
        };
        {
            let mut st = e.state.lock().unwrap_or_else(|p| p.into_inner());
            st.running = true;
            st.pid = pid.parse().unwrap_or(0);
        }
        let cmd = e.config.cmd.clone().unwrap_or_default().join(" ");
        self.events.publish("container", &format!("exec_start: {cmd}"), &rec.id, attrs([("execID", id.to_string()), ("name", rec.name.clone())]));
        // Learn the exit code in the background.
        let me = self.me();
        let sock = paths.socket();
        let entry = e.clone();
        let (cid, cname) = (rec.id.clone(), rec.name.clone());
        std::thread::Builder::new()
            .name("exec-wait".into())
            .stack_size(128 * 1024)
            .spawn(move || {
                let code = shim::wait(&sock, &entry.id).map_or(-1, |x| x.code);
                {
                    let mut st = entry.state.lock().unwrap_or_else(|p| p.into_inner());
                    st.running = false;
                    st.exit_code = Some(code);
                }
                me.events.publish("container", "exec_die", &cid, attrs([("execID", entry.id.clone()), ("exitCode", code.to_string()), ("name", cname)]));
            })
            .ok();
        Ok(if detach { None } else { Some(stream) })
    }

    /// `GET /exec/{id}/json`.
    pub fn inspect_exec(&self, id: &str) -> Result<ExecInspect> {
        let e = self.exec_entry(id)?;
        let mut st = e.state.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if st.running && st.pid > 0 && !alive(st.pid) {
            // It has ended but the background wait may not have recorded it yet (clients
            // ask as soon as the output stream closes): ask the shim, which knows by now.
            if let Some(x) = shim::wait(&self.paths(&e.container).socket(), &e.id) {
                let mut cur = e.state.lock().unwrap_or_else(|p| p.into_inner());
                cur.running = false;
                cur.exit_code = Some(x.code);
                st = cur.clone();
            }
        }
        let cmd = e.config.cmd.clone().unwrap_or_default();
        Ok(ExecInspect {
            id: e.id.clone(),
            running: st.running,
            exit_code: st.exit_code,
            process_config: json!({
                "tty": e.config.tty,
                "entrypoint": cmd.first().cloned().unwrap_or_default(),
                "arguments": cmd.get(1..).unwrap_or(&[]),
                "privileged": e.config.privileged,
                "user": e.config.user,
            }),
            open_stdin: e.config.attach_stdin,
            open_stderr: e.config.attach_stderr,
            open_stdout: e.config.attach_stdout,
            can_remove: !st.running,
            container_id: e.container.clone(),
            detach_keys: e.config.detach_keys.clone(),
            pid: st.pid,
        })
    }

    /// `POST /exec/{id}/resize`.
    pub fn resize_exec(&self, id: &str, h: u16, w: u16) -> Result<()> {
        let e = self.exec_entry(id)?;
        shim::request(&self.paths(&e.container).socket(), &format!("resize {id} {h} {w}\n"))?;
        Ok(())
    }
}

/// Whether host process `pid` exists and has not exited (a zombie has).
fn alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}
