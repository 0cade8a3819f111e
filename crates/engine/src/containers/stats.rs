//! `stats`, `top` and `update`: the container's cgroup, read and written.

use crate::events::attrs;
use crate::{Engine, Error, Result};
use api::container::UpdateConfig;
use runtime::cgroups::Hierarchy;
use serde_json::{json, Value};

impl Engine {
    fn cgroup_of(&self, rec: &super::ContainerRecord) -> String {
        let parent = if rec.host_config.cgroup_parent.is_empty() { self.default_cgroup_parent() } else { rec.host_config.cgroup_parent.trim_end_matches('/') };
        format!("{parent}/{}", rec.id)
    }

    /// One stats sample (`precpu_stats` from `previous`, if given).
    pub fn container_stats(&self, name: &str, previous: Option<&Value>) -> Result<Value> {
        let c = self.container(name)?;
        let rec = c.rec().clone();
        let running = matches!(rec.state.status.as_str(), "running" | "paused");
        let mut s = if running {
            Hierarchy::detect().stats(&self.cgroup_of(&rec))
        } else {
            json!({"pids_stats": {}, "blkio_stats": {"io_service_bytes_recursive": null}, "num_procs": 0, "storage_stats": {},
                   "cpu_stats": {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0}, "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}},
                   "memory_stats": {}})
        };
        let now = api::time::now_rfc3339();
        s["read"] = json!(if running { now.clone() } else { api::container::ZERO_TIME.into() });
        s["name"] = json!(format!("/{}", rec.name));
        s["id"] = json!(rec.id);
        match previous {
            Some(p) => {
                s["preread"] = p["read"].clone();
                s["precpu_stats"] = p["cpu_stats"].clone();
            }
            None => {
                s["preread"] = json!(api::container::ZERO_TIME);
                s["precpu_stats"] = json!({"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0}, "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}});
            }
        }
        if running {
            let nets = runtime::cgroups::networks(rec.state.pid);
            if nets.as_object().is_some_and(|m| !m.is_empty()) {
                s["networks"] = nets;
            }
        }
        Ok(s)
    }

    /// Whether the container runs (for the stats stream to stop).
    pub fn container_running(&self, name: &str) -> bool {
        self.container(name).is_ok_and(|c| matches!(c.rec().state.status.as_str(), "running" | "paused"))
    }

    /// `GET /containers/{id}/top`: `ps` on the host, restricted to the container's processes.
    pub fn top_container(&self, name: &str, ps_args: &str) -> Result<Value> {
        let c = self.container(name)?;
        let rec = c.rec().clone();
        if !matches!(rec.state.status.as_str(), "running" | "paused") {
            return Err(Error::conflict(format!("container {} is not running", rec.id)));
        }
        let pids = Hierarchy::detect().pids(&self.cgroup_of(&rec));
        let args: Vec<&str> = if ps_args.trim().is_empty() { vec!["-ef"] } else { ps_args.split_whitespace().collect() };
        let out = std::process::Command::new("ps").args(&args).output().map_err(|e| Error::internal(format!("running ps: {e}")))?;
        if !out.status.success() {
            return Err(Error::internal(format!("ps: {}", String::from_utf8_lossy(&out.stderr).trim())));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let header = lines.next().unwrap_or("");
        let titles: Vec<&str> = header.split_whitespace().collect();
        let pid_col = titles.iter().position(|t| *t == "PID").ok_or_else(|| Error::invalid("Couldn't find PID field in ps output"))?;
        let mut procs = Vec::new();
        for l in lines {
            let f: Vec<&str> = l.split_whitespace().collect();
            let Some(pid) = f.get(pid_col).and_then(|p| p.parse::<i32>().ok()) else { continue };
            if !pids.contains(&pid) {
                continue;
            }
            // The last column (the command) may contain spaces.
            let mut row: Vec<String> = f[..titles.len().min(f.len()).saturating_sub(1)].iter().map(|s| s.to_string()).collect();
            row.push(f[titles.len().saturating_sub(1).min(f.len())..].join(" "));
            procs.push(row);
        }
        self.events.publish("container", "top", &rec.id, attrs([("name", rec.name)]));
        Ok(json!({"Titles": titles, "Processes": procs}))
    }

    /// `POST /containers/{id}/update`.
    pub fn update_container(&self, name: &str, u: UpdateConfig) -> Result<Vec<String>> {
        let c = self.container(name)?;
        let _op = c.op.lock().unwrap_or_else(|p| p.into_inner());
        let rec = c.rec().clone();
        let mut h = rec.host_config.clone();
        let u = only_set(u);
        check_update(&u, &h)?;
        if let Some(v) = u.memory {
            h.memory = v;
        }
        if let Some(v) = u.memory_swap {
            h.memory_swap = v;
        }
        if let Some(v) = u.memory_reservation {
            h.memory_reservation = v;
        }
        if let Some(v) = u.cpu_shares {
            h.cpu_shares = v;
        }
        if let Some(v) = u.nano_cpus {
            h.nano_cpus = v;
        }
        if let Some(v) = u.cpu_quota {
            h.cpu_quota = v;
        }
        if let Some(v) = u.cpu_period {
            h.cpu_period = v;
        }
        if let Some(v) = &u.cpuset_cpus {
            h.cpuset_cpus = v.clone();
        }
        if let Some(v) = &u.cpuset_mems {
            h.cpuset_mems = v.clone();
        }
        if let Some(v) = u.pids_limit {
            h.pids_limit = Some(v);
        }
        if let Some(v) = u.blkio_weight {
            h.blkio_weight = v;
        }
        if let Some(rp) = &u.restart_policy {
            h.restart_policy = rp.clone();
        }
        super::create::validate_host_config(&h)?;
        if matches!(rec.state.status.as_str(), "running" | "paused") {
            let mut w: Vec<(&str, &str, &str, String)> = Vec::new();
            if u.memory.is_some() || u.memory_swap.is_some() {
                let mem = if h.memory > 0 { h.memory.to_string() } else { "-1".into() };
                let swap = match (h.memory, h.memory_swap) {
                    (0, _) => "-1".to_string(),
                    (m, 0) => (m * 2).to_string(),
                    (_, s) => s.to_string(),
                };
                // v1 requires memory <= memsw at every step: raise memsw first when growing.
                w.push(("memory", "memory.memsw.limit_in_bytes", "", "-1".into()));
                w.push(("memory", "memory.limit_in_bytes", "memory.max", if h.memory > 0 { mem } else { "max".into() }.replace("-1", "-1")));
                w.push(("memory", "memory.memsw.limit_in_bytes", "memory.swap.max", swap));
            }
            if u.memory_reservation.is_some() {
                w.push(("memory", "memory.soft_limit_in_bytes", "memory.low", h.memory_reservation.to_string()));
            }
            if u.cpu_shares.is_some() {
                let weight = 1 + ((h.cpu_shares.max(2) - 2) * 9999) / 262_142;
                w.push(("cpu", "cpu.shares", "cpu.weight", if matches!(Hierarchy::detect(), Hierarchy::V1(_)) { h.cpu_shares.to_string() } else { weight.to_string() }));
            }
            if u.nano_cpus.is_some() || u.cpu_quota.is_some() || u.cpu_period.is_some() {
                let (quota, period) = if h.nano_cpus > 0 { (h.nano_cpus * 100_000 / 1_000_000_000, 100_000) } else { (if h.cpu_quota > 0 { h.cpu_quota } else { -1 }, if h.cpu_period > 0 { h.cpu_period } else { 100_000 }) };
                w.push(("cpu", "cpu.cfs_period_us", "", period.to_string()));
                w.push(("cpu", "cpu.cfs_quota_us", "cpu.max", if matches!(Hierarchy::detect(), Hierarchy::V1(_)) { quota.to_string() } else if quota < 0 { format!("max {period}") } else { format!("{quota} {period}") }));
            }
            if u.cpuset_cpus.is_some() {
                w.push(("cpuset", "cpuset.cpus", "cpuset.cpus", h.cpuset_cpus.clone()));
            }
            if u.pids_limit.is_some() {
                let p = h.pids_limit.unwrap_or(0);
                w.push(("pids", "pids.max", "pids.max", if p <= 0 { "max".into() } else { p.to_string() }));
            }
            let hier = Hierarchy::detect();
            let cg = self.cgroup_of(&rec);
            // memsw may not exist (no swap accounting): skip those writes when absent.
            let w: Vec<_> = w.into_iter().filter(|(ctl, v1, _, _)| !matches!(hier, Hierarchy::V1(_)) || v1.is_empty() || hier.dir(ctl, &cg).join(v1).exists()).collect();
            hier.set(&cg, &w).map_err(|e| Error::invalid(format!("Cannot update container {}: {e}", rec.id)))?;
        }
        self.update(&c, |r| r.host_config = h)?;
        self.events.publish("container", "update", &rec.id, attrs([("name", rec.name)]));
        Ok(Vec::new())
    }
}

/// The docker CLI sends every field of an update, zero where the user gave no flag: as
/// dockerd, zero (or an empty string, or a restart policy without a name) changes nothing.
fn only_set(mut u: UpdateConfig) -> UpdateConfig {
    for v in [&mut u.cpu_shares, &mut u.memory, &mut u.cpu_period, &mut u.cpu_quota, &mut u.memory_reservation, &mut u.memory_swap, &mut u.nano_cpus] {
        if *v == Some(0) {
            *v = None;
        }
    }
    for v in [&mut u.cpuset_cpus, &mut u.cpuset_mems] {
        if v.as_deref() == Some("") {
            *v = None;
        }
    }
    if u.blkio_weight == Some(0) {
        u.blkio_weight = None;
    }
    if u.restart_policy.as_ref().is_some_and(|r| r.name.is_empty()) {
        u.restart_policy = None;
    }
    u
}

/// dockerd's conflicts between an update and what the container already has.
fn check_update(u: &UpdateConfig, h: &api::container::HostConfig) -> Result<()> {
    let conflict = |m: &str| Err(Error::invalid(format!("Conflicting options: {m}")));
    if u.nano_cpus.is_some() && h.cpu_period > 0 {
        return conflict("Nano CPUs cannot be updated as CPU Period has already been set");
    }
    if u.nano_cpus.is_some() && h.cpu_quota > 0 {
        return conflict("Nano CPUs cannot be updated as CPU Quota has already been set");
    }
    if u.cpu_period.is_some() && h.nano_cpus > 0 {
        return conflict("CPU Period cannot be updated as NanoCPUs has already been set");
    }
    if u.cpu_quota.is_some() && h.nano_cpus > 0 {
        return conflict("CPU Quota cannot be updated as NanoCPUs has already been set");
    }
    if let Some(m) = u.memory {
        if h.memory_swap > 0 && m > h.memory_swap && u.memory_swap.is_none() {
            return Err(Error::invalid("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"));
        }
    }
    Ok(())
}
