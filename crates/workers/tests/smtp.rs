//! Email over SMTP against a tiny SMTP server the test runs on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod smtp_support;

use common::*;
use std::time::Duration;

use gate::Channel;
use smtp_support::*;
use workers::smtp::SmtpTransport;
use workers::{SendError, Transport};

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
