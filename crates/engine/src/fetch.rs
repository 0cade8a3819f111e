//! A small blocking HTTP/1.1 GET for `import URL` (plain `http://`; `https://` arrives with
//! the registry client's TLS).

use crate::{Error, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Opens `url` and returns a reader over the response body (following up to 5 redirects).
pub fn get(url: &str) -> Result<Box<dyn Read + Send>> {
    let mut url = url.to_string();
    for _ in 0..5 {
        let rest = match url.strip_prefix("http://") {
            Some(r) => r.to_string(),
            None if url.starts_with("https://") => {
                return Err(Error::new(crate::ErrorKind::NotImplemented, format!("importing from {url}: https URLs are not supported yet; download the file and import it from stdin")))
            }
            None => return Err(Error::invalid(format!("invalid URL {url:?}: only http:// is supported"))),
        };
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest.as_str(), "/"),
        };
        let addr = if hostport.contains(':') && !hostport.ends_with(']') { hostport.to_string() } else { format!("{hostport}:80") };
        let fail = |e: std::io::Error| Error::invalid(format!("fetching {url}: {e}"));
        let stream = TcpStream::connect(&addr).map_err(fail)?;
        stream.set_read_timeout(Some(Duration::from_secs(300))).map_err(fail)?;
        let mut w = stream.try_clone().map_err(fail)?;
        write!(w, "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: berth/{}\r\nConnection: close\r\n\r\n", api::VERSION).map_err(fail)?;
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
            url = if loc.starts_with('/') { format!("http://{hostport}{loc}") } else { loc };
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
