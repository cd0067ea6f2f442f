//! Black-box tests of email deliverability (issue 12, contract v2 "Email deliverability and
//! replies" and its precise semantics): bounces and complaints posted to the inbound email
//! webhook, sender health, warm-up and cross-campaign recipient caps. The real `touchgate
//! serve` binary on a database of its own (each test on SQLite and on PostgreSQL), a fake clock
//! (2026-11-25T18:00:00Z = 10:00 in Los Angeles), the sandbox transports (a touch's
//! `provider_message_id` is `sandbox-<touch id>`), the dispatch loop off (`POST
//! /v1/dispatch/drain` decides).
//!
//! The delivery status notifications and feedback reports are the dispatcher's corpus of real
//! providers' formats (`crates/dispatcher/tests/data/reports`), with the recipient and the
//! returned Message-ID replaced by the ones of the touch under test.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls; a failed expectation here should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use touchgate_tests::seed::Lead;
use touchgate_tests::{Daemon, Database, OP, START, SVC};

touchgate_tests::both_databases!(
    permanent_bounces_in_every_format_suppress_the_address_on_email_only,
    a_transient_bounce_is_counted_not_suppressed,
    complaints_suppress_the_contact_on_every_channel,
    broken_foreign_or_mismatched_reports_suppress_nothing,
    a_bounce_for_a_shared_address_suppresses_the_address_not_the_leads,
    sender_health_pauses_email_over_the_bounce_rate_until_resumed,
    no_rate_below_the_window,
    the_send_that_fills_the_window_counts_toward_the_rate,
    warm_up_ramps_the_daily_email_cap,
    recipient_caps_count_every_channel_and_account_and_yield_to_an_override,
);

/// The corpus, each with the recipient `ana@example.com` and the returned Message-ID
/// `<touch.TOUCHID@acme.example>` as placeholders.
const GMAIL_BOUNCE: &str =
    include_str!("../../crates/dispatcher/tests/data/reports/gmail_bounce.eml");
const OUTLOOK_BOUNCE: &str =
    include_str!("../../crates/dispatcher/tests/data/reports/outlook_bounce.eml");
const POSTFIX_BOUNCE: &str =
    include_str!("../../crates/dispatcher/tests/data/reports/postfix_bounce.eml");
const EXIM_BOUNCE: &str =
    include_str!("../../crates/dispatcher/tests/data/reports/exim_bounce.eml");
const POSTFIX_DELAYED: &str =
    include_str!("../../crates/dispatcher/tests/data/reports/postfix_delayed.eml");
const YAHOO_COMPLAINT: &str =
    include_str!("../../crates/dispatcher/tests/data/reports/yahoo_complaint.eml");
/// Names its recipient only in the returned message (`ana@hotmail.example`).
const OUTLOOK_COMPLAINT: &str =
    include_str!("../../crates/dispatcher/tests/data/reports/outlook_complaint.eml");
const TRUNCATED_REPORT: &str =
    include_str!("../../crates/dispatcher/tests/data/reports/truncated_report.eml");
/// ISO-2022-JP text, a recipient `taro@example.jp`, a Message-ID we never sent.
const ODD_CHARSET_REPORT: &str =
    include_str!("../../crates/dispatcher/tests/data/reports/odd_charset_report.eml");

/// A sample about the message `message_id` sent to `address`.
fn report(sample: &str, address: &str, message_id: &str) -> String {
    sample
        .replace("Ana@Example.com", address)
        .replace("ana@hotmail.example", address)
        .replace("ana@example.com", address)
        .replace("touch.TOUCHID@acme.example", message_id)
}

// ---------------------------------------------------------------- set-up

/// A daemon with the dispatch loop off, the webhook secret set, and `extra` config tables.
async fn start(db: &Database, extra: &str) -> Daemon {
    Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\nspread_seconds = 0\n")
        .config(extra)
        .webhook_secret()
        .start()
        .await
}

/// Someone in Los Angeles at `address` and the number `+1415555<line>`, with consent to
/// marketing SMS.
fn person(address: &str, line: u16) -> Lead {
    Lead::in_los_angeles()
        .email(address)
        .phone(&format!("+1415555{line:04}"))
        .consent("sms")
}

fn touch(key: &str, account: &str, lead: &str, channel: &str, campaign: &str) -> Value {
    json!({
        "idempotency_key": key, "account_id": account, "lead_id": lead, "channel": channel,
        "content": {"subject": "Hello", "body": "Hi there"}, "campaign_id": campaign, "step": 1
    })
}

fn email(key: &str, account: &str, lead: &str) -> Value {
    touch(key, account, lead, "email", "seq-mail")
}

fn sms(key: &str, account: &str, lead: &str) -> Value {
    touch(key, account, lead, "sms", "seq-text")
}

/// Creates, drains, and expects it sent.
async fn sent(d: &Daemon, body: Value) -> Value {
    let t = d.send(body).await;
    assert_eq!(t["status"], "sent", "{t}");
    t
}

/// Creates, drains, and expects it held with `reason` (blocked or scheduled).
async fn held(d: &Daemon, body: Value, reason: &str) -> Value {
    let t = d.send(body).await;
    assert!(
        matches!(t["status"].as_str(), Some("blocked" | "scheduled")),
        "{t}"
    );
    assert_eq!(t["reason"], reason, "{t}");
    t
}

fn id(t: &Value) -> &str {
    t["id"].as_str().unwrap()
}

fn message_id(t: &Value) -> &str {
    t["provider_message_id"].as_str().unwrap()
}

/// The touch's timeline entries of `kind`.
fn entries<'t>(t: &'t Value, kind: &str) -> Vec<&'t Value> {
    t["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// The detail of check `name` in the last decision of `t`.
fn check_detail(t: &Value, name: &str) -> String {
    let last = entries(t, "gate").last().copied().cloned().unwrap();
    last["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .and_then(|c| c["detail"].as_str())
        .unwrap_or_else(|| panic!("no detail on check {name}: {last}"))
        .to_owned()
}

/// The open DNC entries for `contact`, as `(channel, reason)`.
async fn dnc(d: &Daemon, contact: &str) -> Vec<(String, String)> {
    d.dnc_entries(OP, contact)
        .await
        .iter()
        .map(|e| {
            (
                e["channel"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn posted(d: &Daemon, raw: &str) -> Value {
    let (s, v) = d.post_email(raw.as_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

// ---------------------------------------------------------------- bounces and complaints

async fn permanent_bounces_in_every_format_suppress_the_address_on_email_only(db: &Database) {
    let d = start(db, "").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    let formats = [
        ("gmail", GMAIL_BOUNCE, "5.1.1"),
        ("outlook", OUTLOOK_BOUNCE, "5.1.10"),
        ("postfix", POSTFIX_BOUNCE, "5.1.1"),
        ("exim", EXIM_BOUNCE, "5.2.1"),
    ];
    let mut first = None;
    for (n, (name, sample, status)) in (0u16..).zip(formats) {
        let lead = format!("lead-{name}");
        let address = format!("{name}-user@example.com");
        d.seed_lead(SVC, &lead, &person(&address, 200 + n)).await;
        let mail = sent(&d, email(&format!("{name}-1"), "sdr-1", &lead)).await;

        let v = posted(&d, &report(sample, &address, message_id(&mail))).await;
        assert_eq!(v["report"], "delivery", "{name}: {v}");
        assert_eq!(v["touch_id"], id(&mail), "{name}: {v}");
        assert_eq!(v["recipients"][0]["address"], address, "{name}: {v}");
        assert_eq!(v["recipients"][0]["suppressed"], true, "{name}: {v}");

        assert_eq!(
            dnc(&d, &address).await,
            [("email".to_owned(), "hard_bounce".to_owned())],
            "{name}"
        );
        let after = d.touch(id(&mail)).await;
        assert_eq!(
            after["status"], "sent",
            "{name}: the touch itself stays sent"
        );
        let delivery = entries(&after, "delivery");
        assert_eq!(delivery.len(), 1, "{name}: {after}");
        assert_eq!(delivery[0]["reason"], "hard_bounce", "{name}");
        assert!(
            delivery[0]["detail"].as_str().unwrap().contains(status),
            "{name}: {}",
            delivery[0]
        );

        held(
            &d,
            email(&format!("{name}-2"), "sdr-1", &lead),
            "dnc_listed",
        )
        .await;
        sent(&d, sms(&format!("{name}-sms"), "sdr-1", &lead)).await;
        first.get_or_insert((address, mail));
    }

    // The same report again: the address stays suppressed once.
    let (address, mail) = first.unwrap();
    posted(&d, &report(GMAIL_BOUNCE, &address, message_id(&mail))).await;
    assert_eq!(dnc(&d, &address).await.len(), 1);
}

async fn a_transient_bounce_is_counted_not_suppressed(db: &Database) {
    let d = start(db, "").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    d.seed_lead(SVC, "lead-7", &person("ana@example.com", 123))
        .await;
    let mail = sent(&d, email("m1", "sdr-1", "lead-7")).await;

    let v = posted(
        &d,
        &report(POSTFIX_DELAYED, "ana@example.com", message_id(&mail)),
    )
    .await;
    assert_eq!(v["report"], "delivery", "{v}");
    assert_eq!(v["touch_id"], id(&mail), "{v}");
    assert_eq!(v["recipients"][0]["suppressed"], false, "{v}");
    let after = d.touch(id(&mail)).await;
    let delivery = entries(&after, "delivery");
    assert_eq!(delivery.len(), 1, "{after}");
    assert_eq!(delivery[0]["reason"], "soft_bounce", "{after}");
    assert!(dnc(&d, "ana@example.com").await.is_empty());
    sent(&d, email("m2", "sdr-1", "lead-7")).await;
}

async fn complaints_suppress_the_contact_on_every_channel(db: &Database) {
    let d = start(db, "").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    for (n, (lead, address, sample)) in (0u16..).zip([
        ("lead-yahoo", "yahoo-user@example.com", YAHOO_COMPLAINT),
        (
            "lead-outlook",
            "outlook-user@example.com",
            OUTLOOK_COMPLAINT,
        ),
    ]) {
        d.seed_lead(SVC, lead, &person(address, 300 + n)).await;
        let mail = sent(&d, email(&format!("{lead}-1"), "sdr-1", lead)).await;

        let v = posted(&d, &report(sample, address, message_id(&mail))).await;
        assert_eq!(v["report"], "complaint", "{lead}: {v}");
        assert_eq!(v["touch_id"], id(&mail), "{lead}: {v}");
        assert_eq!(v["recipient"], address, "{lead}: {v}");
        assert_eq!(v["suppressed"], true, "{lead}: {v}");
        assert_eq!(
            dnc(&d, address).await,
            [("*".to_owned(), "complaint".to_owned())],
            "{lead}"
        );
        let after = d.touch(id(&mail)).await;
        assert_eq!(
            entries(&after, "delivery")[0]["reason"],
            "complaint",
            "{after}"
        );
        // A `*` row on a lead's contact stops the lead on every channel.
        held(&d, email(&format!("{lead}-2"), "sdr-1", lead), "dnc_listed").await;
        held(&d, sms(&format!("{lead}-sms"), "sdr-1", lead), "dnc_listed").await;
    }
}

async fn broken_foreign_or_mismatched_reports_suppress_nothing(db: &Database) {
    let d = start(db, "").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    d.seed_lead(SVC, "lead-7", &person("ana@example.com", 123))
        .await;
    d.seed_lead(SVC, "lead-8", &person("bob@example.com", 124))
        .await;
    let mail = sent(&d, email("m1", "sdr-1", "lead-7")).await;
    let ours = message_id(&mail);

    // Truncated before its status part: not a report; taken as a message from the mailer
    // daemon (an automatic one), nothing suppressed.
    let v = posted(&d, TRUNCATED_REPORT).await;
    assert_eq!(v["opt_out"], false, "{v}");
    assert_eq!(v["intent"], "auto_reply", "{v}");

    // An odd charset, a recipient no lead has, a Message-ID we never sent: recorded, unlinked.
    let v = posted(&d, ODD_CHARSET_REPORT).await;
    assert_eq!(v["report"], "delivery", "{v}");
    assert_eq!(v["touch_id"], Value::Null, "{v}");
    assert_eq!(v["recipients"][0]["address"], "taro@example.jp", "{v}");
    assert_eq!(v["recipients"][0]["suppressed"], false, "{v}");
    assert!(dnc(&d, "taro@example.jp").await.is_empty());

    // A multipart/report whose status part is nonsense: taken as a message, nothing else.
    let nonsense = "From: MAILER-DAEMON@mail.example.net\r\nTo: sdr@acme.example\r\n\
                    Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
                    --B\r\nContent-Type: message/delivery-status\r\n\r\n\x01\x02 no fields at all\r\n\
                    Status: not.a.code\r\n--B\r\nContent-Type: message/rfc822\r\n\r\n--B--\r\n";
    let v = posted(&d, nonsense).await;
    assert_eq!(v["opt_out"], false, "{v}");

    // The report and the touch it names disagree on the address: nothing is suppressed, not
    // the report's address, not the touch's.
    let v = posted(&d, &report(POSTFIX_BOUNCE, "bob@example.com", ours)).await;
    assert_eq!(v["recipients"][0]["suppressed"], false, "{v}");
    let v = posted(&d, &report(YAHOO_COMPLAINT, "bob@example.com", ours)).await;
    assert_eq!(v["suppressed"], false, "{v}");
    for address in ["ana@example.com", "bob@example.com"] {
        assert!(dnc(&d, address).await.is_empty(), "{address}");
    }
    assert!(entries(&d.touch(id(&mail)).await, "delivery").is_empty());

    // Bytes that are no message at all: refused as the contract says (no From), never a crash.
    let (s, v) = d.post_email(b"\xff\xfe\x00garbage\x00\x01").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "From", "{v}");

    // Still serving, still taking reports.
    sent(&d, email("m2", "sdr-1", "lead-8")).await;
    let (s, _) = d.get("/healthz", OP).await;
    assert_eq!(s, StatusCode::OK);
    let v = posted(&d, &report(EXIM_BOUNCE, "ana@example.com", ours)).await;
    assert_eq!(v["recipients"][0]["suppressed"], true, "{v}");
}

async fn a_bounce_for_a_shared_address_suppresses_the_address_not_the_leads(db: &Database) {
    let d = start(db, "").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    let shared = "office@example.com";
    d.seed_lead(SVC, "lead-a", &person(shared, 401)).await;
    d.seed_lead(SVC, "lead-b", &person(shared, 402)).await;
    let mail = sent(&d, email("a-1", "sdr-1", "lead-a")).await;

    let v = posted(&d, &report(GMAIL_BOUNCE, shared, message_id(&mail))).await;
    assert_eq!(v["recipients"][0]["suppressed"], true, "{v}");
    assert_eq!(
        dnc(&d, shared).await,
        [("email".to_owned(), "hard_bounce".to_owned())]
    );
    for lead in ["lead-a", "lead-b"] {
        held(&d, email(&format!("{lead}-2"), "sdr-1", lead), "dnc_listed").await;
        sent(&d, sms(&format!("{lead}-sms"), "sdr-1", lead)).await;
    }

    // A bounce that names no message of ours still suppresses an address our leads have.
    let other = "desk@example.com";
    d.seed_lead(SVC, "lead-c", &person(other, 403)).await;
    d.seed_lead(SVC, "lead-d", &person(other, 404)).await;
    let v = posted(
        &d,
        &report(POSTFIX_BOUNCE, other, "unknown-1@mail.acme.example"),
    )
    .await;
    assert_eq!(v["touch_id"], Value::Null, "{v}");
    assert_eq!(v["recipients"][0]["suppressed"], true, "{v}");
    assert_eq!(
        dnc(&d, other).await,
        [("email".to_owned(), "hard_bounce".to_owned())]
    );
    for lead in ["lead-c", "lead-d"] {
        held(&d, email(&format!("{lead}-1"), "sdr-1", lead), "dnc_listed").await;
        sent(&d, sms(&format!("{lead}-sms"), "sdr-1", lead)).await;
    }
}

// ---------------------------------------------------------------- sender health

const HEALTH: &str = "[deliverability]\nwindow_sends = 4\nmax_bounce_rate = 0.2\n";

/// Accounts `sdr-1` and `sdr-2`, leads `h1`…`h6` (`h<n>@example.com`).
async fn seed_health(d: &Daemon) {
    for a in ["sdr-1", "sdr-2"] {
        d.seed_account(OP, a, json!({"status": "active"})).await;
    }
    for n in 1..=6u16 {
        d.seed_lead(
            SVC,
            &format!("h{n}"),
            &person(&format!("h{n}@example.com"), 500 + n),
        )
        .await;
    }
}

/// Posts a hard bounce for the email touch `t`.
async fn bounce(d: &Daemon, t: &Value) {
    let v = posted(
        d,
        &report(
            POSTFIX_BOUNCE,
            t["recipient"].as_str().unwrap(),
            message_id(t),
        ),
    )
    .await;
    assert_eq!(v["recipients"][0]["suppressed"], true, "{v}");
}

async fn health(d: &Daemon, account: &str) -> Value {
    let (s, v) = d.get(&format!("/v1/accounts/{account}"), SVC).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["health"].clone()
}

async fn sender_health_alerts(d: &Daemon) -> Vec<Value> {
    let (s, v) = d.get("/v1/alerts", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "sender_health")
        .cloned()
        .collect()
}

async fn resume(d: &Daemon, account: &str, token: &str) -> (StatusCode, Value) {
    d.post(
        &format!("/v1/accounts/{account}/channels/email/resume"),
        token,
        json!({}),
    )
    .await
}

async fn sender_health_pauses_email_over_the_bounce_rate_until_resumed(db: &Database) {
    let d = start(db, HEALTH).await;
    seed_health(&d).await;
    let (s, v) = resume(&d, "sdr-1", OP).await;
    assert_eq!(s, StatusCode::CONFLICT, "not paused: {v}");

    let mut sends = Vec::new();
    for n in 1..=4 {
        sends.push(sent(&d, email(&format!("e{n}"), "sdr-1", &format!("h{n}"))).await);
    }
    assert_eq!(health(&d, "sdr-1").await, json!([]));
    // One hard bounce in four sends: 25 % > 20 %.
    bounce(&d, &sends[1]).await;

    let h = health(&d, "sdr-1").await;
    assert_eq!(h[0]["channel"], "email", "{h}");
    assert_eq!(h[0]["paused_since"], START, "{h}");
    let why = h[0]["why"].as_str().unwrap();
    assert!(
        why.contains("hard-bounce rate 25.00% over the last 4 sends exceeds 20.00%"),
        "{why}"
    );
    let alerts = sender_health_alerts(&d).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let detail = alerts[0]["detail"].as_str().unwrap();
    assert!(detail.contains("sdr-1") && detail.contains(why), "{detail}");

    let paused = held(&d, email("e5", "sdr-1", "h5"), "channel_paused").await;
    let detail = check_detail(&paused, "channel_status");
    assert!(
        detail.contains(&format!("paused by sender health since {START}")) && detail.contains(why),
        "{detail}"
    );
    let (s, v) = d
        .post("/v1/evaluate", SVC, email("eval", "sdr-1", "h6"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["reason"], "channel_paused", "{v}");
    // Only the account's email: its texts and the other account's email go.
    sent(&d, sms("s1", "sdr-1", "h5")).await;
    sent(&d, email("other-account", "sdr-2", "h5")).await;

    // The operator lifts it (a service token may not; an unknown account is 404).
    let (s, _) = resume(&d, "sdr-1", SVC).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = resume(&d, "nobody", OP).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = resume(&d, "sdr-1", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["health"][0]["resumed_at"], START, "{v}");
    assert_eq!(v["health"][0]["paused_since"], Value::Null, "{v}");
    let (s, v) = resume(&d, "sdr-1", OP).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    // The rates start again from the resume: one send and its bounce is below the window.
    d.set_clock("2026-11-25T18:01:00Z").await;
    let again = sent(&d, email("e6", "sdr-1", "h6")).await;
    bounce(&d, &again).await;
    assert!(health(&d, "sdr-1").await[0].get("paused_since").is_none());
    sent(&d, email("e7", "sdr-1", "h1")).await;
    assert_eq!(sender_health_alerts(&d).await.len(), 1);
}

async fn no_rate_below_the_window(db: &Database) {
    let d = start(db, HEALTH).await;
    seed_health(&d).await;
    // Every one of three sends bounces: 100 %, but three sends are no rate yet.
    for n in 1..=3 {
        let t = sent(&d, email(&format!("e{n}"), "sdr-1", &format!("h{n}"))).await;
        bounce(&d, &t).await;
    }
    assert_eq!(health(&d, "sdr-1").await, json!([]));
    assert!(sender_health_alerts(&d).await.is_empty());
    sent(&d, email("e4", "sdr-1", "h4")).await;
}

/// The contract counts a send once its provider call was made: the fourth send, after a
/// bounce among the first three, makes the rate 25 % over the last four.
async fn the_send_that_fills_the_window_counts_toward_the_rate(db: &Database) {
    let d = start(db, HEALTH).await;
    seed_health(&d).await;
    let first = sent(&d, email("e1", "sdr-1", "h1")).await;
    bounce(&d, &first).await;
    for n in 2..=4 {
        sent(&d, email(&format!("e{n}"), "sdr-1", &format!("h{n}"))).await;
    }
    held(&d, email("e5", "sdr-1", "h5"), "channel_paused").await;
    assert_eq!(sender_health_alerts(&d).await.len(), 1);
}

// ---------------------------------------------------------------- warm-up

async fn warm_up_ramps_the_daily_email_cap(db: &Database) {
    let d = start(db, "").await;
    d.seed_account(
        OP,
        "sdr-1",
        json!({"status": "active",
               "limits": {"email": {"warmup": {"start_per_day": 2, "increase_per_day": 1}}}}),
    )
    .await;
    d.seed_lead(SVC, "lead-7", &person("ana@example.com", 123))
        .await;
    sent(&d, email("d1-1", "sdr-1", "lead-7")).await;
    sent(&d, email("d1-2", "sdr-1", "lead-7")).await;
    let third = held(&d, email("d1-3", "sdr-1", "lead-7"), "daily_limit").await;
    assert_eq!(third["status"], "scheduled", "{third}");
    let detail = check_detail(&third, "daily_limit");
    assert!(
        detail.contains("2 of 2 used")
            && detail.contains("warm-up day 1 allows 2")
            && detail.contains("2 on the first day, 1 more each day"),
        "{detail}"
    );
    // The second day's ramp (3) begins 24 hours after the first send.
    let next_day = "2026-11-26T18:00:00Z";
    assert_eq!(third["retry_after"], next_day, "{third}");
    // Other channels do not ramp.
    sent(&d, sms("text", "sdr-1", "lead-7")).await;

    d.set_clock(next_day).await;
    d.drain().await;
    assert_eq!(d.touch(id(&third)).await["status"], "sent");
    sent(&d, email("d2-1", "sdr-1", "lead-7")).await;
    sent(&d, email("d2-2", "sdr-1", "lead-7")).await;
    let fourth = held(&d, email("d2-3", "sdr-1", "lead-7"), "daily_limit").await;
    let detail = check_detail(&fourth, "daily_limit");
    assert!(
        detail.contains("3 of 3 used") && detail.contains("warm-up day 2 allows 3"),
        "{detail}"
    );
}

// ---------------------------------------------------------------- recipient caps

async fn recipient_caps_count_every_channel_and_account_and_yield_to_an_override(db: &Database) {
    let d = start(
        db,
        "[workspace_defaults]\nrecipient_caps = {marketing_per_week = 2}\n",
    )
    .await;
    for a in ["sdr-1", "sdr-2"] {
        d.seed_account(OP, a, json!({"status": "active"})).await;
    }
    d.seed_lead(SVC, "lead-7", &person("ana@example.com", 123))
        .await;
    d.seed_lead(SVC, "lead-8", &person("bob@example.com", 124))
        .await;

    sent(&d, touch("c1", "sdr-1", "lead-7", "sms", "spring")).await;
    sent(&d, touch("c2", "sdr-2", "lead-7", "email", "summer")).await;
    // A deadline past the week, so the cap holds it rather than blocks it.
    let mut third = touch("c3", "sdr-1", "lead-7", "email", "autumn");
    third["deadline"] = json!("2026-12-10T00:00:00Z");
    let third = held(&d, third, "recipient_cap").await;
    assert_eq!(third["status"], "scheduled", "{third}");
    assert_eq!(third["retry_after"], "2026-12-02T18:00:00Z", "{third}");
    let detail = check_detail(&third, "recipient_cap");
    assert!(detail.contains("2 of 2"), "{detail}");
    // Another lead, and a transactional message to this one, are not capped.
    sent(&d, touch("c4", "sdr-1", "lead-8", "email", "autumn")).await;
    let mut receipt = touch("c5", "sdr-1", "lead-7", "email", "billing");
    receipt["purpose"] = json!("transactional");
    sent(&d, receipt).await;

    // The legal per-recipient cap is not the operator's to waive.
    let path = format!("/v1/touches/{}/override", id(&third));
    let (s, v) = d
        .post(
            &path,
            OP,
            json!({"waive": ["recipient_frequency"], "reason": "asked by the CEO"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "waive", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("recipient_frequency"),
        "{v}"
    );
    assert_eq!(d.touch(id(&third)).await["status"], "scheduled");

    let (s, v) = d
        .post(
            &path,
            OP,
            json!({"waive": ["recipient_cap"], "reason": "the lead asked for the brochure"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["allowed"], true, "{v}");
    assert_eq!(v["override"]["waived"], json!(["recipient_cap"]), "{v}");
    let released = d
        .wait_for_touch(id(&third), "sent after the override", |t| {
            t["status"] == "sent"
        })
        .await;
    assert_eq!(released["override"]["waived"], json!(["recipient_cap"]));
    // The waiver was for that one decision: the next marketing touch is capped again.
    held(
        &d,
        touch("c6", "sdr-2", "lead-7", "sms", "winter"),
        "recipient_cap",
    )
    .await;
}
