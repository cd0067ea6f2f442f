//! Bearer tokens → principals. `Service` admits service and operator tokens, `Operator` only
//! operator ones. No token, an unknown or a revoked one: 401; a known token of the wrong role:
//! 403. Tokens come from the config, the environment and the database ([`crate::tokens`]).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::app::{AppState, Principal};
use crate::config::Role;

/// A caller with at least the `service` role.
#[derive(Debug, Clone)]
pub struct Service(pub Principal);

/// A caller with the `operator` role (or `admin`).
#[derive(Debug, Clone)]
pub struct Operator(pub Principal);

/// A caller with the `admin` role: may change what the installation shares.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Service {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await.map(Service)
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        require(parts, state, Role::Operator).await.map(Operator)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        require(parts, state, Role::Admin).await.map(Admin)
    }
}

/// The principal, when its role includes `needed`; 403 otherwise.
async fn require(parts: &Parts, state: &AppState, needed: Role) -> Result<Principal, ApiError> {
    let p = authenticate(parts, state).await?;
    if !p.role.includes(needed) {
        let role = match needed {
            Role::Admin => "an admin",
            _ => "an operator",
        };
        tracing::info!(workspace = %p.workspace, path = %parts.uri.path(), "token refused: {role} token is needed");
        return Err(ApiError::Forbidden(format!(
            "this endpoint needs {role} token"
        )));
    }
    Ok(p)
}

/// The principal of the request's bearer token.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthorized)?
        .to_str()
        .map_err(|_| ApiError::Unauthorized)?;
    let (scheme, token) = header
        .trim()
        .split_once(' ')
        .ok_or(ApiError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized);
    }
    crate::tokens::principal_of(&state.tokens, &state.store, token.trim())
        .await?
        .ok_or(ApiError::Unauthorized)
}

/// Who did it, for audit rows: the `X-Touchgate-Actor` header beside the token's identity
/// (the header is what the client says; the token is always recorded).
pub fn actor(parts_headers: &axum::http::HeaderMap, p: &Principal) -> String {
    parts_headers
        .get("x-touchgate-actor")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200 && !v.chars().any(char::is_control))
        .map_or_else(|| actor_of(p), |named| named_actor(named, p))
}

/// `named` (what the client says) with the token's identity.
pub fn named_actor(named: &str, p: &Principal) -> String {
    format!("{named} via {}", actor_of(p))
}

/// The token's own identity, for audit rows: role, id, name and workspace.
pub fn actor_of(p: &Principal) -> String {
    format!(
        "{} token {} ({}) of workspace {}",
        p.role.as_str(),
        p.token_id,
        p.token_name,
        p.workspace
    )
}
