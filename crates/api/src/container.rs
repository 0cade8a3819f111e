//! Container types: the create request (`Config` + `HostConfig` + `NetworkingConfig`),
//! inspect and list responses, exec, wait, stats.

use crate::image::ContainerConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `POST /containers/create` body: the container config with `HostConfig` and
/// `NetworkingConfig` alongside.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateRequest {
    /// The container config (`Image`, `Cmd`, `Env`, ...), flattened as Docker sends it.
    #[serde(flatten)]
    pub config: ContainerConfig,
    /// Host-side settings.
    #[serde(rename = "HostConfig", default)]
    pub host_config: HostConfig,
    /// Network attachments.
    #[serde(rename = "NetworkingConfig", default, skip_serializing_if = "Option::is_none")]
    pub networking_config: Option<Value>,
}

/// `POST /containers/create` response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateResponse {
    /// The new container's ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Warnings.
    #[serde(rename = "Warnings")]
    pub warnings: Vec<String>,
}

/// A restart policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartPolicy {
    /// `""`/`no`, `always`, `on-failure`, `unless-stopped`.
    #[serde(rename = "Name", default)]
    pub name: String,
    /// For `on-failure`: the most restarts.
    #[serde(rename = "MaximumRetryCount", default)]
    pub maximum_retry_count: i64,
}

/// A log driver and its options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogConfig {
    /// Driver (`json-file`).
    #[serde(rename = "Type", default)]
    pub kind: String,
    /// Options (`max-size`, `max-file`).
    #[serde(rename = "Config", default)]
    pub config: BTreeMap<String, String>,
}

/// A device to expose (`--device`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceMapping {
    /// Host path.
    #[serde(rename = "PathOnHost", default)]
    pub path_on_host: String,
    /// Path inside the container.
    #[serde(rename = "PathInContainer", default)]
    pub path_in_container: String,
    /// `rwm` subset.
    #[serde(rename = "CgroupPermissions", default)]
    pub cgroup_permissions: String,
}

/// A resource limit (`--ulimit`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    /// `nofile`, `nproc`, ...
    #[serde(rename = "Name")]
    pub name: String,
    /// Soft limit.
    #[serde(rename = "Soft")]
    pub soft: i64,
    /// Hard limit.
    #[serde(rename = "Hard")]
    pub hard: i64,
}

/// A mount (`--mount`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mount {
    /// `bind`, `volume`, `tmpfs`.
    #[serde(rename = "Type", default)]
    pub kind: String,
    /// Source (host path or volume name).
    #[serde(rename = "Source", default)]
    pub source: String,
    /// Path inside the container.
    #[serde(rename = "Target", default)]
    pub target: String,
    /// Read-only.
    #[serde(rename = "ReadOnly", default)]
    pub read_only: bool,
    /// Driver-specific options.
    #[serde(rename = "BindOptions", default, skip_serializing_if = "Option::is_none")]
    pub bind_options: Option<Value>,
    /// Volume options.
    #[serde(rename = "VolumeOptions", default, skip_serializing_if = "Option::is_none")]
    pub volume_options: Option<Value>,
    /// tmpfs options.
    #[serde(rename = "TmpfsOptions", default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_options: Option<Value>,
}

/// Host-side configuration of a container (Docker's `HostConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    // Resources.
    /// Relative CPU weight.
    pub cpu_shares: i64,
    /// Memory limit in bytes.
    pub memory: i64,
    /// Parent cgroup.
    pub cgroup_parent: String,
    /// Block I/O weight.
    pub blkio_weight: u16,
    /// CFS period.
    pub cpu_period: i64,
    /// CFS quota.
    pub cpu_quota: i64,
    /// Realtime period.
    pub cpu_realtime_period: i64,
    /// Realtime runtime.
    pub cpu_realtime_runtime: i64,
    /// CPUs allowed (`0-3`, `0,1`).
    pub cpuset_cpus: String,
    /// Memory nodes allowed.
    pub cpuset_mems: String,
    /// Devices.
    pub devices: Option<Vec<DeviceMapping>>,
    /// Device cgroup rules.
    pub device_cgroup_rules: Option<Vec<String>>,
    /// Device requests (GPUs).
    pub device_requests: Option<Vec<Value>>,
    /// Soft memory limit.
    pub memory_reservation: i64,
    /// Memory plus swap (-1 unlimited).
    pub memory_swap: i64,
    /// Swappiness (-1 unset).
    pub memory_swappiness: Option<i64>,
    /// CPUs in units of 1e-9.
    pub nano_cpus: i64,
    /// Disable the OOM killer.
    pub oom_kill_disable: Option<bool>,
    /// Init process (`--init`).
    pub init: Option<bool>,
    /// PID limit (0 or -1 unlimited).
    pub pids_limit: Option<i64>,
    /// Resource limits.
    pub ulimits: Option<Vec<Ulimit>>,
    // Host settings.
    /// `host:container[:opts]` bind mounts.
    pub binds: Option<Vec<String>>,
    /// File to write the container ID to (CLI side).
    #[serde(rename = "ContainerIDFile")]
    pub container_id_file: String,
    /// Log driver.
    pub log_config: LogConfig,
    /// `bridge`, `host`, `none`, `container:<id>`, or a network name.
    pub network_mode: String,
    /// `"80/tcp": [{"HostIp": "", "HostPort": "8080"}]`.
    pub port_bindings: Option<BTreeMap<String, Option<Vec<PortBinding>>>>,
    /// Restart policy.
    pub restart_policy: RestartPolicy,
    /// Remove the container when it exits.
    pub auto_remove: bool,
    /// Volume driver.
    pub volume_driver: String,
    /// Containers to take volumes from.
    pub volumes_from: Option<Vec<String>>,
    /// Mounts (`--mount`).
    pub mounts: Option<Vec<Mount>>,
    /// Initial console size `[height, width]`.
    pub console_size: Option<Vec<u32>>,
    /// Annotations for the runtime.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Capabilities to add.
    pub cap_add: Option<Vec<String>>,
    /// Capabilities to drop.
    pub cap_drop: Option<Vec<String>>,
    /// `private` or `host`.
    pub cgroupns_mode: String,
    /// DNS servers.
    pub dns: Option<Vec<String>>,
    /// DNS options.
    pub dns_options: Option<Vec<String>>,
    /// DNS search domains.
    pub dns_search: Option<Vec<String>>,
    /// `host:ip` entries for /etc/hosts.
    pub extra_hosts: Option<Vec<String>>,
    /// Additional groups.
    pub group_add: Option<Vec<String>>,
    /// `private`, `shareable`, `host`, `none`, `container:<id>`.
    pub ipc_mode: String,
    /// Cgroup to use (`container:<id>`).
    pub cgroup: String,
    /// Links.
    pub links: Option<Vec<String>>,
    /// OOM score adjustment.
    pub oom_score_adj: i64,
    /// `host` or `container:<id>`.
    pub pid_mode: String,
    /// Privileged mode.
    pub privileged: bool,
    /// Publish all exposed ports.
    pub publish_all_ports: bool,
    /// Read-only root filesystem.
    pub readonly_rootfs: bool,
    /// `no-new-privileges`, `seccomp=...`, ...
    pub security_opt: Option<Vec<String>>,
    /// Storage driver options.
    pub storage_opt: Option<BTreeMap<String, String>>,
    /// `path: options` tmpfs mounts.
    pub tmpfs: Option<BTreeMap<String, String>>,
    /// `host` or "".
    #[serde(rename = "UTSMode")]
    pub uts_mode: String,
    /// `host` or "".
    pub userns_mode: String,
    /// /dev/shm size in bytes.
    pub shm_size: i64,
    /// Namespaced sysctls.
    pub sysctls: Option<BTreeMap<String, String>>,
    /// OCI runtime name.
    pub runtime: String,
    /// Isolation (Windows).
    pub isolation: String,
    /// Paths to mask.
    pub masked_paths: Option<Vec<String>>,
    /// Paths to make read-only.
    pub readonly_paths: Option<Vec<String>>,
}

/// One host binding of a port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortBinding {
    /// Host IP ("" for all).
    #[serde(rename = "HostIp", default)]
    pub host_ip: String,
    /// Host port ("" for any).
    #[serde(rename = "HostPort", default)]
    pub host_port: String,
}

/// A container's health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `starting`, `healthy`, `unhealthy`.
    #[serde(rename = "Status")]
    pub status: String,
    /// Consecutive failures.
    #[serde(rename = "FailingStreak")]
    pub failing_streak: i64,
    /// The last results (5 kept).
    #[serde(rename = "Log")]
    pub log: Vec<HealthResult>,
}

/// One health check run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthResult {
    /// Start (RFC 3339).
    #[serde(rename = "Start")]
    pub start: String,
    /// End (RFC 3339).
    #[serde(rename = "End")]
    pub end: String,
    /// Exit code (0 healthy, 1 unhealthy, 2 reserved, -1 error).
    #[serde(rename = "ExitCode")]
    pub exit_code: i64,
    /// Output (truncated to 4 KiB).
    #[serde(rename = "Output")]
    pub output: String,
}

/// A container's state as `inspect` shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`.
    #[serde(rename = "Status")]
    pub status: String,
    /// Running (also when paused).
    #[serde(rename = "Running")]
    pub running: bool,
    /// Paused.
    #[serde(rename = "Paused")]
    pub paused: bool,
    /// Restarting.
    #[serde(rename = "Restarting")]
    pub restarting: bool,
    /// Killed by the OOM killer.
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    /// Dead.
    #[serde(rename = "Dead")]
    pub dead: bool,
    /// Host PID of the main process (0 when not running).
    #[serde(rename = "Pid")]
    pub pid: i64,
    /// Exit code of the last run.
    #[serde(rename = "ExitCode")]
    pub exit_code: i64,
    /// Why the last start failed.
    #[serde(rename = "Error")]
    pub error: String,
    /// Last start (RFC 3339; zero time if never).
    #[serde(rename = "StartedAt")]
    pub started_at: String,
    /// Last exit (RFC 3339; zero time if never).
    #[serde(rename = "FinishedAt")]
    pub finished_at: String,
    /// Health, when the container has a health check.
    #[serde(rename = "Health", default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

/// The zero time as Docker prints it.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// An entry of `GET /containers/json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerSummary {
    /// ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Names, each with a leading `/`.
    #[serde(rename = "Names")]
    pub names: Vec<String>,
    /// Image as given at create.
    #[serde(rename = "Image")]
    pub image: String,
    /// Image ID.
    #[serde(rename = "ImageID")]
    pub image_id: String,
    /// Command line.
    #[serde(rename = "Command")]
    pub command: String,
    /// Creation time, UNIX seconds.
    #[serde(rename = "Created")]
    pub created: i64,
    /// Published ports.
    #[serde(rename = "Ports")]
    pub ports: Vec<Value>,
    /// Size of the writable layer (with `size=1`).
    #[serde(rename = "SizeRw", default, skip_serializing_if = "Option::is_none")]
    pub size_rw: Option<i64>,
    /// Size of the root filesystem (with `size=1`).
    #[serde(rename = "SizeRootFs", default, skip_serializing_if = "Option::is_none")]
    pub size_root_fs: Option<i64>,
    /// Labels.
    #[serde(rename = "Labels")]
    pub labels: BTreeMap<String, String>,
    /// `running`, `exited`, ...
    #[serde(rename = "State")]
    pub state: String,
    /// `Up 2 minutes`, `Exited (0) 3 seconds ago`.
    #[serde(rename = "Status")]
    pub status: String,
    /// `{"NetworkMode": "..."}`.
    #[serde(rename = "HostConfig")]
    pub host_config: Value,
    /// Networks.
    #[serde(rename = "NetworkSettings")]
    pub network_settings: Value,
    /// Mounts.
    #[serde(rename = "Mounts")]
    pub mounts: Vec<Value>,
}

/// `POST /containers/{id}/wait` response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitResponse {
    /// Exit code.
    #[serde(rename = "StatusCode")]
    pub status_code: i64,
    /// Error while waiting.
    #[serde(rename = "Error", default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WaitError>,
}

/// Error of a [`WaitResponse`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitError {
    /// Message.
    #[serde(rename = "Message")]
    pub message: String,
}

/// `POST /containers/{id}/exec` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecConfig {
    /// Attach stdin.
    pub attach_stdin: bool,
    /// Attach stdout.
    pub attach_stdout: bool,
    /// Attach stderr.
    pub attach_stderr: bool,
    /// Detach keys.
    pub detach_keys: String,
    /// Allocate a TTY.
    pub tty: bool,
    /// Initial console size.
    pub console_size: Option<Vec<u32>>,
    /// Extra environment.
    pub env: Option<Vec<String>>,
    /// Command.
    pub cmd: Option<Vec<String>>,
    /// Privileged.
    pub privileged: bool,
    /// `user[:group]`.
    pub user: String,
    /// Working directory.
    pub working_dir: String,
}

/// `POST /exec/{id}/start` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecStartConfig {
    /// Detach.
    pub detach: bool,
    /// TTY.
    pub tty: bool,
    /// Initial console size.
    pub console_size: Option<Vec<u32>>,
}

/// `POST /containers/{id}/update` body (resources and restart policy).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateConfig {
    /// CPU shares.
    pub cpu_shares: Option<i64>,
    /// Memory limit.
    pub memory: Option<i64>,
    /// CFS period.
    pub cpu_period: Option<i64>,
    /// CFS quota.
    pub cpu_quota: Option<i64>,
    /// CPUs allowed.
    pub cpuset_cpus: Option<String>,
    /// Memory nodes allowed.
    pub cpuset_mems: Option<String>,
    /// Memory reservation.
    pub memory_reservation: Option<i64>,
    /// Memory plus swap.
    pub memory_swap: Option<i64>,
    /// CPUs in 1e-9 units.
    pub nano_cpus: Option<i64>,
    /// PID limit.
    pub pids_limit: Option<i64>,
    /// Block I/O weight.
    pub blkio_weight: Option<u16>,
    /// Restart policy.
    pub restart_policy: Option<RestartPolicy>,
}

/// Splits a stream into Docker's multiplexed frames: `[stream, 0, 0, 0, len(4, BE)]`.
pub fn frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + data.len());
    v.push(stream);
    v.extend_from_slice(&[0, 0, 0]);
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(data);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_takes_dockers_shape() {
        let body = r#"{"Image":"busybox","Cmd":["sh"],"Tty":true,"HostConfig":{"Memory":1048576,"RestartPolicy":{"Name":"always"},"Binds":null,"PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}},"NetworkingConfig":{"EndpointsConfig":{}}}"#;
        let r: CreateRequest = serde_json::from_str(body).unwrap();
        assert_eq!(r.config.image.as_deref(), Some("busybox"));
        assert_eq!(r.config.tty, Some(true));
        assert_eq!(r.host_config.memory, 1_048_576);
        assert_eq!(r.host_config.restart_policy.name, "always");
        let empty: CreateRequest = serde_json::from_str(r#"{"Image":"x"}"#).unwrap();
        assert_eq!(empty.host_config, HostConfig::default());
    }

    #[test]
    fn frames_are_docker_multiplexed() {
        assert_eq!(frame(1, b"hi"), vec![1, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
    }
}
