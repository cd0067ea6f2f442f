//! Stand-ins for the providers, in the test process: a local HTTP server (wiremock) that the
//! daemon's Twilio and Meta transports are pointed at, so every message it sends is seen and
//! counted, and a provider that takes a request and never answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::daemon::{Daemon, DaemonBuilder, json_of};

pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// The Twilio auth token the daemon is given (it signs Twilio's webhooks).
pub const TWILIO_TOKEN: &str = "twilio-auth-token-for-tests";
/// The default sender of SMS.
pub const TWILIO_FROM: &str = "+14155550100";
pub const WA_PHONE_ID: &str = "1234567890";
/// Meta's app secret (signs Meta's webhooks).
pub const WA_SECRET: &str = "meta-app-secret-for-tests";
/// Meta's webhook subscription verify token.
pub const WA_VERIFY: &str = "meta-verify-token-for-tests";

/// Where Twilio takes messages.
pub fn twilio_messages_path() -> String {
    format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
}

/// Where Meta takes WhatsApp messages.
pub fn meta_messages_path() -> String {
    format!("/{WA_PHONE_ID}/messages")
}

impl DaemonBuilder {
    /// SMS through Twilio at `base_url` (from [`TWILIO_FROM`]), `extra` lines added to
    /// `[channels.sms]` (e.g. `timeout_secs = 5`).
    pub fn twilio_sms(self, base_url: &str, extra: &str) -> Self {
        self.config(format!(
            "[channels.sms]\ntransport = \"twilio\"\nbase_url = \"{base_url}\"\n\
             account_sid = \"{TWILIO_SID}\"\nauth_token_env = \"TG_TEST_TWILIO_TOKEN\"\n\
             from = \"{TWILIO_FROM}\"\n{extra}"
        ))
        .env("TG_TEST_TWILIO_TOKEN", TWILIO_TOKEN)
    }

    /// WhatsApp through Meta's Cloud API at `base_url`, with its webhook secrets.
    pub fn meta_whatsapp(self, base_url: &str) -> Self {
        self.config(format!(
            "[channels.whatsapp]\ntransport = \"meta\"\nbase_url = \"{base_url}\"\n\
             phone_number_id = \"{WA_PHONE_ID}\"\naccess_token_env = \"TG_TEST_WA_TOKEN\"\n\
             app_secret_env = \"TG_TEST_WA_SECRET\"\nverify_token_env = \"TG_TEST_WA_VERIFY\"\n"
        ))
        .env("TG_TEST_WA_TOKEN", "meta-access-token")
        .env("TG_TEST_WA_SECRET", WA_SECRET)
        .env("TG_TEST_WA_VERIFY", WA_VERIFY)
    }
}

/// Twilio and Meta accepting every message: Twilio answers with a new sid each time (`SM1`,
/// `SM2`, …), Meta with `wamid.1`, ….
#[derive(Debug)]
pub struct Providers {
    pub server: MockServer,
}

impl Providers {
    pub async fn start() -> Providers {
        let server = MockServer::start().await;
        let sms = Arc::new(AtomicUsize::new(0));
        Mock::given(method("POST"))
            .and(path(twilio_messages_path()))
            .respond_with(move |_: &Request| {
                let n = sms.fetch_add(1, Ordering::SeqCst) + 1;
                ResponseTemplate::new(201)
                    .set_body_json(json!({"sid": format!("SM{n}"), "status": "queued"}))
            })
            .mount(&server)
            .await;
        let wa = Arc::new(AtomicUsize::new(0));
        Mock::given(method("POST"))
            .and(path(meta_messages_path()))
            .respond_with(move |_: &Request| {
                let n = wa.fetch_add(1, Ordering::SeqCst) + 1;
                ResponseTemplate::new(200).set_body_json(json!({
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": "14155550123", "wa_id": "14155550123"}],
                    "messages": [{"id": format!("wamid.{n}")}]
                }))
            })
            .mount(&server)
            .await;
        Providers { server }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The requests received on `path_`, oldest first.
    pub async fn requests(&self, path_: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == path_)
            .collect()
    }

    /// The SMS Twilio was asked to send.
    pub async fn twilio_messages(&self) -> Vec<Request> {
        self.requests(&twilio_messages_path()).await
    }

    /// The SMS Twilio was asked to send to `to` (E.164).
    pub async fn twilio_messages_to(&self, to: &str) -> Vec<Request> {
        let field = format!("To={}", to.replace('+', "%2B"));
        self.twilio_messages()
            .await
            .into_iter()
            .filter(|r| {
                String::from_utf8_lossy(&r.body)
                    .split('&')
                    .any(|kv| kv == field)
            })
            .collect()
    }

    /// The WhatsApp messages Meta was asked to send.
    pub async fn meta_messages(&self) -> Vec<Request> {
        self.requests(&meta_messages_path()).await
    }
}

/// A provider that accepts connections, reads the request and never answers — a send in
/// flight when the daemon dies. Returns its base URL and how many POSTs it has seen.
pub async fn hanging_provider() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port for the hanging provider");
    let addr = listener.local_addr().expect("its address");
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut sock, _)) = listener.accept().await {
            let seen = seen.clone();
            held.push(tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = vec![0u8; 8192];
                let mut counted = false;
                while let Ok(n) = sock.read(&mut buf).await {
                    let Some(read) = buf.get(..n).filter(|r| !r.is_empty()) else {
                        break;
                    };
                    if !counted && read.windows(4).any(|w| w == b"POST") {
                        counted = true;
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }));
        }
    });
    (format!("http://{addr}"), requests)
}

/// Meta's webhook for one inbound WhatsApp text from `wa_id` (digits, no `+`), message id `id`,
/// sent at `timestamp` (Unix seconds).
pub fn meta_inbound(wa_id: &str, id: &str, timestamp: i64, text: &str) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "14155550100", "phone_number_id": WA_PHONE_ID},
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": id, "timestamp": timestamp.to_string(),
                          "type": "text", "text": {"body": text}}]
        }}]}]
    })
}

impl Daemon {
    /// Posts `body` to the Meta WhatsApp webhook, signed with [`WA_SECRET`] as Meta signs.
    pub async fn meta_webhook(&self, body: &Value) -> (StatusCode, Value) {
        let raw = serde_json::to_vec(body).expect("JSON");
        let signature = crate::signing::sha256_signature(WA_SECRET, &raw);
        let res = self
            .client
            .post(self.url("/v1/webhooks/meta/whatsapp"))
            .header("content-type", "application/json")
            .header("X-Hub-Signature-256", signature)
            .body(raw)
            .send()
            .await
            .expect("the daemon answers");
        json_of(res).await
    }
}
