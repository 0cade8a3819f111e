//! Request parsing and response building: version prefix, query strings, JSON bodies, and
//! the channels that stream bodies to and from blocking engine code.

use bytes::Bytes;
use engine::Error;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::{Body as _, Frame, Incoming};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Response body type.
pub type Body = BoxBody<Bytes, io::Error>;
/// A response.
pub type Response = hyper::Response<Body>;

/// Largest JSON request body accepted.
const MAX_JSON_BODY: usize = 16 << 20;

/// A request with the version prefix removed and the query parsed.
pub struct Request {
    /// Method.
    pub method: Method,
    /// Path without `/vX.Y`.
    pub path: String,
    /// API version the client asked for (ours when none).
    pub version: String,
    /// Query parameters, each with all its values in order.
    pub query: HashMap<String, Vec<String>>,
    /// Headers.
    pub headers: HeaderMap,
    /// The body, not yet read.
    pub body: Option<Incoming>,
    /// The request itself, kept for HTTP upgrades (attach, exec).
    pub upgrade: Option<hyper::upgrade::OnUpgrade>,
}

impl Request {
    /// Parses the version prefix and query; rejects unsupported API versions.
    pub fn new(mut req: hyper::Request<Incoming>) -> Result<Request, Error> {
        let upgrade = req.extensions_mut().remove::<hyper::upgrade::OnUpgrade>();
        let (parts, body) = req.into_parts();
        let raw_path = parts.uri.path();
        let (version, path) = match raw_path.strip_prefix("/v").and_then(|r| r.split_once('/')) {
            Some((v, rest)) if v.split_once('.').is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok()) => {
                (v.to_string(), format!("/{rest}"))
            }
            _ => (api::API_VERSION.to_string(), raw_path.to_string()),
        };
        if api::version_cmp(&version, api::API_VERSION).is_gt() {
            return Err(Error::invalid(format!(
                "client version {version} is too new. Maximum supported API version is {}",
                api::API_VERSION
            )));
        }
        if api::version_cmp(&version, api::MIN_API_VERSION).is_lt() {
            return Err(Error::invalid(format!(
                "client version {version} is too old. Minimum supported API version is {}, please upgrade your client to a newer version",
                api::MIN_API_VERSION
            )));
        }
        let path = percent_decode(&path);
        Ok(Request {
            method: parts.method,
            path,
            version,
            query: parse_query(parts.uri.query().unwrap_or("")),
            headers: parts.headers,
            body: Some(body),
            upgrade,
        })
    }

    /// The last value of a query parameter.
    pub fn q(&self, key: &str) -> Option<&str> {
        self.query.get(key).and_then(|v| v.last()).map(String::as_str)
    }

    /// A query parameter or "".
    pub fn qs(&self, key: &str) -> String {
        self.q(key).unwrap_or("").to_string()
    }

    /// All values of a query parameter.
    pub fn qall(&self, key: &str) -> Vec<String> {
        self.query.get(key).cloned().unwrap_or_default()
    }

    /// A boolean query parameter (`1`, `true`, `True`; absent or `0`/`false` is false).
    pub fn qbool(&self, key: &str) -> Result<bool, Error> {
        match self.q(key) {
            None | Some("") => Ok(false),
            Some(v) => match v.to_lowercase().as_str() {
                "1" | "true" => Ok(true),
                "0" | "false" => Ok(false),
                _ => Err(Error::invalid(format!("invalid value for {key}: {v:?} (expected a boolean)"))),
            },
        }
    }

    /// The `filters` parameter.
    pub fn filters(&self) -> Result<api::Filters, Error> {
        api::Filters::parse(&self.qs("filters")).map_err(Error::invalid)
    }

    /// Whether the client's API version is at least `v`.
    pub fn version_at_least(&self, v: &str) -> bool {
        api::version_cmp(&self.version, v).is_ge()
    }

    /// Reads the whole body (bounded) as bytes.
    pub async fn bytes(&mut self) -> Result<Bytes, Error> {
        let Some(body) = self.body.take() else { return Ok(Bytes::new()) };
        if body.size_hint().lower() as usize > MAX_JSON_BODY {
            return Err(Error::invalid("request body too large"));
        }
        let limited = http_body_util::Limited::new(body, MAX_JSON_BODY);
        limited.collect().await.map(|c| c.to_bytes()).map_err(|e| Error::invalid(format!("reading request body: {e}")))
    }

    /// Reads a JSON body; an empty body is `T::default()`.
    pub async fn json<T: serde::de::DeserializeOwned + Default>(&mut self) -> Result<T, Error> {
        let b = self.bytes().await?;
        if b.iter().all(|c| c.is_ascii_whitespace()) {
            return Ok(T::default());
        }
        serde_json::from_slice(&b).map_err(|e| Error::invalid(format!("invalid JSON body: {e}")))
    }

    /// Hands the body to blocking code as a `Read`, fed by a task.
    pub fn body_reader(&mut self) -> BodyReader {
        let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(16);
        if let Some(mut body) = self.body.take() {
            tokio::spawn(async move {
                while let Some(frame) = body.frame().await {
                    let item = match frame {
                        Ok(f) => match f.into_data() {
                            Ok(d) => Ok(d),
                            Err(_) => continue,
                        },
                        Err(e) => Err(io::Error::other(format!("reading request body: {e}"))),
                    };
                    let failed = item.is_err();
                    if tx.send(item).await.is_err() || failed {
                        break;
                    }
                }
            });
        }
        BodyReader { rx, cur: Bytes::new() }
    }
}

/// A blocking `Read` over a request body.
pub struct BodyReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    cur: Bytes,
}

impl io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        let _ = self.cur.split_to(n);
        Ok(n)
    }
}

/// A response body fed through a channel (streams, blocking writers).
pub struct ChannelBody {
    rx: mpsc::Receiver<io::Result<Bytes>>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;
    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }
}

/// A channel whose receiving end is a response body.
pub fn channel_body() -> (mpsc::Sender<io::Result<Bytes>>, Body) {
    let (tx, rx) = mpsc::channel(16);
    (tx, ChannelBody { rx }.boxed())
}

/// A blocking `Write` into a response body channel, buffered into 64 KiB chunks.
pub struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    /// Wraps the sending end of [`channel_body`].
    pub fn new(tx: mpsc::Sender<io::Result<Bytes>>) -> Self {
        ChannelWriter { tx, buf: Vec::with_capacity(1 << 16) }
    }
    /// Ends the body with an error (the client sees a truncated stream).
    pub fn fail(self, e: io::Error) {
        let _ = self.tx.blocking_send(Err(e));
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 1 << 16 {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(1 << 16)));
            self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))?;
        }
        Ok(())
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = io::Write::flush(self);
    }
}

/// A full-body response.
pub fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response {
    let mut r = hyper::Response::new(Full::new(body.into()).map_err(|never| match never {}).boxed());
    *r.status_mut() = status;
    if !content_type.is_empty() {
        r.headers_mut().insert("content-type", HeaderValue::from_str(content_type).expect("content type"));
    }
    r
}

/// A JSON response.
pub fn json<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    let mut b = serde_json::to_vec(v).expect("responses serialise");
    b.push(b'\n');
    full(status, "application/json", b)
}

/// An empty response.
pub fn empty(status: StatusCode) -> Response {
    full(status, "", Bytes::new())
}

/// A streaming response with a body channel.
pub fn streaming(content_type: &str) -> (mpsc::Sender<io::Result<Bytes>>, Response) {
    let (tx, body) = channel_body();
    let mut r = hyper::Response::new(body);
    r.headers_mut().insert("content-type", HeaderValue::from_str(content_type).expect("content type"));
    (tx, r)
}

/// The error response: `{"message": ...}` with the status of its class.
pub fn error_response(e: &Error) -> Response {
    json(crate::error::status_for(e.kind), &api::ErrorResponse { message: e.message.clone() })
}

/// Headers Docker puts on every response.
pub fn common_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert("api-version", HeaderValue::from_static(api::API_VERSION));
    h.insert("docker-experimental", HeaderValue::from_static("false"));
    h.insert("ostype", HeaderValue::from_static("linux"));
    h.insert("server", HeaderValue::from_str(&format!("berth/{} (linux)", api::VERSION)).expect("server header"));
}

/// Decodes `%XX` escapes (and `+` as space when `plus`).
fn decode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes a path.
pub fn percent_decode(s: &str) -> String {
    decode(s, false)
}

/// Parses a query string.
pub fn parse_query(q: &str) -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        m.entry(decode(k, true)).or_default().push(decode(v, true));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = parse_query("filters=%7B%22a%22%3A%5B%22b%22%5D%7D&changes=CMD+x&changes=ENV%20A%3D1&flag");
        assert_eq!(q["filters"], vec![r#"{"a":["b"]}"#]);
        assert_eq!(q["changes"], vec!["CMD x", "ENV A=1"]);
        assert_eq!(q["flag"], vec![""]);
        assert_eq!(percent_decode("/images/a%2Fb/json"), "/images/a/b/json");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
