//! Image references (`[domain/]path[:tag][@digest]`), parsed and normalised the way Docker's
//! `distribution/reference` package does: `busybox` is `docker.io/library/busybox`, shown back
//! in its familiar form.

use crate::digest::Digest;
use crate::error::Error;
use std::fmt;

/// The registry assumed when a reference names none.
pub const DEFAULT_DOMAIN: &str = "docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const MAX_NAME: usize = 255;

/// A parsed, normalised reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

fn bad(s: &str) -> Error {
    Error::invalid(format!("invalid reference format: {s:?}"))
}

fn valid_path_component(c: &str) -> bool {
    // [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn valid_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || d.starts_with('[') => (h, Some(p)),
        _ => (d, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !v6.is_empty() && v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    }
    !host.is_empty()
        && host.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
        })
}

/// Whether `t` is a valid tag: `[\w][\w.-]{0,127}`.
pub fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'_' || x == b'.' || x == b'-')
}

impl Reference {
    /// Parses a reference as a user types it, normalising it.
    pub fn parse(s: &str) -> Result<Reference, Error> {
        if s.is_empty() {
            return Err(Error::invalid("invalid reference format: empty reference"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(Digest::parse(d).map_err(|_| bad(s))?)),
            None => (s, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(rest[last_slash + i + 1..].to_string())),
            None => (rest, None),
        };
        if let Some(t) = &tag {
            if !valid_tag(t) {
                return Err(bad(s));
            }
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, remainder))
                if first.contains(['.', ':']) || first == "localhost" || first.to_lowercase() != first =>
            {
                (first.to_string(), remainder.to_string())
            }
            _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
        };
        let domain = if domain == "index.docker.io" { DEFAULT_DOMAIN.to_string() } else { domain };
        if path.to_lowercase() != path {
            return Err(Error::invalid(format!("invalid reference format: repository name ({path}) must be lowercase")));
        }
        if !valid_domain(&domain) || path.split('/').any(|c| !valid_path_component(c)) {
            return Err(bad(s));
        }
        let path = if domain == DEFAULT_DOMAIN && !path.contains('/') { format!("{OFFICIAL_PREFIX}{path}") } else { path };
        if domain.len() + 1 + path.len() > MAX_NAME {
            return Err(Error::invalid(format!("invalid reference format: repository name must not be more than {MAX_NAME} characters")));
        }
        let familiar = path.strip_prefix(OFFICIAL_PREFIX).unwrap_or(&path);
        if domain == DEFAULT_DOMAIN && familiar.len() == 64 && familiar.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid(format!(
                "invalid repository name ({familiar}), cannot specify 64-byte hexadecimal strings"
            )));
        }
        Ok(Reference { domain, path, tag, digest })
    }

    /// Parses and adds the `latest` tag when neither tag nor digest is given.
    pub fn parse_tagged(s: &str) -> Result<Reference, Error> {
        let mut r = Reference::parse(s)?;
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some("latest".into());
        }
        Ok(r)
    }

    /// Registry host (`docker.io`, `localhost:5000`).
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// Repository path within the registry (`library/busybox`).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }
    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// Full repository name (`docker.io/library/busybox`).
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// Repository name as users write it (`busybox`, `me/app`, `localhost:5000/app`).
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            self.path.strip_prefix(OFFICIAL_PREFIX).unwrap_or(&self.path).to_string()
        } else {
            self.name()
        }
    }

    /// The same repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Result<Reference, Error> {
        if !valid_tag(tag) {
            return Err(Error::invalid(format!("invalid tag format: {tag:?}")));
        }
        Ok(Reference { tag: Some(tag.into()), digest: None, ..self.clone() })
    }

    /// The same repository with a digest (and no tag).
    pub fn with_digest(&self, d: Digest) -> Reference {
        Reference { tag: None, digest: Some(d), ..self.clone() }
    }

    /// The familiar form with tag and digest (`busybox:latest`).
    pub fn familiar(&self) -> String {
        let mut s = self.familiar_name();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(&d.to_string());
        }
        s
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Go's `path.Match` (`*`, `?`, `[...]`; `*` does not cross `/`), used by reference filters.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    fn m(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).take_while(|&i| i == 0 || n[i - 1] != '/').any(|i| m(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && n[0] != '/' && m(&p[1..], &n[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|&c| c == ']') else { return false };
                if n.is_empty() || n[0] == '/' {
                    return false;
                }
                let (neg, set) = match p[1] {
                    '^' => (true, &p[2..end]),
                    _ => (false, &p[1..end]),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= n[0] && n[0] <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == n[0];
                        i += 1;
                    }
                }
                hit != neg && m(&p[end + 1..], &n[1..])
            }
            Some('\\') if p.len() > 1 => !n.is_empty() && n[0] == p[1] && m(&p[2..], &n[1..]),
            Some(&c) => !n.is_empty() && n[0] == c && m(&p[1..], &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    m(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_docker() {
        let r = Reference::parse_tagged("busybox").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/busybox:latest");
        assert_eq!(r.familiar(), "busybox:latest");
        let r = Reference::parse("localhost:5000/a/b:v1").unwrap();
        assert_eq!((r.domain(), r.path(), r.tag()), ("localhost:5000", "a/b", Some("v1")));
        assert_eq!(r.familiar(), "localhost:5000/a/b:v1");
        assert_eq!(Reference::parse("me/app").unwrap().familiar_name(), "me/app");
        assert_eq!(Reference::parse("index.docker.io/library/x").unwrap().familiar_name(), "x");
        let d = format!("busybox@sha256:{}", "a".repeat(64));
        assert_eq!(Reference::parse(&d).unwrap().familiar(), d);
    }

    #[test]
    fn rejects_what_docker_rejects() {
        for s in ["", "Busybox", "a:b:c", "a::b", "-a", "a/-b", "a:", ":tag", "a b", "x:" , "a@sha256:12"] {
            assert!(Reference::parse(s).is_err(), "{s:?} should be rejected");
        }
        assert!(Reference::parse(&"a".repeat(64)).unwrap_err().to_string().contains("64-byte"));
        assert!(Reference::parse("Busybox").unwrap_err().to_string().contains("lowercase"));
        assert!(Reference::parse(&format!("a:{}", "t".repeat(129))).is_err());
        assert!(Reference::parse("a__b/c-d.e/f---g:T_1.x-y").is_ok());
    }

    #[test]
    fn glob_is_go_path_match() {
        assert!(glob_match("busy*", "busybox"));
        assert!(glob_match("busybox:l*", "busybox:latest"));
        assert!(!glob_match("*", "me/app"));
        assert!(glob_match("*/*", "me/app"));
        assert!(glob_match("b[a-u]sy?ox", "busybox"));
        assert!(!glob_match("b[^u]sybox", "busybox"));
    }
}
