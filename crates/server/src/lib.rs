//! The Docker Engine API over HTTP/1.1 on a unix socket.
//!
//! Requests are routed by method and path (with or without a `/vX.Y` prefix) to thin
//! handlers in [`routes`], one module per API group, each depending only on its backend
//! trait from `engine::backend`. Engine calls block, so handlers run them on blocking
//! threads; bodies stream in both directions through channels. Errors are mapped to HTTP
//! status in one place: [`error::status_for`]. A panic in a handler becomes a 500 for that
//! request; it never takes the daemon down.
#![deny(missing_docs)]

pub mod error;
pub mod http;
pub mod routes;

use engine::backend::{ContainerBackend, ImageBackend, SystemBackend};
use http::{Body, Request, Response};
use hyper::body::Incoming;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::UnixListener;

/// The backends the API serves.
#[derive(Clone)]
pub struct Backends {
    /// Images.
    pub images: Arc<dyn ImageBackend>,
    /// System.
    pub system: Arc<dyn SystemBackend>,
    /// Containers and execs.
    pub containers: Arc<dyn ContainerBackend>,
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(listener: UnixListener, backends: Backends, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let conn = tokio::select! {
            _ = &mut shutdown => return,
            c = listener.accept() => c,
        };
        let (stream, _) = match conn {
            Ok(c) => c,
            Err(e) => {
                eprintln!("berthd: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let b = backends.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let b = b.clone();
                async move { Ok::<_, Infallible>(handle(b, req).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).with_upgrades().await;
        });
    }
}

/// Handles one request: version check, routing, panic containment, common headers.
pub async fn handle(backends: Backends, req: hyper::Request<Incoming>) -> hyper::Response<Body> {
    let req = match Request::new(req) {
        Ok(r) => r,
        Err(e) => return http::error_response(&e),
    };
    let method = req.method.clone();
    let path = req.path.clone();
    let task = tokio::spawn(async move { routes::dispatch(&backends, req).await });
    let mut resp = match task.await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => http::error_response(&e),
        Err(join) => {
            eprintln!("berthd: handler for {method} {path} failed: {join}");
            http::error_response(&engine::Error::internal(format!("internal error handling {method} {path}")))
        }
    };
    http::common_headers(&mut resp);
    resp
}

/// Re-exported for handlers.
pub type Result<T> = std::result::Result<T, engine::Error>;

/// A response builder result.
pub type HandlerResult = Result<Response>;
