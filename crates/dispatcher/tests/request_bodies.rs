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

#[path = "fuzz_support/examples.rs"]
mod examples;

/// Each body type with its valid example (`fuzz_support/examples.rs`).
fn examples() -> Vec<(&'static str, Value, Check)> {
    fn check<T: DeserializeOwned>(b: &[u8]) -> Result<(), ApiError> {
        parse::<T>(b).map(|_| ())
    }
    let checks: [(&str, Check); 8] = [
        ("account", check::<dispatcher::domain::AccountBody>),
        ("lead", check::<dispatcher::domain::LeadBody>),
        ("touch", check::<dispatcher::domain::TouchBody>),
        ("batch", check_batch),
        ("dnc", check::<dispatcher::domain::DncBody>),
        ("inbound", check::<dispatcher::api::inbound::InboundBody>),
        (
            "disposition",
            check::<dispatcher::api::webhooks::DispositionBody>,
        ),
        ("clock", check::<dispatcher::api::ops::ClockBody>),
    ];
    let examples = examples::request_examples();
    assert_eq!(examples.len(), checks.len());
    examples
        .into_iter()
        .zip(checks)
        .map(|((name, example), (named, check))| {
            assert_eq!(name, named);
            (name, example, check)
        })
        .collect()
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
