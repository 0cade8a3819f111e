//! A small blocking HTTP/1.1 GET for `import URL`: `http://` and `https://` (rustls, with
//! the system's trusted certificates; `SSL_CERT_FILE`/`SSL_CERT_DIR` name others).

use crate::{Error, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Opens `url` and returns a reader over the response body (following up to 5 redirects).
pub fn get(url: &str) -> Result<Box<dyn Read + Send>> {
    let mut url = url.to_string();
    for _ in 0..5 {
        let (tls, rest) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
            (Some(r), _) => (false, r.to_string()),
            (_, Some(r)) => (true, r.to_string()),
            _ => return Err(Error::invalid(format!("invalid URL {url:?}: only http:// and https:// are supported"))),
        };
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest.as_str(), "/"),
        };
        let has_port = hostport.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) && !hostport.ends_with(']');
        let addr = if has_port { hostport.to_string() } else { format!("{hostport}:{}", if tls { 443 } else { 80 }) };
        let host = addr.rsplit_once(':').map_or(hostport, |(h, _)| h).trim_start_matches('[').trim_end_matches(']').to_string();
        let fail = |e: std::io::Error| Error::invalid(format!("fetching {url}: {e}"));
        let tcp = TcpStream::connect(&addr).map_err(fail)?;
        tcp.set_read_timeout(Some(Duration::from_secs(300))).map_err(fail)?;
        let mut stream: Box<dyn ReadWrite> = if tls { Box::new(tls_stream(&host, tcp).map_err(|e| Error::invalid(format!("fetching {url}: {e}")))?) } else { Box::new(tcp) };
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: berth/{}\r\nConnection: close\r\n\r\n", api::VERSION).map_err(fail)?;
        stream.flush().map_err(fail)?;
        let mut r = BufReader::new(stream);
        let mut status = String::new();
        r.read_line(&mut status).map_err(fail)?;
        let code: u16 = status.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| Error::invalid(format!("fetching {url}: bad response {status:?}")))?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).map_err(fail)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_lowercase(), v.trim().to_string()));
            }
        }
        let header = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
        if (300..400).contains(&code) {
            let loc = header("location").ok_or_else(|| Error::invalid(format!("fetching {url}: redirect without location")))?;
            url = if loc.starts_with('/') { format!("{}://{hostport}{loc}", if tls { "https" } else { "http" }) } else { loc };
            continue;
        }
        if code != 200 {
            return Err(Error::invalid(format!("fetching {url}: HTTP status {code}")));
        }
        if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
            return Ok(Box::new(Chunked { r, left: 0, done: false }));
        }
        return Ok(match header("content-length").and_then(|l| l.parse::<u64>().ok()) {
            Some(n) => Box::new(r.take(n)),
            None => Box::new(r),
        });
    }
    Err(Error::invalid(format!("fetching {url}: too many redirects")))
}

/// A connection, plain or TLS.
trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

/// A TLS client connection to `host` over `tcp`, verified against the system's roots.
fn tls_stream(host: &str, tcp: TcpStream) -> std::io::Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    use std::sync::{Arc, OnceLock};
    static CONFIG: OnceLock<std::result::Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    let config = CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(format!("no trusted certificates found ({} errors loading them)", found.errors.len()));
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
        .map_err(std::io::Error::other)?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| std::io::Error::other(format!("{host}: {e}")))?;
    let conn = rustls::ClientConnection::new(config, name).map_err(std::io::Error::other)?;
    Ok(rustls::StreamOwned::new(conn, tcp))
}

/// Decodes a chunked body.
struct Chunked<R> {
    r: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.r.read_line(&mut line)?;
            if line.trim().is_empty() {
                line.clear();
                self.r.read_line(&mut line)?;
            }
            let size = line.trim().split(';').next().unwrap_or("");
            self.left = u64::from_str_radix(size, 16).map_err(|_| std::io::Error::other("bad chunk size"))?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf.len().min(self.left as usize);
        let n = self.r.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.left -= n as u64;
        Ok(n)
    }
}
