//! Docker's json-file log format, with rotation: one JSON object per line,
//! `{"log":"...\n","stream":"stdout","time":"..."}`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

/// Longest line kept whole; longer output is split into entries without a newline.
const MAX_LINE: usize = 16 * 1024;

/// Writes a container's log file and rotates it.
pub struct JsonLog {
    path: PathBuf,
    file: Option<File>,
    size: u64,
    max_size: u64,
    max_files: u32,
    partial: [Vec<u8>; 2],
    /// `"attrs":{...},` written between `stream` and `time` (empty without attributes),
    /// as Docker's json-file driver does.
    attrs: Vec<u8>,
}

/// Appends `s` JSON-escaped to `out`.
pub fn escape_into(out: &mut Vec<u8>, s: &[u8]) {
    let text = String::from_utf8_lossy(s);
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '<' => out.extend_from_slice(b"\\u003c"),
            '>' => out.extend_from_slice(b"\\u003e"),
            '&' => out.extend_from_slice(b"\\u0026"),
            c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
}

impl JsonLog {
    /// Opens (appends to) the log at `path`; `max_size` 0 means no rotation. `attrs` (string
    /// values) go with every line.
    pub fn open(path: PathBuf, max_size: u64, max_files: u32, attrs: &serde_json::Map<String, serde_json::Value>) -> std::io::Result<JsonLog> {
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        let mut fragment = Vec::new();
        if !attrs.is_empty() {
            let mut sorted: Vec<(&String, &serde_json::Value)> = attrs.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            fragment.extend_from_slice(b"\"attrs\":{");
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    fragment.push(b',');
                }
                fragment.push(b'"');
                escape_into(&mut fragment, k.as_bytes());
                fragment.extend_from_slice(b"\":\"");
                escape_into(&mut fragment, v.as_str().unwrap_or("").as_bytes());
                fragment.push(b'"');
            }
            fragment.extend_from_slice(b"},");
        }
        Ok(JsonLog { path, file: Some(file), size, max_size, max_files: max_files.max(1), partial: [Vec::new(), Vec::new()], attrs: fragment })
    }

    /// Adds output of stream 1 (stdout) or 2 (stderr).
    pub fn write(&mut self, stream: u8, data: &[u8]) {
        let idx = (stream.clamp(1, 2) - 1) as usize;
        let mut buf = std::mem::take(&mut self.partial[idx]);
        buf.extend_from_slice(data);
        let mut start = 0;
        while let Some(pos) = buf[start..].iter().position(|&b| b == b'\n') {
            let end = start + pos + 1;
            self.entry(stream, &buf[start..end]);
            start = end;
        }
        while buf.len() - start >= MAX_LINE {
            self.entry(stream, &buf[start..start + MAX_LINE]);
            start += MAX_LINE;
        }
        self.partial[idx] = buf[start..].to_vec();
    }

    /// Writes out partial lines (at exit).
    pub fn flush(&mut self) {
        for idx in 0..2 {
            let p = std::mem::take(&mut self.partial[idx]);
            if !p.is_empty() {
                self.entry(idx as u8 + 1, &p);
            }
        }
    }

    fn entry(&mut self, stream: u8, line: &[u8]) {
        let mut e = Vec::with_capacity(line.len() + 80);
        e.extend_from_slice(b"{\"log\":\"");
        escape_into(&mut e, line);
        e.extend_from_slice(if stream == 2 { b"\",\"stream\":\"stderr\"," } else { b"\",\"stream\":\"stdout\"," });
        e.extend_from_slice(&self.attrs);
        e.extend_from_slice(b"\"time\":\"");
        let now = api::time::now_nanos();
        e.extend_from_slice(api::time::rfc3339((now / 1_000_000_000) as i64, (now % 1_000_000_000) as u32).as_bytes());
        e.extend_from_slice(b"\"}\n");
        if self.max_size > 0 && self.size + e.len() as u64 > self.max_size && self.size > 0 {
            self.rotate();
        }
        if let Some(f) = self.file.as_mut() {
            if f.write_all(&e).is_ok() {
                self.size += e.len() as u64;
            }
        }
    }

    fn rotate(&mut self) {
        self.file = None;
        if self.max_files <= 1 {
            let _ = std::fs::remove_file(&self.path);
        } else {
            let name = |n: u32| PathBuf::from(format!("{}.{n}", self.path.display()));
            let _ = std::fs::remove_file(name(self.max_files - 1));
            for n in (1..self.max_files - 1).rev() {
                let _ = std::fs::rename(name(n), name(n + 1));
            }
            let _ = std::fs::rename(&self.path, name(1));
        }
        self.file = OpenOptions::new().create(true).append(true).open(&self.path).ok();
        self.size = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_partials_and_rotation() {
        let dir = std::env::temp_dir().join(format!("berth-shim-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c-json.log");
        let mut log = JsonLog::open(path.clone(), 300, 3, &serde_json::Map::new()).unwrap();
        log.write(1, b"hello \"wor");
        log.write(1, b"ld\"\nsecond");
        log.write(2, b"err\n");
        log.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with(r#"{"log":"hello \"world\"\n","stream":"stdout","time":""#), "{}", lines[0]);
        assert!(lines[1].starts_with(r#"{"log":"err\n","stream":"stderr""#));
        assert!(lines[2].starts_with(r#"{"log":"second","stream":"stdout""#));
        for i in 0..20 {
            log.write(1, format!("line {i}\n").as_bytes());
        }
        assert!(std::fs::metadata(&path).unwrap().len() <= 300);
        assert!(dir.join("c-json.log.1").exists() && dir.join("c-json.log.2").exists());
        assert!(!dir.join("c-json.log.3").exists(), "max-file bounds the files");
        let last = std::fs::read_to_string(&path).unwrap();
        assert!(last.contains("line 19"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn attributes_go_with_every_line_as_dockers_driver_writes_them() {
        let dir = std::env::temp_dir().join(format!("berth-shim-attrs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c-json.log");
        let attrs = serde_json::json!({"tier": "front", "a": "x\"y"});
        let mut log = JsonLog::open(path.clone(), 0, 1, attrs.as_object().unwrap()).unwrap();
        log.write(2, b"boom\n");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(r#"{"log":"boom\n","stream":"stderr","attrs":{"a":"x\"y","tier":"front"},"time":"20"#), "{text}");
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["attrs"]["a"], "x\"y");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
