//! WhatsApp Cloud API against a wiremock stand-in: exact requests, every error code mapping.

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
use serde_json::json;
use wiremock::matchers::{any, bearer_token, body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use workers::config::MetaConfig;
use workers::whatsapp::MetaWhatsapp;
use workers::{SendError, Transport};

const TOKEN: &str = "meta-access-token";
const MESSAGES: &str = "/v21.0/1234567890/messages";

fn meta(base: &str) -> MetaWhatsapp {
    let cfg = MetaConfig {
        base_url: format!("{base}/v21.0"),
        phone_number_id: "1234567890".to_owned(),
        access_token_env: "WHATSAPP_TOKEN".to_owned(),
        app_secret_env: Some("WHATSAPP_APP_SECRET".to_owned()),
        verify_token_env: None,
        timeout_secs: Some(1),
        rate_per_second: None,
    };
    MetaWhatsapp::new(
        &cfg,
        &env(&[
            ("WHATSAPP_TOKEN", TOKEN),
            ("WHATSAPP_APP_SECRET", "app-secret-value"),
        ]),
    )
    .unwrap()
}

fn template_message() -> workers::OutboundMessage {
    let mut msg = message(Channel::Whatsapp, PHONE);
    msg.body = None;
    msg.template = Some(gate::TemplateRef {
        id: None,
        name: Some("day3_followup".to_owned()),
        language: Some("en_US".to_owned()),
    });
    msg
}

fn error_body(code: i64) -> serde_json::Value {
    json!({"error": {
        "message": "(#131047) Re-engagement message",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": "Message failed to send."},
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"
    }})
}

async fn answer(status: u16, body: serde_json::Value) -> Result<workers::Receipt, SendError> {
    answer_with(ResponseTemplate::new(status).set_body_json(body)).await
}

async fn answer_with(response: ResponseTemplate) -> Result<workers::Receipt, SendError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    meta(&server.uri())
        .send(permit(Channel::Whatsapp, PHONE), &template_message(), now())
        .await
}

fn ok_body() -> serde_json::Value {
    json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "14155550123", "wa_id": "14155550123"}],
        "messages": [{"id": "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI"}]
    })
}

#[tokio::test]
async fn template_message_is_posted_with_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "to": "14155550123",
            "type": "template",
            "template": {"name": "day3_followup", "language": {"code": "en_US"}}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
        .expect(1)
        .mount(&server)
        .await;
    let r = meta(&server.uri())
        .send(permit(Channel::Whatsapp, PHONE), &template_message(), now())
        .await
        .unwrap();
    assert_eq!(r.provider_message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI");
    server.verify().await;
}

#[tokio::test]
async fn text_message_is_posted_when_no_template() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "to": "14155550123",
            "type": "text",
            "text": {"body": "Hello Ana"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
        .expect(1)
        .mount(&server)
        .await;
    meta(&server.uri())
        .send(
            permit(Channel::Whatsapp, PHONE),
            &message(Channel::Whatsapp, PHONE),
            now(),
        )
        .await
        .unwrap();
    server.verify().await;
}

#[tokio::test]
async fn meta_131047_is_window_closed() {
    let err = answer(400, error_body(131047)).await.unwrap_err();
    assert!(matches!(err, SendError::WindowClosed { .. }), "{err:?}");
    assert_eq!(err.reason(), Some(gate::Reason::WhatsappWindowClosed));
}

#[tokio::test]
async fn meta_131049_throttles_for_a_day() {
    let err = answer(400, error_body(131049)).await.unwrap_err();
    assert!(
        matches!(err, SendError::Throttled { retry_at: Some(at) } if at == now() + Duration::hours(24)),
        "{err:?}"
    );
}

#[tokio::test]
async fn meta_131050_is_a_whatsapp_scoped_stop() {
    let err = answer(400, error_body(131050)).await.unwrap_err();
    assert!(
        matches!(
            err,
            SendError::StopMarketing {
                channel: Channel::Whatsapp,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.dnc_scope(),
        Some(gate::ChannelScope::Only(Channel::Whatsapp))
    );
    assert_eq!(err.reason(), Some(gate::Reason::DncListed));
}

#[tokio::test]
async fn meta_template_codes_are_template_unapproved() {
    for code in [132000, 132001, 132015, 132016] {
        let err = answer(400, error_body(code)).await.unwrap_err();
        assert!(
            matches!(err, SendError::TemplateUnapproved { .. }),
            "{code}: {err:?}"
        );
        assert_eq!(err.reason(), Some(gate::Reason::WhatsappTemplateUnapproved));
    }
}

#[tokio::test]
async fn meta_rate_limit_codes_throttle_for_a_minute() {
    for code in [130429, 131056] {
        let err = answer(400, error_body(code)).await.unwrap_err();
        assert!(
            matches!(err, SendError::Throttled { retry_at: Some(at) } if at == now() + Duration::seconds(60)),
            "{code}: {err:?}"
        );
    }
    // a Retry-After, when given, wins
    let err = answer_with(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "120")
            .set_body_json(error_body(130429)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, SendError::Throttled { retry_at: Some(at) } if at == now() + Duration::seconds(120)),
        "{err:?}"
    );
}

#[tokio::test]
async fn meta_5xx_is_transient() {
    let err = answer(500, error_body(1)).await.unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
    let err = answer(503, json!({})).await.unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn meta_other_4xx_is_rejected() {
    let err = answer(400, error_body(100)).await.unwrap_err();
    assert!(
        matches!(&err, SendError::Rejected { code: Some(c), .. } if c == "meta_100"),
        "{err:?}"
    );
    let err = answer(
        401,
        json!({"error": {"code": 190, "message": "token expired"}}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SendError::Rejected { code: Some(c), .. } if c == "meta_190"),
        "{err:?}"
    );
}

#[tokio::test]
async fn meta_2xx_without_message_id_is_unknown() {
    let err = answer(200, json!({"messaging_product": "whatsapp"}))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Unknown { .. }), "{err:?}");
}

#[tokio::test]
async fn meta_timeout_after_sending_is_unknown() {
    let err = answer_with(
        ResponseTemplate::new(200)
            .set_body_json(ok_body())
            .set_delay(std::time::Duration::from_secs(3)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SendError::Unknown { .. }), "{err:?}");
}

#[tokio::test]
async fn meta_connection_refused_is_transient() {
    let addr = dead_address().await;
    let err = meta(&format!("http://{addr}"))
        .send(permit(Channel::Whatsapp, PHONE), &template_message(), now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn refused_permits_and_bad_messages_never_reach_meta() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
        .expect(0)
        .mount(&server)
        .await;
    let t = meta(&server.uri());
    let err = t
        .send(
            permit(Channel::Whatsapp, PHONE),
            &template_message(),
            now() + Duration::seconds(120),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permit(_)), "{err:?}");
    let err = t
        .send(permit(Channel::Sms, PHONE), &template_message(), now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permit(_)), "{err:?}");
    // a template without a language
    let mut msg = template_message();
    if let Some(t) = msg.template.as_mut() {
        t.language = None;
    }
    let err = t
        .send(permit(Channel::Whatsapp, PHONE), &msg, now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Rejected { .. }), "{err:?}");
    server.verify().await;
}

#[test]
fn webhook_secrets_are_read_and_never_printed() {
    let t = meta("http://x");
    assert_eq!(t.app_secret().map(|s| s.expose()), Some("app-secret-value"));
    assert!(t.verify_token().is_none());
    let dbg = format!("{t:?}");
    assert!(
        !dbg.contains(TOKEN) && !dbg.contains("app-secret-value"),
        "{dbg}"
    );
    // whatsapp pacing: 80 per second per number
    assert_eq!(t.quota().burst_size().get(), 80);
}
