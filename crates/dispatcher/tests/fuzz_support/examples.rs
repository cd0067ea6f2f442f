//! A valid example of every JSON request body, with an object at every depth its type allows:
//! what `request_bodies.rs` checks the strict reader against, and the seeds the fuzz harness
//! mutates.

use serde_json::{Value, json};

/// `(name, example)`, in the order `request_bodies.rs` pairs them with their types.
pub fn request_examples() -> Vec<(&'static str, Value)> {
    let touch = json!({
        "idempotency_key": "k1", "account_id": "sdr-1", "lead_id": "lead-7", "channel": "sms",
        "purpose": "marketing", "template": {"id": "t1", "name": "n", "language": "en_US"},
        "content": {"subject": "s", "body": "b"}, "not_before": "2026-11-25T18:00:00Z",
        "deadline": "2026-11-30T18:00:00Z", "campaign_id": "c", "step": 1
    });
    vec![
        (
            "account",
            json!({
                "status": "active", "paused_channels": ["linkedin"],
                "limits": {"sms": {"min_gap_seconds": 30, "hourly": 100, "daily": 500}},
                "dlt": {"entity_id": "1101", "headers": ["ACMEIN"],
                        "templates": [{"id": "1107", "header": "ACMEIN", "body": "Code {#var#}"}]},
                "whatsapp_templates": [{"name": "day3", "language": "en_US", "status": "approved"}],
                "templates": [{"id": "intro-v2", "channel": "email", "status": "approved"}],
                "senders": {"sms": "+14155550100"}
            }),
        ),
        (
            "lead",
            json!({
                "phone": "+14155550123", "email": "ana@example.com", "timezone": "America/Los_Angeles",
                "consents": [{"channel": "sms", "purpose": "marketing",
                              "granted_at": "2026-01-01T00:00:00Z", "source": "web_form"}]
            }),
        ),
        ("touch", touch.clone()),
        ("batch", json!({"touches": [touch]})),
        (
            "dnc",
            json!({"contact": "+14155550123", "channel": "*", "reason": "customer_request",
                   "source": "web_form", "added_by": "ops", "expires_at": "2027-01-01T00:00:00Z"}),
        ),
        (
            "inbound",
            json!({"channel": "sms", "from": "+14155550123", "to": "+14155550100", "body": "STOP",
                   "received_at": "2026-11-25T18:00:00Z"}),
        ),
        (
            "disposition",
            json!({"phone": "+14155550123", "disposition": "DNC", "agent_id": "a", "call_id": "c",
                   "at": "2026-11-25T18:00:00Z"}),
        ),
        ("clock", json!({"now": "2026-11-25T18:00:00Z"})),
    ]
}
