//! A small blocking HTTP/1.1 client for the daemon's unix socket: short requests, JSON
//! bodies, streamed uploads (chunked), streamed responses, and hijacked connections
//! (`attach`, `exec start`: an HTTP upgrade to a raw bidirectional stream).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// Where the daemon listens.
#[derive(Debug, Clone)]
pub struct Client {
    socket: PathBuf,
    host: String,
}

/// A request body.
pub enum Body<'a> {
    /// No body.
    None,
    /// A stream, sent chunked.
    Stream(&'a mut dyn Read, &'a str),
    /// A JSON document (`application/json`).
    Json(Vec<u8>),
}

impl Body<'_> {
    /// A JSON body from any serialisable value.
    pub fn json<T: serde::Serialize + ?Sized>(v: &T) -> Body<'static> {
        Body::Json(serde_json::to_vec(v).expect("request bodies serialise"))
    }
}

/// A failed request.
#[derive(Debug)]
pub enum Error {
    /// The daemon could not be reached.
    Connect(String, io::Error),
    /// The daemon answered with an error status.
    Api(u16, String),
    /// The connection broke.
    Io(io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Connect(h, e) => write!(f, "Cannot connect to the berth daemon at {h}. Is the berth daemon running? ({e})"),
            Error::Api(_, m) => write!(f, "Error response from daemon: {m}"),
            Error::Io(e) => write!(f, "error talking to the daemon: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}

/// A response whose body is read as a stream.
pub struct Response {
    /// Status code.
    pub status: u16,
    body: Box<dyn BufRead + Send>,
}

impl Response {
    /// The body reader.
    pub fn body(&mut self) -> &mut (dyn BufRead + Send) {
        &mut *self.body
    }
    /// Reads the whole body.
    pub fn bytes(mut self) -> Result<Vec<u8>, Error> {
        let mut v = Vec::new();
        self.body.read_to_end(&mut v)?;
        Ok(v)
    }
    /// Parses the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let b = self.bytes()?;
        serde_json::from_slice(&b).map_err(|e| Error::Io(io::Error::other(format!("invalid response from daemon: {e}"))))
    }
}

/// Percent-encodes a query component.
pub fn enc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// Builds `path?k=v&...`, skipping empty values.
pub fn url(path: &str, params: &[(&str, String)]) -> String {
    let q: Vec<String> = params.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

impl Client {
    /// A client for `host` (`unix:///path`).
    pub fn new(host: &str) -> anyhow::Result<Client> {
        let socket = host
            .strip_prefix("unix://")
            .ok_or_else(|| anyhow::anyhow!("unsupported host {host:?}: only unix:// sockets are supported"))?;
        Ok(Client { socket: socket.into(), host: host.to_string() })
    }

    /// Sends a request; an error status becomes [`Error::Api`] with the daemon's message.
    pub fn request(&self, method: &str, path: &str, body: Body<'_>) -> Result<Response, Error> {
        let (status, headers, r, _) = self.send(method, path, body, false)?;
        let resp = Response { status, body: response_body(method, status, &headers, r) };
        check(resp)
    }

    /// POSTs a JSON body and parses the JSON answer.
    pub fn post_json<T: serde::de::DeserializeOwned, B: serde::Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<T, Error> {
        self.request("POST", path, Body::json(body))?.json()
    }

    /// Sends a request asking to upgrade the connection (`Connection: Upgrade`,
    /// `Upgrade: tcp`), as `docker attach` and `docker exec` do. On `101 Switching
    /// Protocols` (or a plain `200`, which older daemons send) the connection becomes a raw
    /// stream in both directions: read the container's output from [`Hijacked::reader`],
    /// write its input to [`Hijacked::writer`].
    pub fn hijack(&self, method: &str, path: &str, body: Body<'_>) -> Result<Hijacked, Error> {
        let (status, headers, r, stream) = self.send(method, path, body, true)?;
        if status >= 400 {
            let resp = Response { status, body: response_body(method, status, &headers, r) };
            return Err(check(resp).err().unwrap_or_else(|| Error::Api(status, String::new())));
        }
        if status != 101 && status != 200 {
            return Err(Error::Io(io::Error::other(format!("unexpected status {status} from the daemon on {path}"))));
        }
        // A 200 may still frame its body; a 101 is raw from here on.
        let reader: Box<dyn BufRead + Send> =
            if status == 200 { response_body(method, status, &headers, r) } else { Box::new(r) };
        Ok(Hijacked { reader, writer: stream })
    }

    /// GET and parse JSON.
    pub fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.request("GET", path, Body::None)?.json()
    }

    /// Sends a request and reads the status line and headers; the body is left unread.
    fn send(&self, method: &str, path: &str, body: Body<'_>, upgrade: bool) -> Result<(u16, Headers, BufReader<UnixStream>, UnixStream), Error> {
        let stream = UnixStream::connect(&self.socket).map_err(|e| Error::Connect(self.host.clone(), e))?;
        let mut w = io::BufWriter::with_capacity(1 << 16, stream.try_clone()?);
        let full = format!("/v{}{path}", api::API_VERSION);
        write!(w, "{method} {full} HTTP/1.1\r\nHost: berth\r\nUser-Agent: berth-cli/{}\r\n", api::VERSION)?;
        if upgrade {
            write!(w, "Connection: Upgrade\r\nUpgrade: tcp\r\n")?;
        }
        let write_result: io::Result<()> = (|| {
            match body {
                Body::None if upgrade || method == "POST" => write!(w, "Content-Length: 0\r\n\r\n")?,
                Body::None => write!(w, "\r\n")?,
                Body::Json(b) => {
                    write!(w, "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n", b.len())?;
                    w.write_all(&b)?;
                }
                Body::Stream(r, ct) => {
                    write!(w, "Content-Type: {ct}\r\nTransfer-Encoding: chunked\r\n\r\n")?;
                    let mut buf = vec![0u8; 1 << 16];
                    loop {
                        let n = match r.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => n,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                            Err(e) => return Err(e),
                        };
                        write!(w, "{n:x}\r\n")?;
                        w.write_all(&buf[..n])?;
                        w.write_all(b"\r\n")?;
                    }
                    w.write_all(b"0\r\n\r\n")?;
                }
            }
            w.flush()
        })();
        // The daemon may answer (and close) before it read the whole body: read its answer.
        let writer = stream.try_clone()?;
        let mut r = BufReader::with_capacity(1 << 16, stream);
        let mut status_line = String::new();
        match r.read_line(&mut status_line) {
            Ok(0) | Err(_) => {
                return Err(Error::Io(write_result.err().unwrap_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "daemon closed the connection"))))
            }
            Ok(_) => {}
        }
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::Io(io::Error::other(format!("bad response line {status_line:?}"))))?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_lowercase(), v.trim().to_string()));
            }
        }
        Ok((status, headers, r, writer))
    }
}

/// Response headers, names lower-cased.
type Headers = Vec<(String, String)>;

/// The body reader a response's framing calls for.
fn response_body(method: &str, status: u16, headers: &Headers, r: BufReader<UnixStream>) -> Box<dyn BufRead + Send> {
    let get = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
    if method == "HEAD" || status == 204 || status == 304 {
        Box::new(io::empty())
    } else if get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        Box::new(BufReader::new(Chunked { r, left: 0, done: false }))
    } else if let Some(n) = get("content-length").and_then(|l| l.parse::<u64>().ok()) {
        Box::new(r.take(n))
    } else {
        Box::new(r)
    }
}

/// Turns an error status into [`Error::Api`] with the daemon's message.
fn check(resp: Response) -> Result<Response, Error> {
    if resp.status >= 400 {
        let status = resp.status;
        let b = resp.bytes().unwrap_or_default();
        let msg = serde_json::from_slice::<api::ErrorResponse>(&b)
            .map(|e| e.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&b).trim().to_string());
        return Err(Error::Api(status, msg));
    }
    Ok(resp)
}

/// A hijacked connection: the container's output to read, its input to write.
pub struct Hijacked {
    /// The output stream (bytes already buffered past the headers included).
    pub reader: Box<dyn BufRead + Send>,
    /// The input side; shutting down its write half is the container's stdin EOF.
    pub writer: UnixStream,
}

/// Decodes a chunked body.
struct Chunked<R> {
    r: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.r.read_line(&mut line)?;
            if line.trim().is_empty() {
                line.clear();
                if self.r.read_line(&mut line)? == 0 {
                    self.done = true;
                    return Ok(0);
                }
            }
            let size = line.trim().split(';').next().unwrap_or("");
            self.left = u64::from_str_radix(size, 16).map_err(|_| io::Error::other(format!("bad chunk size {size:?}")))?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf.len().min(self.left as usize);
        let n = self.r.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "response ended early (the daemon aborted the stream)"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}
