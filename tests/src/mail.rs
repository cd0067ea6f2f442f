//! Email arriving at the daemon: the raw-message webhook (`POST /v1/webhooks/email/inbound`)
//! signed as the daemon's own webhooks are (`X-Touchgate-Signature: sha256=<hex
//! HMAC-SHA256(secret, raw body)>`, computed here independently of the daemon's code), and the
//! DNC entries a message leaves behind.

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::Value;

use crate::daemon::{Daemon, DaemonBuilder, json_of};

/// Where raw inbound email (replies, bounces, complaints) is posted.
pub const EMAIL_INBOUND_PATH: &str = "/v1/webhooks/email/inbound";
/// The shared secret of daemons started with [`DaemonBuilder::webhook_secret`].
pub const WEBHOOK_SECRET: &str = "touchgate-webhook-secret-for-tests";
const SECRET_VAR: &str = "TG_TEST_WEBHOOK_SECRET";

/// `sha256=<hex HMAC-SHA256(secret, body)>`: Touchgate's webhooks and Meta's.
pub fn sha256_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key size");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl DaemonBuilder {
    /// `[webhooks] secret_env` naming a variable set to [`WEBHOOK_SECRET`].
    pub fn webhook_secret(self) -> Self {
        self.config(format!("[webhooks]\nsecret_env = \"{SECRET_VAR}\"\n"))
            .env(SECRET_VAR, WEBHOOK_SECRET)
    }
}

impl Daemon {
    /// Posts a raw RFC 5322 message to the inbound email webhook, signed with
    /// [`WEBHOOK_SECRET`]; the answer's status and body (JSON, else the text as a string).
    pub async fn post_email(&self, raw: &[u8]) -> (StatusCode, Value) {
        let res = self
            .client
            .post(self.url(EMAIL_INBOUND_PATH))
            .header("content-type", "message/rfc822")
            .header(
                "X-Touchgate-Signature",
                sha256_signature(WEBHOOK_SECRET, raw),
            )
            .body(raw.to_vec())
            .send()
            .await
            .expect("the daemon answers");
        json_of(res).await
    }

    /// The DNC entries for `contact` in the workspace of operator token `op`.
    pub async fn dnc_entries(&self, op: &str, contact: &str) -> Vec<Value> {
        let q = contact.replace('+', "%2B");
        let (s, v) = self.get(&format!("/v1/dnc?contact={q}"), op).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["entries"].as_array().expect("entries").clone()
    }
}
