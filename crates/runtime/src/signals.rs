//! Signal state a container's processes must not inherit from berth's.

/// Unblocks every signal and restores the default disposition of each (SIGKILL and SIGSTOP
/// aside): signals are inherited across exec, Rust ignores SIGPIPE at startup, and the shim
/// blocks SIGCHLD (a shell's `wait` in the container would never return). The raw system
/// calls, because glibc refuses to touch its own signals 32 and 33. Async-signal-safe: fit
/// for a forked child before exec.
pub fn reset() {
    // The kernel's `struct sigaction` with SIG_DFL, no flags and an empty mask.
    let dfl = [0u64; 4];
    let empty = 0u64;
    // SAFETY: valid pointers to kernel-sized structures; the results need no checking
    // (signals that cannot be changed stay as they are).
    unsafe {
        libc::syscall(libc::SYS_rt_sigprocmask, libc::SIG_SETMASK, &empty as *const u64, std::ptr::null_mut::<u64>(), 8usize);
        for sig in 1..=64 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::syscall(libc::SYS_rt_sigaction, sig, dfl.as_ptr(), std::ptr::null_mut::<u64>(), 8usize);
            }
        }
    }
}
