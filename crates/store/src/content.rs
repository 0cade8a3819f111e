//! Content store: immutable blobs addressed by digest.
//!
//! Lifecycle of a blob: a writer ([`Ingest`]) streams into a temporary file under `ingest/`
//! while hashing; [`Ingest::commit`] checks the digest (when one was expected), fsyncs the
//! file, renames it to `blobs/sha256/<hex>` and fsyncs the directory. A blob is therefore
//! either absent or complete; a crash leaves at most a temporary file, which
//! [`ContentStore::open`] removes. Blobs are never modified; garbage collection deletes blobs
//! that no metadata record references.

use crate::digest::{Digest, HashingWriter};
use crate::error::{Error, IoContext};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Blobs by digest under one directory.
#[derive(Debug, Clone)]
pub struct ContentStore {
    root: PathBuf,
}

impl ContentStore {
    /// Opens (creating if needed) the store at `root`, removing unfinished ingests.
    pub fn open(root: &Path) -> Result<ContentStore, Error> {
        let store = ContentStore { root: root.to_path_buf() };
        fs::create_dir_all(store.blob_dir()).ctx(|| format!("create {}", root.display()))?;
        let ingest = store.ingest_dir();
        if ingest.exists() {
            fs::remove_dir_all(&ingest).ctx(|| format!("clean {}", ingest.display()))?;
        }
        fs::create_dir_all(&ingest).ctx(|| format!("create {}", ingest.display()))?;
        Ok(store)
    }

    fn blob_dir(&self) -> PathBuf {
        self.root.join("blobs/sha256")
    }

    fn ingest_dir(&self) -> PathBuf {
        self.root.join("ingest")
    }

    /// Path of a blob (whether or not it exists).
    pub fn path(&self, d: &Digest) -> PathBuf {
        self.blob_dir().join(d.hex())
    }

    /// Whether the blob is present.
    pub fn contains(&self, d: &Digest) -> bool {
        self.path(d).exists()
    }

    /// Opens a blob for reading.
    pub fn open_blob(&self, d: &Digest) -> Result<File, Error> {
        File::open(self.path(d)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::not_found(format!("blob {d} not found")),
            _ => Error::io(format!("open blob {d}"), e),
        })
    }

    /// Reads a whole blob, verifying its digest.
    pub fn read(&self, d: &Digest) -> Result<Vec<u8>, Error> {
        let mut data = Vec::new();
        self.open_blob(d)?.read_to_end(&mut data).ctx(|| format!("read blob {d}"))?;
        if Digest::of(&data) != *d {
            return Err(Error::Corrupt(format!("blob {d} does not match its digest")));
        }
        Ok(data)
    }

    /// Size of a blob in bytes.
    pub fn size(&self, d: &Digest) -> Result<u64, Error> {
        Ok(fs::metadata(self.path(d)).ctx(|| format!("stat blob {d}"))?.len())
    }

    /// Writes `data` as a blob and returns its digest (no-op if present).
    pub fn write(&self, data: &[u8]) -> Result<Digest, Error> {
        let d = Digest::of(data);
        if self.contains(&d) {
            return Ok(d);
        }
        let mut w = self.ingest()?;
        w.write_all(data).ctx(|| "write blob".into())?;
        w.commit(Some(&d))
    }

    /// Starts writing a blob of not yet known digest.
    pub fn ingest(&self) -> Result<Ingest, Error> {
        let path = self.ingest_dir().join(crate::random_hex(16));
        let file = File::create(&path).ctx(|| format!("create {}", path.display()))?;
        Ok(Ingest { store: self.clone(), path, w: Some(HashingWriter::new(io::BufWriter::with_capacity(1 << 16, file))), committed: false })
    }

    /// Deletes a blob; absent blobs are not an error.
    pub fn delete(&self, d: &Digest) -> Result<(), Error> {
        match fs::remove_file(self.path(d)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io(format!("delete blob {d}"), e)),
            _ => Ok(()),
        }
    }

    /// Every blob present.
    pub fn list(&self) -> Result<Vec<Digest>, Error> {
        let mut out = Vec::new();
        for e in fs::read_dir(self.blob_dir()).ctx(|| "list blobs".into())? {
            let e = e.ctx(|| "list blobs".into())?;
            if let Some(d) = e.file_name().to_str().and_then(|n| Digest::from_hex(n).ok()) {
                out.push(d);
            }
        }
        Ok(out)
    }
}

/// A blob being written. Dropping it without [`Ingest::commit`] discards it.
pub struct Ingest {
    store: ContentStore,
    path: PathBuf,
    w: Option<HashingWriter<io::BufWriter<File>>>,
    committed: bool,
}

impl Ingest {
    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.w.as_ref().map_or(0, |w| w.count())
    }

    /// Makes the blob durable under its digest. If `expected` is given and differs, the blob
    /// is discarded and an error names both digests.
    pub fn commit(mut self, expected: Option<&Digest>) -> Result<Digest, Error> {
        let (digest, buf) = self.w.take().expect("ingest committed twice").finish();
        let file = buf.into_inner().map_err(|e| Error::io("flush blob", e.into_error()))?;
        if let Some(exp) = expected {
            if *exp != digest {
                return Err(Error::Invalid(format!("digest mismatch: expected {exp}, got {digest}")));
            }
        }
        file.sync_all().ctx(|| "fsync blob".into())?;
        drop(file);
        let dst = self.store.path(&digest);
        fs::rename(&self.path, &dst).ctx(|| format!("rename blob to {}", dst.display()))?;
        self.committed = true;
        crate::fsync_dir(&self.store.blob_dir())?;
        Ok(digest)
    }
}

impl Write for Ingest {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.as_mut().expect("write after commit").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.as_mut().expect("flush after commit").flush()
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_round_trips_and_mismatch_leaves_nothing() {
        let dir = crate::testutil::TempDir::new();
        let cs = ContentStore::open(dir.path()).unwrap();
        let d = cs.write(b"hello").unwrap();
        assert_eq!(cs.read(&d).unwrap(), b"hello");
        let mut w = cs.ingest().unwrap();
        w.write_all(b"other").unwrap();
        let err = w.commit(Some(&d)).unwrap_err();
        assert!(err.to_string().contains("digest mismatch"), "{err}");
        assert_eq!(cs.list().unwrap(), vec![d]);
        assert_eq!(fs::read_dir(dir.path().join("ingest")).unwrap().count(), 0);
    }

    #[test]
    fn corrupted_blob_is_detected_on_read() {
        let dir = crate::testutil::TempDir::new();
        let cs = ContentStore::open(dir.path()).unwrap();
        let d = cs.write(b"hello").unwrap();
        fs::write(cs.path(&d), b"hellO").unwrap();
        assert!(matches!(cs.read(&d), Err(Error::Corrupt(_))));
    }
}
