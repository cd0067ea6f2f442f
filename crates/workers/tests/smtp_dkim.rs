//! DKIM signing on the wire: the transport sends to the stand-in SMTP server, and a real DKIM
//! verifier (mail-auth) checks what arrived against the public key the test publishes — built
//! from OpenSSL's own public-key file, as an operator would, never from the transport.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod smtp_support;

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::*;
use gate::Channel;
use mail_auth::common::crypto::Algorithm;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, Txt};
use smtp_support::*;
use workers::config::DkimConfig;
use workers::dkim::{DkimAlgorithm, DkimIdentity, SelectorMismatch};
use workers::smtp::SmtpTransport;
use workers::{ConfigError, Transport};

const SELECTOR_NAME: &str = "tg1._domainkey.acme.example";

fn key_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/dkim")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `p=` value an operator publishes from OpenSSL's public-key PEM: the base64 of the DER
/// for RSA; for Ed25519 the raw 32-byte key that ends the SubjectPublicKeyInfo (RFC 8463).
fn published_p(public_pem: &str, ed25519: bool) -> String {
    let b64: String = public_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    if !ed25519 {
        return b64;
    }
    let der = BASE64.decode(b64).unwrap();
    // SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (0 unused bits) } then the key.
    assert_eq!(
        der[..12],
        [
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
        ]
    );
    BASE64.encode(&der[12..])
}

/// Published TXT records, as the verifier's DNS cache (names fully qualified).
#[derive(Default)]
struct Dns(HashMap<Box<str>, Txt>);

impl Dns {
    fn publish(txt: &str) -> Dns {
        let key = DomainKey::parse(txt.as_bytes()).unwrap();
        let mut dns = Dns::default();
        dns.0.insert(
            format!("{SELECTOR_NAME}.").into(),
            Txt::DomainKey(Arc::new(key)),
        );
        dns
    }
}

impl mail_auth::ResolverCache<Box<str>, Txt> for Dns {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }

    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        None
    }

    fn insert(&self, _: Box<str>, _: Txt, _: std::time::Instant) {}
}

/// What the verifier concludes about each DKIM signature of `raw`.
struct Verdict {
    result: DkimResult,
    algorithm: Algorithm,
    domain: String,
    selector: String,
    signed_headers: Vec<String>,
}

async fn verify(raw: &str, dns: &Dns) -> Vec<Verdict> {
    // No name server: every answer comes from the published records above.
    let authenticator = MessageAuthenticator::new(
        ResolverConfig::from_name_servers(vec![]),
        ResolverOpts::default(),
    )
    .unwrap();
    let message = AuthenticatedMessage::parse(raw.as_bytes()).unwrap();
    authenticator
        .verify_dkim(Parameters::new(&message).with_txt_cache(dns))
        .await
        .iter()
        .map(|out| {
            let sig = out.signature().unwrap();
            Verdict {
                result: out.result().clone(),
                algorithm: sig.a,
                domain: sig.d.clone(),
                selector: sig.s.clone(),
                signed_headers: sig.h.iter().map(|h| h.to_ascii_lowercase()).collect(),
            }
        })
        .collect()
}

fn signing_config(port: u16) -> workers::config::SmtpConfig {
    let mut cfg = config(port);
    cfg.dkim = Some(DkimConfig {
        domain: "acme.example".to_owned(),
        selector: "tg1".to_owned(),
        private_key_env: "DKIM_KEY".to_owned(),
    });
    cfg
}

fn signing_transport(port: u16, private_key_file: &str) -> SmtpTransport {
    let pem = key_file(private_key_file);
    SmtpTransport::new(&signing_config(port), &env(&[("DKIM_KEY", &pem)])).unwrap()
}

/// Sends `msg` through a transport signing with `private_key_file`; the raw message received.
async fn send_signed(
    private_key_file: &str,
    msg: &workers::OutboundMessage,
) -> (String, DkimIdentity) {
    let s = server(Reply::Ok, Reply::Ok).await;
    let t = signing_transport(s.port, private_key_file);
    t.send(permit(Channel::Email, EMAIL), msg, now())
        .await
        .unwrap();
    let raw = s.log.lock().unwrap().messages[0].clone();
    (raw, t.dkim_identity().unwrap().clone())
}

async fn assert_signed_and_verifies(private_key_file: &str, public_key_file: &str, ed25519: bool) {
    let (raw, identity) = send_signed(private_key_file, &email()).await;
    let p = published_p(&key_file(public_key_file), ed25519);
    let txt = format!(
        "v=DKIM1; k={}; p={p}",
        if ed25519 { "ed25519" } else { "rsa" }
    );

    let verdicts = verify(&raw, &Dns::publish(&txt)).await;
    assert_eq!(verdicts.len(), 1, "one DKIM-Signature in {raw}");
    let v = &verdicts[0];
    assert_eq!(v.result, DkimResult::Pass, "{raw}");
    let expected = if ed25519 {
        Algorithm::Ed25519Sha256
    } else {
        Algorithm::RsaSha256
    };
    assert_eq!(v.algorithm, expected);
    assert_eq!(
        (v.domain.as_str(), v.selector.as_str()),
        ("acme.example", "tg1")
    );
    for h in [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ] {
        assert!(
            v.signed_headers.iter().any(|s| s == h),
            "{h} not signed: {:?}",
            v.signed_headers
        );
    }

    // What the daemon compares with DNS is the very key the operator published.
    assert_eq!(identity.public_key_b64, p);
    assert_eq!(identity.record_name(), SELECTOR_NAME);
    assert_eq!(identity.check_record(&txt), Ok(()));
    assert_eq!(
        identity.algorithm,
        if ed25519 {
            DkimAlgorithm::Ed25519Sha256
        } else {
            DkimAlgorithm::RsaSha256
        }
    );

    // The verifier is not a rubber stamp: a changed unsubscribe link or body fails.
    let tampered = raw.replace("tok123", "tok999");
    assert_ne!(tampered, raw);
    let v = verify(&tampered, &Dns::publish(&txt)).await;
    assert!(
        matches!(v[0].result, DkimResult::Fail(_)),
        "{:?}",
        v[0].result
    );
    let tampered = raw.replace("Hello Ana", "Hello Bob");
    let v = verify(&tampered, &Dns::publish(&txt)).await;
    assert!(
        !matches!(v[0].result, DkimResult::Pass),
        "{:?}",
        v[0].result
    );
}

#[tokio::test]
async fn rsa_pkcs8_key_as_openssl3_writes_it_signs_and_verifies() {
    assert_signed_and_verifies("rsa2048.pkcs8.pem", "rsa2048.pub.pem", false).await;
}

#[tokio::test]
async fn rsa_pkcs1_key_signs_and_verifies() {
    assert_signed_and_verifies("rsa2048.pkcs1.pem", "rsa2048.pub.pem", false).await;
}

#[tokio::test]
async fn ed25519_pkcs8_key_signs_and_verifies() {
    assert_signed_and_verifies("ed25519.pem", "ed25519.pub.pem", true).await;
}

#[tokio::test]
async fn both_rsa_forms_are_the_same_identity() {
    let a = signing_transport(1, "rsa2048.pkcs8.pem");
    let b = signing_transport(1, "rsa2048.pkcs1.pem");
    assert_eq!(a.dkim_identity(), b.dkim_identity());
    // A record with the bare PKCS#1 RSAPublicKey in p= is the same key too: strip the SPKI
    // wrapper OpenSSL puts around it (24 bytes for a 2048-bit key).
    let id = a.dkim_identity().unwrap();
    let spki = BASE64.decode(&id.public_key_b64).unwrap();
    let bare = BASE64.encode(&spki[24..]);
    assert_eq!(
        id.check_record(&format!("v=DKIM1; k=rsa; p={bare}")),
        Ok(())
    );
}

#[tokio::test]
async fn a_key_other_than_the_published_one_fails_verification() {
    let (raw, identity) = send_signed("rsa2048.pkcs8.pem", &email()).await;
    let other = format!(
        "v=DKIM1; k=rsa; p={}",
        published_p(&key_file("other-rsa2048.pub.pem"), false)
    );
    let v = verify(&raw, &Dns::publish(&other)).await;
    assert!(
        matches!(v[0].result, DkimResult::Fail(_)),
        "{:?}",
        v[0].result
    );
    assert_eq!(
        identity.check_record(&other),
        Err(SelectorMismatch::DifferentKey)
    );
    let ed = format!(
        "v=DKIM1; k=ed25519; p={}",
        published_p(&key_file("ed25519.pub.pem"), true)
    );
    assert!(matches!(
        identity.check_record(&ed),
        Err(SelectorMismatch::WrongKeyType { .. })
    ));
}

#[tokio::test]
async fn folded_non_ascii_headers_and_a_message_without_unsubscribe_still_verify() {
    let mut msg = email();
    msg.subject = Some(
        "Résumé of our call — a rather long subject line that will certainly be folded by the encoder"
            .to_owned(),
    );
    msg.body = Some("Hello Ana,  \r\n\r\nsee you   soon.\r\n\r\n\r\n".to_owned());
    let txt = format!(
        "v=DKIM1; k=ed25519; p={}",
        published_p(&key_file("ed25519.pub.pem"), true)
    );
    let (raw, _) = send_signed("ed25519.pem", &msg).await;
    let v = verify(&raw, &Dns::publish(&txt)).await;
    assert_eq!(v[0].result, DkimResult::Pass, "{raw}");

    // Without the unsubscribe headers (allowed by config): still signed, still verifies, and
    // the absent headers are signed as empty, so they cannot be added later.
    let s = server(Reply::Ok, Reply::Ok).await;
    let mut cfg = signing_config(s.port);
    cfg.require_unsubscribe_url = false;
    let t = SmtpTransport::new(&cfg, &env(&[("DKIM_KEY", &key_file("ed25519.pem"))])).unwrap();
    let mut msg = email();
    msg.unsubscribe_url = None;
    t.send(permit(Channel::Email, EMAIL), &msg, now())
        .await
        .unwrap();
    let raw = s.log.lock().unwrap().messages[0].clone();
    assert!(!raw.contains("List-Unsubscribe:"));
    let v = verify(&raw, &Dns::publish(&txt)).await;
    assert_eq!(v[0].result, DkimResult::Pass, "{raw}");
    let added = raw.replacen(
        "\r\n\r\n",
        "\r\nList-Unsubscribe: <https://evil.example/u>\r\n\r\n",
        1,
    );
    let v = verify(&added, &Dns::publish(&txt)).await;
    assert!(
        matches!(v[0].result, DkimResult::Fail(_)),
        "{:?}",
        v[0].result
    );
}

#[test]
fn bad_or_missing_keys_are_config_errors_that_name_the_setting_and_never_the_key() {
    let build = |pem: Option<&str>| {
        let pairs: Vec<(&str, &str)> = pem.map(|p| ("DKIM_KEY", p)).into_iter().collect();
        SmtpTransport::new(&signing_config(25), &env(&pairs)).unwrap_err()
    };
    let err = build(None);
    assert!(matches!(err, ConfigError::MissingEnv { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("dkim.private_key_env") && text.contains("DKIM_KEY"),
        "{text}"
    );

    let garbage = "-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEAsecretsecret\n-----END PRIVATE KEY-----\n";
    let cases = [
        (garbage.to_owned(), "malformed"),
        (key_file("rsa512.pem"), "512 bits"),
        (key_file("p256.pem"), "1.2.840.10045.2.1"),
        (key_file("rsa2048.pub.pem"), "PUBLIC KEY"),
    ];
    for (pem, expected) in cases {
        let err = build(Some(&pem));
        let text = err.to_string();
        assert!(matches!(err, ConfigError::Invalid { .. }), "{err:?}");
        assert!(text.contains("dkim.private_key_env"), "{text}");
        assert!(text.contains(expected), "{expected}: {text}");
        let secret_line = pem.lines().nth(1).unwrap();
        assert!(!text.contains(secret_line), "{text}");
        assert!(!format!("{err:?}").contains(secret_line), "{err:?}");
    }

    let mut cfg = signing_config(25);
    cfg.dkim.as_mut().unwrap().selector = "tg1; x=evil".to_owned();
    let err = SmtpTransport::new(&cfg, &env(&[("DKIM_KEY", &key_file("ed25519.pem"))]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("dkim.selector"), "{err}");
}

#[test]
fn the_transport_never_prints_its_private_key() {
    for file in ["rsa2048.pkcs8.pem", "rsa2048.pkcs1.pem", "ed25519.pem"] {
        let t = signing_transport(25, file);
        let debug = format!("{t:?}");
        assert!(
            debug.contains("acme.example") && debug.contains("tg1"),
            "{debug}"
        );
        // Every line of the PEM but those that only carry the public modulus (which the
        // identity shows on purpose).
        let public = &t.dkim_identity().unwrap().public_key_b64;
        let pem = key_file(file);
        let secret_lines: Vec<&str> = pem
            .lines()
            .filter(|l| !l.starts_with("-----") && !public.contains(*l))
            .collect();
        assert!(!secret_lines.is_empty(), "{file}");
        for line in secret_lines {
            assert!(!debug.contains(line), "{file}: {debug}");
        }
    }
}

#[test]
fn the_identity_is_available_from_the_transports_built_from_toml() {
    let tables: std::collections::BTreeMap<String, toml::Value> = toml::from_str::<toml::Table>(
        r#"
        [email]
        transport = "smtp"
        host = "smtp.acme.example"
        from = "SDR Team <sdr@acme.example>"
        dkim = {domain = "acme.example", selector = "tg1", private_key_env = "DKIM_KEY"}
        "#,
    )
    .unwrap()
    .into_iter()
    .collect();
    let pem = key_file("ed25519.pem");
    let t =
        workers::Transports::from_config_with_env(&tables, &env(&[("DKIM_KEY", &pem)])).unwrap();
    let id = t.email_dkim().unwrap();
    assert_eq!(id.domain, "acme.example");
    assert_eq!(id.selector, "tg1");
    assert_eq!(id.algorithm, DkimAlgorithm::Ed25519Sha256);
    assert_eq!(
        id.public_key_b64,
        published_p(&key_file("ed25519.pub.pem"), true)
    );
    assert!(workers::Transports::sandbox().email_dkim().is_none());
}
