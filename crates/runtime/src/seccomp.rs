//! Docker's default seccomp profile (written by a helper).
