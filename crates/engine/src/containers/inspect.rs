//! `inspect` (Docker's JSON shape) and `ps` (listing with Docker's filters and status text).

use super::ContainerRecord;
use crate::{Engine, Error, Result};
use api::container::{ContainerSummary, ZERO_TIME};
use api::Filters;
use serde_json::{json, Value};

/// Options of `GET /containers/json`.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Include stopped containers.
    pub all: bool,
    /// Only the last N created (-1: no limit).
    pub limit: i64,
    /// Compute sizes.
    pub size: bool,
    /// Filters.
    pub filters: Filters,
}

fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let minutes = secs / 60;
    let hours = (secs as f64 / 3600.0 + 0.5) as i64;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", secs / 3600 / 24 / 365)
    }
}

fn since(t: &str) -> i64 {
    let now = api::time::now_nanos() / 1_000_000_000;
    now - api::time::parse_rfc3339(t).map_or(now, |(s, _)| s)
}

/// Docker's status column: `Up 5 minutes (healthy)`, `Exited (0) 3 seconds ago`, ...
pub(crate) fn status_text(r: &ContainerRecord) -> String {
    let s = &r.state;
    match s.status.as_str() {
        "running" => {
            let health = s.health.as_ref().map(|h| format!(" ({})", if h.status == "starting" { "health: starting" } else { &h.status })).unwrap_or_default();
            format!("Up {}{health}", human_duration(since(&s.started_at)))
        }
        "paused" => format!("Up {} (Paused)", human_duration(since(&s.started_at))),
        "restarting" => format!("Restarting ({}) {} ago", s.exit_code, human_duration(since(&s.finished_at))),
        "removing" => "Removal In Progress".into(),
        "dead" => "Dead".into(),
        "exited" if !s.finished_at.is_empty() => format!("Exited ({}) {} ago", s.exit_code, human_duration(since(&s.finished_at))),
        _ => "Created".into(),
    }
}

fn network_settings(r: &ContainerRecord) -> Value {
    let mode = if r.host_config.network_mode.is_empty() || r.host_config.network_mode == "default" { "bridge" } else { r.host_config.network_mode.as_str() };
    let endpoint = json!({
        "IPAMConfig": null, "Links": null, "Aliases": null, "MacAddress": "", "DriverOpts": null,
        "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0,
        "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": null,
    });
    let mut networks = serde_json::Map::new();
    if !mode.starts_with("container:") {
        networks.insert(mode.to_string(), endpoint);
    }
    json!({
        "Bridge": "", "SandboxID": "", "SandboxKey": if r.state.pid > 0 { format!("/proc/{}/ns/net", r.state.pid) } else { String::new() },
        "Ports": {}, "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
        "SecondaryIPAddresses": null, "SecondaryIPv6Addresses": null, "EndpointID": "", "Gateway": "",
        "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
        "MacAddress": "", "Networks": networks,
    })
}

fn mounts(r: &ContainerRecord) -> Vec<Value> {
    let mut out = Vec::new();
    for b in r.host_config.binds.iter().flatten() {
        let p: Vec<&str> = b.split(':').collect();
        if p.len() >= 2 {
            let ro = p.get(2).is_some_and(|o| o.split(',').any(|x| x == "ro"));
            out.push(json!({"Type": "bind", "Source": p[0], "Destination": p[1], "Mode": p.get(2).copied().unwrap_or(""), "RW": !ro, "Propagation": "rprivate"}));
        }
    }
    for m in r.host_config.mounts.iter().flatten() {
        out.push(json!({"Type": m.kind, "Source": m.source, "Destination": m.target, "Mode": "", "RW": !m.read_only, "Propagation": if m.kind == "bind" { "rprivate" } else { "" }}));
    }
    for (dst, _) in r.host_config.tmpfs.iter().flatten() {
        out.push(json!({"Type": "tmpfs", "Source": "", "Destination": dst, "Mode": "", "RW": true, "Propagation": ""}));
    }
    out
}

impl Engine {
    /// `GET /containers/{id}/json`.
    pub fn inspect_container(&self, name: &str, size: bool) -> Result<Value> {
        let c = self.container(name)?;
        let r = c.rec().clone();
        let paths = self.paths(&r.id);
        let st = &r.state;
        let mut state = json!({
            "Status": st.status,
            "Running": matches!(st.status.as_str(), "running" | "paused" | "restarting"),
            "Paused": st.status == "paused",
            "Restarting": st.status == "restarting",
            "OOMKilled": st.oom_killed,
            "Dead": st.status == "dead",
            "Pid": st.pid,
            "ExitCode": st.exit_code,
            "Error": st.error,
            "StartedAt": if st.started_at.is_empty() { ZERO_TIME } else { &st.started_at },
            "FinishedAt": if st.finished_at.is_empty() { ZERO_TIME } else { &st.finished_at },
        });
        if let Some(h) = &st.health {
            state["Health"] = serde_json::to_value(h).expect("health");
        }
        let lower = match store::Digest::parse(&r.image_id).ok().and_then(|i| self.store.image(&i).ok().flatten()).and_then(|i| i.top_layer) {
            Some(top) => self.store.layer_chain(&top)?.iter().rev().map(|(d, _)| self.store.layer_dir(d).join("diff").display().to_string()).collect::<Vec<_>>().join(":"),
            None => String::new(),
        };
        let execs = self.exec_ids_of(&r.id);
        let mut host_config = serde_json::to_value(&r.host_config).expect("host config");
        if r.host_config.network_mode.is_empty() {
            host_config["NetworkMode"] = json!("bridge");
        }
        if r.host_config.log_config.kind.is_empty() {
            host_config["LogConfig"]["Type"] = json!("json-file");
        }
        let mut v = json!({
            "Id": r.id,
            "Created": r.created,
            "Path": r.path,
            "Args": r.args,
            "State": state,
            "Image": r.image_id,
            "ResolvConfPath": paths.dir.join("resolv.conf"),
            "HostnamePath": paths.dir.join("hostname"),
            "HostsPath": paths.dir.join("hosts"),
            "LogPath": paths.log(&r.id),
            "Name": format!("/{}", r.name),
            "RestartCount": r.restart_count,
            "Driver": "overlay2",
            "Platform": "linux",
            "MountLabel": "",
            "ProcessLabel": "",
            "AppArmorProfile": "",
            "ExecIDs": if execs.is_empty() { Value::Null } else { json!(execs) },
            "HostConfig": host_config,
            "GraphDriver": {"Data": {"LowerDir": lower, "MergedDir": paths.merged(), "UpperDir": paths.upper(), "WorkDir": paths.work()}, "Name": "overlay2"},
            "Mounts": mounts(&r),
            "Config": r.config.to_full_json(),
            "NetworkSettings": network_settings(&r),
        });
        if size {
            let rw = super::lifecycle::dir_size(&paths.upper());
            v["SizeRw"] = json!(rw);
            v["SizeRootFs"] = json!(rw + store::Digest::parse(&r.image_id).ok().and_then(|i| self.store.image(&i).ok().flatten()).map_or(0, |i| self.image_size(&i).unwrap_or(0)));
        }
        Ok(v)
    }

    /// `GET /containers/json`: newest first.
    pub fn list_containers(&self, opts: &ListOptions) -> Result<Vec<ContainerSummary>> {
        let f = &opts.filters;
        f.check_keys(&["id", "name", "label", "label!", "status", "ancestor", "exited", "health", "before", "since", "volume", "network", "publish", "expose", "is-task"])
            .map_err(Error::invalid)?;
        for s in f.get("status") {
            if !matches!(s.as_str(), "created" | "restarting" | "running" | "removing" | "paused" | "exited" | "dead") {
                return Err(Error::invalid(format!("invalid filter 'status={s}'")));
            }
        }
        for h in f.get("health") {
            if !matches!(h.as_str(), "starting" | "healthy" | "unhealthy" | "none") {
                return Err(Error::invalid(format!("invalid filter 'health={h}'")));
            }
        }
        let exited: Vec<i64> = f.get("exited").iter().map(|e| e.parse().map_err(|_| Error::invalid(format!("invalid filter 'exited={e}'")))).collect::<Result<_>>()?;
        let mut recs: Vec<ContainerRecord> = self.all_containers().iter().map(|c| c.rec().clone()).collect();
        recs.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        let created_of = |n: &String| -> Result<String> { Ok(self.container(n)?.rec().created.clone()) };
        let before: Vec<String> = f.get("before").iter().map(created_of).collect::<Result<_>>()?;
        let since: Vec<String> = f.get("since").iter().map(created_of).collect::<Result<_>>()?;
        // Ancestors: images named, and (for tags) what they resolve to.
        let ancestors: Vec<String> = f.get("ancestor").iter().filter_map(|a| self.resolve_image(a).ok().map(|d| d.to_string())).collect();
        let (id_matches, name_matches) = (f.matcher("id"), f.matcher("name"));
        let mut out = Vec::new();
        for r in recs {
            let status = r.state.status.as_str();
            let running = matches!(status, "running" | "paused" | "restarting");
            let explicit_status = !f.get("status").is_empty() || !exited.is_empty();
            // `-n`/`--last` and `-l` include every state, as in dockerd.
            if !opts.all && opts.limit <= 0 && !running && !explicit_status {
                continue;
            }
            if !f.get("status").is_empty() && !f.get("status").iter().any(|s| s == status) {
                continue;
            }
            if !exited.is_empty() && !(status == "exited" && exited.contains(&r.state.exit_code)) {
                continue;
            }
            if !id_matches(&r.id) || !(name_matches(&r.name) || name_matches(&format!("/{}", r.name))) {
                continue;
            }
            if !f.match_labels(&r.config.labels.clone().unwrap_or_default()) {
                continue;
            }
            if !f.get("ancestor").is_empty() && !ancestors.contains(&r.image_id) && !f.get("ancestor").iter().any(|a| r.config.image.as_deref() == Some(a.as_str())) {
                continue;
            }
            if !f.get("health").is_empty() {
                let h = r.state.health.as_ref().map_or("none", |h| h.status.as_str());
                if !f.get("health").iter().any(|x| x == h) {
                    continue;
                }
            }
            if before.iter().any(|b| r.created >= *b) || since.iter().any(|s| r.created <= *s) {
                continue;
            }
            let mut command = r.path.clone();
            for a in &r.args {
                command.push(' ');
                command.push_str(a);
            }
            let size_rw = opts.size.then(|| super::lifecycle::dir_size(&self.paths(&r.id).upper()) as i64);
            let image_size = if opts.size {
                store::Digest::parse(&r.image_id).ok().and_then(|i| self.store.image(&i).ok().flatten()).map_or(0, |i| self.image_size(&i).unwrap_or(0) as i64)
            } else {
                0
            };
            out.push(ContainerSummary {
                id: r.id.clone(),
                names: vec![format!("/{}", r.name)],
                image: r.config.image.clone().unwrap_or_default(),
                image_id: r.image_id.clone(),
                command,
                created: api::time::parse_rfc3339(&r.created).map_or(0, |t| t.0),
                ports: Vec::new(),
                size_rw,
                size_root_fs: size_rw.map(|s| s + image_size),
                labels: r.config.labels.clone().unwrap_or_default(),
                state: r.state.status.clone(),
                status: status_text(&r),
                host_config: json!({"NetworkMode": if r.host_config.network_mode.is_empty() { "bridge" } else { &r.host_config.network_mode }}),
                network_settings: json!({"Networks": network_settings(&r)["Networks"]}),
                mounts: mounts(&r),
            });
        }
        if opts.limit > 0 {
            out.truncate(opts.limit as usize);
        }
        Ok(out)
    }
}
