//! Email over SMTP against a tiny SMTP server the test runs on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use gate::Channel;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use workers::config::{SmtpConfig, SmtpTls};
use workers::smtp::SmtpTransport;
use workers::{SendError, Transport};

const UNSUBSCRIBE: &str = "https://tg.example/v1/unsubscribe/tok123.sig456";

/// What the server answers at RCPT and after the message's final dot.
#[derive(Clone, Copy, Debug)]
enum Reply {
    Ok,
    Code(u16),
    /// Never answer (the client must time out).
    Stall,
}

#[derive(Debug, Default)]
struct Log {
    connections: usize,
    auth: Vec<String>,
    mail_from: Vec<String>,
    rcpt_to: Vec<String>,
    messages: Vec<String>,
}

struct Server {
    port: u16,
    log: Arc<Mutex<Log>>,
}

async fn server(rcpt: Reply, end_of_data: Reply) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Log::default()));
    let shared = Arc::clone(&log);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            shared.lock().unwrap().connections += 1;
            tokio::spawn(session(stream, Arc::clone(&shared), rcpt, end_of_data));
        }
    });
    Server { port, log }
}

async fn reply(w: &mut tokio::net::tcp::OwnedWriteHalf, r: Reply, ok: &str) -> bool {
    match r {
        Reply::Ok => w.write_all(ok.as_bytes()).await.is_ok(),
        Reply::Code(c) => w
            .write_all(
                format!(
                    "{c} {} test refusal\r\n",
                    if c >= 500 { "5.1.1" } else { "4.7.1" }
                )
                .as_bytes(),
            )
            .await
            .is_ok(),
        Reply::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            false
        }
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    log: Arc<Mutex<Log>>,
    rcpt: Reply,
    end_of_data: Reply,
) {
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r).lines();
    if w.write_all(b"220 test.local ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let ok = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            w.write_all(
                b"250-test.local\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n",
            )
            .await
            .is_ok()
        } else if upper.starts_with("AUTH") {
            log.lock().unwrap().auth.push(line.clone());
            w.write_all(b"235 2.7.0 Authentication successful\r\n")
                .await
                .is_ok()
        } else if upper.starts_with("MAIL FROM:") {
            log.lock().unwrap().mail_from.push(line[10..].to_owned());
            w.write_all(b"250 2.1.0 Ok\r\n").await.is_ok()
        } else if upper.starts_with("RCPT TO:") {
            log.lock().unwrap().rcpt_to.push(line[8..].to_owned());
            reply(&mut w, rcpt, "250 2.1.5 Ok\r\n").await
        } else if upper == "DATA" {
            if w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut data = String::new();
            while let Ok(Some(l)) = lines.next_line().await {
                if l == "." {
                    break;
                }
                let l = l
                    .strip_prefix('.')
                    .filter(|_| l.starts_with(".."))
                    .unwrap_or(&l);
                data.push_str(l);
                data.push_str("\r\n");
            }
            log.lock().unwrap().messages.push(data);
            reply(&mut w, end_of_data, "250 2.0.0 Ok: queued as ABC123\r\n").await
        } else if upper == "NOOP" || upper == "RSET" {
            w.write_all(b"250 2.0.0 Ok\r\n").await.is_ok()
        } else if upper == "QUIT" {
            let _ = w.write_all(b"221 2.0.0 Bye\r\n").await;
            return;
        } else {
            w.write_all(b"502 5.5.2 Error: command not recognized\r\n")
                .await
                .is_ok()
        };
        if !ok {
            return;
        }
    }
}

fn config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port: Some(port),
        tls: SmtpTls::None,
        username_env: None,
        password_env: None,
        from: "SDR Team <sdr@acme.example>".to_owned(),
        hello_name: Some("tg.test".to_owned()),
        timeout_secs: None,
        rate_per_second: None,
        pool_size: None,
        require_unsubscribe_url: true,
    }
}

fn smtp(port: u16) -> SmtpTransport {
    SmtpTransport::new(&config(port), &env(&[]))
        .unwrap()
        .with_timeout(Duration::from_millis(500))
}

fn email() -> workers::OutboundMessage {
    let mut msg = message(Channel::Email, EMAIL);
    msg.subject = Some("Quick question".to_owned());
    msg.unsubscribe_url = Some(UNSUBSCRIBE.to_owned());
    msg
}

/// The headers (unfolded) and body of a received message.
fn parse(data: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            headers.last_mut().unwrap().1.push_str(line);
        } else {
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.to_owned(), v.trim().to_owned()));
        }
    }
    (headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

#[tokio::test]
async fn email_goes_out_with_envelope_headers_and_body() {
    let s = server(Reply::Ok, Reply::Ok).await;
    let receipt = smtp(s.port)
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap();
    assert_eq!(receipt.provider_message_id, "<touch.touch-1@acme.example>");
    let log = s.log.lock().unwrap();
    assert_eq!(log.mail_from, ["<sdr@acme.example>"]);
    assert_eq!(log.rcpt_to, ["<ana@example.com>"]);
    assert_eq!(log.messages.len(), 1);
    let (headers, body) = parse(&log.messages[0]);
    assert_eq!(header(&headers, "From"), "\"SDR Team\" <sdr@acme.example>");
    assert_eq!(header(&headers, "To"), "ana@example.com");
    assert_eq!(header(&headers, "Subject"), "Quick question");
    assert_eq!(
        header(&headers, "Message-ID"),
        "<touch.touch-1@acme.example>"
    );
    assert_eq!(
        header(&headers, "List-Unsubscribe"),
        format!("<{UNSUBSCRIBE}>")
    );
    assert_eq!(
        header(&headers, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(header(&headers, "Date"), "Wed, 25 Nov 2026 18:00:00 +0000");
    assert!(header(&headers, "Content-Type").starts_with("text/plain"));
    assert_eq!(body.trim_end(), "Hello Ana");
}

#[tokio::test]
async fn the_accounts_own_mailbox_is_the_sender() {
    let s = server(Reply::Ok, Reply::Ok).await;
    let mut msg = email();
    msg.from = Some("Bo <bo@sales.acme.example>".to_owned());
    let r = smtp(s.port)
        .send(permit(Channel::Email, EMAIL), &msg, now())
        .await
        .unwrap();
    assert_eq!(r.provider_message_id, "<touch.touch-1@sales.acme.example>");
    assert_eq!(s.log.lock().unwrap().mail_from, ["<bo@sales.acme.example>"]);
}

#[tokio::test]
async fn connections_are_reused() {
    let s = server(Reply::Ok, Reply::Ok).await;
    let t = smtp(s.port);
    for _ in 0..3 {
        t.send(permit(Channel::Email, EMAIL), &email(), now())
            .await
            .unwrap();
    }
    let log = s.log.lock().unwrap();
    assert_eq!(log.messages.len(), 3);
    assert_eq!(log.connections, 1, "one connection, kept in the pool");
}

#[tokio::test]
async fn credentials_are_sent_with_auth_plain() {
    let s = server(Reply::Ok, Reply::Ok).await;
    let mut cfg = config(s.port);
    cfg.username_env = Some("SMTP_USER".to_owned());
    cfg.password_env = Some("SMTP_PASSWORD".to_owned());
    let t = SmtpTransport::new(
        &cfg,
        &env(&[("SMTP_USER", "sdr"), ("SMTP_PASSWORD", "pw-value")]),
    )
    .unwrap()
    .with_timeout(Duration::from_millis(500));
    assert!(!format!("{t:?}").contains("pw-value"));
    t.send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap();
    // base64("\0sdr\0pw-value")
    assert_eq!(
        s.log.lock().unwrap().auth,
        ["AUTH PLAIN AHNkcgBwdy12YWx1ZQ=="]
    );
    let err = SmtpTransport::new(&cfg, &env(&[("SMTP_USER", "sdr")])).unwrap_err();
    assert!(err.to_string().contains("SMTP_PASSWORD"), "{err}");
}

#[tokio::test]
async fn smtp_550_at_rcpt_is_rejected() {
    let s = server(Reply::Code(550), Reply::Ok).await;
    let err = smtp(s.port)
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SendError::Rejected { code: Some(c), .. } if c == "smtp_550"),
        "{err:?}"
    );
    assert!(s.log.lock().unwrap().messages.is_empty());
}

#[tokio::test]
async fn smtp_451_at_rcpt_is_transient() {
    let s = server(Reply::Code(451), Reply::Ok).await;
    let err = smtp(s.port)
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn smtp_554_after_data_is_rejected() {
    let s = server(Reply::Ok, Reply::Code(554)).await;
    let err = smtp(s.port)
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SendError::Rejected { code: Some(c), .. } if c == "smtp_554"),
        "{err:?}"
    );
}

#[tokio::test]
async fn smtp_connection_refused_is_transient() {
    let addr = dead_address().await;
    let err = smtp(addr.port())
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn smtp_timeout_before_data_is_transient() {
    let s = server(Reply::Stall, Reply::Ok).await;
    let err = smtp(s.port)
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn smtp_timeout_after_data_is_unknown() {
    let s = server(Reply::Ok, Reply::Stall).await;
    let err = smtp(s.port)
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Unknown { .. }), "{err:?}");
    assert_eq!(
        s.log.lock().unwrap().messages.len(),
        1,
        "the message did go out"
    );
}

#[tokio::test]
async fn refused_permits_never_connect() {
    let s = server(Reply::Ok, Reply::Ok).await;
    let t = smtp(s.port);
    let err = t
        .send(
            permit(Channel::Email, EMAIL),
            &email(),
            now() + chrono::Duration::seconds(120),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permit(_)), "{err:?}");
    let err = t
        .send(permit(Channel::Email, "bo@example.com"), &email(), now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permit(_)), "{err:?}");
    assert_eq!(s.log.lock().unwrap().connections, 0);
}

#[tokio::test]
async fn an_email_without_unsubscribe_url_is_refused_before_connecting() {
    let s = server(Reply::Ok, Reply::Ok).await;
    let mut msg = email();
    msg.unsubscribe_url = None;
    let err = smtp(s.port)
        .send(permit(Channel::Email, EMAIL), &msg, now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SendError::Rejected { code: Some(c), .. } if c == "unsubscribe_url_missing"),
        "{err:?}"
    );
    msg.unsubscribe_url = Some("https://x.example/u\r\nBcc: evil@x.example".to_owned());
    let err = smtp(s.port)
        .send(permit(Channel::Email, EMAIL), &msg, now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Rejected { .. }), "{err:?}");
    assert_eq!(s.log.lock().unwrap().connections, 0);

    // opted out of the requirement: goes without the headers
    let mut cfg = config(s.port);
    cfg.require_unsubscribe_url = false;
    let t = SmtpTransport::new(&cfg, &env(&[])).unwrap();
    msg.unsubscribe_url = None;
    t.send(permit(Channel::Email, EMAIL), &msg, now())
        .await
        .unwrap();
    let log = s.log.lock().unwrap();
    let (headers, _) = parse(&log.messages[0]);
    assert!(
        !headers
            .iter()
            .any(|(k, _)| k.starts_with("List-Unsubscribe"))
    );
}

#[tokio::test]
async fn a_saturated_mailbox_is_throttled_without_connecting() {
    let s = server(Reply::Ok, Reply::Ok).await;
    let t = smtp(s.port).with_quota(governor::Quota::per_hour(std::num::NonZeroU32::MIN));
    t.send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap();
    let err = t
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Throttled { retry_at: Some(_) }),
        "{err:?}"
    );
    assert_eq!(s.log.lock().unwrap().messages.len(), 1);
    // default: 10 per second per mailbox
    let d = smtp(s.port);
    assert_eq!(d.quota().burst_size().get(), 10);
}
