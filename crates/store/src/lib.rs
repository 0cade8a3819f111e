//! berth's storage: what is kept on disk and how it stays consistent.
//!
//! Layout under the data root:
//! - `content/blobs/sha256/<hex>`: immutable blobs (image configs, manifests) — [`content`];
//! - `overlay2/<chain hex>/{diff,tar-split,shadow}`: each layer unpacked once, keyed by chain
//!   ID, with what is needed to rebuild its exact tar — [`tar`];
//! - `overlay2/l/<short>`: symlinks to the `diff` directories, so overlay mount options stay
//!   short even for deep images;
//! - `metadata.db`: layer records (with reference counts), image records and references — [`meta`].
//!
//! Crash consistency rests on ordering: files are made durable (blobs fsynced, layers
//! `syncfs`ed and renamed into place) before the transaction that references them commits,
//! and are deleted only after the transaction that dropped the last reference commits. So a
//! `kill -9` at any moment leaves at worst unreferenced files, which [`Store::open`] removes;
//! metadata never references a missing file.
#![deny(missing_docs)]

pub mod compress;
pub mod content;
pub mod digest;
mod error;
mod layer;
pub mod meta;
pub mod mount;
pub mod reference;
pub mod tar;
#[cfg(test)]
mod store_tests;

pub use content::ContentStore;
pub use digest::Digest;
pub use error::{Error, IoContext};
pub use layer::{LayerInfo, LayerLease};
pub use meta::{ImageRecord, LayerRecord};
pub use mount::Mount;
pub use reference::Reference;

use redb::{ReadableDatabase, ReadableTable};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The image store: content, layers, images and references under one data root.
pub struct Store {
    root: PathBuf,
    content: ContentStore,
    db: redb::Database,
    /// Serialises writers that read-modify-write reference counts.
    write: Mutex<()>,
}

/// What [`Store::open`] cleaned up after an unclean shutdown.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Recovery {
    /// Layer directories without a record, removed.
    pub orphan_layer_dirs: usize,
    /// Layers no image referenced, removed.
    pub unreferenced_layers: usize,
    /// Blobs nothing referenced, removed.
    pub orphan_blobs: usize,
    /// Layer reference counts corrected.
    pub fixed_refcounts: usize,
}

/// The outcome of [`Store::put_image`].
#[derive(Debug, Clone)]
pub struct PutImage {
    /// The image ID (digest of the config).
    pub id: Digest,
    /// Whether the image was new.
    pub created: bool,
    /// References that pointed at another image before, with that image.
    pub moved: Vec<(Reference, Digest)>,
}

impl Store {
    /// Opens the store under `root`, creating it if needed, and recovers from an unclean
    /// shutdown (see the crate docs).
    pub fn open(root: &Path) -> Result<(Store, Recovery), Error> {
        std::fs::create_dir_all(root).ctx(|| format!("create {}", root.display()))?;
        let content = ContentStore::open(&root.join("content"))?;
        let db = meta::open(&root.join("metadata.db"))?;
        let store = Store { root: root.to_path_buf(), content, db, write: Mutex::new(()) };
        std::fs::create_dir_all(store.layers_root().join("l")).ctx(|| "create layer dir".into())?;
        let rec = store.recover()?;
        Ok((store, rec))
    }

    /// The data root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The content store.
    pub fn content(&self) -> &ContentStore {
        &self.content
    }

    pub(crate) fn layers_root(&self) -> PathBuf {
        self.root.join("overlay2")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }

    // ---- images ----

    /// Stores an image config and its record, consuming the lease on its top layer, and
    /// points `tags` at it — all in one transaction.
    pub fn put_image(
        &self,
        config: &[u8],
        top: Option<LayerLease<'_>>,
        parent: Option<&Digest>,
        tags: &[Reference],
    ) -> Result<PutImage, Error> {
        let id = self.content.write(config)?;
        let top_chain = top.as_ref().map(|l| l.chain_id().clone());
        let g = self.lock();
        let tx = self.db.begin_write()?;
        let created;
        let mut moved = Vec::new();
        {
            let mut images = tx.open_table(meta::IMAGES)?;
            let existing: Option<ImageRecord> =
                images.get(id.to_string().as_str())?.map(|v| meta::decode("image", &id.to_string(), v.value())).transpose()?;
            let mut rec = existing.clone().unwrap_or(ImageRecord { top_layer: top_chain.clone(), parent: parent.cloned(), ..Default::default() });
            created = existing.is_none();
            if !tags.is_empty() {
                rec.last_tag_time = Some(now_rfc3339());
            }
            images.insert(id.to_string().as_str(), meta::encode(&rec).as_slice())?;
            let mut refs = tx.open_table(meta::REFS)?;
            for t in tags {
                let key = t.to_string();
                let prev = refs.insert(key.as_str(), id.to_string().as_str())?.map(|v| v.value().to_string());
                if let Some(prev) = prev {
                    if prev != id.to_string() {
                        moved.push((t.clone(), Digest::parse(&prev)?));
                    }
                }
            }
        }
        tx.commit()?;
        drop(g);
        if let Some(lease) = top {
            if created {
                lease.keep();
            }
            // Otherwise dropping the lease releases it: the existing image holds its own.
        }
        Ok(PutImage { id, created, moved })
    }

    /// The record of an image.
    pub fn image(&self, id: &Digest) -> Result<Option<ImageRecord>, Error> {
        meta::get(&self.db, meta::IMAGES, "image", &id.to_string())
    }

    /// Every image.
    pub fn images(&self) -> Result<Vec<(Digest, ImageRecord)>, Error> {
        meta::all::<ImageRecord>(&self.db, meta::IMAGES, "image")?
            .into_iter()
            .map(|(k, v)| Ok((Digest::parse(&k)?, v)))
            .collect()
    }

    /// An image's config, verified against its ID.
    pub fn config(&self, id: &Digest) -> Result<Vec<u8>, Error> {
        self.content.read(id)
    }

    /// Replaces an image record's mutable fields (last tag time, repo digests).
    pub fn update_image(&self, id: &Digest, f: impl FnOnce(&mut ImageRecord)) -> Result<(), Error> {
        let _g = self.lock();
        let tx = self.db.begin_write()?;
        {
            let mut images = tx.open_table(meta::IMAGES)?;
            let key = id.to_string();
            let mut rec: ImageRecord = match images.get(key.as_str())? {
                Some(v) => meta::decode("image", &key, v.value())?,
                None => return Err(Error::not_found(format!("No such image: {id}"))),
            };
            f(&mut rec);
            images.insert(key.as_str(), meta::encode(&rec).as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes an image, every reference to it, and the layers only it used; returns those
    /// layers (chain ID and record).
    pub fn delete_image(&self, id: &Digest) -> Result<Vec<(Digest, LayerRecord)>, Error> {
        let key = id.to_string();
        let dead_layers;
        {
            let _g = self.lock();
            let tx = self.db.begin_write()?;
            {
                let mut images = tx.open_table(meta::IMAGES)?;
                let rec: ImageRecord = match images.remove(key.as_str())? {
                    Some(v) => meta::decode("image", &key, v.value())?,
                    None => return Err(Error::not_found(format!("No such image: {id}"))),
                };
                let mut refs = tx.open_table(meta::REFS)?;
                let doomed: Vec<String> = refs
                    .iter()?
                    .filter_map(|r| r.ok())
                    .filter(|(_, v)| v.value() == key)
                    .map(|(k, _)| k.value().to_string())
                    .collect();
                for r in doomed {
                    refs.remove(r.as_str())?;
                }
                let mut layers = tx.open_table(meta::LAYERS)?;
                dead_layers = match rec.top_layer {
                    Some(top) => layer::release_in(&mut layers, &top)?,
                    None => Vec::new(),
                };
            }
            tx.commit()?;
        }
        // Only after the commit: files go once nothing references them.
        for (chain, rec) in &dead_layers {
            self.remove_layer_files(chain, rec);
        }
        let _ = self.content.delete(id);
        Ok(dead_layers)
    }

    // ---- references ----

    /// Points a reference at an image; returns the image it pointed at before, if another.
    pub fn set_ref(&self, r: &Reference, id: &Digest) -> Result<Option<Digest>, Error> {
        let _g = self.lock();
        let tx = self.db.begin_write()?;
        let prev;
        {
            let mut images = tx.open_table(meta::IMAGES)?;
            let key = id.to_string();
            let mut rec: ImageRecord = match images.get(key.as_str())? {
                Some(v) => meta::decode("image", &key, v.value())?,
                None => return Err(Error::not_found(format!("No such image: {id}"))),
            };
            rec.last_tag_time = Some(now_rfc3339());
            images.insert(key.as_str(), meta::encode(&rec).as_slice())?;
            let mut refs = tx.open_table(meta::REFS)?;
            prev = refs.insert(r.to_string().as_str(), key.as_str())?.map(|v| v.value().to_string());
        }
        tx.commit()?;
        match prev {
            Some(p) if p != id.to_string() => Ok(Some(Digest::parse(&p)?)),
            _ => Ok(None),
        }
    }

    /// Removes a reference; returns the image it pointed at.
    pub fn remove_ref(&self, r: &Reference) -> Result<Option<Digest>, Error> {
        let _g = self.lock();
        let tx = self.db.begin_write()?;
        let prev = {
            let mut refs = tx.open_table(meta::REFS)?;
            let v = refs.remove(r.to_string().as_str())?.map(|v| v.value().to_string());
            v
        };
        tx.commit()?;
        prev.map(|p| Digest::parse(&p)).transpose()
    }

    /// The image a reference points at.
    pub fn resolve_ref(&self, r: &Reference) -> Result<Option<Digest>, Error> {
        let rx = self.db.begin_read()?;
        let refs = rx.open_table(meta::REFS)?;
        let v = refs.get(r.to_string().as_str())?;
        v.map(|v| Digest::parse(v.value())).transpose()
    }

    /// Every reference, with its image.
    pub fn refs(&self) -> Result<Vec<(Reference, Digest)>, Error> {
        let rx = self.db.begin_read()?;
        let refs = rx.open_table(meta::REFS)?;
        let mut out = Vec::new();
        for item in refs.iter()? {
            let (k, v) = item?;
            let r = Reference::parse(k.value()).map_err(|e| Error::Corrupt(format!("reference {}: {e}", k.value())))?;
            out.push((r, Digest::parse(v.value())?));
        }
        Ok(out)
    }

    // ---- opaque records for the engine (containers, volumes, networks) ----

    /// Stores a record of `kind` under `id`.
    pub fn put_record(&self, kind: &str, id: &str, value: &[u8]) -> Result<(), Error> {
        let tx = self.db.begin_write()?;
        tx.open_table(meta::RECORDS)?.insert(format!("{kind}/{id}").as_str(), value)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes a record.
    pub fn delete_record(&self, kind: &str, id: &str) -> Result<(), Error> {
        let tx = self.db.begin_write()?;
        tx.open_table(meta::RECORDS)?.remove(format!("{kind}/{id}").as_str())?;
        tx.commit()?;
        Ok(())
    }

    /// Every record of `kind`, by id.
    pub fn records(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, Error> {
        let rx = self.db.begin_read()?;
        let t = rx.open_table(meta::RECORDS)?;
        let prefix = format!("{kind}/");
        let mut out = Vec::new();
        for item in t.range(prefix.as_str()..)? {
            let (k, v) = item?;
            let Some(id) = k.value().strip_prefix(&prefix) else { break };
            out.push((id.to_string(), v.value().to_vec()));
        }
        Ok(out)
    }

    // ---- recovery ----

    fn recover(&self) -> Result<Recovery, Error> {
        let mut rec = Recovery::default();
        let _g = self.lock();
        let lroot = self.layers_root();
        let tmp = lroot.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).ctx(|| format!("clean {}", tmp.display()))?;
        }
        // Recompute reference counts from images and child layers; leases die with the process.
        let images = self.images_unlocked()?;
        let holds: Vec<(String, String)> =
            self.records("layerhold")?.into_iter().map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned())).collect();
        let tx = self.db.begin_write()?;
        let mut dead = Vec::new();
        {
            let mut layers = tx.open_table(meta::LAYERS)?;
            let mut all: Vec<(String, LayerRecord)> = Vec::new();
            for item in layers.iter()? {
                let (k, v) = item?;
                all.push((k.value().to_string(), meta::decode("layer", k.value(), v.value())?));
            }
            let mut want: std::collections::HashMap<String, u64> = all.iter().map(|(k, _)| (k.clone(), 0)).collect();
            for (_, img) in &images {
                if let Some(t) = &img.top_layer {
                    *want.entry(t.to_string()).or_default() += 1;
                }
            }
            for (_, l) in &all {
                if let Some(p) = &l.parent {
                    *want.entry(p.to_string()).or_default() += 1;
                }
            }
            for (_, chain) in &holds {
                *want.entry(chain.clone()).or_default() += 1;
            }
            for (k, mut l) in all {
                let w = want[&k];
                if l.refs != w {
                    rec.fixed_refcounts += 1;
                    l.refs = w;
                    layers.insert(k.as_str(), meta::encode(&l).as_slice())?;
                }
            }
            // Remove unreferenced layers (their release cascades to parents).
            loop {
                let zero: Vec<String> = layers
                    .iter()?
                    .filter_map(|r| r.ok())
                    .filter_map(|(k, v)| {
                        let l: LayerRecord = meta::decode("layer", k.value(), v.value()).ok()?;
                        (l.refs == 0).then(|| k.value().to_string())
                    })
                    .collect();
                if zero.is_empty() {
                    break;
                }
                for k in zero {
                    let chain = Digest::parse(&k)?;
                    let Some(v) = layers.remove(k.as_str())? else { continue };
                    let l: LayerRecord = meta::decode("layer", &k, v.value())?;
                    drop(v);
                    if let Some(p) = &l.parent {
                        dead.extend(layer::release_in(&mut layers, p)?);
                    }
                    dead.push((chain, l));
                    rec.unreferenced_layers += 1;
                }
            }
        }
        tx.commit()?;
        rec.unreferenced_layers = dead.len();
        for (chain, l) in &dead {
            self.remove_layer_files(chain, l);
        }
        // Directories and links that no record names.
        let layers: Vec<(String, LayerRecord)> = meta::all(&self.db, meta::LAYERS, "layer")?;
        let known: std::collections::HashSet<String> =
            layers.iter().map(|(k, _)| k.trim_start_matches("sha256:").to_string()).collect();
        for e in std::fs::read_dir(&lroot).ctx(|| "list layers".into())? {
            let e = e.ctx(|| "list layers".into())?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name != "l" && !known.contains(&name) {
                let _ = std::fs::remove_dir_all(e.path());
                rec.orphan_layer_dirs += 1;
            }
        }
        let links: std::collections::HashSet<String> = layers.iter().map(|(_, l)| l.link.clone()).collect();
        for e in std::fs::read_dir(lroot.join("l")).ctx(|| "list layer links".into())? {
            let e = e.ctx(|| "list layer links".into())?;
            if !links.contains(&*e.file_name().to_string_lossy()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        for (k, l) in &layers {
            let link = lroot.join("l").join(&l.link);
            if std::fs::symlink_metadata(&link).is_err() {
                let _ = std::os::unix::fs::symlink(format!("../{}/diff", k.trim_start_matches("sha256:")), link);
            }
        }
        // Blobs: configs of existing images are the only blobs so far.
        let live: std::collections::HashSet<Digest> = images.iter().map(|(d, _)| d.clone()).collect();
        let keep_extra = self.extra_blob_refs()?;
        for b in self.content.list()? {
            if !live.contains(&b) && !keep_extra.contains(&b) {
                self.content.delete(&b)?;
                rec.orphan_blobs += 1;
            }
        }
        Ok(rec)
    }

    /// Blobs referenced from opaque records (`blobref/<digest>` records keep a blob alive).
    fn extra_blob_refs(&self) -> Result<std::collections::HashSet<Digest>, Error> {
        Ok(self.records("blobref")?.into_iter().filter_map(|(k, _)| Digest::parse(&k).ok()).collect())
    }

    fn images_unlocked(&self) -> Result<Vec<(Digest, ImageRecord)>, Error> {
        self.images()
    }
}

pub use api::time::{now_rfc3339, parse_rfc3339, rfc3339};

/// `n` random bytes as hex, from the kernel's CSPRNG.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        match rustix::rand::getrandom(&mut buf[filled..], rustix::rand::GetRandomFlags::empty()) {
            Ok(k) => filled += k,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => panic!("getrandom failed: {e}"),
        }
    }
    digest::to_hex(&buf)
}

/// fsyncs a directory so a rename into it is durable.
pub fn fsync_dir(dir: &Path) -> Result<(), Error> {
    std::fs::File::open(dir).and_then(|f| f.sync_all()).ctx(|| format!("fsync {}", dir.display()))
}

#[cfg(test)]
pub(crate) mod testutil {
    /// A temporary directory removed on drop.
    pub struct TempDir(std::path::PathBuf);
    impl TempDir {
        pub fn new() -> TempDir {
            let p = std::env::temp_dir().join(format!("berth-store-test-{}", crate::random_hex(8)));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

