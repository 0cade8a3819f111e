//! Container I/O over a hijacked connection: Docker's multiplexed framing (`stdcopy`), the
//! detach-key escape proxy, and the pumps that join our stdin/stdout/stderr to a
//! container's (`run`, `start -a`, `attach`, `exec`).

use crate::client::Hijacked;
use std::io::{self, Read, Write};
use std::sync::mpsc;

/// Stream type 3 of the framing: an error from the daemon, ending the stream.
const SYSTEM_ERR: u8 = 3;

/// Docker's `stdcopy.StdCopy`: reads `[type, 0, 0, 0, len(u32 BE)]` frames and writes
/// each payload to `out` (type 0 and 1) or `err` (type 2), flushing after each frame so
/// prompts without a newline show at once. Frames may arrive split across reads. The end
/// of the input, even inside a frame, ends the copy quietly as in Docker; a frame of type 3
/// becomes an error carrying its text.
pub fn demux<R: Read + ?Sized, O: Write, E: Write>(r: &mut R, out: &mut O, err: &mut E) -> io::Result<u64> {
    let mut header = [0u8; 8];
    let mut buf = vec![0u8; 32 * 1024];
    let mut written = 0u64;
    loop {
        if !read_full(r, &mut header)? {
            return Ok(written);
        }
        let kind = header[0];
        let mut left = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        if kind == SYSTEM_ERR {
            let mut msg = vec![0u8; left];
            let n = read_some(r, &mut msg)?;
            return Err(io::Error::other(String::from_utf8_lossy(&msg[..n]).into_owned()));
        }
        let dst: &mut dyn Write = match kind {
            0 | 1 => &mut *out,
            2 => &mut *err,
            k => return Err(io::Error::other(format!("Unrecognized input header: {k}"))),
        };
        while left > 0 {
            let want = left.min(buf.len());
            let n = match r.read(&mut buf[..want]) {
                Ok(0) => return Ok(written),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            dst.write_all(&buf[..n])?;
            written += n as u64;
            left -= n;
        }
        dst.flush()?;
    }
}

/// Fills `buf`; `false` when the input ended first.
fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<bool> {
    Ok(read_some(r, buf)? == buf.len())
}

/// Reads until `buf` is full or the input ends; returns the count read.
fn read_some<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Copies a raw (TTY) stream, flushing after every read.
pub fn copy_raw<R: Read + ?Sized, W: Write + ?Sized>(r: &mut R, w: &mut W) -> io::Result<u64> {
    let mut buf = vec![0u8; 32 * 1024];
    let mut total = 0;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n])?;
        w.flush()?;
        total += n as u64;
    }
}

/// moby/term's escape proxy: watches keystrokes for the detach sequence. Like Docker, a
/// key only counts when it arrives alone in one read (a keypress, not pasted text); keys
/// held back while a sequence is in progress are passed on when it breaks.
#[derive(Debug, Clone)]
pub struct EscapeProxy {
    keys: Vec<u8>,
    pos: usize,
}

impl EscapeProxy {
    /// A proxy for `keys` (empty: never detaches).
    pub fn new(keys: Vec<u8>) -> EscapeProxy {
        EscapeProxy { keys, pos: 0 }
    }

    /// Takes one read's bytes; returns what to forward, or `None` when the sequence is
    /// complete (detach).
    pub fn feed(&mut self, input: &[u8]) -> Option<Vec<u8>> {
        if self.keys.is_empty() {
            return Some(input.to_vec());
        }
        let held = |pos: usize, keys: &[u8]| keys[..pos].to_vec();
        if input.len() != 1 || input[0] != self.keys[self.pos] {
            let mut out = held(self.pos, &self.keys);
            out.extend_from_slice(input);
            self.pos = 0;
            return Some(out);
        }
        if self.pos == self.keys.len() - 1 {
            return None;
        }
        self.pos += 1;
        Some(Vec::new())
    }
}

/// How a stream session ended.
#[derive(Debug)]
pub enum End {
    /// The output ended (the container's streams closed).
    Done,
    /// The user typed the detach keys.
    Detached,
}

/// What to join to the hijacked connection.
pub struct Streams {
    /// Copy our stdin to the container (then half-close at EOF).
    pub stdin: bool,
    /// The container has a TTY: output is raw, not multiplexed.
    pub tty: bool,
    /// Detach keys to watch for on stdin (TTY sessions only, as Docker).
    pub detach_keys: Option<Vec<u8>>,
}

enum Event {
    Output(io::Result<u64>),
    InputDone,
    Detached,
}

/// Docker's `hijackedIOStreamer.stream`: pumps our stdin into the connection and the
/// connection's output to our stdout/stderr, until the output ends or the user detaches.
pub fn pump(h: Hijacked, s: Streams) -> io::Result<End> {
    let (tx, rx) = mpsc::channel();
    let Hijacked { mut reader, writer } = h;
    let tty = s.tty;
    let otx = tx.clone();
    std::thread::spawn(move || {
        let mut out = io::stdout();
        let r = if tty {
            copy_raw(&mut reader, &mut out)
        } else {
            let mut err = io::stderr();
            demux(&mut reader, &mut out, &mut err)
        };
        let _ = otx.send(Event::Output(r));
    });
    if s.stdin {
        let mut proxy = if tty { s.detach_keys.clone().map(EscapeProxy::new) } else { None };
        let itx = tx;
        std::thread::spawn(move || {
            let mut w = writer;
            let mut buf = vec![0u8; 32 * 1024];
            loop {
                // Read the descriptor directly: one keypress per read in raw mode, as the
                // escape proxy expects.
                // SAFETY: reads into our own buffer from fd 0.
                let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
                if n < 0 {
                    if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    break;
                }
                if n == 0 {
                    break;
                }
                let data = &buf[..n as usize];
                let fwd = match proxy.as_mut() {
                    Some(p) => match p.feed(data) {
                        Some(f) => f,
                        None => {
                            let _ = itx.send(Event::Detached);
                            return;
                        }
                    },
                    None => data.to_vec(),
                };
                if !fwd.is_empty() && w.write_all(&fwd).is_err() {
                    break;
                }
            }
            let _ = w.shutdown(std::net::Shutdown::Write);
            let _ = itx.send(Event::InputDone);
        });
    } else {
        drop(tx);
    }
    loop {
        match rx.recv() {
            Ok(Event::Output(r)) => return r.map(|_| End::Done),
            Ok(Event::Detached) => return Ok(End::Detached),
            Ok(Event::InputDone) => continue,
            Err(_) => return Ok(End::Done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::container::frame;

    /// Yields its data in reads of at most `step` bytes.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn run(data: Vec<u8>, step: usize) -> (io::Result<u64>, Vec<u8>, Vec<u8>) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let r = demux(&mut Trickle { data, pos: 0, step }, &mut out, &mut err);
        (r, out, err)
    }

    #[test]
    fn demux_splits_stdout_and_stderr() {
        let mut data = frame(1, b"hello ");
        data.extend(frame(2, b"oops\n"));
        data.extend(frame(1, b"world\n"));
        data.extend(frame(0, b"stdin echo\n"));
        data.extend(frame(1, b""));
        for step in [1, 3, 7, 8, 9, 1000] {
            let (r, out, err) = run(data.clone(), step);
            assert_eq!(r.unwrap(), 28, "step {step}");
            assert_eq!(out, b"hello world\nstdin echo\n", "step {step}");
            assert_eq!(err, b"oops\n", "step {step}");
        }
    }

    #[test]
    fn demux_handles_large_frames_and_truncation() {
        let big = vec![b'x'; 100_000];
        let mut data = frame(2, &big);
        data.extend(frame(1, b"after"));
        let (r, out, err) = run(data.clone(), 4096);
        assert_eq!(r.unwrap(), 100_005);
        assert_eq!(err.len(), 100_000);
        assert_eq!(out, b"after");
        // The stream ends inside a header, then inside a payload: what came through stays.
        let (r, out, _) = run(data[..100_008 + 3].to_vec(), 5);
        assert!(r.is_ok());
        assert_eq!(out, b"");
        let (r, out, _) = run(data[..100_008 + 8 + 2].to_vec(), 5);
        assert!(r.is_ok());
        assert_eq!(out, b"af");
    }

    #[test]
    fn demux_reports_system_errors_and_bad_headers() {
        let mut data = frame(1, b"ok");
        data.extend(frame(3, b"daemon failed"));
        let (r, out, _) = run(data, 2);
        assert_eq!(r.unwrap_err().to_string(), "daemon failed");
        assert_eq!(out, b"ok");
        let (r, _, _) = run(vec![9, 0, 0, 0, 0, 0, 0, 1, b'x'], 100);
        assert_eq!(r.unwrap_err().to_string(), "Unrecognized input header: 9");
    }

    #[test]
    fn escape_proxy_detaches_on_keypresses_only() {
        let mut p = EscapeProxy::new(vec![16, 17]);
        assert_eq!(p.feed(b"ls\r"), Some(b"ls\r".to_vec()));
        assert_eq!(p.feed(&[16]), Some(vec![]));
        assert_eq!(p.feed(&[17]), None);
        // A broken sequence passes the held key on.
        let mut p = EscapeProxy::new(vec![16, 17]);
        assert_eq!(p.feed(&[16]), Some(vec![]));
        assert_eq!(p.feed(b"a"), Some(vec![16, b'a']));
        // Pasted text containing the keys does not detach.
        let mut p = EscapeProxy::new(vec![16, 17]);
        assert_eq!(p.feed(&[16, 17]), Some(vec![16, 17]));
        let mut p = EscapeProxy::new(vec![]);
        assert_eq!(p.feed(&[16]), Some(vec![16]));
    }
}
