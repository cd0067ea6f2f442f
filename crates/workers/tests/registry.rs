//! The per-channel registry: built from the `[channels]` tables, dispatching by channel.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;

use common::*;
use gate::Channel;
use wiremock::matchers::{basic_auth, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use workers::{ConfigError, SendError, Transports};

fn tables(src: &str) -> BTreeMap<String, toml::Value> {
    let t: toml::Table = toml::from_str(src).unwrap();
    t.into_iter().collect()
}

const SECRETS: [(&str, &str); 6] = [
    ("TWILIO_AUTH_TOKEN", "tw-secret"),
    ("WHATSAPP_TOKEN", "wa-secret"),
    ("WHATSAPP_APP_SECRET", "wa-app-secret"),
    ("WHATSAPP_VERIFY_TOKEN", "wa-verify"),
    ("LINKEDIN_BRIDGE_KEY", "li-secret"),
    ("SMTP_PASSWORD", "smtp-secret"),
];

fn full_config(twilio_base: &str) -> String {
    format!(
        r#"
        [email]
        transport = "smtp"
        host = "127.0.0.1"
        port = 2525
        tls = "none"
        username_env = "SMTP_USER"
        password_env = "SMTP_PASSWORD"
        from = "SDR Team <sdr@acme.example>"

        [sms]
        transport = "twilio"
        base_url = "{twilio_base}"
        account_sid = "AC0123456789abcdef0123456789abcdef"
        auth_token_env = "TWILIO_AUTH_TOKEN"
        from = "+14155550100"

        [whatsapp]
        transport = "meta"
        base_url = "https://graph.facebook.com/v21.0"
        phone_number_id = "1234567890"
        access_token_env = "WHATSAPP_TOKEN"
        app_secret_env = "WHATSAPP_APP_SECRET"
        verify_token_env = "WHATSAPP_VERIFY_TOKEN"

        [linkedin]
        transport = "bridge"
        base_url = "https://bridge.example"
        api_key_env = "LINKEDIN_BRIDGE_KEY"
        "#
    )
}

fn all_env() -> impl Fn(&str) -> Option<String> {
    let mut pairs: Vec<(&str, &str)> = SECRETS.to_vec();
    pairs.push(("SMTP_USER", "sdr"));
    env(&pairs)
}

#[test]
fn every_channel_is_sandbox_by_default() {
    let t = Transports::from_config_with_env(&BTreeMap::new(), &env(&[])).unwrap();
    assert!(t.describe().values().all(|n| *n == "sandbox"));
    assert!(t.webhook_secrets().twilio_auth_token.is_none());
}

#[test]
fn each_channel_gets_its_configured_transport() {
    let t = Transports::from_config_with_env(
        &tables(&full_config("https://api.twilio.com")),
        &all_env(),
    )
    .unwrap();
    let d = t.describe();
    assert_eq!(d[&Channel::Email], "smtp");
    assert_eq!(d[&Channel::Sms], "twilio");
    assert_eq!(d[&Channel::Call], "sandbox");
    assert_eq!(d[&Channel::Whatsapp], "meta");
    assert_eq!(d[&Channel::Linkedin], "bridge");
    let w = t.webhook_secrets();
    assert_eq!(w.twilio_auth_token.map(|s| s.expose()), Some("tw-secret"));
    assert_eq!(
        w.whatsapp_app_secret.map(|s| s.expose()),
        Some("wa-app-secret")
    );
    assert_eq!(
        w.whatsapp_verify_token.map(|s| s.expose()),
        Some("wa-verify")
    );
}

#[test]
fn debug_output_never_contains_a_secret() {
    let t = Transports::from_config_with_env(
        &tables(&full_config("https://api.twilio.com")),
        &all_env(),
    )
    .unwrap();
    let dbg = format!("{t:?} {:?}", t.webhook_secrets());
    for (_, value) in SECRETS {
        assert!(!dbg.contains(value), "{value} printed in {dbg}");
    }
}

#[test]
fn a_missing_secret_names_its_variable_not_a_value() {
    let mut pairs: Vec<(&str, &str)> = SECRETS.to_vec();
    pairs.retain(|(k, _)| *k != "LINKEDIN_BRIDGE_KEY");
    pairs.push(("SMTP_USER", "sdr"));
    let err = Transports::from_config_with_env(
        &tables(&full_config("https://api.twilio.com")),
        &env(&pairs),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ConfigError::MissingEnv { var, key: "api_key_env" } if var == "LINKEDIN_BRIDGE_KEY"),
        "{err:?}"
    );
    let text = err.to_string();
    for (_, value) in SECRETS {
        assert!(!text.contains(value), "{text}");
    }
}

#[test]
fn bad_tables_are_refused() {
    let env = all_env();
    for src in [
        "[email]\ntransport = \"smtp\"\nhost = \"h\"\nfrom = \"not an address\"\n",
        "[email]\ntransport = \"smtp\"\nhost = \"h\"\nfrom = \"a@b.example\"\nusername_env = \"SMTP_USER\"\n",
        "[email]\ntransport = \"smtp\"\nhost = \"h\"\nfrom = \"a@b.example\"\ntls = \"ssl\"\n",
        "[sms]\ntransport = \"twilio\"\naccount_sid = \"AC1\"\nauth_token_env = \"TWILIO_AUTH_TOKEN\"\nfrom = \"+1\"\npassword = \"inline\"\n",
        "[pager]\n",
    ] {
        assert!(
            Transports::from_config_with_env(&tables(src), &env).is_err(),
            "{src}"
        );
    }
}

#[tokio::test]
async fn send_dispatches_by_channel() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json",
        ))
        .and(basic_auth(
            "AC0123456789abcdef0123456789abcdef",
            "tw-secret",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"sid": "SM9"})))
        .expect(1)
        .mount(&server)
        .await;
    let t =
        Transports::from_config_with_env(&tables(&full_config(&server.uri())), &all_env()).unwrap();
    let r = t
        .send(
            permit(Channel::Sms, PHONE),
            &message(Channel::Sms, PHONE),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(r.provider_message_id, "SM9");
    // call is still the sandbox: records the message, no request
    let r = t
        .send(
            permit(Channel::Call, PHONE),
            &message(Channel::Call, PHONE),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(r.provider_message_id, "sandbox-touch-1");
    assert!(r.recorded.is_some());
    // the sandbox checks permits too
    let err = t
        .send(
            permit(Channel::Sms, PHONE),
            &message(Channel::Call, PHONE),
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permit(_)), "{err:?}");
    server.verify().await;
}
