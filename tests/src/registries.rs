//! List hygiene as a client drives it: registry imports (`POST /v1/registries/{name}/imports`,
//! streamed text), the registries in force, the check API, the scrub API, and the gate asked at
//! a chosen instant (`POST /v1/evaluate` with `at`).

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::daemon::{Daemon, OP, SVC, json_of};

/// A contact as a query parameter (`+` is a space in a query string).
pub fn query_value(contact: &str) -> String {
    contact
        .replace('%', "%25")
        .replace('+', "%2B")
        .replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
        .replace('&', "%26")
}

impl Daemon {
    /// `POST /v1/registries/{name}/imports?{query}` with `body` as `text/plain`, as `token`.
    pub async fn import_as(
        &self,
        token: &str,
        name: &str,
        query: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let res = self
            .req(
                Method::POST,
                &format!("/v1/registries/{name}/imports?{query}"),
                Some(token),
            )
            .header("content-type", "text/plain")
            .body(body)
            .send()
            .await
            .expect("the daemon answers");
        json_of(res).await
    }

    /// An import by the admin token (the environment's operator token) that must be applied:
    /// its summary.
    pub async fn import(&self, name: &str, query: &str, lines: &str) -> Value {
        let (s, v) = self.import_as(OP, name, query, lines.to_owned()).await;
        assert_eq!(s, StatusCode::OK, "import into {name}?{query}: {v}");
        v
    }

    /// `POST /v1/dnc` by the operator: a new row for `contact` with `reason`, as stored.
    pub async fn add_dnc(&self, contact: &str, reason: &str) -> Value {
        let body =
            serde_json::json!({"contact": contact, "reason": reason, "added_by": "ops@acme"});
        let (s, v) = self.post("/v1/dnc", OP, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    /// `GET /v1/registries`: every registry in force.
    pub async fn registries(&self) -> Vec<Value> {
        let (s, v) = self.get("/v1/registries", SVC).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["registries"].as_array().expect("registries").clone()
    }

    /// Registry `name` as `GET /v1/registries` lists it, if it is there.
    pub async fn registry(&self, name: &str) -> Option<Value> {
        self.registries()
            .await
            .into_iter()
            .find(|r| r["name"] == name)
    }

    /// `GET /v1/check?{query}` with the service token.
    pub async fn check(&self, query: &str) -> (StatusCode, Value) {
        self.get(&format!("/v1/check?{query}"), SVC).await
    }

    /// `GET /v1/check` for `contact` on `channel` (marketing, now), which must answer.
    pub async fn check_contact(&self, contact: &str, channel: &str) -> Value {
        let (s, v) = self
            .check(&format!(
                "contact={}&channel={channel}",
                query_value(contact)
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "check {contact} on {channel}: {v}");
        v
    }

    /// The labels of `contact`'s listings, as the check API names them.
    pub async fn listing_labels(&self, contact: &str) -> Vec<String> {
        let v = self.check_contact(contact, "call").await;
        v["listings"]
            .as_array()
            .expect("listings")
            .iter()
            .map(|l| l["label"].as_str().expect("a label").to_owned())
            .collect()
    }

    /// `POST /v1/evaluate` for `touch` at instant `at`: the decision.
    pub async fn evaluate_at(&self, touch: &Value, at: &str) -> Value {
        let mut body = touch.clone();
        body["at"] = Value::String(at.to_owned());
        let (s, v) = self.post("/v1/evaluate", SVC, body).await;
        assert_eq!(s, StatusCode::OK, "evaluate at {at}: {v}");
        v
    }

    /// `POST /v1/scrub?{query}` with `csv` as `text/csv`, by the operator: the status and the
    /// body as text.
    pub async fn scrub(&self, query: &str, csv: &str) -> (StatusCode, String) {
        let res = self
            .req(Method::POST, &format!("/v1/scrub?{query}"), Some(OP))
            .header("content-type", "text/csv")
            .body(csv.to_owned())
            .send()
            .await
            .expect("the daemon answers");
        let status = res.status();
        (status, res.text().await.expect("a response body"))
    }
}

/// The check named `name` among a decision's `checks`.
pub fn check_named<'d>(decision: &'d Value, name: &str) -> &'d Value {
    decision["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {decision}"))
}

/// Asserts a decision is a block (or hold) with `reason`.
pub fn assert_reason(decision: &Value, reason: &str) {
    assert_eq!(decision["allowed"], false, "{decision}");
    assert_eq!(decision["reason"], reason, "{decision}");
}

/// Asserts a decision allows the touch.
pub fn assert_allowed(decision: &Value) {
    assert_eq!(decision["allowed"], true, "{decision}");
}
