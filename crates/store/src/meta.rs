//! Metadata in redb: layer records, image records and references, changed only in
//! transactions, so a crash leaves either the old or the new state.

use crate::digest::Digest;
use crate::error::Error;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::path::Path;

/// Layers by chain ID.
pub(crate) const LAYERS: TableDefinition<&str, &[u8]> = TableDefinition::new("layers");
/// Images by ID.
pub(crate) const IMAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("images");
/// References (full `domain/path:tag` or `@digest` form) to image IDs.
pub(crate) const REFS: TableDefinition<&str, &str> = TableDefinition::new("refs");
/// Opaque records of higher layers (containers, volumes, networks), by `kind/id`.
pub(crate) const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");

/// An unpacked layer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LayerRecord {
    /// sha256 of the layer's uncompressed tar.
    pub diff_id: Digest,
    /// Chain ID of the layer below, if any.
    pub parent: Option<Digest>,
    /// Bytes of regular-file content.
    pub size: u64,
    /// Length of the layer's uncompressed tar.
    pub tar_size: u64,
    /// Short name of the `l/` symlink to its `diff` directory (keeps overlay options short).
    pub link: String,
    /// Images whose top layer this is, child layers, and in-flight leases.
    pub refs: u64,
}

/// An image: its config blob (whose digest is the image ID) and top layer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ImageRecord {
    /// Chain ID of the top layer (`None` for an image without layers).
    pub top_layer: Option<Digest>,
    /// The image this one was built from, for images built locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Digest>,
    /// When a tag was last added (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tag_time: Option<String>,
    /// Digests of the image's manifest in registries, as `name@digest` references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_digests: Vec<String>,
}

pub(crate) fn open(path: &Path) -> Result<redb::Database, Error> {
    let db = redb::Database::builder().set_cache_size(4 << 20).create(path)?;
    let tx = db.begin_write()?;
    tx.open_table(LAYERS)?;
    tx.open_table(IMAGES)?;
    tx.open_table(REFS)?;
    tx.open_table(RECORDS)?;
    tx.commit()?;
    Ok(db)
}

pub(crate) fn decode<T: DeserializeOwned>(what: &str, key: &str, v: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(v).map_err(|e| Error::Corrupt(format!("{what} record {key}: {e}")))
}

pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("records serialise")
}

/// Reads every entry of a `&str -> &[u8]` table.
pub(crate) fn all<T: DeserializeOwned>(
    db: &redb::Database,
    table: TableDefinition<&str, &[u8]>,
    what: &str,
) -> Result<Vec<(String, T)>, Error> {
    let rx = db.begin_read()?;
    let t = rx.open_table(table)?;
    let mut out = Vec::new();
    for item in t.iter()? {
        let (k, v) = item?;
        out.push((k.value().to_string(), decode(what, k.value(), v.value())?));
    }
    Ok(out)
}

/// Reads one entry of a `&str -> &[u8]` table.
pub(crate) fn get<T: DeserializeOwned>(
    db: &redb::Database,
    table: TableDefinition<&str, &[u8]>,
    what: &str,
    key: &str,
) -> Result<Option<T>, Error> {
    let rx = db.begin_read()?;
    let t = rx.open_table(table)?;
    let v = t.get(key)?;
    v.map(|v| decode(what, key, v.value())).transpose()
}
