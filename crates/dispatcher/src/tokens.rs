//! Bearer tokens and who holds them. Three sources, checked in this order on every request:
//! the `[[tokens]]` of the config file and the `TOUCHGATE_OPERATOR_TOKEN` /
//! `TOUCHGATE_SERVICE_TOKEN` variables (in memory, compared in constant time), then the
//! `tokens` table (`touchgate token create|list|revoke`, and the one operator token a daemon
//! makes on the installation's very first start).
//!
//! The table stores only the SHA-256 of a secret. The secret is 192 random bits, so a fast
//! hash is as strong as a slow one (nothing to brute-force), and an HMAC with an installation
//! secret would add nothing: that secret would live in the same database. The lookup is by the
//! hash (unique index), so the time it takes tells nothing about the secret. It is read on
//! every request rather than cached, so a revocation holds at once on every node; one indexed
//! read costs well under a millisecond (README, "Performance").

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::app::Principal;
use crate::config::{Config, DEFAULT_WORKSPACE, Role};
use crate::store::{Store, StoreError, TokenRecord};

/// Prefix of the ids of database tokens.
pub const DB_TOKEN_PREFIX: &str = "tok_";
/// Prefix of the ids of config-file tokens (the rest is taken from the secret's hash).
pub const CONFIG_TOKEN_PREFIX: &str = "cfg_";
/// Prefix of the ids of the environment's tokens (the rest is the variable's name).
pub const ENV_TOKEN_PREFIX: &str = "env_";

/// The name a token without one is shown under.
pub const UNNAMED: &str = "unnamed";

impl Role {
    /// The stored and printed name (`operator`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Service => "service",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Reads a stored or typed role.
    pub fn parse(s: &str) -> Result<Role, String> {
        match s {
            "service" => Ok(Role::Service),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}` (expected service, operator or admin)"
            )),
        }
    }

    fn secret_prefix(self) -> &'static str {
        match self {
            Role::Service => "tg_svc_",
            Role::Operator => "tg_op_",
            Role::Admin => "tg_adm_",
        }
    }
}

/// The hex SHA-256 of a secret: what the `tokens` table stores and looks up.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new token: the secret (shown once) and the row that stores its hash.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub secret: String,
    pub record: TokenRecord,
}

impl NewToken {
    /// A fresh random secret for `role` in `workspace`.
    pub fn generate(workspace: &str, role: Role, name: &str, now: DateTime<Utc>) -> NewToken {
        let secret = format!(
            "{}{}",
            role.secret_prefix(),
            hex::encode(rand::random::<[u8; 24]>())
        );
        NewToken {
            record: TokenRecord {
                id: format!("{DB_TOKEN_PREFIX}{}", uuid::Uuid::now_v7().simple()),
                workspace: workspace.to_owned(),
                role,
                name: name.to_owned(),
                created_at: now,
                revoked_at: None,
            },
            secret,
        }
    }

    pub fn hash(&self) -> String {
        hash(&self.secret)
    }
}

impl TokenRecord {
    /// Who holds it.
    pub fn principal(&self) -> Principal {
        Principal {
            workspace: self.workspace.clone(),
            role: self.role,
            token_id: self.id.clone(),
            token_name: self.name.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token from environment variable {0} is missing")]
    Env(String),
}

/// The tokens kept in memory: the config file's and the environment's, each with its
/// principal (the id of a config token is derived from its hash, so it is stable across
/// restarts and names no secret).
pub fn configured(config: &Config) -> Result<Vec<(String, Principal)>, TokenError> {
    let mut out = Vec::new();
    for (i, t) in config.tokens.iter().enumerate() {
        let value = match (&t.token, &t.token_env) {
            (Some(v), _) => v.clone(),
            (None, Some(env)) => std::env::var(env).map_err(|_| TokenError::Env(env.clone()))?,
            (None, None) => continue,
        };
        let id = format!(
            "{CONFIG_TOKEN_PREFIX}{}",
            hash(&value).get(..16).unwrap_or_default()
        );
        let name = t
            .name
            .clone()
            .unwrap_or_else(|| format!("config token {}", i + 1));
        out.push((
            value,
            Principal {
                workspace: t.workspace.clone(),
                role: t.role,
                token_id: id,
                token_name: name,
            },
        ));
    }
    // The environment's operator token is the installation's: an admin (contract v2).
    for (var, role) in [
        ("TOUCHGATE_OPERATOR_TOKEN", Role::Admin),
        ("TOUCHGATE_SERVICE_TOKEN", Role::Service),
    ] {
        if let Some(v) = std::env::var(var).ok().filter(|s| !s.is_empty()) {
            out.push((
                v,
                Principal {
                    workspace: DEFAULT_WORKSPACE.to_owned(),
                    role,
                    token_id: format!("{ENV_TOKEN_PREFIX}{var}"),
                    token_name: var.to_owned(),
                },
            ));
        }
    }
    Ok(out)
}

/// The holder of `secret`: a configured token (compared against every one, without stopping
/// early), else an unrevoked database token.
pub async fn principal_of(
    configured: &[(String, Principal)],
    store: &Store,
    secret: &str,
) -> Result<Option<Principal>, StoreError> {
    if secret.is_empty() {
        return Ok(None);
    }
    let mut found = None;
    for (t, p) in configured {
        if !t.is_empty()
            && crate::signing::ct_eq(t.as_bytes(), secret.as_bytes())
            && found.is_none()
        {
            found = Some(p);
        }
    }
    if let Some(p) = found {
        return Ok(Some(p.clone()));
    }
    Ok(store
        .active_token_by_hash(&hash(secret))
        .await?
        .map(|r| r.principal()))
}

/// The holder of the token with id `id`, if it is still valid (a console session's token:
/// a revoked database token, or a config token no longer configured, ends the session).
pub async fn principal_by_id(
    configured: &[(String, Principal)],
    store: &Store,
    id: &str,
) -> Result<Option<Principal>, StoreError> {
    if id.starts_with(DB_TOKEN_PREFIX) {
        return Ok(store.active_token_by_id(id).await?.map(|r| r.principal()));
    }
    Ok(configured
        .iter()
        .find(|(_, p)| p.token_id == id)
        .map(|(_, p)| p.clone()))
}

/// On a start with no configured token: the operator token of workspace `default`, made
/// only when the installation has never had a token (the database's `tokens` table is empty
/// and no daemon made one before). Returns the secret to print, once.
pub async fn first_start_token(
    configured: &[(String, Principal)],
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Option<NewToken>, StoreError> {
    if !configured.is_empty() {
        return Ok(None);
    }
    let new = NewToken::generate(DEFAULT_WORKSPACE, Role::Operator, "first start", now);
    Ok(store
        .insert_first_token(&new.record, &new.hash())
        .await?
        .then_some(new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_by_role_and_stored_as_their_sha256() {
        let now = Utc::now();
        let a = NewToken::generate("w", Role::Operator, "n", now);
        let b = NewToken::generate("w", Role::Service, "n", now);
        assert!(a.secret.starts_with("tg_op_") && a.secret.len() == 6 + 48);
        assert!(b.secret.starts_with("tg_svc_"));
        assert_ne!(a.secret, b.secret);
        assert_ne!(a.record.id, b.record.id);
        assert!(a.record.id.starts_with(DB_TOKEN_PREFIX));
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(a.hash(), hash(&a.secret));
        assert!(!a.hash().contains(&a.secret));
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Service, Role::Operator, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }
}
