//! Every signature and constant-time comparison of the daemon, in one place: provider webhook
//! signatures (Twilio's HMAC-SHA1 scheme, `sha256=<hex HMAC-SHA256>` headers), the daemon's
//! own signed tokens (one-click unsubscribe links) and keyed hashes. Comparisons of secrets
//! and signatures go through [`Mac::verify_slice`] or [`ct_eq`], never `==`.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// Twilio's request signature: base64(HMAC-SHA1(auth token, url + each parameter name and
/// value, sorted by name (and, for a repeated name, by value), concatenated)).
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    twilio_mac(auth_token, url, params).map_or_else(String::new, |mac| {
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    })
}

fn twilio_mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Option<Hmac<Sha1>> {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    // HMAC takes keys of any length, so this is never None.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(auth_token.as_bytes()).ok()?;
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    Some(mac)
}

/// Checks an `X-Twilio-Signature` value (constant-time).
pub fn verify_twilio(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    twilio_mac(auth_token, url, params).is_some_and(|mac| mac.verify_slice(&given).is_ok())
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn sha256_signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length; the error arm is unreachable in practice.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a `sha256=<hex>` header value against the body (constant-time).
pub fn verify_sha256(secret: &[u8], body: &[u8], header_value: &str) -> bool {
    let v = header_value.trim();
    let Some(hex_sig) = v
        .strip_prefix("sha256=")
        .or_else(|| v.strip_prefix("SHA256="))
    else {
        return false;
    };
    let Ok(given) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// Equality in time that does not depend on where the inputs differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HMAC-SHA256 of `parts` (concatenated) under `key`, as lowercase hex.
pub fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    // HMAC takes keys of any length; the error arm is unreachable in practice.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn twilio_published_vectors() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = pairs(&[
            ("Digits", "1234"),
            ("To", "+18005551212"),
            ("From", "+14158675309"),
            ("Caller", "+14158675309"),
            ("CallSid", "CA1234567890ABCDE"),
        ]);
        assert_eq!(
            twilio_signature("12345", url, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(verify_twilio(
            "12345",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify_twilio(
            "12345",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8"
        ));
        assert!(!verify_twilio(
            "54321",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify_twilio(
            "12345",
            &format!("{url}&x=1"),
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify_twilio("12345", url, &params, "not base64 !"));
        let repeated = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            twilio_signature("12345", url, &repeated),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    #[test]
    fn sha256_header() {
        let sig = sha256_signature(b"s3cret", b"{\"a\":1}");
        assert!(sig.starts_with("sha256="));
        assert!(verify_sha256(b"s3cret", b"{\"a\":1}", &sig));
        assert!(!verify_sha256(b"s3cret", b"{\"a\":2}", &sig));
        assert!(!verify_sha256(b"other", b"{\"a\":1}", &sig));
        assert!(!verify_sha256(
            b"s3cret",
            b"{\"a\":1}",
            sig.trim_start_matches("sha256=")
        ));
        assert!(!verify_sha256(b"s3cret", b"{\"a\":1}", "sha256=zz"));
    }
}
