//! Output helpers that reproduce the Docker CLI's formatting: sizes, durations, times,
//! `--format` templates and tables.

use serde_json::{Map, Value};

/// Go's `%.{prec}g` for a float.
pub fn go_g(v: f64, prec: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let sci = format!("{:.*e}", prec.saturating_sub(1), v);
    let (mant, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent number");
    if exp < -4 || exp >= prec as i32 {
        let mant = trim_zeros(mant);
        format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// go-units `HumanSizeWithPrecision`: decimal units (`4.26MB`).
pub fn human_size_prec(size: f64, prec: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut s = size;
    let mut i = 0;
    while s >= 1000.0 && i < UNITS.len() - 1 {
        s /= 1000.0;
        i += 1;
    }
    format!("{}{}", go_g(s, prec), UNITS[i])
}

/// `docker images` sizes (precision 3).
pub fn human_size(size: i64) -> String {
    human_size_prec(size as f64, 3)
}

/// go-units `HumanDuration`.
pub fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let minutes = secs / 60;
    let hours = (secs as f64 / 3600.0 + 0.5) as i64;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", secs / 3600 / 24 / 365)
    }
}

/// Now, UNIX seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs() as i64
}

/// "2 hours ago".
pub fn since(ts: i64) -> String {
    format!("{} ago", human_duration(now() - ts))
}

/// Go's `time.Time.String()` in UTC: `2006-01-02 15:04:05 +0000 UTC`.
pub fn go_time(ts: i64) -> String {
    let s = rfc3339(ts);
    format!("{} {} +0000 UTC", &s[..10], &s[11..19])
}

/// RFC 3339 (seconds) in UTC.
pub fn rfc3339(ts: i64) -> String {
    api::time::rfc3339(ts, 0)
}

pub use api::time::rfc3339_nano_fixed;

/// Truncates to `n` characters with `…`, as the Docker CLI does.
pub fn ellipsis(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// JSON like Go's `json.MarshalIndent(v, "", "    ")` (HTML characters escaped).
pub fn go_json_indent(v: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(v, &mut ser).expect("json");
    go_escape(&String::from_utf8(buf).expect("utf8"))
}

/// Go's default HTML escaping in JSON strings.
pub fn go_escape(s: &str) -> String {
    s.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// Renders rows with a Docker `--format` (or the given default table).
pub fn render(format: Option<&str>, default: &str, rows: &[Value], headers: &[(&str, &str)]) -> anyhow::Result<String> {
    let f = match format {
        None | Some("") => default,
        Some("table") => default,
        Some("json") => "{{json .}}",
        Some(f) => f,
    };
    let mut h = Map::new();
    for (k, v) in headers {
        h.insert(k.to_string(), Value::String(v.to_string()));
    }
    gotmpl::format_rows(f, rows, &Value::Object(h)).map_err(|e| anyhow::anyhow!("template parsing error: {e}"))
}

/// Executes a template once per item (`inspect -f`, `version --format`).
pub fn template_each(format: &str, items: &[Value]) -> anyhow::Result<String> {
    let f = if format == "json" { "{{json .}}" } else { format };
    let t = gotmpl::Template::parse(f).map_err(|e| anyhow::anyhow!("template parsing error: {e}"))?;
    let mut out = String::new();
    for i in items {
        out.push_str(&t.execute(i).map_err(|e| anyhow::anyhow!("{e}"))?);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_go_units() {
        assert_eq!(human_size(4_261_000), "4.26MB");
        assert_eq!(human_size(1_982_357), "1.98MB");
        assert_eq!(human_size(1000), "1kB");
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(123), "123B");
        assert_eq!(human_size_prec(1_982_357.0, 4), "1.982MB");
        assert_eq!(human_size(1_234_567_890), "1.23GB");
    }

    #[test]
    fn durations_like_go_units() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(45), "45 seconds");
        assert_eq!(human_duration(90), "About a minute");
        assert_eq!(human_duration(3 * 3600), "3 hours");
        assert_eq!(human_duration(10 * 86400), "10 days");
        assert_eq!(human_duration(800 * 86400), "2 years");
    }

    #[test]
    fn times() {
        assert_eq!(go_time(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(ellipsis("abcdef", 4), "abc…");
    }
}
