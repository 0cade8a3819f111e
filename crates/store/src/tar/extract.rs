//! Hardened tar extraction.
//!
//! Invariants, whatever the archive contains:
//! - nothing is created, changed or removed outside the destination directory: paths are
//!   cleaned lexically and `..` that would leave the root is rejected; every directory on the
//!   way to an entry is opened with `O_NOFOLLOW` one component at a time, so a symlink (even
//!   one the same archive just created) is never followed; hard-link targets are resolved the
//!   same way and must lie inside the destination;
//! - symlinks are created as they are (an absolute target is only ever interpreted inside the
//!   container's root), device nodes, FIFOs, ownership, permission bits (set after `chown`, so
//!   setuid survives), xattrs (except `trusted.*`, which overlayfs interprets) and timestamps
//!   (directories last) are kept;
//! - in layer mode, OCI/AUFS whiteouts become overlayfs whiteouts: `.wh.NAME` a 0:0 character
//!   device `NAME`, `.wh..wh..opq` the `trusted.overlay.opaque=y` xattr on its directory;
//! - any error aborts the extraction; the caller discards the partial directory.

use super::reader::{Header, Kind, TarReader};
use super::split::SplitWriter;
use crate::digest::{Digest, HashingReader};
use crate::error::{Error, IoContext};
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Timespec, Timestamps, XattrFlags};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What an extraction produced.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// sha256 of the whole (uncompressed) stream: the layer's diff ID.
    pub diff_id: Digest,
    /// Total bytes of regular-file content written.
    pub size: u64,
    /// Number of entries.
    pub entries: u64,
    /// Length of the uncompressed stream.
    pub tar_size: u64,
}

/// Unpacks a layer tar into `layer_dir/diff`, converting whiteouts and recording
/// `layer_dir/tar-split` so the exact tar can be rebuilt.
pub fn unpack_layer(src: impl Read, layer_dir: &Path) -> Result<Extracted, Error> {
    let diff = layer_dir.join("diff");
    std::fs::create_dir_all(&diff).ctx(|| format!("create {}", diff.display()))?;
    let split = SplitWriter::create(&layer_dir.join("tar-split"))?;
    let shadow = layer_dir.join("shadow");
    let mut u = Unpacker::new(&diff, true, Some(Split { w: split, shadow: &shadow, files: BTreeMap::new() }))?;
    let out = u.run(src)?;
    if let Some(s) = u.split.take() {
        s.w.finish()?;
    }
    Ok(out)
}

/// Unpacks a plain tar (no whiteout conversion, nothing recorded) into `dir`.
pub fn unpack_plain(src: impl Read, dir: &Path) -> Result<Extracted, Error> {
    std::fs::create_dir_all(dir).ctx(|| format!("create {}", dir.display()))?;
    Unpacker::new(dir, false, None)?.run(src)
}

struct Split<'a> {
    w: SplitWriter,
    shadow: &'a Path,
    /// Regular files whose content the split file points at, by cleaned path: their ordinal.
    files: BTreeMap<Vec<u8>, u64>,
}

struct Unpacker<'a> {
    root: OwnedFd,
    whiteouts: bool,
    split: Option<Split<'a>>,
    /// The most recently opened parent directory.
    cached: Option<(Vec<u8>, OwnedFd)>,
    /// Directory times, applied at the end (children would change them).
    dir_times: Vec<(Vec<u8>, Timestamps)>,
    root_owned: bool,
}

fn ts((secs, nanos): (i64, u32)) -> Timespec {
    Timespec { tv_sec: secs, tv_nsec: nanos as _ }
}

/// Cleans a tar path into its components, or refuses one that leaves the root.
pub fn clean_path(path: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let mut out: Vec<&[u8]> = Vec::new();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                if out.pop().is_none() {
                    return Err(Error::invalid(format!(
                        "unsafe tar entry {:?}: path escapes the destination",
                        String::from_utf8_lossy(path)
                    )));
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn display(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

impl<'a> Unpacker<'a> {
    fn new(dir: &Path, whiteouts: bool, split: Option<Split<'a>>) -> Result<Self, Error> {
        let root = rfs::open(dir, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .ctx(|| format!("open {}", dir.display()))?;
        Ok(Unpacker {
            root,
            whiteouts,
            split,
            cached: None,
            dir_times: Vec::new(),
            root_owned: rustix::process::geteuid().is_root(),
        })
    }

    fn run(&mut self, src: impl Read) -> Result<Extracted, Error> {
        let mut tar = TarReader::new(HashingReader::new(src));
        let mut size = 0u64;
        let mut entries = 0u64;
        while let Some(h) = tar.next_entry()? {
            entries += 1;
            if let Some(s) = self.split.as_mut() {
                s.w.raw(&h.raw)?;
            }
            size += self.entry(&h, &mut tar).map_err(|e| match e {
                Error::Io { context, source } => Error::Io { context: format!("{}: {context}", display(&h.path)), source },
                e => e,
            })?;
        }
        let (rest, hashing) = tar.finish()?;
        if let Some(s) = self.split.as_mut() {
            s.w.raw(&rest)?;
        }
        let tar_size = hashing.count();
        let (diff_id, _) = hashing.finish();
        self.apply_dir_times()?;
        rfs::syncfs(&self.root).ctx(|| "sync layer".into())?;
        Ok(Extracted { diff_id, size, entries, tar_size })
    }

    /// Opens the directory `comps` (relative to the root) without following symlinks,
    /// creating missing directories when `create`.
    fn open_dir(&mut self, comps: &[&[u8]], create: bool) -> Result<BorrowedFd<'_>, Error> {
        if comps.is_empty() {
            return Ok(self.root.as_fd());
        }
        let key = comps.join(&b'/');
        if self.cached.as_ref().is_some_and(|(k, _)| *k == key) {
            return Ok(self.cached.as_ref().unwrap().1.as_fd());
        }
        let mut cur: Option<OwnedFd> = None;
        for (i, c) in comps.iter().enumerate() {
            let name = OsStr::from_bytes(c);
            let parent = cur.as_ref().map_or(self.root.as_fd(), |f| f.as_fd());
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = match rfs::openat(parent, name, flags, Mode::empty()) {
                Ok(fd) => fd,
                Err(rustix::io::Errno::NOENT) if create => {
                    rfs::mkdirat(parent, name, Mode::from_raw_mode(0o755)).ctx(|| format!("mkdir {}", display(&comps[..=i].join(&b'/'))))?;
                    rfs::openat(parent, name, flags, Mode::empty()).ctx(|| format!("open {}", display(c)))?
                }
                Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
                    let what = comps[..=i].join(&b'/');
                    let is_link = rfs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)
                        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink);
                    return Err(Error::invalid(if is_link {
                        format!("unsafe tar entry: {} is a symlink; refusing to write through it", display(&what))
                    } else {
                        format!("invalid tar entry: {} is not a directory", display(&what))
                    }));
                }
                Err(e) => return Err(Error::io(format!("open {}", display(&comps[..=i].join(&b'/'))), e.into())),
            };
            cur = Some(fd);
        }
        self.cached = Some((key, cur.expect("non-empty path")));
        Ok(self.cached.as_ref().unwrap().1.as_fd())
    }

    /// Removes whatever is at `parent/name` unless it is a directory and `keep_dir`.
    /// Returns true if a directory was kept. Regular-file content the split file points at
    /// is moved aside first.
    fn clear(&mut self, comps: &[&[u8]], keep_dir: bool) -> Result<bool, Error> {
        let (name, dir) = comps.split_last().expect("non-empty path");
        let name = OsStr::from_bytes(name);
        let full = comps.join(&b'/');
        let st = match rfs::statat(self.open_dir(dir, true)?, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(rustix::io::Errno::NOENT) => return Ok(false),
            Err(e) => return Err(Error::io(format!("stat {}", display(&full)), e.into())),
        };
        let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
        if is_dir && keep_dir {
            return Ok(true);
        }
        let moved = self.preserve_split_content(&full, is_dir)?;
        let parent = self.open_dir(dir, true)?;
        if moved && !is_dir {
            // Already moved aside whole.
        } else if is_dir {
            let proc_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&parent));
            std::fs::remove_dir_all(Path::new(&proc_path).join(name)).ctx(|| format!("remove {}", display(&full)))?;
            self.cached = None;
        } else {
            rfs::unlinkat(parent, name, AtFlags::empty()).ctx(|| format!("remove {}", display(&full)))?;
        }
        Ok(false)
    }

    /// Before `full` (or the tree under it) is replaced, moves any file content the split
    /// file still needs to `shadow/<ordinal>`. Returns whether `full` itself was moved.
    fn preserve_split_content(&mut self, full: &[u8], is_dir: bool) -> Result<bool, Error> {
        let Some(split) = self.split.as_mut() else { return Ok(false) };
        let mut moved: Vec<(Vec<u8>, u64)> = Vec::new();
        let itself = split.files.remove(full);
        if let Some(n) = itself {
            moved.push((full.to_vec(), n));
        }
        if is_dir {
            let mut prefix = full.to_vec();
            prefix.push(b'/');
            let keys: Vec<Vec<u8>> =
                split.files.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).map(|(k, _)| k.clone()).collect();
            for k in keys {
                let n = split.files.remove(&k).expect("key present");
                moved.push((k, n));
            }
        }
        if moved.is_empty() {
            return Ok(false);
        }
        std::fs::create_dir_all(split.shadow).ctx(|| "create shadow dir".into())?;
        let shadow = rfs::open(split.shadow, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .ctx(|| "open shadow dir".into())?;
        for (path, n) in moved {
            let comps = clean_path(&path)?;
            let (name, dir) = comps.split_last().expect("non-empty");
            let parent = self.open_dir(dir, false)?;
            rfs::renameat(parent, OsStr::from_bytes(name), &shadow, n.to_string())
                .ctx(|| format!("move {} aside", display(&path)))?;
        }
        Ok(itself.is_some())
    }

    /// Extracts one entry; returns the regular-file bytes written.
    fn entry<R: Read>(&mut self, h: &Header, tar: &mut TarReader<R>) -> Result<u64, Error> {
        let comps = clean_path(&h.path)?;
        let Some((&name_b, dir)) = comps.split_last() else {
            // The root directory itself ("./"): take its metadata.
            if h.kind == Kind::Dir {
                let root = self.root.try_clone().ctx(|| "dup root".into())?;
                self.set_owner_mode(root.as_fd(), None, h)?;
                self.dir_times.push((Vec::new(), times(h)));
            }
            return Ok(0);
        };
        let name = OsStr::from_bytes(name_b);
        let full = comps.join(&b'/');

        if self.whiteouts {
            if let Some(target) = name_b.strip_prefix(b".wh.") {
                if target == b".wh..opq" {
                    let parent = self.open_dir(dir, true)?;
                    rfs::fsetxattr(parent, "trusted.overlay.opaque", b"y", XattrFlags::empty())
                        .ctx(|| format!("mark {} opaque", display(&dir.join(&b'/'))))?;
                } else if !target.starts_with(b".wh.") && !target.is_empty() {
                    let mut wcomps = dir.to_vec();
                    wcomps.push(target);
                    clean_path(target)?;
                    if target.contains(&b'/') || target == b".." || target == b"." {
                        return Err(Error::invalid(format!("unsafe whiteout {}", display(&full))));
                    }
                    self.clear(&wcomps, false)?;
                    let parent = self.open_dir(dir, true)?;
                    rfs::mknodat(parent, OsStr::from_bytes(target), FileType::CharacterDevice, Mode::empty(), rfs::makedev(0, 0))
                        .ctx(|| format!("create whiteout for {}", display(target)))?;
                }
                return Ok(0);
            }
        }

        match h.kind {
            Kind::Dir => {
                let kept = self.clear(&comps, true)?;
                let parent = self.open_dir(dir, true)?;
                if !kept {
                    rfs::mkdirat(parent, name, Mode::from_raw_mode(0o700)).ctx(|| format!("mkdir {}", display(&full)))?;
                }
                let fd = rfs::openat(parent, name, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())
                    .ctx(|| format!("open {}", display(&full)))?;
                self.set_owner_mode(fd.as_fd(), None, h)?;
                self.set_xattrs(fd.as_fd(), h)?;
                self.dir_times.push((full, times(h)));
                Ok(0)
            }
            Kind::File => {
                self.clear(&comps, false)?;
                let parent = self.open_dir(dir, true)?;
                let fd = rfs::openat(
                    parent,
                    name,
                    OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .ctx(|| format!("create {}", display(&full)))?;
                let mut f = File::from(fd);
                let copied = copy_exact(&mut tar.data(), &mut f, h.size)?;
                self.set_owner_mode(f.as_fd(), None, h)?;
                self.set_xattrs(f.as_fd(), h)?;
                rfs::futimens(&f, &times(h)).ctx(|| format!("set times of {}", display(&full)))?;
                if let Some(split) = self.split.as_mut() {
                    let n = split.w.file(&full, h.size)?;
                    split.files.insert(full, n);
                }
                Ok(copied)
            }
            Kind::Hardlink => {
                let tcomps = clean_path(&h.link)?;
                let Some((tname, tdir)) = tcomps.split_last() else {
                    return Err(Error::invalid(format!("invalid hard link {} to the root", display(&full))));
                };
                if tcomps == comps {
                    return Ok(0);
                }
                self.clear(&comps, false)?;
                let tparent = self.open_dir(tdir, false).map_err(|e| match e {
                    Error::Io { .. } => Error::invalid(format!(
                        "invalid hard link {} -> {}: target not in archive",
                        display(&full),
                        display(&h.link)
                    )),
                    e => e,
                })?;
                let tparent = tparent.try_clone_to_owned().ctx(|| "dup".into())?;
                let parent = self.open_dir(dir, true)?;
                rfs::linkat(&tparent, OsStr::from_bytes(tname), parent, name, AtFlags::empty()).map_err(|e| {
                    Error::invalid(format!("invalid hard link {} -> {}: {}", display(&full), display(&h.link), io::Error::from(e)))
                })?;
                Ok(0)
            }
            Kind::Symlink => {
                self.clear(&comps, false)?;
                let root_owned = self.root_owned;
                let parent = self.open_dir(dir, true)?;
                rfs::symlinkat(OsStr::from_bytes(&h.link), parent, name).ctx(|| format!("symlink {}", display(&full)))?;
                if root_owned {
                    let _ = rfs::chownat(parent, name, Some(uid(h.uid)), Some(gid(h.gid)), AtFlags::SYMLINK_NOFOLLOW);
                }
                rfs::utimensat(parent, name, &times(h), AtFlags::SYMLINK_NOFOLLOW).ctx(|| format!("set times of {}", display(&full)))?;
                Ok(0)
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                self.clear(&comps, false)?;
                let parent = self.open_dir(dir, true)?;
                let ft = match h.kind {
                    Kind::Char => FileType::CharacterDevice,
                    Kind::Block => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                rfs::mknodat(parent, name, ft, Mode::from_raw_mode(0o600), rfs::makedev(h.dev.0, h.dev.1))
                    .ctx(|| format!("mknod {}", display(&full)))?;
                let fd = rfs::openat(parent, name, OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())
                    .ctx(|| format!("open {}", display(&full)))?;
                let parent = parent.try_clone_to_owned().ctx(|| "dup".into())?;
                self.set_owner_mode(fd.as_fd(), Some((parent.as_fd(), name)), h)?;
                rfs::utimensat(&parent, name, &times(h), AtFlags::SYMLINK_NOFOLLOW).ctx(|| format!("set times of {}", display(&full)))?;
                Ok(0)
            }
            Kind::Other(_) => Ok(0),
        }
    }

    /// chown, then chmod (chown clears setuid). `at` is used for O_PATH descriptors.
    fn set_owner_mode(&self, fd: BorrowedFd<'_>, at: Option<(BorrowedFd<'_>, &OsStr)>, h: &Header) -> Result<(), Error> {
        let mode = Mode::from_raw_mode(h.mode);
        match at {
            None => {
                if self.root_owned {
                    rfs::fchown(fd, Some(uid(h.uid)), Some(gid(h.gid))).ctx(|| "chown".into())?;
                }
                rfs::fchmod(fd, mode).ctx(|| "chmod".into())
            }
            Some((parent, name)) => {
                if self.root_owned {
                    rfs::chownat(parent, name, Some(uid(h.uid)), Some(gid(h.gid)), AtFlags::SYMLINK_NOFOLLOW).ctx(|| "chown".into())?;
                }
                rfs::chmodat(parent, name, mode, AtFlags::empty()).ctx(|| "chmod".into())
            }
        }
    }

    fn set_xattrs(&self, fd: BorrowedFd<'_>, h: &Header) -> Result<(), Error> {
        for (k, v) in &h.xattrs {
            if k.starts_with("trusted.") {
                continue;
            }
            match rfs::fsetxattr(fd, k.as_str(), v, XattrFlags::empty()) {
                Ok(()) => {}
                // Filesystems without user xattrs: do not fail the whole layer over one.
                Err(rustix::io::Errno::NOTSUP) if k.starts_with("user.") => {}
                Err(e) => return Err(Error::io(format!("set xattr {k}"), e.into())),
            }
        }
        Ok(())
    }

    fn apply_dir_times(&mut self) -> Result<(), Error> {
        let mut all = std::mem::take(&mut self.dir_times);
        // Deepest first, so setting a child's times cannot disturb its parent's.
        all.sort_by_key(|(p, _)| std::cmp::Reverse(p.iter().filter(|&&b| b == b'/').count() + usize::from(!p.is_empty())));
        for (path, t) in all {
            let comps = clean_path(&path)?;
            match comps.split_last() {
                None => rfs::futimens(&self.root, &t).ctx(|| "set root times".into())?,
                Some((name, dir)) => {
                    let name = OsStr::from_bytes(name);
                    // A directory may have been replaced later in the archive; skip then.
                    let Ok(parent) = self.open_dir(dir, false) else { continue };
                    let _ = rfs::utimensat(parent, name, &t, AtFlags::SYMLINK_NOFOLLOW);
                }
            }
        }
        Ok(())
    }
}

fn times(h: &Header) -> Timestamps {
    Timestamps { last_access: ts(h.atime.unwrap_or(h.mtime)), last_modification: ts(h.mtime) }
}

fn uid(u: u64) -> rfs::Uid {
    rfs::Uid::from_raw(u as u32)
}

fn gid(g: u64) -> rfs::Gid {
    rfs::Gid::from_raw(g as u32)
}

fn copy_exact(r: &mut impl Read, w: &mut impl Write, size: u64) -> Result<u64, Error> {
    let mut buf = vec![0u8; (size as usize).clamp(1, 1 << 17)];
    let mut left = size;
    while left > 0 {
        let want = buf.len().min(left as usize);
        let n = match r.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(Error::invalid("invalid tar: unexpected end of stream (truncated archive?)"))
            }
            Err(e) => return Err(Error::io("read tar", e)),
        };
        if n == 0 {
            return Err(Error::invalid("invalid tar: unexpected end of stream (truncated archive?)"));
        }
        w.write_all(&buf[..n]).ctx(|| "write".into())?;
        left -= n as u64;
    }
    Ok(size)
}
