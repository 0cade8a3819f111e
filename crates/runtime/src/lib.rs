//! OCI runtime bundles: turning a Docker container config into an OCI runtime spec, with
//! Docker's security defaults (capabilities, seccomp, masked paths), user resolution from
//! the image's `/etc/passwd`, and cgroup limits. Pure functions, but for [`rootfs`] (the
//! mounts the shim makes for a container's root filesystem) and [`signals`].
#![deny(missing_docs)]

pub mod seccomp;
pub mod signals;
pub mod userns;
pub mod caps;
pub mod cgroups;
pub mod spec;
pub mod user;
pub mod rootfs;
