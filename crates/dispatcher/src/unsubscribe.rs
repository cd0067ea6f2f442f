//! Signed one-click unsubscribe links (RFC 8058): `{public_base_url}/v1/unsubscribe/{token}`,
//! the token naming the touch and carrying an HMAC-SHA256 over it with the installation's key.
//! A forged or altered token verifies to nothing.

use crate::signing;

/// Length of the hex signature kept in a token (128 bits).
const SIG_HEX: usize = 32;

#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(***)")
    }
}

impl Signer {
    pub fn new(key: &[u8]) -> Signer {
        Signer { key: key.to_vec() }
    }

    fn sign(&self, touch_id: &str) -> String {
        let full = signing::hmac_sha256_hex(&self.key, &[b"unsubscribe:", touch_id.as_bytes()]);
        full.get(..SIG_HEX).unwrap_or_default().to_owned()
    }

    pub fn token(&self, touch_id: &str) -> String {
        format!("{touch_id}.{}", self.sign(touch_id))
    }

    pub fn url(&self, base: &str, touch_id: &str) -> String {
        format!(
            "{}/v1/unsubscribe/{}",
            base.trim_end_matches('/'),
            self.token(touch_id)
        )
    }

    /// The touch id a token names, if its signature is right (compared in constant time).
    pub fn verify(&self, token: &str) -> Option<String> {
        let (id, sig) = token.rsplit_once('.')?;
        if id.is_empty() || sig.len() != SIG_HEX {
            return None;
        }
        let expected = self.sign(id);
        signing::ct_eq(expected.as_bytes(), sig.as_bytes()).then(|| id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_forgeries_do_not() {
        let s = Signer::new(b"k1");
        let t = s.token("0190-touch");
        assert_eq!(s.verify(&t).as_deref(), Some("0190-touch"));
        assert_eq!(Signer::new(b"k2").verify(&t), None, "another key");
        let altered = t.replacen("0190", "0191", 1);
        assert_eq!(s.verify(&altered), None, "altered id");
        let mut sig_flip = t.clone();
        sig_flip.pop();
        sig_flip.push(if t.ends_with('0') { '1' } else { '0' });
        assert_eq!(s.verify(&sig_flip), None, "altered signature");
        assert_eq!(s.verify("no-dot"), None);
        assert_eq!(s.verify(".abc"), None);
        assert!(
            s.url("https://tg.example/", "x")
                .starts_with("https://tg.example/v1/unsubscribe/x.")
        );
    }
}
