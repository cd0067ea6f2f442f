//! Email arriving at the daemon: the raw-message webhook (`POST /v1/webhooks/email/inbound`)
//! signed as the daemon's own webhooks are (`X-Touchgate-Signature`, [`crate::signing`]), the
//! delivery status notifications and feedback reports of real providers' formats (the
//! dispatcher's corpus, `crates/dispatcher/tests/data/reports`), and the DNC entries a message
//! leaves behind.

use reqwest::StatusCode;
use serde_json::Value;

use crate::Database;
use crate::daemon::{Daemon, DaemonBuilder, json_of};
use crate::signing::sha256_signature;

/// Where raw inbound email (replies, bounces, complaints) is posted.
pub const EMAIL_INBOUND_PATH: &str = "/v1/webhooks/email/inbound";
/// The shared secret of daemons started with [`DaemonBuilder::webhook_secret`].
pub const WEBHOOK_SECRET: &str = "touchgate-webhook-secret-for-tests";
const SECRET_VAR: &str = "TG_TEST_WEBHOOK_SECRET";

/// The corpus, each sample with the recipient `ana@example.com` and the returned Message-ID
/// `<touch.TOUCHID@acme.example>` as placeholders ([`report`] fills them in).
pub mod corpus {
    pub const GMAIL_BOUNCE: &str =
        include_str!("../../crates/dispatcher/tests/data/reports/gmail_bounce.eml");
    pub const OUTLOOK_BOUNCE: &str =
        include_str!("../../crates/dispatcher/tests/data/reports/outlook_bounce.eml");
    pub const POSTFIX_BOUNCE: &str =
        include_str!("../../crates/dispatcher/tests/data/reports/postfix_bounce.eml");
    pub const EXIM_BOUNCE: &str =
        include_str!("../../crates/dispatcher/tests/data/reports/exim_bounce.eml");
    /// A `4.4.1` delay.
    pub const POSTFIX_DELAYED: &str =
        include_str!("../../crates/dispatcher/tests/data/reports/postfix_delayed.eml");
    pub const YAHOO_COMPLAINT: &str =
        include_str!("../../crates/dispatcher/tests/data/reports/yahoo_complaint.eml");
    /// Names its recipient only in the returned message (`ana@hotmail.example`).
    pub const OUTLOOK_COMPLAINT: &str =
        include_str!("../../crates/dispatcher/tests/data/reports/outlook_complaint.eml");
    /// Cut off before its status part.
    pub const TRUNCATED_REPORT: &str =
        include_str!("../../crates/dispatcher/tests/data/reports/truncated_report.eml");
    /// ISO-2022-JP text, a recipient `taro@example.jp`, a Message-ID we never sent.
    pub const ODD_CHARSET_REPORT: &str =
        include_str!("../../crates/dispatcher/tests/data/reports/odd_charset_report.eml");
}

/// A [`corpus`] sample about the message `message_id` sent to `address`.
pub fn report(sample: &str, address: &str, message_id: &str) -> String {
    sample
        .replace("Ana@Example.com", address)
        .replace("ana@hotmail.example", address)
        .replace("ana@example.com", address)
        .replace("touch.TOUCHID@acme.example", message_id)
}

impl DaemonBuilder {
    /// `[webhooks] secret_env` naming a variable set to [`WEBHOOK_SECRET`].
    pub fn webhook_secret(self) -> Self {
        self.config(format!("[webhooks]\nsecret_env = \"{SECRET_VAR}\"\n"))
            .env(SECRET_VAR, WEBHOOK_SECRET)
    }
}

/// A daemon taking signed inbound email ([`DaemonBuilder::webhook_secret`]) with the dispatch
/// loop off ([`DaemonBuilder::manual_dispatch`]), and `extra` config tables.
pub async fn daemon(db: &Database, extra: &str) -> Daemon {
    Daemon::builder(db)
        .manual_dispatch()
        .config(extra)
        .webhook_secret()
        .start()
        .await
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

    /// [`Daemon::post_email`] of a message the daemon must take (200); its answer.
    pub async fn post_email_ok(&self, raw: &str) -> Value {
        let (s, v) = self.post_email(raw.as_bytes()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// The DNC entries for `contact` in the workspace of operator token `op`.
    pub async fn dnc_entries(&self, op: &str, contact: &str) -> Vec<Value> {
        let q = contact.replace('+', "%2B");
        let (s, v) = self.get(&format!("/v1/dnc?contact={q}"), op).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["entries"].as_array().expect("entries").clone()
    }
}
