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
