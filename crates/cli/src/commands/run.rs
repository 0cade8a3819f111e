//! `run` and `create`: Docker's container flags, the `CreateRequest` they make (built as
//! the Docker CLI builds it), and the run flow (create → pull on a missing image → attach
//! → wait → start → stream → exit code).

use super::opts;
use super::stream::{self, End, Streams};
use super::tty;
use crate::client::{url, Body, Client, Error};
use api::container::{CreateRequest, CreateResponse, HostConfig, LogConfig, WaitResponse};
use api::image::{ContainerConfig, HealthConfig, StrSlice};
use clap::{ArgAction, Args};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::IsTerminal;

/// The flags `run` and `create` share (Docker's `containerOptions`).
#[derive(Args, Debug, Default, Clone)]
pub struct ContainerOpts {
    /// Print usage
    #[arg(long, action = ArgAction::Help)]
    help: Option<bool>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host", value_parser = opts::extra_host)]
    pub add_host: Vec<String>,
    /// Add an annotation to the container (passed through to the OCI runtime)
    #[arg(long = "annotation")]
    pub annotation: Vec<String>,
    /// Attach to STDIN, STDOUT or STDERR
    #[arg(short = 'a', long = "attach", value_parser = opts::attach_stream)]
    pub attach: Vec<String>,
    /// Block IO (relative weight), between 10 and 1000, or 0 to disable
    #[arg(long = "blkio-weight", default_value_t = 0, hide_default_value = true)]
    pub blkio_weight: u16,
    /// Add Linux capabilities
    #[arg(long = "cap-add")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long = "cap-drop")]
    pub cap_drop: Vec<String>,
    /// Optional parent cgroup for the container
    #[arg(long = "cgroup-parent", default_value = "", hide_default_value = true)]
    pub cgroup_parent: String,
    /// Cgroup namespace to use (host|private)
    #[arg(long = "cgroupns", default_value = "", hide_default_value = true)]
    pub cgroupns: String,
    /// Write the container ID to the file
    #[arg(long = "cidfile", default_value = "", hide_default_value = true)]
    pub cidfile: String,
    /// Limit CPU CFS (Completely Fair Scheduler) period
    #[arg(long = "cpu-period", default_value_t = 0, hide_default_value = true)]
    pub cpu_period: i64,
    /// Limit CPU CFS (Completely Fair Scheduler) quota
    #[arg(long = "cpu-quota", default_value_t = 0, hide_default_value = true)]
    pub cpu_quota: i64,
    /// Limit CPU real-time period in microseconds
    #[arg(long = "cpu-rt-period", default_value_t = 0, hide_default_value = true)]
    pub cpu_rt_period: i64,
    /// Limit CPU real-time runtime in microseconds
    #[arg(long = "cpu-rt-runtime", default_value_t = 0, hide_default_value = true)]
    pub cpu_rt_runtime: i64,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long = "cpu-shares", default_value_t = 0, hide_default_value = true)]
    pub cpu_shares: i64,
    /// Number of CPUs
    #[arg(long = "cpus", value_parser = opts::nano_cpus, default_value = "0", hide_default_value = true)]
    pub cpus: i64,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-cpus", default_value = "", hide_default_value = true)]
    pub cpuset_cpus: String,
    /// MEMs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-mems", default_value = "", hide_default_value = true)]
    pub cpuset_mems: String,
    /// Add a host device to the container
    #[arg(long = "device")]
    pub device: Vec<String>,
    /// Add a rule to the cgroup allowed devices list
    #[arg(long = "device-cgroup-rule")]
    pub device_cgroup_rule: Vec<String>,
    /// Set custom DNS servers
    #[arg(long = "dns", value_parser = opts::ip_address)]
    pub dns: Vec<String>,
    /// Set DNS options
    #[arg(long = "dns-option", alias = "dns-opt")]
    pub dns_option: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long = "dns-search")]
    pub dns_search: Vec<String>,
    /// Container NIS domain name
    #[arg(long = "domainname", default_value = "", hide_default_value = true)]
    pub domainname: String,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long = "entrypoint")]
    pub entrypoint: Option<String>,
    /// Set environment variables
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    pub env_file: Vec<String>,
    /// Expose a port or a range of ports
    #[arg(long = "expose")]
    pub expose: Vec<String>,
    /// Add additional groups to join
    #[arg(long = "group-add")]
    pub group_add: Vec<String>,
    /// Command to run to check health
    #[arg(long = "health-cmd", default_value = "", hide_default_value = true)]
    pub health_cmd: String,
    /// Time between running the check (ms|s|m|h) (default 0s)
    #[arg(long = "health-interval", value_parser = opts::go_duration, default_value = "0", hide_default_value = true)]
    pub health_interval: i64,
    /// Consecutive failures needed to report unhealthy
    #[arg(long = "health-retries", default_value_t = 0, hide_default_value = true)]
    pub health_retries: i64,
    /// Time between running the check during the start period (ms|s|m|h) (default 0s)
    #[arg(long = "health-start-interval", value_parser = opts::go_duration, default_value = "0", hide_default_value = true)]
    pub health_start_interval: i64,
    /// Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)
    #[arg(long = "health-start-period", value_parser = opts::go_duration, default_value = "0", hide_default_value = true)]
    pub health_start_period: i64,
    /// Maximum time to allow one check to run (ms|s|m|h) (default 0s)
    #[arg(long = "health-timeout", value_parser = opts::go_duration, default_value = "0", hide_default_value = true)]
    pub health_timeout: i64,
    /// Container host name
    #[arg(short = 'h', long = "hostname", default_value = "", hide_default_value = true)]
    pub hostname: String,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long = "init", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub init: Option<bool>,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long = "interactive")]
    pub interactive: bool,
    /// IPC mode to use
    #[arg(long = "ipc", default_value = "", hide_default_value = true)]
    pub ipc: String,
    /// Container isolation technology
    #[arg(long = "isolation", default_value = "", hide_default_value = true)]
    pub isolation: String,
    /// Set meta data on a container
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Read in a line delimited file of labels
    #[arg(long = "label-file")]
    pub label_file: Vec<String>,
    /// Add link to another container
    #[arg(long = "link")]
    pub link: Vec<String>,
    /// Logging driver for the container
    #[arg(long = "log-driver", default_value = "", hide_default_value = true)]
    pub log_driver: String,
    /// Log driver options
    #[arg(long = "log-opt")]
    pub log_opt: Vec<String>,
    /// Memory limit
    #[arg(short = 'm', long = "memory", value_parser = opts::ram_in_bytes, default_value = "0", hide_default_value = true)]
    pub memory: i64,
    /// Memory soft limit
    #[arg(long = "memory-reservation", value_parser = opts::ram_in_bytes, default_value = "0", hide_default_value = true)]
    pub memory_reservation: i64,
    /// Swap limit equal to memory plus swap: '-1' to enable unlimited swap
    #[arg(long = "memory-swap", value_parser = opts::mem_swap_bytes, default_value = "0", allow_hyphen_values = true, hide_default_value = true)]
    pub memory_swap: i64,
    /// Tune container memory swappiness (0 to 100)
    #[arg(long = "memory-swappiness", default_value_t = -1, allow_hyphen_values = true)]
    pub memory_swappiness: i64,
    /// Attach a filesystem mount to the container
    #[arg(long = "mount", value_parser = opts::mount)]
    pub mount: Vec<api::container::Mount>,
    /// Assign a name to the container
    #[arg(long = "name", default_value = "", hide_default_value = true)]
    pub name: String,
    /// Connect a container to a network
    #[arg(long = "network", visible_alias = "net")]
    pub network: Vec<String>,
    /// Add network-scoped alias for the container
    #[arg(long = "network-alias", alias = "net-alias")]
    pub network_alias: Vec<String>,
    /// Disable any container-specified HEALTHCHECK
    #[arg(long = "no-healthcheck")]
    pub no_healthcheck: bool,
    /// Disable OOM Killer
    #[arg(long = "oom-kill-disable")]
    pub oom_kill_disable: bool,
    /// Tune host's OOM preferences (-1000 to 1000)
    #[arg(long = "oom-score-adj", default_value_t = 0, allow_hyphen_values = true, hide_default_value = true)]
    pub oom_score_adj: i64,
    /// PID namespace to use
    #[arg(long = "pid", default_value = "", hide_default_value = true)]
    pub pid: String,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", default_value_t = 0, allow_hyphen_values = true, hide_default_value = true)]
    pub pids_limit: i64,
    /// Set platform if server is multi-platform capable
    #[arg(long = "platform", default_value = "", hide_default_value = true)]
    pub platform: String,
    /// Give extended privileges to this container
    #[arg(long = "privileged")]
    pub privileged: bool,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Pull image before running ("always", "missing", "never")
    #[arg(long = "pull", default_value = "missing")]
    pub pull: String,
    /// Suppress the pull output
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Mount the container's root filesystem as read only
    #[arg(long = "read-only")]
    pub read_only: bool,
    /// Restart policy to apply when a container exits
    #[arg(long = "restart", default_value = "no")]
    pub restart: String,
    /// Automatically remove the container and its associated anonymous volumes when it exits
    #[arg(long = "rm")]
    pub rm: bool,
    /// Runtime to use for this container
    #[arg(long = "runtime", default_value = "", hide_default_value = true)]
    pub runtime: String,
    /// Security Options
    #[arg(long = "security-opt")]
    pub security_opt: Vec<String>,
    /// Size of /dev/shm
    #[arg(long = "shm-size", value_parser = opts::ram_in_bytes, default_value = "0", hide_default_value = true)]
    pub shm_size: i64,
    /// Signal to stop the container
    #[arg(long = "stop-signal", default_value = "", hide_default_value = true)]
    pub stop_signal: String,
    /// Timeout (in seconds) to stop a container
    #[arg(long = "stop-timeout", allow_hyphen_values = true)]
    pub stop_timeout: Option<i64>,
    /// Storage driver options for the container
    #[arg(long = "storage-opt")]
    pub storage_opt: Vec<String>,
    /// Sysctl options
    #[arg(long = "sysctl", value_parser = opts::sysctl)]
    pub sysctl: Vec<(String, String)>,
    /// Mount a tmpfs directory
    #[arg(long = "tmpfs")]
    pub tmpfs: Vec<String>,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long = "tty")]
    pub tty: bool,
    /// Ulimit options
    #[arg(long = "ulimit", value_parser = opts::ulimit)]
    pub ulimit: Vec<api::container::Ulimit>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long = "user", default_value = "", hide_default_value = true)]
    pub user: String,
    /// User namespace to use
    #[arg(long = "userns", default_value = "", hide_default_value = true)]
    pub userns: String,
    /// UTS namespace to use
    #[arg(long = "uts", default_value = "", hide_default_value = true)]
    pub uts: String,
    /// Bind mount a volume
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Optional volume driver for the container
    #[arg(long = "volume-driver", default_value = "", hide_default_value = true)]
    pub volume_driver: String,
    /// Mount volumes from the specified container(s)
    #[arg(long = "volumes-from")]
    pub volumes_from: Vec<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long = "workdir", default_value = "", hide_default_value = true)]
    pub workdir: String,
    /// IMAGE [COMMAND] [ARG...]
    #[arg(value_name = "IMAGE", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub image_and_args: Vec<String>,
}

/// `create`.
#[derive(Args, Debug, Clone)]
pub struct CreateArgs {
    #[command(flatten)]
    pub opts: ContainerOpts,
}

/// `run`: the shared flags plus the ones that only make sense when running.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub opts: ContainerOpts,
    /// Run container in background and print container ID
    #[arg(short = 'd', long = "detach")]
    pub detach: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys")]
    pub detach_keys: Option<String>,
    /// Proxy received signals to the process
    #[arg(long = "sig-proxy", default_value_t = true, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub sig_proxy: bool,
}

/// Docker's default endpoint settings object (the `default` network of a container
/// created without `--network`).
fn empty_endpoint() -> Value {
    json!({
        "IPAMConfig": null, "Links": null, "Aliases": null, "MacAddress": "", "DriverOpts": null,
        "GwPriority": 0, "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "",
        "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": null
    })
}

fn none_if_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    if v.is_empty() {
        None
    } else {
        Some(v)
    }
}

/// Docker's `parseSecurityOpts`: `seccomp=<file>` inlines the file's JSON profile,
/// `label:x` is kept, `systempaths=unconfined` clears masked and read-only paths.
fn security_opts(list: &[String], hc: &mut HostConfig) -> Result<Option<Vec<String>>, String> {
    let mut out = Vec::new();
    for opt in list {
        if opt == "systempaths=unconfined" {
            hc.masked_paths = Some(Vec::new());
            hc.readonly_paths = Some(Vec::new());
            continue;
        }
        let (k, v, ok) = match opt.split_once('=') {
            Some((k, v)) => (k, v, true),
            None if opt != "no-new-privileges" => match opt.split_once(':') {
                Some((k, v)) => (k, v, true),
                None => (opt.as_str(), "", false),
            },
            None => (opt.as_str(), "", false),
        };
        if (!ok || v.is_empty()) && k != "no-new-privileges" {
            return Err(format!("Invalid --security-opt: {opt:?}"));
        }
        if k == "seccomp" && v != "unconfined" && v != "builtin" {
            let f = std::fs::read(v).map_err(|e| format!("opening seccomp profile ({v}) failed: {}", opts::io_msg(&e)))?;
            let profile: Value = serde_json::from_slice(&f).map_err(|e| format!("compacting json for seccomp profile ({v}) failed: {e}"))?;
            out.push(format!("seccomp={}", serde_json::to_string(&profile).expect("json")));
            continue;
        }
        out.push(opt.clone());
    }
    Ok(none_if_empty(out))
}

/// Builds the `POST /containers/create` body exactly as the Docker CLI does for the same
/// flags (`parse` in docker/cli `container/opts.go`). `console` is the terminal size sent
/// as `ConsoleSize` with `-t`.
pub fn build_create(o: &ContainerOpts, console: (u32, u32)) -> Result<CreateRequest, String> {
    let image = o.image_and_args.first().cloned().unwrap_or_default();
    let args: Vec<String> = o.image_and_args.iter().skip(1).cloned().collect();

    // Streams: `-a` lists them; without it stdout and stderr; `-i` adds stdin.
    let mut attach_stdin = o.attach.iter().any(|a| a == "stdin");
    let mut attach_stdout = o.attach.iter().any(|a| a == "stdout");
    let mut attach_stderr = o.attach.iter().any(|a| a == "stderr");
    if o.interactive {
        attach_stdin = true;
    }
    if o.attach.is_empty() {
        attach_stdout = true;
        attach_stderr = true;
    }

    // Ports: -p bindings, then --expose.
    let mut exposed: BTreeMap<String, Value> = BTreeMap::new();
    let mut bindings: BTreeMap<String, Option<Vec<api::container::PortBinding>>> = BTreeMap::new();
    for p in &o.publish {
        for (port, b) in opts::port_spec(p)? {
            exposed.insert(port.clone(), json!({}));
            bindings.entry(port).or_insert_with(|| Some(Vec::new())).get_or_insert_with(Vec::new).push(b);
        }
    }
    for e in &o.expose {
        for port in opts::expose_spec(e)? {
            exposed.entry(port).or_insert_with(|| json!({}));
        }
    }

    // Volumes: `-v src:dst` are binds, `-v /path` anonymous volumes.
    let mut binds = Vec::new();
    let mut volumes: BTreeMap<String, Value> = BTreeMap::new();
    for v in &o.volume {
        match opts::volume(v)? {
            Some(b) => binds.push(b),
            None => {
                volumes.insert(v.clone(), json!({}));
            }
        }
    }

    let mut tmpfs = BTreeMap::new();
    for t in &o.tmpfs {
        let (path, options) = t.split_once(':').unwrap_or((t.as_str(), ""));
        tmpfs.insert(path.to_string(), options.to_string());
    }

    let env = opts::env_list(&o.env_file, &o.env)?;
    let mut labels = Vec::new();
    for f in &o.label_file {
        labels.extend(opts::read_kv_file(f, false)?);
    }
    for l in &o.label {
        if l.split('=').next().unwrap_or("").trim().is_empty() {
            return Err(format!("invalid label '{l}': empty name"));
        }
        labels.push(l.clone());
    }

    let mut log_opts = BTreeMap::new();
    for l in &o.log_opt {
        let (k, v) = l.split_once('=').ok_or_else(|| format!("invalid key/value pair format in logging opts: {l}"))?;
        log_opts.insert(k.to_string(), v.to_string());
    }
    let mut storage_opts = BTreeMap::new();
    for s in &o.storage_opt {
        let (k, v) = s.split_once('=').ok_or_else(|| "invalid storage option".to_string())?;
        storage_opts.insert(k.to_string(), v.to_string());
    }
    let mut annotations = BTreeMap::new();
    for a in &o.annotation {
        let (k, v) = a.split_once('=').ok_or_else(|| format!("invalid key/value pair format: {a}"))?;
        annotations.insert(k.to_string(), v.to_string());
    }

    let devices: Vec<_> = o.device.iter().map(|d| opts::device(d)).collect::<Result<_, _>>()?;

    // Health check.
    let have_health = !o.health_cmd.is_empty()
        || o.health_interval != 0
        || o.health_timeout != 0
        || o.health_start_period != 0
        || o.health_retries != 0
        || o.health_start_interval != 0;
    let healthcheck = if o.no_healthcheck {
        if have_health {
            return Err("--no-healthcheck conflicts with --health-* options".into());
        }
        Some(HealthConfig { test: Some(vec!["NONE".into()]), ..Default::default() })
    } else if have_health {
        for (v, n) in [
            (o.health_interval, "--health-interval"),
            (o.health_timeout, "--health-timeout"),
            (o.health_retries, "--health-retries"),
            (o.health_start_period, "--health-start-period"),
            (o.health_start_interval, "--health-start-interval"),
        ] {
            if v < 0 {
                return Err(format!("{n} cannot be negative"));
            }
        }
        Some(HealthConfig {
            test: (!o.health_cmd.is_empty()).then(|| vec!["CMD-SHELL".to_string(), o.health_cmd.clone()]),
            interval: o.health_interval,
            timeout: o.health_timeout,
            start_period: o.health_start_period,
            start_interval: o.health_start_interval,
            retries: o.health_retries,
        })
    } else {
        None
    };

    let restart = opts::restart_policy(&o.restart)?;
    if o.rm && !(restart.name.is_empty() || restart.name == "no") {
        return Err("conflicting options: cannot specify both --restart and --rm".into());
    }

    let entrypoint = match &o.entrypoint {
        Some(e) if !e.is_empty() => Some(StrSlice(vec![e.clone()])),
        Some(_) => Some(StrSlice(vec![String::new()])),
        None => None,
    };

    for (mode, name) in [(&o.pid, "--pid"), (&o.ipc, "--ipc"), (&o.uts, "--uts"), (&o.userns, "--userns")] {
        let ok = match name {
            "--ipc" => mode.is_empty() || ["host", "private", "shareable", "none"].contains(&mode.as_str()) || mode.starts_with("container:"),
            "--userns" => mode.is_empty() || mode == "host",
            _ => mode.is_empty() || mode == "host" || mode.starts_with("container:"),
        };
        if !ok {
            let word = if name == "--userns" { "USER".to_string() } else { name[2..].to_uppercase() };
            return Err(format!("{name}: invalid {word} mode"));
        }
    }
    if !o.cgroupns.is_empty() && o.cgroupns != "host" && o.cgroupns != "private" {
        return Err("--cgroupns: invalid CGROUP mode".into());
    }

    let tty_size = if o.tty { vec![console.0, console.1] } else { vec![0, 0] };
    let networks: Vec<String> = o.network.iter().map(|n| n.strip_prefix("name=").unwrap_or(n).to_string()).collect();
    let network_mode = networks.first().cloned().unwrap_or_else(|| "default".into());

    let mut hc = HostConfig {
        binds: none_if_empty(binds),
        container_id_file: o.cidfile.clone(),
        log_config: LogConfig { kind: o.log_driver.clone(), config: log_opts },
        network_mode: network_mode.clone(),
        port_bindings: Some(bindings),
        restart_policy: restart,
        auto_remove: o.rm,
        volume_driver: o.volume_driver.clone(),
        volumes_from: none_if_empty(o.volumes_from.clone()),
        console_size: Some(tty_size),
        annotations: (!annotations.is_empty()).then_some(annotations),
        cap_add: opts::capabilities(&o.cap_add),
        cap_drop: opts::capabilities(&o.cap_drop),
        cgroupns_mode: o.cgroupns.clone(),
        dns: Some(o.dns.clone()),
        dns_options: Some(o.dns_option.clone()),
        dns_search: Some(o.dns_search.clone()),
        extra_hosts: none_if_empty(o.add_host.clone()),
        group_add: none_if_empty(o.group_add.clone()),
        ipc_mode: o.ipc.clone(),
        links: none_if_empty(o.link.clone()),
        oom_score_adj: o.oom_score_adj,
        pid_mode: o.pid.clone(),
        privileged: o.privileged,
        publish_all_ports: o.publish_all,
        readonly_rootfs: o.read_only,
        storage_opt: (!storage_opts.is_empty()).then_some(storage_opts),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        uts_mode: o.uts.clone(),
        userns_mode: o.userns.clone(),
        shm_size: o.shm_size,
        sysctls: (!o.sysctl.is_empty()).then(|| o.sysctl.iter().cloned().collect()),
        runtime: o.runtime.clone(),
        isolation: o.isolation.clone(),
        cpu_shares: o.cpu_shares,
        memory: o.memory,
        nano_cpus: o.cpus,
        cgroup_parent: o.cgroup_parent.clone(),
        blkio_weight: o.blkio_weight,
        cpu_period: o.cpu_period,
        cpu_quota: o.cpu_quota,
        cpu_realtime_period: o.cpu_rt_period,
        cpu_realtime_runtime: o.cpu_rt_runtime,
        cpuset_cpus: o.cpuset_cpus.clone(),
        cpuset_mems: o.cpuset_mems.clone(),
        devices: Some(devices),
        device_cgroup_rules: none_if_empty(o.device_cgroup_rule.clone()),
        memory_reservation: o.memory_reservation,
        memory_swap: o.memory_swap,
        memory_swappiness: Some(o.memory_swappiness),
        oom_kill_disable: Some(o.oom_kill_disable),
        pids_limit: Some(o.pids_limit),
        ulimits: Some(ulimits_sorted(&o.ulimit)),
        mounts: none_if_empty(o.mount.clone()),
        init: o.init,
        ..Default::default()
    };
    hc.security_opt = security_opts(&o.security_opt, &mut hc)?;

    let config = ContainerConfig {
        hostname: Some(o.hostname.clone()),
        domainname: Some(o.domainname.clone()),
        user: Some(o.user.clone()),
        attach_stdin: Some(attach_stdin),
        attach_stdout: Some(attach_stdout),
        attach_stderr: Some(attach_stderr),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        tty: Some(o.tty),
        open_stdin: Some(o.interactive),
        stdin_once: Some(o.interactive && attach_stdin),
        env: none_if_empty(env),
        cmd: (!args.is_empty()).then_some(StrSlice(args)),
        healthcheck,
        image: Some(image),
        volumes: Some(volumes),
        working_dir: Some(o.workdir.clone()),
        entrypoint,
        on_build: None,
        labels: Some(opts::kv_map(&labels)),
        stop_signal: (!o.stop_signal.is_empty()).then(|| o.stop_signal.clone()),
        stop_timeout: o.stop_timeout,
        ..Default::default()
    };

    // Endpoints: Docker always names the default network; a single named network
    // without options is left to the daemon.
    let mut endpoints = serde_json::Map::new();
    if networks.is_empty() {
        let mut ep = empty_endpoint();
        if !o.network_alias.is_empty() {
            ep["Aliases"] = json!(o.network_alias);
        }
        endpoints.insert("default".into(), ep);
    }
    let user_defined = |n: &str| !matches!(n, "default" | "bridge" | "host" | "none") && !n.starts_with("container:");
    if networks.iter().any(|n| user_defined(n)) && networks.iter().any(|n| !user_defined(n)) {
        return Err("conflicting options: cannot attach both user-defined and non-user-defined network-modes".into());
    }
    for (i, n) in networks.iter().enumerate() {
        if endpoints.contains_key(n) {
            return Err(format!("network {n:?} is specified multiple times"));
        }
        let with_alias = i == 0 && !o.network_alias.is_empty();
        if i == 0 && networks.len() == 1 && !with_alias {
            continue;
        }
        let mut ep = empty_endpoint();
        if with_alias {
            ep["Aliases"] = json!(o.network_alias);
        }
        endpoints.insert(n.clone(), ep);
    }

    Ok(CreateRequest { config, host_config: hc, networking_config: Some(json!({ "EndpointsConfig": endpoints })) })
}

/// Ulimits keyed by name (a later one replaces an earlier), sorted by name.
fn ulimits_sorted(list: &[api::container::Ulimit]) -> Vec<api::container::Ulimit> {
    let mut m: BTreeMap<String, api::container::Ulimit> = BTreeMap::new();
    for u in list {
        m.insert(u.name.clone(), u.clone());
    }
    m.into_values().collect()
}

/// Writes the container ID to `--cidfile` (which must not exist yet).
struct CidFile {
    path: String,
    written: bool,
}

impl CidFile {
    fn new(path: &str) -> Result<Option<CidFile>, String> {
        if path.is_empty() {
            return Ok(None);
        }
        if std::path::Path::new(path).exists() {
            return Err(format!("container ID file found, make sure the other container isn't running or delete {path}"));
        }
        std::fs::File::create(path).map_err(|e| format!("failed to create the container ID file: {}", opts::io_msg(&e)))?;
        Ok(Some(CidFile { path: path.to_string(), written: false }))
    }
    fn write(&mut self, id: &str) -> Result<(), String> {
        std::fs::write(&self.path, id).map_err(|e| format!("failed to write the container ID to the file: {}", opts::io_msg(&e)))?;
        self.written = true;
        Ok(())
    }
}

impl Drop for CidFile {
    fn drop(&mut self) {
        if !self.written {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `name[:tag]` with `:latest` added when there is neither tag nor digest (Docker's
/// `TagNameOnly`), and the two parts `/images/create` takes.
pub fn split_image_ref(image: &str) -> (String, String, String) {
    if let Some((name, digest)) = image.split_once('@') {
        return (image.to_string(), name.to_string(), digest.to_string());
    }
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => (image.to_string(), image[..slash + i].to_string(), image[slash + i + 1..].to_string()),
        None => (format!("{image}:latest"), image.to_string(), "latest".to_string()),
    }
}

/// `POST /images/create?fromImage=..&tag=..`, progress to stderr (Docker's
/// `jsonmessage` display: no progress bars when stderr is not a terminal).
fn pull(c: &Client, image: &str, platform: &str, quiet: bool) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let (_, name, tag) = split_image_ref(image);
    let path = url("/images/create", &[("fromImage", name), ("tag", tag), ("platform", platform.to_string())]);
    let mut resp = c.request("POST", &path, Body::None)?;
    let term = std::io::stderr().is_terminal();
    let mut err = std::io::stderr().lock();
    for line in resp.body().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let m: api::JsonMessage = serde_json::from_str(&line).map_err(|e| anyhow::anyhow!("invalid message from daemon: {e}"))?;
        if let Some(e) = m.error.or(m.error_detail.map(|d| d.message)) {
            anyhow::bail!("{e}");
        }
        if quiet {
            continue;
        }
        let progress = m.progress.as_deref().unwrap_or("");
        if !progress.is_empty() && !term {
            continue;
        }
        let id = m.id.as_deref().map(|i| format!("{i}: ")).unwrap_or_default();
        let status = m.status.as_deref().unwrap_or("");
        if !progress.is_empty() {
            let _ = write!(err, "\x1b[2K\r{id}{status} {progress}\r");
        } else if let Some(s) = &m.stream {
            let _ = write!(err, "{s}");
        } else {
            let _ = writeln!(err, "{id}{status}");
        }
        let _ = err.flush();
    }
    Ok(())
}

/// Docker's `createContainer`: create, and on "No such image" pull and retry once
/// (`--pull missing`); `--pull always` pulls first, `--pull never` never.
fn create_container(c: &Client, req: &CreateRequest, o: &ContainerOpts) -> anyhow::Result<String> {
    let image = req.config.image.clone().unwrap_or_default();
    let mut cid = CidFile::new(&o.cidfile).map_err(anyhow::Error::msg)?;
    let path = url("/containers/create", &[("name", o.name.clone()), ("platform", o.platform.clone())]);
    if !["always", "missing", "never"].contains(&o.pull.as_str()) {
        anyhow::bail!("invalid pull option: '{}': must be one of \"always\", \"missing\" or \"never\"", o.pull);
    }
    if o.pull == "always" {
        pull(c, &image, &o.platform, o.quiet)?;
    }
    let resp: CreateResponse = match c.post_json(&path, req) {
        Ok(r) => r,
        Err(Error::Api(404, msg)) if o.pull == "missing" && msg.to_lowercase().contains("no such image") => {
            if !o.quiet {
                eprintln!("Unable to find image '{}' locally", familiar_tagged(&image));
            }
            pull(c, &image, &o.platform, o.quiet)?;
            c.post_json(&path, req)?
        }
        Err(e) => return Err(e.into()),
    };
    for w in &resp.warnings {
        eprintln!("WARNING: {w}");
    }
    if let Some(f) = cid.as_mut() {
        f.write(&resp.id).map_err(anyhow::Error::msg)?;
    }
    Ok(resp.id)
}

/// The image as Docker names it in "Unable to find image": familiar form, `:latest` added.
fn familiar_tagged(image: &str) -> String {
    let (full, _, _) = split_image_ref(image);
    full.strip_prefix("docker.io/library/").or_else(|| full.strip_prefix("docker.io/")).unwrap_or(&full).to_string()
}

/// Docker's `runStartContainerErr`: 127 when the command was not found, 126 when it
/// could not be run, 125 otherwise.
pub fn start_error_code(msg: &str) -> i32 {
    let m = msg.strip_prefix("Error response from daemon: ").unwrap_or(msg);
    if m.contains("executable file not found") || m.contains("no such file or directory") || m.contains("system cannot find the file specified") {
        127
    } else if m.contains("permission denied") || m.contains("is a directory") {
        126
    } else {
        125
    }
}

/// How `run` reports a failure: `berth: <error>` and a pointer to the help.
fn report(cmd: &str, msg: &str) {
    eprintln!("berth: {msg}\n\nRun 'berth {cmd} --help' for more information");
}

pub fn create(c: &Client, a: &CreateArgs) -> anyhow::Result<i32> {
    let console = if a.opts.tty { tty::size() } else { (0, 0) };
    let req = match build_create(&a.opts, console) {
        Ok(r) => r,
        Err(e) => {
            report("create", &e);
            return Ok(125);
        }
    };
    let id = create_container(c, &req, &a.opts)?;
    println!("{id}");
    Ok(0)
}

/// Starts waiting for the container (`next-exit`, or `removed` with `--rm`) before it is
/// started, as Docker's `waitExitOrRemoved`: the request is sent and its headers read
/// here, the status comes later on the channel (125 when waiting failed).
pub fn wait_exit(c: &Client, id: &str, removed: bool) -> std::sync::mpsc::Receiver<i32> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let path = url(&format!("/containers/{id}/wait"), &[("condition", if removed { "removed" } else { "next-exit" }.into())]);
    let c = c.clone();
    std::thread::spawn(move || {
        let r = c.request("POST", &path, Body::None);
        let _ = ready_tx.send(());
        let code = match r.and_then(|r| r.json::<WaitResponse>()) {
            Ok(w) => match w.error {
                Some(e) if !e.message.is_empty() => {
                    eprintln!("Error waiting for container: {}", e.message);
                    125
                }
                _ => w.status_code as i32,
            },
            Err(e) => {
                eprintln!("error waiting for container: {e}");
                125
            }
        };
        let _ = tx.send(code);
    });
    // The daemon answers the headers at once; don't hang if it holds them back.
    let _ = ready_rx.recv_timeout(std::time::Duration::from_secs(2));
    rx
}

/// What to attach for a run or start.
pub struct AttachPlan {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub detach_keys: Option<String>,
}

/// `POST /containers/{id}/attach` with the streams asked for, hijacked.
pub fn attach_hijack(c: &Client, id: &str, p: &AttachPlan) -> Result<crate::client::Hijacked, Error> {
    let one = |b: bool| if b { "1".to_string() } else { String::new() };
    let path = url(
        &format!("/containers/{id}/attach"),
        &[
            ("stream", "1".into()),
            ("stdin", one(p.stdin)),
            ("stdout", one(p.stdout)),
            ("stderr", one(p.stderr)),
            ("detachKeys", p.detach_keys.clone().unwrap_or_default()),
        ],
    );
    c.hijack("POST", &path, Body::None)
}

/// The detach keys to watch for locally (Docker's default `ctrl-p,ctrl-q` when none or
/// invalid ones are given).
pub fn local_detach_keys(keys: Option<&str>) -> Vec<u8> {
    keys.and_then(|k| opts::detach_keys(k).ok()).unwrap_or_else(|| vec![16, 17])
}

pub fn run(c: &Client, a: &RunArgs) -> anyhow::Result<i32> {
    let o = &a.opts;
    let console = if o.tty { tty::size() } else { (0, 0) };
    let mut req = match build_create(o, console) {
        Ok(r) => r,
        Err(e) => {
            report("run", &e);
            return Ok(125);
        }
    };
    if let Some(k) = &a.detach_keys {
        if let Err(e) = opts::detach_keys(k) {
            report("run", &e);
            return Ok(125);
        }
    }
    let cfg = &mut req.config;
    if a.detach {
        if !o.attach.is_empty() {
            anyhow::bail!("conflicting options: cannot specify both --attach and --detach");
        }
        cfg.attach_stdin = Some(false);
        cfg.attach_stdout = Some(false);
        cfg.attach_stderr = Some(false);
        cfg.stdin_once = Some(false);
    } else if o.tty && cfg.attach_stdin == Some(true) && !std::io::stdin().is_terminal() {
        anyhow::bail!("the input device is not a TTY");
    }
    let plan = AttachPlan {
        stdin: cfg.attach_stdin == Some(true),
        stdout: cfg.attach_stdout == Some(true),
        stderr: cfg.attach_stderr == Some(true),
        detach_keys: a.detach_keys.clone(),
    };

    let id = match create_container(c, &req, o) {
        Ok(id) => id,
        Err(e) => {
            let msg = format!("{e:#}");
            report("run", &msg);
            return Ok(start_error_code(&msg));
        }
    };
    let attached = plan.stdin || plan.stdout || plan.stderr;
    if !attached {
        println!("{id}");
    }

    // Attach before starting, so no output is lost.
    let mut raw = None;
    let mut hijacked = None;
    if attached {
        if a.sig_proxy && !o.tty {
            tty::proxy_signals(c, &id);
        }
        hijacked = Some(attach_hijack(c, &id, &plan)?);
        if plan.stdin && o.tty {
            raw = tty::RawTerminal::enable(0);
            if raw.is_some() {
                tty::restore_on_fatal_signals();
            }
        }
    }
    let status = if attached || o.rm { Some(wait_exit(c, &id, o.rm)) } else { None };

    if let Err(e) = c.request("POST", &format!("/containers/{id}/start"), Body::None) {
        drop(raw);
        let msg = e.to_string();
        report("run", &msg);
        if o.rm {
            if let Some(s) = &status {
                let _ = s.recv();
            }
        }
        return Ok(start_error_code(&msg));
    }
    let Some(h) = hijacked else {
        return Ok(0);
    };
    if o.tty && std::io::stdout().is_terminal() {
        tty::monitor_size(c, tty::Target::Container(id.clone()));
    }
    let end = stream::pump(h, Streams { stdin: plan.stdin, tty: o.tty, detach_keys: Some(local_detach_keys(a.detach_keys.as_deref())) });
    drop(raw);
    match end {
        Ok(End::Detached) => return Ok(0),
        Ok(End::Done) => {}
        Err(e) => anyhow::bail!("{e}"),
    }
    Ok(status.and_then(|s| s.recv().ok()).unwrap_or(125))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    #[command(disable_help_flag = true)]
    struct T {
        #[command(flatten)]
        run: RunArgs,
    }

    fn parse(args: &[&str]) -> RunArgs {
        let mut v = vec!["run"];
        v.extend_from_slice(args);
        T::try_parse_from(v).unwrap_or_else(|e| panic!("{e}")).run
    }

    /// What the Docker CLI 28.2 sent (captured) for:
    /// `docker run -d --name web -e FOO=bar --env-file envf --entrypoint /bin/sh -w /app
    /// -u 1000:1000 --group-add 10 -h host1 --domainname ex.com -l a=b --restart
    /// on-failure:3 --stop-signal SIGINT --stop-timeout 5 --init --health-cmd "curl x"
    /// --health-interval 30s --health-timeout 1m30s --health-retries 3
    /// --health-start-period 2s --network net1 --pid host --ipc host --privileged
    /// --cap-add NET_ADMIN --cap-drop ALL --security-opt no-new-privileges --read-only
    /// --device /dev/fuse:/dev/fuse:rwm --ulimit nofile=1024:2048 --sysctl
    /// net.core.somaxconn=1024 -m 512m --memory-swap 1g --memory-reservation 256m --cpus 1.5
    /// -c 512 --cpuset-cpus 0-1 --pids-limit 100 --oom-kill-disable --shm-size 64m --tmpfs
    /// /run:rw,size=64m -v /data -v /host:/ctr:ro -v vol:/v --mount
    /// type=bind,src=/tmp,dst=/t,readonly -p 8080:80 -p 127.0.0.1:5353:53/udp -p
    /// 9000-9001:90-91 -P --expose 7000 --dns 8.8.8.8 --dns-search ex.com --dns-option
    /// ndots:2 --add-host h:1.2.3.4 --log-driver json-file --log-opt max-size=10m busybox -c
    /// 'echo hi'` (envf holds `A=1`, `# c` and `B`, with B unset).
    const DOCKER_RICH: &str = r#"{
 "Hostname": "host1", "Domainname": "ex.com", "User": "1000:1000",
 "AttachStdin": false, "AttachStdout": false, "AttachStderr": false,
 "ExposedPorts": {"53/udp": {}, "7000/tcp": {}, "80/tcp": {}, "90/tcp": {}, "91/tcp": {}},
 "Tty": false, "OpenStdin": false, "StdinOnce": false,
 "Env": ["A=1", "FOO=bar"], "Cmd": ["-c", "echo hi"],
 "Healthcheck": {"Test": ["CMD-SHELL", "curl x"], "Interval": 30000000000, "Timeout": 90000000000, "StartPeriod": 2000000000, "Retries": 3},
 "Image": "busybox", "Volumes": {"/data": {}}, "WorkingDir": "/app", "Entrypoint": ["/bin/sh"],
 "OnBuild": null, "Labels": {"a": "b"}, "StopSignal": "SIGINT", "StopTimeout": 5,
 "HostConfig": {
  "Binds": ["/host:/ctr:ro", "vol:/v"], "ContainerIDFile": "",
  "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m"}},
  "NetworkMode": "net1",
  "PortBindings": {"53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}], "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
                   "90/tcp": [{"HostIp": "", "HostPort": "9000"}], "91/tcp": [{"HostIp": "", "HostPort": "9001"}]},
  "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
  "AutoRemove": false, "VolumeDriver": "", "VolumesFrom": null, "ConsoleSize": [0, 0],
  "CapAdd": ["CAP_NET_ADMIN"], "CapDrop": ["ALL"], "CgroupnsMode": "",
  "Dns": ["8.8.8.8"], "DnsOptions": ["ndots:2"], "DnsSearch": ["ex.com"], "ExtraHosts": ["h:1.2.3.4"],
  "GroupAdd": ["10"], "IpcMode": "host", "Cgroup": "", "Links": null, "OomScoreAdj": 0, "PidMode": "host",
  "Privileged": true, "PublishAllPorts": true, "ReadonlyRootfs": true, "SecurityOpt": ["no-new-privileges"],
  "Tmpfs": {"/run": "rw,size=64m"}, "UTSMode": "", "UsernsMode": "", "ShmSize": 67108864,
  "Sysctls": {"net.core.somaxconn": "1024"}, "Isolation": "", "CpuShares": 512, "Memory": 536870912,
  "NanoCpus": 1500000000, "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [],
  "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [],
  "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "0-1",
  "CpusetMems": "", "Devices": [{"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": "rwm"}],
  "DeviceCgroupRules": null, "DeviceRequests": null, "MemoryReservation": 268435456, "MemorySwap": 1073741824,
  "MemorySwappiness": -1, "OomKillDisable": true, "PidsLimit": 100,
  "Ulimits": [{"Name": "nofile", "Hard": 2048, "Soft": 1024}],
  "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
  "Mounts": [{"Type": "bind", "Source": "/tmp", "Target": "/t", "ReadOnly": true}],
  "MaskedPaths": null, "ReadonlyPaths": null, "Init": true
 },
 "NetworkingConfig": {"EndpointsConfig": {}}
}"#;

    /// What the Docker CLI 28.2 sent for `docker run busybox echo hi`.
    const DOCKER_PLAIN: &str = r#"{
 "Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "AttachStdout": true, "AttachStderr": true,
 "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": null, "Cmd": ["echo", "hi"], "Image": "busybox",
 "Volumes": {}, "WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": {},
 "HostConfig": {
  "Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}}, "NetworkMode": "default",
  "PortBindings": {}, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": false,
  "VolumeDriver": "", "VolumesFrom": null, "ConsoleSize": [0, 0], "CapAdd": null, "CapDrop": null,
  "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null, "GroupAdd": null,
  "IpcMode": "", "Cgroup": "", "Links": null, "OomScoreAdj": 0, "PidMode": "", "Privileged": false,
  "PublishAllPorts": false, "ReadonlyRootfs": false, "SecurityOpt": null, "UTSMode": "", "UsernsMode": "",
  "ShmSize": 0, "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "",
  "BlkioWeight": 0, "BlkioWeightDevice": [], "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [],
  "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [], "CpuPeriod": 0, "CpuQuota": 0,
  "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "", "Devices": [],
  "DeviceCgroupRules": null, "DeviceRequests": null, "MemoryReservation": 0, "MemorySwap": 0,
  "MemorySwappiness": -1, "OomKillDisable": false, "PidsLimit": 0, "Ulimits": [], "CpuCount": 0,
  "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0, "MaskedPaths": null, "ReadonlyPaths": null
 },
 "NetworkingConfig": {"EndpointsConfig": {"default": {
  "IPAMConfig": null, "Links": null, "Aliases": null, "MacAddress": "", "DriverOpts": null, "GwPriority": 0,
  "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
  "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": null}}}
}"#;

    /// Docker's HostConfig fields berth's wire type does not carry (Windows-only or
    /// per-device block I/O throttles).
    const NOT_MODELLED: [&str; 9] = [
        "BlkioWeightDevice",
        "BlkioDeviceReadBps",
        "BlkioDeviceWriteBps",
        "BlkioDeviceReadIOps",
        "BlkioDeviceWriteIOps",
        "CpuCount",
        "CpuPercent",
        "IOMaximumIOps",
        "IOMaximumBandwidth",
    ];

    fn is_zero(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::String(s) => s.is_empty(),
            Value::Number(n) => n.as_f64() == Some(0.0),
            _ => false,
        }
    }

    /// Every field Docker sends must be sent with the same value (a missing key equals
    /// `null`); fields only berth's type has must be empty.
    fn assert_same_as_docker(ours: &CreateRequest, docker: &str) {
        let docker: Value = serde_json::from_str(docker).unwrap();
        let ours = serde_json::to_value(ours).unwrap();
        let d = docker.as_object().unwrap();
        let o = ours.as_object().unwrap();
        for (k, v) in d {
            if k == "HostConfig" {
                continue;
            }
            assert_eq!(o.get(k).unwrap_or(&Value::Null), v, "Config field {k}");
        }
        for (k, v) in o {
            if !d.contains_key(k) {
                assert!(is_zero(v), "extra Config field {k}: {v}");
            }
        }
        let dh = d["HostConfig"].as_object().unwrap();
        let oh = o["HostConfig"].as_object().unwrap();
        for (k, v) in dh {
            if NOT_MODELLED.contains(&k.as_str()) {
                assert!(!oh.contains_key(k), "{k} is modelled now: compare it");
                continue;
            }
            assert_eq!(oh.get(k).unwrap_or(&Value::Null), v, "HostConfig field {k}");
        }
        for (k, v) in oh {
            if !dh.contains_key(k) {
                assert!(is_zero(v), "extra HostConfig field {k}: {v}");
            }
        }
    }

    #[test]
    fn rich_run_matches_docker() {
        let dir = std::env::temp_dir().join(format!("berth-cli-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let envf = dir.join("envf");
        std::fs::write(&envf, "A=1\n# c\nB_BERTH_TEST_UNSET\n").unwrap();
        let envf = envf.to_string_lossy().to_string();
        let line = format!(
            "-d --name web -e FOO=bar --env-file {envf} --entrypoint /bin/sh -w /app -u 1000:1000 --group-add 10 -h host1 \
             --domainname ex.com -l a=b --restart on-failure:3 --stop-signal SIGINT --stop-timeout 5 --init \
             --health-cmd HEALTH --health-interval 30s --health-timeout 1m30s --health-retries 3 --health-start-period 2s \
             --network net1 --pid host --ipc host --privileged --cap-add NET_ADMIN --cap-drop ALL \
             --security-opt no-new-privileges --read-only --device /dev/fuse:/dev/fuse:rwm --ulimit nofile=1024:2048 \
             --sysctl net.core.somaxconn=1024 -m 512m --memory-swap 1g --memory-reservation 256m --cpus 1.5 -c 512 \
             --cpuset-cpus 0-1 --pids-limit 100 --oom-kill-disable --shm-size 64m --tmpfs /run:rw,size=64m -v /data \
             -v /host:/ctr:ro -v vol:/v --mount type=bind,src=/tmp,dst=/t,readonly -p 8080:80 -p 127.0.0.1:5353:53/udp \
             -p 9000-9001:90-91 -P --expose 7000 --dns 8.8.8.8 --dns-search ex.com --dns-option ndots:2 \
             --add-host h:1.2.3.4 --log-driver json-file --log-opt max-size=10m busybox -c CMD"
        );
        let mut args: Vec<String> = line.split_whitespace().map(|s| s.replace("HEALTH", "curl x")).collect();
        *args.last_mut().unwrap() = "echo hi".into();
        let pos = args.iter().position(|a| a == "--health-cmd").unwrap();
        args[pos + 1] = "curl x".into();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let a = parse(&refs);
        assert!(a.detach);
        assert_eq!(a.opts.name, "web");
        let mut req = build_create(&a.opts, (30, 100)).unwrap();
        // `run -d` clears the attach flags after parsing, as Docker's runRun does.
        req.config.attach_stdout = Some(false);
        req.config.attach_stderr = Some(false);
        assert_same_as_docker(&req, DOCKER_RICH);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn plain_run_matches_docker() {
        let a = parse(&["busybox", "echo", "hi"]);
        assert_same_as_docker(&build_create(&a.opts, (30, 100)).unwrap(), DOCKER_PLAIN);
    }

    #[test]
    fn interactive_tty_run() {
        let a = parse(&["-it", "--rm", "busybox", "sh"]);
        let r = build_create(&a.opts, (30, 100)).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        for (k, want) in [("AttachStdin", true), ("AttachStdout", true), ("AttachStderr", true), ("Tty", true), ("OpenStdin", true), ("StdinOnce", true)] {
            assert_eq!(v[k], json!(want), "{k}");
        }
        assert_eq!(v["HostConfig"]["ConsoleSize"], json!([30, 100]));
        assert_eq!(v["HostConfig"]["AutoRemove"], json!(true));
        assert_eq!(v["Cmd"], json!(["sh"]));
    }

    #[test]
    fn command_args_keep_their_dashes() {
        let a = parse(&["--rm", "busybox", "ls", "-l", "--all", "-d"]);
        assert!(!a.detach);
        assert_eq!(a.opts.image_and_args, vec!["busybox", "ls", "-l", "--all", "-d"]);
        let a = parse(&["-a", "stdout", "--sig-proxy=false", "--entrypoint=", "img"]);
        assert!(!a.sig_proxy);
        let r = build_create(&a.opts, (0, 0)).unwrap();
        assert_eq!(r.config.entrypoint, Some(StrSlice(vec![String::new()])));
        assert_eq!((r.config.attach_stdout, r.config.attach_stderr, r.config.attach_stdin), (Some(true), Some(false), Some(false)));
    }

    #[test]
    fn conflicting_flags_are_refused() {
        let a = parse(&["--rm", "--restart", "always", "img"]);
        assert_eq!(build_create(&a.opts, (0, 0)).unwrap_err(), "conflicting options: cannot specify both --restart and --rm");
        let a = parse(&["--no-healthcheck", "--health-retries", "2", "img"]);
        assert_eq!(build_create(&a.opts, (0, 0)).unwrap_err(), "--no-healthcheck conflicts with --health-* options");
        let a = parse(&["--no-healthcheck", "img"]);
        assert_eq!(build_create(&a.opts, (0, 0)).unwrap().config.healthcheck.unwrap().test, Some(vec!["NONE".to_string()]));
        let a = parse(&["-p", "80:90/xx", "img"]);
        assert_eq!(build_create(&a.opts, (0, 0)).unwrap_err(), "invalid proto: xx");
        assert!(T::try_parse_from(["run", "-m", "12x", "img"]).is_err());
        assert!(T::try_parse_from(["run", "--health-interval", "5", "img"]).is_err());
        assert!(T::try_parse_from(["run", "--sysctl", "a.b=c", "img"]).is_err());
        assert!(T::try_parse_from(["run", "-a", "bogus", "img"]).is_err());
    }

    #[test]
    fn env_flags_dedupe_after_files() {
        let a = parse(&["-e", "Z=1", "-e", "A=2", "-e", "Z=3", "img"]);
        assert_eq!(build_create(&a.opts, (0, 0)).unwrap().config.env.unwrap(), vec!["Z=3", "A=2"]);
    }

    #[test]
    fn start_errors_map_to_shell_codes() {
        assert_eq!(start_error_code("Error response from daemon: failed to create task: exec: \"nosuch\": executable file not found in $PATH: unknown"), 127);
        assert_eq!(start_error_code("exec /bin/x: no such file or directory"), 127);
        assert_eq!(start_error_code("exec: \"/etc\": permission denied"), 126);
        assert_eq!(start_error_code("Error response from daemon: something broke"), 125);
    }

    #[test]
    fn image_refs_for_pull() {
        assert_eq!(split_image_ref("busybox"), ("busybox:latest".into(), "busybox".into(), "latest".into()));
        assert_eq!(split_image_ref("localhost:5000/a:v1"), ("localhost:5000/a:v1".into(), "localhost:5000/a".into(), "v1".into()));
        assert_eq!(split_image_ref("localhost:5000/a"), ("localhost:5000/a:latest".into(), "localhost:5000/a".into(), "latest".into()));
        assert_eq!(split_image_ref("a@sha256:00").1, "a");
        assert_eq!(familiar_tagged("docker.io/library/busybox"), "busybox:latest");
    }
}
