//! Provider answers become touch states, end to end: the real daemon sends SMS through a
//! Twilio stand-in (a local HTTP server) that answers each error, and the touch, its timeline,
//! its attempts and the DNC list say what happened.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::OP;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "AC0123456789abcdef0123456789abcdef";

struct Daemon(common::Daemon);

impl std::ops::Deref for Daemon {
    type Target = common::Daemon;

    fn deref(&self) -> &common::Daemon {
        &self.0
    }
}

impl Daemon {
    async fn start(provider: &str) -> Daemon {
        Daemon(
            common::Daemon::builder()
                .config(format!(
                    "[dispatcher]\nenabled = false\nspread_seconds = 0\n\n\
                     [channels.sms]\ntransport = \"twilio\"\nbase_url = \"{provider}\"\naccount_sid = \"{SID}\"\n\
                     auth_token_env = \"TWILIO_AUTH_TOKEN\"\nfrom = \"+14155550100\"\ntimeout_secs = 5\n"
                ))
                .env("TWILIO_AUTH_TOKEN", "secret-token")
                .start()
                .await,
        )
    }

    async fn call(&self, m: reqwest::Method, p: &str, body: Option<Value>) -> Value {
        let mut rb = self.req(m, p, Some(OP));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{p}: {status} {v}");
        v
    }

    /// One lead per case, one marketing SMS to it, drained; returns the touch.
    async fn send_to(&self, lead: &str, phone: &str) -> Value {
        self.call(
            reqwest::Method::PUT,
            &format!("/v1/leads/{lead}"),
            Some(json!({"phone": phone, "email": format!("{lead}@example.com"), "timezone": "America/Los_Angeles",
                        "consents": [{"channel": "sms", "purpose": "marketing", "granted_at": "2026-01-01T00:00:00Z"}]})),
        )
        .await;
        let t = self
            .call(
                reqwest::Method::POST,
                "/v1/touches",
                Some(json!({"account_id": "sdr-1", "lead_id": lead, "channel": "sms", "content": {"body": "Hi"}})),
            )
            .await;
        self.call(reqwest::Method::POST, "/v1/dispatch/drain", None)
            .await;
        self.call(
            reqwest::Method::GET,
            &format!("/v1/touches/{}", t["id"].as_str().unwrap()),
            None,
        )
        .await
    }
}

fn twilio_error(status: u16, code: u32) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"code": code, "message": "error", "status": status}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_provider_answer_becomes_the_right_touch_state() {
    let server = MockServer::start().await;
    let messages = format!("/2010-04-01/Accounts/{SID}/Messages.json");
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
    let d = Daemon::start(&server.uri()).await;
    d.call(
        reqwest::Method::PUT,
        "/v1/accounts/sdr-1",
        Some(json!({"status": "active"})),
    )
    .await;

    let ok = d.send_to("ok", "+14155550101").await;
    assert_eq!(
        (ok["status"].as_str(), ok["provider_message_id"].as_str()),
        (Some("sent"), Some("SM-ok")),
        "{ok}"
    );

    // 21610: the number replied STOP at the provider → central DNC on every channel, blocked.
    let unsub = d.send_to("unsub", "+14155550102").await;
    assert_eq!(
        (unsub["status"].as_str(), unsub["reason"].as_str()),
        (Some("blocked"), Some("dnc_listed")),
        "{unsub}"
    );
    let dnc = d
        .call(reqwest::Method::GET, "/v1/dnc?contact=%2B14155550102", None)
        .await;
    let entry = &dnc["entries"][0];
    assert_eq!(
        (entry["reason"].as_str(), entry["channel"].as_str()),
        (Some("provider_unsubscribed"), Some("*")),
        "{dnc}"
    );
    // …so an email to the same lead is blocked too.
    let email = d
        .call(reqwest::Method::POST, "/v1/touches", Some(json!({"account_id": "sdr-1", "lead_id": "unsub", "channel": "email", "content": {"subject": "s", "body": "b"}})))
        .await;
    d.call(reqwest::Method::POST, "/v1/dispatch/drain", None)
        .await;
    let email = d
        .call(
            reqwest::Method::GET,
            &format!("/v1/touches/{}", email["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(email["reason"], "dnc_listed", "{email}");

    // 21211: invalid number → failed for good, reason invalid_recipient.
    let invalid = d.send_to("invalid", "+14155550103").await;
    assert_eq!(
        (invalid["status"].as_str(), invalid["reason"].as_str()),
        (Some("failed"), Some("invalid_recipient")),
        "{invalid}"
    );

    // 429 with Retry-After: snoozed 120 s, no attempt used.
    let throttled = d.send_to("throttled", "+14155550104").await;
    assert_eq!(throttled["status"], "scheduled", "{throttled}");
    assert_eq!(throttled["attempts"], 0);
    assert_eq!(throttled["next_attempt_at"], "2026-11-25T18:02:00Z");

    // 503: retried with backoff, the attempt counted.
    let flaky = d.send_to("flaky", "+14155550105").await;
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
