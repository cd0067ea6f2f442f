//! The tamper-evident record: every decision, DNC entry, audit-log row and registry import is a
//! link in a hash chain.
//!
//! **Shape.** One chain per workspace (registry imports, which are installation-wide, in the
//! chain `*`). Rows are written as before, with no extra lock on the hot path; a sealer
//! ([`crate::store::Store::seal_pending`], run every second by the daemon and by
//! `POST /v1/dispatch/drain`) appends the rows it finds unsealed to their workspace's chain in
//! one transaction per batch, holding that chain's head row. Link *n* stores
//! `hash = SHA-256(prev ‖ "\n" ‖ canonical content)` where `prev` is link *n − 1*'s hash (64
//! zeros for the first) and the content is the row's columns as canonical JSON (keys sorted,
//! no spaces) — see [`content`]. Per workspace rather than global so that workspaces never wait
//! on each other's sealing, and an auditor of one customer gets that customer's chain only.
//!
//! **Personal data** is never hashed as itself: personal columns enter the content as their
//! keyed commitment ([`crate::privacy::PrivacyKey::commit`]). Erasure replaces a value with its
//! `hmac:` form, whose commitment is the same, so the chain still verifies after a lawful
//! erasure; the erasure itself is an audit-log row (`lead_erase`, listing every row it touched)
//! and so a link. A value replaced by a commitment without such a record fails verification.
//!
//! **What it proves** (`touchgate audit verify`): no sealed row was edited or deleted, no link
//! was inserted, removed or reordered, and every erased value was erased by a recorded erasure —
//! against anyone who cannot recompute the chain. **What it does not prove**: someone with write
//! access to the database can rewrite the whole chain from any point, or edit a row in the second
//! before it is sealed. Anchoring closes the first gap: `touchgate audit export` ends with the
//! heads and a root hash; kept outside the database (a ticket, an email to the auditor), they
//! let `audit verify --anchor FILE` prove later that the chain still extends them.

mod content;
mod verify;

pub use content::{Cell, Column, SOURCES, SourceTable, content_of, map_check_details};
pub use verify::{
    Anchor, ExportError, ExportLine, ExportedLink, Failure, Report, export, verify, verify_export,
};

use sha2::{Digest, Sha256};

/// The `prev` of a chain's first link.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain registry imports (installation-wide) are sealed into.
pub const GLOBAL_CHAIN: &str = "*";

/// Link hash: `SHA-256(prev ‖ "\n" ‖ content)` in hex.
pub fn link_hash(prev: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

/// JSON with object keys sorted at every depth and no insignificant whitespace: one text per
/// value, whatever order the writer used.
pub fn canonical_json(v: &serde_json::Value) -> String {
    let mut out = Vec::new();
    write_canonical(v, &mut out);
    // Only serde_json's own UTF-8 output and ASCII punctuation went in.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes `v` canonically into `out`; strings and numbers as serde_json writes them, straight
/// into the buffer (the sealer writes every decision this way: no text per key or value).
fn write_canonical(v: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_leaf(k.as_str(), out);
                out.push(b':');
                write_canonical(&map[*k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => write_leaf(other, out),
    }
}

fn write_leaf<T: serde::Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    // Writing a string, number, bool or null into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a = json!({"b": 1, "a": {"d": [1, {"z": null, "y": "x"}], "c": true}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":true,"d":[1,{"y":"x","z":null}]},"b":1}"#
        );
    }

    #[test]
    fn canonical_json_escapes_as_serde_json_writes() {
        // Links sealed before keep verifying: the text is serde_json's, byte for byte.
        let a = json!({"q\"uote": "tab\there \u{e9}\u{1}", "n": -1.5, "big": 12345678901_i64});
        assert_eq!(
            canonical_json(&a),
            "{\"big\":12345678901,\"n\":-1.5,\"q\\\"uote\":\"tab\\there \u{e9}\\u0001\"}"
        );
    }

    #[test]
    fn a_link_hash_covers_the_previous_hash_and_the_content() {
        let h1 = link_hash(GENESIS, "{}");
        assert_eq!(h1.len(), 64);
        assert_ne!(h1, link_hash(GENESIS, "{ }"));
        assert_ne!(h1, link_hash(&h1, "{}"));
        assert_eq!(h1, link_hash(GENESIS, "{}"));
    }
}
