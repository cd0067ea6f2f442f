//! Every reason code of the gate, produced by the real daemon (issue 9). One scenario per code
//! puts the facts in place through the API (accounts, leads, DNC entries, blackouts, registry
//! state, earlier sends through `POST /v1/dispatch/drain`) and asks `POST /v1/evaluate` for the
//! decision; each must be a block with exactly that reason. The codes produced must be the
//! whole of `gate::Reason::ALL` — so a reason added to the gate without a scenario here fails
//! this test — and the README's table of the gate's checks must name the same codes.
//!
//! The daemon runs on SQLite with a fake clock (2026-11-25T18:00:00Z: 10:00 in Los Angeles),
//! the dispatch loop off, email sender authentication required against a name server that
//! knows no DMARC record, and a second workspace `acme` that requires the national registry
//! and caps marketing at one touch per recipient per week.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the helpers of this test
// crate; a failed expectation here should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use touchgate_tests::dns::DnsServer;
use touchgate_tests::seed::{Lead, ana};
use touchgate_tests::{ACME_OP, ACME_SVC, ACME_TOKENS, Daemon, Database, OP, START, SVC};

/// The README, whose table of the gate's checks lists every reason code.
const README: &str = include_str!("../../README.md");

/// A marketing touch from `account` to `lead` on `channel`, with content.
fn touch(account: &str, lead: &str, channel: &str) -> Value {
    json!({"account_id": account, "lead_id": lead, "channel": channel,
           "content": {"subject": "Hello", "body": "Hi"}})
}

fn with(mut t: Value, field: &str, value: Value) -> Value {
    t[field] = value;
    t
}

/// `POST /v1/evaluate` with `token` at `at`.
async fn evaluate(d: &Daemon, token: &str, t: &Value, at: &str) -> Value {
    let (s, v) = d
        .post("/v1/evaluate", token, with(t.clone(), "at", json!(at)))
        .await;
    assert_eq!(s, StatusCode::OK, "evaluate {t}: {v}");
    v
}

/// Sends `t` (keyed `key`) through the dispatcher with service token `svc` (operator `op`
/// drains); it must go out.
async fn sent(d: &Daemon, svc: &str, op: &str, t: &Value, key: &str) {
    let (s, v) = d
        .post(
            "/v1/touches",
            svc,
            with(t.clone(), "idempotency_key", json!(key)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    d.drain_as(op).await;
    let (s, v) = d
        .get(&format!("/v1/touches/{}", v["id"].as_str().unwrap()), svc)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "sent", "an earlier send must go out: {v}");
}

async fn account(d: &Daemon, op: &str, id: &str, doc: Value) {
    let (s, v) = d.put(&format!("/v1/accounts/{id}"), op, doc).await;
    assert_eq!(s, StatusCode::CREATED, "account {id}: {v}");
}

async fn lead(d: &Daemon, svc: &str, id: &str, doc: Value) {
    let (s, v) = d.put(&format!("/v1/leads/{id}"), svc, doc).await;
    assert_eq!(s, StatusCode::CREATED, "lead {id}: {v}");
}

/// Someone in Los Angeles at `phone`, with consent to marketing SMS.
fn texter(phone: &str) -> Value {
    Lead::in_los_angeles().phone(phone).consent("sms").doc()
}

/// Someone on LinkedIn (no consent needed there).
fn linkedin(slug: &str) -> Value {
    with(
        Lead::in_los_angeles().doc(),
        "linkedin",
        json!(format!("https://www.linkedin.com/in/{slug}")),
    )
}

/// The reason codes the README's table of the gate's checks names (its third column).
fn readme_codes() -> BTreeSet<String> {
    let table = README
        .split("| # | check | reason |")
        .nth(1)
        .expect("the README's table of the gate's checks");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|row| {
            let reason = row.split('|').nth(3).unwrap_or_default();
            reason
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reason_code_is_produced_by_the_daemon() {
    let db = Database::sqlite();
    let dns = DnsServer::start().await;
    let d = Daemon::builder(&db)
        .manual_dispatch()
        .config(format!(
            "[deliverability]\nrequire_dmarc = true\nresolver = \"{}\"\n",
            dns.addr
        ))
        .config(
            "[workspaces.acme]\nrequire_registry = true\n\
             recipient_caps = {marketing_per_week = 1}\n",
        )
        .config(ACME_TOKENS)
        .start()
        .await;

    // ---- the facts
    account(&d, OP, "sdr-1", json!({"status": "active"})).await;
    lead(&d, SVC, "ana", ana().doc()).await;
    account(&d, OP, "paused", json!({"status": "paused"})).await;
    account(&d, OP, "no-sms", json!({"paused_channels": ["sms"]})).await;
    // Email from a domain that publishes no DMARC record.
    account(
        &d,
        OP,
        "no-dmarc",
        json!({"status": "active", "senders": {"email": "sdr@nodmarc.example"}}),
    )
    .await;
    lead(
        &d,
        SVC,
        "no-phone",
        Lead::in_los_angeles().email("nophone@example.com").doc(),
    )
    .await;
    lead(&d, SVC, "litigant", texter("+14155550131")).await;
    d.add_dnc("+14155550131", "litigation_hold").await;
    lead(&d, SVC, "listed", texter("+14155550132")).await;
    d.add_dnc("+14155550132", "customer_request").await;
    lead(
        &d,
        SVC,
        "no-consent",
        Lead::in_los_angeles().phone("+14155550133").doc(),
    )
    .await;
    // India: a registered entity, header and template.
    account(
        &d,
        OP,
        "india",
        json!({"status": "active", "dlt": {"entity_id": "1101000000000001", "headers": ["ACMEIN"],
               "templates": [{"id": "1107000000000001", "header": "ACMEIN",
                              "body": "Your code is {#numeric#}"}]}}),
    )
    .await;
    lead(
        &d,
        SVC,
        "mumbai",
        Lead::in_los_angeles()
            .phone("+919812345678")
            .timezone("Asia/Kolkata")
            .country("IN")
            .consent("sms")
            .doc(),
    )
    .await;
    account(
        &d,
        OP,
        "templated",
        json!({"status": "active", "templates": [{"id": "spring-promo", "status": "pending"}]}),
    )
    .await;
    let wa = |name: &str, status: &str, category: &str| json!({"name": name, "language": "en_US", "status": status, "category": category});
    account(
        &d,
        OP,
        "wa",
        json!({"status": "active", "whatsapp_templates": [
            wa("day3_followup", "paused", "utility"), wa("promo", "approved", "marketing")]}),
    )
    .await;
    lead(
        &d,
        SVC,
        "wa-ana",
        Lead::in_los_angeles()
            .whatsapp("+14155550134")
            .consent("whatsapp")
            .doc(),
    )
    .await;
    let wa_template = |name: &str| {
        json!({"account_id": "wa", "lead_id": "wa-ana", "channel": "whatsapp",
               "template": {"name": name, "language": "en_US"}})
    };
    // A blackout over New York's 646 numbers.
    lead(
        &d,
        SVC,
        "new-yorker",
        Lead::in_los_angeles()
            .phone("+16465550135")
            .timezone("America/New_York")
            .consent("sms")
            .doc(),
    )
    .await;
    let (s, v) = d
        .post(
            "/v1/blackouts",
            OP,
            json!({"region": "+1646", "ends_at": "2026-11-26T18:00:00Z", "reason": "storm"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Senders that have sent once already (to a lead of their own), each under one cap.
    lead(&d, SVC, "sink", texter("+14155550136")).await;
    for (id, limits) in [
        ("gappy", json!({"sms": {"min_gap_seconds": 3600}})),
        ("hourly", json!({"sms": {"hourly": 1}})),
        ("daily", json!({"sms": {"daily": 1}})),
        ("inviter", json!({"linkedin": {"weekly_invites": 1}})),
    ] {
        account(&d, OP, id, json!({"status": "active", "limits": limits})).await;
    }
    for id in ["gappy", "hourly", "daily"] {
        sent(&d, SVC, OP, &touch(id, "sink", "sms"), &format!("{id}-1")).await;
    }
    lead(&d, SVC, "invitee", linkedin("invitee")).await;
    lead(&d, SVC, "other-invitee", linkedin("other-invitee")).await;
    let invite = |lead: &str| {
        with(
            touch("inviter", lead, "linkedin"),
            "action",
            json!("invite"),
        )
    };
    sent(&d, SVC, OP, &invite("invitee"), "invite-1").await;
    // Florida: three marketing texts to one number in 24 hours.
    lead(
        &d,
        SVC,
        "floridian",
        Lead::in_los_angeles()
            .phone("+13055550137")
            .timezone("America/New_York")
            .consent("sms")
            .doc(),
    )
    .await;
    for n in 1..=3 {
        sent(
            &d,
            SVC,
            OP,
            &touch("sdr-1", "floridian", "sms"),
            &format!("fl-{n}"),
        )
        .await;
    }
    // Workspace `acme`: the national registry required (none imported), one marketing touch
    // per recipient per week (one sent on LinkedIn).
    account(&d, ACME_OP, "acme-sdr", json!({"status": "active"})).await;
    lead(&d, ACME_SVC, "acme-ana", texter("+14155550138")).await;
    lead(&d, ACME_SVC, "acme-linked", linkedin("acme-linked")).await;
    sent(
        &d,
        ACME_SVC,
        ACME_OP,
        &touch("acme-sdr", "acme-linked", "linkedin"),
        "acme-1",
    )
    .await;

    // ---- one scenario per code: (code, token, touch, at)
    let night_in_la = "2026-11-26T06:00:00Z";
    let morning_in_mumbai = "2026-11-25T06:00:00Z";
    let india = |template: &str, body: &str| {
        json!({"account_id": "india", "lead_id": "mumbai", "channel": "sms",
               "template": {"id": template}, "content": {"body": body}})
    };
    let scenarios: Vec<(&str, &str, Value, &str)> = vec![
        ("account_paused", SVC, touch("paused", "ana", "sms"), START),
        ("channel_paused", SVC, touch("no-sms", "ana", "sms"), START),
        (
            "sender_unauthenticated",
            SVC,
            touch("no-dmarc", "ana", "email"),
            START,
        ),
        (
            "invalid_recipient",
            SVC,
            touch("sdr-1", "no-phone", "sms"),
            START,
        ),
        (
            "litigation_hold",
            SVC,
            touch("sdr-1", "litigant", "sms"),
            START,
        ),
        ("dnc_listed", SVC, touch("sdr-1", "listed", "sms"), START),
        (
            "registry_stale",
            ACME_SVC,
            touch("acme-sdr", "acme-ana", "sms"),
            START,
        ),
        (
            "consent_missing",
            SVC,
            touch("sdr-1", "no-consent", "sms"),
            START,
        ),
        (
            "dlt_not_registered",
            SVC,
            india("1107999999999999", "Your code is 1234"),
            morning_in_mumbai,
        ),
        (
            "dlt_template_mismatch",
            SVC,
            india("1107000000000001", "Your code is soon"),
            morning_in_mumbai,
        ),
        (
            "template_unapproved",
            SVC,
            with(
                touch("templated", "ana", "sms"),
                "template",
                json!({"id": "spring-promo"}),
            ),
            START,
        ),
        (
            "whatsapp_template_unapproved",
            SVC,
            wa_template("day3_followup"),
            START,
        ),
        (
            "whatsapp_marketing_restricted",
            SVC,
            wa_template("promo"),
            START,
        ),
        (
            "whatsapp_window_closed",
            SVC,
            json!({"account_id": "wa", "lead_id": "wa-ana", "channel": "whatsapp",
                   "content": {"body": "Hi"}}),
            START,
        ),
        ("blackout", SVC, touch("sdr-1", "new-yorker", "sms"), START),
        (
            "quiet_hours",
            SVC,
            touch("sdr-1", "ana", "sms"),
            night_in_la,
        ),
        ("min_gap", SVC, touch("gappy", "ana", "sms"), START),
        ("hourly_limit", SVC, touch("hourly", "ana", "sms"), START),
        ("daily_limit", SVC, touch("daily", "ana", "sms"), START),
        ("weekly_limit", SVC, invite("other-invitee"), START),
        (
            "recipient_frequency",
            SVC,
            touch("sdr-1", "floridian", "sms"),
            START,
        ),
        (
            "recipient_cap",
            ACME_SVC,
            touch("acme-sdr", "acme-linked", "linkedin"),
            START,
        ),
    ];

    let mut produced = BTreeSet::new();
    for (code, token, t, at) in &scenarios {
        let v = evaluate(&d, token, t, at).await;
        assert_eq!(v["allowed"], false, "{code}: {v}");
        assert_eq!(v["reason"], *code, "{code}: {v}");
        // The check that failed says why.
        let failed: Vec<&Value> = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["passed"] == false)
            .collect();
        assert!(
            failed
                .first()
                .and_then(|c| c["detail"].as_str())
                .is_some_and(|s| !s.is_empty()),
            "{code}: the first failing check has a detail: {v}"
        );
        assert!(produced.insert((*code).to_owned()), "{code} twice");
    }

    let every: BTreeSet<String> = gate::Reason::ALL
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    assert_eq!(
        produced, every,
        "every reason of gate::Reason::ALL, and only those, is produced"
    );
    assert_eq!(
        readme_codes(),
        every,
        "the README's table of the gate's checks names every reason"
    );
}
