//! Replies under contract v2 (issue 9): a wrong-number reply writes a `*` DNC row and voids
//! every consent for the number (also when the lead is PUT again with them); a workspace's
//! `opt_out_scope = "channel"`; the opt-out confirmation sent from the number written to when
//! no touch was ever sent; a replayed inbound message (same provider message id) answered as
//! the first time, changing nothing — neither the DNC list nor the WhatsApp 24-hour window.
//! Each test runs the real `touchgate serve` binary on a database of its own (SQLite and
//! PostgreSQL) and a fake clock (2026-11-25T18:00:00Z = 10:00 in Los Angeles), with Twilio and
//! Meta pointed at a stand-in in the test process.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use touchgate_tests::providers::{Providers, meta_inbound};
use touchgate_tests::registries::{assert_allowed, assert_reason, check_named, query_value};
use touchgate_tests::seed::{PHONE, ana_everywhere, email, sms, wa_template};
use touchgate_tests::{Daemon, Database, OP, START, SVC};

touchgate_tests::both_databases!(
    a_wrong_number_reply_voids_every_consent,
    opt_out_scope_channel_stops_only_that_channel,
    the_confirmation_goes_out_from_the_number_written_to,
    a_replayed_inbound_message_changes_nothing,
);

/// One of our numbers that no account names as its sender.
const OUR_OTHER_NUMBER: &str = "+14155550111";

/// A daemon with Twilio and Meta at `providers`, the dispatch loop off, `extra` config;
/// account `sdr-1` with the approved WhatsApp template `day3_followup`, and lead `lead-7`
/// (Ana, her number on WhatsApp too, consent to marketing SMS and WhatsApp).
async fn start(db: &Database, providers: &Providers, extra: &str) -> Daemon {
    let d = Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\nspread_seconds = 0\n")
        .config(extra)
        .twilio_sms(&providers.uri(), "")
        .meta_whatsapp(&providers.uri())
        .start()
        .await;
    d.seed_whatsapp().await;
    d
}

/// A free-form WhatsApp text (allowed only within 24 hours of Ana's last message).
fn wa_free_text() -> Value {
    json!({"account_id": "sdr-1", "lead_id": "lead-7", "channel": "whatsapp",
           "content": {"body": "Hi"}})
}

async fn inbound(d: &Daemon, body: Value) -> Value {
    let (s, v) = d.post("/v1/inbound", SVC, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// The open DNC entries for Ana's number.
async fn dnc_rows(d: &Daemon) -> Vec<Value> {
    let (s, v) = d
        .get(&format!("/v1/dnc?contact={}", query_value(PHONE)), OP)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["entries"].as_array().unwrap().clone()
}

async fn remove_dnc(d: &Daemon, id: &str) {
    let (s, v) = d
        .call(
            Method::DELETE,
            &format!("/v1/dnc/{id}?reason=entered%20by%20mistake"),
            Some(OP),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

// ---------------------------------------------------------------- wrong numbers

async fn a_wrong_number_reply_voids_every_consent(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers, "").await;
    let v = inbound(
        &d,
        json!({"channel": "sms", "from": PHONE, "body": "Sorry, wrong number. I am not Ana"}),
    )
    .await;
    assert_eq!(v["opt_out"], true, "{v}");
    assert_eq!(v["intent"], "wrong_number", "{v}");
    assert_eq!(v["dnc"]["reason"], "wrong_number", "{v}");
    assert_eq!(v["dnc"]["channel"], "*", "{v}");
    let row = v["dnc"]["id"].as_str().unwrap().to_owned();

    // The row stops every channel…
    for t in [
        sms("after-sms"),
        email("after-email"),
        wa_template("after-wa"),
    ] {
        let t = d.send(t).await;
        assert_eq!(
            (t["status"].as_str(), t["reason"].as_str()),
            (Some("blocked"), Some("dnc_listed")),
            "{t}"
        );
    }
    // …and without it the old consents stay void, also when the lead is PUT again with them.
    remove_dnc(&d, &row).await;
    let voided = d.evaluate_at(&sms("x"), START).await;
    assert_reason(&voided, "consent_missing");
    assert!(
        check_named(&voided, "consent")["detail"]
            .as_str()
            .unwrap()
            .contains("revocation"),
        "{voided}"
    );
    let (s, v) = d.put("/v1/leads/lead-7", SVC, ana_everywhere().doc()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_reason(&d.evaluate_at(&sms("x"), START).await, "consent_missing");
    assert_reason(
        &d.evaluate_at(&wa_template("x"), START).await,
        "consent_missing",
    );
    assert_allowed(&d.evaluate_at(&email("x"), START).await);

    // The number's new owner consents: that consent stands.
    let renewed = ana_everywhere().consent_granted("sms", "2026-11-25T18:30:00Z");
    let (s, v) = d.put("/v1/leads/lead-7", SVC, renewed.doc()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    d.set_clock("2026-11-25T19:00:00Z").await;
    let t = d.send(sms("renewed")).await;
    assert_eq!(t["status"], "sent", "{t}");
}

// ---------------------------------------------------------------- opt-out scope

async fn opt_out_scope_channel_stops_only_that_channel(db: &Database) {
    let providers = Providers::start().await;
    let d = start(
        db,
        &providers,
        "[workspace_defaults]\nopt_out_scope = \"channel\"\n",
    )
    .await;
    let v = inbound(&d, json!({"channel": "sms", "from": PHONE, "body": "STOP"})).await;
    assert_eq!(v["opt_out"], true, "{v}");
    assert_eq!(v["dnc"]["channel"], "sms", "{v}");
    let t = d.send(sms("after-stop")).await;
    assert_eq!(
        (t["status"].as_str(), t["reason"].as_str()),
        (Some("blocked"), Some("dnc_listed")),
        "{t}"
    );
    for t in [wa_template("wa"), email("mail")] {
        let t = d.send(t).await;
        assert_eq!(t["status"], "sent", "{t}");
    }
    // A wrong number is not an opt-out: it covers every channel whatever the scope.
    let v = inbound(
        &d,
        json!({"channel": "sms", "from": PHONE, "body": "wrong number"}),
    )
    .await;
    assert_eq!(v["intent"], "wrong_number", "{v}");
    assert_eq!(v["dnc"]["channel"], "*", "{v}");
}

// ---------------------------------------------------------------- confirmations

async fn the_confirmation_goes_out_from_the_number_written_to(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers, "").await;
    // Nothing was ever sent to Ana; she texts STOP to one of our numbers.
    let v = inbound(
        &d,
        json!({"channel": "sms", "from": PHONE, "to": OUR_OTHER_NUMBER, "body": "STOP"}),
    )
    .await;
    assert_eq!(v["opt_out"], true, "{v}");
    d.drain().await;
    let sent = providers.twilio_messages_to(PHONE).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let form = String::from_utf8_lossy(&sent[0].body).into_owned();
    assert!(
        form.split('&')
            .any(|kv| kv == format!("From={}", OUR_OTHER_NUMBER.replace('+', "%2B"))),
        "from the number she wrote to: {form}"
    );
    // Once only.
    inbound(
        &d,
        json!({"channel": "sms", "from": PHONE, "to": OUR_OTHER_NUMBER, "body": "STOP!!"}),
    )
    .await;
    d.drain().await;
    assert_eq!(providers.twilio_messages_to(PHONE).await.len(), 1);
}

// ---------------------------------------------------------------- replays

async fn a_replayed_inbound_message_changes_nothing(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers, "").await;
    let stop = json!({"channel": "sms", "from": PHONE, "to": OUR_OTHER_NUMBER,
                      "body": "STOP", "message_id": "SM-replayed-1"});
    let first = inbound(&d, stop.clone()).await;
    assert_eq!(first["intent"], "opt_out", "{first}");
    d.drain().await;
    assert_eq!(providers.twilio_messages_to(PHONE).await.len(), 1);
    let row = first["dnc"]["id"].as_str().unwrap().to_owned();
    remove_dnc(&d, &row).await;

    // Delivered again: answered as the first time; the removed row stays removed, nothing is
    // confirmed twice.
    let again = inbound(&d, stop).await;
    assert_eq!(again["opt_out"], first["opt_out"], "{again}");
    assert_eq!(again["intent"], first["intent"], "{again}");
    assert_eq!(again["matched"], first["matched"], "{again}");
    assert_eq!(again["dnc"]["id"], first["dnc"]["id"], "{again}");
    assert!(dnc_rows(&d).await.is_empty());
    d.drain().await;
    assert_eq!(providers.twilio_messages_to(PHONE).await.len(), 1);
    assert_allowed(&d.evaluate_at(&sms("x"), START).await);

    // A WhatsApp message opens the 24-hour window; its replay a day later does not reopen it.
    let hello = meta_inbound("14155550123", "wamid.in-replayed", 1_795_629_600, "Hello");
    let (s, v) = d.meta_webhook(&hello).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_allowed(&d.evaluate_at(&wa_free_text(), START).await);
    let next_day = "2026-11-26T19:00:00Z";
    d.set_clock(next_day).await;
    assert_reason(
        &d.evaluate_at(&wa_free_text(), next_day).await,
        "whatsapp_window_closed",
    );
    let (s, v) = d.meta_webhook(&hello).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_reason(
        &d.evaluate_at(&wa_free_text(), next_day).await,
        "whatsapp_window_closed",
    );
    // A new message does.
    let (s, v) = d
        .meta_webhook(&meta_inbound(
            "14155550123",
            "wamid.in-fresh",
            1_795_719_600,
            "Hello again",
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_allowed(&d.evaluate_at(&wa_free_text(), next_day).await);
}
