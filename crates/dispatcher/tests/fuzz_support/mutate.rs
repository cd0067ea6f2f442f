//! Mutations of real inputs for the stable harness: byte edits (flip, insert, delete, copy,
//! insert a token of the format), and for JSON, edits of the document's tree (a value replaced
//! by another of any type, a key removed), so that a few hundred cases reach past the parsers'
//! first checks.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// One byte edit: (kind, where, from where, byte, length).
type Edit = (u8, Index, Index, u8, usize);

fn apply(bytes: &mut Vec<u8>, (kind, at, from, byte, len): Edit, tokens: &[&[u8]]) {
    let at = at.index(bytes.len() + 1);
    let end = (at + len).min(bytes.len());
    match kind % 5 {
        0 => {
            if let Some(b) = bytes.get_mut(at) {
                *b ^= byte | 1;
            }
        }
        1 => {
            bytes.splice(at..at, std::iter::repeat_n(byte, len));
        }
        2 => {
            bytes.drain(at..end);
        }
        3 => {
            let from = from.index(bytes.len() + 1);
            let copy = bytes
                .get(from..(from + len).min(bytes.len()))
                .unwrap_or_default()
                .to_vec();
            bytes.splice(at..at, copy);
        }
        _ => {
            let token = from.get(tokens);
            bytes.splice(at..at, token.iter().copied());
        }
    }
}

/// One of `seeds` with up to `max_edits` byte edits; `tokens` are the format's own bytes.
pub fn mutated(
    seeds: Vec<Vec<u8>>,
    tokens: &'static [&'static [u8]],
    max_edits: usize,
) -> BoxedStrategy<Vec<u8>> {
    let edit = (
        any::<u8>(),
        any::<Index>(),
        any::<Index>(),
        any::<u8>(),
        1usize..24,
    );
    (
        prop::sample::select(seeds),
        prop::collection::vec(edit, 0..max_edits),
    )
        .prop_map(move |(mut bytes, edits)| {
            for e in edits {
                apply(&mut bytes, e, tokens);
            }
            bytes
        })
        .boxed()
}

/// JSON pointers of every value in `v` but the root.
fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match v {
        Value::Object(map) => map
            .iter()
            .map(|(k, c)| (k.replace('~', "~0").replace('/', "~1"), c))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, c)| (i.to_string(), c))
            .collect(),
        _ => Vec::new(),
    };
    for (key, child) in children {
        let p = format!("{at}/{key}");
        out.push(p.clone());
        pointers(child, &p, out);
    }
}

/// A JSON value of any type, often one a field of the API holds (a time, a channel, a
/// contact), sometimes one at the edge of a type's range.
pub fn json_value() -> BoxedStrategy<Value> {
    #[rustfmt::skip]
    const STRINGS: &[&str] = &[
        "", " ", "2026-11-25T18:00:00Z", "2026-11-25T18:00:00.999999999+14:00",
        "-262143-01-01T00:00:00Z", "+262142-12-31T23:59:59Z", "9999-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-25", "2026-11-25T18:00:00",
        "sms", "email", "call", "linkedin", "whatsapp", "*", "marketing", "transactional",
        "all", "active", "paused", "approved", "invite", "message", "customer_request",
        "+14155550123", "4155550123", "+442079460958", "ana@example.com", "ANA@EXAMPLE.COM",
        "https://www.linkedin.com/in/ana-b", "urn:li:person:AbC", "in:ana", "US", "US-CA",
        "CA-ON", "+1504", "ZZ", "America/New_York", "Mars/Base", "en_US", "{#var#}",
        "\u{0}", "\u{feff}", "İ", "../../etc", "a/b", "%00",
    ];
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => prop::sample::select(vec![0i64, -1, 1, 255, 256, 1000, 1001, 86_400, i64::from(i32::MAX) + 1, i64::MIN, i64::MAX]).prop_map(Value::from),
        1 => Just(Value::from(u64::MAX)),
        1 => prop::sample::select(vec![0.5f64, -0.0, 1e308, -1e308, 1e-308]).prop_map(Value::from),
        4 => prop::sample::select(STRINGS).prop_map(Value::from),
        1 => "\\PC{0,12}".prop_map(Value::from),
        1 => (0usize..3000).prop_map(|n| Value::from("x".repeat(n))),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// One JSON edit: (replace or remove, where, the new value).
type JsonEdit = (bool, Index, Value);

/// One of `seeds` with up to four values replaced by [`json_value`]s or removed, as bytes.
pub fn json_mutated(seeds: Vec<Value>) -> BoxedStrategy<Vec<u8>> {
    let edit = (any::<bool>(), any::<Index>(), json_value());
    (
        prop::sample::select(seeds),
        prop::collection::vec(edit, 0..4),
    )
        .prop_map(|(mut doc, edits): (Value, Vec<JsonEdit>)| {
            for (remove, at, value) in edits {
                let mut all = Vec::new();
                pointers(&doc, "", &mut all);
                if all.is_empty() {
                    continue;
                }
                let p = at.get(&all).clone();
                let (parent, key) = p.rsplit_once('/').unwrap_or_default();
                match doc.pointer_mut(parent) {
                    Some(Value::Object(map)) if remove => {
                        map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    _ => {
                        if let Some(slot) = doc.pointer_mut(&p) {
                            *slot = value;
                        }
                    }
                }
            }
            serde_json::to_vec(&doc).unwrap_or_default()
        })
        .boxed()
}
