//! Black-box tests of sender authentication for email (issue 12; contract v2 "Sender
//! authentication" and "DMARC" in its precise semantics): with `[deliverability] require_dmarc`
//! the daemon looks the From domain's DMARC record up (else its organizational domain's) and,
//! when the SMTP transport signs with DKIM, the selector record, through a resolver pointed at
//! a DNS server on loopback that the test fills (`touchgate_tests::dns::DnsServer`). The
//! verdicts are asked of `POST /v1/evaluate` (no SMTP server is needed) and, for the sandbox
//! transport, of the dispatcher too. Each test runs on SQLite and on PostgreSQL.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls; a failed expectation here should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::StatusCode;
use serde_json::{Value, json};
use touchgate_tests::dns::DnsServer;
use touchgate_tests::seed::ana;
use touchgate_tests::{Daemon, Database, OP, START, SVC};

touchgate_tests::both_databases!(
    dmarc_at_the_domain_or_its_organizational_domain,
    the_dkim_selector_must_publish_our_key,
    a_dns_failure_is_no_verdict_and_never_allows,
);

const RSA_KEY: &str = include_str!("../../crates/workers/tests/data/dkim/rsa2048.pkcs8.pem");
const RSA_PUBLIC: &str = include_str!("../../crates/workers/tests/data/dkim/rsa2048.pub.pem");
const OTHER_RSA_PUBLIC: &str =
    include_str!("../../crates/workers/tests/data/dkim/other-rsa2048.pub.pem");
const ED25519_KEY: &str = include_str!("../../crates/workers/tests/data/dkim/ed25519.pem");
const ED25519_PUBLIC: &str = include_str!("../../crates/workers/tests/data/dkim/ed25519.pub.pem");

const SELECTOR_RECORD: &str = "tg1._domainkey.acme.example";

/// The base64 body of a PEM file (for a public key: the DER `SubjectPublicKeyInfo`).
fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// The selector record of an RSA public key (`p=` the DER `SubjectPublicKeyInfo`).
fn rsa_record(public_pem: &str) -> String {
    format!("v=DKIM1; k=rsa; p={}", pem_body(public_pem))
}

/// The selector record of an Ed25519 public key (`p=` the raw 32 bytes, RFC 8463).
fn ed25519_record(public_pem: &str) -> String {
    let der = BASE64.decode(pem_body(public_pem)).unwrap();
    let raw = &der[der.len() - 32..];
    format!("v=DKIM1; k=ed25519; p={}", BASE64.encode(raw))
}

/// A daemon deciding email only for authenticated senders, asking the name server at
/// `resolver`; `extra` config tables besides.
async fn start(db: &Database, resolver: SocketAddr, extra: &str) -> Daemon {
    start_with(db, resolver, extra, None).await
}

async fn start_with(
    db: &Database,
    resolver: SocketAddr,
    extra: &str,
    dkim_key: Option<&str>,
) -> Daemon {
    let mut b = Daemon::builder(db)
        .manual_dispatch()
        .config(format!(
            "[deliverability]\nrequire_dmarc = true\nresolver = \"{resolver}\"\n"
        ))
        .config(extra);
    if let Some(key) = dkim_key {
        b = b.env("TG_TEST_DKIM_KEY", key);
    }
    let d = b.start().await;
    d.seed_lead(SVC, "lead-7", &ana()).await;
    d
}

/// `[channels.email]` over SMTP (to a port nobody listens on: only evaluated, never sent),
/// from `sdr@acme.example`, signing as `tg1._domainkey.acme.example` with the key in
/// `TG_TEST_DKIM_KEY`.
const SMTP_WITH_DKIM: &str = "[channels.email]\ntransport = \"smtp\"\nhost = \"127.0.0.1\"\n\
     port = 9\ntls = \"none\"\nfrom = \"SDR Team <sdr@acme.example>\"\n\
     dkim = {domain = \"acme.example\", selector = \"tg1\", private_key_env = \"TG_TEST_DKIM_KEY\"}\n";

fn email_from(account: &str) -> Value {
    json!({
        "account_id": account, "lead_id": "lead-7", "channel": "email",
        "content": {"subject": "Hello", "body": "Hi Ana"}, "campaign_id": "seq43"
    })
}

/// `POST /v1/evaluate` of an email from `account`.
async fn evaluate(d: &Daemon, account: &str) -> Value {
    let (s, v) = d.post("/v1/evaluate", SVC, email_from(account)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn sender_check(decision: &Value) -> &Value {
    decision["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "sender_authentication")
        .unwrap_or_else(|| panic!("no sender_authentication check: {decision}"))
}

fn assert_authenticated(v: &Value, what: &str) {
    assert_eq!(v["allowed"], true, "{what}: {v}");
    assert_eq!(sender_check(v)["passed"], true, "{what}: {v}");
}

/// Blocked `sender_unauthenticated` for good (no retry), the detail containing `why`.
fn assert_unauthenticated(v: &Value, why: &str) {
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(v["reason"], "sender_unauthenticated", "{v}");
    assert_eq!(v["retry_after"], Value::Null, "{v}");
    let detail = sender_check(v)["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(why), "{why:?} not in {detail:?}");
}

async fn dmarc_at_the_domain_or_its_organizational_domain(db: &Database) {
    let dns = DnsServer::start().await;
    dns.txt(
        "_dmarc.acme.example",
        "v=DMARC1; p=reject; rua=mailto:d@acme.example",
    );
    dns.txt("_dmarc.orgonly.example", "v=DMARC1; p=none");
    // A TXT record that is not DMARC's.
    dns.txt("_dmarc.spf-only.example", "v=spf1 -all");
    let d = start(db, dns.addr, "").await;
    for (account, sender) in [
        ("aligned", "SDR Team <sdr@acme.example>"),
        ("subdomain", "sdr@mail.orgonly.example"),
        ("bare", "sdr@nodmarc.example"),
        ("spf-only", "sdr@spf-only.example"),
    ] {
        d.seed_account(
            OP,
            account,
            json!({"status": "active", "senders": {"email": sender}}),
        )
        .await;
    }

    assert_authenticated(&evaluate(&d, "aligned").await, "its own record");
    // Answers are cached for their TTL (60 s): the record withdrawn now is still seen.
    dns.remove("_dmarc.acme.example");
    assert_authenticated(&evaluate(&d, "aligned").await, "the cached answer");
    assert_authenticated(
        &evaluate(&d, "subdomain").await,
        "the organizational domain's record",
    );
    assert_unauthenticated(
        &evaluate(&d, "bare").await,
        "nodmarc.example publishes no DMARC record",
    );
    assert_unauthenticated(
        &evaluate(&d, "spf-only").await,
        "spf-only.example publishes no DMARC record",
    );

    // The dispatcher decides the same: blocked for good, or sent.
    let mut body = email_from("bare");
    body["idempotency_key"] = json!("bare-1");
    let t = d.send(body).await;
    assert_eq!(t["status"], "blocked", "{t}");
    assert_eq!(t["reason"], "sender_unauthenticated", "{t}");
    let mut body = email_from("aligned");
    body["idempotency_key"] = json!("aligned-1");
    assert_eq!(d.send(body).await["status"], "sent");

    // Only email is authenticated: the same account's texts are not held by it.
    let (s, v) = d
        .post(
            "/v1/evaluate",
            SVC,
            json!({"account_id": "bare", "lead_id": "lead-7", "channel": "sms",
                   "content": {"body": "Hi Ana"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["allowed"], true, "{v}");
}

async fn the_dkim_selector_must_publish_our_key(db: &Database) {
    let cases = [
        ("RSA, our key", RSA_KEY, Some(rsa_record(RSA_PUBLIC)), None),
        (
            "RSA, someone else's key",
            RSA_KEY,
            Some(rsa_record(OTHER_RSA_PUBLIC)),
            Some(format!(
                "the DKIM record at {SELECTOR_RECORD} does not match our key"
            )),
        ),
        (
            "Ed25519, our key",
            ED25519_KEY,
            Some(ed25519_record(ED25519_PUBLIC)),
            None,
        ),
        (
            "Ed25519, an RSA record",
            ED25519_KEY,
            Some(rsa_record(RSA_PUBLIC)),
            Some(format!(
                "the DKIM record at {SELECTOR_RECORD} does not match our key"
            )),
        ),
        (
            "Ed25519, no record",
            ED25519_KEY,
            None,
            Some(format!("no DKIM record at {SELECTOR_RECORD}")),
        ),
    ];
    for (what, key, record, why) in cases {
        // A name server and a daemon (its resolver cache) per case, on a database of its own.
        let db = Database::of(db.backend()).await;
        let dns = DnsServer::start().await;
        dns.txt("_dmarc.acme.example", "v=DMARC1; p=reject");
        if let Some(r) = &record {
            dns.txt(SELECTOR_RECORD, r);
        }
        let d = start_with(&db, dns.addr, SMTP_WITH_DKIM, Some(key)).await;
        d.seed_account(OP, "sdr-1", json!({"status": "active"}))
            .await;
        let v = evaluate(&d, "sdr-1").await;
        match why {
            None => assert_authenticated(&v, what),
            Some(why) => assert_unauthenticated(&v, &why),
        }
    }
}

async fn a_dns_failure_is_no_verdict_and_never_allows(db: &Database) {
    // A port nobody answers on.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let d = start(db, closed, "").await;
    d.seed_account(
        OP,
        "sdr-1",
        json!({"status": "active", "senders": {"email": "sdr@acme.example"}}),
    )
    .await;

    let v = evaluate(&d, "sdr-1").await;
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(v["reason"], "sender_unauthenticated", "{v}");
    assert_eq!(v["retry_after"], "2026-11-25T18:05:00Z", "{v}");
    let detail = sender_check(&v)["detail"].as_str().unwrap();
    assert!(detail.contains("lookup failed"), "{detail}");
    assert!(!detail.contains("publishes no DMARC record"), "{detail}");

    // The dispatcher holds the touch and decides again in five minutes, every five minutes.
    let mut body = email_from("sdr-1");
    body["idempotency_key"] = json!("e1");
    let t = d.send(body).await;
    assert_eq!(t["status"], "scheduled", "{t}");
    assert_eq!(t["reason"], "sender_unauthenticated", "{t}");
    assert_eq!(t["next_attempt_at"], "2026-11-25T18:05:00Z", "{t}");
    assert_eq!(START, "2026-11-25T18:00:00Z");
    d.set_clock("2026-11-25T18:05:00Z").await;
    d.drain().await;
    let t = d.touch(t["id"].as_str().unwrap()).await;
    assert_eq!(t["status"], "scheduled", "{t}");
    assert_eq!(t["next_attempt_at"], "2026-11-25T18:10:00Z", "{t}");
    assert!(t["sent_at"].is_null(), "{t}");
}
