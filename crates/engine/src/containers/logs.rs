//! `logs`: reading the json-file log (and its rotated files), following it.

use crate::{Engine, Error, Result};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

/// Options of `GET /containers/{id}/logs`.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// Include stdout.
    pub stdout: bool,
    /// Include stderr.
    pub stderr: bool,
    /// Keep streaming.
    pub follow: bool,
    /// Only the last N lines (`None`: all).
    pub tail: Option<usize>,
    /// Prefix each line with its time.
    pub timestamps: bool,
    /// Prefix each line with its attributes (`--details`: the labels and environment
    /// variables named by the `labels`, `labels-regex`, `env` and `env-regex` log options).
    pub details: bool,
    /// Only entries at or after (UNIX nanoseconds).
    pub since: Option<i64>,
    /// Only entries before (UNIX nanoseconds).
    pub until: Option<i64>,
}

struct Entry {
    stream: u8,
    time: i64,
    log: Vec<u8>,
    /// `k=v,k2=v2` (query-escaped, sorted by key), as dockerd prints them with `--details`.
    attrs: String,
}

/// One line of the log; its attributes are kept only when `details` asks for them.
fn parse_entry(line: &str, details: bool) -> Option<Entry> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let time = api::time::parse_rfc3339(v["time"].as_str().unwrap_or("")).map_or(0, |(s, n)| s * 1_000_000_000 + n as i64);
    let mut attrs = String::new();
    if details {
        let mut pairs: Vec<(&String, &str)> = v["attrs"].as_object().into_iter().flatten().map(|(k, v)| (k, v.as_str().unwrap_or(""))).collect();
        pairs.sort();
        attrs = pairs.iter().map(|(k, v)| format!("{}={}", gotmpl::query_escape(k), gotmpl::query_escape(v))).collect::<Vec<_>>().join(",");
    }
    Some(Entry { stream: if v["stream"] == "stderr" { 2 } else { 1 }, time, log: v["log"].as_str()?.as_bytes().to_vec(), attrs })
}

/// The `tag` log option rendered (a Go template over the container's `ID`, `FullID`,
/// `Name`, `ImageID`, `ImageFullID`, `ImageName`, `DaemonName` and `Command`), as the
/// json-file driver records it; `None` without the option. With `fields` null the template
/// is only checked.
pub(crate) fn log_tag(log_opts: &BTreeMap<String, String>, fields: &serde_json::Value) -> Result<Option<String>> {
    let Some(src) = log_opts.get("tag").filter(|t| !t.is_empty()) else { return Ok(None) };
    let t = gotmpl::Template::parse(src).map_err(|e| Error::invalid(format!("invalid tag log option {src:?}: {e}")))?;
    if fields.is_null() {
        return Ok(None);
    }
    t.execute(fields).map(Some).map_err(|e| Error::invalid(format!("invalid tag log option {src:?}: {e}")))
}

/// The attributes the json-file driver records with every line (dockerd's
/// `Info.ExtraAttributes`): the container's labels named in the `labels` option or
/// matching `labels-regex`, and its environment variables named in `env` or matching
/// `env-regex`.
pub(crate) fn log_attrs(log_opts: &BTreeMap<String, String>, labels: &BTreeMap<String, String>, env: &[String]) -> Result<BTreeMap<String, String>> {
    let regex = |key: &str| -> Result<Option<regex::Regex>> {
        match log_opts.get(key).filter(|v| !v.is_empty()) {
            Some(r) => regex::Regex::new(r).map(Some).map_err(|e| Error::invalid(format!("invalid {key} log option {r:?}: {e}"))),
            None => Ok(None),
        }
    };
    let named = |key: &str| -> Vec<&str> { log_opts.get(key).map(|v| v.split(',').filter(|n| !n.is_empty()).collect()).unwrap_or_default() };
    let env: BTreeMap<&str, &str> = env.iter().filter_map(|e| e.split_once('=')).collect();
    let mut out = BTreeMap::new();
    for (opt, re_opt, source) in [("labels", "labels-regex", labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<BTreeMap<_, _>>()), ("env", "env-regex", env)] {
        for n in named(opt) {
            if let Some(v) = source.get(n) {
                out.insert(n.to_string(), v.to_string());
            }
        }
        if let Some(re) = regex(re_opt)? {
            out.extend(source.iter().filter(|(k, _)| re.is_match(k)).map(|(k, v)| (k.to_string(), v.to_string())));
        }
    }
    Ok(out)
}

/// Parses a `since`/`until` query value: UNIX seconds with optional fraction, RFC 3339,
/// or a duration before now; 0 or empty is none.
pub fn parse_log_time(s: &str) -> Result<Option<i64>> {
    if s.is_empty() || s == "0" {
        return Ok(None);
    }
    if let Some((secs, frac)) = s.split_once('.') {
        if let (Ok(a), true) = (secs.parse::<i64>(), frac.chars().all(|c| c.is_ascii_digit())) {
            let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
            return Ok(Some(a * 1_000_000_000 + digits.parse::<i64>().unwrap_or(0)));
        }
    }
    Ok(Some(crate::images::parse_time_arg(s)? * 1_000_000_000))
}

impl Engine {
    /// Fails as dockerd does (501) for a container whose driver keeps no log; whether the
    /// container has a TTY.
    pub fn check_container_logs(&self, name: &str) -> Result<bool> {
        let c = self.container(name)?;
        let rec = c.rec();
        if rec.host_config.log_config.kind == "none" {
            return Err(Error::new(crate::ErrorKind::NotImplemented, "configured logging driver does not support reading"));
        }
        Ok(rec.config.tty == Some(true))
    }

    /// Writes a container's log to `out` (framed unless it has a TTY) until the end, or
    /// with `follow` until the container stops or `gone()` says the client left.
    pub fn container_logs(&self, name: &str, o: &LogOptions, out: &mut dyn Write, gone: &dyn Fn() -> bool) -> Result<()> {
        let tty = self.check_container_logs(name)?;
        let c = self.container(name)?;
        let rec = c.rec().clone();
        let path = self.paths(&rec.id).log(&rec.id);
        let max_files = super::lifecycle::log_limits(&rec.host_config.log_config.config).map(|l| l.1).unwrap_or(3);
        let emit = |e: &Entry, out: &mut dyn Write| -> std::io::Result<()> {
            if (e.stream == 1 && !o.stdout) || (e.stream == 2 && !o.stderr) {
                return Ok(());
            }
            if o.since.is_some_and(|s| e.time < s) || o.until.is_some_and(|u| e.time >= u) {
                return Ok(());
            }
            let mut data = Vec::with_capacity(e.log.len() + e.attrs.len() + 40);
            if o.timestamps {
                data.extend_from_slice(api::time::rfc3339_nano_fixed(e.time).as_bytes());
                data.push(b' ');
            }
            if o.details {
                data.extend_from_slice(e.attrs.as_bytes());
                data.push(b' ');
            }
            data.extend_from_slice(&e.log);
            if tty {
                out.write_all(&data)
            } else {
                out.write_all(&api::container::frame(e.stream, &data))
            }
        };
        // Everything written so far, oldest file first.
        let mut entries = Vec::new();
        for n in (1..max_files).rev() {
            let p = std::path::PathBuf::from(format!("{}.{n}", path.display()));
            if let Ok(f) = File::open(&p) {
                for line in BufReader::new(f).lines().map_while(|l| l.ok()) {
                    entries.extend(parse_entry(&line, o.details));
                }
            }
        }
        let mut file = File::open(&path).ok();
        let mut pos = 0u64;
        let mut ino = 0u64;
        let mut partial = String::new();
        if let Some(f) = file.as_mut() {
            ino = f.metadata().map(|m| m.ino()).unwrap_or(0);
            let mut text = String::new();
            f.read_to_string(&mut text).map_err(|e| Error::internal(format!("reading the log: {e}")))?;
            pos = text.len() as u64;
            let (whole, rest) = match text.rfind('\n') {
                Some(i) => text.split_at(i + 1),
                None => ("", text.as_str()),
            };
            partial = rest.to_string();
            entries.extend(whole.lines().filter_map(|l| parse_entry(l, o.details)));
        }
        let start = o.tail.map_or(0, |t| entries.len().saturating_sub(t));
        let io = |e: std::io::Error| Error::internal(format!("writing logs: {e}"));
        for e in &entries[start..] {
            emit(e, out).map_err(io)?;
        }
        out.flush().map_err(io)?;
        if !o.follow {
            return Ok(());
        }
        loop {
            let running = matches!(c.rec().state.status.as_str(), "running" | "paused" | "restarting" | "created");
            // Rotation: finish the old file, then continue with the new one from its start.
            let cur_ino = std::fs::metadata(&path).map(|m| m.ino()).unwrap_or(0);
            let mut chunk = String::new();
            if let Some(f) = file.as_mut() {
                f.seek(SeekFrom::Start(pos)).ok();
                let n = f.read_to_string(&mut chunk).unwrap_or(0);
                pos += n as u64;
            }
            if cur_ino != ino && cur_ino != 0 {
                file = File::open(&path).ok();
                ino = cur_ino;
                pos = 0;
            }
            if !chunk.is_empty() {
                partial.push_str(&chunk);
                if let Some(i) = partial.rfind('\n') {
                    let whole: String = partial.drain(..=i).collect();
                    for e in whole.lines().filter_map(|l| parse_entry(l, o.details)) {
                        if o.until.is_some_and(|u| e.time >= u) {
                            return Ok(());
                        }
                        emit(&e, out).map_err(io)?;
                    }
                    out.flush().map_err(io)?;
                }
                continue;
            }
            if file.is_none() {
                file = File::open(&path).ok();
                if let Some(f) = &file {
                    ino = f.metadata().map(|m| m.ino()).unwrap_or(0);
                    pos = 0;
                }
            }
            if !running || gone() || self.container(&rec.id).is_err() || o.until.is_some_and(|u| api::time::now_nanos() >= u) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_come_from_the_labels_and_env_the_options_name() {
        let opts: BTreeMap<String, String> = [("labels", "tier,nope"), ("env-regex", "^APP_"), ("max-size", "1m")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let labels: BTreeMap<String, String> = [("tier", "front"), ("other", "x")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let env = vec!["APP_MODE=a b".to_string(), "PATH=/bin".to_string()];
        let a = log_attrs(&opts, &labels, &env).unwrap();
        assert_eq!(a.into_iter().collect::<Vec<_>>(), vec![("APP_MODE".to_string(), "a b".to_string()), ("tier".to_string(), "front".to_string())]);
        let bad: BTreeMap<String, String> = [("labels-regex".to_string(), "(".to_string())].into();
        assert!(log_attrs(&bad, &labels, &env).unwrap_err().message.contains("labels-regex"));
    }

    #[test]
    fn details_are_sorted_and_escaped_like_dockerd() {
        let e = parse_entry(r#"{"log":"hi\n","stream":"stdout","attrs":{"z":"1","a":"x y&"},"time":"2026-01-02T03:04:05.000000006Z"}"#, true).unwrap();
        assert_eq!(e.attrs, "a=x+y%26,z=1");
        assert_eq!((e.stream, e.log.as_slice()), (1, &b"hi\n"[..]));
        assert_eq!(parse_entry(r#"{"log":"x","stream":"stderr","time":"2026-01-02T03:04:05Z"}"#, true).unwrap().attrs, "");
        let fields = serde_json::json!({"ID": "0123456789ab", "Name": "web"});
        let opts: BTreeMap<String, String> = [("tag".to_string(), "{{.Name}}/{{.ID}}".to_string())].into();
        assert_eq!(log_tag(&opts, &fields).unwrap().as_deref(), Some("web/0123456789ab"));
        assert_eq!(log_tag(&BTreeMap::new(), &fields).unwrap(), None);
    }
}
