//! `stats`: resource usage computed from `GET /containers/{id}/stats` samples as the Docker
//! CLI computes it (CPU % from the sample and its `precpu_stats`, memory without the
//! inactive file cache), shown once (`--no-stream`) or redrawn every half second.

use crate::client::{url, Body, Client, Error};
use crate::format::{go_g, human_size_prec};
use api::container::ContainerSummary;
use clap::Args;
use serde_json::{json, Map, Value};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

#[derive(Args, Debug, Default)]
pub struct StatsArgs {
    /// Containers (default: all running)
    #[arg(value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long = "all")]
    all: bool,
    /// Format output using a custom template
    #[arg(long = "format")]
    format: Option<String>,
    /// Disable streaming stats and only pull the first result
    #[arg(long = "no-stream")]
    no_stream: bool,
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
}

/// The default `stats` table.
pub const STATS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

const HEADERS: [(&str, &str); 9] = [
    ("Container", "CONTAINER"),
    ("ID", "CONTAINER ID"),
    ("Name", "NAME"),
    ("CPUPerc", "CPU %"),
    ("MemUsage", "MEM USAGE / LIMIT"),
    ("MemPerc", "MEM %"),
    ("NetIO", "NET I/O"),
    ("BlockIO", "BLOCK I/O"),
    ("PIDs", "PIDS"),
];

/// The figures of one sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub name: String,
    pub id: String,
    pub cpu_percent: f64,
    pub memory: f64,
    pub memory_limit: f64,
    pub memory_percent: f64,
    pub net_rx: f64,
    pub net_tx: f64,
    pub block_read: f64,
    pub block_write: f64,
    pub pids: u64,
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// Docker's `calculateCPUPercentUnix` and friends over one stats document.
pub fn usage(v: &Value) -> Usage {
    let cpu = &v["cpu_stats"];
    let pre = &v["precpu_stats"];
    let cpu_delta = num(&cpu["cpu_usage"]["total_usage"]) - num(&pre["cpu_usage"]["total_usage"]);
    let system_delta = num(&cpu["system_cpu_usage"]) - num(&pre["system_cpu_usage"]);
    let mut online = num(&cpu["online_cpus"]);
    if online == 0.0 {
        online = cpu["cpu_usage"]["percpu_usage"].as_array().map_or(0, |a| a.len()) as f64;
    }
    let cpu_percent = if system_delta > 0.0 && cpu_delta > 0.0 { cpu_delta / system_delta * online * 100.0 } else { 0.0 };

    let mem = &v["memory_stats"];
    let usage = num(&mem["usage"]);
    let stats = &mem["stats"];
    let memory = match stats.get("total_inactive_file").and_then(Value::as_f64) {
        Some(x) if x < usage => usage - x,
        Some(_) => usage,
        None => match stats.get("inactive_file").and_then(Value::as_f64) {
            Some(x) if x < usage => usage - x,
            _ => usage,
        },
    };
    let memory_limit = num(&mem["limit"]);
    let memory_percent = if memory_limit != 0.0 { memory / memory_limit * 100.0 } else { 0.0 };

    let (mut net_rx, mut net_tx) = (0.0, 0.0);
    for n in v["networks"].as_object().into_iter().flat_map(|m| m.values()) {
        net_rx += num(&n["rx_bytes"]);
        net_tx += num(&n["tx_bytes"]);
    }
    let (mut block_read, mut block_write) = (0.0, 0.0);
    for e in v["blkio_stats"]["io_service_bytes_recursive"].as_array().into_iter().flatten() {
        match e["op"].as_str().and_then(|o| o.chars().next()) {
            Some('r' | 'R') => block_read += num(&e["value"]),
            Some('w' | 'W') => block_write += num(&e["value"]),
            _ => {}
        }
    }
    Usage {
        name: v["name"].as_str().unwrap_or("").trim_start_matches('/').to_string(),
        id: v["id"].as_str().unwrap_or("").to_string(),
        cpu_percent,
        memory,
        memory_limit,
        memory_percent,
        net_rx,
        net_tx,
        block_read,
        block_write,
        pids: v["pids_stats"]["current"].as_u64().unwrap_or(0),
    }
}

/// go-units `BytesSize`: binary units with four significant digits (`6.234MiB`).
pub fn bytes_size(v: f64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let (mut s, mut i) = (v, 0);
    while s >= 1024.0 && i < UNITS.len() - 1 {
        s /= 1024.0;
        i += 1;
    }
    format!("{}{}", go_g(s, 4), UNITS[i])
}

/// One table row (Docker's `statsContext`). Before the first sample the figures are
/// zeros; once the stream failed or ended (`invalid`) they show as `--`, while the name
/// and ID of the last sample stay.
pub fn stats_row(container: &str, u: &Usage, invalid: bool, trunc: bool) -> Value {
    let id = if trunc { u.id.chars().take(12).collect() } else { u.id.clone() };
    let name = if u.name.is_empty() { "--".to_string() } else { u.name.clone() };
    if invalid {
        return json!({
            "BlockIO": "--", "CPUPerc": "--", "Container": container, "ID": id, "MemPerc": "--",
            "MemUsage": "-- / --", "Name": name, "NetIO": "--", "PIDs": "--",
        });
    }
    json!({
        "BlockIO": format!("{} / {}", human_size_prec(u.block_read, 3), human_size_prec(u.block_write, 3)),
        "CPUPerc": format!("{:.2}%", u.cpu_percent),
        "Container": container,
        "ID": id,
        "MemPerc": format!("{:.2}%", u.memory_percent),
        "MemUsage": format!("{} / {}", bytes_size(u.memory), bytes_size(u.memory_limit)),
        "Name": name,
        "NetIO": format!("{} / {}", human_size_prec(u.net_rx, 3), human_size_prec(u.net_tx, 3)),
        "PIDs": u.pids.to_string(),
    })
}

/// Renders rows with the user's format (or the default table).
pub fn render_stats(format: Option<&str>, rows: &[Value]) -> anyhow::Result<String> {
    let f = match format {
        None | Some("") | Some("table") => STATS_TABLE,
        Some(f) => f,
    };
    let (_, text) = gotmpl::prepare_format(f);
    if text.trim() == "{{json .}}" {
        let mut out = String::new();
        for r in rows {
            out.push_str(&crate::format::go_escape(&serde_json::to_string(r)?));
            out.push('\n');
        }
        return Ok(out);
    }
    let mut h = Map::new();
    for (k, v) in HEADERS {
        h.insert(k.into(), json!(v));
    }
    gotmpl::format_rows(f, rows, &Value::Object(h)).map_err(|e| anyhow::anyhow!("template parsing error: {e}"))
}

/// One container being watched.
struct Entry {
    container: String,
    usage: Usage,
    /// Why the stream failed or ended (the figures then show as `--`).
    error: Option<String>,
    /// A first sample (or an error) came.
    seen: bool,
}

type Shared = Arc<Mutex<Vec<Entry>>>;

fn one_sample(c: &Client, name: &str) -> Result<Usage, Error> {
    let v: Value = c.get_json(&url(&format!("/containers/{name}/stats"), &[("stream", "0".into())]))?;
    Ok(usage(&v))
}

/// Follows `GET /containers/{id}/stats?stream=1`, updating the entry on every sample.
fn follow(c: Client, name: String, shared: Shared) {
    std::thread::spawn(move || {
        let set = |f: &mut dyn FnMut(&mut Entry)| {
            let mut list = shared.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = list.iter_mut().find(|e| e.container == name) {
                f(e);
            }
        };
        let path = url(&format!("/containers/{name}/stats"), &[("stream", "1".into())]);
        let mut resp = match c.request("GET", &path, Body::None) {
            Ok(r) => r,
            Err(e) => {
                let msg = e.to_string();
                set(&mut |en| {
                    en.error = Some(msg.clone());
                    en.seen = true;
                });
                return;
            }
        };
        for line in resp.body().lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let u = usage(&v);
                set(&mut |en| {
                    en.usage = u.clone();
                    en.error = None;
                    en.seen = true;
                });
            }
        }
        set(&mut |en| {
            en.error.get_or_insert_with(|| "EOF".to_string());
            en.seen = true;
        });
    });
}

fn list_containers(c: &Client, all: bool) -> Result<Vec<String>, Error> {
    let list: Vec<ContainerSummary> = c.get_json(&url("/containers/json", &[("all", if all { "1".into() } else { String::new() })]))?;
    // Docker names these by their short ID.
    Ok(list.into_iter().map(|s| s.id.chars().take(12).collect()).collect())
}

pub fn stats(c: &Client, a: &StatsArgs) -> anyhow::Result<i32> {
    let trunc = !a.no_trunc;
    let named = !a.containers.is_empty();
    if a.no_stream {
        let names = if named { a.containers.clone() } else { list_containers(c, a.all)? };
        let results: Vec<Result<Usage, Error>> = std::thread::scope(|s| {
            let hs: Vec<_> = names.iter().map(|n| s.spawn(move || one_sample(c, n))).collect();
            hs.into_iter().map(|h| h.join().expect("stats thread")).collect()
        });
        let mut rows = Vec::new();
        let mut errs = Vec::new();
        for (n, r) in names.iter().zip(results) {
            match r {
                Ok(u) => rows.push(stats_row(n, &u, false, trunc)),
                Err(e) if named => errs.push(e.to_string()),
                Err(_) => rows.push(stats_row(n, &Usage::default(), true, trunc)),
            }
        }
        if !errs.is_empty() {
            anyhow::bail!("{}", errs.join("\n"));
        }
        print!("{}", render_stats(a.format.as_deref(), &rows)?);
        return Ok(0);
    }

    let shared: Shared = Arc::new(Mutex::new(Vec::new()));
    let add = |name: &str| {
        let mut list = shared.lock().unwrap_or_else(|e| e.into_inner());
        if list.iter().any(|e| e.container == name) {
            return;
        }
        list.push(Entry { container: name.to_string(), usage: Usage::default(), error: None, seen: false });
        drop(list);
        follow(c.clone(), name.to_string(), shared.clone());
    };
    if named {
        for n in &a.containers {
            add(n);
        }
        // Like Docker, a container that cannot be watched at all is an error.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let list = shared.lock().unwrap_or_else(|e| e.into_inner());
            let errs: Vec<String> = list.iter().filter(|e| e.usage.id.is_empty()).filter_map(|e| e.error.clone()).collect();
            if !errs.is_empty() {
                anyhow::bail!("{}", errs.join("\n"));
            }
            if list.iter().all(|e| e.seen) || std::time::Instant::now() > deadline {
                break;
            }
            drop(list);
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    let term = std::io::stdout().is_terminal();
    let mut out = std::io::stdout();
    if term {
        let _ = write!(out, "\x1b[2J");
    }
    // The container list is refreshed every other frame.
    let mut refresh = true;
    loop {
        if !named && refresh {
            // Follow containers as they come and go (Docker watches events for this).
            if let Ok(ids) = list_containers(c, a.all) {
                shared.lock().unwrap_or_else(|e| e.into_inner()).retain(|e| ids.contains(&e.container));
                for id in &ids {
                    add(id);
                }
            }
        }
        let rows: Vec<Value> = {
            let list = shared.lock().unwrap_or_else(|e| e.into_inner());
            list.iter().map(|e| stats_row(&e.container, &e.usage, e.error.is_some(), trunc)).collect()
        };
        let text = render_stats(a.format.as_deref(), &rows)?;
        let frame = if term {
            let mut f = String::from("\x1b[H");
            for line in text.lines() {
                f.push_str(line);
                f.push_str("\x1b[K\n");
            }
            f.push_str("\x1b[J");
            f
        } else {
            text
        };
        if write!(out, "{frame}").and_then(|_| out.flush()).is_err() {
            return Ok(0);
        }
        refresh = !refresh;
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample served to `docker stats --no-stream a` (28.2) for the expected output.
    fn sample() -> Value {
        json!({"read": "2015-01-08T22:57:31.547920715Z", "pids_stats": {"current": 3},
          "networks": {"eth0": {"rx_bytes": 5338, "tx_bytes": 648}, "eth5": {"rx_bytes": 4641, "tx_bytes": 690}},
          "memory_stats": {"stats": {"total_inactive_file": 0, "inactive_file": 123456, "rss": 6537216}, "max_usage": 6651904, "usage": 6537216, "failcnt": 0, "limit": 67108864},
          "blkio_stats": {"io_service_bytes_recursive": [{"major": 8, "minor": 0, "op": "Read", "value": 1048576}, {"major": 8, "minor": 0, "op": "Write", "value": 2097152}, {"major": 8, "minor": 0, "op": "Total", "value": 3145728}]},
          "cpu_stats": {"cpu_usage": {"percpu_usage": [8646879, 24472255, 36438778, 30657443], "total_usage": 100215355}, "system_cpu_usage": 739306590000000u64, "online_cpus": 4},
          "precpu_stats": {"cpu_usage": {"percpu_usage": [8646879, 24350896, 36438778, 30657443], "total_usage": 100093996}, "system_cpu_usage": 9492140000000u64, "online_cpus": 4},
          "name": "/web", "id": "3f4e8a9b2c1d0e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f"})
    }

    #[test]
    fn default_table_matches_docker() {
        let u = usage(&sample());
        let out = render_stats(None, &[stats_row("a", &u, false, true)]).unwrap();
        assert_eq!(
            out,
            "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O           BLOCK I/O        PIDS\n\
             3f4e8a9b2c1d   web       0.00%     6.234MiB / 64MiB    9.74%     9.98kB / 1.34kB   1.05MB / 2.1MB   3\n"
        );
        let out = render_stats(Some("json"), &[stats_row("a", &u, false, true)]).unwrap();
        assert_eq!(
            out,
            "{\"BlockIO\":\"1.05MB / 2.1MB\",\"CPUPerc\":\"0.00%\",\"Container\":\"a\",\"ID\":\"3f4e8a9b2c1d\",\"MemPerc\":\"9.74%\",\"MemUsage\":\"6.234MiB / 64MiB\",\"Name\":\"web\",\"NetIO\":\"9.98kB / 1.34kB\",\"PIDs\":\"3\"}\n"
        );
        let out = render_stats(Some("table {{.Container}}\t{{.CPUPerc}}"), &[stats_row("a", &u, false, true)]).unwrap();
        assert_eq!(out, "CONTAINER   CPU %\na           0.00%\n");
    }

    #[test]
    fn cpu_percent_uses_both_samples() {
        let mut v = sample();
        v["cpu_stats"]["cpu_usage"]["total_usage"] = json!(300_000_000u64);
        v["precpu_stats"]["cpu_usage"]["total_usage"] = json!(100_000_000u64);
        v["cpu_stats"]["system_cpu_usage"] = json!(2_000_000_000u64);
        v["precpu_stats"]["system_cpu_usage"] = json!(1_000_000_000u64);
        // 0.2s of CPU in 1s of system time over 4 CPUs.
        assert_eq!(format!("{:.2}", usage(&v).cpu_percent), "80.00");
        v["cpu_stats"]["online_cpus"] = json!(0);
        assert_eq!(format!("{:.2}", usage(&v).cpu_percent), "80.00");
        v["precpu_stats"]["system_cpu_usage"] = json!(3_000_000_000u64);
        assert_eq!(usage(&v).cpu_percent, 0.0);
    }

    #[test]
    fn memory_leaves_out_inactive_files() {
        let mut v = sample();
        v["memory_stats"]["stats"] = json!({"inactive_file": 1_000_000});
        assert_eq!(usage(&v).memory, 5_537_216.0);
        v["memory_stats"]["stats"] = json!({});
        assert_eq!(usage(&v).memory, 6_537_216.0);
        v["memory_stats"]["limit"] = json!(0);
        assert_eq!(usage(&v).memory_percent, 0.0);
    }

    #[test]
    fn missing_samples_show_zeros_then_dashes() {
        let r = stats_row("abc", &Usage::default(), false, true);
        assert_eq!((r["CPUPerc"].as_str(), r["MemUsage"].as_str(), r["Name"].as_str(), r["ID"].as_str()), (Some("0.00%"), Some("0B / 0B"), Some("--"), Some("")));
        let u = usage(&sample());
        let r = stats_row("abc", &u, true, true);
        assert_eq!((r["CPUPerc"].as_str(), r["MemUsage"].as_str(), r["Name"].as_str(), r["ID"].as_str()), (Some("--"), Some("-- / --"), Some("web"), Some("3f4e8a9b2c1d")));
        assert_eq!(bytes_size(1536.0), "1.5KiB");
    }
}
