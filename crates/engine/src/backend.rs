//! The small interfaces the API server depends on, one per API group. [`crate::Engine`]
//! implements them; tests may substitute fakes.

use crate::images::{ImportOptions, ListOptions};
use crate::Result;
use api::image::{DeleteItem, HistoryItem, ImageSummary, PruneReport};
use api::Filters;
use std::io::{Read, Write};

/// Image operations (`/images/...`).
pub trait ImageBackend: Send + Sync {
    /// `GET /images/json`.
    fn list_images(&self, opts: &ListOptions) -> Result<Vec<ImageSummary>>;
    /// `GET /images/{name}/json`.
    fn inspect_image(&self, name: &str) -> Result<serde_json::Value>;
    /// `GET /images/{name}/history`.
    fn image_history(&self, name: &str) -> Result<Vec<HistoryItem>>;
    /// `POST /images/{name}/tag`.
    fn tag_image(&self, name: &str, repo: &str, tag: &str) -> Result<()>;
    /// `DELETE /images/{name}`.
    fn remove_image(&self, name: &str, force: bool, noprune: bool) -> Result<Vec<DeleteItem>>;
    /// `POST /images/prune`.
    fn prune_images(&self, filters: &Filters) -> Result<PruneReport>;
    /// `POST /images/create?fromSrc=-`: the image ID.
    fn import_image(&self, src: &mut dyn Read, opts: &ImportOptions) -> Result<String>;
    /// `POST /images/create?fromSrc=URL`: downloads, then imports.
    fn import_image_url(&self, url: &str, opts: &ImportOptions) -> Result<String>;
    /// `POST /images/load`: one line of output per image.
    fn load_images(&self, src: &mut dyn Read) -> Result<Vec<String>>;
    /// Checks that every name resolves, before `save` starts streaming.
    fn check_save(&self, names: &[String]) -> Result<()>;
    /// `GET /images/get`: writes the archive.
    fn save_images(&self, names: &[String], out: &mut dyn Write) -> Result<()>;
}

/// System operations (`/version`, `/info`, `/system/df`, `/events`).
pub trait SystemBackend: Send + Sync {
    /// `GET /version`.
    fn version(&self) -> api::system::Version;
    /// `GET /info`.
    fn info(&self) -> Result<serde_json::Value>;
    /// `GET /system/df`.
    fn disk_usage(&self) -> Result<serde_json::Value>;
    /// The event bus.
    fn events(&self) -> &crate::Events;
}

/// Container and exec operations (`/containers/...`, `/exec/...`).
pub trait ContainerBackend: Send + Sync {
    /// `POST /containers/create`.
    fn create(&self, name: Option<&str>, req: api::container::CreateRequest) -> Result<api::container::CreateResponse>;
    /// `POST /containers/{id}/start`.
    fn start(&self, name: &str) -> Result<()>;
    /// `POST /containers/{id}/stop`.
    fn stop(&self, name: &str, timeout: Option<i64>, signal: Option<&str>) -> Result<()>;
    /// `POST /containers/{id}/restart`.
    fn restart(&self, name: &str, timeout: Option<i64>, signal: Option<&str>) -> Result<()>;
    /// `POST /containers/{id}/kill`.
    fn kill(&self, name: &str, signal: &str) -> Result<()>;
    /// `DELETE /containers/{id}`.
    fn remove(&self, name: &str, force: bool, volumes: bool) -> Result<()>;
    /// `POST /containers/{id}/wait`: registers, then the closure blocks for the exit code.
    fn wait(&self, name: &str, condition: &str) -> Result<Box<dyn FnOnce() -> i64 + Send>>;
    /// `GET /containers/{id}/json`.
    fn inspect(&self, name: &str, size: bool) -> Result<serde_json::Value>;
    /// `GET /containers/json`.
    fn list(&self, opts: &crate::containers::ListOptions) -> Result<Vec<api::container::ContainerSummary>>;
    /// `GET /containers/{id}/logs`.
    fn logs(&self, name: &str, opts: &crate::containers::LogOptions, out: &mut dyn Write, gone: &dyn Fn() -> bool) -> Result<()>;
    /// Whether the container has a TTY (attach framing).
    fn has_tty(&self, name: &str) -> Result<bool>;
    /// Checks that the container's log can be read (before any byte of the answer is
    /// sent); whether it has a TTY (logs framing).
    fn check_logs(&self, name: &str) -> Result<bool>;
    /// `POST /containers/{id}/attach`.
    fn attach(&self, name: &str, req: crate::containers::AttachRequest) -> Result<tokio::sync::oneshot::Receiver<Result<std::os::unix::net::UnixStream>>>;
    /// `POST /containers/{id}/resize`.
    fn resize(&self, name: &str, h: u16, w: u16) -> Result<()>;
    /// `POST /containers/{id}/pause`.
    fn pause(&self, name: &str) -> Result<()>;
    /// `POST /containers/{id}/unpause`.
    fn unpause(&self, name: &str) -> Result<()>;
    /// `POST /containers/{id}/rename`.
    fn rename(&self, name: &str, new: &str) -> Result<()>;
    /// `POST /containers/prune`: deleted IDs and bytes reclaimed.
    fn prune(&self, filters: &Filters) -> Result<(Vec<String>, u64)>;
    /// `GET /containers/{id}/top`.
    fn top(&self, name: &str, ps_args: &str) -> Result<serde_json::Value>;
    /// One stats sample.
    fn stats(&self, name: &str, previous: Option<&serde_json::Value>) -> Result<serde_json::Value>;
    /// Whether it runs.
    fn running(&self, name: &str) -> bool;
    /// `POST /containers/{id}/update`.
    fn update(&self, name: &str, u: api::container::UpdateConfig) -> Result<Vec<String>>;
    /// `POST /containers/{id}/exec`.
    fn create_exec(&self, name: &str, cfg: api::container::ExecConfig) -> Result<String>;
    /// `POST /exec/{id}/start`.
    fn start_exec(&self, id: &str, start: &api::container::ExecStartConfig) -> Result<Option<std::os::unix::net::UnixStream>>;
    /// `GET /exec/{id}/json`.
    fn inspect_exec(&self, id: &str) -> Result<crate::containers::ExecInspect>;
    /// `POST /exec/{id}/resize`.
    fn resize_exec(&self, id: &str, h: u16, w: u16) -> Result<()>;
}
