//! Docker Engine API wire types: what goes over the socket, spelled as Docker spells it.
//!
//! No logic lives here beyond (de)serialisation, filter parsing and API version handling.
//! Field order follows Docker's structs, so `inspect` output reads the same.
#![deny(missing_docs)]

pub mod container;
pub mod filters;
pub mod image;
pub mod system;
pub mod time;

pub use filters::Filters;

/// The API version berthd implements and reports.
pub const API_VERSION: &str = "1.47";
/// The oldest API version clients may ask for.
pub const MIN_API_VERSION: &str = "1.24";
/// berth's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// An API error body: `{"message": "..."}`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ErrorResponse {
    /// The message.
    pub message: String,
}

/// Compares two `major.minor` API versions.
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |v: &str| -> (u32, u32) {
        let (maj, min) = v.split_once('.').unwrap_or((v, "0"));
        (maj.parse().unwrap_or(0), min.parse().unwrap_or(0))
    };
    parse(a).cmp(&parse(b))
}

/// One message of a JSON progress stream (`/images/create`, `/images/load`, `/build`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct JsonMessage {
    /// Build and load output text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// Status line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Progress text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    /// Object the status is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Error text (the stream failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Error detail.
    #[serde(default, rename = "errorDetail", skip_serializing_if = "Option::is_none")]
    pub error_detail: Option<ErrorDetail>,
    /// Auxiliary data (image ID of a build).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux: Option<serde_json::Value>,
}

/// Error detail of a [`JsonMessage`].
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ErrorDetail {
    /// The message.
    pub message: String,
}

impl JsonMessage {
    /// A `{"stream": ...}` message.
    pub fn stream(s: impl Into<String>) -> Self {
        JsonMessage { stream: Some(s.into()), ..Default::default() }
    }
    /// A `{"status": ...}` message.
    pub fn status(s: impl Into<String>) -> Self {
        JsonMessage { status: Some(s.into()), ..Default::default() }
    }
    /// An error message ending a stream.
    pub fn error(s: impl Into<String>) -> Self {
        let s = s.into();
        JsonMessage { error: Some(s.clone()), error_detail: Some(ErrorDetail { message: s }), ..Default::default() }
    }
}

/// An event (`/events`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// Deprecated: the action.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// Deprecated: the actor ID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Deprecated: the image of a container event.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// Object type: `image`, `container`, `volume`, `network`, `daemon`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// What happened (`tag`, `delete`, `start`, ...).
    #[serde(rename = "Action")]
    pub action: String,
    /// What it happened to.
    #[serde(rename = "Actor")]
    pub actor: Actor,
    /// `local`.
    pub scope: String,
    /// UNIX seconds.
    pub time: i64,
    /// UNIX nanoseconds.
    #[serde(rename = "timeNano")]
    pub time_nano: i64,
}

/// The object of an [`Event`].
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Actor {
    /// Its ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Attributes (`name`, labels, ...).
    #[serde(rename = "Attributes")]
    pub attributes: std::collections::BTreeMap<String, String>,
}
