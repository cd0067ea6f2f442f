//! Bearer tokens → principals. `Service` admits service and operator tokens, `Operator` only
//! operator ones. No token or an unknown one: 401; a known token of the wrong role: 403.

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
        authenticate(parts, state).map(Service)
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        require(parts, state, Role::Operator).map(Operator)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        require(parts, state, Role::Admin).map(Admin)
    }
}

/// The principal, when its role includes `needed`; 403 otherwise.
fn require(parts: &Parts, state: &AppState, needed: Role) -> Result<Principal, ApiError> {
    let p = authenticate(parts, state)?;
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
pub fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
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
    let token = token.trim().as_bytes();
    if token.is_empty() {
        return Err(ApiError::Unauthorized);
    }
    // Compare against every token without stopping early.
    let mut found = None;
    for (t, p) in state.tokens.iter() {
        if !t.is_empty() && crate::signing::ct_eq(t.as_bytes(), token) && found.is_none() {
            found = Some(p);
        }
    }
    found.cloned().ok_or(ApiError::Unauthorized)
}

/// Who did it, for audit rows: the `X-Touchgate-Actor` header, else the token's description.
pub fn actor(parts_headers: &axum::http::HeaderMap, p: &Principal) -> String {
    parts_headers
        .get("x-touchgate-actor")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200 && !v.chars().any(char::is_control))
        .map_or_else(|| actor_of(p), str::to_owned)
}

/// The token's own identity, for audit rows.
pub fn actor_of(p: &Principal) -> String {
    let role = match p.role {
        Role::Admin => "admin",
        Role::Operator => "operator",
        Role::Service => "service",
    };
    format!("{role} token of workspace {}", p.workspace)
}
