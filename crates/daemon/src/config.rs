//! berthd's configuration: dockerd's flags and `daemon.json` keys, merged as dockerd does
//! (a key set both ways is an error; an unknown key is an error).

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{Map, Value};
use std::path::PathBuf;

/// berthd flags (dockerd's names).
#[derive(Parser, Debug, Default)]
#[command(name = "berthd", version, about = "A Docker-compatible container engine daemon", disable_version_flag = true)]
pub struct Flags {
    /// Daemon socket(s) to connect to (unix://PATH)
    #[arg(short = 'H', long = "host")]
    pub hosts: Vec<String>,
    /// Root directory of persistent state
    #[arg(long)]
    pub data_root: Option<PathBuf>,
    /// Root directory for execution state files
    #[arg(long)]
    pub exec_root: Option<PathBuf>,
    /// Path to use for the daemon PID file
    #[arg(short = 'p', long)]
    pub pidfile: Option<PathBuf>,
    /// Daemon configuration file
    #[arg(long, default_value = "/etc/berth/daemon.json")]
    pub config_file: PathBuf,
    /// Set the logging level (debug, info, warn, error, fatal)
    #[arg(short = 'l', long)]
    pub log_level: Option<String>,
    /// Enable debug mode
    #[arg(short = 'D', long)]
    pub debug: bool,
    /// Preferred registry mirror
    #[arg(long = "registry-mirror")]
    pub registry_mirrors: Vec<String>,
    /// Enable insecure registry communication
    #[arg(long = "insecure-registry")]
    pub insecure_registries: Vec<String>,
    /// IP address and netmask of the default bridge (e.g. 172.30.0.1/16)
    #[arg(long = "bip", alias = "bridge-ip")]
    pub bip: Option<String>,
    /// Name of the default bridge interface
    #[arg(short = 'b', long)]
    pub bridge: Option<String>,
    /// Default address pools for networks (base=CIDR,size=N)
    #[arg(long = "default-address-pool")]
    pub default_address_pools: Vec<String>,
    /// Engine labels (key=value)
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// Group for the unix socket
    #[arg(short = 'G', long)]
    pub group: Option<String>,
    /// Parent cgroup for all containers
    #[arg(long)]
    pub cgroup_parent: Option<String>,
    /// Run containers in user namespaces mapped to this user's subordinate IDs
    /// (default, user[:group], uid[:gid])
    #[arg(long = "userns-remap")]
    pub userns_remap: Option<String>,
    /// Print version information and quit
    #[arg(short = 'v', long)]
    pub version: bool,
}

/// The merged configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Unix socket paths.
    pub sockets: Vec<PathBuf>,
    /// Persistent state.
    pub data_root: PathBuf,
    /// Runtime state.
    pub exec_root: PathBuf,
    /// PID file.
    pub pidfile: PathBuf,
    /// Log level.
    pub log_level: String,
    /// Debug mode.
    pub debug: bool,
    /// Registry mirrors.
    pub registry_mirrors: Vec<String>,
    /// Insecure registries.
    pub insecure_registries: Vec<String>,
    /// Default bridge address.
    pub bip: Option<String>,
    /// Default bridge name.
    pub bridge: Option<String>,
    /// Address pools.
    pub default_address_pools: Vec<String>,
    /// Engine labels.
    pub labels: Vec<String>,
    /// Socket group.
    pub group: String,
    /// Parent cgroup of containers.
    pub cgroup_parent: String,
    /// `--userns-remap`.
    pub userns_remap: Option<String>,
    /// The whole file, for keys later parts of the engine read (runtimes, log options).
    pub file: Map<String, Value>,
}

/// dockerd keys berthd accepts in daemon.json but does not act on yet.
const ACCEPTED_KEYS: &[&str] = &[
    "log-driver", "log-opts", "storage-driver", "storage-opts", "live-restore", "iptables", "ip6tables", "ip-forward",
    "ip-masq", "default-runtime", "runtimes", "features", "builder", "dns", "dns-search", "dns-opts",
    "mtu", "max-concurrent-downloads", "max-concurrent-uploads", "max-download-attempts", "shutdown-timeout",
    "experimental", "default-ulimits", "ipv6", "fixed-cidr", "fixed-cidr-v6", "default-shm-size",
    "seccomp-profile", "no-new-privileges", "init", "init-path", "icc", "userland-proxy", "containerd", "exec-opts",
    "default-cgroupns-mode", "default-ipc-mode", "allow-nondistributable-artifacts", "proxies", "selinux-enabled",
    "oom-score-adjust", "metrics-addr", "log-format", "default-gateway", "ip",
];

/// Keys that have a flag, with the flag's value.
fn flag_values(f: &Flags) -> Vec<(&'static str, Option<Value>)> {
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| Value::from(v.clone()));
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| Value::from(p.display().to_string()));
    vec![
        ("hosts", list(&f.hosts)),
        ("data-root", path(&f.data_root)),
        ("exec-root", path(&f.exec_root)),
        ("pidfile", path(&f.pidfile)),
        ("log-level", f.log_level.clone().map(Value::from)),
        ("debug", f.debug.then_some(Value::Bool(true))),
        ("registry-mirrors", list(&f.registry_mirrors)),
        ("insecure-registries", list(&f.insecure_registries)),
        ("bip", f.bip.clone().map(Value::from)),
        ("bridge", f.bridge.clone().map(Value::from)),
        ("default-address-pools", list(&f.default_address_pools)),
        ("labels", list(&f.labels)),
        ("group", f.group.clone().map(Value::from)),
        ("cgroup-parent", f.cgroup_parent.clone().map(Value::from)),
        ("userns-remap", f.userns_remap.clone().map(Value::from)),
    ]
}

impl Config {
    /// Merges flags with the config file.
    pub fn load(flags: &Flags) -> Result<Config> {
        let file: Map<String, Value> = match std::fs::read(&flags.config_file) {
            Ok(b) if b.iter().all(|c| c.is_ascii_whitespace()) => Map::new(),
            Ok(b) => serde_json::from_slice(&b).with_context(|| format!("unable to configure the daemon with file {}", flags.config_file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", flags.config_file.display())),
        };
        Config::merge(flags, file)
    }

    fn merge(flags: &Flags, file: Map<String, Value>) -> Result<Config> {
        let flagged = flag_values(flags);
        let known: Vec<&str> = flagged.iter().map(|(k, _)| *k).collect();
        let unknown: Vec<&String> = file.keys().filter(|k| !known.contains(&k.as_str()) && !ACCEPTED_KEYS.contains(&k.as_str())).collect();
        if !unknown.is_empty() {
            bail!(
                "the following directives don't match any configuration option: {}",
                unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            );
        }
        let conflicts: Vec<String> = flagged
            .iter()
            .filter_map(|(k, v)| {
                let (fv, cv) = (v.as_ref()?, file.get(*k)?);
                Some(format!("{k}: (from flag: {}, from file: {})", show(fv), show(cv)))
            })
            .collect();
        if !conflicts.is_empty() {
            bail!("the following directives are specified both as a flag and in the configuration file: {}", conflicts.join(", "));
        }
        let get = |k: &str| -> Option<Value> { flagged.iter().find(|(n, _)| *n == k).and_then(|(_, v)| v.clone()).or_else(|| file.get(k).cloned()) };
        let s = |k: &str| -> Result<Option<String>> {
            match get(k) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(v) => bail!("invalid value for {k}: {v} (expected a string)"),
            }
        };
        let l = |k: &str| -> Result<Vec<String>> {
            match get(k) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        // default-address-pools in daemon.json are objects: keep their JSON.
                        Value::Object(o) => Ok(Value::Object(o).to_string()),
                        v => bail!("invalid value in {k}: {v}"),
                    })
                    .collect(),
                Some(v) => bail!("invalid value for {k}: {v} (expected a list)"),
            }
        };
        let hosts = l("hosts")?;
        let mut sockets = Vec::new();
        for h in if hosts.is_empty() { vec!["unix:///run/berth/berth.sock".to_string()] } else { hosts } {
            if let Some(p) = h.strip_prefix("unix://") {
                if p.is_empty() {
                    bail!("invalid host {h:?}: empty socket path");
                }
                sockets.push(PathBuf::from(p));
            } else if h.starts_with("tcp://") {
                bail!("invalid host {h:?}: tcp:// needs TLS, which berthd does not support yet; use a unix:// socket");
            } else if h.starts_with('/') {
                sockets.push(PathBuf::from(&h));
            } else {
                bail!("invalid host {h:?}: expected unix://PATH");
            }
        }
        let debug = match get("debug") {
            None => false,
            Some(Value::Bool(b)) => b,
            Some(v) => bail!("invalid value for debug: {v}"),
        };
        let log_level = s("log-level")?.unwrap_or_else(|| if debug { "debug".into() } else { "info".into() });
        if !matches!(log_level.as_str(), "debug" | "info" | "warn" | "error" | "fatal") {
            bail!("unable to parse logging level: {log_level}");
        }
        for r in l("insecure-registries")?.iter().chain(l("registry-mirrors")?.iter()) {
            if r.is_empty() {
                bail!("invalid registry: empty value");
            }
        }
        Ok(Config {
            sockets,
            data_root: s("data-root")?.map_or_else(|| PathBuf::from("/var/lib/berth"), PathBuf::from),
            exec_root: s("exec-root")?.map_or_else(|| PathBuf::from("/run/berth"), PathBuf::from),
            pidfile: s("pidfile")?.map_or_else(|| PathBuf::from("/run/berth/berthd.pid"), PathBuf::from),
            log_level,
            debug,
            registry_mirrors: l("registry-mirrors")?,
            insecure_registries: l("insecure-registries")?,
            bip: s("bip")?,
            bridge: s("bridge")?,
            default_address_pools: l("default-address-pools")?,
            labels: l("labels")?,
            group: s("group")?.unwrap_or_else(|| "berth".into()),
            cgroup_parent: s("cgroup-parent")?.unwrap_or_else(|| "/berth".into()),
            userns_remap: s("userns-remap")?.filter(|v| !v.is_empty()),
            file,
        })
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(s: &str) -> Map<String, Value> {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn defaults_match_the_design() {
        let c = Config::merge(&Flags::default(), Map::new()).unwrap();
        assert_eq!(c.sockets, vec![PathBuf::from("/run/berth/berth.sock")]);
        assert_eq!(c.data_root, PathBuf::from("/var/lib/berth"));
        assert_eq!(c.exec_root, PathBuf::from("/run/berth"));
    }

    #[test]
    fn file_keys_apply_and_conflicts_and_unknown_keys_fail() {
        let c = Config::merge(&Flags::default(), file(r#"{"data-root":"/d","hosts":["unix:///tmp/s.sock"],"log-driver":"json-file"}"#)).unwrap();

        assert_eq!(c.data_root, PathBuf::from("/d"));
        assert_eq!(c.sockets, vec![PathBuf::from("/tmp/s.sock")]);
        let flags = Flags { data_root: Some("/x".into()), ..Default::default() };
        let e = Config::merge(&flags, file(r#"{"data-root":"/d"}"#)).unwrap_err().to_string();
        assert!(e.contains("both as a flag and in the configuration file") && e.contains("/x"), "{e}");
        let e = Config::merge(&Flags::default(), file(r#"{"data-rot":"/d"}"#)).unwrap_err().to_string();
        assert!(e.contains("data-rot"), "{e}");
        let e = Config::merge(&Flags { hosts: vec!["tcp://0.0.0.0:2375".into()], ..Default::default() }, Map::new()).unwrap_err().to_string();
        assert!(e.contains("TLS"), "{e}");
    }
}
