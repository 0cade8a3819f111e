//! One thread watches every running container for its exit: each container's `wait init`
//! connection to its shim sits in an epoll set, and the shim's answer (or the connection
//! closing) is read when it comes. A thread per container would make the daemon's size,
//! and every fork it does, grow with the number of containers.

use super::{shim, Ctr};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

/// What the watcher calls with an exit (`None`: the shim went away without saying).
pub(crate) type OnExit = Box<dyn Fn(Arc<Ctr>, Option<shim::Exit>) + Send + Sync>;

/// The epoll set and what each descriptor in it belongs to.
pub(crate) struct Monitor {
    epoll: OwnedFd,
    watched: Mutex<HashMap<RawFd, (UnixStream, Arc<Ctr>)>>,
}

impl Monitor {
    /// Creates the set and starts the thread that serves it.
    pub(crate) fn start(on_exit: OnExit) -> std::io::Result<Arc<Monitor>> {
        // SAFETY: epoll_create1 returns a fresh descriptor or -1.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fd is ours alone.
        let m = Arc::new(Monitor { epoll: unsafe { OwnedFd::from_raw_fd(fd) }, watched: Mutex::new(HashMap::new()) });
        let me = m.clone();
        std::thread::Builder::new().name("exit-monitor".into()).stack_size(256 * 1024).spawn(move || me.serve(on_exit))?;
        Ok(m)
    }

    /// Watches `s` (a `wait init` connection) for `c`'s exit.
    pub(crate) fn watch(&self, s: UnixStream, c: Arc<Ctr>) -> std::io::Result<()> {
        let fd = s.as_raw_fd();
        self.watched.lock().unwrap_or_else(|p| p.into_inner()).insert(fd, (s, c));
        let mut ev = libc::epoll_event { events: (libc::EPOLLIN | libc::EPOLLRDHUP) as u32, u64: fd as u64 };
        // SAFETY: both descriptors are open; `ev` is a valid epoll_event.
        if unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } != 0 {
            let e = std::io::Error::last_os_error();
            self.watched.lock().unwrap_or_else(|p| p.into_inner()).remove(&fd);
            return Err(e);
        }
        Ok(())
    }

    fn serve(&self, on_exit: OnExit) {
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 64];
        loop {
            // SAFETY: `events` has room for its length of entries.
            let n = unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), events.as_mut_ptr(), events.len() as i32, -1) };
            if n < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            for ev in &events[..n as usize] {
                let fd = ev.u64 as RawFd;
                let Some((s, c)) = self.watched.lock().unwrap_or_else(|p| p.into_inner()).remove(&fd) else { continue };
                // SAFETY: fd is still open (its stream is in hand); removing it is harmless.
                unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) };
                // The shim writes its one line at once; a bounded read in case it does not.
                let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                let mut line = String::new();
                let exit = BufReader::new(s).read_line(&mut line).ok().and_then(|_| shim::parse_exit(line.trim()));
                on_exit(c, exit);
            }
        }
    }
}
