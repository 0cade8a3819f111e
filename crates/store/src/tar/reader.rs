//! A streaming tar reader that keeps every byte it does not hand out as entry data.
//!
//! The stream is seen as `raw, data, raw, data, ..., trailer`: each [`Header::raw`] holds the
//! bytes between the previous entry's data and this entry's data (padding of the previous
//! entry, PAX and GNU extension headers, the header block), and [`TarReader::finish`] returns
//! everything after the last entry's data (padding, end-of-archive blocks and any trailing
//! bytes, up to EOF). Concatenating those pieces with the data reproduces the stream byte for
//! byte, which is what lets the layer store rebuild a layer tar with its original diff ID.
//!
//! Supported: ustar, GNU (`L`/`K` long names, base-256 numbers) and PAX (`x` and `g`, with
//! `path`, `linkpath`, `size`, `uid`, `gid`, `uname`, `gname`, `mtime`, `atime`,
//! `SCHILY.xattr.*`). Sparse files are rejected. Checksums are verified.

use crate::error::Error;
use std::io::{self, Read};

const BLOCK: usize = 512;
/// Largest PAX or GNU long-name extension accepted, against memory exhaustion.
const MAX_EXTENSION: u64 = 1 << 20;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file (`0`, `\0`, `7`).
    File,
    /// A hard link to an earlier entry (`1`).
    Hardlink,
    /// A symbolic link (`2`).
    Symlink,
    /// A character device (`3`).
    Char,
    /// A block device (`4`).
    Block,
    /// A directory (`5`).
    Dir,
    /// A named pipe (`6`).
    Fifo,
    /// Anything else (skipped by extraction, kept in the raw stream).
    Other(u8),
}

/// One entry's header, with PAX and GNU extensions applied.
#[derive(Debug, Clone)]
pub struct Header {
    /// Path as stored (not cleaned).
    pub path: Vec<u8>,
    /// Link target for hard and symbolic links.
    pub link: Vec<u8>,
    /// Entry type.
    pub kind: Kind,
    /// Permission bits (including setuid, setgid, sticky).
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Size of the entry's data.
    pub size: u64,
    /// Modification time: seconds and nanoseconds.
    pub mtime: (i64, u32),
    /// Access time, when a PAX header gives one.
    pub atime: Option<(i64, u32)>,
    /// Device numbers for `Char` and `Block`.
    pub dev: (u32, u32),
    /// Extended attributes (`SCHILY.xattr.*`).
    pub xattrs: Vec<(String, Vec<u8>)>,
    /// The bytes of the stream before this entry's data that no other header holds.
    pub raw: Vec<u8>,
}

/// Reads a tar stream entry by entry.
pub struct TarReader<R> {
    r: R,
    /// Data bytes of the current entry not yet read.
    remaining: u64,
    /// Padding after the current entry's data.
    pad: u64,
    /// Bytes skipped since the last data handed out (become the next `raw`).
    pending: Vec<u8>,
    global: Vec<(String, Vec<u8>)>,
    done: bool,
    entries: u64,
}

impl<R: Read> TarReader<R> {
    /// Wraps a stream positioned at the start of a tar archive.
    pub fn new(r: R) -> Self {
        TarReader { r, remaining: 0, pad: 0, pending: Vec::new(), global: Vec::new(), done: false, entries: 0 }
    }

    /// Reads the next entry header, skipping any unread data of the current one.
    /// Returns `None` at the end-of-archive marker (or a clean EOF at a block boundary).
    pub fn next_entry(&mut self) -> Result<Option<Header>, Error> {
        if self.done {
            return Ok(None);
        }
        self.skip_current()?;
        let mut local: Vec<(String, Vec<u8>)> = Vec::new();
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        loop {
            let mut block = [0u8; BLOCK];
            let n = read_full(&mut self.r, &mut block).map_err(|e| Error::io("read tar", e))?;
            if n == 0 && self.pending.is_empty() && local.is_empty() && long_name.is_none() {
                if self.entries == 0 {
                    return Err(Error::invalid("invalid tar: empty stream"));
                }
                // Archive without end-of-archive blocks: accept, as GNU tar does.
                self.done = true;
                return Ok(None);
            }
            if n < BLOCK {
                return Err(Error::invalid("invalid tar: unexpected end of stream (truncated archive?)"));
            }
            self.pending.extend_from_slice(&block);
            if block.iter().all(|&b| b == 0) {
                self.done = true;
                return Ok(None);
            }
            verify_checksum(&block)?;
            let flag = block[156];
            match flag {
                b'x' | b'g' | b'L' | b'K' => {
                    let size = parse_number(&block[124..136])?;
                    if size > MAX_EXTENSION {
                        return Err(Error::invalid(format!("invalid tar: extension header of {size} bytes")));
                    }
                    let data = self.read_raw(size)?;
                    match flag {
                        b'x' => local.extend(parse_pax(&data)?),
                        b'g' => self.global.extend(parse_pax(&data)?),
                        b'L' => long_name = Some(cstr(&data).to_vec()),
                        _ => long_link = Some(cstr(&data).to_vec()),
                    }
                }
                b'S' => return Err(Error::invalid("unsupported tar entry: GNU sparse file")),
                _ => {
                    let mut h = parse_header(&block)?;
                    if let Some(n) = long_name {
                        h.path = n;
                    }
                    if let Some(l) = long_link {
                        h.link = l;
                    }
                    let pax: Vec<_> = self.global.iter().cloned().chain(local).collect();
                    apply_pax(&mut h, pax)?;
                    self.remaining = h.size;
                    self.pad = padding(h.size);
                    h.raw = std::mem::take(&mut self.pending);
                    self.entries += 1;
                    return Ok(Some(h));
                }
            }
        }
    }

    /// Reads the current entry's data.
    pub fn read_data(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let want = buf.len().min(self.remaining.min(usize::MAX as u64) as usize);
        let n = self.r.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "tar entry data truncated"));
        }
        self.remaining -= n as u64;
        Ok(n)
    }

    /// A reader over the current entry's data.
    pub fn data(&mut self) -> EntryData<'_, R> {
        EntryData(self)
    }

    fn skip_current(&mut self) -> Result<(), Error> {
        if self.remaining > 0 {
            let skipped = self.read_raw_unpadded(self.remaining)?;
            self.pending.extend_from_slice(&skipped);
            self.remaining = 0;
        }
        if self.pad > 0 {
            let mut p = vec![0u8; self.pad as usize];
            self.r.read_exact(&mut p).map_err(|_| Error::invalid("invalid tar: truncated padding"))?;
            self.pending.extend_from_slice(&p);
            self.pad = 0;
        }
        Ok(())
    }

    fn read_raw_unpadded(&mut self, size: u64) -> Result<Vec<u8>, Error> {
        let mut data = Vec::new();
        (&mut self.r).take(size).read_to_end(&mut data).map_err(|e| Error::io("read tar", e))?;
        if (data.len() as u64) < size {
            return Err(Error::invalid("invalid tar: unexpected end of stream (truncated archive?)"));
        }
        Ok(data)
    }

    /// Reads an extension header's data plus padding into `pending` and returns the data.
    fn read_raw(&mut self, size: u64) -> Result<Vec<u8>, Error> {
        let total = size + padding(size);
        let data = self.read_raw_unpadded(total)?;
        self.pending.extend_from_slice(&data);
        Ok(data[..size as usize].to_vec())
    }

    /// Skips what is left of the last entry and returns every remaining byte of the stream
    /// (padding, end-of-archive blocks and trailing data), reading to EOF.
    pub fn finish(mut self) -> Result<(Vec<u8>, R), Error> {
        while self.next_entry()?.is_some() {}
        let mut rest = std::mem::take(&mut self.pending);
        self.r.read_to_end(&mut rest).map_err(|e| Error::io("read tar", e))?;
        Ok((rest, self.r))
    }
}

/// Reader over one entry's data; see [`TarReader::data`].
pub struct EntryData<'a, R>(&'a mut TarReader<R>);

impl<R: Read> Read for EntryData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_data(buf)
    }
}

fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

fn verify_checksum(block: &[u8; BLOCK]) -> Result<(), Error> {
    let stored = parse_number(&block[148..156]).map_err(|_| Error::invalid("invalid tar header: bad checksum field"))?;
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += b as u64;
        signed += b as i8 as i64;
    }
    if stored == unsigned || stored as i64 == signed {
        Ok(())
    } else {
        Err(Error::invalid("invalid tar header: checksum mismatch (corrupt or not a tar archive)"))
    }
}

/// Parses an octal (or GNU base-256) numeric field.
fn parse_number(field: &[u8]) -> Result<u64, Error> {
    if let Some(&first) = field.first() {
        if first & 0x80 != 0 {
            if first == 0xff {
                return Err(Error::invalid("invalid tar header: negative number"));
            }
            let mut v: u64 = (first & 0x7f) as u64;
            for &b in &field[1..] {
                if v >> 56 != 0 {
                    return Err(Error::invalid("invalid tar header: number too large"));
                }
                v = (v << 8) | b as u64;
            }
            return Ok(v);
        }
    }
    let s = cstr(field);
    let s = std::str::from_utf8(s).map_err(|_| Error::invalid("invalid tar header: bad number"))?;
    let s = s.trim_matches(|c| c == ' ' || c == '\0');
    if s.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(s, 8).map_err(|_| Error::invalid(format!("invalid tar header: bad octal number {s:?}")))
}

fn parse_header(b: &[u8; BLOCK]) -> Result<Header, Error> {
    let ustar = &b[257..263] == b"ustar\0";
    let mut path = cstr(&b[0..100]).to_vec();
    if ustar {
        let prefix = cstr(&b[345..500]);
        if !prefix.is_empty() {
            let mut p = prefix.to_vec();
            p.push(b'/');
            p.extend_from_slice(&path);
            path = p;
        }
    }
    let flag = b[156];
    let kind = match flag {
        b'0' | 0 | b'7' => Kind::File,
        b'1' => Kind::Hardlink,
        b'2' => Kind::Symlink,
        b'3' => Kind::Char,
        b'4' => Kind::Block,
        b'5' => Kind::Dir,
        b'6' => Kind::Fifo,
        other => Kind::Other(other),
    };
    // Old (v7) tars mark directories by a trailing slash on a regular-file entry.
    let kind = if kind == Kind::File && path.ends_with(b"/") { Kind::Dir } else { kind };
    let num = |r: std::ops::Range<usize>| parse_number(&b[r]);
    let dev = if matches!(kind, Kind::Char | Kind::Block) {
        (num(329..337)? as u32, num(337..345)? as u32)
    } else {
        (0, 0)
    };
    Ok(Header {
        path,
        link: cstr(&b[157..257]).to_vec(),
        kind,
        mode: (num(100..108)? & 0o7777) as u32,
        uid: num(108..116)?,
        gid: num(116..124)?,
        size: num(124..136)?,
        mtime: (num(136..148)? as i64, 0),
        atime: None,
        dev,
        xattrs: Vec::new(),
        raw: Vec::new(),
    })
}

fn parse_pax(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let bad = || Error::invalid("invalid tar: malformed PAX header");
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let sp = rest.iter().position(|&b| b == b' ').ok_or_else(bad)?;
        let len: usize = std::str::from_utf8(&rest[..sp]).ok().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        if len <= sp + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(bad());
        }
        let rec = &rest[sp + 1..len - 1];
        let eq = rec.iter().position(|&b| b == b'=').ok_or_else(bad)?;
        let key = String::from_utf8(rec[..eq].to_vec()).map_err(|_| bad())?;
        out.push((key, rec[eq + 1..].to_vec()));
        rest = &rest[len..];
    }
    Ok(out)
}

fn pax_time(v: &[u8]) -> Result<(i64, u32), Error> {
    let s = std::str::from_utf8(v).map_err(|_| Error::invalid("invalid tar: bad PAX time"))?;
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = secs.parse().map_err(|_| Error::invalid(format!("invalid tar: bad PAX time {s:?}")))?;
    let mut nanos: u32 = 0;
    for (i, c) in frac.chars().take(9).enumerate() {
        let d = c.to_digit(10).ok_or_else(|| Error::invalid(format!("invalid tar: bad PAX time {s:?}")))?;
        nanos += d * 10u32.pow(8 - i as u32);
    }
    Ok((secs, nanos))
}

fn apply_pax(h: &mut Header, pax: Vec<(String, Vec<u8>)>) -> Result<(), Error> {
    let num = |v: &[u8]| -> Result<u64, Error> {
        std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::invalid("invalid tar: bad PAX number"))
    };
    for (k, v) in pax {
        match k.as_str() {
            "path" => h.path = v,
            "linkpath" => h.link = v,
            "size" => h.size = num(&v)?,
            "uid" => h.uid = num(&v)?,
            "gid" => h.gid = num(&v)?,
            "mtime" => h.mtime = pax_time(&v)?,
            "atime" => h.atime = Some(pax_time(&v)?),
            k if k.starts_with("GNU.sparse.") => {
                return Err(Error::invalid("unsupported tar entry: PAX sparse file"))
            }
            k => {
                if let Some(name) = k.strip_prefix("SCHILY.xattr.") {
                    h.xattrs.push((name.to_string(), v));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds tar archives for tests, including malformed ones.
    #[derive(Default)]
    pub struct TarBuilder {
        pub out: Vec<u8>,
    }

    impl TarBuilder {
        pub fn header(&mut self, path: &str, flag: u8, mode: u32, size: u64, link: &str) -> &mut Self {
            let mut b = [0u8; BLOCK];
            b[..path.len().min(100)].copy_from_slice(&path.as_bytes()[..path.len().min(100)]);
            b[100..108].copy_from_slice(format!("{mode:07o}\0").as_bytes());
            b[108..116].copy_from_slice(b"0000000\0");
            b[116..124].copy_from_slice(b"0000000\0");
            b[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
            b[136..148].copy_from_slice(format!("{:011o}\0", 1_600_000_000u64).as_bytes());
            b[156] = flag;
            b[157..157 + link.len()].copy_from_slice(link.as_bytes());
            b[257..263].copy_from_slice(b"ustar\0");
            b[263..265].copy_from_slice(b"00");
            b[148..156].copy_from_slice(b"        ");
            let sum: u32 = b.iter().map(|&x| x as u32).sum();
            b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            self.out.extend_from_slice(&b);
            self
        }
        pub fn data(&mut self, data: &[u8]) -> &mut Self {
            self.out.extend_from_slice(data);
            self.out.resize(self.out.len() + padding(data.len() as u64) as usize, 0);
            self
        }
        pub fn file(&mut self, path: &str, data: &[u8]) -> &mut Self {
            self.header(path, b'0', 0o644, data.len() as u64, "").data(data)
        }
        pub fn dir(&mut self, path: &str) -> &mut Self {
            self.header(path, b'5', 0o755, 0, "")
        }
        pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
            self.header(path, b'2', 0o777, 0, target)
        }
        pub fn hardlink(&mut self, path: &str, target: &str) -> &mut Self {
            self.header(path, b'1', 0o644, 0, target)
        }
        pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
            let mut data = Vec::new();
            for (k, v) in records {
                let body_len = k.len() + v.len() + 3;
                let mut len = body_len + 1;
                while format!("{len}").len() + body_len != len {
                    len += 1;
                }
                data.extend_from_slice(format!("{len} {k}=").as_bytes());
                data.extend_from_slice(v);
                data.push(b'\n');
            }
            self.header("PaxHeaders/x", b'x', 0o644, data.len() as u64, "").data(&data)
        }
        pub fn end(&mut self) -> Vec<u8> {
            self.out.extend_from_slice(&[0u8; 1024]);
            std::mem::take(&mut self.out)
        }
    }

    fn entries(tar: &[u8]) -> Result<Vec<(Header, Vec<u8>)>, Error> {
        let mut r = TarReader::new(tar);
        let mut out = Vec::new();
        while let Some(h) = r.next_entry()? {
            let mut d = Vec::new();
            r.data().read_to_end(&mut d).map_err(|e| Error::invalid(format!("truncated: {e}")))?;
            out.push((h, d));
        }
        Ok(out)
    }

    #[test]
    fn raw_pieces_and_data_reassemble_the_stream_exactly() {
        let tar = TarBuilder::default()
            .dir("a/")
            .pax(&[("path", b"a/very-long-name"), ("mtime", b"1600000000.5"), ("SCHILY.xattr.user.k", b"v")])
            .file("a/short", b"hello")
            .symlink("a/l", "/etc/passwd")
            .end();
        let mut trailing = tar.clone();
        trailing.extend_from_slice(b"garbage after the end");
        let mut r = TarReader::new(&trailing[..]);
        let mut rebuilt = Vec::new();
        let mut seen = Vec::new();
        while let Some(h) = r.next_entry().unwrap() {
            rebuilt.extend_from_slice(&h.raw);
            r.data().read_to_end(&mut rebuilt).unwrap();
            seen.push(h);
        }
        let (rest, _) = r.finish().unwrap();
        rebuilt.extend_from_slice(&rest);
        assert_eq!(rebuilt, trailing);
        assert_eq!(seen[1].path, b"a/very-long-name");
        assert_eq!(seen[1].mtime, (1_600_000_000, 500_000_000));
        assert_eq!(seen[1].xattrs, vec![("user.k".to_string(), b"v".to_vec())]);
        assert_eq!(seen[2].kind, Kind::Symlink);
        assert_eq!(seen[2].link, b"/etc/passwd");
    }

    #[test]
    fn truncated_archive_is_an_error() {
        let tar = TarBuilder::default().file("f", &[7u8; 2000]).end();
        let err = entries(&tar[..1200]).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        let err = entries(&tar[..700]).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn corrupt_header_is_rejected_by_checksum() {
        let mut tar = TarBuilder::default().file("f", b"x").end();
        tar[10] ^= 0x20;
        let err = entries(&tar).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
        let err = entries(b"this is not a tar archive at all, just text that goes on and on").unwrap_err();
        assert!(err.to_string().contains("truncated") || err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn base256_and_sparse() {
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[11] = 5;
        assert_eq!(parse_number(&f).unwrap(), 5);
        let tar = TarBuilder::default().header("s", b'S', 0o644, 0, "").end();
        assert!(entries(&tar).unwrap_err().to_string().contains("sparse"));
    }
}
