//! Extractors that answer in the API's error shape: JSON bodies (400 naming the field, 413
//! over the limit), path ids and query parameters.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::{body_limit, check_id};
use crate::app::AppState;

/// A JSON body parsed into `T` (unknown fields are rejected by `T` itself).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The raw body, within the configured limit; 408 when it stalls past `[server]
/// body_timeout_ms` (the body timeout layer's error, found in the rejection's causes).
pub async fn read_body(req: Request, state: &AppState) -> Result<Bytes, ApiError> {
    let limit = body_limit(&state.config);
    Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else if body_timed_out(&r) {
            ApiError::BodyTimeout {
                timeout_ms: state.config.server.limits().body_timeout_ms,
            }
        } else {
            ApiError::bad_request_no_field(r.body_text())
        }
    })
}

/// Whether reading the body failed because it stalled (`tower_http`'s body timeout).
fn body_timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Parses a JSON body into `T` strictly ([`super::strict_json`]), naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    super::strict_json::parse(bytes)
}

/// Parses a JSON value (one item of a batch, a body with a field taken out) into `T`.
pub fn parse_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ApiError> {
    super::strict_json::from_value(value)
}

/// The `{id}` of the path, checked.
#[derive(Debug)]
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request("id", e.body_text()))?;
        check_id(&id, "id")?;
        Ok(IdPath(id))
    }
}

/// Query parameters, taken one by one; whatever is left unread is an unknown parameter.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request_no_field(e.body_text()))?;
        Ok(Params(pairs))
    }
}

impl Params {
    /// Parameters taken from elsewhere (the console's normalised filter form).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params(pairs)
    }

    /// The value of `name`; empty means absent (`?account_id=&…` filters nothing). Given twice: 400.
    pub fn take(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        let mut found = None;
        let mut rest = Vec::with_capacity(self.0.len());
        for (k, v) in self.0.drain(..) {
            if k == name {
                if found.is_some() {
                    return Err(ApiError::bad_request(name, "given more than once"));
                }
                found = Some(v);
            } else {
                rest.push((k, v));
            }
        }
        self.0 = rest;
        Ok(found.filter(|v| !v.trim().is_empty()))
    }

    /// Fails on the first parameter nobody took.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.0.into_iter().next() {
            Some((k, _)) => Err(ApiError::bad_request(k, "unknown query parameter")),
            None => Ok(()),
        }
    }
}
