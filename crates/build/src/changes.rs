//! `--change` instructions (`import`, `commit`): Dockerfile lines that edit an image config.

use crate::dockerfile::{parse, parse_key_values, split_words, CommandForm, Instruction};
use crate::Error;
use api::image::{ContainerConfig, HealthConfig, StrSlice};

/// Instructions `--change` accepts (Docker's list).
pub const ALLOWED: &[&str] =
    &["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"];

/// Applies each change (one Dockerfile instruction per string) to `config`.
pub fn apply_changes(config: &mut ContainerConfig, changes: &[String]) -> Result<(), Error> {
    for change in changes {
        for ins in parse(change).map_err(|e| Error(format!("invalid change {change:?}: {}", strip_line(&e.0))))? {
            if !ALLOWED.contains(&ins.keyword.as_str()) {
                return Err(Error(format!("{} is not a valid change command", ins.keyword)));
            }
            apply(config, &ins)?;
        }
    }
    Ok(())
}

fn strip_line(s: &str) -> &str {
    s.split_once(": ").map_or(s, |(_, r)| r)
}

/// Applies one config-changing instruction.
pub fn apply(config: &mut ContainerConfig, ins: &Instruction) -> Result<(), Error> {
    let args = ins.args.trim();
    let need_args = |n: &str| -> Result<(), Error> {
        if args.is_empty() {
            Err(Error(format!("{n} requires at least one argument")))
        } else {
            Ok(())
        }
    };
    match ins.keyword.as_str() {
        "CMD" => {
            need_args("CMD")?;
            config.cmd = Some(StrSlice(CommandForm::parse(args).argv(config.shell.as_deref())));
        }
        "ENTRYPOINT" => {
            need_args("ENTRYPOINT")?;
            config.entrypoint = Some(StrSlice(CommandForm::parse(args).argv(config.shell.as_deref())));
        }
        "ENV" => {
            let env = config.env.get_or_insert_with(Vec::new);
            for (k, v) in parse_key_values("ENV", args, ins.escape)? {
                let entry = format!("{k}={v}");
                match env.iter_mut().find(|e| e.split_once('=').map_or(e.as_str(), |p| p.0) == k) {
                    Some(e) => *e = entry,
                    None => env.push(entry),
                }
            }
        }
        "LABEL" => {
            let labels = config.labels.get_or_insert_with(Default::default);
            for (k, v) in parse_key_values("LABEL", args, ins.escape)? {
                labels.insert(k, v);
            }
        }
        "EXPOSE" => {
            need_args("EXPOSE")?;
            let ports = config.exposed_ports.get_or_insert_with(Default::default);
            for p in split_words(args, ins.escape)? {
                for key in expand_port(&p)? {
                    ports.insert(key, serde_json::json!({}));
                }
            }
        }
        "USER" => {
            need_args("USER")?;
            config.user = Some(args.to_string());
        }
        "WORKDIR" => {
            need_args("WORKDIR")?;
            let base = config.working_dir.clone().unwrap_or_default();
            config.working_dir = Some(join_workdir(&base, args));
        }
        "VOLUME" => {
            need_args("VOLUME")?;
            let list = match CommandForm::parse(args) {
                CommandForm::Exec(v) => v,
                CommandForm::Shell(_) => split_words(args, ins.escape)?,
            };
            let vols = config.volumes.get_or_insert_with(Default::default);
            for v in list {
                if v.trim().is_empty() {
                    return Err(Error("VOLUME specified can not be an empty string".into()));
                }
                vols.insert(v, serde_json::json!({}));
            }
        }
        "STOPSIGNAL" => {
            need_args("STOPSIGNAL")?;
            config.stop_signal = Some(args.to_string());
        }
        "ONBUILD" => {
            need_args("ONBUILD")?;
            let kw = args.split_whitespace().next().unwrap_or("").to_uppercase();
            if matches!(kw.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
                return Err(Error(format!("{kw} isn't allowed as an ONBUILD trigger")));
            }
            config.on_build.get_or_insert_with(Vec::new).push(args.to_string());
        }
        "HEALTHCHECK" => config.healthcheck = Some(parse_healthcheck(&ins.flags, args)?),
        other => return Err(Error(format!("{other} does not change the image config"))),
    }
    Ok(())
}

/// `WORKDIR` semantics: absolute replaces, relative is joined to the current directory.
pub fn join_workdir(base: &str, dir: &str) -> String {
    let joined = if dir.starts_with('/') { dir.to_string() } else { format!("{}/{}", if base.is_empty() { "" } else { base }, dir) };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Expands `80`, `80/udp`, `8000-8002/tcp` into `port/proto` keys.
pub fn expand_port(p: &str) -> Result<Vec<String>, Error> {
    let (range, proto) = p.split_once('/').unwrap_or((p, "tcp"));
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(Error(format!("invalid proto: {proto}")));
    }
    let num = |s: &str| s.parse::<u16>().ok().filter(|&n| n > 0).ok_or_else(|| Error(format!("invalid containerPort: {s}")));
    let (a, b) = match range.split_once('-') {
        Some((a, b)) => (num(a)?, num(b)?),
        None => (num(range)?, num(range)?),
    };
    if b < a {
        return Err(Error(format!("invalid range specified for container port: {range}")));
    }
    Ok((a..=b).map(|n| format!("{n}/{proto}")).collect())
}

/// Parses a duration like Go's `time.ParseDuration` (`30s`, `1m30s`, `500ms`) to nanoseconds.
pub fn parse_duration(s: &str) -> Result<i64, Error> {
    let bad = || Error(format!("time: invalid duration {s:?}"));
    if s == "0" {
        return Ok(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        if n == 0 {
            return Err(bad());
        }
        let v: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let mult = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += v * mult;
        rest = &rest[u..];
    }
    Ok(total as i64)
}

fn parse_healthcheck(flags: &[String], args: &str) -> Result<HealthConfig, Error> {
    let mut hc = HealthConfig::default();
    let (kind, rest) = match args.find(char::is_whitespace) {
        Some(p) => (args[..p].to_uppercase(), args[p..].trim()),
        None => (args.to_uppercase(), ""),
    };
    match kind.as_str() {
        "NONE" => {
            if !rest.is_empty() || !flags.is_empty() {
                return Err(Error("HEALTHCHECK NONE takes no arguments".into()));
            }
            hc.test = Some(vec!["NONE".into()]);
            return Ok(hc);
        }
        "CMD" => {
            if rest.is_empty() {
                return Err(Error("Missing command after HEALTHCHECK CMD".into()));
            }
            hc.test = Some(match CommandForm::parse(rest) {
                CommandForm::Exec(v) => std::iter::once("CMD".to_string()).chain(v).collect(),
                CommandForm::Shell(s) => vec!["CMD-SHELL".into(), s],
            });
        }
        other => return Err(Error(format!("Unknown type {other:?} in HEALTHCHECK (try CMD)"))),
    }
    for f in flags {
        let (k, v) = f.trim_start_matches("--").split_once('=').ok_or_else(|| Error(format!("Missing value for flag {f}")))?;
        match k {
            "interval" => hc.interval = parse_duration(v)?,
            "timeout" => hc.timeout = parse_duration(v)?,
            "start-period" => hc.start_period = parse_duration(v)?,
            "start-interval" => hc.start_interval = parse_duration(v)?,
            "retries" => {
                hc.retries = v.parse().map_err(|_| Error(format!("invalid --retries value {v:?}")))?;
                if hc.retries < 0 {
                    return Err(Error("--retries cannot be negative".into()));
                }
            }
            _ => return Err(Error(format!("Unknown flag: {k}"))),
        }
    }
    Ok(hc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_all(ch: &[&str]) -> Result<ContainerConfig, Error> {
        let mut c = ContainerConfig::default();
        apply_changes(&mut c, &ch.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        Ok(c)
    }

    #[test]
    fn changes_edit_the_config_like_docker() {
        let c = apply_all(&[
            "CMD [\"/bin/sh\"]",
            "ENTRYPOINT echo hi",
            "ENV A=1 B=2",
            "ENV A 3",
            "EXPOSE 80 53/udp 8000-8001",
            "LABEL a=b \"c d\"=e",
            "USER nobody:nogroup",
            "WORKDIR /app",
            "WORKDIR sub",
            "VOLUME [\"/data\"]",
            "STOPSIGNAL SIGINT",
            "HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost",
        ])
        .unwrap();
        assert_eq!(c.cmd.unwrap().0, vec!["/bin/sh"]);
        assert_eq!(c.entrypoint.unwrap().0, vec!["/bin/sh", "-c", "echo hi"]);
        assert_eq!(c.env.unwrap(), vec!["A=3", "B=2"]);
        let ports: Vec<String> = c.exposed_ports.unwrap().into_keys().collect();
        assert_eq!(ports, vec!["53/udp", "80/tcp", "8000/tcp", "8001/tcp"]);
        assert_eq!(c.labels.unwrap().get("c d").map(String::as_str), Some("e"));
        assert_eq!(c.user.as_deref(), Some("nobody:nogroup"));
        assert_eq!(c.working_dir.as_deref(), Some("/app/sub"));
        assert!(c.volumes.unwrap().contains_key("/data"));
        let hc = c.healthcheck.unwrap();
        assert_eq!(hc.test.unwrap(), vec!["CMD-SHELL", "wget -q localhost"]);
        assert_eq!((hc.interval, hc.retries), (5_000_000_000, 2));
    }

    #[test]
    fn invalid_changes_are_named() {
        assert_eq!(apply_all(&["RUN echo"]).unwrap_err().0, "RUN is not a valid change command");
        assert!(apply_all(&["BOGUS x"]).unwrap_err().0.contains("unknown instruction"));
        assert!(apply_all(&["EXPOSE 99999"]).unwrap_err().0.contains("invalid containerPort"));
        assert!(apply_all(&["ENV"]).is_err());
    }

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(parse_duration("250ms").unwrap(), 250_000_000);
        assert!(parse_duration("5").is_err());
    }
}
