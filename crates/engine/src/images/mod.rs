//! Images: resolve, list, inspect, history (here), tag/remove/prune ([`remove`]), import
//! ([`import`]), load and save ([`archive`]).

pub mod archive;
pub mod import;
pub mod remove;

pub use import::ImportOptions;

use crate::{Engine, Error, Result};
use api::image::{HistoryItem, ImageConfig, ImageSummary};
use api::Filters;
use std::collections::HashMap;
use store::{Digest, ImageRecord, Reference};

/// Options of `GET /images/json`.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Show intermediate images too.
    pub all: bool,
    /// Filters: `dangling`, `label`, `before`, `since`, `reference`.
    pub filters: Filters,
}

/// An image with everything list and inspect need.
pub(crate) struct ImageView {
    pub id: Digest,
    pub record: ImageRecord,
    pub config: ImageConfig,
    pub refs: Vec<Reference>,
}

impl ImageView {
    pub fn tags(&self) -> Vec<String> {
        self.refs.iter().filter(|r| r.tag().is_some()).map(|r| r.familiar()).collect()
    }
    pub fn digests(&self) -> Vec<String> {
        let mut d: Vec<String> = self.refs.iter().filter(|r| r.digest().is_some()).map(|r| r.familiar()).collect();
        for rd in &self.record.repo_digests {
            if let Ok(r) = Reference::parse(rd) {
                if !d.contains(&r.familiar()) {
                    d.push(r.familiar());
                }
            }
        }
        d
    }
    pub fn created(&self) -> i64 {
        self.config.created.as_deref().and_then(store::parse_rfc3339).map_or(0, |t| t.0)
    }
}

pub(crate) fn parse_config(id: &Digest, raw: &[u8]) -> Result<ImageConfig> {
    serde_json::from_slice(raw).map_err(|e| Error::internal(format!("image {id}: unreadable config: {e}")))
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Engine {
    /// Finds an image by ID, ID prefix, `name[:tag]` or `name@digest`, as Docker does.
    pub fn resolve_image(&self, name: &str) -> Result<Digest> {
        let not_found = || {
            let shown = match Reference::parse(name) {
                Ok(r) if r.tag().is_none() && r.digest().is_none() => format!("{name}:latest"),
                _ => name.to_string(),
            };
            Error::not_found(format!("No such image: {shown}"))
        };
        if let Some(hex) = name.strip_prefix("sha256:") {
            if !is_hex(hex) {
                return Err(Error::invalid(format!("invalid reference format: {name:?}")));
            }
            return self.resolve_prefix(hex)?.ok_or_else(not_found);
        }
        match Reference::parse_tagged(name) {
            Ok(r) => {
                if let Some(id) = self.store.resolve_ref(&r)? {
                    return Ok(id);
                }
                // `name@digest` may also be recorded as a repo digest.
                if r.digest().is_some() {
                    let want = r.to_string();
                    for (id, rec) in self.store.images()? {
                        if rec.repo_digests.iter().any(|d| *d == want) {
                            return Ok(id);
                        }
                    }
                }
            }
            Err(e) if !is_hex(name) => return Err(e.into()),
            Err(_) => {}
        }
        if is_hex(name) && name.len() <= 64 {
            if let Some(id) = self.resolve_prefix(name)? {
                return Ok(id);
            }
        }
        Err(not_found())
    }

    fn resolve_prefix(&self, hex: &str) -> Result<Option<Digest>> {
        let found: Vec<Digest> = self.store.images()?.into_iter().map(|(d, _)| d).filter(|d| d.hex().starts_with(hex)).collect();
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.into_iter().next()),
            _ => Err(Error::invalid(format!("multiple IDs found with provided prefix: {hex}"))),
        }
    }

    pub(crate) fn refs_by_image(&self) -> Result<HashMap<Digest, Vec<Reference>>> {
        let mut m: HashMap<Digest, Vec<Reference>> = HashMap::new();
        for (r, id) in self.store.refs()? {
            m.entry(id).or_default().push(r);
        }
        for v in m.values_mut() {
            v.sort_by_key(|r| r.familiar());
        }
        Ok(m)
    }

    pub(crate) fn view(&self, id: &Digest, refs: &HashMap<Digest, Vec<Reference>>) -> Result<ImageView> {
        let record = self.store.image(id)?.ok_or_else(|| Error::not_found(format!("No such image: {id}")))?;
        let config = parse_config(id, &self.store.config(id)?)?;
        Ok(ImageView { id: id.clone(), record, config, refs: refs.get(id).cloned().unwrap_or_default() })
    }

    pub(crate) fn views(&self) -> Result<Vec<ImageView>> {
        let refs = self.refs_by_image()?;
        let mut out = Vec::new();
        for (id, record) in self.store.images()? {
            let config = parse_config(&id, &self.store.config(&id)?)?;
            let r = refs.get(&id).cloned().unwrap_or_default();
            out.push(ImageView { id, record, config, refs: r });
        }
        Ok(out)
    }

    /// Total bytes of an image's layers.
    pub(crate) fn image_size(&self, rec: &ImageRecord) -> Result<u64> {
        Ok(match &rec.top_layer {
            Some(t) => self.store.layer_chain(t)?.iter().map(|(_, l)| l.size).sum(),
            None => 0,
        })
    }

    fn summary(&self, v: &ImageView, tags: Vec<String>) -> Result<ImageSummary> {
        Ok(ImageSummary {
            containers: -1,
            created: v.created(),
            id: v.id.to_string(),
            labels: v.config.config.as_ref().and_then(|c| c.labels.clone()),
            parent_id: v.record.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            repo_digests: v.digests(),
            repo_tags: tags,
            shared_size: -1,
            size: self.image_size(&v.record)? as i64,
        })
    }

    /// Lists images, newest first.
    pub fn list_images(&self, opts: &ListOptions) -> Result<Vec<ImageSummary>> {
        let f = &opts.filters;
        f.check_keys(&["dangling", "label", "label!", "before", "since", "reference", "until"]).map_err(Error::invalid)?;
        let dangling = f.bool_value("dangling").map_err(Error::invalid)?;
        let views = self.views()?;
        let created_of = |name: &str| -> Result<i64> {
            let id = self.resolve_image(name)?;
            Ok(views.iter().find(|v| v.id == id).map_or(0, |v| v.created()))
        };
        let before = f.get("before").iter().map(|n| created_of(n)).collect::<Result<Vec<_>>>()?;
        let since = f.get("since").iter().map(|n| created_of(n)).collect::<Result<Vec<_>>>()?;
        let until = f.get("until").iter().map(|u| parse_time_arg(u)).collect::<Result<Vec<_>>>()?;
        let parents: std::collections::HashSet<Digest> = views.iter().filter_map(|v| v.record.parent.clone()).collect();
        let mut out = Vec::new();
        for v in &views {
            let mut tags = v.tags();
            let is_dangling = tags.is_empty() && v.digests().is_empty();
            if let Some(d) = dangling {
                if d != tags.is_empty() {
                    continue;
                }
            }
            if !opts.all && is_dangling && parents.contains(&v.id) {
                continue; // an intermediate image
            }
            let labels = v.config.config.as_ref().and_then(|c| c.labels.clone()).unwrap_or_default();
            if !f.match_labels(&labels) {
                continue;
            }
            let created = v.created();
            if before.iter().any(|&b| created >= b) || since.iter().any(|&s| created <= s) || until.iter().any(|&u| created > u) {
                continue;
            }
            let patterns = f.get("reference");
            if !patterns.is_empty() {
                let matching: Vec<Reference> = v
                    .refs
                    .iter()
                    .filter(|r| {
                        patterns.iter().any(|p| {
                            store::reference::glob_match(p, &r.familiar_name()) || store::reference::glob_match(p, &r.familiar())
                        })
                    })
                    .cloned()
                    .collect();
                if matching.is_empty() {
                    continue;
                }
                tags = matching.iter().filter(|r| r.tag().is_some()).map(|r| r.familiar()).collect();
            }
            out.push(self.summary(v, tags)?);
        }
        out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// `docker image inspect` JSON.
    pub fn inspect_image(&self, name: &str) -> Result<serde_json::Value> {
        let id = self.resolve_image(name)?;
        let v = self.view(&id, &self.refs_by_image()?)?;
        let c = &v.config;
        let graph = match &v.record.top_layer {
            Some(top) => {
                let chain = self.store.layer_chain(top)?;
                let dir = |d: &Digest| self.store.layer_dir(d);
                let lower: Vec<String> = chain.iter().rev().skip(1).map(|(d, _)| dir(d).join("diff").display().to_string()).collect();
                let mut data = serde_json::Map::new();
                if !lower.is_empty() {
                    data.insert("LowerDir".into(), lower.join(":").into());
                }
                data.insert("MergedDir".into(), dir(top).join("merged").display().to_string().into());
                data.insert("UpperDir".into(), dir(top).join("diff").display().to_string().into());
                data.insert("WorkDir".into(), dir(top).join("work").display().to_string().into());
                serde_json::Value::Object(data)
            }
            None => serde_json::json!({}),
        };
        let mut out = serde_json::json!({
            "Id": id.to_string(),
            "RepoTags": v.tags(),
            "RepoDigests": v.digests(),
            "Parent": v.record.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            "Comment": c.comment.clone().unwrap_or_default(),
            "Created": c.created.clone().unwrap_or_else(|| "0001-01-01T00:00:00Z".into()),
            "DockerVersion": c.docker_version.clone().unwrap_or_default(),
            "Author": c.author.clone().unwrap_or_default(),
            "Config": c.config.clone().unwrap_or_default().to_full_json(),
            "Architecture": c.architecture,
        });
        let m = out.as_object_mut().expect("object");
        if let Some(var) = &c.variant {
            m.insert("Variant".into(), var.clone().into());
        }
        m.insert("Os".into(), c.os.clone().into());
        m.insert("Size".into(), self.image_size(&v.record)?.into());
        m.insert("GraphDriver".into(), serde_json::json!({"Data": graph, "Name": "overlay2"}));
        m.insert("RootFS".into(), serde_json::json!({"Type": "layers", "Layers": c.rootfs.diff_ids}));
        m.insert("Metadata".into(), serde_json::json!({"LastTagTime": v.record.last_tag_time.clone().unwrap_or_else(|| "0001-01-01T00:00:00Z".into())}));
        Ok(out)
    }

    /// `docker history`: newest step first.
    pub fn image_history(&self, name: &str) -> Result<Vec<HistoryItem>> {
        let id = self.resolve_image(name)?;
        let refs = self.refs_by_image()?;
        let v = self.view(&id, &refs)?;
        let layers = match &v.record.top_layer {
            Some(t) => self.store.layer_chain(t)?,
            None => Vec::new(),
        };
        let mut sizes = layers.iter().map(|(_, l)| l.size as i64);
        let created = |s: &Option<String>| s.as_deref().and_then(store::parse_rfc3339).map_or(0, |t| t.0);
        let mut items: Vec<HistoryItem> = if v.config.history.is_empty() {
            layers
                .iter()
                .map(|(_, l)| HistoryItem {
                    id: "<missing>".into(),
                    created: created(&v.config.created),
                    created_by: String::new(),
                    tags: None,
                    size: l.size as i64,
                    comment: String::new(),
                })
                .collect()
        } else {
            v.config
                .history
                .iter()
                .map(|h| HistoryItem {
                    id: "<missing>".into(),
                    created: created(&h.created),
                    created_by: h.created_by.clone().unwrap_or_default(),
                    tags: None,
                    size: if h.empty_layer { 0 } else { sizes.next().unwrap_or(0) },
                    comment: h.comment.clone().unwrap_or_default(),
                })
                .collect()
        };
        // Name the steps that are images here: this one and its local parents.
        let mut cur = Some(v);
        while let Some(img) = cur {
            let n = if img.config.history.is_empty() { img.config.rootfs.diff_ids.len() } else { img.config.history.len() };
            if n > 0 && n <= items.len() {
                let item = &mut items[n - 1];
                item.id = img.id.to_string();
                let tags = img.tags();
                item.tags = (!tags.is_empty()).then_some(tags);
            }
            cur = match &img.record.parent {
                Some(p) if self.store.image(p)?.is_some() => Some(self.view(p, &refs)?),
                _ => None,
            };
        }
        items.reverse();
        Ok(items)
    }
}

/// Parses a time argument (`since`, `until`): UNIX seconds, RFC 3339, or a Go duration before now.
pub fn parse_time_arg(s: &str) -> Result<i64> {
    if let Ok(n) = s.parse::<f64>() {
        return Ok(n as i64);
    }
    if let Some((t, _)) = store::parse_rfc3339(s) {
        return Ok(t);
    }
    if let Ok(d) = build::changes::parse_duration(s) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
        return Ok(now - d / 1_000_000_000);
    }
    Err(Error::invalid(format!("invalid time value {s:?}: expected UNIX seconds, an RFC 3339 time or a duration such as 10m")))
}
