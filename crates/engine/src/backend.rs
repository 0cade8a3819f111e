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
