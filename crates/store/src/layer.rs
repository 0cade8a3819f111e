//! The layer store: each layer unpacked once under `overlay2/<chain hex>`, reference counted.

use crate::digest::Digest;
use crate::error::{Error, IoContext};
use crate::meta::{self, LayerRecord};
use crate::mount::Mount;
use crate::Store;
use redb::ReadableTable;
use std::io::{Read, Write};
use std::path::PathBuf;

/// A layer as registered.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    /// Chain ID (identity of the layer together with everything below it).
    pub chain_id: Digest,
    /// sha256 of the uncompressed layer tar.
    pub diff_id: Digest,
    /// Bytes of file content in this layer alone.
    pub size: u64,
}

/// A counted reference to a layer held by an operation in progress (an import, a pull):
/// it keeps the layer alive until an image takes it over ([`Store::put_image`]) or it is
/// dropped, which releases it.
pub struct LayerLease<'a> {
    store: &'a Store,
    info: LayerInfo,
    kept: bool,
}

impl LayerLease<'_> {
    /// The layer's chain ID.
    pub fn chain_id(&self) -> &Digest {
        &self.info.chain_id
    }
    /// The layer.
    pub fn info(&self) -> &LayerInfo {
        &self.info
    }
    /// Hands the reference over to whoever now records it.
    pub(crate) fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for LayerLease<'_> {
    fn drop(&mut self) {
        if !self.kept {
            let _ = self.store.release_layer(&self.info.chain_id);
        }
    }
}

/// Decrements a layer's count inside a transaction; returns the layers that reached zero
/// (removed from the table; their files are for the caller to delete after commit).
pub(crate) fn release_in(
    layers: &mut redb::Table<&str, &[u8]>,
    chain: &Digest,
) -> Result<Vec<(Digest, LayerRecord)>, Error> {
    let mut dead = Vec::new();
    let mut next = Some(chain.clone());
    while let Some(c) = next.take() {
        let key = c.to_string();
        let mut rec: LayerRecord = match layers.get(key.as_str())? {
            Some(v) => meta::decode("layer", &key, v.value())?,
            None => return Err(Error::Corrupt(format!("layer {c} is referenced but has no record"))),
        };
        rec.refs = rec.refs.saturating_sub(1);
        if rec.refs == 0 {
            layers.remove(key.as_str())?;
            next = rec.parent.clone();
            dead.push((c, rec));
        } else {
            layers.insert(key.as_str(), meta::encode(&rec).as_slice())?;
        }
    }
    Ok(dead)
}

impl Store {
    /// Unpacks an uncompressed layer tar on top of `parent` (whose lease it consumes) and
    /// returns a lease on the new layer. A layer already present is reused, not unpacked twice.
    pub fn register_layer(&self, parent: Option<LayerLease<'_>>, tar: impl Read) -> Result<LayerLease<'_>, Error> {
        let tmp_root = self.layers_root().join("tmp");
        std::fs::create_dir_all(&tmp_root).ctx(|| format!("create {}", tmp_root.display()))?;
        let tmp = tmp_root.join(crate::random_hex(12));
        let unpacked = crate::tar::unpack_layer(tar, &tmp);
        let out = match unpacked {
            Ok(o) => o,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        let parent_chain = parent.as_ref().map(|p| p.chain_id().clone());
        let chain = Digest::chain(parent_chain.as_ref(), &out.diff_id);
        let key = chain.to_string();
        let info = LayerInfo { chain_id: chain.clone(), diff_id: out.diff_id.clone(), size: out.size };
        let _g = self.lock();
        let tx = self.db.begin_write()?;
        let fresh;
        {
            let mut layers = tx.open_table(meta::LAYERS)?;
            let existing: Option<LayerRecord> =
                layers.get(key.as_str())?.map(|v| meta::decode("layer", &key, v.value())).transpose()?;
            match existing {
                Some(mut rec) => {
                    fresh = false;
                    rec.refs += 1;
                    layers.insert(key.as_str(), meta::encode(&rec).as_slice())?;
                }
                None => {
                    fresh = true;
                    let dst = self.layer_dir(&chain);
                    if dst.exists() {
                        // Left over from a crash before its record was committed.
                        std::fs::remove_dir_all(&dst).ctx(|| format!("remove stale {}", dst.display()))?;
                    }
                    std::fs::rename(&tmp, &dst).ctx(|| format!("move layer into {}", dst.display()))?;
                    crate::fsync_dir(&self.layers_root())?;
                    let link = self.new_link_name(&layers, &chain)?;
                    let lpath = self.layers_root().join("l").join(&link);
                    let _ = std::fs::remove_file(&lpath);
                    std::os::unix::fs::symlink(format!("../{}/diff", chain.hex()), &lpath)
                        .ctx(|| format!("link {}", lpath.display()))?;
                    if let Some(p) = &parent_chain {
                        let pkey = p.to_string();
                        let mut prec: LayerRecord = match layers.get(pkey.as_str())? {
                            Some(v) => meta::decode("layer", &pkey, v.value())?,
                            None => return Err(Error::Corrupt(format!("parent layer {p} has no record"))),
                        };
                        prec.refs += 1;
                        layers.insert(pkey.as_str(), meta::encode(&prec).as_slice())?;
                    }
                    let rec = LayerRecord { diff_id: out.diff_id, parent: parent_chain, size: out.size, tar_size: out.tar_size, link, refs: 1 };
                    layers.insert(key.as_str(), meta::encode(&rec).as_slice())?;
                }
            }
        }
        tx.commit()?;
        if !fresh {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        drop(_g);
        // The new layer (or the existing one) holds its parent now; the caller's lease goes.
        drop(parent);
        Ok(LayerLease { store: self, info, kept: false })
    }

    fn new_link_name(&self, layers: &redb::Table<&str, &[u8]>, chain: &Digest) -> Result<String, Error> {
        // 16 hex characters; lengthen on the (astronomically unlikely) collision.
        let taken: std::collections::HashSet<String> = layers
            .iter()?
            .filter_map(|r| r.ok())
            .filter_map(|(k, v)| meta::decode::<LayerRecord>("layer", k.value(), v.value()).ok())
            .map(|l| l.link)
            .collect();
        let mut n = 16;
        loop {
            let cand = chain.hex()[..n].to_string();
            if !taken.contains(&cand) || n == 64 {
                return Ok(cand);
            }
            n += 1;
        }
    }

    /// Takes another reference on an existing layer (for an image or container being set up).
    pub fn lease_layer(&self, chain: &Digest) -> Result<LayerLease<'_>, Error> {
        let _g = self.lock();
        let tx = self.db.begin_write()?;
        let key = chain.to_string();
        let info;
        {
            let mut layers = tx.open_table(meta::LAYERS)?;
            let mut rec: LayerRecord = match layers.get(key.as_str())? {
                Some(v) => meta::decode("layer", &key, v.value())?,
                None => return Err(Error::not_found(format!("layer {chain} not found"))),
            };
            rec.refs += 1;
            info = LayerInfo { chain_id: chain.clone(), diff_id: rec.diff_id.clone(), size: rec.size };
            layers.insert(key.as_str(), meta::encode(&rec).as_slice())?;
        }
        tx.commit()?;
        Ok(LayerLease { store: self, info, kept: false })
    }

    /// Takes a persistent reference on a layer for `owner` (a container): it survives
    /// restarts and is counted by recovery until [`Store::release_hold`].
    pub fn hold_layer(&self, owner: &str, chain: &Digest) -> Result<(), Error> {
        let _g = self.lock();
        let tx = self.db.begin_write()?;
        {
            let key = chain.to_string();
            let mut layers = tx.open_table(meta::LAYERS)?;
            let mut rec: LayerRecord = match layers.get(key.as_str())? {
                Some(v) => meta::decode("layer", &key, v.value())?,
                None => return Err(Error::not_found(format!("layer {chain} not found"))),
            };
            rec.refs += 1;
            layers.insert(key.as_str(), meta::encode(&rec).as_slice())?;
            let mut records = tx.open_table(meta::RECORDS)?;
            records.insert(format!("layerhold/{owner}").as_str(), key.as_bytes())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Releases `owner`'s hold (if any), deleting layers nothing else references.
    pub fn release_hold(&self, owner: &str) -> Result<(), Error> {
        let dead;
        {
            let _g = self.lock();
            let tx = self.db.begin_write()?;
            {
                let mut records = tx.open_table(meta::RECORDS)?;
                let held = records.remove(format!("layerhold/{owner}").as_str())?.map(|v| String::from_utf8_lossy(v.value()).into_owned());
                let mut layers = tx.open_table(meta::LAYERS)?;
                dead = match held {
                    Some(c) => release_in(&mut layers, &Digest::parse(&c)?)?,
                    None => Vec::new(),
                };
            }
            tx.commit()?;
        }
        for (c, rec) in dead {
            self.remove_layer_files(&c, &rec);
        }
        Ok(())
    }

    /// Drops one reference to a layer, deleting it (and parents) when none remain.
    pub fn release_layer(&self, chain: &Digest) -> Result<(), Error> {
        let dead;
        {
            let _g = self.lock();
            let tx = self.db.begin_write()?;
            {
                let mut layers = tx.open_table(meta::LAYERS)?;
                dead = release_in(&mut layers, chain)?;
            }
            tx.commit()?;
        }
        for (c, rec) in dead {
            self.remove_layer_files(&c, &rec);
        }
        Ok(())
    }

    pub(crate) fn remove_layer_files(&self, chain: &Digest, rec: &LayerRecord) {
        let _ = std::fs::remove_file(self.layers_root().join("l").join(&rec.link));
        let _ = std::fs::remove_dir_all(self.layer_dir(chain));
    }

    /// Directory of a layer (holding `diff/`).
    pub fn layer_dir(&self, chain: &Digest) -> PathBuf {
        self.layers_root().join(chain.hex())
    }

    /// A layer's record.
    pub fn layer(&self, chain: &Digest) -> Result<Option<LayerRecord>, Error> {
        meta::get(&self.db, meta::LAYERS, "layer", &chain.to_string())
    }

    /// The layers from the bottom up to `top`, with their chain IDs.
    pub fn layer_chain(&self, top: &Digest) -> Result<Vec<(Digest, LayerRecord)>, Error> {
        let mut out = Vec::new();
        let mut next = Some(top.clone());
        while let Some(c) = next {
            let rec = self.layer(&c)?.ok_or_else(|| Error::Corrupt(format!("layer {c} has no record")))?;
            next = rec.parent.clone();
            out.push((c, rec));
        }
        out.reverse();
        Ok(out)
    }

    /// Writes a layer's original tar (verified against its diff ID) into `out`.
    pub fn write_layer_tar(&self, chain: &Digest, out: &mut dyn Write) -> Result<u64, Error> {
        let rec = self.layer(chain)?.ok_or_else(|| Error::not_found(format!("layer {chain} not found")))?;
        crate::tar::split::assemble(&self.layer_dir(chain), &rec.diff_id, out)
    }

    /// The overlay mount for a container on top of `top` (as data; see [`Mount`]): lower
    /// directories are given through the short `l/` links, relative to `overlay2/`.
    pub fn overlay_mount(&self, top: Option<&Digest>, upper: &std::path::Path, work: &std::path::Path) -> Result<Mount, Error> {
        let mut lowers = Vec::new();
        if let Some(t) = top {
            for (_, rec) in self.layer_chain(t)?.iter().rev() {
                lowers.push(format!("l/{}", rec.link));
            }
        }
        if lowers.is_empty() {
            let empty = self.layers_root().join("empty");
            std::fs::create_dir_all(&empty).ctx(|| "create empty lower dir".into())?;
            lowers.push("empty".into());
        }
        Ok(Mount::overlay(&self.layers_root(), &lowers, upper, work))
    }

    /// The unpacked directories of `top`'s chain, top first (for idmapped mounts of them).
    pub fn lower_dirs(&self, top: &Digest) -> Result<Vec<std::path::PathBuf>, Error> {
        Ok(self.layer_chain(top)?.iter().rev().map(|(_, rec)| self.layers_root().join("l").join(&rec.link)).collect())
    }

    /// Every layer record.
    pub fn layers(&self) -> Result<Vec<(Digest, LayerRecord)>, Error> {
        meta::all::<LayerRecord>(&self.db, meta::LAYERS, "layer")?
            .into_iter()
            .map(|(k, v)| Ok((Digest::parse(&k)?, v)))
            .collect()
    }
}
