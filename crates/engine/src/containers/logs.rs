//! `logs`: reading the json-file log (and its rotated files), following it.

use crate::{Engine, Error, Result};
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
    /// Only entries at or after (UNIX nanoseconds).
    pub since: Option<i64>,
    /// Only entries before (UNIX nanoseconds).
    pub until: Option<i64>,
}

struct Entry {
    stream: u8,
    time: i64,
    log: Vec<u8>,
}

fn parse_entry(line: &str) -> Option<Entry> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let time = api::time::parse_rfc3339(v["time"].as_str().unwrap_or("")).map_or(0, |(s, n)| s * 1_000_000_000 + n as i64);
    Some(Entry { stream: if v["stream"] == "stderr" { 2 } else { 1 }, time, log: v["log"].as_str()?.as_bytes().to_vec() })
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
    /// Writes a container's log to `out` (framed unless it has a TTY) until the end, or
    /// with `follow` until the container stops or `gone()` says the client left.
    pub fn container_logs(&self, name: &str, o: &LogOptions, out: &mut dyn Write, gone: &dyn Fn() -> bool) -> Result<()> {
        let c = self.container(name)?;
        let rec = c.rec().clone();
        if rec.host_config.log_config.kind == "none" {
            return Err(Error::invalid("configured logging driver does not support reading"));
        }
        let tty = rec.config.tty == Some(true);
        let path = self.paths(&rec.id).log(&rec.id);
        let max_files = super::lifecycle::log_limits(&rec.host_config).map(|l| l.1).unwrap_or(3);
        let emit = |e: &Entry, out: &mut dyn Write| -> std::io::Result<()> {
            if (e.stream == 1 && !o.stdout) || (e.stream == 2 && !o.stderr) {
                return Ok(());
            }
            if o.since.is_some_and(|s| e.time < s) || o.until.is_some_and(|u| e.time >= u) {
                return Ok(());
            }
            let mut data = Vec::with_capacity(e.log.len() + 40);
            if o.timestamps {
                data.extend_from_slice(api::time::rfc3339_nano_fixed(e.time).as_bytes());
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
                    entries.extend(parse_entry(&line));
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
            entries.extend(whole.lines().filter_map(parse_entry));
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
                    for e in whole.lines().filter_map(parse_entry) {
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
