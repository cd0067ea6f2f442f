//! `POST /v1/evaluate`: the gate's decision for a touch at an instant, from the stored facts.
//! Records nothing and reserves nothing.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::auth::Service;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, parse_value};
use crate::app::AppState;
use crate::decide::EvaluateError;
use crate::domain::TouchBody;

/// The gate's answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Evaluation {
    /// The instant decided for.
    pub at: DateTime<Utc>,
    pub allowed: bool,
    /// The first failing check's reason code; null when allowed.
    pub reason: Option<String>,
    /// Earliest instant every time-based check passes together; null when time alone will
    /// not lift the block (or when allowed).
    pub retry_after: Option<DateTime<Utc>>,
    /// Every check in order: `{"check", "passed", "reason"?, "detail"?, "rule"?, "passes_at"?}`.
    #[schema(value_type = Vec<Object>)]
    pub checks: serde_json::Value,
}

/// Asks the gate directly.
#[utoipa::path(
    post,
    path = "/v1/evaluate",
    tag = "gate",
    request_body(content = TouchBody, description = "A touch body as for POST /v1/touches, plus an optional `at` (RFC 3339, default now)"),
    responses(
        (status = 200, description = "The decision the gate would make at that instant", body = Evaluation),
        (status = 400, description = "Invalid touch, or unknown account/lead (the field is named)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn evaluate(
    State(state): State<AppState>,
    Service(p): Service,
    ApiJson(mut raw): ApiJson<serde_json::Value>,
) -> Result<Json<Evaluation>, ApiError> {
    let now = state.clock.now();
    let obj = raw
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request_no_field("the body must be a JSON object"))?;
    let at = match obj.remove("at") {
        None | Some(serde_json::Value::Null) => now,
        Some(serde_json::Value::String(s)) => {
            crate::domain::time::parse_instant(&s).map_err(|e| ApiError::bad_request("at", e))?
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "at",
                "expected an RFC 3339 instant such as 2026-11-25T18:00:00Z",
            ));
        }
    };
    let body: TouchBody = parse_value(&raw)?;
    body.validate(now)?;

    let ws_name = p.workspace.as_str();
    let decision = state
        .dispatcher
        .evaluate(ws_name, &body, at)
        .await
        .map_err(|e| match e {
            EvaluateError::Field(f) => ApiError::from(f),
            EvaluateError::Store(s) => ApiError::from(s),
        })?;
    tracing::debug!(workspace = ws_name, allowed = decision.allowed, reason = ?decision.reason, "evaluate (dry run)");
    Ok(Json(Evaluation {
        at,
        allowed: decision.allowed,
        reason: decision.reason.map(|r| r.as_str().to_owned()),
        retry_after: decision.retry_after,
        checks: serde_json::to_value(&decision.checks).map_err(ApiError::internal)?,
    }))
}
