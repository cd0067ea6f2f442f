//! A Twilio stand-in whose answers the test holds back: every message it is asked to send is
//! recorded as it arrives (its `To`), and answered with Twilio's acceptance (a new `sid`) only
//! once the test calls [`HeldProvider::release`] — a provider call in flight for as long as the
//! test wants, then answered late. [`HeldProvider::answering`] accepts at once from the start.
//!
//! A plain HTTP/1.1 server on a TCP socket of its own (keep-alive, `Content-Length` bodies:
//! what the daemon's client sends), so a request is seen the moment it arrives, before any
//! answer exists.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::daemon::poll;

/// One Twilio stand-in; its server runs until the test process ends.
#[derive(Debug, Clone)]
pub struct HeldProvider {
    base: String,
    /// The `To` of every message received and when it arrived, in arrival order.
    seen: Arc<Mutex<Vec<(String, Instant)>>>,
    /// `true`: answer held and new requests with an acceptance.
    open: Arc<watch::Sender<bool>>,
}

impl HeldProvider {
    /// Holds every answer until [`HeldProvider::release`].
    pub async fn holding() -> HeldProvider {
        Self::start(false).await
    }

    /// Accepts every message at once.
    pub async fn answering() -> HeldProvider {
        Self::start(true).await
    }

    async fn start(open: bool) -> HeldProvider {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the held provider");
        let addr = listener.local_addr().expect("its address");
        let provider = HeldProvider {
            base: format!("http://{addr}"),
            seen: Arc::default(),
            open: Arc::new(watch::Sender::new(open)),
        };
        let server = provider.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(server.clone().connection(sock));
            }
        });
        provider
    }

    /// Its base URL (`[channels.sms] base_url`).
    pub fn uri(&self) -> String {
        self.base.clone()
    }

    /// The recipients of the messages received so far, oldest first.
    pub fn requests(&self) -> Vec<String> {
        self.arrivals().into_iter().map(|(to, _)| to).collect()
    }

    /// The recipients of the messages received so far with when each arrived, oldest first.
    pub fn arrivals(&self) -> Vec<(String, Instant)> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many messages to `to` it has received.
    pub fn count_to(&self, to: &str) -> usize {
        self.requests().iter().filter(|t| *t == to).count()
    }

    /// Answers every held request with an acceptance, and every later one at once.
    pub fn release(&self) {
        self.open.send_replace(true);
    }

    /// Waits (bounded) until at least `n` messages arrived; returns their recipients.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        poll(&format!("{n} requests at the held provider"), || async {
            let seen = self.requests();
            if seen.len() >= n {
                Ok(seen)
            } else {
                Err(format!("{seen:?}"))
            }
        })
        .await
    }

    /// Serves one connection: request after request, each answered once released.
    async fn connection(self, mut sock: TcpStream) {
        let mut buf = Vec::new();
        loop {
            let Some((head, body)) = read_request(&mut sock, &mut buf).await else {
                return;
            };
            let to = form_field(&body, "To").unwrap_or_default();
            let n = {
                let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
                seen.push((to, Instant::now()));
                seen.len()
            };
            let mut open = self.open.subscribe();
            if open.wait_for(|o| *o).await.is_err() {
                return;
            }
            let answer = if head.starts_with("POST ") {
                format!("{{\"sid\":\"SMheld{n}\",\"status\":\"queued\"}}")
            } else {
                "{}".to_owned()
            };
            let response = format!(
                "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                answer.len()
            );
            if sock.write_all(response.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

/// Reads one request (head and `Content-Length` body) from `sock`; `None` when it closes.
/// `buf` keeps what was read past the request.
async fn read_request(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    Some((head, body))
}

/// The value of `key` in a form-encoded body (`+` and `%XX` decoded).
fn form_field(body: &[u8], key: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let raw = text
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)?
        .1
        .replace('+', " ");
    let mut out = Vec::new();
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex: Vec<u8> = bytes.by_ref().take(2).collect();
            match std::str::from_utf8(&hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(v) => out.push(v),
                None => {
                    out.push(b'%');
                    out.extend_from_slice(&hex);
                }
            }
        } else {
            out.push(b);
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::form_field;

    #[test]
    fn form_fields_are_decoded() {
        assert_eq!(
            form_field(b"To=%2B14155550200&From=%2B1415&Body=Hi+there", "To").as_deref(),
            Some("+14155550200")
        );
        assert_eq!(
            form_field(b"To=a&Body=Hi+there", "Body").as_deref(),
            Some("Hi there")
        );
        assert_eq!(form_field(b"To=a", "From"), None);
    }
}
