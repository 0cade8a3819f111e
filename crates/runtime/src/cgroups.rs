//! Reading and writing a container's cgroup (v1 or v2): statistics for `stats`, processes
//! for `top`, limits for `update`. The root is a parameter so tests can use a fake tree.

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// A cgroup hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hierarchy {
    /// Controllers mounted separately under the root (`<root>/memory`, ...).
    V1(PathBuf),
    /// The unified hierarchy at the root.
    V2(PathBuf),
}

impl Hierarchy {
    /// The host's hierarchy (v2 when `/sys/fs/cgroup/cgroup.controllers` exists).
    pub fn detect() -> Hierarchy {
        let root = PathBuf::from("/sys/fs/cgroup");
        if root.join("cgroup.controllers").exists() {
            Hierarchy::V2(root)
        } else {
            Hierarchy::V1(root)
        }
    }

    /// Directory of `cgroup` (`/berth/<id>`) for `controller`.
    pub fn dir(&self, controller: &str, cgroup: &str) -> PathBuf {
        let rel = cgroup.trim_start_matches('/');
        match self {
            Hierarchy::V1(root) => root.join(controller).join(rel),
            Hierarchy::V2(root) => root.join(rel),
        }
    }

    fn read(&self, controller: &str, cgroup: &str, file: &str) -> Option<String> {
        std::fs::read_to_string(self.dir(controller, cgroup).join(file)).ok()
    }

    fn num(&self, controller: &str, cgroup: &str, file: &str) -> Option<u64> {
        self.read(controller, cgroup, file)?.trim().parse().ok()
    }

    /// PIDs in the cgroup.
    pub fn pids(&self, cgroup: &str) -> Vec<i32> {
        let text = self.read("pids", cgroup, "cgroup.procs").or_else(|| self.read("memory", cgroup, "cgroup.procs")).unwrap_or_default();
        text.lines().filter_map(|l| l.trim().parse().ok()).collect()
    }

    /// Docker's stats JSON for the cgroup (without `read`/`preread`/`precpu_stats`/`networks`).
    pub fn stats(&self, cgroup: &str) -> Value {
        let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let (total, user, kernel, percpu, mem_usage, mem_limit, mem_max, mem_stats, pids, pids_limit, blkio) = match self {
            Hierarchy::V1(_) => {
                let stat = parse_kv(&self.read("cpuacct", cgroup, "cpuacct.stat").unwrap_or_default());
                let tick = 10_000_000; // USER_HZ = 100
                let percpu: Vec<u64> = self.read("cpuacct", cgroup, "cpuacct.usage_percpu").unwrap_or_default().split_whitespace().filter_map(|v| v.parse().ok()).collect();
                let limit = self.num("memory", cgroup, "memory.limit_in_bytes").unwrap_or(u64::MAX);
                let blkio = parse_v1_blkio(&self.read("blkio", cgroup, "blkio.throttle.io_service_bytes").unwrap_or_default());
                (
                    self.num("cpuacct", cgroup, "cpuacct.usage").unwrap_or(0),
                    stat.get("user").and_then(Value::as_u64).unwrap_or(0) * tick,
                    stat.get("system").and_then(Value::as_u64).unwrap_or(0) * tick,
                    percpu,
                    self.num("memory", cgroup, "memory.usage_in_bytes").unwrap_or(0),
                    limit,
                    self.num("memory", cgroup, "memory.max_usage_in_bytes"),
                    parse_kv(&self.read("memory", cgroup, "memory.stat").unwrap_or_default()),
                    self.num("pids", cgroup, "pids.current").unwrap_or(0),
                    self.read("pids", cgroup, "pids.max").and_then(|v| v.trim().parse::<u64>().ok()),
                    blkio,
                )
            }
            Hierarchy::V2(_) => {
                let stat = parse_kv(&self.read("", cgroup, "cpu.stat").unwrap_or_default());
                let limit = self.read("", cgroup, "memory.max").and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(u64::MAX);
                let blkio = parse_v2_io(&self.read("", cgroup, "io.stat").unwrap_or_default());
                (
                    stat.get("usage_usec").and_then(Value::as_u64).unwrap_or(0) * 1000,
                    stat.get("user_usec").and_then(Value::as_u64).unwrap_or(0) * 1000,
                    stat.get("system_usec").and_then(Value::as_u64).unwrap_or(0) * 1000,
                    Vec::new(),
                    self.num("", cgroup, "memory.current").unwrap_or(0),
                    limit,
                    self.num("", cgroup, "memory.peak"),
                    parse_kv(&self.read("", cgroup, "memory.stat").unwrap_or_default()),
                    self.num("", cgroup, "pids.current").unwrap_or(0),
                    self.read("", cgroup, "pids.max").and_then(|v| v.trim().parse::<u64>().ok()),
                    blkio,
                )
            }
        };
        // An unlimited cgroup reports a huge number: Docker shows the host's memory then.
        let host_mem = host_memory();
        let limit = if mem_limit == 0 || mem_limit >= host_mem { host_mem } else { mem_limit };
        let mut cpu_usage = json!({"total_usage": total, "usage_in_kernelmode": kernel, "usage_in_usermode": user});
        if !percpu.is_empty() {
            cpu_usage["percpu_usage"] = json!(percpu);
        }
        let mut memory = json!({"usage": mem_usage, "limit": limit, "stats": mem_stats});
        if let Some(m) = mem_max {
            memory["max_usage"] = json!(m);
        }
        let mut pids_stats = json!({"current": pids});
        if let Some(l) = pids_limit {
            pids_stats["limit"] = json!(l);
        }
        json!({
            "pids_stats": pids_stats,
            "blkio_stats": {"io_service_bytes_recursive": blkio, "io_serviced_recursive": null, "io_queue_recursive": null,
                "io_service_time_recursive": null, "io_wait_time_recursive": null, "io_merged_recursive": null,
                "io_time_recursive": null, "sectors_recursive": null},
            "num_procs": 0,
            "storage_stats": {},
            "cpu_stats": {"cpu_usage": cpu_usage, "system_cpu_usage": system_cpu_usage(), "online_cpus": ncpu,
                "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}},
            "memory_stats": memory,
        })
    }

    /// Applies new limits (`update`): each `(v1 controller, v1 file, v2 file, value)`.
    pub fn set(&self, cgroup: &str, writes: &[(&str, &str, &str, String)]) -> Result<(), String> {
        for (ctl, v1, v2, val) in writes {
            let (dir, file) = match self {
                Hierarchy::V1(_) => (self.dir(ctl, cgroup), *v1),
                Hierarchy::V2(_) => (self.dir("", cgroup), *v2),
            };
            if file.is_empty() {
                continue;
            }
            std::fs::write(dir.join(file), val).map_err(|e| format!("setting {file} to {val}: {e}"))?;
        }
        Ok(())
    }
}

fn parse_kv(s: &str) -> Map<String, Value> {
    s.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_string(), Value::from(f.next()?.parse::<u64>().ok()?)))
        })
        .collect()
}

fn parse_v1_blkio(s: &str) -> Vec<Value> {
    s.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [dev, op, v] = f.as_slice() else { return None };
            let (maj, min) = dev.split_once(':')?;
            Some(json!({"major": maj.parse::<u64>().ok()?, "minor": min.parse::<u64>().ok()?, "op": op.to_lowercase(), "value": v.parse::<u64>().ok()?}))
        })
        .collect()
}

fn parse_v2_io(s: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for l in s.lines() {
        let mut f = l.split_whitespace();
        let Some((maj, min)) = f.next().and_then(|d| d.split_once(':')) else { continue };
        let (Ok(maj), Ok(min)) = (maj.parse::<u64>(), min.parse::<u64>()) else { continue };
        for kv in f {
            let Some((k, v)) = kv.split_once('=') else { continue };
            let op = match k {
                "rbytes" => "read",
                "wbytes" => "write",
                _ => continue,
            };
            if let Ok(v) = v.parse::<u64>() {
                out.push(json!({"major": maj, "minor": min, "op": op, "value": v}));
            }
        }
    }
    out
}

/// Host CPU time in nanoseconds (from `/proc/stat`), as Docker's `system_cpu_usage`.
pub fn system_cpu_usage() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().find(|l| l.starts_with("cpu ")).unwrap_or("");
    let ticks: u64 = line.split_whitespace().skip(1).take(8).filter_map(|v| v.parse::<u64>().ok()).sum();
    ticks * 10_000_000
}

/// Host memory in bytes.
pub fn host_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("MemTotal:").and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())))
        .map_or(0, |kb| kb * 1024)
}

/// Network counters of the namespace `pid` lives in (`/proc/<pid>/net/dev`), without `lo`.
pub fn networks(pid: i64) -> Value {
    let text = std::fs::read_to_string(Path::new(&format!("/proc/{pid}/net/dev"))).unwrap_or_default();
    let mut out = Map::new();
    for l in text.lines().skip(2) {
        let Some((name, rest)) = l.split_once(':') else { continue };
        let name = name.trim();
        if name == "lo" {
            continue;
        }
        let v: Vec<u64> = rest.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        if v.len() < 16 {
            continue;
        }
        out.insert(
            name.to_string(),
            json!({"rx_bytes": v[0], "rx_packets": v[1], "rx_errors": v[2], "rx_dropped": v[3],
                   "tx_bytes": v[8], "tx_packets": v[9], "tx_errors": v[10], "tx_dropped": v[11]}),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_trees_read_alike() {
        let root = std::env::temp_dir().join(format!("berth-cg-test-{}", std::process::id()));
        let v1 = Hierarchy::V1(root.join("v1"));
        for (ctl, file, val) in [
            ("cpuacct", "cpuacct.usage", "5000000000"),
            ("cpuacct", "cpuacct.stat", "user 300\nsystem 200\n"),
            ("memory", "memory.usage_in_bytes", "1048576"),
            ("memory", "memory.limit_in_bytes", "67108864"),
            ("memory", "memory.stat", "cache 4096\ntotal_inactive_file 1024\n"),
            ("pids", "pids.current", "3"),
            ("pids", "pids.max", "100"),
            ("pids", "cgroup.procs", "10\n11\n"),
            ("blkio", "blkio.throttle.io_service_bytes", "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n"),
        ] {
            let d = v1.dir(ctl, "/berth/x");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(file), val).unwrap();
        }
        let s = v1.stats("/berth/x");
        assert_eq!(s["cpu_stats"]["cpu_usage"]["total_usage"], 5_000_000_000u64);
        assert_eq!(s["cpu_stats"]["cpu_usage"]["usage_in_usermode"], 3_000_000_000u64);
        assert_eq!(s["memory_stats"]["usage"], 1_048_576);
        assert_eq!(s["memory_stats"]["limit"], 67_108_864);
        assert_eq!(s["memory_stats"]["stats"]["total_inactive_file"], 1024);
        assert_eq!(s["pids_stats"], json!({"current": 3, "limit": 100}));
        assert_eq!(s["blkio_stats"]["io_service_bytes_recursive"][1], json!({"major": 8, "minor": 0, "op": "write", "value": 8192}));
        assert_eq!(v1.pids("/berth/x"), vec![10, 11]);

        let v2 = Hierarchy::V2(root.join("v2"));
        let d = v2.dir("", "/berth/y");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("cpu.stat"), "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\n").unwrap();
        std::fs::write(d.join("memory.current"), "2048").unwrap();
        std::fs::write(d.join("memory.max"), "max").unwrap();
        std::fs::write(d.join("io.stat"), "8:0 rbytes=10 wbytes=20 rios=1 wios=2\n").unwrap();
        let s = v2.stats("/berth/y");
        assert_eq!(s["cpu_stats"]["cpu_usage"]["total_usage"], 2_000_000);
        assert_eq!(s["memory_stats"]["usage"], 2048);
        assert_eq!(s["memory_stats"]["limit"], host_memory(), "unlimited shows host memory");
        assert_eq!(s["blkio_stats"]["io_service_bytes_recursive"].as_array().unwrap().len(), 2);
        v2.set("/berth/y", &[("memory", "memory.limit_in_bytes", "memory.max", "1000000".into())]).unwrap();
        assert_eq!(std::fs::read_to_string(d.join("memory.max")).unwrap(), "1000000");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
