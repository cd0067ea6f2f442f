//! The API's one error type and its JSON shape: `{"error": {"code", "message", "field"?}}`.

use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::dispatch::DispatchError;
use crate::domain::FieldError;
use crate::store::StoreError;

/// Every way a request can fail. `Internal` keeps its cause for the log and never shows it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    #[error("missing or unknown bearer token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The error document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `payload_too_large`, `method_not_allowed`, `internal`.
    pub code: String,
    pub message: String,
    /// The request field (or query parameter) at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn bad_request_no_field(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            field: None,
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::NotFound(what.into())
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(e.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The JSON document of this error (also used for the per-item errors of a batch).
    pub fn body(&self) -> ErrorBody {
        let field = match self {
            ApiError::BadRequest { field, .. } => field.clone(),
            _ => None,
        };
        let message = match self {
            ApiError::Internal(_) => "internal error; see the daemon's log".to_owned(),
            other => other.to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                field,
            },
        }
    }

    /// Logs an internal error's cause chain (once, where it is answered).
    pub fn log(&self) {
        if let ApiError::Internal(e) = self {
            tracing::error!(cause = %format!("{e:#}"), "request failed with an internal error");
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let mut res = (self.status(), axum::Json(self.body())).into_response();
        if matches!(self, ApiError::Unauthorized) {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> ApiError {
        ApiError::BadRequest {
            field: Some(e.field),
            message: e.message,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::Internal(e.into())
    }
}

impl From<DispatchError> for ApiError {
    fn from(e: DispatchError) -> ApiError {
        ApiError::Internal(e.into())
    }
}

/// Turns a JSON body rejection into a 400 that names the field serde pointed at.
pub(crate) fn from_json_rejection(rej: &JsonRejection, limit: usize) -> ApiError {
    match rej {
        JsonRejection::JsonDataError(_) => {
            let (field, message) = describe_data_error(&rej.body_text());
            ApiError::BadRequest { field, message }
        }
        JsonRejection::JsonSyntaxError(_) => {
            let text = rej.body_text();
            let detail = text.split_once(": ").map_or(text.as_str(), |(_, d)| d);
            ApiError::bad_request_no_field(format!("the body is not valid JSON: {detail}"))
        }
        _ if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit },
        _ => ApiError::bad_request_no_field(rej.body_text()),
    }
}

/// Splits axum's (serde_path_to_error's) message — `Failed to deserialize …: <path>: <serde
/// message> at line L column C` — into the field it names and a readable message.
pub(crate) fn describe_data_error(text: &str) -> (Option<String>, String) {
    let detail = text
        .split_once("into the target type: ")
        .map_or(text, |(_, d)| d);
    let detail = strip_position(detail);
    let (path, msg) = match detail.split_once(": ") {
        Some((p, m)) if is_path(p) => (Some(p), m),
        _ => (None, detail),
    };
    let named = backticked_after(msg, "unknown field `")
        .or_else(|| backticked_after(msg, "missing field `"));
    let field = match (path, named) {
        // serde_path_to_error's path already ends at an unknown field, not at a missing one.
        (Some(p), Some(n)) if p == n || p.ends_with(&format!(".{n}")) => Some(p.to_owned()),
        (Some(p), Some(n)) => Some(format!("{p}.{n}")),
        (None, Some(n)) => Some(n.to_owned()),
        (Some(p), None) => Some(p.to_owned()),
        (None, None) => None,
    };
    (field, detail.to_owned())
}

fn strip_position(s: &str) -> &str {
    match s.rfind(" at line ") {
        Some(i) if s.get(i..).is_some_and(|rest| rest.contains(" column ")) => {
            s.get(..i).unwrap_or(s)
        }
        _ => s,
    }
}

fn is_path(p: &str) -> bool {
    !p.is_empty()
        && p != "."
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-' | '?'))
}

fn backticked_after<'a>(msg: &'a str, prefix: &str) -> Option<&'a str> {
    let start = msg.find(prefix)? + prefix.len();
    let rest = msg.get(start..)?;
    let end = rest.find('`')?;
    rest.get(..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fields() {
        let p = "Failed to deserialize the JSON body into the target type: ";
        assert_eq!(
            describe_data_error(&format!(
                "{p}foo: unknown field `foo`, expected one of `a`, `b` at line 1 column 7"
            ))
            .0,
            Some("foo".to_owned())
        );
        assert_eq!(
            describe_data_error(&format!("{p}missing field `lead_id` at line 1 column 20")).0,
            Some("lead_id".to_owned())
        );
        assert_eq!(
            describe_data_error(&format!(
                "{p}content: missing field `body` at line 1 column 20"
            ))
            .0,
            Some("content.body".to_owned())
        );
        assert_eq!(
            describe_data_error(&format!(
                "{p}channel: unknown channel `fax` (expected email) at line 1 column 20"
            )),
            (
                Some("channel".to_owned()),
                "channel: unknown channel `fax` (expected email)".to_owned()
            )
        );
        assert_eq!(
            describe_data_error(&format!(
                "{p}content.x: unknown field `x`, expected `subject` or `body` at line 1 column 9"
            ))
            .0,
            Some("content.x".to_owned())
        );
        assert_eq!(
            describe_data_error(&format!("{p}consents[0].channel: invalid type: integer `5`, expected a string at line 1 column 9")).0,
            Some("consents[0].channel".to_owned())
        );
        assert_eq!(
            describe_data_error(&format!(
                "{p}invalid type: sequence, expected struct TouchBody at line 1 column 1"
            ))
            .0,
            None
        );
    }
}
