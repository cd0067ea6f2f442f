//! Every request body type, parsed as the API parses it: a valid example passes; the same
//! example with an unknown field added to any one of its objects — at every depth — is refused
//! with the field named; an array where an object belongs is refused.

// A failed expectation in a helper of this test crate should panic.
#![allow(clippy::panic)]

use dispatcher::api::error::ApiError;
use dispatcher::api::strict_json::parse;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Parses raw bytes as one request type.
type Check = fn(&[u8]) -> Result<(), ApiError>;

/// Each body type with a valid example that has an object at every depth the type allows.
fn examples() -> Vec<(&'static str, Value, Check)> {
    fn check<T: DeserializeOwned>(b: &[u8]) -> Result<(), ApiError> {
        parse::<T>(b).map(|_| ())
    }
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
            check::<dispatcher::domain::AccountBody>,
        ),
        (
            "lead",
            json!({
                "phone": "+14155550123", "email": "ana@example.com", "timezone": "America/Los_Angeles",
                "consents": [{"channel": "sms", "purpose": "marketing",
                              "granted_at": "2026-01-01T00:00:00Z", "source": "web_form"}]
            }),
            check::<dispatcher::domain::LeadBody>,
        ),
        (
            "touch",
            touch.clone(),
            check::<dispatcher::domain::TouchBody>,
        ),
        ("batch", json!({"touches": [touch]}), check_batch),
        (
            "dnc",
            json!({"contact": "+14155550123", "channel": "*", "reason": "customer_request",
                   "source": "web_form", "added_by": "ops", "expires_at": "2027-01-01T00:00:00Z"}),
            check::<dispatcher::domain::DncBody>,
        ),
        (
            "inbound",
            json!({"channel": "sms", "from": "+14155550123", "to": "+14155550100", "body": "STOP",
                   "received_at": "2026-11-25T18:00:00Z"}),
            check::<dispatcher::api::inbound::InboundBody>,
        ),
        (
            "disposition",
            json!({"phone": "+14155550123", "disposition": "DNC", "agent_id": "a", "call_id": "c",
                   "at": "2026-11-25T18:00:00Z"}),
            check::<dispatcher::api::webhooks::DispositionBody>,
        ),
        (
            "clock",
            json!({"now": "2026-11-25T18:00:00Z"}),
            check::<dispatcher::api::ops::ClockBody>,
        ),
    ]
}

/// A batch as the API reads it: the envelope, then each item as a touch (a bad item fails
/// alone, with its error).
fn check_batch(b: &[u8]) -> Result<(), ApiError> {
    let batch: dispatcher::api::touches::BatchRequest = parse(b)?;
    for item in &batch.touches {
        dispatcher::api::strict_json::from_value::<dispatcher::domain::TouchBody>(item)?;
    }
    Ok(())
}

/// JSON pointers of every object in `v` (the root included).
fn objects(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            out.push(at.clone());
            for (k, child) in map {
                objects(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                objects(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn bad_request_field(r: Result<(), ApiError>) -> Option<String> {
    match r {
        Err(ApiError::BadRequest { field, .. }) => field,
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[test]
fn every_request_type_refuses_an_unknown_field_at_every_depth() {
    for (name, example, check) in examples() {
        let bytes = serde_json::to_vec(&example).unwrap_or_default();
        assert!(
            check(&bytes).is_ok(),
            "{name}: the example itself must parse"
        );
        let mut pointers = Vec::new();
        objects(&example, String::new(), &mut pointers);
        for p in pointers {
            let mut bad = example.clone();
            if let Some(Value::Object(map)) = bad.pointer_mut(&p) {
                map.insert("zz_unknown".to_owned(), json!(1));
            }
            let field = bad_request_field(check(&serde_json::to_vec(&bad).unwrap_or_default()));
            let field = field.unwrap_or_default();
            assert!(
                field.ends_with("zz_unknown"),
                "{name} at `{p}`: the error names `{field}`"
            );
        }
    }
}

#[test]
fn an_array_is_never_an_object() {
    for (name, example, check) in examples() {
        assert!(check(b"[]").is_err(), "{name}: [] accepted as a document");
        let mut pointers = Vec::new();
        objects(&example, String::new(), &mut pointers);
        for p in pointers.into_iter().filter(|p| !p.is_empty()) {
            let mut bad = example.clone();
            if let Some(slot) = bad.pointer_mut(&p) {
                *slot = json!([]);
            }
            // `[]` where an object belongs is refused: `senders`/`limits` are maps, so `[]`
            // is refused there too (a map is not a sequence).
            assert!(
                check(&serde_json::to_vec(&bad).unwrap_or_default()).is_err(),
                "{name}: [] accepted at `{p}`"
            );
        }
    }
}

#[test]
fn a_number_where_an_enum_belongs_names_the_field() {
    let field = bad_request_field(
        parse::<dispatcher::domain::AccountBody>(br#"{"status": 5}"#).map(|_| ()),
    );
    assert_eq!(field.as_deref(), Some("status"));
    let field = bad_request_field(
        parse::<dispatcher::domain::LeadBody>(
            br#"{"consents": [{"channel": "sms", "granted_at": "2026-01-01T00:00:00Z", "revoked": "2026-02-01T00:00:00Z"}]}"#,
        )
        .map(|_| ()),
    );
    assert_eq!(field.as_deref(), Some("consents[0].revoked"));
}

#[test]
fn times_are_rfc3339_within_range() {
    for bad in [
        "-262143-01-01T00:00:01Z",
        "+10000-01-01T00:00:00Z",
        "2026-11-25 18:00:00Z",
    ] {
        let body = json!({"account_id": "a", "lead_id": "l", "channel": "sms", "deadline": bad});
        let field = bad_request_field(
            parse::<dispatcher::domain::TouchBody>(&serde_json::to_vec(&body).unwrap_or_default())
                .map(|_| ()),
        );
        assert_eq!(field.as_deref(), Some("deadline"), "{bad}");
    }
}
