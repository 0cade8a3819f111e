//! Routing: method and path to handler. Image names may contain `/` and `:`, so image
//! routes match on a known suffix (`/json`, `/history`, ...) rather than on segments.

mod containers;
mod images;
mod system;

use crate::http::Request;
use crate::Backends;
use engine::Error;
use hyper::Method;

/// Runs `f` on a blocking thread (engine calls block on disk I/O).
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> crate::Result<T> + Send + 'static) -> crate::Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(Error::internal(format!("internal error: {e}"))),
    }
}

/// Finds the handler for a request and runs it.
pub async fn dispatch(b: &Backends, mut req: Request) -> crate::HandlerResult {
    let path = req.path.trim_end_matches('/').to_string();
    let m = req.method.clone();
    if let Some(rest) = path.strip_prefix("/images/") {
        let rest = rest.to_string();
        return match (&m, rest.as_str()) {
            (&Method::GET, "json") => images::list(b, &req).await,
            (&Method::POST, "create") => images::create(b, &mut req).await,
            (&Method::POST, "load") => images::load(b, &mut req).await,
            (&Method::GET, "get") => images::save(b, &req, req.qall("names")).await,
            (&Method::POST, "prune") => images::prune(b, &req).await,
            (&Method::GET, r) if r.ends_with("/json") => images::inspect(b, strip(r, "/json")).await,
            (&Method::GET, r) if r.ends_with("/history") => images::history(b, strip(r, "/history")).await,
            (&Method::GET, r) if r.ends_with("/get") => images::save(b, &req, vec![strip(r, "/get").to_string()]).await,
            (&Method::POST, r) if r.ends_with("/tag") => images::tag(b, &req, strip(r, "/tag")).await,
            (&Method::DELETE, r) => images::remove(b, &req, r).await,
            _ => not_found(&m, &path),
        };
    }
    if let Some(rest) = path.strip_prefix("/exec/") {
        let rest = rest.to_string();
        return containers::exec_route(b, &mut req, &rest).await;
    }
    if let Some(rest) = path.strip_prefix("/containers/") {
        let rest = rest.to_string();
        return match (&m, rest.as_str()) {
            (&Method::GET, "json") => containers::list(b, &req).await,
            (&Method::POST, "create") => containers::create(b, &mut req).await,
            (&Method::POST, "prune") => containers::prune(b, &req).await,
            (&Method::DELETE, id) if !id.contains('/') => containers::remove(b, &req, id).await,
            (_, r) => match r.split_once('/') {
                Some((id, "json")) if m == Method::GET => containers::inspect(b, &req, id).await,
                Some((id, "logs")) if m == Method::GET => containers::logs(b, &req, id).await,
                Some((id, "stats")) if m == Method::GET => containers::stats(b, &req, id).await,
                Some((id, "top")) if m == Method::GET => containers::action(b, &mut req, id, "top").await,
                Some((id, verb)) if m == Method::POST => containers::action(b, &mut req, id, verb).await,
                _ => not_found(&m, &path),
            },
        };
    }
    match (&m, path.as_str()) {
        (&Method::GET | &Method::HEAD, "/_ping") => system::ping(&m),
        (&Method::GET, "/version") => system::version(b),
        (&Method::GET, "/info") => system::info(b).await,
        (&Method::GET, "/events") => system::events(b, &req).await,
        (&Method::GET, "/system/df") => system::df(b).await,
        _ => not_found(&m, &path),
    }
}

fn strip<'a>(s: &'a str, suffix: &str) -> &'a str {
    &s[..s.len() - suffix.len()]
}

fn not_found(m: &Method, path: &str) -> crate::HandlerResult {
    let _ = (m, path);
    Err(Error::not_found("page not found"))
}

/// Helper for handlers that answer with JSON.
pub(crate) fn ok_json<T: serde::Serialize>(v: &T) -> crate::HandlerResult {
    Ok(crate::http::json(hyper::StatusCode::OK, v))
}
