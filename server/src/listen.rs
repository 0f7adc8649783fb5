//! Serving connections: HTTP/1.1 with a deadline for every request head, a cap on open
//! connections, the client's address for every request, and a graceful stop.
//!
//! `axum::serve` sets no timer, so hyper waits for a request head for ever: a connection that
//! never sends a byte, one that trickles its head a byte at a time, or an idle keep-alive one stays
//! open, and a few hundred of them (slowloris) would use up the server. Here each connection is
//! served by hyper directly with a [`ConnectionLimits::header_timeout`] that starts whenever hyper
//! waits for a request head: on a new connection and again after every answer on a kept-alive one.
//! A slow *body* is the router's business (`web::BODY_TIMEOUT`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How long and how many connections the server keeps.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A request head (its line and headers) must arrive whole within this long, counted from when
    /// the server starts waiting for it: a silent new connection, a trickled head and an idle
    /// kept-alive connection are each closed after it.
    pub header_timeout: Duration,
    /// The most connections open at once. More wait in the system's queue until one closes.
    pub max_connections: usize,
    /// On stopping, how long requests under way may take to finish.
    pub drain_timeout: Duration,
}

/// Request heads are a few hundred bytes; a browser sends one at once.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);
/// Far above what the dashboard's people keep open (a browser opens about six each); lowered at
/// start to what the process's open-file limit allows (raised to its hard limit first).
pub const MAX_CONNECTIONS: usize = 1024;

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: HEADER_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` until `stop` completes, then lets the requests under way finish
/// (up to [`ConnectionLimits::drain_timeout`]) and closes idle connections. Each request carries
/// `ConnectInfo<SocketAddr>`, the connection's peer.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: pass, and try again shortly.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let service =
            router
                .clone()
                .map_request(move |mut request: axum::http::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts, resets and malformed heads: the client's doing, not ours.
                tracing::debug!(%peer, "connection ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still under way after {:?}; stopping anyway",
            limits.drain_timeout
        );
    }
    Ok(())
}
