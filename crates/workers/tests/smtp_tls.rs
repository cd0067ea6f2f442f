//! SMTP over TLS, for real: STARTTLS and implicit TLS against the stand-in server with a
//! certificate from a CA the test makes, trusted through `ca_file`; and certificates that do
//! not verify (unknown CA, wrong name, expired), which end the attempt before anything is sent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod smtp_support;

use std::time::Duration;

use common::*;
use gate::Channel;
use smtp_support::*;
use workers::config::SmtpTls;
use workers::smtp::SmtpTransport;
use workers::{ConfigError, SendError, Transport};

/// A transport speaking `tls` to `port` on 127.0.0.1, trusting `ca` (through `ca_file`).
fn tls_transport(port: u16, tls: SmtpTls, ca: &TestCa, dir: &str) -> SmtpTransport {
    let mut cfg = config(port);
    cfg.tls = tls;
    cfg.ca_file = Some(ca.write(&temp_dir(dir)));
    cfg.username_env = Some("SMTP_USER".to_owned());
    cfg.password_env = Some("SMTP_PASSWORD".to_owned());
    SmtpTransport::new(
        &cfg,
        &env(&[("SMTP_USER", "sdr"), ("SMTP_PASSWORD", "pw-value")]),
    )
    .unwrap()
    .with_timeout(Duration::from_secs(5))
}

fn server_tls(tls: SmtpTls, acceptor: tokio_rustls::TlsAcceptor) -> ServerTls {
    match tls {
        SmtpTls::Starttls => ServerTls::Starttls(acceptor),
        SmtpTls::Tls => ServerTls::Implicit(acceptor),
        SmtpTls::None => ServerTls::None,
    }
}

async fn delivers_over_tls(tls: SmtpTls, dir: &str) {
    let ca = TestCa::new("Touchgate test CA");
    let s = server_with(
        server_tls(tls, ca.acceptor(&["127.0.0.1"], None)),
        Reply::Ok,
        Reply::Ok,
    )
    .await;
    let t = tls_transport(s.port, tls, &ca, dir);
    for _ in 0..2 {
        let r = t
            .send(permit(Channel::Email, EMAIL), &email(), now())
            .await
            .unwrap();
        assert_eq!(r.provider_message_id, "<touch.touch-1@acme.example>");
    }
    let log = s.log.lock().unwrap();
    assert_eq!(log.messages_secure, [true, true], "both messages over TLS");
    assert_eq!(
        (log.connections, log.tls_sessions),
        (1, 1),
        "one TLS connection, reused"
    );
    // The password went inside the TLS session (AUTH is only logged by the dialogue after it).
    assert_eq!(log.auth, ["AUTH PLAIN AHNkcgBwdy12YWx1ZQ=="]);
    let (headers, body) = parse(&log.messages[0]);
    assert_eq!(header(&headers, "Subject"), "Quick question");
    assert_eq!(body.trim_end(), "Hello Ana");
}

#[tokio::test]
async fn starttls_delivers_to_a_server_whose_ca_is_trusted() {
    delivers_over_tls(SmtpTls::Starttls, "starttls-ok").await;
}

#[tokio::test]
async fn implicit_tls_delivers_to_a_server_whose_ca_is_trusted() {
    delivers_over_tls(SmtpTls::Tls, "implicit-ok").await;
}

/// Sends through a transport trusting `trusted` to a server whose certificate `acceptor`
/// presents; the error, after checking nothing was sent.
async fn refused(
    tls: SmtpTls,
    trusted: &TestCa,
    acceptor: tokio_rustls::TlsAcceptor,
    dir: &str,
) -> String {
    let s = server_with(server_tls(tls, acceptor), Reply::Ok, Reply::Ok).await;
    let t = tls_transport(s.port, tls, trusted, dir);
    let err = t
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    let SendError::Transient { detail } = &err else {
        panic!("{tls:?}: {err:?}")
    };
    assert!(
        detail.contains("TLS certificate did not verify") && detail.contains("nothing was sent"),
        "{detail}"
    );
    assert!(err.is_retryable());
    let log = s.log.lock().unwrap();
    assert_eq!(log.tls_sessions, 0);
    assert!(
        log.auth.is_empty(),
        "no credentials to an unverified server"
    );
    assert!(log.mail_from.is_empty() && log.messages.is_empty());
    detail.clone()
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused_before_anything_is_sent() {
    let trusted = TestCa::new("Touchgate test CA");
    let other = TestCa::new("Somebody else's CA");
    for (tls, dir) in [
        (SmtpTls::Starttls, "unknown-ca-starttls"),
        (SmtpTls::Tls, "unknown-ca-implicit"),
    ] {
        let detail = refused(tls, &trusted, other.acceptor(&["127.0.0.1"], None), dir).await;
        assert!(detail.contains("UnknownIssuer"), "{detail}");
    }
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    let ca = TestCa::new("Touchgate test CA");
    for (tls, dir) in [
        (SmtpTls::Starttls, "wrong-name-starttls"),
        (SmtpTls::Tls, "wrong-name-implicit"),
    ] {
        let acceptor = ca.acceptor(&["mail.other.example"], None);
        let detail = refused(tls, &ca, acceptor, dir).await;
        assert!(detail.contains("not valid for name"), "{detail}");
    }
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let ca = TestCa::new("Touchgate test CA");
    let acceptor = ca.acceptor(&["127.0.0.1"], Some((2000, 2001)));
    let detail = refused(SmtpTls::Tls, &ca, acceptor, "expired").await;
    assert!(detail.contains("expired"), "{detail}");
}

#[tokio::test]
async fn without_ca_file_a_private_ca_is_not_trusted() {
    let ca = TestCa::new("Touchgate test CA");
    let s = server_with(
        ServerTls::Implicit(ca.acceptor(&["127.0.0.1"], None)),
        Reply::Ok,
        Reply::Ok,
    )
    .await;
    let mut cfg = config(s.port);
    cfg.tls = SmtpTls::Tls;
    let t = SmtpTransport::new(&cfg, &env(&[])).unwrap();
    let err = t
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SendError::Transient { detail } if detail.contains("did not verify")),
        "{err:?}"
    );
    assert!(s.log.lock().unwrap().messages.is_empty());
}

#[tokio::test]
async fn starttls_is_required_when_configured() {
    let s = server(Reply::Ok, Reply::Ok).await; // offers no STARTTLS
    let ca = TestCa::new("Touchgate test CA");
    let t = tls_transport(s.port, SmtpTls::Starttls, &ca, "no-starttls");
    let err = t
        .send(permit(Channel::Email, EMAIL), &email(), now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SendError::Transient { detail } if detail.contains("STARTTLS")),
        "{err:?}"
    );
    let log = s.log.lock().unwrap();
    assert!(log.auth.is_empty() && log.messages.is_empty());
}

#[test]
fn a_ca_file_that_cannot_be_used_is_a_config_error_naming_it() {
    let dir = temp_dir("bad-ca-file");
    let mut cfg = config(25);
    cfg.tls = SmtpTls::Starttls;
    let err = |cfg: &workers::config::SmtpConfig| match SmtpTransport::new(cfg, &env(&[])) {
        Ok(t) => panic!("accepted: {t:?}"),
        Err(e) => e,
    };

    cfg.ca_file = Some(dir.join("absent.pem"));
    let e = err(&cfg);
    assert!(matches!(e, ConfigError::Invalid { .. }), "{e:?}");
    assert!(
        e.to_string().contains("ca_file") && e.to_string().contains("absent.pem"),
        "{e}"
    );

    let not_pem = dir.join("not-a-cert.pem");
    std::fs::write(&not_pem, "just text\n").unwrap();
    cfg.ca_file = Some(not_pem);
    let e = err(&cfg).to_string();
    assert!(
        e.contains("ca_file") && e.contains("no PEM certificate"),
        "{e}"
    );

    let garbage = dir.join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    cfg.ca_file = Some(garbage);
    let e = err(&cfg).to_string();
    assert!(e.contains("ca_file"), "{e}");

    let ca = TestCa::new("Touchgate test CA");
    cfg.ca_file = Some(ca.write(&dir));
    cfg.tls = SmtpTls::None;
    let e = err(&cfg).to_string();
    assert!(e.contains("ca_file needs tls"), "{e}");
}
