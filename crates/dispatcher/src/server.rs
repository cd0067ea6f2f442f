//! The HTTP server loop, with the limits an internet-facing endpoint needs (the webhooks face
//! providers and anyone else): a connection that has not sent a whole request head within
//! `header_timeout` is closed (an idle keep-alive connection too); a request whose body stalls
//! for `body_timeout` between two reads, or that takes longer than `request_timeout` as a
//! whole, is answered 408 and its connection dropped; at most `max_connections` connections
//! are open (one more is closed at once), and at most `max_connections_per_ip` from one
//! address. HTTP/1.1 only: the protocol every webhook provider speaks, and no sniffing phase
//! in which an idle connection could wait outside the header timeout.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;
use tracing::{debug, warn};

/// The limits (`[server] header_timeout_ms`, `body_timeout_ms`, `request_timeout_ms`,
/// `max_connections`, `max_connections_per_ip`).
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    pub header_timeout_ms: u64,
    pub body_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            request_timeout_ms: 60_000,
            max_connections: 1024,
            max_connections_per_ip: 256,
        }
    }
}

impl ServerLimits {
    pub fn header_timeout(&self) -> Duration {
        Duration::from_millis(self.header_timeout_ms.max(1))
    }
    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms.max(1))
    }
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(1))
    }
}

/// Open connections per remote address.
#[derive(Debug, Default)]
struct PerIp {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's place in [`PerIp`]; given back when dropped.
struct IpSlot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn take(table: &Arc<PerIp>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut open = table
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            table: table.clone(),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self
            .table
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then waits for the connections
/// in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_ip = Arc::new(PerIp::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            debug!(%remote, "connection refused: the server is at max_connections");
            drop(stream);
            continue;
        };
        let Some(slot) = PerIp::take(&per_ip, remote.ip(), limits.max_connections_per_ip) else {
            debug!(%remote, "connection refused: max_connections_per_ip for this address");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let with_remote = move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            req
        };
        let service = TowerToHyperService::new(router.clone().map_request(with_remote));
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout())
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(hold(conn, permit, slot));
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Runs one connection, keeping its places until it ends.
async fn hold(
    conn: impl Future<Output = Result<(), hyper::Error>>,
    permit: OwnedSemaphorePermit,
    slot: IpSlot,
) {
    if let Err(e) = conn.await {
        debug!(error = %e, "connection ended with an error");
    }
    drop(permit);
    drop(slot);
}
