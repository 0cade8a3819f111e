//! `/containers/...` and `/exec/...` handlers, including attach and exec over an HTTP
//! upgrade (the connection becomes a raw bidirectional stream).

use super::{blocking, ok_json};
use crate::http::{self, ChannelWriter, Request};
use crate::Backends;
use bytes::Bytes;
use engine::containers::{parse_detach_keys, parse_log_time, AttachRequest, ListOptions, LogOptions};
use engine::Error;
use hyper::header::HeaderValue;
use hyper::StatusCode;
use serde_json::json;
use std::io::Write;

fn opt_i64(req: &Request, key: &str) -> crate::Result<Option<i64>> {
    match req.q(key) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| Error::invalid(format!("invalid value for {key}: {v:?}"))),
    }
}

fn dims(req: &Request) -> crate::Result<(u16, u16)> {
    let n = |k: &str| -> crate::Result<u16> { req.q(k).unwrap_or("0").parse().map_err(|_| Error::invalid(format!("invalid value for {k}: {:?}", req.qs(k)))) };
    Ok((n("h")?, n("w")?))
}

pub(super) async fn list(b: &Backends, req: &Request) -> crate::HandlerResult {
    let opts = ListOptions { all: req.qbool("all")?, limit: opt_i64(req, "limit")?.unwrap_or(-1), size: req.qbool("size")?, filters: req.filters()? };
    let c = b.containers.clone();
    ok_json(&blocking(move || c.list(&opts)).await?)
}

pub(super) async fn create(b: &Backends, req: &mut Request) -> crate::HandlerResult {
    let body: api::container::CreateRequest = {
        let bytes = req.bytes().await?;
        if bytes.iter().all(|c| c.is_ascii_whitespace()) {
            return Err(Error::invalid("config cannot be empty in order to create a container"));
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::invalid(format!("invalid JSON body: {e}")))?
    };
    let (c, name) = (b.containers.clone(), req.qs("name"));
    let r = blocking(move || c.create(Some(&name), body)).await?;
    Ok(http::json(StatusCode::CREATED, &r))
}

pub(super) async fn inspect(b: &Backends, req: &Request, name: &str) -> crate::HandlerResult {
    let (c, name, size) = (b.containers.clone(), name.to_string(), req.qbool("size")?);
    ok_json(&blocking(move || c.inspect(&name, size)).await?)
}

/// Runs a blocking action that answers 204 (or 304 when nothing was to be done).
async fn no_content(f: impl FnOnce() -> crate::Result<()> + Send + 'static) -> crate::HandlerResult {
    match blocking(f).await {
        Ok(()) => Ok(http::empty(StatusCode::NO_CONTENT)),
        Err(e) if e.kind == engine::ErrorKind::NotModified => Ok(http::empty(StatusCode::NOT_MODIFIED)),
        Err(e) => Err(e),
    }
}

pub(super) async fn action(b: &Backends, req: &mut Request, name: &str, verb: &str) -> crate::HandlerResult {
    let c = b.containers.clone();
    let name = name.to_string();
    match verb {
        "start" => no_content(move || c.start(&name)).await,
        "stop" | "restart" => {
            let t = opt_i64(req, "t")?.or(opt_i64(req, "timeout")?);
            let sig = req.q("signal").map(String::from);
            if verb == "stop" {
                no_content(move || c.stop(&name, t, sig.as_deref())).await
            } else {
                no_content(move || c.restart(&name, t, sig.as_deref())).await
            }
        }
        "kill" => {
            let sig = req.qs("signal");
            no_content(move || c.kill(&name, &sig)).await
        }
        "pause" => no_content(move || c.pause(&name)).await,
        "unpause" => no_content(move || c.unpause(&name)).await,
        "rename" => {
            let new = req.qs("name");
            no_content(move || c.rename(&name, &new)).await
        }
        "resize" => {
            let (h, w) = dims(req)?;
            blocking(move || c.resize(&name, h, w)).await?;
            Ok(http::empty(StatusCode::OK))
        }
        "top" => {
            let ps = req.qs("ps_args");
            ok_json(&blocking(move || c.top(&name, &ps)).await?)
        }
        "update" => {
            let u: api::container::UpdateConfig = req.json().await?;
            let warnings = blocking(move || c.update(&name, u)).await?;
            ok_json(&json!({"Warnings": warnings}))
        }
        "wait" => wait(b, req, &name).await,
        "attach" => attach(b, req, &name).await,
        "exec" => {
            let cfg: api::container::ExecConfig = req.json().await?;
            let id = blocking(move || c.create_exec(&name, cfg)).await?;
            Ok(http::json(StatusCode::CREATED, &json!({"Id": id})))
        }
        _ => Err(Error::not_found("page not found")),
    }
}

pub(super) async fn remove(b: &Backends, req: &Request, name: &str) -> crate::HandlerResult {
    let (force, volumes) = (req.qbool("force")?, req.qbool("v")?);
    if req.qbool("link")? {
        return Err(Error::invalid("legacy links are not supported"));
    }
    let (c, name) = (b.containers.clone(), name.to_string());
    blocking(move || c.remove(&name, force, volumes)).await?;
    Ok(http::empty(StatusCode::NO_CONTENT))
}

pub(super) async fn prune(b: &Backends, req: &Request) -> crate::HandlerResult {
    let (c, f) = (b.containers.clone(), req.filters()?);
    let (deleted, reclaimed) = blocking(move || c.prune(&f)).await?;
    ok_json(&json!({"ContainersDeleted": if deleted.is_empty() { serde_json::Value::Null } else { json!(deleted) }, "SpaceReclaimed": reclaimed}))
}

/// Answers at once (the wait is registered), sends the result when the condition holds.
async fn wait(b: &Backends, req: &Request, name: &str) -> crate::HandlerResult {
    let (c, name, cond) = (b.containers.clone(), name.to_string(), req.qs("condition"));
    let waiter = blocking(move || c.wait(&name, &cond)).await?;
    let (tx, resp) = http::streaming("application/json");
    tokio::spawn(async move {
        if let Ok(code) = tokio::task::spawn_blocking(waiter).await {
            let mut v = serde_json::to_vec(&json!({"StatusCode": code, "Error": null})).expect("json");
            v.push(b'\n');
            let _ = tx.send(Ok(Bytes::from(v))).await;
        }
    });
    Ok(resp)
}

pub(super) async fn logs(b: &Backends, req: &Request, name: &str) -> crate::HandlerResult {
    // As dockerd: `all`, a negative number or anything unparsable means every line.
    let tail = req.q("tail").and_then(|t| t.parse::<i64>().ok()).filter(|t| *t >= 0).map(|t| t as usize);
    let opts = LogOptions {
        stdout: req.qbool("stdout")?,
        stderr: req.qbool("stderr")?,
        follow: req.qbool("follow")?,
        tail,
        timestamps: req.qbool("timestamps")?,
        details: req.qbool("details")?,
        since: parse_log_time(&req.qs("since"))?,
        until: parse_log_time(&req.qs("until"))?,
    };
    if !opts.stdout && !opts.stderr {
        return Err(Error::invalid("Bad parameters: you must choose at least one stream"));
    }
    let (c, name) = (b.containers.clone(), name.to_string());
    let tty = {
        let (c, n) = (c.clone(), name.clone());
        blocking(move || c.check_logs(&n)).await?
    };
    let ct = if tty { "application/vnd.docker.raw-stream" } else { "application/vnd.docker.multiplexed-stream" };
    let (tx, resp) = http::streaming(ct);
    tokio::task::spawn_blocking(move || {
        let closed = tx.clone();
        let mut w = ChannelWriter::new(tx);
        let r = c.logs(&name, &opts, &mut w, &|| closed.is_closed());
        let _ = w.flush();
        if let Err(e) = r {
            w.fail(std::io::Error::other(e.message));
        }
    });
    Ok(resp)
}

pub(super) async fn stats(b: &Backends, req: &Request, name: &str) -> crate::HandlerResult {
    let stream = req.q("stream").is_none_or(|s| s == "1" || s.eq_ignore_ascii_case("true"));
    let one_shot = req.qbool("one-shot")?;
    let (c, name) = (b.containers.clone(), name.to_string());
    {
        let (c, n) = (c.clone(), name.clone());
        blocking(move || c.inspect(&n, false)).await?;
    }
    if !stream {
        let v = blocking(move || {
            let first = c.stats(&name, None)?;
            if one_shot || !c.running(&name) {
                return Ok(first);
            }
            std::thread::sleep(std::time::Duration::from_millis(1000));
            c.stats(&name, Some(&first))
        })
        .await?;
        return ok_json(&v);
    }
    let (tx, resp) = http::streaming("application/json");
    tokio::spawn(async move {
        let mut prev: Option<serde_json::Value> = None;
        loop {
            let (c2, n2, p2) = (c.clone(), name.clone(), prev.clone());
            let Ok(Ok(v)) = tokio::task::spawn_blocking(move || c2.stats(&n2, p2.as_ref())).await else { return };
            let mut line = serde_json::to_vec(&v).expect("json");
            line.push(b'\n');
            if tx.send(Ok(Bytes::from(line))).await.is_err() {
                return;
            }
            prev = Some(v);
            let (c3, n3) = (c.clone(), name.clone());
            if !tokio::task::spawn_blocking(move || c3.running(&n3)).await.unwrap_or(false) {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                _ = tx.closed() => return,
            }
        }
    });
    Ok(resp)
}

/// The response that switches the connection to a raw stream (Docker's hijack).
fn upgrade_response(req: &Request, tty: bool) -> crate::HandlerResult {
    let wants_upgrade = req.headers.get("upgrade").is_some();
    let ct = if tty || !req.version_at_least("1.42") { "application/vnd.docker.raw-stream" } else { "application/vnd.docker.multiplexed-stream" };
    let mut r = http::empty(if wants_upgrade { StatusCode::SWITCHING_PROTOCOLS } else { StatusCode::OK });
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static(ct));
    if wants_upgrade {
        h.insert("connection", HeaderValue::from_static("Upgrade"));
        h.insert("upgrade", HeaderValue::from_static("tcp"));
    }
    Ok(r)
}

/// Splices the upgraded client connection and the shim stream until both sides are done.
fn splice(on_upgrade: hyper::upgrade::OnUpgrade, stream: tokio::sync::oneshot::Receiver<engine::Result<std::os::unix::net::UnixStream>>) {
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else { return };
        let mut client = hyper_util::rt::TokioIo::new(upgraded);
        let Ok(Ok(s)) = stream.await else {
            use tokio::io::AsyncWriteExt;
            let _ = client.shutdown().await;
            return;
        };
        if s.set_nonblocking(true).is_err() {
            return;
        }
        let Ok(mut shim) = tokio::net::UnixStream::from_std(s) else { return };
        let _ = tokio::io::copy_bidirectional(&mut client, &mut shim).await;
    });
}

async fn attach(b: &Backends, req: &mut Request, name: &str) -> crate::HandlerResult {
    let keys = req.qs("detachKeys");
    let ar = AttachRequest {
        stdin: req.qbool("stdin")?,
        stdout: req.qbool("stdout")?,
        stderr: req.qbool("stderr")?,
        detach_keys: parse_detach_keys(if keys.is_empty() { "ctrl-p,ctrl-q" } else { &keys })?,
    };
    let Some(on_upgrade) = req.upgrade.take() else { return Err(Error::invalid("attach needs an upgradable connection")) };
    let (c, n) = (b.containers.clone(), name.to_string());
    let tty = {
        let (c, n) = (c.clone(), n.clone());
        blocking(move || c.has_tty(&n)).await?
    };
    let rx = blocking(move || c.attach(&n, ar)).await?;
    let resp = upgrade_response(req, tty)?;
    splice(on_upgrade, rx);
    Ok(resp)
}

pub(super) async fn exec_route(b: &Backends, req: &mut Request, rest: &str) -> crate::HandlerResult {
    let c = b.containers.clone();
    let (id, verb) = rest.split_once('/').unwrap_or((rest, ""));
    let id = id.to_string();
    match (req.method.clone(), verb) {
        (hyper::Method::POST, "start") => {
            let cfg: api::container::ExecStartConfig = req.json().await?;
            let on_upgrade = req.upgrade.take();
            let tty = cfg.tty;
            let detach = cfg.detach;
            let stream = match blocking(move || c.start_exec(&id, &cfg)).await {
                Ok(s) => s,
                // Like Docker: once attached, a failure to run the process is reported in the
                // stream (and in the exec's exit code), not as an HTTP error.
                Err(e) if !detach && on_upgrade.is_some() && e.kind == engine::ErrorKind::InvalidArgument => {
                    let resp = upgrade_response(req, tty)?;
                    let up = on_upgrade.expect("checked");
                    let msg = format!("{}\r\n", e.message);
                    tokio::spawn(async move {
                        use tokio::io::AsyncWriteExt;
                        let Ok(upgraded) = up.await else { return };
                        let mut client = hyper_util::rt::TokioIo::new(upgraded);
                        let bytes = if tty { msg.into_bytes() } else { api::container::frame(1, msg.as_bytes()) };
                        let _ = client.write_all(&bytes).await;
                        let _ = client.shutdown().await;
                    });
                    return Ok(resp);
                }
                Err(e) => return Err(e),
            };
            match (stream, on_upgrade) {
                (None, _) => Ok(http::empty(StatusCode::OK)),
                (Some(s), Some(up)) => {
                    let resp = upgrade_response(req, tty)?;
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    let _ = tx.send(Ok(s));
                    splice(up, rx);
                    Ok(resp)
                }
                (Some(_), None) => Err(Error::invalid("exec start needs an upgradable connection")),
            }
        }
        (hyper::Method::POST, "resize") => {
            let (h, w) = dims(req)?;
            blocking(move || c.resize_exec(&id, h, w)).await?;
            Ok(http::empty(StatusCode::CREATED))
        }
        (hyper::Method::GET, "json") => ok_json(&blocking(move || c.inspect_exec(&id)).await?),
        _ => Err(Error::not_found("page not found")),
    }
}
