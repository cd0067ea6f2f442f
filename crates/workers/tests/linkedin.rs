//! The LinkedIn bridge against a wiremock stand-in.

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
use wiremock::matchers::{any, body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use workers::config::BridgeConfig;
use workers::linkedin::LinkedinBridge;
use workers::{SendError, Transport};

const KEY: &str = "bridge-api-key";

fn bridge(base: &str, account_id: Option<&str>) -> LinkedinBridge {
    let cfg = BridgeConfig {
        base_url: base.to_owned(),
        api_key_env: "LINKEDIN_BRIDGE_KEY".to_owned(),
        account_id: account_id.map(str::to_owned),
        timeout_secs: Some(1),
    };
    LinkedinBridge::new(&cfg, &env(&[("LINKEDIN_BRIDGE_KEY", KEY)])).unwrap()
}

fn invite() -> workers::OutboundMessage {
    let mut msg = message(Channel::Linkedin, LINKEDIN);
    msg.linkedin_action = Some(gate::LinkedInAction::Invite);
    msg
}

async fn answer(response: ResponseTemplate) -> Result<workers::Receipt, SendError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chats"))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    bridge(&server.uri(), None)
        .send(
            permit(Channel::Linkedin, LINKEDIN),
            &message(Channel::Linkedin, LINKEDIN),
            now(),
        )
        .await
}

#[tokio::test]
async fn invitation_posts_provider_id_and_note_with_api_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/invite"))
        .and(header("X-API-KEY", KEY))
        .and(body_json(
            json!({"provider_id": "ACoAAB1cD", "message": "Hello Ana"}),
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"object": "UserInvitationSent", "invitation_id": "inv-1"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let r = bridge(&server.uri(), None)
        .send(permit(Channel::Linkedin, LINKEDIN), &invite(), now())
        .await
        .unwrap();
    assert_eq!(r.provider_message_id, "inv-1");
    server.verify().await;
}

#[tokio::test]
async fn invitation_without_note_and_with_the_seat_account() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/invite"))
        .and(body_json(
            json!({"provider_id": "ACoAAB1cD", "account_id": "seat-1"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"invitation_id": "inv-2"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut msg = invite();
    msg.body = None;
    bridge(&server.uri(), Some("seat-1"))
        .send(permit(Channel::Linkedin, LINKEDIN), &msg, now())
        .await
        .unwrap();
    server.verify().await;
}

#[tokio::test]
async fn message_posts_a_chat() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chats"))
        .and(header("X-API-KEY", KEY))
        .and(body_json(
            json!({"attendees_ids": ["ACoAAB1cD"], "text": "Hello Ana"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"object": "ChatStarted", "chat_id": "chat-1", "message_id": "msg-1"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let r = bridge(&server.uri(), None)
        .send(
            permit(Channel::Linkedin, LINKEDIN),
            &message(Channel::Linkedin, LINKEDIN),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(r.provider_message_id, "msg-1");
    server.verify().await;
}

#[tokio::test]
async fn bridge_429_is_throttled() {
    let err = answer(ResponseTemplate::new(429).insert_header("Retry-After", "90"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Throttled { retry_at: Some(at) } if at == now() + Duration::seconds(90)),
        "{err:?}"
    );
    let err = answer(ResponseTemplate::new(429)).await.unwrap_err();
    assert!(
        matches!(err, SendError::Throttled { retry_at: None }),
        "{err:?}"
    );
}

#[tokio::test]
async fn bridge_5xx_is_transient() {
    let err = answer(ResponseTemplate::new(502)).await.unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn bridge_other_4xx_is_rejected() {
    let err = answer(ResponseTemplate::new(422).set_body_json(json!({
        "title": "Unprocessable Entity",
        "detail": "The recipient cannot be reached.",
        "type": "errors/no_connection_with_recipient",
        "status": 422
    })))
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SendError::Rejected { code: Some(c), .. } if c == "errors/no_connection_with_recipient"),
        "{err:?}"
    );
    let err = answer(ResponseTemplate::new(401)).await.unwrap_err();
    assert!(
        matches!(&err, SendError::Rejected { code: Some(c), .. } if c == "http_401"),
        "{err:?}"
    );
}

#[tokio::test]
async fn bridge_timeout_after_sending_is_unknown() {
    let err = answer(
        ResponseTemplate::new(201)
            .set_body_json(json!({"message_id": "m"}))
            .set_delay(std::time::Duration::from_secs(3)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SendError::Unknown { .. }), "{err:?}");
}

#[tokio::test]
async fn bridge_connection_refused_is_transient() {
    let addr = dead_address().await;
    let err = bridge(&format!("http://{addr}"), None)
        .send(
            permit(Channel::Linkedin, LINKEDIN),
            &message(Channel::Linkedin, LINKEDIN),
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn refused_permits_and_empty_messages_never_reach_the_bridge() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let t = bridge(&server.uri(), None);
    let err = t
        .send(
            permit(Channel::Linkedin, LINKEDIN),
            &invite(),
            now() + Duration::minutes(3),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permit(_)), "{err:?}");
    let err = t
        .send(
            permit(Channel::Linkedin, "in:someone-else"),
            &invite(),
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permit(_)), "{err:?}");
    let mut msg = message(Channel::Linkedin, LINKEDIN);
    msg.body = None;
    let err = t
        .send(permit(Channel::Linkedin, LINKEDIN), &msg, now())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Rejected { .. }), "{err:?}");
    server.verify().await;
}
