//! Image types: the config blob (Docker/OCI image config) and the API's image responses.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A list of strings that Docker also accepts as a single string (`"Cmd": "echo hi"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct StrSlice(pub Vec<String>);

impl<'de> Deserialize<'de> for StrSlice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StrSlice, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            One(String),
            Many(Vec<String>),
        }
        Ok(match Either::deserialize(d)? {
            Either::One(s) => StrSlice(vec![s]),
            Either::Many(v) => StrSlice(v),
        })
    }
}

/// A health check (`HEALTHCHECK`, `--health-*`); durations in nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct HealthConfig {
    /// `["NONE"]`, `["CMD", ...]` or `["CMD-SHELL", "..."]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Vec<String>>,
    /// Time between checks.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub interval: i64,
    /// Time a check may take.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout: i64,
    /// Grace period after start.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_period: i64,
    /// Time between checks during the start period.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_interval: i64,
    /// Failures before unhealthy.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// The runtime part of an image config, and of a container's config (Docker's
/// `container.Config`). Absent fields stay absent in image config blobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// Container host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Container domain name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    /// `user[:group]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Attach stdin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_stdin: Option<bool>,
    /// Attach stdout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_stdout: Option<bool>,
    /// Attach stderr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_stderr: Option<bool>,
    /// `"80/tcp": {}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    /// Allocate a TTY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Option<bool>,
    /// Keep stdin open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_stdin: Option<bool>,
    /// Close stdin after the first attach ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin_once: Option<bool>,
    /// `KEY=value` entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// Default command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<StrSlice>,
    /// Health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
    /// Windows-only quirk kept for round trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_escaped: Option<bool>,
    /// Image name (containers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `"/data": {}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, Value>>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<StrSlice>,
    /// Disable networking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_disabled: Option<bool>,
    /// MAC address (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// `ONBUILD` triggers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_build: Option<Vec<String>>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Stop signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Stop timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    /// Shell for the shell form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
}

impl ContainerConfig {
    /// Docker's full `container.Config` shape, every field present (as `inspect` shows it).
    pub fn to_full_json(&self) -> Value {
        let v = serde_json::to_value(self).expect("config serialises");
        let mut m = v.as_object().cloned().unwrap_or_default();
        let mut out = Map::new();
        let defaults: [(&str, Value); 25] = [
            ("Hostname", json!("")),
            ("Domainname", json!("")),
            ("User", json!("")),
            ("AttachStdin", json!(false)),
            ("AttachStdout", json!(false)),
            ("AttachStderr", json!(false)),
            ("ExposedPorts", Value::Null),
            ("Tty", json!(false)),
            ("OpenStdin", json!(false)),
            ("StdinOnce", json!(false)),
            ("Env", Value::Null),
            ("Cmd", Value::Null),
            ("Healthcheck", Value::Null),
            ("ArgsEscaped", Value::Null),
            ("Image", json!("")),
            ("Volumes", Value::Null),
            ("WorkingDir", json!("")),
            ("Entrypoint", Value::Null),
            ("NetworkDisabled", Value::Null),
            ("MacAddress", Value::Null),
            ("OnBuild", Value::Null),
            ("Labels", Value::Null),
            ("StopSignal", Value::Null),
            ("StopTimeout", Value::Null),
            ("Shell", Value::Null),
        ];
        for (k, d) in defaults {
            let omit_if_absent = matches!(
                k,
                "ExposedPorts" | "Healthcheck" | "ArgsEscaped" | "NetworkDisabled" | "MacAddress" | "StopSignal" | "StopTimeout" | "Shell"
            );
            match m.remove(k) {
                Some(v) => {
                    out.insert(k.into(), v);
                }
                None if omit_if_absent => {}
                None => {
                    out.insert(k.into(), d);
                }
            }
        }
        Value::Object(out)
    }
}

/// `rootfs` of an image config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Diff IDs, bottom first.
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// One `history` entry of an image config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct History {
    /// When (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Whether this step made no layer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// An image config blob (Docker image JSON / OCI image config). The image ID is the sha256
/// of its bytes, so blobs are stored as received and this type is only for reading them and
/// for writing new ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ImageConfig {
    /// Creation time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// CPU architecture (`amd64`).
    #[serde(default)]
    pub architecture: String,
    /// Architecture variant (`v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// OS (`linux`).
    #[serde(default)]
    pub os: String,
    /// Runtime configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    /// Layers.
    pub rootfs: RootFs,
    /// History, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    /// Docker extension: comment (set by `import -m`, `commit -m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Docker extension: the engine version that made the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
}

/// An entry of `GET /images/json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ImageSummary {
    /// Containers using the image (-1 when not computed).
    #[serde(rename = "Containers")]
    pub containers: i64,
    /// Creation time, UNIX seconds.
    #[serde(rename = "Created")]
    pub created: i64,
    /// Image ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Labels.
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Parent image ID or "".
    #[serde(rename = "ParentId")]
    pub parent_id: String,
    /// `name@digest` references.
    #[serde(rename = "RepoDigests")]
    pub repo_digests: Vec<String>,
    /// `name:tag` references.
    #[serde(rename = "RepoTags")]
    pub repo_tags: Vec<String>,
    /// Size shared with other images (-1 when not computed).
    #[serde(rename = "SharedSize")]
    pub shared_size: i64,
    /// Total size of the layers.
    #[serde(rename = "Size")]
    pub size: i64,
}

/// An entry of `GET /images/{name}/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    /// Image ID for steps that are an image here, `<missing>` otherwise.
    #[serde(rename = "Id")]
    pub id: String,
    /// UNIX seconds.
    #[serde(rename = "Created")]
    pub created: i64,
    /// The instruction.
    #[serde(rename = "CreatedBy")]
    pub created_by: String,
    /// Tags of that image.
    #[serde(rename = "Tags")]
    pub tags: Option<Vec<String>>,
    /// Size of the layer the step made.
    #[serde(rename = "Size")]
    pub size: i64,
    /// Comment.
    #[serde(rename = "Comment")]
    pub comment: String,
}

/// An entry of `DELETE /images/{name}` and of the prune report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeleteItem {
    /// A reference removed.
    Untagged(String),
    /// An image deleted.
    Deleted(String),
}

/// `POST /images/prune` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PruneReport {
    /// What was removed.
    #[serde(rename = "ImagesDeleted")]
    pub images_deleted: Option<Vec<DeleteItem>>,
    /// Bytes freed.
    #[serde(rename = "SpaceReclaimed")]
    pub space_reclaimed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_slice_accepts_string_and_list() {
        let c: ContainerConfig = serde_json::from_str(r#"{"Cmd":"echo hi","Entrypoint":["sh","-c"]}"#).unwrap();
        assert_eq!(c.cmd, Some(StrSlice(vec!["echo hi".into()])));
        assert_eq!(c.entrypoint.unwrap().0, vec!["sh", "-c"]);
    }

    #[test]
    fn full_json_has_docker_shape() {
        let c = ContainerConfig { cmd: Some(StrSlice(vec!["sh".into()])), ..Default::default() };
        let v = c.to_full_json();
        assert_eq!(v["Cmd"], json!(["sh"]));
        assert_eq!(v["Env"], Value::Null);
        assert_eq!(v["Hostname"], json!(""));
        assert!(v.get("Healthcheck").is_none());
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "Hostname");
    }

    #[test]
    fn delete_item_is_docker_shaped() {
        assert_eq!(serde_json::to_string(&DeleteItem::Untagged("a:b".into())).unwrap(), r#"{"Untagged":"a:b"}"#);
    }
}
