//! `/_ping`, `/version`, `/info`, `/events`, `/system/df`.

use super::{blocking, ok_json};
use crate::http::{self, Request};
use crate::Backends;
use bytes::Bytes;
use engine::Error;
use hyper::header::HeaderValue;
use hyper::{Method, StatusCode};

pub(super) fn ping(m: &Method) -> crate::HandlerResult {
    let mut r = http::full(StatusCode::OK, "text/plain; charset=utf-8", if m == Method::HEAD { "" } else { "OK" });
    let h = r.headers_mut();
    h.insert("builder-version", HeaderValue::from_static("1"));
    h.insert("swarm", HeaderValue::from_static("inactive"));
    h.insert("cache-control", HeaderValue::from_static("no-cache, no-store, must-revalidate"));
    h.insert("pragma", HeaderValue::from_static("no-cache"));
    Ok(r)
}

pub(super) fn version(b: &Backends) -> crate::HandlerResult {
    ok_json(&b.system.version())
}

pub(super) async fn info(b: &Backends) -> crate::HandlerResult {
    let s = b.system.clone();
    ok_json(&blocking(move || s.info()).await?)
}

pub(super) async fn df(b: &Backends) -> crate::HandlerResult {
    let s = b.system.clone();
    ok_json(&blocking(move || s.disk_usage()).await?)
}

fn parse_time(s: &str) -> Result<i64, Error> {
    engine::images::parse_time_arg(s)
}

/// Streams events: past ones since `since`, then live ones until `until`.
pub(super) async fn events(b: &Backends, req: &Request) -> crate::HandlerResult {
    let filters = req.filters()?;
    filters
        .check_keys(&["type", "event", "image", "container", "label", "label!", "scope", "network", "volume", "daemon", "plugin", "node", "service", "secret", "config"])
        .map_err(Error::invalid)?;
    let now_nanos = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos() as i64;
    let since = req.q("since").filter(|s| !s.is_empty()).map(parse_time).transpose()?;
    let until = req.q("until").filter(|s| !s.is_empty()).map(parse_time).transpose()?;
    let (past, mut rx) = b.system.events().subscribe();
    let (tx, resp) = http::streaming("application/json");
    let start = now_nanos();
    tokio::spawn(async move {
        let line = |e: &api::Event| {
            let mut v = serde_json::to_vec(e).expect("event serialises");
            v.push(b'\n');
            Bytes::from(v)
        };
        let until_nanos = until.map(|u| u.saturating_mul(1_000_000_000));
        if let Some(s) = since {
            for e in past.iter().filter(|e| e.time >= s && until.is_none_or(|u| e.time <= u) && engine::events::matches(e, &filters)) {
                if tx.send(Ok(line(e))).await.is_err() {
                    return;
                }
            }
        }
        if until_nanos.is_some_and(|u| u <= start) {
            return;
        }
        loop {
            let next = match until_nanos {
                Some(u) => {
                    let wait = std::time::Duration::from_nanos((u - now_nanos()).max(0) as u64);
                    match tokio::time::timeout(wait, rx.recv()).await {
                        Ok(r) => r,
                        Err(_) => return,
                    }
                }
                None => tokio::select! {
                    r = rx.recv() => r,
                    _ = tx.closed() => return,
                },
            };
            match next {
                Ok(e) => {
                    if engine::events::matches(&e, &filters) && tx.send(Ok(line(&e))).await.is_err() {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            }
        }
    });
    Ok(resp)
}
