//! Twilio SMS and voice against a wiremock stand-in: exact requests, every answer mapping.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::Duration;
use common::*;
use gate::Channel;
use governor::Quota;
use std::num::NonZeroU32;
use wiremock::matchers::{any, basic_auth, body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use workers::config::{TwilioCallConfig, TwilioSmsConfig};
use workers::twilio::TwilioTransport;
use workers::{SendError, Transport};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-token-value";
const MESSAGES: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";
const CALLS: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json";

fn sms_config(base_url: &str) -> TwilioSmsConfig {
    TwilioSmsConfig {
        base_url: base_url.to_owned(),
        account_sid: SID.to_owned(),
        auth_token_env: "TWILIO_AUTH_TOKEN".to_owned(),
        from: "+14155550100".to_owned(),
        timeout_secs: Some(1),
        rate_per_second: None,
        status_callback_url: None,
    }
}

fn sms(base_url: &str) -> TwilioTransport {
    TwilioTransport::sms(&sms_config(base_url), &env(&[("TWILIO_AUTH_TOKEN", TOKEN)])).unwrap()
}

/// Sends one SMS to a server answering `status` with `body`.
async fn sms_answer(status: u16, body: serde_json::Value) -> Result<workers::Receipt, SendError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    sms(&server.uri())
        .send(
            permit(Channel::Sms, PHONE),
            &message(Channel::Sms, PHONE),
            now(),
        )
        .await
}

fn twilio_error(code: i64, status: u16) -> serde_json::Value {
    serde_json::json!({
        "code": code,
        "message": format!("The 'To' number {PHONE} is not valid."),
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    })
}

#[tokio::test]
async fn sms_posts_the_form_with_basic_auth_and_returns_the_sid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(basic_auth(SID, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(
            "To=%2B14155550123&From=%2B14155550100&Body=Hello+Ana",
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(serde_json::json!({"sid": "SM123", "status": "queued"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let receipt = sms(&server.uri())
        .send(
            permit(Channel::Sms, PHONE),
            &message(Channel::Sms, PHONE),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(receipt.provider_message_id, "SM123");
    server.verify().await;
}

#[tokio::test]
async fn sms_uses_the_accounts_own_sender_and_messaging_services() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(body_string(
            "To=%2B14155550123&From=%2B14155550199&Body=Hello+Ana",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"sid": "SM1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(body_string(
            "To=%2B14155550123&MessagingServiceSid=MG0123&Body=Hello+Ana",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"sid": "SM2"})))
        .expect(1)
        .mount(&server)
        .await;
    let t = sms(&server.uri());
    let mut msg = message(Channel::Sms, PHONE);
    msg.from = Some("+14155550199".to_owned());
    let r = t
        .send(permit(Channel::Sms, PHONE), &msg, now())
        .await
        .unwrap();
    assert_eq!(r.provider_message_id, "SM1");
    msg.from = Some("MG0123".to_owned());
    let r = t
        .send(permit(Channel::Sms, PHONE), &msg, now())
        .await
        .unwrap();
    assert_eq!(r.provider_message_id, "SM2");
    server.verify().await;
}

#[tokio::test]
async fn call_posts_to_calls_with_the_twiml_url_and_status_callback() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CALLS))
        .and(basic_auth(SID, TOKEN))
        .and(body_string(
            "To=%2B14155550123&From=%2B14155550100&Url=https%3A%2F%2Ftg.example%2Ftwiml%2Fcall.xml&StatusCallback=https%3A%2F%2Ftg.example%2Fv1%2Fwebhooks%2Ftwilio%2Fsms",
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(serde_json::json!({"sid": "CA123", "status": "queued"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let cfg = TwilioCallConfig {
        base_url: server.uri(),
        account_sid: SID.to_owned(),
        auth_token_env: "TWILIO_AUTH_TOKEN".to_owned(),
        from: "+14155550100".to_owned(),
        twiml_url: "https://tg.example/twiml/call.xml".to_owned(),
        timeout_secs: None,
        rate_per_second: None,
        status_callback_url: Some("https://tg.example/v1/webhooks/twilio/sms".to_owned()),
    };
    let t = TwilioTransport::call(&cfg, &env(&[("TWILIO_AUTH_TOKEN", TOKEN)])).unwrap();
    let receipt = t
        .send(
            permit(Channel::Call, PHONE),
            &message(Channel::Call, PHONE),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(receipt.provider_message_id, "CA123");
    server.verify().await;
}

#[tokio::test]
async fn twilio_429_throttles_until_retry_after_seconds() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_json(twilio_error(20429, 429)),
        )
        .mount(&server)
        .await;
    let err = sms(&server.uri())
        .send(
            permit(Channel::Sms, PHONE),
            &message(Channel::Sms, PHONE),
            now(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Throttled { retry_at: Some(at) } if at == now() + Duration::seconds(30)),
        "{err:?}"
    );
}

#[tokio::test]
async fn twilio_429_throttles_until_retry_after_http_date() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "Wed, 25 Nov 2026 18:05:00 GMT"),
        )
        .mount(&server)
        .await;
    let err = sms(&server.uri())
        .send(
            permit(Channel::Sms, PHONE),
            &message(Channel::Sms, PHONE),
            now(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Throttled { retry_at: Some(at) } if at == now() + Duration::minutes(5)),
        "{err:?}"
    );
}

#[tokio::test]
async fn twilio_429_without_retry_after_throttles_with_no_instant() {
    let err = sms_answer(429, serde_json::json!({"status": 429}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Throttled { retry_at: None }),
        "{err:?}"
    );
}

#[tokio::test]
async fn twilio_21610_is_unsubscribed() {
    let err = sms_answer(400, twilio_error(21610, 400)).await.unwrap_err();
    assert!(matches!(err, SendError::Unsubscribed { .. }), "{err:?}");
    assert_eq!(err.dnc_scope(), Some(gate::ChannelScope::All));
    assert_eq!(err.reason(), Some(gate::Reason::DncListed));
}

#[tokio::test]
async fn twilio_invalid_number_codes_are_invalid_recipient() {
    for code in [21211, 21614, 21217, 21401] {
        let err = sms_answer(400, twilio_error(code, 400)).await.unwrap_err();
        let SendError::InvalidRecipient { detail } = &err else {
            panic!("{code}: {err:?}")
        };
        assert!(detail.contains(&code.to_string()), "{detail}");
        assert!(!detail.contains(PHONE), "the number is redacted: {detail}");
        assert_eq!(err.reason(), Some(gate::Reason::InvalidRecipient));
    }
}

#[tokio::test]
async fn twilio_other_4xx_is_rejected_with_its_code() {
    let err = sms_answer(400, twilio_error(21408, 400)).await.unwrap_err();
    assert!(
        matches!(&err, SendError::Rejected { code: Some(c), .. } if c == "twilio_21408"),
        "{err:?}"
    );
    let err = sms_answer(401, serde_json::json!({})).await.unwrap_err();
    assert!(
        matches!(&err, SendError::Rejected { code: Some(c), .. } if c == "http_401"),
        "{err:?}"
    );
}

#[tokio::test]
async fn twilio_5xx_is_transient() {
    for status in [500, 503] {
        let err = sms_answer(status, serde_json::json!({"code": 20500, "status": status}))
            .await
            .unwrap_err();
        assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
        assert!(err.is_retryable());
    }
}

#[tokio::test]
async fn twilio_2xx_without_sid_is_unknown() {
    let err = sms_answer(201, serde_json::json!({"status": "queued"}))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Unknown { .. }), "{err:?}");
}

#[tokio::test]
async fn twilio_connection_refused_is_transient() {
    let addr = dead_address().await;
    let err = sms(&format!("http://{addr}"))
        .send(
            permit(Channel::Sms, PHONE),
            &message(Channel::Sms, PHONE),
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn twilio_timeout_after_sending_is_unknown() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(serde_json::json!({"sid": "SMlate"}))
                .set_delay(std::time::Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&server)
        .await;
    // timeout_secs = 1
    let err = sms(&server.uri())
        .send(
            permit(Channel::Sms, PHONE),
            &message(Channel::Sms, PHONE),
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Unknown { .. }), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn twilio_hang_up_after_sending_is_unknown() {
    let addr = hang_up_server().await;
    let err = sms(&format!("http://{addr}"))
        .send(
            permit(Channel::Sms, PHONE),
            &message(Channel::Sms, PHONE),
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Unknown { .. }), "{err:?}");
}

#[tokio::test]
async fn refused_permits_never_reach_twilio() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"sid": "SM"})))
        .expect(0)
        .mount(&server)
        .await;
    let t = sms(&server.uri());
    let msg = message(Channel::Sms, PHONE);
    // expired: used after its 120 s
    let err = t
        .send(
            permit(Channel::Sms, PHONE),
            &msg,
            now() + Duration::seconds(121),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Permit(gate::PermitError::Expired { .. })),
        "{err:?}"
    );
    // another recipient
    let err = t
        .send(permit(Channel::Sms, "+14155550124"), &msg, now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Permit(gate::PermitError::WrongRecipient)),
        "{err:?}"
    );
    // another channel
    let err = t
        .send(permit(Channel::Call, PHONE), &msg, now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SendError::Permit(gate::PermitError::WrongChannel { .. })
        ),
        "{err:?}"
    );
    // used before it was issued (a clock running backwards)
    let err = t
        .send(
            permit(Channel::Sms, PHONE),
            &msg,
            now() - Duration::seconds(1),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permit(_)), "{err:?}");
    server.verify().await;
}

#[tokio::test]
async fn sms_without_a_body_is_rejected_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let mut msg = message(Channel::Sms, PHONE);
    msg.body = None;
    let err = sms(&server.uri())
        .send(permit(Channel::Sms, PHONE), &msg, now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Rejected { .. }), "{err:?}");
    server.verify().await;
}

#[tokio::test]
async fn a_saturated_sender_is_throttled_without_a_request_and_others_still_send() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"sid": "SM"})))
        .expect(2)
        .mount(&server)
        .await;
    let hourly = Quota::per_hour(NonZeroU32::MIN);
    let t = sms(&server.uri()).with_quota(hourly);
    let msg = message(Channel::Sms, PHONE);
    t.send(permit(Channel::Sms, PHONE), &msg, now())
        .await
        .unwrap();
    let err = t
        .send(permit(Channel::Sms, PHONE), &msg, now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Throttled { retry_at: Some(at) } if at > now() + Duration::minutes(59)),
        "{err:?}"
    );
    let mut other = msg.clone();
    other.from = Some("+14155550177".to_owned());
    t.send(permit(Channel::Sms, PHONE), &other, now())
        .await
        .unwrap();
    server.verify().await;
}

#[test]
fn default_quotas_follow_the_number_type() {
    let t = TwilioTransport::sms(
        &sms_config("http://127.0.0.1:9"),
        &env(&[("TWILIO_AUTH_TOKEN", TOKEN)]),
    )
    .unwrap();
    let long = t.quota_for("+14155550100");
    assert_eq!(long.burst_size().get(), 1);
    let toll_free = t.quota_for("+18885550100");
    assert_eq!(toll_free.burst_size().get(), 3);
    // the transport's own pacer: a toll-free sender bursts 3, then waits
    assert!((0..3).all(|_| t.pacer().check("+18885550100", toll_free)));
    assert!(!t.pacer().check("+18885550100", toll_free));
    assert!(t.pacer().check("+14155550100", long));
    assert!(!t.pacer().check("+14155550100", long));
}

#[test]
fn missing_token_names_the_variable_and_debug_hides_the_token() {
    let err = TwilioTransport::sms(&sms_config("http://x"), &env(&[])).unwrap_err();
    assert!(err.to_string().contains("TWILIO_AUTH_TOKEN"), "{err}");
    let t = sms("http://x");
    let dbg = format!("{t:?}");
    assert!(!dbg.contains(TOKEN), "{dbg}");
    assert!(dbg.contains("***"), "{dbg}");
}

/// The caller's last check runs after pacing and before the request: when it says stop (an
/// opt-out arrived while the send waited), nothing reaches the provider.
#[tokio::test]
async fn a_last_check_that_says_stop_sends_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"sid": "SM1"})))
        .expect(0)
        .mount(&server)
        .await;
    let mut msg = message(Channel::Sms, PHONE);
    msg.last_check = Some(workers::LastCheck::new(|| async {
        workers::LastCheckVerdict::Stop {
            reason: gate::Reason::DncListed,
            detail: "DNC entry d1 was added while the touch waited".to_owned(),
        }
    }));
    let err = sms(&server.uri())
        .send(permit(Channel::Sms, PHONE), &msg, now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SendError::Stopped { reason: gate::Reason::DncListed, detail } if detail.contains("d1")),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    // A check that passes lets the send go.
    let ok_server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"sid": "SM2"})))
        .expect(1)
        .mount(&ok_server)
        .await;
    // A check that cannot be made sends nothing either.
    msg.last_check = Some(workers::LastCheck::new(|| async {
        workers::LastCheckVerdict::Unavailable {
            detail: "database down".to_owned(),
        }
    }));
    let err = sms(&server.uri())
        .send(permit(Channel::Sms, PHONE), &msg, now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SendError::CheckUnavailable { .. }),
        "{err:?}"
    );

    msg.last_check = Some(workers::LastCheck::new(|| async {
        workers::LastCheckVerdict::Proceed
    }));
    let receipt = sms(&ok_server.uri())
        .send(permit(Channel::Sms, PHONE), &msg, now())
        .await
        .unwrap();
    assert_eq!(receipt.provider_message_id, "SM2");
}
