//! `/images/...` handlers: parse the request, call the image backend, shape the response.

use super::{blocking, ok_json};
use crate::http::{self, ChannelWriter, Request};
use crate::Backends;
use bytes::Bytes;
use engine::images::{ImportOptions, ListOptions};
use engine::Error;
use hyper::StatusCode;
use std::io::Write;

pub(super) async fn list(b: &Backends, req: &Request) -> crate::HandlerResult {
    let opts = ListOptions { all: req.qbool("all")?, filters: req.filters()? };
    let i = b.images.clone();
    let list = blocking(move || i.list_images(&opts)).await?;
    ok_json(&list)
}

pub(super) async fn inspect(b: &Backends, name: &str) -> crate::HandlerResult {
    let (i, name) = (b.images.clone(), name.to_string());
    ok_json(&blocking(move || i.inspect_image(&name)).await?)
}

pub(super) async fn history(b: &Backends, name: &str) -> crate::HandlerResult {
    let (i, name) = (b.images.clone(), name.to_string());
    ok_json(&blocking(move || i.image_history(&name)).await?)
}

pub(super) async fn tag(b: &Backends, req: &Request, name: &str) -> crate::HandlerResult {
    let (i, name, repo, tag) = (b.images.clone(), name.to_string(), req.qs("repo"), req.qs("tag"));
    blocking(move || i.tag_image(&name, &repo, &tag)).await?;
    Ok(http::empty(StatusCode::CREATED))
}

pub(super) async fn remove(b: &Backends, req: &Request, name: &str) -> crate::HandlerResult {
    let (force, noprune) = (req.qbool("force")?, req.qbool("noprune")?);
    let (i, name) = (b.images.clone(), name.to_string());
    ok_json(&blocking(move || i.remove_image(&name, force, noprune)).await?)
}

pub(super) async fn prune(b: &Backends, req: &Request) -> crate::HandlerResult {
    let (i, f) = (b.images.clone(), req.filters()?);
    ok_json(&blocking(move || i.prune_images(&f)).await?)
}

/// Sends JSON progress messages; the last one carries an error if the work failed.
fn progress_line(m: &api::JsonMessage) -> Bytes {
    let mut v = serde_json::to_vec(m).expect("message serialises");
    v.push(b'\n');
    Bytes::from(v)
}

/// `POST /images/create`: import (`fromSrc`); pulling (`fromImage`) comes with the registry.
pub(super) async fn create(b: &Backends, req: &mut Request) -> crate::HandlerResult {
    let src = req.qs("fromSrc");
    if src.is_empty() {
        let image = req.qs("fromImage");
        if image.is_empty() {
            return Err(Error::invalid("fromImage or fromSrc is required"));
        }
        return Err(Error::new(
            engine::ErrorKind::NotFound,
            format!("pull access denied for {image}: pulling from registries is not implemented yet; load the image with `berth load`"),
        ));
    }
    let opts = ImportOptions {
        repo: req.qs("repo"),
        tag: req.qs("tag"),
        message: req.qs("message"),
        changes: req.qall("changes"),
        platform: req.qs("platform"),
        source: src.clone(),
    };
    let i = b.images.clone();
    let result = if src == "-" {
        let mut body = req.body_reader();
        blocking(move || i.import_image(&mut body, &opts)).await
    } else {
        blocking(move || i.import_image_url(&src, &opts)).await
    };
    // Docker answers 200 with a progress stream; failures before any output get a status.
    let id = result?;
    Ok(http::full(StatusCode::OK, "application/json", progress_line(&api::JsonMessage::status(id))))
}

/// `POST /images/load`. berthd sends no progress bars, so `quiet` changes nothing: the
/// result lines are always sent.
pub(super) async fn load(b: &Backends, req: &mut Request) -> crate::HandlerResult {
    req.qbool("quiet")?;
    let i = b.images.clone();
    let mut body = req.body_reader();
    let lines = blocking(move || i.load_images(&mut body)).await?;
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(&progress_line(&api::JsonMessage::stream(format!("{l}\n"))));
    }
    Ok(http::full(StatusCode::OK, "application/json", out))
}

/// `GET /images/get` and `/images/{name}/get`: checks every name first, then streams.
pub(super) async fn save(b: &Backends, _req: &Request, names: Vec<String>) -> crate::HandlerResult {
    let i = b.images.clone();
    let check = names.clone();
    let i2 = i.clone();
    blocking(move || i2.check_save(&check)).await?;
    let (tx, resp) = http::streaming("application/x-tar");
    tokio::task::spawn_blocking(move || {
        let mut w = ChannelWriter::new(tx);
        match i.save_images(&names, &mut w) {
            Ok(()) => {
                let _ = w.flush();
            }
            Err(e) => {
                eprintln!("berthd: save failed mid-stream: {e}");
                w.fail(std::io::Error::other(e.message));
            }
        }
    });
    Ok(resp)
}
