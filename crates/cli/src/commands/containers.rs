//! Container commands: `ps`, `stop`, `restart`, `kill`, `rm`, `pause`, `unpause`, `wait`,
//! `rename`, `logs`, `top`, `update`, `container prune|inspect|…`, and the `container`
//! group that holds all of them.

use super::interactive::{self, AttachArgs, ExecArgs, StartArgs};
use super::run::{self, CreateArgs, RunArgs};
use super::stats::{self, StatsArgs};
use super::{opts, stream};
use crate::client::{url, Body, Client, Error};
use crate::format::{ellipsis, human_duration, human_size_prec};
use api::container::{ContainerSummary, UpdateConfig, WaitResponse};
use api::Filters;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Subcommand)]
pub enum ContainerCmd {
    /// Attach local standard input, output, and error streams to a running container
    Attach(AttachArgs),
    /// Create a new container
    #[command(disable_help_flag = true)]
    Create(CreateArgs),
    /// Execute a command in a running container
    Exec(ExecArgs),
    /// Display detailed information on one or more containers
    Inspect(InspectArgs),
    /// Kill one or more running containers
    Kill(KillArgs),
    /// Fetch the logs of a container
    Logs(LogsArgs),
    /// List containers
    #[command(visible_aliases = ["list", "ps"])]
    Ls(PsArgs),
    /// Pause all processes within one or more containers
    Pause(NamesArgs),
    /// Remove all stopped containers
    Prune(PruneArgs),
    /// Rename a container
    Rename(RenameArgs),
    /// Restart one or more containers
    Restart(StopArgs),
    /// Remove one or more containers
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Create and run a new container from an image
    #[command(disable_help_flag = true)]
    Run(RunArgs),
    /// Start one or more stopped containers
    Start(StartArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(StatsArgs),
    /// Stop one or more running containers
    Stop(StopArgs),
    /// Display the running processes of a container
    Top(TopArgs),
    /// Unpause all processes within one or more containers
    Unpause(NamesArgs),
    /// Update configuration of one or more containers
    Update(UpdateArgs),
    /// Block until one or more containers stop, then print their exit codes
    Wait(NamesArgs),
}

pub fn container(c: &Client, cmd: &ContainerCmd) -> anyhow::Result<i32> {
    match cmd {
        ContainerCmd::Attach(a) => interactive::attach(c, a),
        ContainerCmd::Create(a) => run::create(c, a),
        ContainerCmd::Exec(a) => interactive::exec(c, a),
        ContainerCmd::Inspect(a) => inspect(c, a),
        ContainerCmd::Kill(a) => kill(c, a),
        ContainerCmd::Logs(a) => logs(c, a),
        ContainerCmd::Ls(a) => ps(c, a),
        ContainerCmd::Pause(a) => pause(c, a),
        ContainerCmd::Prune(a) => prune(c, a),
        ContainerCmd::Rename(a) => rename(c, a),
        ContainerCmd::Restart(a) => restart(c, a),
        ContainerCmd::Rm(a) => rm(c, a),
        ContainerCmd::Run(a) => run::run(c, a),
        ContainerCmd::Start(a) => interactive::start(c, a),
        ContainerCmd::Stats(a) => stats::stats(c, a),
        ContainerCmd::Stop(a) => stop(c, a),
        ContainerCmd::Top(a) => top(c, a),
        ContainerCmd::Unpause(a) => unpause(c, a),
        ContainerCmd::Update(a) => update(c, a),
        ContainerCmd::Wait(a) => wait(c, a),
    }
}

// ---------------------------------------------------------------------------------------
// ps

#[derive(Args, Debug, Default)]
pub struct PsArgs {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long = "format")]
    pub format: Option<String>,
    /// Show n last created containers (includes all states)
    #[arg(short = 'n', long = "last", default_value_t = -1, allow_hyphen_values = true)]
    pub last: i64,
    /// Show the latest created container (includes all states)
    #[arg(short = 'l', long = "latest")]
    pub latest: bool,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Only display container IDs
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Display total file sizes
    #[arg(short = 's', long = "size", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub size: Option<bool>,
}

/// The default `ps` table.
pub const PS_TABLE: &str = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

const PS_RAW: &str = "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n";

const PS_HEADERS: [(&str, &str); 15] = [
    ("ID", "CONTAINER ID"),
    ("Names", "NAMES"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("CreatedAt", "CREATED AT"),
    ("RunningFor", "CREATED"),
    ("Ports", "PORTS"),
    ("State", "STATE"),
    ("Status", "STATUS"),
    ("Size", "SIZE"),
    ("Labels", "LABELS"),
    ("Mounts", "MOUNTS"),
    ("LocalVolumes", "LOCAL VOLUMES"),
    ("Networks", "NETWORKS"),
    ("Platform", "PLATFORM"),
];

/// Whether a template reads `.Size` (Docker then asks the daemon for sizes).
fn uses_field(format: &str, field: &str) -> bool {
    let pat = format!(".{field}");
    format.match_indices(&pat).any(|(i, _)| !format[i + pat.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// Docker's `NewContainerFormat` plus the size decision of `buildContainerListOptions`:
/// the template to render and whether sizes are needed.
pub fn ps_format(a: &PsArgs) -> (String, bool) {
    let user = a.format.clone().unwrap_or_default();
    let size = match a.size {
        Some(s) => s,
        None => !a.quiet && !user.is_empty() && uses_field(&user, "Size"),
    };
    let f = match user.as_str() {
        "" | "table" if a.quiet => "{{.ID}}".to_string(),
        "" | "table" if size => format!("{PS_TABLE}\\t{{{{.Size}}}}"),
        "" | "table" => PS_TABLE.to_string(),
        "raw" if a.quiet => "container_id: {{.ID}}".to_string(),
        "raw" if size => format!("{PS_RAW}size: {{{{.Size}}}}\\n"),
        "raw" => PS_RAW.to_string(),
        _ => user,
    };
    (f, size)
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\x07' => o.push_str("\\a"),
            '\x08' => o.push_str("\\b"),
            '\x0c' => o.push_str("\\f"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '\x0b' => o.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => o.push_str(&format!("\\x{:02x}", c as u32)),
            c if ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{ad}' || c == '\u{feff}' => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Docker's `TruncateID`: drop the algorithm, keep 12 characters.
fn truncate_id(id: &str) -> &str {
    let id = id.split_once(':').map_or(id, |(_, h)| h);
    &id[..id.len().min(12)]
}

/// Whether `s` is a valid reference name path (lower-case components, with `.`, `_`,
/// `__` or `-` separators), optionally after a registry domain.
fn valid_name(name: &str) -> bool {
    let mut comps: Vec<&str> = name.split('/').collect();
    if comps.len() > 1 && (comps[0].contains('.') || comps[0].contains(':') || comps[0] == "localhost" || comps[0].chars().any(|c| c.is_ascii_uppercase())) {
        comps.remove(0);
    }
    comps.iter().all(|c| {
        !c.is_empty()
            && c.starts_with(|x: char| x.is_ascii_lowercase() || x.is_ascii_digit())
            && c.ends_with(|x: char| x.is_ascii_lowercase() || x.is_ascii_digit())
            && c.chars().all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || "._-".contains(x))
    })
}

/// Docker's `ContainerContext.Image`: the image as given, shortened (`nginx:latest` for
/// `docker.io/library/nginx:latest@sha256:…`, the short ID for an ID) unless `--no-trunc`.
pub fn display_image(image: &str, image_id: &str, trunc: bool) -> String {
    if image.is_empty() {
        return "<no image>".into();
    }
    if !trunc {
        return image.to_string();
    }
    if truncate_id(image_id) == truncate_id(image) {
        return truncate_id(image).to_string();
    }
    let (named, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let ok = match d.split_once(':') {
            Some(("sha256", hex)) => hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            Some((alg, hex)) => !alg.is_empty() && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            None => false,
        };
        if !ok {
            return image.to_string();
        }
    }
    let slash = named.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match named[slash..].rfind(':') {
        Some(i) => (&named[..slash + i], Some(&named[slash + i + 1..])),
        None => (named, None),
    };
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty() && t.len() <= 128 && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') && t.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    let is_hex64 = name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid_name(name) || !tag_ok || is_hex64 {
        return image.to_string();
    }
    let familiar = name.strip_prefix("docker.io/library/").or_else(|| name.strip_prefix("docker.io/")).unwrap_or(name);
    match tag {
        Some(t) => format!("{familiar}:{t}"),
        None => familiar.to_string(),
    }
}

/// Docker's `DisplayablePorts`: consecutive ports grouped into ranges, published ports as
/// `ip:public->private/proto` (`[::]:8080->80/tcp` for IPv6).
pub fn display_ports(ports: &[Value]) -> String {
    struct P {
        ip: String,
        private: u64,
        public: u64,
        kind: String,
    }
    let mut ps: Vec<P> = ports
        .iter()
        .map(|p| P {
            ip: p["IP"].as_str().unwrap_or("").to_string(),
            private: p["PrivatePort"].as_u64().unwrap_or(0),
            public: p["PublicPort"].as_u64().unwrap_or(0),
            kind: p["Type"].as_str().unwrap_or("").to_string(),
        })
        .collect();
    ps.sort_by(|a, b| (a.private, &a.ip, a.public, &a.kind).cmp(&(b.private, &b.ip, b.public, &b.kind)));
    let join_host = |ip: &str| if ip.contains(':') { format!("[{ip}]:") } else { format!("{ip}:") };
    let form_group = |key: &str, first: u64, last: u64| {
        let (ip, kind) = key.split_once('/').map_or(("", key), |(ip, k)| (ip, k));
        let mut group = first.to_string();
        if first != last {
            group = format!("{group}-{last}");
        }
        if !ip.is_empty() {
            group = format!("{}{group}->{group}", join_host(ip));
        }
        format!("{group}/{kind}")
    };
    let mut groups: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut result = Vec::new();
    let mut mappings = Vec::new();
    for p in &ps {
        let mut key = p.kind.clone();
        if !p.ip.is_empty() {
            if p.public != p.private {
                mappings.push(format!("{}{}->{}/{}", join_host(&p.ip), p.public, p.private, p.kind));
                continue;
            }
            key = format!("{}/{}", p.ip, p.kind);
        }
        match groups.get_mut(&key) {
            None => {
                groups.insert(key.clone(), (p.private, p.private));
                order.push(key);
            }
            Some(g) if p.private == g.1 + 1 => g.1 = p.private,
            Some(g) => {
                result.push(form_group(&key, g.0, g.1));
                *g = (p.private, p.private);
            }
        }
    }
    for k in &order {
        let g = groups[k];
        result.push(form_group(k, g.0, g.1));
    }
    result.extend(mappings);
    result.join(", ")
}

/// Go's `time.Time.String()` in a zone: `2006-01-02 15:04:05 -0700 MST`.
pub fn go_time_in(ts: i64, offset: i64, zone: &str) -> String {
    let s = api::time::rfc3339(ts + offset, 0);
    let sign = if offset < 0 { '-' } else { '+' };
    let o = offset.abs();
    format!("{} {} {sign}{:02}{:02} {zone}", &s[..10], &s[11..19], o / 3600, o % 3600 / 60)
}

/// Go's `time.Unix(ts, 0).String()` in the local zone, as `ps` prints `CreatedAt`.
pub fn go_local_time(ts: i64) -> String {
    // SAFETY: localtime_r writes only to the local tm; tm_zone points to static data.
    let (off, zone) = unsafe {
        let t = ts as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() || tm.tm_zone.is_null() {
            (0, "UTC".to_string())
        } else {
            (tm.tm_gmtoff, std::ffi::CStr::from_ptr(tm.tm_zone).to_string_lossy().into_owned())
        }
    };
    let zone = if off == 0 && (zone == "GMT" || zone.is_empty()) { "UTC".to_string() } else { zone };
    go_time_in(ts, off, &zone)
}

/// One `ps` row: Docker's `ContainerContext` fields, keys in the order `--format json`
/// prints them, plus `Label` for `{{.Label "key"}}`.
pub fn ps_row(s: &ContainerSummary, trunc: bool, now: i64) -> Value {
    let id = if trunc { truncate_id(&s.id).to_string() } else { s.id.clone() };
    let names: Vec<String> = s.names.iter().map(|n| n.strip_prefix('/').unwrap_or(n).to_string()).collect();
    let names = if trunc {
        names.iter().find(|n| !n.contains('/')).map(|n| vec![n.clone()]).unwrap_or(names.clone())
    } else {
        names
    };
    let command = if trunc { ellipsis(&s.command, 20) } else { s.command.clone() };
    let labels = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    let mounts = s
        .mounts
        .iter()
        .map(|m| {
            let name = m["Name"].as_str().filter(|n| !n.is_empty()).or(m["Source"].as_str()).unwrap_or("").to_string();
            if trunc {
                ellipsis(&name, 15)
            } else {
                name
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    let local_volumes = s.mounts.iter().filter(|m| m["Driver"].as_str() == Some("local")).count();
    let networks =
        s.network_settings["Networks"].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>().join(",")).unwrap_or_default();
    let srw = s.size_rw.unwrap_or(0);
    let root = s.size_root_fs.unwrap_or(0);
    let size = if root > 0 {
        format!("{} (virtual {})", human_size_prec(srw as f64, 3), human_size_prec(root as f64, 3))
    } else {
        human_size_prec(srw as f64, 3)
    };
    json!({
        "Command": go_quote(&command),
        "CreatedAt": go_local_time(s.created),
        "ID": id,
        "Image": display_image(&s.image, &s.image_id, trunc),
        "Labels": labels,
        "LocalVolumes": local_volumes.to_string(),
        "Mounts": mounts,
        "Names": names.join(","),
        "Networks": networks,
        "Platform": null,
        "Ports": display_ports(&s.ports),
        "RunningFor": format!("{} ago", human_duration(now - s.created)),
        "Size": size,
        "State": s.state,
        "Status": s.status,
        "Label": s.labels,
    })
}

/// Renders `ps` rows with a template (Docker's formatter), `json` as Docker writes it.
pub fn render_ps(format: &str, rows: &[Value]) -> anyhow::Result<String> {
    let (_, text) = gotmpl::prepare_format(format);
    if text.trim() == "{{json .}}" {
        let mut out = String::new();
        for r in rows {
            let mut m = r.as_object().cloned().unwrap_or_default();
            m.remove("Label");
            out.push_str(&crate::format::go_escape(&serde_json::to_string(&Value::Object(m))?));
            out.push('\n');
        }
        return Ok(out);
    }
    let mut headers = Map::new();
    for (k, v) in PS_HEADERS {
        headers.insert(k.into(), json!(v));
    }
    // `{{.Label "com.example.x"}}` heads its column with the key's last part, as Docker.
    let mut label_heads = Map::new();
    for r in rows {
        for k in r["Label"].as_object().into_iter().flat_map(|m| m.keys()) {
            label_heads.insert(k.clone(), json!(k.rsplit('.').next().unwrap_or(k)));
        }
    }
    headers.insert("Label".into(), Value::Object(label_heads));
    gotmpl::format_rows(format, rows, &Value::Object(headers)).map_err(|e| anyhow::anyhow!("template parsing error: {e}"))
}

pub fn ps(c: &Client, a: &PsArgs) -> anyhow::Result<i32> {
    let filters = Filters::from_args(&a.filter).map_err(anyhow::Error::msg)?;
    let (format, size) = ps_format(a);
    gotmpl::Template::parse(&gotmpl::prepare_format(&format).1).map_err(|e| anyhow::anyhow!("failed to parse template: {e}"))?;
    let limit = if a.latest && a.last == -1 { 1 } else { a.last };
    let path = url(
        "/containers/json",
        &[
            ("all", if a.all { "1".into() } else { String::new() }),
            ("limit", if limit > 0 { limit.to_string() } else { String::new() }),
            ("size", if size { "1".into() } else { String::new() }),
            ("filters", if filters.is_empty() { String::new() } else { filters.to_json() }),
        ],
    );
    let list: Vec<ContainerSummary> = c.get_json(&path)?;
    let now = crate::format::now();
    let rows: Vec<Value> = list.iter().map(|s| ps_row(s, !a.no_trunc, now)).collect();
    print!("{}", render_ps(&format, &rows)?);
    Ok(0)
}

// ---------------------------------------------------------------------------------------
// Lifecycle: stop, restart, kill, rm, pause, unpause, wait.

/// Runs `op` on every container (in parallel, as Docker's `parallelOperation`), then
/// prints each success as given and returns the failures in order.
fn each<T: Send>(names: &[String], parallel: bool, op: impl Fn(&str) -> Result<T, Error> + Sync) -> Vec<Result<T, Error>> {
    if !parallel || names.len() < 2 {
        return names.iter().map(|n| op(n)).collect();
    }
    std::thread::scope(|s| {
        let op = &op;
        let handles: Vec<_> = names.iter().map(|n| s.spawn(move || op(n))).collect();
        handles.into_iter().map(|h| h.join().expect("worker thread")).collect()
    })
}

/// Prints successes (the name as given) and, at the end, the errors; exit 1 if any failed.
fn report_each(names: &[String], results: Vec<Result<(), Error>>) -> i32 {
    let mut errs = Vec::new();
    for (n, r) in names.iter().zip(results) {
        match r {
            Ok(()) => println!("{n}"),
            Err(e) => errs.push(e.to_string()),
        }
    }
    if errs.is_empty() {
        0
    } else {
        eprintln!("{}", errs.join("\n"));
        1
    }
}

#[derive(Args, Debug)]
pub struct NamesArgs {
    /// Containers
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
}

#[derive(Args, Debug)]
pub struct StopArgs {
    /// Containers
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Signal to send to the container
    #[arg(short = 's', long = "signal")]
    signal: Option<String>,
    /// Seconds to wait before killing the container
    #[arg(short = 't', long = "timeout", visible_alias = "time", allow_hyphen_values = true)]
    timeout: Option<i64>,
}

fn stop_path(action: &str, name: &str, a: &StopArgs) -> String {
    url(
        &format!("/containers/{name}/{action}"),
        &[("signal", a.signal.clone().unwrap_or_default()), ("t", a.timeout.map(|t| t.to_string()).unwrap_or_default())],
    )
}

pub fn stop(c: &Client, a: &StopArgs) -> anyhow::Result<i32> {
    let r = each(&a.containers, true, |n| c.request("POST", &stop_path("stop", n, a), Body::None).map(|_| ()));
    Ok(report_each(&a.containers, r))
}

pub fn restart(c: &Client, a: &StopArgs) -> anyhow::Result<i32> {
    let r = each(&a.containers, false, |n| c.request("POST", &stop_path("restart", n, a), Body::None).map(|_| ()));
    Ok(report_each(&a.containers, r))
}

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Containers
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Signal to send to the container
    #[arg(short = 's', long = "signal")]
    signal: Option<String>,
}

pub fn kill(c: &Client, a: &KillArgs) -> anyhow::Result<i32> {
    let r = each(&a.containers, true, |n| {
        let path = url(&format!("/containers/{n}/kill"), &[("signal", a.signal.clone().unwrap_or_default())]);
        c.request("POST", &path, Body::None).map(|_| ())
    });
    Ok(report_each(&a.containers, r))
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Containers
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short = 'f', long = "force")]
    force: bool,
    /// Remove the specified link
    #[arg(short = 'l', long = "link")]
    link: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long = "volumes")]
    volumes: bool,
}

pub fn rm(c: &Client, a: &RmArgs) -> anyhow::Result<i32> {
    let one = |b: bool| if b { "1".to_string() } else { String::new() };
    let r = each(&a.containers, true, |n| {
        let n = n.trim_matches('/');
        if n.is_empty() {
            return Err(Error::Io(std::io::Error::other("Container name cannot be empty")));
        }
        let path = url(&format!("/containers/{n}"), &[("force", one(a.force)), ("link", one(a.link)), ("v", one(a.volumes))]);
        c.request("DELETE", &path, Body::None).map(|_| ())
    });
    // With --force a container that is already gone is only mentioned.
    let r = r
        .into_iter()
        .map(|r| match r {
            Err(Error::Api(404, m)) if a.force => {
                eprintln!("{}", Error::Api(404, m));
                Err(None)
            }
            Err(e) => Err(Some(e)),
            Ok(()) => Ok(()),
        })
        .collect::<Vec<_>>();
    let mut errs = Vec::new();
    for (n, r) in a.containers.iter().zip(r) {
        match r {
            Ok(()) => println!("{n}"),
            Err(Some(e)) => errs.push(e.to_string()),
            Err(None) => {}
        }
    }
    if errs.is_empty() {
        Ok(0)
    } else {
        eprintln!("{}", errs.join("\n"));
        Ok(1)
    }
}

pub fn pause(c: &Client, a: &NamesArgs) -> anyhow::Result<i32> {
    let r = each(&a.containers, true, |n| c.request("POST", &format!("/containers/{n}/pause"), Body::None).map(|_| ()));
    Ok(report_each(&a.containers, r))
}

pub fn unpause(c: &Client, a: &NamesArgs) -> anyhow::Result<i32> {
    let r = each(&a.containers, true, |n| c.request("POST", &format!("/containers/{n}/unpause"), Body::None).map(|_| ()));
    Ok(report_each(&a.containers, r))
}

pub fn wait(c: &Client, a: &NamesArgs) -> anyhow::Result<i32> {
    let mut errs = Vec::new();
    for n in &a.containers {
        let r = c.request("POST", &format!("/containers/{n}/wait"), Body::None).and_then(|r| r.json::<WaitResponse>());
        match r.map_err(|e| e.to_string()).and_then(|w| match w.error {
            Some(e) if !e.message.is_empty() => Err(e.message),
            _ => Ok(w.status_code),
        }) {
            Ok(code) => println!("{code}"),
            Err(e) => errs.push(e),
        }
    }
    if errs.is_empty() {
        Ok(0)
    } else {
        eprintln!("{}", errs.join("\n"));
        Ok(1)
    }
}

#[derive(Args, Debug)]
pub struct RenameArgs {
    /// CONTAINER
    container: String,
    /// NEW_NAME
    new_name: String,
}

pub fn rename(c: &Client, a: &RenameArgs) -> anyhow::Result<i32> {
    let (old, new) = (a.container.trim(), a.new_name.trim());
    if old.is_empty() || new.is_empty() {
        anyhow::bail!("Error: Neither old nor new names may be empty");
    }
    if let Err(e) = c.request("POST", &url(&format!("/containers/{old}/rename"), &[("name", new.to_string())]), Body::None) {
        eprintln!("{e}");
        anyhow::bail!("Error: failed to rename container named {old}");
    }
    Ok(0)
}

// ---------------------------------------------------------------------------------------
// logs, top, inspect

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Container
    container: String,
    /// Show extra details provided to logs
    #[arg(long = "details")]
    details: bool,
    /// Follow log output
    #[arg(short = 'f', long = "follow")]
    follow: bool,
    /// Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)
    #[arg(long = "since")]
    since: Option<String>,
    /// Number of lines to show from the end of the logs
    #[arg(short = 'n', long = "tail", default_value = "all")]
    tail: String,
    /// Show timestamps
    #[arg(short = 't', long = "timestamps")]
    timestamps: bool,
    /// Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)
    #[arg(long = "until")]
    until: Option<String>,
}

/// The `GET /containers/{id}/logs` query for these flags (times as Docker's client sends them).
fn logs_path(id: &str, a: &LogsArgs, now_nanos: i64, offset: i64) -> Result<String, String> {
    let one = |b: bool| if b { "1".to_string() } else { String::new() };
    let t = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(|s| opts::timestamp(s, now_nanos, offset)).transpose();
    Ok(url(
        &format!("/containers/{id}/logs"),
        &[
            ("stdout", "1".into()),
            ("stderr", "1".into()),
            ("since", t(&a.since)?.unwrap_or_default()),
            ("until", t(&a.until)?.unwrap_or_default()),
            ("timestamps", one(a.timestamps)),
            ("follow", one(a.follow)),
            ("tail", a.tail.clone()),
            ("details", one(a.details)),
        ],
    ))
}

pub fn logs(c: &Client, a: &LogsArgs) -> anyhow::Result<i32> {
    let v: Value = c.get_json(&format!("/containers/{}/json", a.container))?;
    let id = v["Id"].as_str().unwrap_or(&a.container).to_string();
    let tty = v["Config"]["Tty"].as_bool().unwrap_or(false);
    let path = logs_path(&id, a, api::time::now_nanos(), opts::local_offset()).map_err(anyhow::Error::msg)?;
    let mut resp = c.request("GET", &path, Body::None)?;
    let mut out = std::io::stdout();
    if tty {
        stream::copy_raw(resp.body(), &mut out)?;
    } else {
        stream::demux(resp.body(), &mut out, &mut std::io::stderr())?;
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct TopArgs {
    /// Container
    container: String,
    /// Options for ps
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    ps_args: Vec<String>,
}

/// The `top` table: Go's tabwriter with Docker's settings (min width 20, padding 3).
pub fn top_table(v: &Value) -> String {
    let mut tw = gotmpl::TabWriter::new(20, 1, 3, ' ', 0);
    let cells = |row: &Value| row.as_array().map(|r| r.iter().map(|x| x.as_str().unwrap_or("").to_string()).collect::<Vec<_>>().join("\t"));
    tw.write_str(&cells(&v["Titles"]).unwrap_or_default());
    tw.write_str("\n");
    for p in v["Processes"].as_array().into_iter().flatten() {
        tw.write_str(&cells(p).unwrap_or_default());
        tw.write_str("\n");
    }
    tw.into_string()
}

pub fn top(c: &Client, a: &TopArgs) -> anyhow::Result<i32> {
    let path = url(&format!("/containers/{}/top", a.container), &[("ps_args", a.ps_args.join(" "))]);
    let v: Value = c.get_json(&path)?;
    print!("{}", top_table(&v));
    Ok(0)
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Containers
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Format output using a custom template
    #[arg(short = 'f', long = "format")]
    format: Option<String>,
    /// Display total file sizes
    #[arg(short = 's', long = "size")]
    size: bool,
}

pub fn inspect(c: &Client, a: &InspectArgs) -> anyhow::Result<i32> {
    let mut found = Vec::new();
    let mut status = 0;
    for n in &a.containers {
        let path = url(&format!("/containers/{n}/json"), &[("size", if a.size { "1".into() } else { String::new() })]);
        match c.get_json::<Value>(&path) {
            Ok(v) => found.push(v),
            Err(e) => {
                eprintln!("{e}");
                status = 1;
            }
        }
    }
    super::system::print_inspect(&found, a.format.as_deref())?;
    Ok(status)
}

// ---------------------------------------------------------------------------------------
// update, prune

#[derive(Args, Debug, Default)]
pub struct UpdateArgs {
    /// Containers
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Block IO (relative weight), between 10 and 1000, or 0 to disable
    #[arg(long = "blkio-weight")]
    blkio_weight: Option<u16>,
    /// Limit CPU CFS (Completely Fair Scheduler) period
    #[arg(long = "cpu-period")]
    cpu_period: Option<i64>,
    /// Limit CPU CFS (Completely Fair Scheduler) quota
    #[arg(long = "cpu-quota", allow_hyphen_values = true)]
    cpu_quota: Option<i64>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long = "cpu-shares")]
    cpu_shares: Option<i64>,
    /// Number of CPUs
    #[arg(long = "cpus", value_parser = opts::nano_cpus)]
    cpus: Option<i64>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-cpus")]
    cpuset_cpus: Option<String>,
    /// MEMs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-mems")]
    cpuset_mems: Option<String>,
    /// Memory limit
    #[arg(short = 'm', long = "memory", value_parser = opts::ram_in_bytes)]
    memory: Option<i64>,
    /// Memory soft limit
    #[arg(long = "memory-reservation", value_parser = opts::ram_in_bytes)]
    memory_reservation: Option<i64>,
    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[arg(long = "memory-swap", value_parser = opts::mem_swap_bytes, allow_hyphen_values = true)]
    memory_swap: Option<i64>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", allow_hyphen_values = true)]
    pids_limit: Option<i64>,
    /// Restart policy to apply when a container exits
    #[arg(long = "restart")]
    restart: Option<String>,
}

/// The `POST /containers/{id}/update` body: only the flags given.
fn update_config(a: &UpdateArgs) -> Result<UpdateConfig, String> {
    let cfg = UpdateConfig {
        cpu_shares: a.cpu_shares,
        memory: a.memory,
        cpu_period: a.cpu_period,
        cpu_quota: a.cpu_quota,
        cpuset_cpus: a.cpuset_cpus.clone(),
        cpuset_mems: a.cpuset_mems.clone(),
        memory_reservation: a.memory_reservation,
        memory_swap: a.memory_swap,
        nano_cpus: a.cpus,
        pids_limit: a.pids_limit,
        blkio_weight: a.blkio_weight,
        restart_policy: a.restart.as_deref().map(opts::restart_policy).transpose()?,
    };
    if cfg == UpdateConfig::default() {
        return Err("you must provide one or more flags when using this command".into());
    }
    Ok(cfg)
}

pub fn update(c: &Client, a: &UpdateArgs) -> anyhow::Result<i32> {
    let cfg = update_config(a).map_err(anyhow::Error::msg)?;
    let mut warns = Vec::new();
    let mut errs = Vec::new();
    for n in &a.containers {
        match c.post_json::<Value, _>(&format!("/containers/{n}/update"), &cfg) {
            Ok(v) => {
                println!("{n}");
                warns.extend(v["Warnings"].as_array().into_iter().flatten().filter_map(|w| w.as_str().map(String::from)));
            }
            Err(e) => errs.push(e.to_string()),
        }
    }
    if !warns.is_empty() {
        println!("{}", warns.join("\n"));
    }
    if errs.is_empty() {
        Ok(0)
    } else {
        eprintln!("{}", errs.join("\n"));
        Ok(1)
    }
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long = "filter")]
    filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long = "force")]
    force: bool,
}

pub fn prune(c: &Client, a: &PruneArgs) -> anyhow::Result<i32> {
    let f = Filters::from_args(&a.filter).map_err(anyhow::Error::msg)?;
    if !a.force && !super::images::confirm("WARNING! This will remove all stopped containers.") {
        return Ok(0);
    }
    let path = url("/containers/prune", &[("filters", if f.is_empty() { String::new() } else { f.to_json() })]);
    let v: Value = c.request("POST", &path, Body::None)?.json()?;
    print!("{}", prune_report(&v));
    Ok(0)
}

/// `Deleted Containers:` and the IDs (when any), then the space reclaimed.
fn prune_report(v: &Value) -> String {
    let mut out = String::new();
    if let Some(ids) = v["ContainersDeleted"].as_array().filter(|a| !a.is_empty()) {
        out.push_str("Deleted Containers:\n");
        for id in ids {
            out.push_str(id.as_str().unwrap_or(""));
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&format!("Total reclaimed space: {}\n", human_size_prec(v["SpaceReclaimed"].as_f64().unwrap_or(0.0), 4)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn rows() -> Vec<ContainerSummary> {
        // The rows served to `docker ps` 28.2 to capture the expected output below.
        serde_json::from_value(json!([
            {"Id": "3f4e8a9b2c1d0e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f", "Names": ["/web", "/other/alias"],
             "Image": "nginx:latest", "ImageID": "sha256:aaaa", "Command": "/docker-entrypoint.sh nginx -g 'daemon off;'",
             "Created": NOW - 3 * 3600,
             "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}, {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
                       {"PrivatePort": 443, "Type": "tcp"}, {"IP": "127.0.0.1", "PrivatePort": 53, "PublicPort": 5353, "Type": "udp"},
                       {"IP": "0.0.0.0", "PrivatePort": 9000, "PublicPort": 9000, "Type": "tcp"}, {"IP": "0.0.0.0", "PrivatePort": 9001, "PublicPort": 9001, "Type": "tcp"}],
             "SizeRw": 12345, "SizeRootFs": 187654321, "Labels": {"com.example.a": "1", "b": "two"}, "State": "running",
             "Status": "Up 2 hours (healthy)", "HostConfig": {"NetworkMode": "bridge"},
             "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.2"}, "mynet": {}}},
             "Mounts": [{"Type": "volume", "Name": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "Source": "/var/lib/docker/volumes/x/_data", "Destination": "/data", "Driver": "local", "Mode": "", "RW": true, "Propagation": ""},
                        {"Type": "bind", "Source": "/host/dir", "Destination": "/ctr", "Mode": "", "RW": true, "Propagation": "rprivate"}]},
            {"Id": "1234567890ab1234567890ab1234567890ab1234567890ab1234567890ab1234", "Names": ["/quirky_name"],
             "Image": "sha256:9876543210fedcba9876543210fedcba9876543210fedcba9876543210fedcba", "ImageID": "sha256:9876",
             "Command": "sh", "Created": NOW - 6 * 86400 * 365 - 10, "Ports": [], "Labels": {}, "State": "exited",
             "Status": "Exited (137) 5 minutes ago", "HostConfig": {"NetworkMode": "none"}, "NetworkSettings": {"Networks": {}}, "Mounts": []}
        ]))
        .unwrap()
    }

    fn render(args: &[&str]) -> String {
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            ps: PsArgs,
        }
        let mut v = vec!["ps"];
        v.extend_from_slice(args);
        let a = <T as clap::Parser>::try_parse_from(v).unwrap().ps;
        let (f, _) = ps_format(&a);
        let rows: Vec<Value> = rows().iter().map(|s| ps_row(s, !a.no_trunc, NOW)).collect();
        render_ps(&f, &rows).unwrap()
    }

    #[test]
    fn default_table_matches_docker() {
        let want = "\
CONTAINER ID   IMAGE                                                                     COMMAND                  CREATED       STATUS                       PORTS                                                                                                        NAMES
3f4e8a9b2c1d   nginx:latest                                                              \"/docker-entrypoint.…\"   3 hours ago   Up 2 hours (healthy)         443/tcp, 0.0.0.0:9000-9001->9000-9001/tcp, 127.0.0.1:5353->53/udp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web
1234567890ab   sha256:9876543210fedcba9876543210fedcba9876543210fedcba9876543210fedcba   \"sh\"                     6 years ago   Exited (137) 5 minutes ago                                                                                                                quirky_name
";
        assert_eq!(render(&[]), want);
    }

    #[test]
    fn size_column_and_no_trunc() {
        let out = render(&["-s"]);
        assert!(out.lines().next().unwrap().ends_with("NAMES         SIZE"), "{out}");
        assert!(out.contains("web           12.3kB (virtual 188MB)\n"), "{out}");
        assert!(out.contains("quirky_name   0B\n"), "{out}");
        let out = render(&["--no-trunc"]);
        assert!(out.contains("3f4e8a9b2c1d0e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f   nginx:latest"), "{out}");
        assert!(out.contains("\"/docker-entrypoint.sh nginx -g 'daemon off;'\""), "{out}");
        assert!(out.contains("web,other/alias\n"), "{out}");
    }

    #[test]
    fn custom_formats_match_docker() {
        let f = "{{.ID}}|{{.Image}}|{{.Command}}|{{.RunningFor}}|{{.Ports}}|{{.State}}|{{.Status}}|{{.Size}}|{{.Names}}|{{.Labels}}|{{.Label \"b\"}}|{{.Mounts}}|{{.Networks}}|{{.LocalVolumes}}";
        let out = render(&["--format", f]);
        assert_eq!(
            out,
            "3f4e8a9b2c1d|nginx:latest|\"/docker-entrypoint.…\"|3 hours ago|443/tcp, 0.0.0.0:9000-9001->9000-9001/tcp, 127.0.0.1:5353->53/udp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp|running|Up 2 hours (healthy)|12.3kB (virtual 188MB)|web|b=two,com.example.a=1|two|0123456789abcd…,/host/dir|bridge,mynet|1\n\
             1234567890ab|sha256:9876543210fedcba9876543210fedcba9876543210fedcba9876543210fedcba|\"sh\"|6 years ago||exited|Exited (137) 5 minutes ago|0B|quirky_name|||||0\n"
        );
        let out = render(&["--format", "table {{.ID}}\\t{{.Label \"com.example.a\"}}\\t{{.State}}"]);
        assert_eq!(out, "CONTAINER ID   a         STATE\n3f4e8a9b2c1d   1         running\n1234567890ab             exited\n");
        assert_eq!(render(&["-q"]), "3f4e8a9b2c1d\n1234567890ab\n");
        assert_eq!(render(&["-q", "--no-trunc", "--format", "{{.Names}}"]), "web,other/alias\nquirky_name\n");
        let json = render(&["--format", "json"]);
        let first = json.lines().next().unwrap();
        assert!(first.starts_with("{\"Command\":\"\\\"/docker-entrypoint.…\\\"\",\"CreatedAt\":"), "{first}");
        assert!(first.contains("\"Platform\":null,\"Ports\":\"443/tcp, 0.0.0.0:9000-9001-\\u003e9000-9001/tcp"), "{first}");
        assert!(!first.contains("\"Label\""), "{first}");
    }

    #[test]
    fn size_is_requested_when_the_template_needs_it() {
        let a = PsArgs { format: Some("{{.Size}}".into()), ..Default::default() };
        assert!(ps_format(&a).1);
        let a = PsArgs { format: Some("{{.SizeX}}".into()), ..Default::default() };
        assert!(!ps_format(&a).1);
        let a = PsArgs { format: Some("json".into()), ..Default::default() };
        assert!(!ps_format(&a).1);
        let a = PsArgs { format: Some("{{.Size}}".into()), size: Some(false), ..Default::default() };
        assert!(!ps_format(&a).1);
        let a = PsArgs { size: Some(true), ..Default::default() };
        assert_eq!(ps_format(&a), (format!("{PS_TABLE}\\t{{{{.Size}}}}"), true));
    }

    #[test]
    fn images_display_like_docker() {
        let id = "3f4e8a9b2c1d0e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f";
        let digest = "sha256:0123456789012345678901234567890123456789012345678901234567890123";
        assert_eq!(display_image(id, &format!("sha256:{id}"), true), "3f4e8a9b2c1d");
        assert_eq!(display_image(&format!("localhost:5000/foo/bar@{digest}"), "sha256:x", true), "localhost:5000/foo/bar");
        assert_eq!(display_image(&format!("docker.io/library/nginx:latest@{digest}"), "sha256:x", true), "nginx:latest");
        assert_eq!(display_image("docker.io/library/nginx:latest@sha256:abc", "sha256:x", true), "docker.io/library/nginx:latest@sha256:abc");
        assert_eq!(display_image("nginx:latest", "sha256:x", false), "nginx:latest");
        assert_eq!(display_image("", "", true), "<no image>");
    }

    #[test]
    fn commands_are_go_quoted() {
        assert_eq!(go_quote("echo \"hi\"\tthere"), r#""echo \"hi\"\tthere""#);
        assert_eq!(go_quote("a\\b\u{1}é"), r#""a\\b\x01é""#);
    }

    #[test]
    fn port_groups() {
        let p = |ip: &str, private: u64, public: u64, kind: &str| json!({"IP": ip, "PrivatePort": private, "PublicPort": public, "Type": kind});
        assert_eq!(display_ports(&[p("", 80, 0, "tcp"), p("", 81, 0, "tcp"), p("", 83, 0, "tcp")]), "80-81/tcp, 83/tcp");
        assert_eq!(display_ports(&[p("::", 80, 80, "tcp")]), "[::]:80->80/tcp");
        assert_eq!(display_ports(&[]), "");
    }

    #[test]
    fn created_at_is_go_time() {
        assert_eq!(go_time_in(1_700_000_000, 0, "UTC"), "2023-11-14 22:13:20 +0000 UTC");
        assert_eq!(go_time_in(1_700_000_000, 3600, "CET"), "2023-11-14 23:13:20 +0100 CET");
        assert_eq!(go_time_in(1_700_000_000, -(5 * 3600 + 1800), "X"), "2023-11-14 16:43:20 -0530 X");
    }

    #[test]
    fn top_table_matches_docker() {
        let v = json!({"Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
            "Processes": [["root", "13642", "882", "0", "17:03", "pts/0", "00:00:00", "/bin/bash"], ["root", "13735", "13642", "0", "17:06", "pts/0", "00:00:00", "sleep 10"]]});
        assert_eq!(
            top_table(&v),
            "UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD\n\
             root                13642               882                 0                   17:03               pts/0               00:00:00            /bin/bash\n\
             root                13735               13642               0                   17:06               pts/0               00:00:00            sleep 10\n"
        );
    }

    #[test]
    fn prune_report_matches_docker() {
        assert_eq!(
            prune_report(&json!({"ContainersDeleted": ["aaa111", "bbb222"], "SpaceReclaimed": 123456})),
            "Deleted Containers:\naaa111\nbbb222\n\nTotal reclaimed space: 123.5kB\n"
        );
        assert_eq!(prune_report(&json!({"ContainersDeleted": null, "SpaceReclaimed": 0})), "Total reclaimed space: 0B\n");
    }

    #[test]
    fn update_sends_only_given_flags() {
        let a = UpdateArgs { containers: vec!["a".into()], cpus: Some(2_000_000_000), memory: Some(1 << 30), restart: Some("on-failure:2".into()), ..Default::default() };
        let v = serde_json::to_value(update_config(&a).unwrap()).unwrap();
        assert_eq!(v["NanoCpus"], json!(2_000_000_000i64));
        assert_eq!(v["Memory"], json!(1073741824));
        assert_eq!(v["RestartPolicy"], json!({"Name": "on-failure", "MaximumRetryCount": 2}));
        assert_eq!(v["PidsLimit"], Value::Null);
        assert_eq!(v["CpuShares"], Value::Null);
        let none = UpdateArgs { containers: vec!["a".into()], ..Default::default() };
        assert_eq!(update_config(&none).unwrap_err(), "you must provide one or more flags when using this command");
    }

    #[test]
    fn logs_query_like_docker() {
        let a = LogsArgs {
            container: "a".into(),
            details: true,
            follow: true,
            since: Some("10m".into()),
            tail: "5".into(),
            timestamps: true,
            until: Some("2025-01-01".into()),
        };
        let p = logs_path("x", &a, 1_795_391_080_000_000_000, 0).unwrap();
        assert_eq!(p, "/containers/x/logs?stdout=1&stderr=1&since=1795390480&until=1735689600.000000000&timestamps=1&follow=1&tail=5&details=1");
    }
}
