//! What the suites put in place before they act, through the API as a client would: accounts,
//! leads with their consents, and the usual touch requests.

use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::daemon::{Daemon, OP, SVC};

/// Ana's number (lead `lead-7`), in E.164.
pub const PHONE: &str = "+14155550123";
/// When every seeded consent was given.
pub const CONSENT_GRANTED: &str = "2026-01-01T00:00:00Z";

/// A lead document, built up field by field.
#[derive(Debug, Clone)]
pub struct Lead(Map<String, Value>);

impl Lead {
    /// Someone in Los Angeles (timezone and country US), no contact and no consent yet.
    pub fn in_los_angeles() -> Lead {
        let mut doc = Map::new();
        doc.insert("timezone".into(), json!("America/Los_Angeles"));
        doc.insert("country".into(), json!("US"));
        Lead(doc)
    }

    pub fn phone(self, phone: &str) -> Lead {
        self.with("phone", json!(phone))
    }

    pub fn whatsapp(self, number: &str) -> Lead {
        self.with("whatsapp", json!(number))
    }

    pub fn email(self, address: &str) -> Lead {
        self.with("email", json!(address))
    }

    /// Consent to marketing on `channel`, given through a web form on [`CONSENT_GRANTED`].
    pub fn consent(self, channel: &str) -> Lead {
        self.consent_granted(channel, CONSENT_GRANTED)
    }

    /// The stored time zone (replacing Los Angeles).
    pub fn timezone(self, zone: &str) -> Lead {
        self.with("timezone", json!(zone))
    }

    /// The stored country (ISO 3166-1 alpha-2).
    pub fn country(self, code: &str) -> Lead {
        self.with("country", json!(code))
    }

    /// The stored US state or Canadian province.
    pub fn state(self, code: &str) -> Lead {
        self.with("state", json!(code))
    }

    /// Consent to marketing on `channel`, given through a web form at `granted_at`.
    pub fn consent_granted(mut self, channel: &str, granted_at: &str) -> Lead {
        let consent = json!({"channel": channel, "purpose": "marketing",
                             "granted_at": granted_at, "source": "web_form"});
        self.push("consents", consent);
        self
    }

    /// An established business relationship: `kind` is `purchase` or `inquiry`.
    pub fn relationship(mut self, kind: &str, at: &str) -> Lead {
        self.push("relationships", json!({"kind": kind, "at": at}));
        self
    }

    fn push(&mut self, list: &str, item: Value) {
        match self.0.get_mut(list).and_then(Value::as_array_mut) {
            Some(all) => all.push(item),
            None => {
                self.0.insert(list.into(), json!([item]));
            }
        }
    }

    fn with(mut self, field: &str, value: Value) -> Lead {
        self.0.insert(field.into(), value);
        self
    }

    /// The document, as `PUT /v1/leads/{id}` takes it.
    pub fn doc(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

/// Someone in Los Angeles at `address` and the number `+1415555<line>` (four digits), with
/// consent to marketing SMS.
pub fn person(address: &str, line: u16) -> Lead {
    Lead::in_los_angeles()
        .email(address)
        .phone(&format!("+1415555{line:04}"))
        .consent("sms")
}

/// Ana, lead `lead-7` of most tests: her number written as a person would, her address in
/// mixed case (both stored canonical), consent to marketing SMS.
pub fn ana() -> Lead {
    Lead::in_los_angeles()
        .phone("+1 (415) 555-0123")
        .email("Ana@Example.com")
        .consent("sms")
}

impl Daemon {
    /// `PUT /v1/accounts/{id}` with operator token `op`: a new account (201), as stored.
    pub async fn seed_account(&self, op: &str, id: &str, doc: Value) -> Value {
        let (s, v) = self.put(&format!("/v1/accounts/{id}"), op, doc).await;
        assert_eq!(s, StatusCode::CREATED, "account {id}: {v}");
        v
    }

    /// `PUT /v1/leads/{id}` with `token`: a new lead (201), as stored.
    pub async fn seed_lead(&self, token: &str, id: &str, lead: &Lead) -> Value {
        let (s, v) = self
            .put(&format!("/v1/leads/{id}"), token, lead.doc())
            .await;
        assert_eq!(s, StatusCode::CREATED, "lead {id}: {v}");
        v
    }

    /// Account `sdr-1` (active) and lead `lead-7` ([`ana`]) in the default workspace.
    pub async fn seed(&self) {
        self.seed_account(OP, "sdr-1", json!({"status": "active"}))
            .await;
        self.seed_lead(SVC, "lead-7", &ana()).await;
    }
}

/// Ana on every telephone channel: her number on WhatsApp too, consent to marketing SMS and
/// WhatsApp.
pub fn ana_everywhere() -> Lead {
    ana().whatsapp(PHONE).consent("whatsapp")
}

/// Account `sdr-1` of the WhatsApp suites: active, with the approved (utility) WhatsApp template
/// `day3_followup`.
pub fn whatsapp_account() -> Value {
    json!({"status": "active",
           "whatsapp_templates": [{"name": "day3_followup", "language": "en_US", "status": "approved"}]})
}

impl Daemon {
    /// Account `sdr-1` ([`whatsapp_account`]) and lead `lead-7` ([`ana_everywhere`]) in the
    /// default workspace.
    pub async fn seed_whatsapp(&self) {
        self.seed_account(OP, "sdr-1", whatsapp_account()).await;
        self.seed_lead(SVC, "lead-7", &ana_everywhere()).await;
    }
}

/// A marketing WhatsApp message from `sdr-1` to `lead-7` with the template `day3_followup`.
pub fn wa_template(key: &str) -> Value {
    json!({
        "idempotency_key": key, "account_id": "sdr-1", "lead_id": "lead-7", "channel": "whatsapp",
        "template": {"name": "day3_followup", "language": "en_US"}
    })
}

/// A marketing SMS from `sdr-1` to `lead-7` (campaign `seq42`, step 1).
pub fn sms(key: &str) -> Value {
    json!({
        "idempotency_key": key, "account_id": "sdr-1", "lead_id": "lead-7", "channel": "sms",
        "content": {"body": "Hi Ana"}, "campaign_id": "seq42", "step": 1
    })
}

/// A marketing email from `sdr-1` to `lead-7` (campaign `seq43`, step 2).
pub fn email(key: &str) -> Value {
    json!({
        "idempotency_key": key, "account_id": "sdr-1", "lead_id": "lead-7", "channel": "email",
        "content": {"subject": "Hello", "body": "Hi Ana"}, "campaign_id": "seq43", "step": 2
    })
}

/// Campaign names a CSV export must quote (a comma, quotes, a line break) or defuse (a formula
/// trigger at the start of a free-text cell gets a leading `'`), each with the cell expected.
pub const CAMPAIGNS_FOR_CSV: [(&str, &str); 6] = [
    ("spring, \"promo\"", "spring, \"promo\""),
    ("line one\nline two", "line one\nline two"),
    (
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "'=HYPERLINK(\"http://evil.example\",\"x\")",
    ),
    ("+1 555 0100", "'+1 555 0100"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
];
