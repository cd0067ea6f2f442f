//! Touches as the suites make and read them: a touch request, sent or held through a drain,
//! and the parts of a stored touch a test looks at (its timeline, a check's detail).

use serde_json::{Value, json};

use crate::daemon::Daemon;

/// A marketing touch request (subject "Hello", body "Hi there", step 1).
pub fn touch_body(key: &str, account: &str, lead: &str, channel: &str, campaign: &str) -> Value {
    json!({
        "idempotency_key": key, "account_id": account, "lead_id": lead, "channel": channel,
        "content": {"subject": "Hello", "body": "Hi there"}, "campaign_id": campaign, "step": 1
    })
}

/// A marketing email (campaign `seq-mail`).
pub fn email_from(key: &str, account: &str, lead: &str) -> Value {
    touch_body(key, account, lead, "email", "seq-mail")
}

/// A marketing text (campaign `seq-text`).
pub fn sms_from(key: &str, account: &str, lead: &str) -> Value {
    touch_body(key, account, lead, "sms", "seq-text")
}

/// A touch's id.
pub fn id_of(t: &Value) -> &str {
    t["id"].as_str().expect("the touch's id")
}

/// A sent touch's provider message id (`sandbox-<touch id>` in the sandbox transport).
pub fn message_id_of(t: &Value) -> &str {
    t["provider_message_id"]
        .as_str()
        .unwrap_or_else(|| panic!("not sent: {t}"))
}

/// The touch's timeline entries of `kind` (`gate`, `provider`, `delivery`, `reply` …).
pub fn timeline<'t>(t: &'t Value, kind: &str) -> Vec<&'t Value> {
    t["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// The detail of check `name` in the touch's last gate decision.
pub fn check_detail(t: &Value, name: &str) -> String {
    let last = timeline(t, "gate")
        .last()
        .copied()
        .cloned()
        .unwrap_or_else(|| panic!("no gate decision: {t}"));
    last["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == name)
        .and_then(|c| c["detail"].as_str())
        .unwrap_or_else(|| panic!("no detail on check {name}: {last}"))
        .to_owned()
}

impl Daemon {
    /// Creates a touch, drains, and expects it sent.
    pub async fn sent(&self, body: Value) -> Value {
        let t = self.send(body).await;
        assert_eq!(t["status"], "sent", "{t}");
        t
    }

    /// Creates a touch, drains, and expects it held with `reason` (blocked or scheduled).
    pub async fn held(&self, body: Value, reason: &str) -> Value {
        let t = self.send(body).await;
        assert!(
            matches!(t["status"].as_str(), Some("blocked" | "scheduled")),
            "{t}"
        );
        assert_eq!(t["reason"], reason, "{t}");
        t
    }
}
