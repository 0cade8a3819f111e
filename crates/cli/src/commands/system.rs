//! `version`, `info`, `events`, `inspect`, `system df|info|events`.

use crate::client::{url, Body, Client};
use crate::format::{self, go_json_indent, human_size_prec, render, template_each};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::io::{BufRead, Write};

#[derive(Args)]
pub struct FormatArgs {
    /// Format output using a custom template
    #[arg(short, long)]
    format: Option<String>,
}

#[derive(Subcommand)]
pub enum SystemCmd {
    /// Show berth disk usage
    Df(DfArgs),
    /// Display system-wide information
    Info(FormatArgs),
    /// Get real time events from the server
    Events(EventsArgs),
}

pub fn system(c: &Client, cmd: &SystemCmd) -> anyhow::Result<i32> {
    match cmd {
        SystemCmd::Df(a) => df(c, a),
        SystemCmd::Info(a) => info(c, a),
        SystemCmd::Events(a) => events(c, a),
    }
}

#[derive(Args)]
pub struct InspectArgs {
    /// Names or IDs
    #[arg(required = true)]
    names: Vec<String>,
    /// Format output using a custom template
    #[arg(short, long)]
    format: Option<String>,
    /// Return JSON for specified type
    #[arg(long = "type")]
    kind: Option<String>,
    /// Display total file sizes if the type is container
    #[arg(short, long)]
    size: bool,
}

/// Prints inspect results: an indented JSON array, or the template per object.
pub fn print_inspect(found: &[Value], format: Option<&str>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Some(f) if !f.is_empty() => write!(out, "{}", template_each(f, found)?)?,
        _ => writeln!(out, "{}", go_json_indent(&Value::Array(found.to_vec())))?,
    }
    Ok(())
}

pub fn inspect(c: &Client, a: &InspectArgs) -> anyhow::Result<i32> {
    // Like `docker inspect`: a container first, then an image, unless --type says which.
    let kinds: Vec<&str> = match a.kind.as_deref() {
        None | Some("") => vec!["container", "image"],
        Some("container") => vec!["container"],
        Some("image") => vec!["image"],
        Some(k) => anyhow::bail!("\"{k}\" is not a valid value for --type"),
    };
    let mut found = Vec::new();
    let mut status = 0;
    for n in &a.names {
        let mut hit = None;
        let mut last_err = None;
        for k in &kinds {
            let path = match *k {
                "container" => url(&format!("/containers/{n}/json"), &[("size", if a.size { "1".into() } else { String::new() })]),
                "image" => format!("/images/{n}/json"),
                _ => unreachable!(),
            };
            match c.get_json::<Value>(&path) {
                Ok(v) => {
                    hit = Some(v);
                    break;
                }
                Err(crate::client::Error::Api(404, m)) => last_err = Some(m),
                Err(e) => return Err(e.into()),
            }
        }
        match hit {
            Some(v) => found.push(v),
            None => {
                status = 1;
                if a.kind.as_deref().is_some_and(|k| !k.is_empty()) {
                    eprintln!("Error response from daemon: {}", last_err.unwrap_or_default());
                } else {
                    eprintln!("Error: No such object: {n}");
                }
            }
        }
    }
    print_inspect(&found, a.format.as_deref())?;
    Ok(status)
}

fn client_info() -> Value {
    json!({
        "Platform": {"Name": ""},
        "Version": api::VERSION,
        "ApiVersion": api::API_VERSION,
        "DefaultAPIVersion": api::API_VERSION,
        "GitCommit": option_env!("BERTH_GIT_COMMIT").unwrap_or("unknown"),
        "GoVersion": "rust",
        "Os": "linux",
        "Arch": match std::env::consts::ARCH { "x86_64" => "amd64", "aarch64" => "arm64", a => a },
        "BuildTime": "",
        "Context": "default",
    })
}

pub fn version(c: &Client, a: &FormatArgs) -> anyhow::Result<i32> {
    let client = client_info();
    let server: Result<Value, _> = c.get_json("/version");
    if let Some(f) = &a.format {
        let data = json!({"Client": client, "Server": server.as_ref().ok()});
        print!("{}", template_each(f, &[data])?);
        return server.map(|_| 0).map_err(Into::into);
    }
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or("").to_string();
    println!("Client:");
    println!(" Version:           {}", s(&client, "Version"));
    println!(" API version:       {}", s(&client, "ApiVersion"));
    println!(" Go version:        {}", s(&client, "GoVersion"));
    println!(" Git commit:        {}", s(&client, "GitCommit"));
    println!(" OS/Arch:           {}/{}", s(&client, "Os"), s(&client, "Arch"));
    println!(" Context:           default");
    let server = server?;
    println!();
    println!("Server: {}", s(&server["Platform"], "Name"));
    println!(" Engine:");
    println!("  Version:          {}", s(&server, "Version"));
    println!("  API version:      {} (minimum version {})", s(&server, "ApiVersion"), s(&server, "MinAPIVersion"));
    println!("  Go version:       {}", s(&server, "GoVersion"));
    println!("  Git commit:       {}", s(&server, "GitCommit"));
    println!("  OS/Arch:          {}/{}", s(&server, "Os"), s(&server, "Arch"));
    println!("  Kernel Version:   {}", s(&server, "KernelVersion"));
    Ok(0)
}

/// go-units `BytesSize`: binary units (`23.45GiB`).
fn bytes_size(v: f64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let (mut s, mut i) = (v, 0);
    while s >= 1024.0 && i < UNITS.len() - 1 {
        s /= 1024.0;
        i += 1;
    }
    format!("{}{}", format::go_g(s, 4), UNITS[i])
}

pub fn info(c: &Client, a: &FormatArgs) -> anyhow::Result<i32> {
    let v: Value = c.get_json("/info")?;
    if let Some(f) = &a.format {
        print!("{}", template_each(f, &[v])?);
        return Ok(0);
    }
    let s = |k: &str| match &v[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        x => x.to_string(),
    };
    let list = |x: &Value| x.as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(" ")).unwrap_or_default();
    println!("Client:");
    println!(" Version:    {}", api::VERSION);
    println!(" Context:    default");
    println!(" Debug Mode: false");
    println!();
    println!("Server:");
    println!(" Containers: {}", s("Containers"));
    println!("  Running: {}", s("ContainersRunning"));
    println!("  Paused: {}", s("ContainersPaused"));
    println!("  Stopped: {}", s("ContainersStopped"));
    println!(" Images: {}", s("Images"));
    println!(" Server Version: {}", s("ServerVersion"));
    println!(" Storage Driver: {}", s("Driver"));
    for pair in v["DriverStatus"].as_array().into_iter().flatten() {
        println!("  {}: {}", pair[0].as_str().unwrap_or(""), pair[1].as_str().unwrap_or(""));
    }
    println!(" Logging Driver: {}", s("LoggingDriver"));
    println!(" Cgroup Driver: {}", s("CgroupDriver"));
    println!(" Cgroup Version: {}", s("CgroupVersion"));
    println!(" Plugins:");
    println!("  Volume: {}", list(&v["Plugins"]["Volume"]));
    println!("  Network: {}", list(&v["Plugins"]["Network"]));
    println!("  Log: {}", list(&v["Plugins"]["Log"]));
    println!(" Swarm: inactive");
    println!(" Runtimes: {}", v["Runtimes"].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>().join(" ")).unwrap_or_default());
    println!(" Default Runtime: {}", s("DefaultRuntime"));
    println!(" Kernel Version: {}", s("KernelVersion"));
    println!(" Operating System: {}", s("OperatingSystem"));
    println!(" OSType: {}", s("OSType"));
    println!(" Architecture: {}", s("Architecture"));
    println!(" CPUs: {}", s("NCPU"));
    println!(" Total Memory: {}", bytes_size(v["MemTotal"].as_f64().unwrap_or(0.0)));
    println!(" Name: {}", s("Name"));
    println!(" ID: {}", s("ID"));
    println!(" Docker Root Dir: {}", s("DockerRootDir"));
    println!(" Debug Mode: {}", s("Debug"));
    println!(" Experimental: false");
    println!(" Insecure Registries:");
    for r in v["RegistryConfig"]["InsecureRegistryCIDRs"].as_array().into_iter().flatten() {
        println!("  {}", r.as_str().unwrap_or(""));
    }
    if let Some(m) = v["RegistryConfig"]["Mirrors"].as_array().filter(|m| !m.is_empty()) {
        println!(" Registry Mirrors:");
        for r in m {
            println!("  {}", r.as_str().unwrap_or(""));
        }
    }
    println!(" Live Restore Enabled: {}", s("LiveRestoreEnabled"));
    Ok(0)
}

#[derive(Args)]
pub struct DfArgs {
    /// Show detailed information on space usage
    #[arg(short, long)]
    verbose: bool,
    /// Format output using a custom template
    #[arg(long)]
    format: Option<String>,
}

fn reclaim(reclaimable: i64, total: i64) -> String {
    let h = human_size_prec(reclaimable as f64, 4);
    if total > 0 {
        format!("{h} ({}%)", reclaimable * 100 / total)
    } else {
        h
    }
}

pub fn df(c: &Client, a: &DfArgs) -> anyhow::Result<i32> {
    let v: Value = c.get_json("/system/df")?;
    let images = v["Images"].as_array().cloned().unwrap_or_default();
    let total = v["LayersSize"].as_i64().unwrap_or(0);
    let active = images.iter().filter(|i| i["Containers"].as_i64().unwrap_or(0) > 0).count();
    let used: i64 = images
        .iter()
        .filter(|i| i["Containers"].as_i64().unwrap_or(0) > 0)
        .map(|i| i["Size"].as_i64().unwrap_or(0) - i["SharedSize"].as_i64().unwrap_or(0))
        .sum();
    let count = |k: &str| v[k].as_array().map_or(0, |a| a.len());
    let rows = vec![
        json!({"Type": "Images", "TotalCount": images.len().to_string(), "Active": active.to_string(), "Size": human_size_prec(total as f64, 4), "Reclaimable": reclaim(total - used, total)}),
        json!({"Type": "Containers", "TotalCount": count("Containers").to_string(), "Active": "0", "Size": "0B", "Reclaimable": "0B"}),
        json!({"Type": "Local Volumes", "TotalCount": count("Volumes").to_string(), "Active": "0", "Size": "0B", "Reclaimable": "0B"}),
        json!({"Type": "Build Cache", "TotalCount": count("BuildCache").to_string(), "Active": "0", "Size": "0B", "Reclaimable": "0B"}),
    ];
    let headers = [("Type", "TYPE"), ("TotalCount", "TOTAL"), ("Active", "ACTIVE"), ("Size", "SIZE"), ("Reclaimable", "RECLAIMABLE")];
    if !a.verbose {
        print!("{}", render(a.format.as_deref(), "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", &rows, &headers)?);
        return Ok(0);
    }
    println!("Images space usage:\n");
    let mut irows = Vec::new();
    for i in &images {
        let id = i["Id"].as_str().unwrap_or("").trim_start_matches("sha256:");
        let tags: Vec<String> = i["RepoTags"].as_array().into_iter().flatten().filter_map(|t| t.as_str().map(String::from)).collect();
        let tags = if tags.is_empty() { vec!["<none>:<none>".to_string()] } else { tags };
        for t in tags {
            let (repo, tag) = t.rsplit_once(':').unwrap_or((&t, ""));
            let size = i["Size"].as_i64().unwrap_or(0);
            let shared = i["SharedSize"].as_i64().unwrap_or(0);
            irows.push(json!({
                "Repository": repo, "Tag": tag, "ID": &id[..12.min(id.len())],
                "CreatedSince": format::since(i["Created"].as_i64().unwrap_or(0)),
                "Size": human_size_prec(size as f64, 4), "SharedSize": human_size_prec(shared as f64, 4),
                "UniqueSize": human_size_prec((size - shared) as f64, 4), "Containers": i["Containers"].as_i64().unwrap_or(0).to_string(),
            }));
        }
    }
    let h = [("Repository", "REPOSITORY"), ("Tag", "TAG"), ("ID", "IMAGE ID"), ("CreatedSince", "CREATED"), ("Size", "SIZE"), ("SharedSize", "SHARED SIZE"), ("UniqueSize", "UNIQUE SIZE"), ("Containers", "CONTAINERS")];
    print!("{}", render(None, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", &irows, &h)?);
    println!("\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES");
    println!("\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE");
    println!("\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED");
    Ok(0)
}

#[derive(Args)]
pub struct EventsArgs {
    /// Show all events created since timestamp
    #[arg(long)]
    since: Option<String>,
    /// Stream events until this timestamp
    #[arg(long)]
    until: Option<String>,
    /// Filter output based on conditions provided
    #[arg(short, long = "filter")]
    filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    format: Option<String>,
}

/// An event with the field names of Docker's Go `events.Message`, which `--format`
/// templates use (`{{.TimeNano}}`, `{{.ID}}`, `{{.Status}}`), where the JSON has
/// `timeNano`, `id`, `status`.
fn go_fields(ev: &Value) -> Value {
    let mut m = ev.as_object().cloned().unwrap_or_default();
    for (json, go) in [("status", "Status"), ("id", "ID"), ("from", "From"), ("scope", "Scope"), ("time", "Time"), ("timeNano", "TimeNano")] {
        let v = m.remove(json).unwrap_or(if json.starts_with("time") { Value::from(0) } else { Value::from("") });
        m.insert(go.to_string(), v);
    }
    Value::Object(m)
}

pub fn events(c: &Client, a: &EventsArgs) -> anyhow::Result<i32> {
    let f = api::Filters::from_args(&a.filter).map_err(anyhow::Error::msg)?;
    let path = url(
        "/events",
        &[
            ("since", a.since.clone().unwrap_or_default()),
            ("until", a.until.clone().unwrap_or_default()),
            ("filters", if f.is_empty() { String::new() } else { f.to_json() }),
        ],
    );
    let mut resp = c.request("GET", &path, Body::None)?;
    let tmpl = match a.format.as_deref() {
        Some(f) if !f.is_empty() => Some(gotmpl::Template::parse(if f == "json" { "{{json .}}" } else { f }).map_err(|e| anyhow::anyhow!("{e}"))?),
        _ => None,
    };
    let json_only = matches!(a.format.as_deref().map(str::trim), Some("json" | "{{json .}}"));
    let mut out = std::io::stdout();
    for line in resp.body().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let ev: Value = serde_json::from_str(&line)?;
        let text = match &tmpl {
            // The message as sent, with its JSON names (`timeNano`, `status`, ...).
            Some(_) if json_only => line.trim().to_string(),
            Some(t) => t.execute(&go_fields(&ev)).map_err(|e| anyhow::anyhow!("{e}"))?,
            None => {
                let attrs = ev["Actor"]["Attributes"]
                    .as_object()
                    .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                format!(
                    "{} {} {} {} ({attrs})",
                    format::rfc3339_nano_fixed(ev["timeNano"].as_i64().unwrap_or(0)),
                    ev["Type"].as_str().unwrap_or(""),
                    ev["Action"].as_str().unwrap_or(""),
                    ev["Actor"]["ID"].as_str().unwrap_or("")
                )
            }
        };
        writeln!(out, "{text}")?;
        out.flush()?;
    }
    Ok(0)
}
