//! System types: `/version`, `/system/df`.

use serde::{Deserialize, Serialize};

/// `GET /version`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Version {
    /// Platform name.
    #[serde(rename = "Platform")]
    pub platform: Platform,
    /// Components and their versions.
    #[serde(rename = "Components")]
    pub components: Vec<Component>,
    /// Engine version.
    #[serde(rename = "Version")]
    pub version: String,
    /// API version.
    #[serde(rename = "ApiVersion")]
    pub api_version: String,
    /// Oldest API version accepted.
    #[serde(rename = "MinAPIVersion")]
    pub min_api_version: String,
    /// Source revision.
    #[serde(rename = "GitCommit")]
    pub git_commit: String,
    /// Compiler the engine was built with (Docker: Go version).
    #[serde(rename = "GoVersion")]
    pub go_version: String,
    /// `linux`.
    #[serde(rename = "Os")]
    pub os: String,
    /// `amd64`.
    #[serde(rename = "Arch")]
    pub arch: String,
    /// Kernel release.
    #[serde(rename = "KernelVersion")]
    pub kernel_version: String,
    /// Build time.
    #[serde(rename = "BuildTime")]
    pub build_time: String,
}

/// Platform of [`Version`].
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Platform {
    /// Name.
    #[serde(rename = "Name")]
    pub name: String,
}

/// Component of [`Version`].
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Component {
    /// Name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Version.
    #[serde(rename = "Version")]
    pub version: String,
    /// Details.
    #[serde(rename = "Details", default)]
    pub details: std::collections::BTreeMap<String, String>,
}
