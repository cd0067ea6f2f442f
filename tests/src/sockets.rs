//! Raw client sockets for the server-limits suite: connections that send nothing, that drip a
//! request head or stall a body, and one-shot requests written by hand — each watched until
//! the daemon closes it, with what (if anything) it answered. A socket the daemon never
//! closes fails the test after a minute.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a socket may stay open before the test gives up on the daemon closing it.
const PATIENCE: Duration = Duration::from_secs(60);

/// How one connection ended: what the daemon answered before closing it (empty: nothing),
/// and when it closed.
#[derive(Debug, Clone)]
pub struct Closed {
    pub answer: Vec<u8>,
    pub at: Instant,
}

impl Closed {
    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        let text = String::from_utf8_lossy(&self.answer);
        let line = text.lines().next()?;
        let mut parts = line.split(' ');
        match (parts.next(), parts.next()) {
            (Some(v), Some(code)) if v.starts_with("HTTP/1.") => code.parse().ok(),
            _ => None,
        }
    }

    /// The answer as text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.answer).into_owned()
    }
}

/// A TCP connection to `addr` (the handshake done by the kernel; the daemon may yet close it).
pub async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connecting to {addr}: {e}"))
}

/// A TCP connection to `addr` from the loopback address `from` (e.g. `127.0.0.3`: another
/// client address as far as the daemon's per-address limit is concerned).
pub async fn connect_from(from: std::net::IpAddr, addr: SocketAddr) -> TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().expect("a socket");
    sock.bind(SocketAddr::new(from, 0))
        .unwrap_or_else(|e| panic!("binding {from}: {e}"));
    sock.connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connecting to {addr} from {from}: {e}"))
}

/// Reads until the daemon closes the connection (EOF or reset); counts it in `closed` then.
/// Panics when it stays open for a minute.
pub async fn until_closed(mut sock: TcpStream, closed: Option<Arc<AtomicUsize>>) -> Closed {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, sock.read(&mut chunk)).await {
            Err(_) => panic!(
                "the daemon kept the connection open for {PATIENCE:?}; it answered {:?}",
                String::from_utf8_lossy(&answer)
            ),
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&chunk[..n]),
        }
    }
    if let Some(c) = closed {
        c.fetch_add(1, Ordering::SeqCst);
    }
    Closed {
        answer,
        at: Instant::now(),
    }
}

/// Writes `bytes` at once (a write the daemon refused by closing counts as written), then
/// waits for the close.
pub async fn send_then_wait(
    mut sock: TcpStream,
    bytes: Vec<u8>,
    closed: Option<Arc<AtomicUsize>>,
) -> Closed {
    let _ = sock.write_all(&bytes).await;
    until_closed(sock, closed).await
}

/// Writes `first` at once, then `drip` one byte every `every` (over and over) until the
/// daemon closes the connection — a request head that never ends.
pub async fn drip_until_closed(
    mut sock: TcpStream,
    first: Vec<u8>,
    drip: &'static [u8],
    every: Duration,
    closed: Arc<AtomicUsize>,
) -> Closed {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    // A refused write is the close seen early: the next read ends it.
    let _ = sock.write_all(&first).await;
    let mut next = drip.iter().cycle();
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tokio::select! {
            read = sock.read(&mut chunk) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            },
            _ = tick.tick() => {
                let byte = [*next.next().expect("a byte to drip")];
                let _ = sock.write_all(&byte).await;
            }
            () = tokio::time::sleep_until(deadline) => panic!(
                "the daemon kept a dripping connection open for {PATIENCE:?}"
            ),
        }
    }
    closed.fetch_add(1, Ordering::SeqCst);
    Closed {
        answer,
        at: Instant::now(),
    }
}

/// A whole `GET` request for `path` asking the daemon to close the connection after it.
pub fn get_and_close(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: touchgate\r\nConnection: close\r\n\r\n").into_bytes()
}
