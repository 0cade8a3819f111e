//! Layer tar reconstruction ("tar-split").
//!
//! A layer is stored unpacked (so overlayfs can use it), yet `save` and `push` must hand out
//! the very tar whose sha256 is the layer's diff ID. While unpacking, the layer store records
//! every byte of the stream that is not regular-file content (headers, padding, the trailer)
//! and, for each regular file, where its content now lives. Reassembly replays the records,
//! reading file contents from the unpacked layer, and checks the result against the diff ID.
//!
//! File format (gzip-compressed): the magic line, then records `R <u32 len> <bytes>` (raw) and
//! `F <u64 size> <u16 len> <path>` (content of `diff/<path>`), ended by `E`. The n-th `F`
//! record's content is read from `shadow/<n>` instead when that file exists: extraction moves
//! a file there when a later entry of the same tar replaces it.

use crate::digest::{Digest, HashingWriter};
use crate::error::{Error, IoContext};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const MAGIC: &[u8] = b"berth-tar-split v1\n";
/// Raw bytes are buffered up to this size before a record is written.
const RAW_CHUNK: usize = 1 << 16;

/// Writes a split file while a layer is unpacked.
pub struct SplitWriter {
    w: flate2::write::GzEncoder<BufWriter<File>>,
    raw: Vec<u8>,
    files: u64,
}

impl SplitWriter {
    /// Creates the split file at `path`.
    pub fn create(path: &Path) -> Result<SplitWriter, Error> {
        let f = File::create(path).ctx(|| format!("create {}", path.display()))?;
        let mut w = flate2::write::GzEncoder::new(BufWriter::new(f), flate2::Compression::fast());
        w.write_all(MAGIC).ctx(|| "write tar-split".into())?;
        Ok(SplitWriter { w, raw: Vec::new(), files: 0 })
    }

    /// Appends raw stream bytes.
    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.raw.extend_from_slice(bytes);
        if self.raw.len() >= RAW_CHUNK {
            self.flush_raw()?;
        }
        Ok(())
    }

    fn flush_raw(&mut self) -> Result<(), Error> {
        if self.raw.is_empty() {
            return Ok(());
        }
        let len = u32::try_from(self.raw.len()).expect("raw chunk fits u32");
        let r: io::Result<()> = (|| {
            self.w.write_all(b"R")?;
            self.w.write_all(&len.to_le_bytes())?;
            self.w.write_all(&self.raw)
        })();
        r.ctx(|| "write tar-split".into())?;
        self.raw.clear();
        Ok(())
    }

    /// Records a regular file's content stored at `diff/<path>`; returns its ordinal.
    pub fn file(&mut self, path: &[u8], size: u64) -> Result<u64, Error> {
        self.flush_raw()?;
        let len = u16::try_from(path.len()).map_err(|_| Error::invalid("tar entry path longer than 64 KiB"))?;
        let r: io::Result<()> = (|| {
            self.w.write_all(b"F")?;
            self.w.write_all(&size.to_le_bytes())?;
            self.w.write_all(&len.to_le_bytes())?;
            self.w.write_all(path)
        })();
        r.ctx(|| "write tar-split".into())?;
        self.files += 1;
        Ok(self.files - 1)
    }

    /// Ends the file and makes it durable.
    pub fn finish(mut self) -> Result<(), Error> {
        self.flush_raw()?;
        self.w.write_all(b"E").ctx(|| "write tar-split".into())?;
        let bw = self.w.finish().ctx(|| "write tar-split".into())?;
        let f = bw.into_inner().map_err(|e| Error::io("write tar-split", e.into_error()))?;
        f.sync_all().ctx(|| "fsync tar-split".into())
    }
}

/// Rebuilds the layer tar of the layer in `layer_dir` (holding `diff/`, `tar-split` and maybe
/// `shadow/`) into `out`, and fails if it does not hash to `diff_id`. Returns the byte count.
pub fn assemble(layer_dir: &Path, diff_id: &Digest, out: &mut dyn Write) -> Result<u64, Error> {
    let split = layer_dir.join("tar-split");
    let f = File::open(&split).ctx(|| format!("open {}", split.display()))?;
    let mut r = BufReader::new(flate2::read::GzDecoder::new(BufReader::new(f)));
    let corrupt = |what: &str| Error::Corrupt(format!("tar-split of layer {diff_id}: {what}"));
    let mut magic = [0u8; MAGIC.len()];
    r.read_exact(&mut magic).map_err(|_| corrupt("unreadable"))?;
    if magic != MAGIC {
        return Err(corrupt("bad magic"));
    }
    let shadow_dir = layer_dir.join("shadow");
    let has_shadow = shadow_dir.exists();
    let mut w = HashingWriter::new(out);
    let mut files = 0u64;
    let mut buf = vec![0u8; RAW_CHUNK];
    loop {
        let mut tag = [0u8; 1];
        r.read_exact(&mut tag).map_err(|_| corrupt("truncated"))?;
        match tag[0] {
            b'R' => {
                let mut len = [0u8; 4];
                r.read_exact(&mut len).map_err(|_| corrupt("truncated"))?;
                let len = u32::from_le_bytes(len) as usize;
                buf.resize(len.max(buf.len()), 0);
                r.read_exact(&mut buf[..len]).map_err(|_| corrupt("truncated"))?;
                w.write_all(&buf[..len]).ctx(|| "write layer tar".into())?;
            }
            b'F' => {
                let mut size = [0u8; 8];
                let mut len = [0u8; 2];
                r.read_exact(&mut size).map_err(|_| corrupt("truncated"))?;
                r.read_exact(&mut len).map_err(|_| corrupt("truncated"))?;
                let mut path = vec![0u8; u16::from_le_bytes(len) as usize];
                r.read_exact(&mut path).map_err(|_| corrupt("truncated"))?;
                let size = u64::from_le_bytes(size);
                let shadow = shadow_dir.join(files.to_string());
                let src = if has_shadow && shadow.exists() {
                    shadow
                } else {
                    layer_dir.join("diff").join(std::ffi::OsStr::from_bytes(&path))
                };
                files += 1;
                let f = File::open(&src).ctx(|| format!("open {}", src.display()))?;
                let copied = io::copy(&mut f.take(size), &mut w).ctx(|| format!("read {}", src.display()))?;
                if copied != size {
                    return Err(corrupt(&format!("{} is shorter than recorded", src.display())));
                }
            }
            b'E' => break,
            _ => return Err(corrupt("unknown record")),
        }
    }
    let count = w.count();
    let (got, _) = w.finish();
    if got != *diff_id {
        return Err(Error::Corrupt(format!(
            "layer {diff_id} was modified on disk: its content now hashes to {got}"
        )));
    }
    Ok(count)
}
