//! Signatures computed here independently of the daemon's code: `sha256=<hex HMAC-SHA256(secret,
//! raw body)>`, the scheme of Meta's webhooks (`X-Hub-Signature-256`) and of Touchgate's own
//! (`X-Touchgate-Signature`: call dispositions, inbound email, alerts).

use hmac::{Hmac, Mac};

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn sha256_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
