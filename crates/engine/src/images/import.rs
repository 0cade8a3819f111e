//! `import`: a root filesystem tarball becomes a one-layer image.

use crate::events::attrs;
use crate::{Engine, Error, Result};
use api::image::{ContainerConfig, History, ImageConfig, RootFs};
use std::io::Read;
use store::Reference;

/// Options of `POST /images/create?fromSrc=`.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Repository (may include the tag).
    pub repo: String,
    /// Tag.
    pub tag: String,
    /// Commit message (`-m`).
    pub message: String,
    /// Dockerfile instructions (`-c`).
    pub changes: Vec<String>,
    /// Platform (`linux/amd64`); only this host's is accepted.
    pub platform: String,
    /// Where the tarball came from (`-` or a URL), for the history comment.
    pub source: String,
}

/// The host's platform in OCI terms.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

impl Engine {
    /// Imports a (possibly compressed) tarball as an image; returns its ID.
    pub fn import_image(&self, src: &mut dyn Read, opts: &ImportOptions) -> Result<String> {
        // Check everything that can be checked before reading a byte.
        let target = if opts.repo.is_empty() {
            if !opts.tag.is_empty() {
                return Err(Error::invalid("a tag needs a repository"));
            }
            None
        } else {
            Some(super::remove::parse_tag_target(&opts.repo, &opts.tag)?)
        };
        if !opts.platform.is_empty() && opts.platform != format!("linux/{}", host_arch()) && opts.platform != "linux" {
            return Err(Error::invalid(format!("platform {:?} is not supported here (linux/{})", opts.platform, host_arch())));
        }
        let mut cfg = ContainerConfig::default();
        build::apply_changes(&mut cfg, &opts.changes)?;

        let tar = store::compress::decompress(src)?;
        let layer = self.store.register_layer(None, tar).map_err(|e| Error::from(e).context("importing tarball"))?;
        let now = store::now_rfc3339();
        let comment = if opts.message.is_empty() {
            format!("Imported from {}", if opts.source.is_empty() { "-" } else { &opts.source })
        } else {
            opts.message.clone()
        };
        let config = ImageConfig {
            created: Some(now.clone()),
            architecture: host_arch().into(),
            os: "linux".into(),
            config: Some(cfg),
            rootfs: RootFs { kind: "layers".into(), diff_ids: vec![layer.info().diff_id.to_string()] },
            history: vec![History { created: Some(now), comment: Some(comment.clone()), ..Default::default() }],
            comment: (!opts.message.is_empty()).then(|| opts.message.clone()),
            ..Default::default()
        };
        let raw = serde_json::to_vec(&config).expect("config serialises");
        let tags: Vec<Reference> = target.into_iter().collect();
        let put = self.store.put_image(&raw, Some(layer), None, &tags)?;
        let name = tags.first().map(|t| t.familiar()).unwrap_or_default();
        self.events.publish("image", "import", &put.id.to_string(), attrs([("name", name)]));
        Ok(put.id.to_string())
    }

    /// Downloads a tarball from an `http://` URL and imports it.
    pub fn import_image_url(&self, url: &str, opts: &ImportOptions) -> Result<String> {
        let mut body = crate::fetch::get(url)?;
        let mut opts = opts.clone();
        opts.source = url.to_string();
        self.import_image(&mut body, &opts)
    }
}
