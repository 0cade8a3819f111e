//! Image commands: `images`, `image ...`, `import`, `tag`, `rmi`, `history`, `save`, `load`.

use crate::client::{url, Body, Client};
use crate::format::{self, ellipsis, go_time, human_size, render, since};
use api::image::{DeleteItem, HistoryItem, ImageSummary, PruneReport};
use api::Filters;
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::io::{IsTerminal, Read, Write};

#[derive(Subcommand)]
pub enum ImageCmd {
    /// List images
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Remove one or more images
    #[command(alias = "remove")]
    Rm(RmArgs),
    /// Remove unused images
    Prune(PruneArgs),
    /// Display detailed information on one or more images
    Inspect(InspectArgs),
    /// Show the history of an image
    History(HistoryArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(TagArgs),
    /// Save one or more images to a tar archive
    Save(SaveArgs),
    /// Load an image from a tar archive or STDIN
    Load(LoadArgs),
    /// Import the contents from a tarball to create a filesystem image
    Import(ImportArgs),
}

pub fn image(c: &Client, cmd: &ImageCmd) -> anyhow::Result<i32> {
    match cmd {
        ImageCmd::Ls(a) => ls(c, a),
        ImageCmd::Rm(a) => rm(c, a),
        ImageCmd::Prune(a) => prune(c, a),
        ImageCmd::Inspect(a) => inspect(c, a),
        ImageCmd::History(a) => history(c, a),
        ImageCmd::Tag(a) => tag(c, a),
        ImageCmd::Save(a) => save(c, a),
        ImageCmd::Load(a) => load(c, a),
        ImageCmd::Import(a) => import(c, a),
    }
}

#[derive(Args)]
pub struct LsArgs {
    /// Repository (and tag) to list
    repository: Option<String>,
    /// Show all images (default hides intermediate images)
    #[arg(short, long)]
    all: bool,
    /// Show digests
    #[arg(long)]
    digests: bool,
    /// Filter output based on conditions provided
    #[arg(short, long = "filter")]
    filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    format: Option<String>,
    /// Don't truncate output
    #[arg(long)]
    no_trunc: bool,
    /// Only show image IDs
    #[arg(short, long)]
    quiet: bool,
}

fn short_id(id: &str, no_trunc: bool) -> String {
    if no_trunc {
        id.to_string()
    } else {
        let h = id.trim_start_matches("sha256:");
        h[..h.len().min(12)].to_string()
    }
}

pub fn ls(c: &Client, a: &LsArgs) -> anyhow::Result<i32> {
    let mut filters = Filters::from_args(&a.filter).map_err(anyhow::Error::msg)?;
    if let Some(r) = &a.repository {
        filters.0.entry("reference".into()).or_default().push(r.clone());
    }
    let path = url("/images/json", &[("all", if a.all { "1".into() } else { String::new() }), ("filters", if filters.is_empty() { String::new() } else { filters.to_json() })]);
    let images: Vec<ImageSummary> = c.get_json(&path)?;
    if a.quiet {
        let mut seen = std::collections::HashSet::new();
        for i in &images {
            let id = short_id(&i.id, a.no_trunc);
            if seen.insert(id.clone()) {
                println!("{id}");
            }
        }
        return Ok(0);
    }
    let mut rows = Vec::new();
    for i in &images {
        let id = short_id(&i.id, a.no_trunc);
        let digest_for = |repo: &str| {
            i.repo_digests.iter().find_map(|d| d.split_once('@').filter(|(r, _)| *r == repo).map(|(_, d)| d.to_string())).unwrap_or_else(|| "<none>".into())
        };
        let mut entries: Vec<(String, String, String)> = Vec::new();
        for t in &i.repo_tags {
            let (repo, tag) = t.rsplit_once(':').unwrap_or((t, "<none>"));
            entries.push((repo.into(), tag.into(), digest_for(repo)));
        }
        if entries.is_empty() {
            for d in &i.repo_digests {
                let (repo, dig) = d.split_once('@').unwrap_or((d, "<none>"));
                entries.push((repo.into(), "<none>".into(), dig.into()));
            }
        }
        if entries.is_empty() {
            entries.push(("<none>".into(), "<none>".into(), "<none>".into()));
        }
        for (repo, tag, digest) in entries {
            rows.push(json!({
                "Containers": if i.containers < 0 { "N/A".to_string() } else { i.containers.to_string() },
                "CreatedAt": go_time(i.created),
                "CreatedSince": since(i.created),
                "Digest": digest,
                "ID": id,
                "Repository": repo,
                "SharedSize": if i.shared_size < 0 { "N/A".to_string() } else { human_size(i.shared_size) },
                "Size": human_size(i.size),
                "Tag": tag,
                "UniqueSize": if i.shared_size < 0 { "N/A".to_string() } else { human_size(i.size - i.shared_size) },
                "VirtualSize": human_size(i.size),
            }));
        }
    }
    let default = if a.digests {
        "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    } else {
        "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    };
    let headers = [
        ("Repository", "REPOSITORY"),
        ("Tag", "TAG"),
        ("Digest", "DIGEST"),
        ("ID", "IMAGE ID"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("Size", "SIZE"),
        ("Containers", "CONTAINERS"),
        ("SharedSize", "SHARED SIZE"),
        ("UniqueSize", "UNIQUE SIZE"),
        ("VirtualSize", "VIRTUAL SIZE"),
    ];
    print!("{}", render(a.format.as_deref(), default, &rows, &headers)?);
    Ok(0)
}

#[derive(Args)]
pub struct RmArgs {
    /// Images to remove
    #[arg(required = true)]
    images: Vec<String>,
    /// Force removal of the image
    #[arg(short, long)]
    force: bool,
    /// Do not delete untagged parents
    #[arg(long)]
    no_prune: bool,
}

fn print_deleted(items: &[DeleteItem]) {
    for d in items {
        match d {
            DeleteItem::Untagged(r) => println!("Untagged: {r}"),
            DeleteItem::Deleted(id) => println!("Deleted: {id}"),
        }
    }
}

pub fn rm(c: &Client, a: &RmArgs) -> anyhow::Result<i32> {
    let mut status = 0;
    for img in &a.images {
        let path = url(
            &format!("/images/{img}"),
            &[("force", if a.force { "1".into() } else { String::new() }), ("noprune", if a.no_prune { "1".into() } else { String::new() })],
        );
        match c.request("DELETE", &path, Body::None).and_then(|r| r.json::<Vec<DeleteItem>>()) {
            Ok(items) => print_deleted(&items),
            Err(e) => {
                eprintln!("{e}");
                status = 1;
            }
        }
    }
    Ok(status)
}

#[derive(Args)]
pub struct PruneArgs {
    /// Remove all unused images, not just dangling ones
    #[arg(short, long)]
    all: bool,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    force: bool,
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long = "filter")]
    filter: Vec<String>,
}

/// Asks a yes/no question on the terminal.
pub fn confirm(warning: &str) -> bool {
    print!("{warning}\nAre you sure you want to continue? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    matches!(line.trim().to_lowercase().as_str(), "y" | "yes")
}

pub fn prune(c: &Client, a: &PruneArgs) -> anyhow::Result<i32> {
    let mut f = Filters::from_args(&a.filter).map_err(anyhow::Error::msg)?;
    let warning = if a.all {
        f.0.insert("dangling".into(), vec!["false".into()]);
        "WARNING! This will remove all images without at least one container associated to them."
    } else {
        f.0.insert("dangling".into(), vec!["true".into()]);
        "WARNING! This will remove all dangling images."
    };
    if !a.force && !confirm(warning) {
        return Ok(0);
    }
    let r: PruneReport = c.request("POST", &url("/images/prune", &[("filters", f.to_json())]), Body::None)?.json()?;
    if let Some(items) = &r.images_deleted {
        if !items.is_empty() {
            // The Docker CLI spells these in lower case here, unlike `rmi`.
            println!("Deleted Images:");
            for d in items {
                match d {
                    DeleteItem::Untagged(r) => println!("untagged: {r}"),
                    DeleteItem::Deleted(id) => println!("deleted: {id}"),
                }
            }
            println!();
        }
    }
    println!("Total reclaimed space: {}", format::human_size_prec(r.space_reclaimed as f64, 4));
    Ok(0)
}

#[derive(Args)]
pub struct InspectArgs {
    /// Images to inspect
    #[arg(required = true)]
    images: Vec<String>,
    /// Format output using a custom template
    #[arg(short, long)]
    format: Option<String>,
}

pub fn inspect(c: &Client, a: &InspectArgs) -> anyhow::Result<i32> {
    let mut found = Vec::new();
    let mut status = 0;
    for i in &a.images {
        match c.get_json::<Value>(&format!("/images/{i}/json")) {
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

#[derive(Args)]
pub struct HistoryArgs {
    /// Image
    image: String,
    /// Print sizes and dates in human readable format
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    human: bool,
    /// Don't truncate output
    #[arg(long)]
    no_trunc: bool,
    /// Only show image IDs
    #[arg(short, long)]
    quiet: bool,
    /// Format output using a custom template
    #[arg(long)]
    format: Option<String>,
}

pub fn history(c: &Client, a: &HistoryArgs) -> anyhow::Result<i32> {
    let items: Vec<HistoryItem> = c.get_json(&format!("/images/{}/history", a.image))?;
    if a.quiet {
        for h in &items {
            println!("{}", if h.id == "<missing>" { h.id.clone() } else { short_id(&h.id, a.no_trunc) });
        }
        return Ok(0);
    }
    let rows: Vec<Value> = items
        .iter()
        .map(|h| {
            let created_by = if a.no_trunc { h.created_by.clone() } else { ellipsis(&h.created_by.replace('\t', " "), 45) };
            json!({
                "ID": if h.id == "<missing>" { h.id.clone() } else { short_id(&h.id, a.no_trunc) },
                "CreatedSince": if a.human { since(h.created) } else { format::rfc3339(h.created) },
                "CreatedAt": format::rfc3339(h.created),
                "CreatedBy": created_by,
                "Size": if a.human { human_size(h.size) } else { h.size.to_string() },
                "Comment": h.comment,
            })
        })
        .collect();
    let headers = [("ID", "IMAGE"), ("CreatedSince", "CREATED"), ("CreatedAt", "CREATED AT"), ("CreatedBy", "CREATED BY"), ("Size", "SIZE"), ("Comment", "COMMENT")];
    print!(
        "{}",
        render(a.format.as_deref(), "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", &rows, &headers)?
    );
    Ok(0)
}

#[derive(Args)]
pub struct TagArgs {
    /// SOURCE_IMAGE[:TAG]
    source: String,
    /// TARGET_IMAGE[:TAG]
    target: String,
}

pub fn tag(c: &Client, a: &TagArgs) -> anyhow::Result<i32> {
    let (repo, tag) = split_repo_tag(&a.target);
    c.request("POST", &url(&format!("/images/{}/tag", a.source), &[("repo", repo), ("tag", tag)]), Body::None)?;
    Ok(0)
}

/// Splits `repo[:tag]` at the tag's colon (not a registry port's).
fn split_repo_tag(s: &str) -> (String, String) {
    let slash = s.rfind('/').map_or(0, |i| i + 1);
    match s[slash..].rfind(':') {
        Some(i) if !s.contains('@') => (s[..slash + i].to_string(), s[slash + i + 1..].to_string()),
        _ => (s.to_string(), String::new()),
    }
}

#[derive(Args)]
pub struct SaveArgs {
    /// Images to save
    #[arg(required = true)]
    images: Vec<String>,
    /// Write to a file, instead of STDOUT
    #[arg(short, long)]
    output: Option<String>,
}

pub fn save(c: &Client, a: &SaveArgs) -> anyhow::Result<i32> {
    let to_stdout = a.output.as_deref().is_none_or(|o| o == "-");
    if to_stdout && std::io::stdout().is_terminal() {
        anyhow::bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    let params: Vec<(&str, String)> = a.images.iter().map(|i| ("names", i.clone())).collect();
    let mut resp = c.request("GET", &url("/images/get", &params), Body::None)?;
    match &a.output {
        Some(path) if path != "-" => {
            // Write to a temporary file beside the target; rename once complete.
            let tmp = format!("{path}.berth-tmp");
            let mut f = std::fs::File::create(&tmp).map_err(|e| anyhow::anyhow!("failed to save image: {path}: {e}"))?;
            let r = std::io::copy(resp.body(), &mut f).and_then(|_| f.sync_all());
            if let Err(e) = r {
                let _ = std::fs::remove_file(&tmp);
                anyhow::bail!("failed to save image: {e}");
            }
            std::fs::rename(&tmp, path)?;
        }
        _ => {
            let mut out = std::io::stdout().lock();
            std::io::copy(resp.body(), &mut out)?;
            out.flush()?;
        }
    }
    Ok(0)
}

#[derive(Args)]
pub struct LoadArgs {
    /// Read from tar archive file, instead of STDIN
    #[arg(short, long)]
    input: Option<String>,
    /// Suppress the load output
    #[arg(short, long)]
    quiet: bool,
}

pub fn load(c: &Client, a: &LoadArgs) -> anyhow::Result<i32> {
    let mut src: Box<dyn Read> = match &a.input {
        Some(p) if p != "-" => Box::new(std::fs::File::open(p).map_err(|e| anyhow::anyhow!("open {p}: {e}"))?),
        _ => {
            if std::io::stdin().is_terminal() {
                anyhow::bail!("requested load from stdin, but stdin is empty");
            }
            Box::new(std::io::stdin().lock())
        }
    };
    let path = url("/images/load", &[("quiet", if a.quiet { "1".into() } else { String::new() })]);
    let resp = c.request("POST", &path, Body::Stream(&mut src, "application/x-tar"))?;
    super::print_stream(resp, a.quiet)?;
    Ok(0)
}

#[derive(Args)]
pub struct ImportArgs {
    /// file|URL|- to import
    source: String,
    /// REPOSITORY[:TAG] for the new image
    reference: Option<String>,
    /// Apply Dockerfile instruction to the created image
    #[arg(short, long = "change")]
    change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short, long)]
    message: Option<String>,
    /// Set platform if server is multi-platform capable
    #[arg(long)]
    platform: Option<String>,
}

pub fn import(c: &Client, a: &ImportArgs) -> anyhow::Result<i32> {
    let (repo, tag) = a.reference.as_deref().map(split_repo_tag).unwrap_or_default();
    let is_url = a.source.starts_with("http://") || a.source.starts_with("https://");
    let from = if is_url { a.source.clone() } else { "-".to_string() };
    let mut params: Vec<(&str, String)> = vec![
        ("fromSrc", from),
        ("repo", repo),
        ("tag", tag),
        ("message", a.message.clone().unwrap_or_default()),
        ("platform", a.platform.clone().unwrap_or_default()),
    ];
    params.extend(a.change.iter().map(|ch| ("changes", ch.clone())));
    let path = url("/images/create", &params);
    let resp = if is_url {
        c.request("POST", &path, Body::None)?
    } else {
        let mut src: Box<dyn Read> = if a.source == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::fs::File::open(&a.source).map_err(|e| anyhow::anyhow!("open {}: {e}", a.source))?)
        };
        c.request("POST", &path, Body::Stream(&mut src, "application/x-tar"))?
    };
    for m in super::print_stream(resp, false)? {
        if let Some(s) = m.status {
            println!("{s}");
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn repo_tag_split_respects_registry_ports() {
        assert_eq!(super::split_repo_tag("a:b"), ("a".into(), "b".into()));
        assert_eq!(super::split_repo_tag("localhost:5000/a"), ("localhost:5000/a".into(), "".into()));
        assert_eq!(super::split_repo_tag("localhost:5000/a:v1"), ("localhost:5000/a".into(), "v1".into()));
    }
}
