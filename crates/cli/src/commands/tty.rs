//! The terminal side of interactive sessions: raw mode (restored on every exit path), the
//! window size, and signals (SIGWINCH → resize, `--sig-proxy` → kill) through a self-pipe.

use crate::client::{url, Body, Client};
use std::io::IsTerminal;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};

/// The terminal state to put back, shared with the signal thread.
static SAVED: Mutex<Option<(c_int, libc::termios)>> = Mutex::new(None);

/// Raw mode on a terminal for as long as this lives (moby/term `MakeRaw`: no echo, no
/// line editing, no signals from keys, no output processing).
pub struct RawTerminal(());

impl RawTerminal {
    /// Puts `fd` in raw mode; `None` when it is not a terminal (or `NORAW` is set, as
    /// Docker allows).
    pub fn enable(fd: c_int) -> Option<RawTerminal> {
        if std::env::var_os("NORAW").is_some_and(|v| !v.is_empty()) {
            return None;
        }
        // SAFETY: termios calls on a descriptor we own, writing only to locals.
        unsafe {
            if libc::isatty(fd) != 1 {
                return None;
            }
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut t) != 0 {
                return None;
            }
            let orig = t;
            libc::cfmakeraw(&mut t);
            t.c_cc[libc::VMIN] = 1;
            t.c_cc[libc::VTIME] = 0;
            if libc::tcsetattr(fd, libc::TCSANOW, &t) != 0 {
                return None;
            }
            *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some((fd, orig));
        }
        Some(RawTerminal(()))
    }
}

/// Puts the terminal back as it was, once.
pub fn restore() {
    if let Some((fd, orig)) = SAVED.lock().unwrap_or_else(|e| e.into_inner()).take() {
        // SAFETY: restores attributes read from the same descriptor.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &orig) };
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        restore();
    }
}

/// The window size of our stdout as `(height, width)`; `(0, 0)` when it is no terminal.
pub fn size() -> (u32, u32) {
    if !std::io::stdout().is_terminal() {
        return (0, 0);
    }
    // SAFETY: TIOCGWINSZ writes a winsize into the local.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) != 0 {
            return (0, 0);
        }
        (u32::from(ws.ws_row), u32::from(ws.ws_col))
    }
}

/// What a session resizes: a container's TTY or an exec's.
#[derive(Clone, Debug)]
pub enum Target {
    /// `/containers/{id}/resize`.
    Container(String),
    /// `/exec/{id}/resize`.
    Exec(String),
}

impl Target {
    fn resize_path(&self, h: u32, w: u32) -> String {
        let base = match self {
            Target::Container(id) => format!("/containers/{id}/resize"),
            Target::Exec(id) => format!("/exec/{id}/resize"),
        };
        url(&base, &[("h", h.to_string()), ("w", w.to_string())])
    }
}

/// Sends our window size (Docker skips 0x0).
pub fn resize(c: &Client, t: &Target) -> Result<(), crate::client::Error> {
    let (h, w) = size();
    if h == 0 && w == 0 {
        return Ok(());
    }
    c.request("POST", &t.resize_path(h, w), Body::None).map(|_| ())
}

/// Docker's `MonitorTtySize`: the initial size (retried briefly, as the process may not
/// be up yet), then a resize on every SIGWINCH.
pub fn monitor_size(c: &Client, t: Target) {
    let mut last = None;
    for attempt in 0..10u64 {
        match resize(c, &t) {
            Ok(()) => {
                last = None;
                break;
            }
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(10 * (attempt + 1)));
    }
    if let Some(e) = last {
        eprintln!("failed to resize tty, using default size: {e}");
    }
    let c = c.clone();
    let rx = signals(&[libc::SIGWINCH]);
    std::thread::spawn(move || {
        while rx.recv().is_ok() {
            let _ = resize(&c, &t);
        }
    });
}

/// Signals `--sig-proxy` forwards (Docker forwards all it can catch but SIGCHLD, SIGPIPE
/// and SIGURG; SIGWINCH belongs to resizing).
pub const PROXY_SIGNALS: [c_int; 15] = [
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGTERM,
    libc::SIGTSTP,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGCONT,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGIO,
    libc::SIGPWR,
];

/// A signal's name without `SIG`, as the Docker CLI sends it to `/kill`.
pub fn signal_name(sig: c_int) -> String {
    let n = match sig {
        libc::SIGHUP => "HUP",
        libc::SIGINT => "INT",
        libc::SIGQUIT => "QUIT",
        libc::SIGUSR1 => "USR1",
        libc::SIGUSR2 => "USR2",
        libc::SIGALRM => "ALRM",
        libc::SIGTERM => "TERM",
        libc::SIGTSTP => "TSTP",
        libc::SIGTTIN => "TTIN",
        libc::SIGTTOU => "TTOU",
        libc::SIGCONT => "CONT",
        libc::SIGVTALRM => "VTALRM",
        libc::SIGPROF => "PROF",
        libc::SIGIO => "IO",
        libc::SIGPWR => "PWR",
        libc::SIGWINCH => "WINCH",
        libc::SIGKILL => "KILL",
        _ => return sig.to_string(),
    };
    n.to_string()
}

/// Docker's `ForwardAllSignals`: every caught signal goes to the container.
pub fn proxy_signals(c: &Client, id: &str) {
    let rx = signals(&PROXY_SIGNALS);
    let (c, id) = (c.clone(), id.to_string());
    std::thread::spawn(move || {
        while let Ok(sig) = rx.recv() {
            let path = url(&format!("/containers/{id}/kill"), &[("signal", signal_name(sig))]);
            if let Err(e) = c.request("POST", &path, Body::None) {
                eprintln!("error sending signal: {e}");
            }
        }
    });
}

/// In raw mode, a SIGTERM, SIGHUP or SIGQUIT from outside still restores the terminal
/// before the process dies.
pub fn restore_on_fatal_signals() {
    let rx = signals(&[libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGINT]);
    std::thread::spawn(move || {
        if let Ok(sig) = rx.recv() {
            restore();
            std::process::exit(128 + sig);
        }
    });
}

static PIPE_WR: AtomicI32 = AtomicI32::new(-1);
type Subscribers = Mutex<Vec<(Vec<c_int>, std::sync::mpsc::Sender<c_int>)>>;
static SUBSCRIBERS: OnceLock<Subscribers> = OnceLock::new();

extern "C" fn on_signal(sig: c_int) {
    let fd = PIPE_WR.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write(2) is async-signal-safe; the byte is a local.
        unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    }
}

/// Catches `sigs` and delivers them on the returned channel (a self-pipe read by one
/// dispatch thread; handlers run with `SA_RESTART`).
pub fn signals(sigs: &[c_int]) -> std::sync::mpsc::Receiver<c_int> {
    let subs = SUBSCRIBERS.get_or_init(|| {
        let mut fds = [0 as c_int; 2];
        // SAFETY: pipe2 fills the two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == 0 {
            PIPE_WR.store(fds[1], Ordering::Relaxed);
            let rd = fds[0];
            std::thread::spawn(move || loop {
                let mut b = 0u8;
                // SAFETY: reads one byte into a local.
                let n = unsafe { libc::read(rd, (&mut b as *mut u8).cast(), 1) };
                if n == 1 {
                    let sig = c_int::from(b);
                    if let Some(s) = SUBSCRIBERS.get() {
                        let list = s.lock().unwrap_or_else(|e| e.into_inner());
                        for (set, tx) in list.iter() {
                            if set.contains(&sig) {
                                let _ = tx.send(sig);
                            }
                        }
                    }
                } else if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                } else {
                    return;
                }
            });
        }
        Mutex::new(Vec::new())
    });
    let (tx, rx) = std::sync::mpsc::channel();
    subs.lock().unwrap_or_else(|e| e.into_inner()).push((sigs.to_vec(), tx));
    for &s in sigs {
        // SAFETY: installs a handler that only writes to the pipe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(c_int) as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(s, &sa, std::ptr::null_mut());
        }
    }
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_are_dockers() {
        assert_eq!(signal_name(libc::SIGINT), "INT");
        assert_eq!(signal_name(libc::SIGTERM), "TERM");
        assert_eq!(signal_name(libc::SIGUSR1), "USR1");
    }

    #[test]
    fn caught_signals_reach_their_channel() {
        let rx = signals(&[libc::SIGUSR2]);
        // SAFETY: raises a signal we installed a handler for.
        unsafe { libc::raise(libc::SIGUSR2) };
        assert_eq!(rx.recv_timeout(std::time::Duration::from_secs(5)), Ok(libc::SIGUSR2));
    }
}
