//! Keyed commitments of personal data: what erasure leaves behind and what the audit chain
//! hashes instead of the data itself.
//!
//! A commitment is `HMAC-SHA256(installation secret, "privacy:" ‖ value)` in hex. The secret is
//! the one the daemon already keeps for signing (`settings.unsubscribe_key`): one secret to back
//! up. Stored in place of a value it is written `hmac:<hex>`, so a row can say "a value was here,
//! and it was this one" without holding it:
//! - an erased lead's DNC rows keep blocking: the store looks contacts up both as written and as
//!   their `hmac:` form ([`PrivacyKey::lookup_forms`]);
//! - the audit chain hashes [`PrivacyKey::commit`] of personal fields, which is the same before
//!   and after a lawful erasure, so the chain still verifies once the data is gone.
//!
//! Losing the secret does not break the chain's links, but hashed contacts can no longer be
//! matched: every erased lead's DNC rows stop blocking. Back it up with the database.

use std::sync::Arc;

use crate::signing::hmac_sha256_hex;

/// What an erased value is replaced with when no commitment is needed (message bodies).
pub const ERASED: &str = "[erased]";
const PREFIX: &str = "hmac:";

#[derive(Clone)]
pub struct PrivacyKey(Arc<Vec<u8>>);

impl std::fmt::Debug for PrivacyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivacyKey(..)")
    }
}

impl PrivacyKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(Arc::new(secret.to_vec()))
    }

    /// The commitment of `value` (hex); of a stored `hmac:` form, the commitment it holds.
    pub fn commit(&self, value: &str) -> String {
        match value.strip_prefix(PREFIX) {
            Some(h) => h.to_owned(),
            None => hmac_sha256_hex(&self.0, &[b"privacy:", value.as_bytes()]),
        }
    }

    /// The `hmac:` form stored in place of an erased `value`.
    pub fn hashed(&self, value: &str) -> String {
        if is_hashed(value) {
            return value.to_owned();
        }
        format!("{PREFIX}{}", self.commit(value))
    }

    /// Every form under which `contacts` may be stored: each as written and its `hmac:` form,
    /// with the plain contact each form stands for.
    pub fn lookup_forms(&self, contacts: &[String]) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(contacts.len() * 2);
        for c in contacts {
            out.push((c.clone(), c.clone()));
            out.push((self.hashed(c), c.clone()));
        }
        out
    }
}

/// Whether a stored value is an erased value's `hmac:` form.
pub fn is_hashed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_and_its_hashed_form_commit_to_the_same() {
        let k = PrivacyKey::new(b"secret");
        let h = k.hashed("+15551230000");
        assert!(h.starts_with("hmac:") && h.len() == 5 + 64);
        assert_eq!(k.commit("+15551230000"), k.commit(&h));
        assert_eq!(k.hashed(&h), h);
        assert_ne!(k.commit("+15551230000"), k.commit("+15551230001"));
        assert_ne!(
            PrivacyKey::new(b"other").commit("+15551230000"),
            k.commit("+15551230000")
        );
    }

    #[test]
    fn lookup_forms_map_back_to_the_plain_contact() {
        let k = PrivacyKey::new(b"secret");
        let forms = k.lookup_forms(&["a@x.test".to_owned()]);
        assert_eq!(forms.len(), 2);
        assert!(forms.iter().all(|(_, plain)| plain == "a@x.test"));
        assert_eq!(forms[1].0, k.hashed("a@x.test"));
    }
}
