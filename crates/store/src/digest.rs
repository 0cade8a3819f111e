//! Content digests (`sha256:<64 hex>`), the identity of every blob, layer and image.

use sha2::{Digest as _, Sha256};
use std::fmt;
use std::io::{self, Read, Write};

/// A validated `sha256:` digest. Other algorithms are rejected: Docker image IDs, diff IDs
/// and chain IDs are all sha256.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    hex: String,
}

impl Digest {
    /// Parses `sha256:<64 lowercase hex>`.
    pub fn parse(s: &str) -> Result<Digest, crate::Error> {
        let hex = s
            .strip_prefix("sha256:")
            .ok_or_else(|| crate::Error::invalid(format!("invalid digest {s:?}: only sha256 is supported")))?;
        Digest::from_hex(hex).map_err(|_| crate::Error::invalid(format!("invalid digest {s:?}")))
    }

    /// Builds a digest from its 64 hex characters.
    pub fn from_hex(hex: &str) -> Result<Digest, crate::Error> {
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Digest { hex: hex.to_string() })
        } else {
            Err(crate::Error::invalid(format!("invalid sha256 hex {hex:?}")))
        }
    }

    /// The digest of `data`.
    pub fn of(data: &[u8]) -> Digest {
        Digest::from_hasher(Sha256::new_with_prefix(data))
    }

    fn from_hasher(h: Sha256) -> Digest {
        Digest { hex: to_hex(&h.finalize()) }
    }

    /// The 64 hex characters.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex characters, as Docker shows IDs.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }

    /// Chain ID of a layer on top of `parent` (OCI image spec: `sha256(parent + " " + diff_id)`).
    pub fn chain(parent: Option<&Digest>, diff_id: &Digest) -> Digest {
        match parent {
            None => diff_id.clone(),
            Some(p) => Digest::of(format!("{p} {diff_id}").as_bytes()),
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        Digest::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// A reader that hashes (and counts) everything read through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        HashingReader { inner, hasher: Sha256::new(), count: 0 }
    }
    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Digest of everything read so far, and the inner reader.
    pub fn finish(self) -> (Digest, R) {
        (Digest::from_hasher(self.hasher), self.inner)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// A writer that hashes (and counts) everything written through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        HashingWriter { inner, hasher: Sha256::new(), count: 0 }
    }
    /// Bytes written so far.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Digest of everything written so far, and the inner writer.
    pub fn finish(self) -> (Digest, W) {
        (Digest::from_hasher(self.hasher), self.inner)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_digest_is_the_well_known_one() {
        assert_eq!(
            Digest::of(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_rejects_bad_digests() {
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse("md5:d41d8cd98f00b204e9800998ecf8427e").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(Digest::parse(&format!("sha256:{}", "a".repeat(64))).is_ok());
    }

    #[test]
    fn chain_id_of_second_layer_hashes_parent_space_diff() {
        let a = Digest::of(b"a");
        let b = Digest::of(b"b");
        assert_eq!(Digest::chain(None, &a), a);
        assert_eq!(Digest::chain(Some(&a), &b), Digest::of(format!("{a} {b}").as_bytes()));
    }
}
