//! DKIM signing of outgoing email (RFC 6376; Ed25519 per RFC 8463), and the identity the
//! daemon checks against DNS.
//!
//! lettre signs, but reads RSA keys as PKCS#1 PEM only and Ed25519 keys as a base64 seed. The
//! key in the environment is a PEM of any of the forms operators have: RSA as PKCS#1
//! (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`, what `openssl genrsa` writes on
//! OpenSSL 3), Ed25519 as PKCS#8 (`openssl genpkey -algorithm ed25519`). It is parsed once,
//! when the transport is built, and handed to lettre in the form lettre reads; a key that
//! does not parse is a config error naming the setting, never a panic, and never quotes the key.
//!
//! Headers and body are canonicalized `relaxed/relaxed`: relays re-fold long headers, which
//! breaks `simple`. The signed headers include `List-Unsubscribe` and `List-Unsubscribe-Post`
//! (RFC 8058 §4: one-click unsubscribe counts only under a valid DKIM signature); one listed
//! in `h=` that a message lacks signs as empty, so nobody can add it later.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig as LettreDkim, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding, PrivateKeyInfo, SecretDocument};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::config::{ConfigError, DkimConfig};
use crate::secret::{self, Env, Secret};

/// RSA keys shorter than this are refused: receivers ignore such signatures (RFC 8301 §3.2).
pub const MIN_RSA_BITS: usize = 1024;

/// The headers signed, in this order. An absent one signs as empty, so it cannot be added
/// later: only headers our messages always carry are listed, and the unsubscribe pair (no relay
/// adds those), never one a relay might add on its own such as `MIME-Version`.
const SIGNED_HEADERS: [&str; 9] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Content-Type",
    "Content-Transfer-Encoding",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// The signature algorithm, chosen by the key's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DkimAlgorithm {
    /// `a=rsa-sha256`, `k=rsa`.
    RsaSha256,
    /// `a=ed25519-sha256`, `k=ed25519` (RFC 8463).
    Ed25519Sha256,
}

impl DkimAlgorithm {
    /// The `a=` tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            DkimAlgorithm::RsaSha256 => "rsa-sha256",
            DkimAlgorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    /// The key record's `k=` value.
    pub fn key_type(self) -> &'static str {
        match self {
            DkimAlgorithm::RsaSha256 => "rsa",
            DkimAlgorithm::Ed25519Sha256 => "ed25519",
        }
    }
}

impl fmt::Display for DkimAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who signs, and with which public key: what the selector record in DNS must publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimIdentity {
    /// `d=`.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    pub algorithm: DkimAlgorithm,
    /// The `p=` value: base64 of the DER SubjectPublicKeyInfo for RSA, of the raw 32-byte key
    /// for Ed25519 (RFC 8463 §4.2).
    pub public_key_b64: String,
}

/// Why a selector's TXT record does not publish our key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorMismatch {
    #[error("the DKIM key record is malformed: {0}")]
    Malformed(String),
    #[error("the DKIM key is revoked (empty p=)")]
    Revoked,
    #[error("the DKIM key record is for k={published}, we sign with {ours}")]
    WrongKeyType { published: String, ours: String },
    #[error("the DKIM key record does not allow sha256 (h={0})")]
    HashNotAllowed(String),
    #[error("the DKIM key record is not for email (s={0})")]
    NotForEmail(String),
    #[error("the DKIM key record publishes a different public key")]
    DifferentKey,
}

impl DkimIdentity {
    /// Where the key record lives: `{selector}._domainkey.{domain}`.
    pub fn record_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// The TXT record to publish at [`DkimIdentity::record_name`].
    pub fn txt_record(&self) -> String {
        format!(
            "v=DKIM1; k={}; p={}",
            self.algorithm.key_type(),
            self.public_key_b64
        )
    }

    /// Whether a selector TXT record (its character-strings already concatenated, RFC 6376
    /// §3.6.2.2) publishes our key for our algorithm. RSA keys compare as keys, so a record
    /// with the bare PKCS#1 `RSAPublicKey` in `p=` matches too.
    pub fn check_record(&self, txt: &str) -> Result<(), SelectorMismatch> {
        let malformed = |m: &str| SelectorMismatch::Malformed(m.to_owned());
        let mut tags = Vec::new();
        for part in txt.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| malformed("a tag without `=`"))?;
            tags.push((name.trim(), value.trim()));
        }
        let tag = |n: &str| tags.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        if let Some(v) = tag("v")
            && (v != "DKIM1" || tags.first().map(|(k, _)| *k) != Some("v"))
        {
            return Err(malformed("v= must come first and be DKIM1"));
        }
        let k = tag("k").unwrap_or("rsa");
        if !k.eq_ignore_ascii_case(self.algorithm.key_type()) {
            return Err(SelectorMismatch::WrongKeyType {
                published: k.to_owned(),
                ours: self.algorithm.key_type().to_owned(),
            });
        }
        if let Some(h) = tag("h")
            && !h
                .split(':')
                .any(|a| a.trim().eq_ignore_ascii_case("sha256"))
        {
            return Err(SelectorMismatch::HashNotAllowed(h.to_owned()));
        }
        if let Some(s) = tag("s")
            && !s.split(':').any(|t| matches!(t.trim(), "*" | "email"))
        {
            return Err(SelectorMismatch::NotForEmail(s.to_owned()));
        }
        let p: String = tag("p")
            .ok_or_else(|| malformed("no p= tag"))?
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if p.is_empty() {
            return Err(SelectorMismatch::Revoked);
        }
        let published = BASE64
            .decode(p.as_bytes())
            .map_err(|_| malformed("p= is not base64"))?;
        let ours = BASE64
            .decode(self.public_key_b64.as_bytes())
            .map_err(|_| malformed("our own public key is not base64"))?;
        let same = published == ours
            || (self.algorithm == DkimAlgorithm::RsaSha256
                && RsaPublicKey::from_pkcs1_der(&published)
                    .ok()
                    .and_then(|k| k.to_public_key_der().ok())
                    .is_some_and(|der| der.as_bytes() == ours.as_slice()));
        if same {
            Ok(())
        } else {
            Err(SelectorMismatch::DifferentKey)
        }
    }
}

/// A private key read from the environment, in the form lettre signs with.
pub(crate) struct DkimSigner {
    config: LettreDkim,
    identity: DkimIdentity,
}

impl fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // lettre's key prints its private parts: show the identity only.
        f.debug_struct("DkimSigner")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl DkimSigner {
    /// Reads and parses the key `private_key_env` names.
    pub(crate) fn from_config(cfg: &DkimConfig, env: &dyn Env) -> Result<DkimSigner, ConfigError> {
        let channel = gate::Channel::Email;
        for (key, value) in [("domain", &cfg.domain), ("selector", &cfg.selector)] {
            if !is_dns_name(value) {
                return Err(ConfigError::invalid(
                    channel,
                    format!("dkim.{key} {value:?} is not a domain name"),
                ));
            }
        }
        let pem = secret::read(env, "dkim.private_key_env", &cfg.private_key_env)?;
        let key = SigningKey::from_pem(&pem).map_err(|e| {
            ConfigError::invalid(
                channel,
                format!(
                    "dkim.private_key_env: the variable `{}` does not hold a usable private key: {e}",
                    cfg.private_key_env
                ),
            )
        })?;
        let unusable = |e: String| {
            ConfigError::invalid(
                channel,
                format!("dkim.private_key_env `{}`: {e}", cfg.private_key_env),
            )
        };
        let (algorithm, public_key_b64) = key.public().map_err(unusable)?;
        let signing_key = key.for_lettre().map_err(unusable)?;
        let config = LettreDkim::new(
            cfg.selector.clone(),
            cfg.domain.clone(),
            signing_key,
            SIGNED_HEADERS
                .iter()
                .map(|h| HeaderName::new_from_ascii_str(h))
                .collect(),
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        );
        Ok(DkimSigner {
            config,
            identity: DkimIdentity {
                domain: cfg.domain.clone(),
                selector: cfg.selector.clone(),
                algorithm,
                public_key_b64,
            },
        })
    }

    /// Adds the `DKIM-Signature` header; call once every other header is set.
    pub(crate) fn sign(&self, message: &mut Message) {
        message.sign(&self.config);
    }

    pub(crate) fn identity(&self) -> &DkimIdentity {
        &self.identity
    }
}

/// A DNS name of letters, digits, `-`, `_` and dots (selectors may hold `_` and dots).
fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Why a PEM is not a key we can sign with (never quotes the key).
#[derive(Debug, thiserror::Error)]
enum KeyError {
    #[error("no PEM `-----BEGIN ...-----` line")]
    NotPem,
    #[error("the key is encrypted; give it unencrypted (the variable is the secret)")]
    Encrypted,
    #[error("`{0}` is not a supported key; use RSA (PKCS#1 or PKCS#8) or Ed25519 (PKCS#8)")]
    Unsupported(String),
    #[error("PKCS#8 key of algorithm {0}; DKIM signs with RSA or Ed25519")]
    Algorithm(String),
    #[error("malformed {0} key")]
    Malformed(&'static str),
    #[error(
        "the RSA key has {0} bits; receivers ignore signatures under {MIN_RSA_BITS} (use 2048)"
    )]
    RsaTooShort(usize),
}

enum SigningKey {
    Rsa(RsaPrivateKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl SigningKey {
    fn from_pem(pem: &Secret) -> Result<SigningKey, KeyError> {
        let text = pem.expose().trim();
        let label = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("-----BEGIN "))
            .and_then(|l| l.strip_suffix("-----"))
            .ok_or(KeyError::NotPem)?;
        let key = match label {
            "RSA PRIVATE KEY" => SigningKey::Rsa(
                RsaPrivateKey::from_pkcs1_pem(text)
                    .map_err(|_| KeyError::Malformed("PKCS#1 RSA"))?,
            ),
            "PRIVATE KEY" => {
                let (_, doc) =
                    SecretDocument::from_pem(text).map_err(|_| KeyError::Malformed("PKCS#8"))?;
                let info = PrivateKeyInfo::try_from(doc.as_bytes())
                    .map_err(|_| KeyError::Malformed("PKCS#8"))?;
                let oid = info.algorithm.oid;
                if oid == rsa::pkcs1::ALGORITHM_OID {
                    SigningKey::Rsa(
                        RsaPrivateKey::from_pkcs8_der(doc.as_bytes())
                            .map_err(|_| KeyError::Malformed("PKCS#8 RSA"))?,
                    )
                } else if oid == ed25519_dalek::pkcs8::ALGORITHM_OID {
                    SigningKey::Ed25519(
                        ed25519_dalek::SigningKey::from_pkcs8_der(doc.as_bytes())
                            .map_err(|_| KeyError::Malformed("PKCS#8 Ed25519"))?,
                    )
                } else {
                    return Err(KeyError::Algorithm(oid.to_string()));
                }
            }
            "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
            other => return Err(KeyError::Unsupported(other.to_owned())),
        };
        if let SigningKey::Rsa(k) = &key {
            let bits = k.n().bits();
            if bits < MIN_RSA_BITS {
                return Err(KeyError::RsaTooShort(bits));
            }
        }
        Ok(key)
    }

    /// The algorithm and the `p=` value.
    fn public(&self) -> Result<(DkimAlgorithm, String), String> {
        Ok(match self {
            SigningKey::Rsa(k) => (
                DkimAlgorithm::RsaSha256,
                BASE64.encode(
                    k.to_public_key()
                        .to_public_key_der()
                        .map_err(|_| "cannot encode the RSA public key".to_owned())?
                        .as_bytes(),
                ),
            ),
            SigningKey::Ed25519(k) => (
                DkimAlgorithm::Ed25519Sha256,
                BASE64.encode(k.verifying_key().to_bytes()),
            ),
        })
    }

    /// The key in the form lettre reads: PKCS#1 PEM for RSA, the base64 seed for Ed25519.
    fn for_lettre(&self) -> Result<DkimSigningKey, String> {
        let (text, algorithm) = match self {
            SigningKey::Rsa(k) => (
                Secret::new(
                    k.to_pkcs1_pem(LineEnding::LF)
                        .map_err(|_| "cannot re-encode the RSA key as PKCS#1".to_owned())?
                        .as_str(),
                ),
                DkimSigningAlgorithm::Rsa,
            ),
            SigningKey::Ed25519(k) => (
                Secret::new(BASE64.encode(k.to_bytes())),
                DkimSigningAlgorithm::Ed25519,
            ),
        };
        DkimSigningKey::new(text.expose(), algorithm)
            .map_err(|e| format!("lettre does not take the key: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(algorithm: DkimAlgorithm, p: &str) -> DkimIdentity {
        DkimIdentity {
            domain: "acme.example".to_owned(),
            selector: "tg1".to_owned(),
            algorithm,
            public_key_b64: p.to_owned(),
        }
    }

    #[test]
    fn selector_records_are_read_as_tags() {
        let ed = identity(DkimAlgorithm::Ed25519Sha256, "AAAA");
        assert_eq!(ed.record_name(), "tg1._domainkey.acme.example");
        assert_eq!(ed.txt_record(), "v=DKIM1; k=ed25519; p=AAAA");
        assert_eq!(ed.check_record(&ed.txt_record()), Ok(()));
        assert_eq!(ed.check_record("k=ed25519;p=AA AA ; t=y"), Ok(()));
        assert_eq!(
            ed.check_record("v=DKIM1; k=ed25519; p="),
            Err(SelectorMismatch::Revoked)
        );
        assert_eq!(
            ed.check_record("v=DKIM1; p=AAAA"),
            Err(SelectorMismatch::WrongKeyType {
                published: "rsa".to_owned(),
                ours: "ed25519".to_owned()
            })
        );
        assert_eq!(
            ed.check_record("v=DKIM1; k=ed25519; p=AAAB"),
            Err(SelectorMismatch::DifferentKey)
        );
        let malformed = |m: &str| Err(SelectorMismatch::Malformed(m.to_owned()));
        for (record, expected) in [
            (
                "k=ed25519; v=DKIM1; p=AAAA",
                malformed("v= must come first and be DKIM1"),
            ),
            (
                "k=ed25519; h=sha1; p=AAAA",
                Err(SelectorMismatch::HashNotAllowed("sha1".to_owned())),
            ),
            (
                "k=ed25519; s=tlsrpt; p=AAAA",
                Err(SelectorMismatch::NotForEmail("tlsrpt".to_owned())),
            ),
            ("k=ed25519", malformed("no p= tag")),
            ("k=ed25519; p=!!", malformed("p= is not base64")),
            ("k=ed25519; p", malformed("a tag without `=`")),
        ] {
            assert_eq!(ed.check_record(record), expected, "{record}");
        }
    }

    #[test]
    fn names_must_be_dns_names() {
        assert!(is_dns_name("acme.example"));
        assert!(is_dns_name("tg1"));
        assert!(is_dns_name("s_2024.eu"));
        assert!(!is_dns_name(""));
        assert!(!is_dns_name("acme..example"));
        assert!(!is_dns_name("tg1; x=y"));
    }

    #[test]
    fn non_keys_are_refused_without_quoting_them() {
        let cases = [
            ("hunter2-not-a-pem", "no PEM"),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END ENCRYPTED PRIVATE KEY-----",
                "encrypted",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END OPENSSH PRIVATE KEY-----",
                "OPENSSH PRIVATE KEY",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END RSA PRIVATE KEY-----",
                "malformed PKCS#1",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----",
                "malformed PKCS#8",
            ),
        ];
        for (pem, expected) in cases {
            let err = match SigningKey::from_pem(&Secret::new(pem)) {
                Ok(_) => panic!("{expected}: accepted"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(expected), "{err}");
            assert!(
                !err.contains("c2VjcmV0") && !err.contains("hunter2"),
                "{err}"
            );
        }
    }
}
