//! Parsers for container flag values, each following the Docker CLI's own parser (named in
//! its doc comment) so that values, defaults and error messages match.

use api::container::{DeviceMapping, Mount, PortBinding, RestartPolicy, Ulimit};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// go-units `RAMInBytes`: `512m`, `1g`, `1.5GiB`, `100` (bytes); binary units, any case.
pub fn ram_in_bytes(s: &str) -> Result<i64, String> {
    let sep = s.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ');
    let Some(sep) = sep else {
        return Err(format!("invalid size: '{s}'"));
    };
    let (num, sfx) = if s.as_bytes()[sep] != b' ' { (&s[..=sep], &s[sep + 1..]) } else { (&s[..sep], &s[sep + 1..]) };
    let size: f64 = num.parse().map_err(|_| format!("strconv.ParseFloat: parsing {num:?}: invalid syntax"))?;
    if size < 0.0 {
        return Err(format!("invalid size: '{s}'"));
    }
    if sfx.is_empty() {
        return Ok(size as i64);
    }
    let bad = |x: &str| Err(format!("invalid suffix: '{x}'"));
    if sfx.len() > 3 {
        return bad(sfx);
    }
    let low = sfx.to_lowercase();
    let b = low.as_bytes();
    if b[0] == b'b' {
        return if b.len() > 1 { bad(&low) } else { Ok(size as i64) };
    }
    let mul: f64 = match b[0] {
        b'k' => 1024.0,
        b'm' => 1024.0 * 1024.0,
        b'g' => 1024.0 * 1024.0 * 1024.0,
        b't' => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        b'p' => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return bad(&low),
    };
    if (b.len() == 2 && b[1] != b'b') || (b.len() == 3 && &low[1..] != "ib") {
        return bad(&low);
    }
    Ok((size * mul) as i64)
}

/// `--memory-swap`: a size, or `-1` for unlimited swap.
pub fn mem_swap_bytes(s: &str) -> Result<i64, String> {
    if s == "-1" {
        Ok(-1)
    } else {
        ram_in_bytes(s)
    }
}

/// `--cpus`: a decimal number of CPUs, as nano-CPUs (`1.5` → 1500000000).
pub fn nano_cpus(s: &str) -> Result<i64, String> {
    let bad = || format!("failed to parse {s} as a rational number");
    let (neg, t) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if (int.is_empty() && frac.is_empty()) || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let frac_trim = frac.trim_end_matches('0');
    if frac_trim.len() > 9 {
        return Err("value is too precise".into());
    }
    let i: i64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| bad())? };
    let f: i64 = format!("{frac_trim:0<9}").parse().map_err(|_| bad())?;
    let v = i.checked_mul(1_000_000_000).and_then(|v| v.checked_add(f)).ok_or_else(bad)?;
    Ok(if neg { -v } else { v })
}

/// Go's `time.ParseDuration`, in nanoseconds (`1m30s`, `1.5h`, `300ms`, `0`).
pub fn go_duration(s: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration \"{s}\"");
    let mut rest = s;
    let mut neg = false;
    if let Some(r) = rest.strip_prefix('-') {
        neg = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let int_part = &rest[..digits];
        rest = &rest[digits..];
        let mut frac_part = "";
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            frac_part = &r[..n];
            rest = &r[n..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = rest.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration \"{s}\""));
        }
        let mult: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(format!("time: unknown unit \"{unit}\" in duration \"{s}\"")),
        };
        let iv: u128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| invalid())? };
        total += iv * mult;
        if !frac_part.is_empty() {
            let digits = &frac_part[..frac_part.len().min(20)];
            let fv: u128 = digits.parse().map_err(|_| invalid())?;
            total += fv * mult / 10u128.pow(digits.len() as u32);
        }
        if total > i64::MAX as u128 {
            return Err(invalid());
        }
    }
    let v = total as i64;
    Ok(if neg { -v } else { v })
}

/// Docker's `opts.ParseRestartPolicy`: `no`, `always`, `unless-stopped`, `on-failure[:N]`.
/// The policy name is checked by the daemon, as with Docker.
pub fn restart_policy(s: &str) -> Result<RestartPolicy, String> {
    if s.is_empty() {
        return Ok(RestartPolicy::default());
    }
    let (name, count) = match s.split_once(':') {
        Some(("", _)) => return Err("invalid restart policy format: no policy provided before colon".into()),
        Some((n, c)) => (n, c),
        None => (s, ""),
    };
    let mut p = RestartPolicy { name: name.to_string(), maximum_retry_count: 0 };
    if !count.is_empty() {
        p.maximum_retry_count = count.parse().map_err(|_| "invalid restart policy format: maximum retry count must be an integer".to_string())?;
    }
    Ok(p)
}

/// nat's `SplitProtoPort`: `80/udp` → (`udp`, `80`); the protocol defaults to `tcp`.
fn split_proto_port(raw: &str) -> (String, String) {
    let parts: Vec<&str> = raw.split('/').collect();
    if raw.is_empty() || parts[0].is_empty() {
        return (String::new(), String::new());
    }
    if parts.len() == 1 || parts[1].is_empty() {
        return ("tcp".into(), parts[0].into());
    }
    (parts[1].into(), parts[0].into())
}

/// nat's `ParsePortRange`: `80` or `8000-8010`.
fn port_range(s: &str) -> Result<(u16, u16), String> {
    if s.is_empty() {
        return Err("empty string specified for ports".into());
    }
    let p = |x: &str| x.parse::<u16>().map_err(|_| format!("strconv.ParseUint: parsing {x:?}: invalid syntax"));
    match s.split_once('-') {
        None => {
            let v = p(s)?;
            Ok((v, v))
        }
        Some((a, b)) => {
            let (a, b) = (p(a)?, p(b)?);
            if b < a {
                return Err(format!("invalid range specified for port: {s}"));
            }
            Ok((a, b))
        }
    }
}

/// The long `-p` syntax (`target=80,published=8080,protocol=udp,host_ip=…`) as the short one.
fn port_long_syntax(v: &str) -> Result<String, String> {
    let (mut ip, mut published, mut target, mut proto) = (String::new(), String::new(), String::new(), "tcp".to_string());
    for field in v.split(',') {
        let (k, val) = field.split_once('=').ok_or_else(|| format!("invalid field {field}"))?;
        match k.to_lowercase().as_str() {
            "protocol" => proto = val.into(),
            "target" => target = val.into(),
            "published" => published = val.into(),
            "host_ip" => ip = val.into(),
            "mode" => {
                if val != "ingress" && val != "host" {
                    return Err(format!("invalid publish mode value ({val}); must be either 'ingress' or 'host'"));
                }
            }
            _ => return Err(format!("invalid field key {k}")),
        }
    }
    if target.is_empty() {
        return Err("missing mandatory field 'target'".into());
    }
    let host = if ip.contains(':') { format!("[{ip}]") } else { ip };
    Ok(match (host.is_empty(), published.is_empty()) {
        (true, true) => format!("{target}/{proto}"),
        (true, false) => format!("{published}:{target}/{proto}"),
        (false, _) => format!("{host}:{published}:{target}/{proto}"),
    })
}

/// nat's `ParsePortSpec` (`-p`): `80`, `8080:80`, `127.0.0.1:8080:80/udp`, `[::1]:80:80`,
/// `8000-8002:80-82`, `8000-8010:80`. Yields (`80/tcp`, binding) pairs.
pub fn port_spec(raw: &str) -> Result<Vec<(String, PortBinding)>, String> {
    let raw = if raw.contains('=') { port_long_syntax(raw)? } else { raw.to_string() };
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let (mut ip, host_port, container) = match n {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        3 => (parts[0].to_string(), parts[1], parts[2]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    };
    let (proto, container) = split_proto_port(container);
    if ip.starts_with('[') {
        match ip.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            Some(inner) => ip = inner.to_string(),
            None => return Err(format!("invalid IP address {ip}")),
        }
    }
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let (start, end) = port_range(&container).map_err(|_| format!("invalid containerPort: {container}"))?;
    let (mut hstart, mut hend) = (0u16, 0u16);
    if !host_port.is_empty() {
        (hstart, hend) = port_range(host_port).map_err(|_| format!("invalid hostPort: {host_port}"))?;
    }
    if !host_port.is_empty() && (end - start) != (hend - hstart) && end != start {
        return Err(format!("invalid ranges specified for container and host Ports: {container} and {host_port}"));
    }
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let mut out = Vec::new();
    for i in 0..=(end - start) {
        let mut hp = String::new();
        if !host_port.is_empty() {
            hp = (u32::from(hstart) + u32::from(i)).to_string();
        }
        if start == end && hstart != hend {
            hp = format!("{hp}-{hend}");
        }
        out.push((format!("{}/{proto}", start + i), PortBinding { host_ip: ip.clone(), host_port: hp }));
    }
    Ok(out)
}

/// `--expose`: `7000`, `7000-7002/udp`. Yields port keys (`7000/tcp`).
pub fn expose_spec(e: &str) -> Result<Vec<String>, String> {
    if e.contains(':') {
        return Err(format!("invalid port format for --expose: {e}"));
    }
    let (proto, port) = split_proto_port(e);
    let (start, end) = port_range(&port).map_err(|err| format!("invalid range format for --expose: {e}, error: {err}"))?;
    Ok((start..=end).map(|p| format!("{p}/{proto}")).collect())
}

/// Docker's `parseKeyValueFile` (`--env-file`, `--label-file`): `KEY=value` lines, `#`
/// comments, and bare `KEY` lines resolved with `lookup` (dropped when it yields nothing).
pub fn parse_kv_file(content: &str, path: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, raw) in content.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let raw = if i == 0 { raw.strip_prefix('\u{feff}').unwrap_or(raw) } else { raw };
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (var, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line, None),
        };
        let var = var.trim_start_matches([' ', '\t']);
        if var.contains([' ', '\t']) {
            return Err(format!("variable '{var}' contains whitespaces"));
        }
        if var.is_empty() {
            return Err(format!("no variable name on line '{line}'"));
        }
        match value {
            Some(v) => out.push(format!("{var}={v}")),
            None => {
                if let Some(v) = lookup(var) {
                    out.push(format!("{}={v}", var.trim()));
                }
            }
        }
    }
    let _ = path;
    Ok(out)
}

/// Reads an env or label file; `env` resolves bare names from our environment.
pub fn read_kv_file(path: &str, env: bool) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("open {path}: {}", crate::commands::opts::io_msg(&e)))?;
    let content = String::from_utf8(bytes).map_err(|_| format!("env file {path} contains invalid utf8 bytes"))?;
    let lookup: &dyn Fn(&str) -> Option<String> = if env { &|k| std::env::var(k).ok() } else { &|_| None };
    parse_kv_file(&content, path, lookup)
}

/// Go's spelling of an I/O error (`no such file or directory`).
pub fn io_msg(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => {
            let mut m = s[..i].to_string();
            if let Some(f) = m.get(..1) {
                m = f.to_lowercase() + &m[1..];
            }
            m
        }
        None => s,
    }
}

/// Docker's `ValidateEnv` (`-e`): `KEY=value` as is; a bare `KEY` takes our value if set.
pub fn env_value(v: &str) -> Result<String, String> {
    let (k, has_value) = match v.split_once('=') {
        Some((k, _)) => (k, true),
        None => (v, false),
    };
    if k.is_empty() {
        return Err(format!("invalid environment variable: {v}"));
    }
    if has_value {
        return Ok(v.to_string());
    }
    Ok(match std::env::var(k) {
        Ok(val) => format!("{k}={val}"),
        Err(_) => v.to_string(),
    })
}

/// Env files first, then `-e` values (a repeated `-e` key keeps its place and takes the
/// last value).
pub fn env_list(files: &[String], env: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for f in files {
        out.extend(read_kv_file(f, true)?);
    }
    let mut flags: Vec<String> = Vec::new();
    for e in env {
        let v = env_value(e)?;
        let key = v.split('=').next().unwrap_or("").to_string();
        match flags.iter_mut().find(|x| x.split('=').next() == Some(key.as_str())) {
            Some(slot) => *slot = v,
            None => flags.push(v),
        }
    }
    out.extend(flags);
    Ok(out)
}

/// `KEY=value` strings to a map (`KEY` alone maps to "").
pub fn kv_map(items: &[String]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (s.clone(), String::new()),
        })
        .collect()
}

/// go-units `ParseUlimit`: `nofile=1024:2048`, `nproc=512`.
pub fn ulimit(v: &str) -> Result<Ulimit, String> {
    const NAMES: [&str; 16] =
        ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as"];
    let (name, limits) = v.split_once('=').ok_or_else(|| format!("invalid ulimit argument: {v}"))?;
    if !NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    let num = |s: &str| s.parse::<i64>().map_err(|_| format!("strconv.ParseInt: parsing {s:?}: invalid syntax"));
    let parts: Vec<&str> = limits.split(':').collect();
    let (soft, hard) = match parts.len() {
        1 => {
            let s = num(parts[0])?;
            (s, s)
        }
        2 => (num(parts[0])?, num(parts[1])?),
        _ => return Err(format!("too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`")),
    };
    if hard != -1 && soft > hard {
        return Err(format!("ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"));
    }
    Ok(Ulimit { name: name.to_string(), soft, hard })
}

fn valid_device_mode(m: &str) -> bool {
    !m.is_empty() && m.len() <= 3 && m.chars().all(|c| "rwm".contains(c)) && {
        let mut seen = [false; 3];
        m.chars().all(|c| {
            let i = "rwm".find(c).unwrap_or(0);
            !std::mem::replace(&mut seen[i], true)
        })
    }
}

/// Docker's `parseLinuxDevice` (`--device`): `/dev/x[:/dev/y][:rwm]`.
pub fn device(v: &str) -> Result<DeviceMapping, String> {
    let arr: Vec<&str> = v.splitn(4, ':').collect();
    let mut perms = "rwm".to_string();
    let mut dst = String::new();
    match arr.len() {
        3 => {
            perms = arr[2].to_string();
            if valid_device_mode(arr[1]) {
                perms = arr[1].to_string();
            } else {
                dst = arr[1].to_string();
            }
        }
        2 => {
            if valid_device_mode(arr[1]) {
                perms = arr[1].to_string();
            } else {
                dst = arr[1].to_string();
            }
        }
        1 => {}
        _ => return Err(format!("invalid device specification: {v}")),
    }
    let src = arr[0].to_string();
    if dst.is_empty() {
        dst = src.clone();
    }
    Ok(DeviceMapping { path_on_host: src, path_in_container: dst, cgroup_permissions: perms })
}

/// Docker's `ValidateSysctl`: only namespaced sysctls.
pub fn sysctl(v: &str) -> Result<(String, String), String> {
    const EXACT: [&str; 8] =
        ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];
    let not_allowed = || format!("sysctl '{v}' is not allowed");
    let (k, val) = v.split_once('=').ok_or_else(not_allowed)?;
    if k.is_empty() {
        return Err(not_allowed());
    }
    if EXACT.contains(&k) || k.starts_with("net.") || k.starts_with("fs.mqueue.") {
        Ok((k.to_string(), val.to_string()))
    } else {
        Err(not_allowed())
    }
}

/// Docker's `ValidateExtraHost` (`--add-host host:ip`, `host=ip`, `host:host-gateway`).
pub fn extra_host(v: &str) -> Result<String, String> {
    let (k, ip) = v.split_once('=').or_else(|| v.split_once(':')).ok_or_else(|| format!("bad format for add-host: {v:?}"))?;
    if k.is_empty() || k.contains(':') {
        return Err(format!("bad format for add-host: {v:?}"));
    }
    let mut ip = ip;
    if ip != "host-gateway" {
        if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
            ip = &ip[1..ip.len() - 1];
        }
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(format!("invalid IP address in add-host: {ip:?}"));
        }
    }
    Ok(format!("{k}:{ip}"))
}

/// `--dns`: an IP address.
pub fn ip_address(v: &str) -> Result<String, String> {
    let t = v.trim();
    t.parse::<std::net::IpAddr>().map(|_| t.to_string()).map_err(|_| format!("IP address is not correctly formatted: {v}"))
}

/// Capabilities upper-cased with a `CAP_` prefix (`ALL` kept), de-duplicated and sorted.
pub fn capabilities(caps: &[String]) -> Option<Vec<String>> {
    if caps.is_empty() {
        return None;
    }
    let mut out: Vec<String> = caps
        .iter()
        .map(|c| {
            let c = c.trim().to_uppercase();
            if c == "ALL" || c.starts_with("CAP_") {
                c
            } else {
                format!("CAP_{c}")
            }
        })
        .collect();
    out.sort();
    out.dedup();
    Some(out)
}

/// Splits one CSV record (`--mount`), honouring double quotes.
fn csv_fields(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("parse error: extraneous or missing \" in quoted-field".into());
    }
    out.push(cur);
    Ok(out)
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Docker's `MountOpt.Set` (`--mount type=bind,src=/a,dst=/b,readonly`).
pub fn mount(v: &str) -> Result<Mount, String> {
    let mut m = Mount { kind: "volume".into(), ..Default::default() };
    let mut volume: Option<Map<String, Value>> = None;
    let mut bind: Option<Map<String, Value>> = None;
    let mut tmpfs: Option<Map<String, Value>> = None;
    fn vol(v: &mut Option<Map<String, Value>>) -> &mut Map<String, Value> {
        v.get_or_insert_with(|| {
            let mut m = Map::new();
            m.insert("Labels".into(), json!({}));
            m.insert("DriverConfig".into(), json!({}));
            m
        })
    }
    for field in csv_fields(v)? {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.to_lowercase(), Some(v.to_string())),
            None => (field.to_lowercase(), None),
        };
        let Some(val) = val else {
            match key.as_str() {
                "readonly" | "ro" => m.read_only = true,
                "volume-nocopy" => {
                    vol(&mut volume).insert("NoCopy".into(), json!(true));
                }
                "bind-nonrecursive" => {
                    bind.get_or_insert_with(Map::new).insert("NonRecursive".into(), json!(true));
                }
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        };
        let kv = |val: &str| match val.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (val.to_string(), String::new()),
        };
        match key.as_str() {
            "type" => m.kind = val.to_lowercase(),
            "source" | "src" => {
                m.source = val.clone();
                if val == "." || val.starts_with("./") {
                    if let Ok(cwd) = std::env::current_dir() {
                        m.source = cwd.join(&val).to_string_lossy().trim_end_matches("/.").to_string();
                    }
                }
            }
            "target" | "dst" | "destination" => m.target = val,
            "readonly" | "ro" => m.read_only = parse_bool(&val).ok_or_else(|| format!("invalid value for {key}: {val}"))?,
            "consistency" => {}
            "bind-propagation" => {
                bind.get_or_insert_with(Map::new).insert("Propagation".into(), json!(val.to_lowercase()));
            }
            "bind-nonrecursive" => {
                let b = parse_bool(&val).ok_or_else(|| format!("invalid value for {key}: {val}"))?;
                bind.get_or_insert_with(Map::new).insert("NonRecursive".into(), json!(b));
            }
            "volume-nocopy" => {
                let b = parse_bool(&val).ok_or_else(|| format!("invalid value for volume-nocopy: {val}"))?;
                vol(&mut volume).insert("NoCopy".into(), json!(b));
            }
            "volume-label" => {
                let (k, v) = kv(&val);
                if !k.is_empty() {
                    vol(&mut volume)["Labels"][k] = json!(v);
                }
            }
            "volume-driver" => {
                vol(&mut volume)["DriverConfig"]["Name"] = json!(val);
            }
            "volume-opt" => {
                let (k, v) = kv(&val);
                let dc = &mut vol(&mut volume)["DriverConfig"];
                if dc.get("Options").is_none() {
                    dc["Options"] = json!({});
                }
                if !k.is_empty() {
                    dc["Options"][k] = json!(v);
                }
            }
            "volume-subpath" => {
                vol(&mut volume).insert("Subpath".into(), json!(val));
            }
            "tmpfs-size" => {
                let n = ram_in_bytes(&val).map_err(|_| format!("invalid value for {key}: {val}"))?;
                tmpfs.get_or_insert_with(Map::new).insert("SizeBytes".into(), json!(n));
            }
            "tmpfs-mode" => {
                let n = u32::from_str_radix(&val, 8).map_err(|_| format!("invalid value for {key}: {val}"))?;
                tmpfs.get_or_insert_with(Map::new).insert("Mode".into(), json!(n));
            }
            _ => return Err(format!("unexpected key '{key}' in '{field}'")),
        }
    }
    if m.kind.is_empty() {
        return Err("type is required".into());
    }
    if m.target.is_empty() {
        return Err("target is required".into());
    }
    if volume.is_some() && m.kind != "volume" {
        return Err(format!("cannot mix 'volume-*' options with mount type '{}'", m.kind));
    }
    if bind.is_some() && m.kind != "bind" {
        return Err(format!("cannot mix 'bind-*' options with mount type '{}'", m.kind));
    }
    if tmpfs.is_some() && m.kind != "tmpfs" {
        return Err(format!("cannot mix 'tmpfs-*' options with mount type '{}'", m.kind));
    }
    m.volume_options = volume.map(Value::Object);
    m.bind_options = bind.map(Value::Object);
    m.tmpfs_options = tmpfs.map(Value::Object);
    Ok(m)
}

/// A `-v` value: `Some(bind)` for `src:dst[:mode]` (a relative `./src` made absolute),
/// `None` for an anonymous volume (`/data`).
pub fn volume(v: &str) -> Result<Option<String>, String> {
    let parts: Vec<&str> = v.split(':').collect();
    if parts.iter().any(|p| p.is_empty()) && parts.len() > 1 {
        return Err(format!("invalid spec: {v}: empty section between colons"));
    }
    match parts.len() {
        1 => {
            if v.is_empty() {
                return Err("invalid empty volume spec".into());
            }
            Ok(None)
        }
        2 | 3 => {
            let (host, rest) = v.split_once(':').expect("has a colon");
            let host = if host.starts_with('.') {
                std::env::current_dir().map(|d| normalize_path(&d.join(host).to_string_lossy())).unwrap_or_else(|_| host.to_string())
            } else {
                host.to_string()
            };
            Ok(Some(format!("{host}:{rest}")))
        }
        _ => Err(format!("invalid spec: {v}: too many colons")),
    }
}

/// Go's `filepath.Clean` for absolute paths.
fn normalize_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    format!("/{}", out.join("/"))
}

/// `-a`: `stdin`, `stdout` or `stderr`, any case.
pub fn attach_stream(v: &str) -> Result<String, String> {
    let l = v.to_lowercase();
    if matches!(l.as_str(), "stdin" | "stdout" | "stderr") {
        Ok(l)
    } else {
        Err("valid streams are STDIN, STDOUT and STDERR".into())
    }
}

/// moby/term `ToBytes`: `ctrl-p,ctrl-q` → `[16, 17]`.
pub fn detach_keys(keys: &str) -> Result<Vec<u8>, String> {
    let mut codes = Vec::new();
    for key in keys.split(',') {
        if key.len() == 1 {
            codes.push(key.as_bytes()[0]);
            continue;
        }
        let lower = key.to_lowercase();
        let Some(c) = lower.strip_prefix("ctrl-").filter(|c| c.len() == 1) else {
            return Err(format!("unknown character: '{key}'"));
        };
        let c = c.as_bytes()[0];
        let code = match c {
            b'a'..=b'z' => c - b'a' + 1,
            b'@' => 0,
            b'[' => 27,
            b'\\' => 28,
            b']' => 29,
            b'^' => 30,
            b'_' => 31,
            _ => return Err(format!("unknown character: '{key}'")),
        };
        codes.push(code);
    }
    Ok(codes)
}

/// The local time zone's offset from UTC in seconds, now.
pub fn local_offset() -> i64 {
    // SAFETY: `time` and `localtime_r` only write to the locals passed.
    unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            0
        } else {
            tm.tm_gmtoff
        }
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `2006-01-02[T15[:04[:05[.999999999]]]][Z|±07:00]` to (seconds, nanos); a time
/// without a zone is read in `local_offset`.
fn parse_time(v: &str, local_offset: i64) -> Option<(i64, u32)> {
    let b = v.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| -> Option<i64> { if s.bytes().all(|c| c.is_ascii_digit()) && !s.is_empty() { s.parse().ok() } else { None } };
    let (y, mo, d) = (num(&v[0..4])?, num(&v[5..7])?, num(&v[8..10])?);
    let mut rest = &v[10..];
    let (mut h, mut mi, mut s, mut nanos) = (0, 0, 0, 0u32);
    if let Some(r) = rest.strip_prefix('T') {
        h = num(r.get(0..2)?)?;
        rest = &r[2..];
        if let Some(r) = rest.strip_prefix(':') {
            mi = num(r.get(0..2)?)?;
            rest = &r[2..];
            if let Some(r) = rest.strip_prefix(':') {
                s = num(r.get(0..2)?)?;
                rest = &r[2..];
                if let Some(r) = rest.strip_prefix('.') {
                    let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
                    if n == 0 {
                        return None;
                    }
                    let digits: String = r[..n].chars().chain(std::iter::repeat('0')).take(9).collect();
                    nanos = digits.parse().ok()?;
                    rest = &r[n..];
                }
            }
        }
    }
    let offset = match rest {
        "" => local_offset,
        "Z" | "z" => 0,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
            let o = num(&z[1..3])? * 3600 + num(&z[4..6])? * 60;
            if z.starts_with('-') {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset, nanos))
}

/// Docker's `timetypes.GetTimestamp` (`logs --since/--until`, `events`): a Go duration
/// before `now_nanos` (`10m`), an RFC 3339 date or time (`2024-01-02`,
/// `2024-01-02T15:04:05Z`), or a UNIX timestamp passed through (`1700000000.5`).
pub fn timestamp(v: &str, now_nanos: i64, local_offset: i64) -> Result<String, String> {
    if v != "0" {
        if let Ok(d) = go_duration(v) {
            return Ok((now_nanos - d).div_euclid(1_000_000_000).to_string());
        }
    }
    if let Some((secs, nanos)) = parse_time(v, local_offset) {
        return Ok(format!("{secs}.{nanos:09}"));
    }
    if v.contains('-') {
        return Err(format!("parsing time {v:?}: cannot parse as RFC 3339"));
    }
    let (sec, frac) = v.split_once('.').unwrap_or((v, ""));
    let ok = !sec.is_empty() && sec.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit()) && frac.len() <= 9;
    if !ok {
        return Err(format!("failed to parse value as time or duration: {v:?}"));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_binary_and_case_insensitive() {
        assert_eq!(ram_in_bytes("512m"), Ok(512 * 1024 * 1024));
        assert_eq!(ram_in_bytes("1g"), Ok(1 << 30));
        assert_eq!(ram_in_bytes("1G"), Ok(1 << 30));
        assert_eq!(ram_in_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(ram_in_bytes("1gb"), Ok(1 << 30));
        assert_eq!(ram_in_bytes("1.5k"), Ok(1536));
        assert_eq!(ram_in_bytes("100"), Ok(100));
        assert_eq!(ram_in_bytes("100b"), Ok(100));
        assert_eq!(ram_in_bytes("2t"), Ok(2 << 40));
        assert_eq!(ram_in_bytes("1p"), Ok(1 << 50));
        assert_eq!(ram_in_bytes("12x"), Err("invalid suffix: 'x'".into()));
        assert_eq!(ram_in_bytes("1kbb"), Err("invalid suffix: 'kbb'".into()));
        assert_eq!(ram_in_bytes("m"), Err("invalid size: 'm'".into()));
        assert!(ram_in_bytes("-1").is_err());
        assert_eq!(mem_swap_bytes("-1"), Ok(-1));
    }

    #[test]
    fn cpus_become_nano_cpus() {
        assert_eq!(nano_cpus("1.5"), Ok(1_500_000_000));
        assert_eq!(nano_cpus("2"), Ok(2_000_000_000));
        assert_eq!(nano_cpus(".25"), Ok(250_000_000));
        assert_eq!(nano_cpus("0.000000001"), Ok(1));
        assert_eq!(nano_cpus("1.00000000001"), Err("value is too precise".into()));
        assert_eq!(nano_cpus("abc"), Err("failed to parse abc as a rational number".into()));
    }

    #[test]
    fn durations_follow_go() {
        assert_eq!(go_duration("30s"), Ok(30_000_000_000));
        assert_eq!(go_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(go_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(go_duration("300ms"), Ok(300_000_000));
        assert_eq!(go_duration("2us"), Ok(2_000));
        assert_eq!(go_duration("-1s"), Ok(-1_000_000_000));
        assert_eq!(go_duration("0"), Ok(0));
        assert_eq!(go_duration("5"), Err("time: missing unit in duration \"5\"".into()));
        assert_eq!(go_duration("5d"), Err("time: unknown unit \"d\" in duration \"5d\"".into()));
        assert_eq!(go_duration(""), Err("time: invalid duration \"\"".into()));
        assert_eq!(go_duration("s"), Err("time: invalid duration \"s\"".into()));
    }

    #[test]
    fn restart_policies() {
        assert_eq!(restart_policy("no").unwrap(), RestartPolicy { name: "no".into(), maximum_retry_count: 0 });
        assert_eq!(restart_policy("always").unwrap().name, "always");
        assert_eq!(restart_policy("unless-stopped").unwrap().name, "unless-stopped");
        assert_eq!(restart_policy("on-failure:3").unwrap(), RestartPolicy { name: "on-failure".into(), maximum_retry_count: 3 });
        assert_eq!(restart_policy("on-failure").unwrap(), RestartPolicy { name: "on-failure".into(), maximum_retry_count: 0 });
        assert_eq!(restart_policy("").unwrap(), RestartPolicy::default());
        assert_eq!(restart_policy(":3"), Err("invalid restart policy format: no policy provided before colon".into()));
        assert_eq!(restart_policy("on-failure:x"), Err("invalid restart policy format: maximum retry count must be an integer".into()));
    }

    fn pb(ip: &str, port: &str) -> PortBinding {
        PortBinding { host_ip: ip.into(), host_port: port.into() }
    }

    #[test]
    fn port_specs_follow_nat() {
        assert_eq!(port_spec("8080:80").unwrap(), vec![("80/tcp".into(), pb("", "8080"))]);
        assert_eq!(port_spec("80").unwrap(), vec![("80/tcp".into(), pb("", ""))]);
        assert_eq!(port_spec("127.0.0.1:5353:53/udp").unwrap(), vec![("53/udp".into(), pb("127.0.0.1", "5353"))]);
        assert_eq!(port_spec("127.0.0.1::53").unwrap(), vec![("53/tcp".into(), pb("127.0.0.1", ""))]);
        assert_eq!(port_spec("[::1]:80:80").unwrap(), vec![("80/tcp".into(), pb("::1", "80"))]);
        assert_eq!(
            port_spec("8000-8002:80-82").unwrap(),
            vec![("80/tcp".into(), pb("", "8000")), ("81/tcp".into(), pb("", "8001")), ("82/tcp".into(), pb("", "8002"))]
        );
        assert_eq!(port_spec("8000-8010:80").unwrap(), vec![("80/tcp".into(), pb("", "8000-8010"))]);
        assert_eq!(port_spec("80-81").unwrap(), vec![("80/tcp".into(), pb("", "")), ("81/tcp".into(), pb("", ""))]);
        assert_eq!(port_spec("published=8080,target=80,protocol=udp").unwrap(), vec![("80/udp".into(), pb("", "8080"))]);
        assert_eq!(port_spec("80:90/xx"), Err("invalid proto: xx".into()));
        assert_eq!(port_spec("8000-8001:80-82"), Err("invalid ranges specified for container and host Ports: 80-82 and 8000-8001".into()));
        assert_eq!(port_spec("1.2.3:80:80"), Err("invalid IP address: 1.2.3".into()));
        assert_eq!(port_spec("80:"), Err("no port specified: 80:<empty>".into()));
        assert_eq!(port_spec("99999"), Err("invalid containerPort: 99999".into()));
        assert_eq!(expose_spec("7000-7001/udp").unwrap(), vec!["7000/udp", "7001/udp"]);
        assert!(expose_spec("1:2").is_err());
    }

    #[test]
    fn env_files_follow_docker() {
        let lookup = |k: &str| if k == "FROM_ENV" { Some("yes".to_string()) } else { None };
        let content = "\u{feff}A=1\n# comment\n\n  B = spaced value \nFROM_ENV\nMISSING\nC=x=y\r\n";
        assert_eq!(
            parse_kv_file(content, "f", &lookup),
            Err("variable 'B ' contains whitespaces".to_string())
        );
        let content = "\u{feff}A=1\n# comment\n\n  B= spaced value \nFROM_ENV\nMISSING\nC=x=y\r\n";
        assert_eq!(parse_kv_file(content, "f", &lookup).unwrap(), vec!["A=1", "B= spaced value ", "FROM_ENV=yes", "C=x=y"]);
        assert_eq!(parse_kv_file("=x\n", "f", &lookup), Err("no variable name on line '=x'".into()));
    }

    #[test]
    fn other_values() {
        assert_eq!(ulimit("nofile=1024:2048").unwrap(), Ulimit { name: "nofile".into(), soft: 1024, hard: 2048 });
        assert_eq!(ulimit("nproc=5").unwrap(), Ulimit { name: "nproc".into(), soft: 5, hard: 5 });
        assert!(ulimit("nofile=10:5").is_err());
        assert!(ulimit("bogus=1").is_err());
        assert_eq!(device("/dev/fuse").unwrap().path_in_container, "/dev/fuse");
        assert_eq!(device("/dev/a:r").unwrap(), DeviceMapping { path_on_host: "/dev/a".into(), path_in_container: "/dev/a".into(), cgroup_permissions: "r".into() });
        assert_eq!(device("/dev/a:/dev/b:rw").unwrap().path_in_container, "/dev/b");
        assert_eq!(sysctl("net.core.somaxconn=1024").unwrap(), ("net.core.somaxconn".into(), "1024".into()));
        assert_eq!(sysctl("a.b=c"), Err("sysctl 'a.b=c' is not allowed".into()));
        assert_eq!(extra_host("h:1.2.3.4").unwrap(), "h:1.2.3.4");
        assert_eq!(extra_host("h=[::1]").unwrap(), "h:::1");
        assert_eq!(extra_host("h:host-gateway").unwrap(), "h:host-gateway");
        assert!(extra_host("h:nope").is_err());
        assert_eq!(capabilities(&["net_admin".into(), "ALL".into(), "CAP_CHOWN".into(), "net_admin".into()]).unwrap(), vec!["ALL", "CAP_CHOWN", "CAP_NET_ADMIN"]);
        assert_eq!(detach_keys("ctrl-p,ctrl-q").unwrap(), vec![16, 17]);
        assert_eq!(detach_keys("a,ctrl-@,ctrl-[").unwrap(), vec![b'a', 0, 27]);
        assert!(detach_keys("ctrl-1").is_err());
        assert_eq!(volume("/data"), Ok(None));
        assert_eq!(volume("/host:/ctr:ro"), Ok(Some("/host:/ctr:ro".into())));
        assert_eq!(volume("vol:/v"), Ok(Some("vol:/v".into())));
        assert!(volume("a:b:c:d").is_err());
        assert_eq!(attach_stream("STDIN"), Ok("stdin".into()));
    }

    #[test]
    fn mounts_follow_docker() {
        let m = mount("type=bind,src=/tmp,dst=/t,readonly").unwrap();
        assert_eq!((m.kind.as_str(), m.source.as_str(), m.target.as_str(), m.read_only), ("bind", "/tmp", "/t", true));
        assert!(m.bind_options.is_none());
        let m = mount("type=tmpfs,target=/x,tmpfs-size=64m,tmpfs-mode=1770").unwrap();
        assert_eq!(m.tmpfs_options, Some(json!({"SizeBytes": 67108864, "Mode": 0o1770})));
        let m = mount("source=v,target=/v,volume-driver=local,volume-opt=o=bind,volume-nocopy").unwrap();
        assert_eq!(m.kind, "volume");
        assert_eq!(m.volume_options, Some(json!({"Labels": {}, "DriverConfig": {"Name": "local", "Options": {"o": "bind"}}, "NoCopy": true})));
        assert_eq!(mount("type=bind,src=/a").unwrap_err(), "target is required");
        assert_eq!(mount("type=volume,target=/a,bind-propagation=rshared").unwrap_err(), "cannot mix 'bind-*' options with mount type 'volume'");
        assert_eq!(mount("type=bind,\"target=/a,b\"").unwrap().target, "/a,b");
    }

    #[test]
    fn timestamps_follow_docker() {
        let now = 1_700_000_000_000_000_000;
        assert_eq!(timestamp("10m", now, 0).unwrap(), "1699999400");
        assert_eq!(timestamp("2025-01-01", now, 0).unwrap(), "1735689600.000000000");
        assert_eq!(timestamp("2025-01-01", now, 3600).unwrap(), "1735686000.000000000");
        assert_eq!(timestamp("2025-01-01T00:00:01.5Z", now, 3600).unwrap(), "1735689601.500000000");
        assert_eq!(timestamp("2025-01-01T01:00:00+01:00", now, 0).unwrap(), "1735689600.000000000");
        assert_eq!(timestamp("2025-01-01T10:30", now, 0).unwrap(), "1735727400.000000000");
        assert_eq!(timestamp("1700000000.5", now, 0).unwrap(), "1700000000.5");
        assert_eq!(timestamp("0", now, 0).unwrap(), "0");
        assert!(timestamp("yesterday", now, 0).is_err());
        assert!(timestamp("2025-13-01", now, 0).is_err());
    }
}
