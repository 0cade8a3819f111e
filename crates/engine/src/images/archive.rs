//! `save` and `load`: Docker's image archive — an OCI image layout (`oci-layout`,
//! `index.json`, `blobs/sha256/...`) plus Docker's `manifest.json` — written by `save` and
//! read by `load`, which also reads older Docker archives (`<id>/layer.tar`) and plain OCI
//! layouts.

use crate::events::attrs;
use crate::{Engine, Error, Result};
use api::image::ImageConfig;
use serde::Deserialize;
use serde_json::json;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use store::digest::HashingReader;
use store::tar::writer::TarWriter;
use store::{Digest, Reference};

const MT_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const MT_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MT_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const MT_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const MAX_JSON: u64 = 16 << 20;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// An image found in an archive.
struct LoadItem {
    config: PathBuf,
    layers: Vec<PathBuf>,
    /// Expected blob digests of the layers (OCI layouts name them).
    layer_digests: Vec<Option<Digest>>,
    tags: Vec<Reference>,
}

/// Resolves `rel` inside `root`, following symlinks but never out of `root`.
fn inside(root: &Path, rel: &str) -> Result<PathBuf> {
    let bad = || Error::invalid(format!("invalid archive: path {rel:?} points outside the archive"));
    let comps = store::tar::extract::clean_path(rel.as_bytes()).map_err(|_| bad())?;
    if comps.is_empty() {
        return Err(bad());
    }
    let p = root.join(rel.trim_start_matches('/'));
    let real = std::fs::canonicalize(&p).map_err(|_| Error::invalid(format!("invalid archive: {rel} is missing")))?;
    let root = std::fs::canonicalize(root).map_err(|e| Error::internal(e.to_string()))?;
    if !real.starts_with(&root) {
        return Err(bad());
    }
    Ok(real)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<(T, Vec<u8>)> {
    let mut raw = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_JSON).read_to_end(&mut raw))
        .map_err(|e| Error::invalid(format!("invalid archive: reading {what}: {e}")))?;
    let v = serde_json::from_slice(&raw).map_err(|e| Error::invalid(format!("invalid archive: {what} is not valid: {e}")))?;
    Ok((v, raw))
}

fn blob_path(root: &Path, digest: &str) -> Result<PathBuf> {
    let d = Digest::parse(digest).map_err(|_| Error::invalid(format!("invalid archive: bad digest {digest:?}")))?;
    inside(root, &format!("blobs/sha256/{}", d.hex()))
}

fn docker_items(root: &Path) -> Result<Vec<LoadItem>> {
    let (entries, _): (Vec<DockerManifestEntry>, _) = read_json(&root.join("manifest.json"), "manifest.json")?;
    entries
        .into_iter()
        .map(|e| {
            let tags = e
                .repo_tags
                .unwrap_or_default()
                .iter()
                .map(|t| Reference::parse_tagged(t).map_err(|err| Error::invalid(format!("invalid archive: tag {t:?}: {err}"))))
                .collect::<Result<Vec<_>>>()?;
            Ok(LoadItem {
                config: inside(root, &e.config)?,
                layer_digests: vec![None; e.layers.len()],
                layers: e.layers.iter().map(|l| inside(root, l)).collect::<Result<_>>()?,
                tags,
            })
        })
        .collect()
}

fn oci_items(root: &Path) -> Result<Vec<LoadItem>> {
    let (index, _): (serde_json::Value, _) = read_json(&root.join("index.json"), "index.json")?;
    let mut out = Vec::new();
    oci_walk(root, &index, None, &mut out, 0)?;
    Ok(out)
}

fn oci_walk(root: &Path, index: &serde_json::Value, name: Option<Reference>, out: &mut Vec<LoadItem>, depth: u32) -> Result<()> {
    if depth > 4 {
        return Err(Error::invalid("invalid archive: image indexes nest too deeply"));
    }
    let manifests = index["manifests"].as_array().cloned().unwrap_or_default();
    for desc in &manifests {
        let digest = desc["digest"].as_str().unwrap_or_default();
        let mt = desc["mediaType"].as_str().unwrap_or_default();
        let ann = &desc["annotations"];
        let tag = ann["io.containerd.image.name"]
            .as_str()
            .and_then(|n| Reference::parse_tagged(n).ok())
            .or_else(|| ann["org.opencontainers.image.ref.name"].as_str().and_then(|n| Reference::parse(n).ok().filter(|r| r.tag().is_some())))
            .or_else(|| name.clone());
        let (doc, _): (serde_json::Value, _) = read_json(&blob_path(root, digest)?, digest)?;
        let is_index = mt == MT_INDEX || mt == "application/vnd.docker.distribution.manifest.list.v2+json" || doc.get("manifests").is_some();
        if is_index {
            // Pick this host's platform from a multi-platform index.
            let want = super::import::host_arch();
            let matching: Vec<serde_json::Value> = doc["manifests"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|m| {
                    let p = &m["platform"];
                    p.is_null() || (p["os"] == "linux" && p["architecture"] == want)
                })
                .take(1)
                .collect();
            if matching.is_empty() {
                return Err(Error::invalid(format!("invalid archive: no image for linux/{want} in {digest}")));
            }
            oci_walk(root, &json!({"manifests": matching}), tag, out, depth + 1)?;
            continue;
        }
        let cfg = doc["config"]["digest"].as_str().ok_or_else(|| Error::invalid(format!("invalid archive: manifest {digest} has no config")))?;
        let layers = doc["layers"].as_array().cloned().unwrap_or_default();
        let mut paths = Vec::new();
        let mut digests = Vec::new();
        for l in &layers {
            let d = l["digest"].as_str().unwrap_or_default();
            paths.push(blob_path(root, d)?);
            digests.push(Some(Digest::parse(d)?));
        }
        // Several descriptors may name one manifest (one per tag): merge them.
        let cfg_path = blob_path(root, cfg)?;
        match out.iter_mut().find(|i| i.config == cfg_path) {
            Some(existing) => existing.tags.extend(tag),
            None => out.push(LoadItem { config: cfg_path, layers: paths, layer_digests: digests, tags: tag.into_iter().collect() }),
        }
    }
    Ok(())
}

impl Engine {
    /// Loads every image of an archive; returns one line per image (`Loaded image: ...`).
    pub fn load_images(&self, src: &mut dyn Read) -> Result<Vec<String>> {
        let tmp = self.temp_dir("load")?;
        let tar = store::compress::decompress(src)?;
        store::tar::unpack_plain(tar, tmp.path()).map_err(|e| Error::from(e).context("loading archive"))?;
        let items = if tmp.path().join("manifest.json").exists() {
            docker_items(tmp.path())?
        } else if tmp.path().join("index.json").exists() {
            oci_items(tmp.path())?
        } else {
            return Err(Error::invalid("invalid archive: it holds neither manifest.json nor index.json (is it a `save` archive?)"));
        };
        if items.is_empty() {
            return Err(Error::invalid("invalid archive: no images in it"));
        }
        let mut lines = Vec::new();
        for item in items {
            lines.extend(self.load_one(&item)?);
        }
        Ok(lines)
    }

    fn load_one(&self, item: &LoadItem) -> Result<Vec<String>> {
        let (config, raw): (ImageConfig, Vec<u8>) = read_json(&item.config, "image config")?;
        if config.rootfs.diff_ids.len() != item.layers.len() {
            return Err(Error::invalid(format!(
                "invalid archive: the image config lists {} layers, the manifest {}",
                config.rootfs.diff_ids.len(),
                item.layers.len()
            )));
        }
        let mut top = None;
        for (i, path) in item.layers.iter().enumerate() {
            let want = Digest::parse(&config.rootfs.diff_ids[i])?;
            let f = File::open(path).map_err(|e| Error::invalid(format!("invalid archive: {}: {e}", path.display())))?;
            let mut hashing = HashingReader::new(f);
            let lease = {
                let tar = store::compress::decompress(&mut hashing)?;
                self.store.register_layer(top.take(), tar).map_err(|e| Error::from(e).context(format!("layer {}", i + 1)))?
            };
            if lease.info().diff_id != want {
                return Err(Error::invalid(format!(
                    "invalid archive: layer {} has content {} but the image config says {want}",
                    i + 1,
                    lease.info().diff_id
                )));
            }
            if let Some(expected) = &item.layer_digests[i] {
                std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| Error::internal(e.to_string()))?;
                let (got, _) = hashing.finish();
                if got != *expected {
                    return Err(Error::invalid(format!("invalid archive: blob {expected} does not match its content ({got})")));
                }
            }
            top = Some(lease);
        }
        let put = self.store.put_image(&raw, top, None, &item.tags)?;
        let mut lines = Vec::new();
        for (r, old) in &put.moved {
            lines.push(format!("The image {} already exists, renaming the old one with ID {old} to empty string", r.familiar()));
        }
        for t in &item.tags {
            lines.push(format!("Loaded image: {}", t.familiar()));
            self.events.publish("image", "load", &put.id.to_string(), attrs([("name", t.familiar())]));
        }
        if item.tags.is_empty() {
            lines.push(format!("Loaded image ID: {}", put.id));
            self.events.publish("image", "load", &put.id.to_string(), attrs([("name", put.id.to_string())]));
        }
        Ok(lines)
    }

    /// Which images and references `save` writes for these names.
    fn save_plan(&self, names: &[String]) -> Result<Vec<(Digest, Vec<Reference>)>> {
        if names.is_empty() {
            return Err(Error::invalid("no images given to save"));
        }
        let refs = self.refs_by_image()?;
        let mut plan: Vec<(Digest, Vec<Reference>)> = Vec::new();
        let mut add = |id: Digest, r: Option<Reference>| match plan.iter_mut().find(|(d, _)| *d == id) {
            Some((_, rs)) => rs.extend(r.filter(|r| !rs.contains(r))),
            None => plan.push((id, r.into_iter().collect())),
        };
        for name in names {
            // A bare repository name means every tag of that repository.
            if let Some(r) = Reference::parse(name).ok().filter(|r| r.tag().is_none() && r.digest().is_none()) {
                let tagged: Vec<(Digest, Reference)> = refs
                    .iter()
                    .flat_map(|(id, rs)| rs.iter().filter(|x| x.name() == r.name() && x.tag().is_some()).map(move |x| (id.clone(), x.clone())))
                    .collect();
                if !tagged.is_empty() {
                    for (id, x) in tagged {
                        add(id, Some(x));
                    }
                    continue;
                }
            }
            let id = self.resolve_image(name)?;
            let r = Reference::parse_tagged(name)
                .ok()
                .filter(|r| r.tag().is_some() && self.store.resolve_ref(r).ok().flatten().as_ref() == Some(&id));
            add(id, r);
        }
        Ok(plan)
    }

    /// Checks that `save` can proceed, before the response starts.
    pub fn check_save(&self, names: &[String]) -> Result<()> {
        self.save_plan(names).map(|_| ())
    }

    /// Writes the archive of the named images.
    pub fn save_images(&self, names: &[String], out: &mut dyn Write) -> Result<()> {
        let plan = self.save_plan(names)?;
        let io = |e: std::io::Error| Error::internal(format!("writing archive: {e}"));
        let mut tw = TarWriter::new(out, 0);
        tw.dir("blobs/").map_err(io)?;
        tw.dir("blobs/sha256/").map_err(io)?;
        let mut written = std::collections::HashSet::new();
        let mut docker_manifest = Vec::new();
        let mut index = Vec::new();
        for (id, tags) in &plan {
            let config = self.store.config(id)?;
            if written.insert(id.clone()) {
                tw.file(&format!("blobs/sha256/{}", id.hex()), &config).map_err(io)?;
            }
            let rec = self.store.image(id)?.ok_or_else(|| Error::not_found(format!("No such image: {id}")))?;
            let chain = match &rec.top_layer {
                Some(t) => self.store.layer_chain(t)?,
                None => Vec::new(),
            };
            let mut layer_descs = Vec::new();
            let mut layer_paths = Vec::new();
            for (chain_id, l) in &chain {
                let name = format!("blobs/sha256/{}", l.diff_id.hex());
                if written.insert(l.diff_id.clone()) {
                    let mut err = None;
                    tw.file_with(&name, l.tar_size, |w| {
                        self.store.write_layer_tar(chain_id, w).map_err(|e| {
                            let m = e.to_string();
                            err = Some(e);
                            std::io::Error::other(m)
                        })
                    })
                    .map_err(|e| match err.take() {
                        Some(se) => Error::from(se),
                        None => io(e),
                    })?;
                }
                layer_descs.push(json!({"mediaType": MT_LAYER, "digest": l.diff_id.to_string(), "size": l.tar_size}));
                layer_paths.push(name);
            }
            let manifest = serde_json::to_vec(&json!({
                "schemaVersion": 2,
                "mediaType": MT_MANIFEST,
                "config": {"mediaType": MT_CONFIG, "digest": id.to_string(), "size": config.len()},
                "layers": layer_descs,
            }))
            .expect("manifest serialises");
            let mdigest = Digest::of(&manifest);
            if written.insert(mdigest.clone()) {
                tw.file(&format!("blobs/sha256/{}", mdigest.hex()), &manifest).map_err(io)?;
            }
            let desc = |r: Option<&Reference>| {
                let mut d = json!({"mediaType": MT_MANIFEST, "digest": mdigest.to_string(), "size": manifest.len()});
                if let Some(r) = r {
                    d["annotations"] = json!({
                        "io.containerd.image.name": r.to_string(),
                        "org.opencontainers.image.ref.name": r.tag().unwrap_or("latest"),
                    });
                }
                d
            };
            if tags.is_empty() {
                index.push(desc(None));
            }
            for t in tags {
                index.push(desc(Some(t)));
            }
            let repo_tags: Option<Vec<String>> = (!tags.is_empty()).then(|| tags.iter().map(|t| t.familiar()).collect());
            docker_manifest.push(json!({
                "Config": format!("blobs/sha256/{}", id.hex()),
                "RepoTags": repo_tags,
                "Layers": layer_paths,
            }));
        }
        let index = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": index})).expect("index");
        tw.file("index.json", &index).map_err(io)?;
        tw.file("manifest.json", &serde_json::to_vec(&docker_manifest).expect("manifest")).map_err(io)?;
        tw.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(io)?;
        tw.finish().map_err(io)?;
        for (id, tags) in &plan {
            let name = tags.first().map(|t| t.familiar()).unwrap_or_else(|| id.to_string());
            self.events.publish("image", "save", &id.to_string(), attrs([("name", name)]));
        }
        Ok(())
    }
}
