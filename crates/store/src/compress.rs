//! Compression detection for tar streams: gzip, zstd and xz by magic bytes, plain otherwise.

use crate::error::Error;
use std::io::{BufRead, BufReader, Read};

/// A compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
    /// xz.
    Xz,
    /// bzip2 (recognised, not supported).
    Bzip2,
}

/// Detects the compression of a stream from its first bytes.
pub fn detect(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Compression::Xz
    } else if head.starts_with(b"BZh") {
        Compression::Bzip2
    } else {
        Compression::None
    }
}

/// Wraps `r` in the decompressor its first bytes call for.
pub fn decompress<'a>(r: impl Read + 'a) -> Result<Box<dyn Read + 'a>, Error> {
    let mut br = BufReader::with_capacity(1 << 16, r);
    let head = br.fill_buf().map_err(|e| Error::io("read input", e))?;
    Ok(match detect(head) {
        Compression::None => Box::new(br),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(br)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(br).map_err(|e| Error::io("zstd", e))?),
        Compression::Xz => Box::new(lzma_rust2::XzReader::new(br, true)),
        Compression::Bzip2 => return Err(Error::invalid("bzip2-compressed archives are not supported; use gzip, xz or zstd")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_zstd_round_trip_and_plain_passes_through() {
        let data = b"hello tar".repeat(100);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&data[..], 1).unwrap();
        for input in [gz, zs, data.clone()] {
            let mut out = Vec::new();
            decompress(&input[..]).unwrap().read_to_end(&mut out).unwrap();
            assert_eq!(out, data);
        }
        assert!(decompress(&b"BZh91AY"[..]).is_err());
    }
}
