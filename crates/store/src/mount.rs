//! Mounts as data (containerd's habit): the store describes a mount, the caller performs it.

use crate::error::Error;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A mount to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Filesystem type (`overlay`).
    pub fstype: String,
    /// Source (`overlay`).
    pub source: String,
    /// Options, joined with commas into the mount data.
    pub options: Vec<String>,
    /// Directory that relative paths in the options are relative to: the mount must be
    /// performed from there (this keeps `lowerdir` under the one-page limit for deep images).
    pub cwd: Option<PathBuf>,
}

/// The kernel refuses mount data longer than a page.
pub const MAX_MOUNT_DATA: usize = 4095;

impl Mount {
    /// An overlay mount of `lowers` (top first, relative to `cwd`) under `upper`/`work`.
    pub fn overlay(cwd: &Path, lowers: &[String], upper: &Path, work: &Path) -> Mount {
        Mount {
            fstype: "overlay".into(),
            source: "overlay".into(),
            options: vec![
                format!("lowerdir={}", lowers.join(":")),
                format!("upperdir={}", upper.display()),
                format!("workdir={}", work.display()),
                "index=off".into(),
            ],
            cwd: Some(cwd.to_path_buf()),
        }
    }

    /// The mount data string.
    pub fn data(&self) -> String {
        self.options.join(",")
    }

    /// Performs the mount on `target`. With a `cwd`, it runs in a short-lived child process
    /// that changes directory first (the daemon's own working directory is never changed).
    pub fn mount(&self, target: &Path) -> Result<(), Error> {
        let data = self.data();
        if data.len() > MAX_MOUNT_DATA {
            return Err(Error::invalid(format!(
                "overlay mount options are {} bytes, over the kernel's {MAX_MOUNT_DATA}: too many layers",
                data.len()
            )));
        }
        let c = |s: &[u8]| CString::new(s).map_err(|_| Error::invalid("NUL byte in mount argument"));
        let (src, tgt, fstype, data) =
            (c(self.source.as_bytes())?, c(target.as_os_str().as_bytes())?, c(self.fstype.as_bytes())?, c(data.as_bytes())?);
        let cwd = self.cwd.as_ref().map(|p| c(p.as_os_str().as_bytes())).transpose()?;
        // SAFETY: between fork and _exit the child only makes raw system calls
        // (chdir, mount) on memory prepared before the fork; no allocation or locking.
        unsafe {
            let pid = libc::fork();
            if pid < 0 {
                return Err(Error::io("fork for mount", std::io::Error::last_os_error()));
            }
            if pid == 0 {
                if let Some(cwd) = &cwd {
                    if libc::chdir(cwd.as_ptr()) != 0 {
                        libc::_exit(*libc::__errno_location());
                    }
                }
                let r = libc::mount(src.as_ptr(), tgt.as_ptr(), fstype.as_ptr(), 0, data.as_ptr().cast());
                libc::_exit(if r == 0 { 0 } else { *libc::__errno_location() });
            }
            let mut status = 0;
            while libc::waitpid(pid, &mut status, 0) < 0 {
                if *libc::__errno_location() != libc::EINTR {
                    return Err(Error::io("wait for mount", std::io::Error::last_os_error()));
                }
            }
            if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
                Ok(())
            } else {
                let errno = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { libc::EIO };
                Err(Error::io(format!("mount overlay on {}", target.display()), std::io::Error::from_raw_os_error(errno)))
            }
        }
    }
}

/// Unmounts `target` (lazily if busy).
pub fn unmount(target: &Path) -> Result<(), Error> {
    match rustix::mount::unmount(target, rustix::mount::UnmountFlags::empty()) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::BUSY) => rustix::mount::unmount(target, rustix::mount::UnmountFlags::DETACH)
            .map_err(|e| Error::io(format!("unmount {}", target.display()), e.into())),
        Err(e) => Err(Error::io(format!("unmount {}", target.display()), e.into())),
    }
}

/// A user namespace with these `uid_map`/`gid_map` contents, as a file descriptor (for
/// idmapped mounts). A child process creates it, says so on one pipe, and exits when the
/// other closes, once the namespace is opened.
pub fn userns_fd(uid_map: &str, gid_map: &str) -> Result<std::os::fd::OwnedFd, Error> {
    use std::os::fd::FromRawFd;
    let (mut told, mut release) = ([0; 2], [0; 2]);
    // SAFETY: plain pipe/fork/unshare/write/read/_exit; between fork and _exit the child
    // makes only raw system calls on memory prepared before the fork.
    unsafe {
        if libc::pipe2(told.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return Err(Error::io("pipe", std::io::Error::last_os_error()));
        }
        if libc::pipe2(release.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            let e = std::io::Error::last_os_error();
            libc::close(told[0]);
            libc::close(told[1]);
            return Err(Error::io("pipe", e));
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
            return Err(Error::io("fork for a user namespace", std::io::Error::last_os_error()));
        }
        let result = (|| {
            let mut ok = 0u8;
            if libc::read(std::os::fd::AsRawFd::as_raw_fd(&told_r), (&mut ok as *mut u8).cast(), 1) != 1 || ok != 1 {
                return Err(Error::invalid("could not create a user namespace"));
            }
            std::fs::write(format!("/proc/{pid}/uid_map"), uid_map).map_err(|e| Error::io("write uid_map", e))?;
            std::fs::write(format!("/proc/{pid}/gid_map"), gid_map).map_err(|e| Error::io("write gid_map", e))?;
            let ns = format!("/proc/{pid}/ns/user");
            let f = std::fs::File::open(&ns).map_err(|e| Error::io(ns, e))?;
            Ok(std::os::fd::OwnedFd::from(f))
        })();
        drop(release_w);
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0 && *libc::__errno_location() == libc::EINTR {}
        result
    }
}

/// Bind-mounts `src` on `dst` with its IDs shifted by the user namespace `userns` (an
/// idmapped mount: a file owned by 0 shows as the namespace's root on the host). The
/// kernel needs 5.12 or later and a filesystem that supports it (ext4, xfs, btrfs, tmpfs).
pub fn idmapped_bind(src: &Path, dst: &Path, userns: std::os::fd::BorrowedFd<'_>) -> Result<(), Error> {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    const OPEN_TREE_CLONE: libc::c_uint = 1;
    const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;
    const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 4;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(|_| Error::invalid("NUL byte in a path"));
    let (s, d) = (c(src)?, c(dst)?);
    let empty = CString::default();
    // SAFETY: the system calls get valid NUL-terminated strings and a properly laid out
    // `struct mount_attr`; the tree descriptor is closed on every path.
    unsafe {
        let tree = libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, s.as_ptr(), OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint) as libc::c_int;
        if tree < 0 {
            return Err(Error::io(format!("open_tree {}", src.display()), std::io::Error::last_os_error()));
        }
        let attr = MountAttr { attr_set: MOUNT_ATTR_IDMAP, attr_clr: 0, propagation: 0, userns_fd: userns.as_raw_fd() as u64 };
        let r = libc::syscall(libc::SYS_mount_setattr, tree, empty.as_ptr(), libc::AT_EMPTY_PATH, &attr as *const MountAttr, std::mem::size_of::<MountAttr>());
        if r != 0 {
            let e = std::io::Error::last_os_error();
            libc::close(tree);
            return Err(Error::io(format!("idmapping {} (does its filesystem support idmapped mounts?)", src.display()), e));
        }
        let r = libc::syscall(libc::SYS_move_mount, tree, empty.as_ptr(), libc::AT_FDCWD, d.as_ptr(), MOVE_MOUNT_F_EMPTY_PATH);
        let e = std::io::Error::last_os_error();
        libc::close(tree);
        if r != 0 {
            return Err(Error::io(format!("mount {} on {}", src.display(), dst.display()), e));
        }
    }
    Ok(())
}
