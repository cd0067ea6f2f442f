//! Replayed deliveries change nothing (issue 13 item 3). Providers deliver webhooks at least
//! once, so every one may come again, hours later: inbound messages are deduplicated by the
//! provider's message id (Twilio `MessageSid`, Meta's message id, the email `Message-ID`,
//! `message_id` of `POST /v1/inbound`) and keep their first receipt time, and a replayed
//! provider status (a Twilio status callback, a Meta status, a bounce or complaint report) adds
//! nothing to the touch it is about. Each replay is the very request first sent, validly signed,
//! with the fake clock moved on between, and is still answered 2xx.
//!
//! What is proved, through the API (and the operator's `touchgate audit export`): a replayed
//! Twilio STOP adds no DNC row (also once the first row is removed), no link to the
//! tamper-evident record (DNC, audit-log or decision rows) and no second confirmation; a replayed WhatsApp message (Meta, and
//! Twilio's WhatsApp) does not move the 24-hour customer-service window (message at T, replay
//! at T+23h, a free-form WhatsApp at T+25h is blocked `whatsapp_window_closed`); a replayed
//! email or `POST /v1/inbound` reply does not stop the sequence a second time (a touch queued
//! after the first receipt stays queued); the inbound log (`/console/inbound`) holds each
//! message once, at its first receipt time; replayed status webhooks leave the touch's status
//! and timeline and the DNC list as they were. Each test runs the real `touchgate serve`
//! binary on a database of its own (SQLite and PostgreSQL) and a fake clock
//! (2026-11-25T18:00:00Z = 10:00 in Los Angeles), Twilio and Meta pointed at a stand-in.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use touchgate_tests::console::ConsoleUser;
use touchgate_tests::mail::{corpus, report};
use touchgate_tests::providers::{
    Providers, TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, WA_PHONE_ID, meta_inbound,
};
use touchgate_tests::registries::{assert_allowed, assert_reason};
use touchgate_tests::seed::{PHONE, email, sms, wa_template};
use touchgate_tests::touches::{id_of, message_id_of, timeline};
use touchgate_tests::{Daemon, Database, OP, START, SVC};

touchgate_tests::both_databases!(
    a_replayed_twilio_stop_adds_no_dnc_row,
    a_replayed_whatsapp_message_does_not_extend_the_window,
    a_replayed_email_reply_is_taken_once,
    a_replayed_api_inbound_message_is_taken_once,
    replayed_twilio_status_callbacks_change_nothing,
    replayed_meta_statuses_change_nothing,
    replayed_bounce_and_complaint_reports_change_nothing,
);

const TWILIO_PATH: &str = "/v1/webhooks/twilio/sms";
/// Ana's address as stored (canonical).
const ANA_EMAIL: &str = "ana@example.com";
/// Where the fake clock starts, as the console writes an instant (`datetime`, RFC 3339).
const START_RFC3339: &str = "2026-11-25T18:00:00+00:00";
/// [`START`] in Unix seconds (Meta's `timestamp`).
const START_UNIX: i64 = 1_795_629_600;

/// A daemon with Twilio and Meta at `providers`, signed inbound email, the dispatch loop off;
/// account `sdr-1` (with the approved WhatsApp template `day3_followup`) and lead `lead-7` (Ana,
/// her number on WhatsApp too, consent to marketing SMS and WhatsApp).
async fn start(db: &Database, providers: &Providers) -> Daemon {
    let d = Daemon::builder(db)
        .manual_dispatch()
        .webhook_secret()
        .twilio_sms(&providers.uri(), "")
        .meta_whatsapp(&providers.uri())
        .start()
        .await;
    d.seed_whatsapp().await;
    d
}

// ---------------------------------------------------------------- requests as providers sign them

/// Twilio's scheme, written out: base64(HMAC-SHA1(auth token, the public URL, then every
/// parameter sorted by name, name then value)).
fn twilio_signature(url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort_unstable();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Posts Twilio's form, signed; it must be answered 200 with empty TwiML.
async fn twilio(d: &Daemon, params: &[(&str, &str)]) {
    let sig = twilio_signature(&d.url(TWILIO_PATH), params);
    let res = d
        .client
        .post(d.url(TWILIO_PATH))
        .form(params)
        .header("X-Twilio-Signature", sig)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("<Response></Response>"));
}

/// Posts Meta's webhook, signed; it must be answered 200. The answer.
async fn meta(d: &Daemon, body: &Value) -> Value {
    let (s, v) = d.meta_webhook(body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// Meta's status webhook for the message `id` sent to Ana.
fn meta_status(id: &str, status: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "14155550100", "phone_number_id": WA_PHONE_ID},
        "statuses": [{"id": id, "status": status, "timestamp": START_UNIX.to_string(),
                      "recipient_id": "14155550123"}]
    }}]}]})
}

/// A reply from Ana by email, `Message-ID: <{id}>`.
fn email_reply(id: &str, body: &str) -> String {
    format!(
        "From: \"Ana Lopez\" <Ana@Example.com>\r\nTo: SDR Team <sdr@acme.example>\r\n\
         Subject: Re: Hello\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=\"UTF-8\"\r\n\r\n{body}\r\n"
    )
}

// ---------------------------------------------------------------- what is stored

/// The open DNC entries for `contact`.
async fn dnc(d: &Daemon, contact: &str) -> Vec<Value> {
    d.dnc_entries(OP, contact).await
}

/// The rows of the inbound log (`/console/inbound`, newest first) that show message id `id`,
/// each as its HTML.
async fn logged(d: &Daemon, id: &str) -> Vec<String> {
    let console = ConsoleUser::login(d, OP).await;
    let page = console.get("/console/inbound").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
        .split("data-inbound-seq=")
        .skip(1)
        .map(|row| row.split("</tr>").next().unwrap_or_default().to_owned())
        .filter(|row| row.contains(id))
        .collect()
}

/// The inbound log holds message `id` once, received at `at` (RFC 3339 with `+00:00`).
async fn assert_logged_once(d: &Daemon, id: &str, at: &str) {
    let rows = logged(d, id).await;
    assert_eq!(rows.len(), 1, "message {id} logged once: {rows:?}");
    assert!(
        rows[0].contains(&format!("datetime=\"{at}\"")),
        "message {id} received at {at}: {}",
        rows[0]
    );
}

/// How many links of the tamper-evident record (`touchgate audit export`) each source table
/// (`dnc`, `audit_log`, `decisions` …) has, once a drain has sealed what is pending.
async fn sealed_rows(d: &Daemon, db: &Database) -> BTreeMap<String, usize> {
    d.drain().await;
    let out = touchgate_tests::cli::ok(&touchgate_tests::cli::touchgate(
        db,
        &["audit", "export"],
        None,
    ));
    let mut counts = BTreeMap::new();
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if let Some(source) = v["source"].as_str() {
            *counts.entry(source.to_owned()).or_insert(0) += 1;
        }
    }
    assert!(!counts.is_empty(), "no link exported: {out}");
    counts
}

/// The opt-out confirmations among Ana's touches on `channel`.
async fn confirmations(d: &Daemon, channel: &str) -> usize {
    let (s, v) = d
        .get(&format!("/v1/touches?lead_id=lead-7&channel={channel}"), OP)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["touches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["idempotency_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("opt-out-confirmation:"))
        })
        .count()
}

/// Creates a touch that stays queued (the dispatch loop is off); its id.
async fn queued(d: &Daemon, body: Value) -> String {
    let (s, t) = d.create(body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["status"], "queued", "{t}");
    id_of(&t).to_owned()
}

// ---------------------------------------------------------------- inbound messages

async fn a_replayed_twilio_stop_adds_no_dnc_row(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers).await;
    d.sent(sms("first")).await;
    let stop = [
        ("MessageSid", "SMin-stop-1"),
        ("AccountSid", TWILIO_SID),
        ("From", PHONE),
        ("To", TWILIO_FROM),
        ("Body", "STOP"),
        ("NumMedia", "0"),
    ];
    twilio(&d, &stop).await;
    let rows = dnc(&d, PHONE).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    d.drain().await;
    assert_eq!(confirmations(&d, "sms").await, 1);
    assert_eq!(providers.twilio_messages_to(PHONE).await.len(), 2);
    let record = sealed_rows(&d, db).await;
    assert_eq!(record.get("dnc"), Some(&1), "{record:?}");

    // Twilio delivers it again two hours later: the same row, no second confirmation, nothing
    // added to the tamper-evident record (no DNC, audit or decision row).
    d.set_clock("2026-11-25T20:00:00Z").await;
    twilio(&d, &stop).await;
    assert_eq!(dnc(&d, PHONE).await, rows);
    assert_eq!(sealed_rows(&d, db).await, record);
    assert_eq!(confirmations(&d, "sms").await, 1);
    assert_eq!(providers.twilio_messages_to(PHONE).await.len(), 2);
    assert_logged_once(&d, "SMin-stop-1", START_RFC3339).await;

    // The row removed (entered by mistake), the replay does not write it back.
    let (s, v) = d
        .call(
            Method::DELETE,
            &format!(
                "/v1/dnc/{}?reason=entered%20by%20mistake",
                rows[0]["id"].as_str().unwrap()
            ),
            Some(OP),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let record = sealed_rows(&d, db).await;
    d.set_clock("2026-11-25T21:00:00Z").await;
    twilio(&d, &stop).await;
    assert!(dnc(&d, PHONE).await.is_empty());
    assert_eq!(sealed_rows(&d, db).await, record);
    assert_eq!(confirmations(&d, "sms").await, 1);
    assert_logged_once(&d, "SMin-stop-1", START_RFC3339).await;
    // A new STOP (another MessageSid) is taken.
    twilio(
        &d,
        &[
            ("MessageSid", "SMin-stop-2"),
            ("From", PHONE),
            ("To", TWILIO_FROM),
            ("Body", "STOP"),
        ],
    )
    .await;
    assert_eq!(dnc(&d, PHONE).await.len(), 1);
}

/// A free-form WhatsApp text (allowed only within 24 hours of Ana's last message).
fn wa_free_text(key: &str) -> Value {
    json!({"idempotency_key": key, "account_id": "sdr-1", "lead_id": "lead-7",
           "channel": "whatsapp", "content": {"body": "Hi"}})
}

async fn a_replayed_whatsapp_message_does_not_extend_the_window(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers).await;
    // At T, Ana writes on WhatsApp through Meta (stamped T) and through Twilio (no stamp: the
    // receipt time is the daemon's now).
    let hello = meta_inbound("14155550123", "wamid.in-window-1", START_UNIX, "Hello");
    let v = meta(&d, &hello).await;
    assert_eq!(v["messages"], 1, "{v}");
    let twilio_hello = [
        ("MessageSid", "SMwa-in-1"),
        ("From", "whatsapp:+14155550123"),
        ("To", "whatsapp:+14155550100"),
        ("Body", "Hello again"),
    ];
    twilio(&d, &twilio_hello).await;
    assert_allowed(&d.evaluate_at(&wa_free_text("x"), START).await);

    // At T+23h both are delivered again; the window is still the one T opened.
    let t23 = "2026-11-26T17:00:00Z";
    d.set_clock(t23).await;
    let v = meta(&d, &hello).await;
    assert_eq!(v["messages"], 1, "{v}");
    twilio(&d, &twilio_hello).await;
    assert_allowed(&d.evaluate_at(&wa_free_text("x"), t23).await);

    // At T+25h it has closed: a free-form WhatsApp is blocked.
    let t25 = "2026-11-26T19:00:00Z";
    d.set_clock(t25).await;
    let t = d.send(wa_free_text("after-replay")).await;
    assert_eq!(t["status"], "blocked", "{t}");
    assert_eq!(t["reason"], "whatsapp_window_closed", "{t}");
    assert!(providers.meta_messages().await.is_empty());
    assert_logged_once(&d, "wamid.in-window-1", START_RFC3339).await;
    assert_logged_once(&d, "SMwa-in-1", START_RFC3339).await;

    // A new message opens it again.
    meta(
        &d,
        &meta_inbound(
            "14155550123",
            "wamid.in-window-2",
            START_UNIX + 25 * 3600,
            "Still there?",
        ),
    )
    .await;
    assert_allowed(&d.evaluate_at(&wa_free_text("x"), t25).await);
    assert_reason(
        &d.evaluate_at(&wa_free_text("x"), "2026-11-27T19:00:01Z")
            .await,
        "whatsapp_window_closed",
    );
}

async fn a_replayed_email_reply_is_taken_once(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers).await;
    d.sent(email("mail-1")).await;
    let pending = queued(&d, email("mail-2")).await;
    // Ana answers at T: the pending email of the campaign is cancelled.
    let reply = email_reply("reply-r1@example.com", "Thanks, next Tuesday works.");
    let first = d.post_email_ok(&reply).await;
    assert_eq!(first["intent"], "none", "{first}");
    assert_eq!(first["cancelled"], json!([pending]), "{first}");
    assert_eq!(d.touch(&pending).await["status"], "cancelled");

    // The campaign goes on; the same reply delivered an hour later stops nothing.
    let later = queued(&d, email("mail-3")).await;
    d.set_clock("2026-11-25T19:00:00Z").await;
    let again = d.post_email_ok(&reply).await;
    assert_eq!(again["intent"], first["intent"], "{again}");
    assert_eq!(again["leads"], first["leads"], "{again}");
    assert!(again.get("cancelled").is_none(), "{again}");
    assert_eq!(d.touch(&later).await["status"], "queued");
    assert!(dnc(&d, ANA_EMAIL).await.is_empty());
    assert_logged_once(&d, "reply-r1@example.com", START_RFC3339).await;

    // A new reply does stop it.
    let v = d
        .post_email_ok(&email_reply("reply-r2@example.com", "Call me instead."))
        .await;
    assert_eq!(v["cancelled"], json!([later]), "{v}");
}

async fn a_replayed_api_inbound_message_is_taken_once(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers).await;
    d.sent(sms("text-1")).await;
    let pending = queued(&d, sms("text-2")).await;
    let reply = json!({"channel": "sms", "from": PHONE, "to": TWILIO_FROM,
                       "body": "Thanks, next Tuesday works.", "message_id": "api-in-1",
                       "received_at": "2026-11-25T17:50:00Z"});
    let (s, first) = d.post("/v1/inbound", SVC, reply.clone()).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["cancelled"], json!([pending]), "{first}");

    let later = queued(&d, sms("text-3")).await;
    d.set_clock("2026-11-25T19:00:00Z").await;
    // The replay names another receipt time: the first one stands.
    let mut replay = reply.clone();
    replay["received_at"] = json!("2026-11-25T18:55:00Z");
    let (s, again) = d.post("/v1/inbound", SVC, replay).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["intent"], first["intent"], "{again}");
    assert_eq!(again["opt_out"], false, "{again}");
    assert!(again.get("cancelled").is_none(), "{again}");
    assert_eq!(d.touch(&later).await["status"], "queued");
    assert_logged_once(&d, "api-in-1", "2026-11-25T17:50:00+00:00").await;

    // A STOP replayed after its row was removed writes no row (its answer names the first).
    let stop = json!({"channel": "sms", "from": PHONE, "body": "STOP", "message_id": "api-in-2"});
    let (s, first) = d.post("/v1/inbound", SVC, stop.clone()).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let row = first["dnc"]["id"].as_str().unwrap().to_owned();
    let (s, v) = d
        .call(
            Method::DELETE,
            &format!("/v1/dnc/{row}?reason=entered%20by%20mistake"),
            Some(OP),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    d.set_clock("2026-11-25T20:00:00Z").await;
    let (s, again) = d.post("/v1/inbound", SVC, stop).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["dnc"]["id"], row.as_str(), "{again}");
    assert!(dnc(&d, PHONE).await.is_empty());
    assert_logged_once(&d, "api-in-2", "2026-11-25T19:00:00+00:00").await;
}

// ---------------------------------------------------------------- provider statuses

/// What a touch's replayed status must leave as it was: its status, reason and timeline.
fn state_of(t: &Value) -> Value {
    json!({"status": t["status"], "reason": t["reason"], "decisions": t["decisions"]})
}

async fn replayed_twilio_status_callbacks_change_nothing(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers).await;
    let t = d.sent(sms("one")).await;
    let id = id_of(&t).to_owned();
    let sid = message_id_of(&t).to_owned();
    let delivered = [
        ("MessageSid", sid.as_str()),
        ("AccountSid", TWILIO_SID),
        ("MessageStatus", "delivered"),
        ("To", PHONE),
        ("From", TWILIO_FROM),
    ];
    twilio(&d, &delivered).await;
    let after_first = d.touch(&id).await;
    assert_eq!(timeline(&after_first, "delivery").len(), 1, "{after_first}");

    d.set_clock("2026-11-25T19:00:00Z").await;
    twilio(&d, &delivered).await;
    assert_eq!(state_of(&d.touch(&id).await), state_of(&after_first));

    // Error 21610 (she replied STOP to Twilio), then its retry: one event, one DNC row.
    let unsubscribed = [
        ("MessageSid", sid.as_str()),
        ("AccountSid", TWILIO_SID),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "21610"),
        ("To", PHONE),
        ("From", TWILIO_FROM),
    ];
    twilio(&d, &unsubscribed).await;
    let after_21610 = d.touch(&id).await;
    assert_eq!(timeline(&after_21610, "delivery").len(), 2, "{after_21610}");
    let rows = dnc(&d, PHONE).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    d.set_clock("2026-11-25T20:00:00Z").await;
    twilio(&d, &unsubscribed).await;
    assert_eq!(state_of(&d.touch(&id).await), state_of(&after_21610));
    assert_eq!(dnc(&d, PHONE).await, rows);
}

async fn replayed_meta_statuses_change_nothing(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers).await;
    let t = d.sent(wa_template("wa-1")).await;
    let id = id_of(&t).to_owned();
    let wamid = message_id_of(&t).to_owned();
    let v = meta(&d, &meta_status(&wamid, "delivered")).await;
    assert_eq!(v["statuses"], 1, "{v}");
    let after_first = d.touch(&id).await;
    assert_eq!(timeline(&after_first, "delivery").len(), 1, "{after_first}");

    d.set_clock("2026-11-25T19:00:00Z").await;
    let v = meta(&d, &meta_status(&wamid, "delivered")).await;
    assert_eq!(v["statuses"], 1, "{v}");
    assert_eq!(state_of(&d.touch(&id).await), state_of(&after_first));

    // The next status is news; its replay is not.
    meta(&d, &meta_status(&wamid, "read")).await;
    let after_read = d.touch(&id).await;
    assert_eq!(timeline(&after_read, "delivery").len(), 2, "{after_read}");
    d.set_clock("2026-11-25T20:00:00Z").await;
    meta(&d, &meta_status(&wamid, "read")).await;
    assert_eq!(state_of(&d.touch(&id).await), state_of(&after_read));
    assert!(dnc(&d, PHONE).await.is_empty());
}

async fn replayed_bounce_and_complaint_reports_change_nothing(db: &Database) {
    let providers = Providers::start().await;
    let d = start(db, &providers).await;
    let t = d.sent(email("mail-1")).await;
    let id = id_of(&t).to_owned();
    let bounce = report(corpus::GMAIL_BOUNCE, ANA_EMAIL, message_id_of(&t));
    let v = d.post_email_ok(&bounce).await;
    assert_eq!(v["report"], "delivery", "{v}");
    assert_eq!(v["touch_id"], id.as_str(), "{v}");
    let after_bounce = d.touch(&id).await;
    assert_eq!(
        timeline(&after_bounce, "delivery").len(),
        1,
        "{after_bounce}"
    );
    let rows = dnc(&d, ANA_EMAIL).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (_, account) = d.get("/v1/accounts/sdr-1", OP).await;

    d.set_clock("2026-11-25T19:00:00Z").await;
    let v = d.post_email_ok(&bounce).await;
    assert_eq!(v["report"], "delivery", "{v}");
    assert_eq!(state_of(&d.touch(&id).await), state_of(&after_bounce));
    assert_eq!(dnc(&d, ANA_EMAIL).await, rows);
    assert_eq!(d.get("/v1/accounts/sdr-1", OP).await.1, account);

    // A complaint about the same message, then its replay.
    let complaint = report(corpus::YAHOO_COMPLAINT, ANA_EMAIL, message_id_of(&t));
    let v = d.post_email_ok(&complaint).await;
    assert_eq!(v["report"], "complaint", "{v}");
    let after_complaint = d.touch(&id).await;
    assert_eq!(
        timeline(&after_complaint, "delivery").len(),
        2,
        "{after_complaint}"
    );
    let rows = dnc(&d, ANA_EMAIL).await;
    d.set_clock("2026-11-25T20:00:00Z").await;
    let v = d.post_email_ok(&complaint).await;
    assert_eq!(v["report"], "complaint", "{v}");
    assert_eq!(state_of(&d.touch(&id).await), state_of(&after_complaint));
    assert_eq!(dnc(&d, ANA_EMAIL).await, rows);
}
