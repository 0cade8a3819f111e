//! Containers: records, the in-memory registry, and the link to each container's shim.
//!
//! Layout: `<data-root>/containers/<id>/` holds the writable layer (`diff`, `work`, the
//! mounted `merged`), `/etc` files and the json-file log; `<exec-root>/containers/<id>/`
//! holds the OCI bundle (`config.json`), the shim's socket and the exit file. Records are
//! persisted in the store on every state change, so a restarted berthd finds every
//! container, reconnects to shims that are still running, and reads the exit status of
//! those that ended while it was away.

mod create;
mod exec;
mod health;
mod inspect;
mod lifecycle;
mod logs;
pub(crate) mod monitor;
pub mod names;
mod shim;
mod stats;

pub use exec::ExecInspect;
pub(crate) use exec::ExecEntry;
pub use shim::{parse_detach_keys, AttachRequest};
pub use inspect::ListOptions;
pub use logs::{parse_log_time, LogOptions};

use crate::{Engine, Error, Result};
use api::container::{Health, HostConfig};
use api::image::ContainerConfig;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Kind of store records holding containers.
const RECORD: &str = "container";

/// A container's persistent state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StateRecord {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`.
    pub status: String,
    /// Host PID of the main process.
    pub pid: i64,
    /// Last exit code.
    pub exit_code: i64,
    /// Last start error.
    pub error: String,
    /// Last start.
    pub started_at: String,
    /// Last exit.
    pub finished_at: String,
    /// OOM-killed at the last exit.
    pub oom_killed: bool,
    /// Health.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

/// Everything berth keeps about a container.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContainerRecord {
    /// 64 hex characters.
    pub id: String,
    /// Name without the leading `/`.
    pub name: String,
    /// Creation time.
    pub created: String,
    /// The command's executable.
    pub path: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Effective config (image config merged with the request).
    pub config: ContainerConfig,
    /// Host config as requested.
    pub host_config: HostConfig,
    /// Image ID.
    pub image_id: String,
    /// State.
    pub state: StateRecord,
    /// Restarts by the restart policy.
    pub restart_count: i64,
    /// Stopped by a user (`unless-stopped` and restart policies leave it alone).
    pub manually_stopped: bool,
    /// Started at least once.
    pub has_been_started: bool,
}

/// A container in memory: its record and what threads wait on.
pub(crate) struct Ctr {
    pub rec: Mutex<ContainerRecord>,
    /// Signalled on every state change.
    pub changed: Condvar,
    /// Serialises start/stop/restart/remove.
    pub op: Mutex<()>,
    /// Attach requests waiting for the next start.
    pub pending: Mutex<Vec<shim::PendingAttach>>,
    /// Exits seen so far (for `wait?condition=next-exit`).
    pub exits: Mutex<u64>,
}

impl Ctr {
    pub fn rec(&self) -> MutexGuard<'_, ContainerRecord> {
        self.rec.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The registry of containers.
#[derive(Default)]
pub(crate) struct Registry {
    by_id: Mutex<HashMap<String, Arc<Ctr>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Where a container's files live.
pub(crate) struct Paths {
    pub dir: PathBuf,
    pub state: PathBuf,
}

impl Paths {
    pub fn upper(&self) -> PathBuf {
        self.dir.join("diff")
    }
    pub fn work(&self) -> PathBuf {
        self.dir.join("work")
    }
    pub fn merged(&self) -> PathBuf {
        self.dir.join("merged")
    }
    pub fn log(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}-json.log"))
    }
    pub fn socket(&self) -> PathBuf {
        self.state.join("shim.sock")
    }
}

impl Engine {
    pub(crate) fn paths(&self, id: &str) -> Paths {
        Paths { dir: self.config.data_root.join("containers").join(id), state: self.config.exec_root.join("containers").join(id) }
    }

    /// Finds a container by full ID, name (with or without `/`), or unique ID prefix.
    pub(crate) fn container(&self, name: &str) -> Result<Arc<Ctr>> {
        let map = lock(&self.containers.by_id);
        if let Some(c) = map.get(name) {
            return Ok(c.clone());
        }
        let n = name.trim_start_matches('/');
        if let Some(c) = map.values().find(|c| c.rec().name == n) {
            return Ok(c.clone());
        }
        let hits: Vec<&Arc<Ctr>> = if name.is_empty() { Vec::new() } else { map.iter().filter(|(id, _)| id.starts_with(name)).map(|(_, c)| c).collect() };
        match hits.len() {
            1 => Ok(hits[0].clone()),
            0 => Err(Error::not_found(format!("No such container: {name}"))),
            _ => Err(Error::invalid(format!("multiple IDs found with provided prefix: {name}"))),
        }
    }

    pub(crate) fn all_containers(&self) -> Vec<Arc<Ctr>> {
        lock(&self.containers.by_id).values().cloned().collect()
    }

    /// Persists a container's record.
    pub(crate) fn save(&self, rec: &ContainerRecord) -> Result<()> {
        let v = serde_json::to_vec(rec).expect("record serialises");
        self.store.put_record(RECORD, &rec.id, &v)?;
        Ok(())
    }

    /// Updates a record under its lock, persists it and wakes waiters.
    pub(crate) fn update(&self, c: &Ctr, f: impl FnOnce(&mut ContainerRecord)) -> Result<ContainerRecord> {
        let snapshot = {
            let mut r = c.rec();
            f(&mut r);
            r.clone()
        };
        let res = self.save(&snapshot);
        c.changed.notify_all();
        res.map(|_| snapshot)
    }

    pub(crate) fn default_cgroup_parent(&self) -> &str {
        let p = self.config.cgroup_parent.trim_end_matches('/');
        if p.is_empty() {
            "/berth"
        } else {
            p
        }
    }

    /// Containers using an image: (name, running).
    pub(crate) fn containers_of_image(&self, image: &store::Digest) -> Vec<(String, bool)> {
        let id = image.to_string();
        self.all_containers()
            .iter()
            .filter_map(|c| {
                let r = c.rec();
                (r.image_id == id).then(|| (r.id[..12].to_string(), matches!(r.state.status.as_str(), "running" | "paused" | "restarting")))
            })
            .collect()
    }

    /// Loads container records and reconnects to running containers (daemon start).
    pub(crate) fn load_containers(&self) -> Result<()> {
        for (id, raw) in self.store.records(RECORD)? {
            let mut rec: ContainerRecord = match serde_json::from_slice(&raw) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("berthd: skipping unreadable container record {id}: {e}");
                    continue;
                }
            };
            // Records from before the runtime was recorded at create were all berth-oci's:
            // a later `default-runtime` must not take them over.
            if rec.host_config.runtime.is_empty() {
                rec.host_config.runtime = "berth-oci".into();
                self.save(&rec)?;
            }
            let c = Arc::new(Ctr { rec: Mutex::new(rec), changed: Condvar::new(), op: Mutex::new(()), pending: Mutex::new(Vec::new()), exits: Mutex::new(0) });
            lock(&self.containers.by_id).insert(id, c);
        }
        for c in self.all_containers() {
            let status = c.rec().state.status.clone();
            match status.as_str() {
                "running" | "paused" => self.reattach(&c),
                "removing" => {
                    let id = c.rec().id.clone();
                    let _ = self.remove_container(&id, true, false);
                }
                "restarting" => self.schedule_restart_on_boot(&c),
                _ => self.schedule_restart_on_boot(&c),
            }
        }
        Ok(())
    }

    fn register(&self, c: Arc<Ctr>) {
        let id = c.rec().id.clone();
        lock(&self.containers.by_id).insert(id, c);
    }

    fn unregister(&self, id: &str) {
        lock(&self.containers.by_id).remove(id);
    }

    /// Number of containers per state (for `info`).
    pub(crate) fn container_counts(&self) -> (usize, usize, usize, usize) {
        let all = self.all_containers();
        let (mut running, mut paused, mut stopped) = (0, 0, 0);
        for c in &all {
            match c.rec().state.status.as_str() {
                "running" | "restarting" => running += 1,
                "paused" => paused += 1,
                _ => stopped += 1,
            }
        }
        (all.len(), running, paused, stopped)
    }
}
