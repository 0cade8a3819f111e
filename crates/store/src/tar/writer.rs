//! A minimal ustar writer for archives berth produces (`save`): regular files and
//! directories with short names, written in a stream.

use std::io::{self, Write};

/// Writes a tar stream.
pub struct TarWriter<W: Write> {
    w: W,
    mtime: u64,
}

impl<W: Write> TarWriter<W> {
    /// A writer stamping entries with `mtime` (UNIX seconds).
    pub fn new(w: W, mtime: u64) -> Self {
        TarWriter { w, mtime }
    }

    fn header(&mut self, name: &str, flag: u8, mode: u32, size: u64) -> io::Result<()> {
        if name.len() > 100 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("tar name too long: {name}")));
        }
        let mut b = [0u8; 512];
        b[..name.len()].copy_from_slice(name.as_bytes());
        b[100..108].copy_from_slice(format!("{mode:07o}\0").as_bytes());
        b[108..116].copy_from_slice(b"0000000\0");
        b[116..124].copy_from_slice(b"0000000\0");
        b[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        b[136..148].copy_from_slice(format!("{:011o}\0", self.mtime).as_bytes());
        b[156] = flag;
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        b[148..156].copy_from_slice(b"        ");
        let sum: u32 = b.iter().map(|&x| x as u32).sum();
        b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        self.w.write_all(&b)
    }

    /// Adds a directory entry (`name` ending in `/`).
    pub fn dir(&mut self, name: &str) -> io::Result<()> {
        self.header(name, b'5', 0o755, 0)
    }

    /// Adds a file from bytes.
    pub fn file(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        self.header(name, b'0', 0o644, data.len() as u64)?;
        self.w.write_all(data)?;
        self.pad(data.len() as u64)
    }

    /// Adds a file whose `size` bytes `fill` writes; fails if it writes another amount.
    pub fn file_with(&mut self, name: &str, size: u64, fill: impl FnOnce(&mut dyn Write) -> io::Result<u64>) -> io::Result<()> {
        self.header(name, b'0', 0o644, size)?;
        let n = fill(&mut self.w)?;
        if n != size {
            return Err(io::Error::other(format!("{name}: wrote {n} bytes, announced {size}")));
        }
        self.pad(size)
    }

    fn pad(&mut self, size: u64) -> io::Result<()> {
        let p = (512 - size % 512) % 512;
        self.w.write_all(&[0u8; 512][..p as usize])
    }

    /// Writes the end-of-archive blocks and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.write_all(&[0u8; 1024])?;
        self.w.flush()?;
        Ok(self.w)
    }
}
