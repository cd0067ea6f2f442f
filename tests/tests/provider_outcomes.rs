//! Provider answers become touch states, end to end: the real daemon sends SMS through a
//! Twilio stand-in (a local HTTP server) that answers each error, and the touch, its timeline,
//! its attempts and the DNC list say what happened. Each test runs on SQLite and on PostgreSQL.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use touchgate_tests::providers::{Providers, twilio_messages_path};
use touchgate_tests::seed::{Lead, PHONE, sms};
use touchgate_tests::{Daemon, Database, OP, SVC};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

touchgate_tests::both_databases!(
    each_provider_answer_becomes_the_right_touch_state,
    an_opt_out_during_the_pacing_wait_stops_the_send,
);

async fn start(db: &Database, provider: &str) -> Daemon {
    Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\nspread_seconds = 0\n")
        .twilio_sms(provider, "timeout_secs = 5\n")
        .start()
        .await
}

/// One lead per case, one marketing SMS to it, drained; returns the touch.
async fn send_to(d: &Daemon, lead: &str, phone: &str) -> Value {
    let doc = Lead::in_los_angeles()
        .phone(phone)
        .email(&format!("{lead}@example.com"))
        .consent("sms");
    d.seed_lead(SVC, lead, &doc).await;
    d.send(json!({"account_id": "sdr-1", "lead_id": lead, "channel": "sms", "content": {"body": "Hi"}}))
        .await
}

fn twilio_error(status: u16, code: u32) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"code": code, "message": "error", "status": status}))
}

async fn each_provider_answer_becomes_the_right_touch_state(db: &Database) {
    let server = MockServer::start().await;
    let messages = twilio_messages_path();
    // Each recipient number gets its own answer.
    let cases: [(&str, ResponseTemplate); 5] = [
        (
            "%2B14155550101",
            ResponseTemplate::new(201).set_body_json(json!({"sid": "SM-ok"})),
        ),
        ("%2B14155550102", twilio_error(400, 21610)),
        ("%2B14155550103", twilio_error(400, 21211)),
        (
            "%2B14155550104",
            ResponseTemplate::new(429).insert_header("Retry-After", "120"),
        ),
        ("%2B14155550105", ResponseTemplate::new(503)),
    ];
    for (to, answer) in cases {
        Mock::given(method("POST"))
            .and(path(messages.as_str()))
            .and(body_string_contains(format!("To={to}")))
            .respond_with(answer)
            .mount(&server)
            .await;
    }
    let d = start(db, &server.uri()).await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;

    let ok = send_to(&d, "ok", "+14155550101").await;
    assert_eq!(
        (ok["status"].as_str(), ok["provider_message_id"].as_str()),
        (Some("sent"), Some("SM-ok")),
        "{ok}"
    );

    // 21610: the number replied STOP at the provider → central DNC on every channel, blocked.
    let unsub = send_to(&d, "unsub", "+14155550102").await;
    assert_eq!(
        (unsub["status"].as_str(), unsub["reason"].as_str()),
        (Some("blocked"), Some("dnc_listed")),
        "{unsub}"
    );
    let (s, dnc) = d.get("/v1/dnc?contact=%2B14155550102", OP).await;
    assert_eq!(s, StatusCode::OK, "{dnc}");
    let entry = &dnc["entries"][0];
    assert_eq!(
        (entry["reason"].as_str(), entry["channel"].as_str()),
        (Some("provider_unsubscribed"), Some("*")),
        "{dnc}"
    );
    // …so an email to the same lead is blocked too.
    let email = d
        .send(json!({"account_id": "sdr-1", "lead_id": "unsub", "channel": "email", "content": {"subject": "s", "body": "b"}}))
        .await;
    assert_eq!(email["reason"], "dnc_listed", "{email}");

    // 21211: invalid number → failed for good, reason invalid_recipient.
    let invalid = send_to(&d, "invalid", "+14155550103").await;
    assert_eq!(
        (invalid["status"].as_str(), invalid["reason"].as_str()),
        (Some("failed"), Some("invalid_recipient")),
        "{invalid}"
    );

    // 429 with Retry-After: snoozed 120 s, no attempt used.
    let throttled = send_to(&d, "throttled", "+14155550104").await;
    assert_eq!(throttled["status"], "scheduled", "{throttled}");
    assert_eq!(throttled["attempts"], 0);
    assert_eq!(throttled["next_attempt_at"], "2026-11-25T18:02:00Z");

    // 503: retried with backoff, the attempt counted.
    let flaky = send_to(&d, "flaky", "+14155550105").await;
    assert_eq!(flaky["status"], "scheduled", "{flaky}");
    assert_eq!(flaky["attempts"], 1);
    assert_eq!(flaky["next_attempt_at"], "2026-11-25T18:00:30Z");
    // Every touch's timeline records the provider's answer.
    for t in [&unsub, &invalid, &throttled, &flaky] {
        let kinds: Vec<&str> = t["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["gate", "provider"], "{t}");
    }
}

/// The last check, end to end: a touch allowed by the gate waits for its sender's pacing slot;
/// an opt-out arrives during the wait; the transport's last check (after the wait, right
/// before the provider call) stops it: `blocked` / `dnc_listed`, and the provider never sees
/// it (without the last check the touch is `sent`: this test fails).
///
/// The wait lasts up to a second, the slowest pacing `rate_per_second` can express; the STOP
/// is answered 40–200 ms after the first message took the slot (measured here, on a busy
/// machine). A gate decision that allowed the touch shows the STOP came after the claim.
async fn an_opt_out_during_the_pacing_wait_stops_the_send(db: &Database) {
    let provider = Providers::start().await;
    // One message per second per sender: the second message waits for its turn.
    let d = Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\nspread_seconds = 0\n")
        .twilio_sms(&provider.uri(), "rate_per_second = 1\n")
        .start()
        .await;
    d.seed().await;
    let other = Lead::in_los_angeles().phone("+14155550188").consent("sms");
    d.seed_lead(SVC, "lead-8", &other).await;

    // The first message takes the sender's slot.
    let mut first = sms("first");
    first["lead_id"] = json!("lead-8");
    let first = d.send(first).await;
    assert_eq!(first["status"], "sent", "{first}");

    // The second, to Ana, is allowed and waits for the next slot (`sending`, a positive event
    // to wait for); her STOP is posted then, while the drain is still waiting.
    let mut waiting = sms("waiting");
    waiting["content"]["body"] = json!("Paced hello");
    let (s, waiting) = d.create(waiting).await;
    assert_eq!(s, StatusCode::CREATED, "{waiting}");
    let id = waiting["id"].as_str().unwrap();
    let opt_out = async {
        d.wait_for_touch(id, "waiting for its slot", |t| t["status"] == "sending")
            .await;
        let (s, v) = d
            .post(
                "/v1/inbound",
                SVC,
                json!({"channel": "sms", "from": PHONE, "body": "STOP"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["opt_out"], true, "{v}");
    };
    let (processed, ()) = tokio::join!(d.drain(), opt_out);
    assert_eq!(processed, 1);

    let t = d.touch(id).await;
    assert_eq!(
        (t["status"].as_str(), t["reason"].as_str()),
        (Some("blocked"), Some("dnc_listed")),
        "{t}"
    );
    let gate = t["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "gate")
        .unwrap();
    assert_eq!(
        gate["allowed"], true,
        "the gate allowed it before the STOP: {t}"
    );
    // Ana's number got the opt-out's confirmation, and nothing else.
    let to_ana: Vec<String> = provider
        .twilio_messages_to(PHONE)
        .await
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(
        to_ana.iter().all(|form| !form.contains("Paced")),
        "the provider saw the stopped touch: {to_ana:?}"
    );
    assert_eq!(to_ana.len(), 1, "{to_ana:?}");
    assert!(to_ana[0].contains("unsubscribed"), "{to_ana:?}");
    assert_eq!(provider.twilio_messages().await.len(), 2);
}
