//! A container's root filesystem: the overlay (and, in a user namespace, the idmapped
//! layer binds under it) that the shim mounts in a mount namespace of its own, and reads
//! of files through the layers for the daemon, which never mounts it.
//!
//! Why the shim: every mount in the daemon's namespace is a line in the `mountinfo` of each
//! process the OCI runtime starts, and runtimes read that file many times per container
//! (libcontainer and runc look up each cgroup v1 controller in it). With the overlays in
//! the host's namespace, starting a container got slower with every container running.
//! Mounted by the shim, each overlay is seen only by its own container; it also goes away
//! with the shim, whatever happens to the daemon, and never propagates to other
//! namespaces of the host.

use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// The kernel refuses mount data longer than a page.
pub const MAX_MOUNT_DATA: usize = 4095;

/// How to mount a container's root filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rootfs {
    /// Where the root filesystem goes (the bundle's `root.path`).
    pub target: PathBuf,
    /// Filesystem type and source (`overlay`).
    pub fstype: String,
    /// Mount source.
    pub source: String,
    /// Mount data (`lowerdir=...,upperdir=...,workdir=...`).
    pub data: String,
    /// Directory that relative paths in `data` are relative to.
    pub cwd: Option<PathBuf>,
    /// Bind mounts made first, idmapped to a user namespace (`--userns-remap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idmapped: Option<Idmapped>,
}

/// Layers bind-mounted with their IDs shifted into a user namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Idmapped {
    /// `/proc/<pid>/uid_map` contents of the namespace.
    pub uid_map: String,
    /// `/proc/<pid>/gid_map` contents.
    pub gid_map: String,
    /// (layer directory, mount point) pairs.
    pub binds: Vec<(PathBuf, PathBuf)>,
}

fn cstr(p: &Path) -> Result<CString, String> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| format!("NUL byte in path {}", p.display()))
}

fn os_err(what: impl std::fmt::Display) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

impl Rootfs {
    /// Moves the calling process into a new mount namespace that receives no mount events
    /// from it back to the host (a slave of the host's), and mounts the root filesystem
    /// there. The process must be single-threaded: a thread cannot leave the namespace it
    /// shares with its siblings.
    pub fn mount_in_own_namespace(&self) -> Result<(), String> {
        if self.data.len() > MAX_MOUNT_DATA {
            return Err(format!("overlay mount options are {} bytes, over the kernel's {MAX_MOUNT_DATA}: too many layers", self.data.len()));
        }
        // SAFETY: plain system calls on valid NUL-terminated strings.
        unsafe {
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return Err(os_err("unshare(CLONE_NEWNS)"));
            }
            if libc::mount(std::ptr::null(), c"/".as_ptr(), std::ptr::null(), libc::MS_REC | libc::MS_SLAVE, std::ptr::null()) != 0 {
                return Err(os_err("making / a slave mount"));
            }
        }
        if let Some(id) = &self.idmapped {
            let userns = userns_fd(&id.uid_map, &id.gid_map)?;
            for (src, dst) in &id.binds {
                idmapped_bind(src, dst, std::os::fd::AsFd::as_fd(&userns))?;
            }
        }
        let (src, fstype, data, target) =
            (cstr(Path::new(&self.source))?, cstr(Path::new(&self.fstype))?, CString::new(self.data.as_bytes()).map_err(|_| "NUL byte in mount data")?, cstr(&self.target)?);
        let back = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
        if let Some(cwd) = &self.cwd {
            std::env::set_current_dir(cwd).map_err(|e| format!("{}: {e}", cwd.display()))?;
        }
        // SAFETY: valid NUL-terminated strings.
        let r = unsafe { libc::mount(src.as_ptr(), target.as_ptr(), fstype.as_ptr(), 0, data.as_ptr().cast()) };
        let err = os_err(format_args!("mount {} on {}", self.fstype, self.target.display()));
        let _ = std::env::set_current_dir(back);
        if r != 0 {
            return Err(err);
        }
        Ok(())
    }
}

/// A user namespace with these `uid_map`/`gid_map` contents, as a file descriptor (for
/// idmapped mounts). A child process creates it, says so on one pipe, and exits when the
/// other closes, once the namespace is opened. Forks: call it from a single-threaded
/// process, or one whose other threads hold no lock the child could need (the child only
/// makes raw system calls).
pub fn userns_fd(uid_map: &str, gid_map: &str) -> Result<std::os::fd::OwnedFd, String> {
    use std::os::fd::FromRawFd;
    let (mut told, mut release) = ([0; 2], [0; 2]);
    // SAFETY: plain pipe/fork/unshare/write/read/_exit; between fork and _exit the child
    // makes only raw system calls on memory prepared before the fork.
    unsafe {
        if libc::pipe2(told.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return Err(os_err("pipe"));
        }
        if libc::pipe2(release.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            let e = os_err("pipe");
            libc::close(told[0]);
            libc::close(told[1]);
            return Err(e);
        }
        let pid = libc::fork();
        if pid == 0 {
            let ok: u8 = u8::from(libc::unshare(libc::CLONE_NEWUSER) == 0);
            libc::write(told[1], (&ok as *const u8).cast(), 1);
            let mut b = 0u8;
            libc::close(release[1]);
            libc::read(release[0], (&mut b as *mut u8).cast(), 1);
            libc::_exit(0);
        }
        let [told_r, told_w, release_r, release_w] = [told[0], told[1], release[0], release[1]].map(|fd| std::os::fd::OwnedFd::from_raw_fd(fd));
        drop((told_w, release_r));
        if pid < 0 {
            return Err(os_err("fork for a user namespace"));
        }
        let result = (|| {
            let mut ok = 0u8;
            if libc::read(std::os::fd::AsRawFd::as_raw_fd(&told_r), (&mut ok as *mut u8).cast(), 1) != 1 || ok != 1 {
                return Err("could not create a user namespace".to_string());
            }
            std::fs::write(format!("/proc/{pid}/uid_map"), uid_map).map_err(|e| format!("write uid_map: {e}"))?;
            std::fs::write(format!("/proc/{pid}/gid_map"), gid_map).map_err(|e| format!("write gid_map: {e}"))?;
            let ns = format!("/proc/{pid}/ns/user");
            let f = std::fs::File::open(&ns).map_err(|e| format!("{ns}: {e}"))?;
            Ok(std::os::fd::OwnedFd::from(f))
        })();
        drop(release_w);
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0 && *libc::__errno_location() == libc::EINTR {}
        result
    }
}

/// `mount_setattr(2)`: sets `attr_set` (`MOUNT_ATTR_*`) on the mount at `path` relative to
/// `dirfd`; `flags` as the call takes them (`AT_RECURSIVE`, `AT_EMPTY_PATH`); `userns_fd`
/// for `MOUNT_ATTR_IDMAP`. The raw return value (0 on success, errno set otherwise).
pub fn mount_setattr(dirfd: libc::c_int, path: &std::ffi::CStr, flags: libc::c_uint, attr_set: u64, userns_fd: u64) -> libc::c_long {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    let attr = MountAttr { attr_set, attr_clr: 0, propagation: 0, userns_fd };
    // SAFETY: a NUL-terminated path and a properly laid out `struct mount_attr` we own.
    unsafe { libc::syscall(libc::SYS_mount_setattr, dirfd, path.as_ptr(), flags, &attr as *const MountAttr, std::mem::size_of::<MountAttr>()) }
}

/// Bind-mounts `src` on `dst` with its IDs shifted by the user namespace `userns` (an
/// idmapped mount: a file owned by 0 shows as the namespace's root on the host). The
/// kernel needs 5.12 or later and a filesystem that supports it (ext4, xfs, btrfs, tmpfs).
pub fn idmapped_bind(src: &Path, dst: &Path, userns: std::os::fd::BorrowedFd<'_>) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    const OPEN_TREE_CLONE: libc::c_uint = 1;
    const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;
    const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 4;
    let (s, d) = (cstr(src)?, cstr(dst)?);
    let empty = CString::default();
    // SAFETY: the system calls get valid NUL-terminated strings and a properly laid out
    // `struct mount_attr`; the tree descriptor is closed on every path.
    unsafe {
        let tree = libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, s.as_ptr(), OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint) as libc::c_int;
        if tree < 0 {
            return Err(os_err(format_args!("open_tree {}", src.display())));
        }
        let r = mount_setattr(tree, &empty, libc::AT_EMPTY_PATH as libc::c_uint, MOUNT_ATTR_IDMAP, userns.as_raw_fd() as u64);
        if r != 0 {
            let e = os_err(format_args!("idmapping {} (does its filesystem support idmapped mounts?)", src.display()));
            libc::close(tree);
            return Err(e);
        }
        let r = libc::syscall(libc::SYS_move_mount, tree, empty.as_ptr(), libc::AT_FDCWD, d.as_ptr(), MOVE_MOUNT_F_EMPTY_PATH);
        let e = os_err(format_args!("mount {} on {}", src.display(), dst.display()));
        libc::close(tree);
        if r != 0 {
            return Err(e);
        }
    }
    Ok(())
}

/// The contents of the regular file at `path` (absolute, in the container) as the overlay
/// of `layers` (top first: the writable layer, then the image's) shows it, without mounting
/// anything: overlayfs whiteouts (0:0 character devices) hide what lies below them, opaque
/// directories (`trusted.overlay.opaque=y`) hide the lower layers' entries, and symbolic
/// links resolve inside the container's root (`..` stops at `/`), as the kernel resolves
/// them in the container. `None` when there is no such regular file.
pub fn read_file(layers: &[PathBuf], path: &str) -> Option<Vec<u8>> {
    let mut path = normalize(Path::new("/"), Path::new(path));
    for _ in 0..40 {
        match lookup(layers, &path)? {
            Found::File(p) => return std::fs::read(p).ok(),
            Found::Link { at, target } => {
                // `at` is the link's path in the container; the rest follows it.
                let dir = at.0.parent().unwrap_or(Path::new("/")).to_path_buf();
                let mut next = normalize(&dir, &target);
                for c in &path[at.1 + 1..] {
                    next.push(c.clone());
                }
                path = next;
            }
        }
    }
    None
}

enum Found {
    File(PathBuf),
    /// A symbolic link met on the way: its path in the container, the index of its last
    /// component, and its target.
    Link { at: (PathBuf, usize), target: PathBuf },
}

/// `target` (a link's value) as components from the container's `/`, relative to `dir`.
fn normalize(dir: &Path, target: &Path) -> Vec<String> {
    let mut out: Vec<String> = if target.is_absolute() {
        Vec::new()
    } else {
        dir.components().filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        }).collect()
    };
    for c in target.components() {
        match c {
            Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

fn is_whiteout(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    m.file_type().is_char_device() && m.rdev() == 0
}

fn is_opaque(dir: &Path) -> bool {
    let Ok(p) = cstr(dir) else { return false };
    let mut v = [0u8; 2];
    // SAFETY: valid path and attribute name; the buffer length is passed.
    let n = unsafe { libc::lgetxattr(p.as_ptr(), c"trusted.overlay.opaque".as_ptr(), v.as_mut_ptr().cast(), v.len()) };
    n == 1 && v[0] == b'y'
}

/// Finds `path` (components from `/`) in the first layer that decides it.
fn lookup(layers: &[PathBuf], path: &[String]) -> Option<Found> {
    'layers: for layer in layers {
        let mut host = layer.clone();
        for (i, c) in path.iter().enumerate() {
            host.push(c);
            let m = match std::fs::symlink_metadata(&host) {
                Ok(m) => m,
                // Not in this layer: the layers below decide, unless a directory above
                // it in this layer is opaque.
                Err(_) => {
                    if (0..i).any(|j| is_opaque(&layer.join(path[..=j].iter().collect::<PathBuf>()))) {
                        return None;
                    }
                    continue 'layers;
                }
            };
            if is_whiteout(&m) {
                return None;
            }
            if m.file_type().is_symlink() {
                let target = std::fs::read_link(&host).ok()?;
                let at: PathBuf = std::iter::once("/".to_string()).chain(path[..=i].iter().cloned()).collect();
                return Some(Found::Link { at: (at, i), target });
            }
            if i + 1 == path.len() {
                return m.is_file().then_some(Found::File(host));
            }
            if !m.is_dir() {
                return None;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("berth-rootfs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write(p: &Path, s: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, s).unwrap();
    }

    #[test]
    fn upper_layers_win_and_links_stay_inside_the_root() {
        let d = tmp("layers");
        let (upper, mid, base) = (d.join("upper"), d.join("mid"), d.join("base"));
        for l in [&upper, &mid, &base] {
            std::fs::create_dir_all(l).unwrap();
        }
        write(&base.join("etc/passwd"), "base");
        write(&base.join("etc/group"), "base-group");
        write(&mid.join("etc/passwd"), "mid");
        let layers = vec![upper.clone(), mid.clone(), base.clone()];
        assert_eq!(read_file(&layers, "/etc/passwd").unwrap(), b"mid");
        assert_eq!(read_file(&layers, "/etc/group").unwrap(), b"base-group");
        assert_eq!(read_file(&layers, "etc/../etc/group").unwrap(), b"base-group");
        assert!(read_file(&layers, "/etc/shadow").is_none());
        assert!(read_file(&layers, "/etc").is_none(), "a directory is not a file");

        // A link in an upper layer, relative and absolute, into a lower layer's file.
        write(&base.join("data/users"), "linked");
        std::fs::create_dir_all(upper.join("etc")).unwrap();
        std::os::unix::fs::symlink("../data/users", upper.join("etc/passwd")).unwrap();
        assert_eq!(read_file(&layers, "/etc/passwd").unwrap(), b"linked");
        // `..` past the root stays at the root, as in the container: no host file.
        std::fs::remove_file(upper.join("etc/passwd")).unwrap();
        std::os::unix::fs::symlink("../../../../../../etc/hostname", upper.join("etc/passwd")).unwrap();
        assert!(read_file(&layers, "/etc/passwd").is_none());
        std::fs::remove_file(upper.join("etc/passwd")).unwrap();
        std::os::unix::fs::symlink("/data/users", upper.join("etc/passwd")).unwrap();
        assert_eq!(read_file(&layers, "/etc/passwd").unwrap(), b"linked");
        // A directory link on the way.
        std::os::unix::fs::symlink("/data", upper.join("d")).unwrap();
        assert_eq!(read_file(&layers, "/d/users").unwrap(), b"linked");
        // A loop ends.
        std::os::unix::fs::symlink("/loop", upper.join("loop")).unwrap();
        assert!(read_file(&layers, "/loop").is_none());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn whiteouts_and_opaque_directories_hide_lower_layers() {
        let d = tmp("wh");
        let (upper, base) = (d.join("upper"), d.join("base"));
        write(&base.join("etc/passwd"), "base");
        write(&base.join("etc/group"), "base-group");
        std::fs::create_dir_all(upper.join("etc")).unwrap();
        let layers = vec![upper.clone(), base.clone()];
        // SAFETY: valid path; a 0:0 character device is overlayfs's whiteout.
        let wh = cstr(&upper.join("etc/passwd")).unwrap();
        if unsafe { libc::mknod(wh.as_ptr(), libc::S_IFCHR | 0o600, 0) } != 0 {
            eprintln!("skipping: mknod needs CAP_MKNOD");
            return;
        }
        assert!(read_file(&layers, "/etc/passwd").is_none(), "a whiteout hides the lower file");
        assert_eq!(read_file(&layers, "/etc/group").unwrap(), b"base-group");
        let p = cstr(&upper.join("etc")).unwrap();
        // SAFETY: valid path, name and value.
        let r = unsafe { libc::setxattr(p.as_ptr(), c"trusted.overlay.opaque".as_ptr(), b"y".as_ptr().cast(), 1, 0) };
        assert_eq!(r, 0, "trusted xattrs need root: {}", std::io::Error::last_os_error());
        assert!(read_file(&layers, "/etc/group").is_none(), "an opaque directory hides the lower entries");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
