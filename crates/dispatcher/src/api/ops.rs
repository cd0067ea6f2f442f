//! Operator tools: dispatch everything due now, and move the test clock.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::Operator;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::app::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Drained {
    /// Touches decided (and sent, snoozed, blocked …) by this call.
    pub processed: usize,
}

/// Decides and sends every touch of the caller's workspace due at the daemon's clock, waits
/// for the work requests started in the background (opt-out confirmations), seals what was
/// written into the audit chains, then answers. Other workspaces' touches are left to the dispatcher.
#[utoipa::path(
    post,
    path = "/v1/dispatch/drain",
    tag = "operations",
    responses(
        (status = 200, description = "How many of the workspace's touches were processed", body = Drained),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn drain(
    State(state): State<AppState>,
    Operator(p): Operator,
) -> Result<Json<Drained>, ApiError> {
    let processed = state.dispatcher.drain(Some(&p.workspace)).await?;
    // And what requests started in the background (opt-out confirmations) has finished.
    state.background.settle().await;
    // And content past its retention is gone, and what was written is in the audit chains.
    crate::daemon::apply_retention(&state).await?;
    state.store.seal_pending(state.clock.now()).await?;
    tracing::info!(workspace = %p.workspace, processed, "dispatch drained on request");
    Ok(Json(Drained { processed }))
}

/// `POST /v1/test/clock`.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    /// RFC 3339.
    #[serde(with = "crate::domain::time::rfc3339")]
    #[schema(value_type = String)]
    pub now: DateTime<Utc>,
}

/// Sets the daemon's clock. Exists only when the daemon runs on a fake clock
/// (`TOUCHGATE_FAKE_CLOCK`); 404 otherwise.
#[utoipa::path(
    post,
    path = "/v1/test/clock",
    tag = "operations",
    request_body = ClockBody,
    responses(
        (status = 200, description = "The clock now", body = ClockBody),
        (status = 404, description = "The daemon runs on the system clock", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_clock(
    State(state): State<AppState>,
    auth: Result<Operator, ApiError>,
    body: Result<ApiJson<ClockBody>, ApiError>,
) -> Result<Json<ClockBody>, ApiError> {
    // On the system clock the endpoint does not exist, whoever asks.
    if !state.clock.is_fake() {
        return Err(ApiError::not_found("no such endpoint"));
    }
    let Operator(p) = auth?;
    let ApiJson(body) = body?;
    if !state.clock.set(body.now) {
        return Err(ApiError::not_found("no such endpoint"));
    }
    tracing::info!(workspace = %p.workspace, now = %body.now, "test clock set");
    state.wake.notify_one();
    Ok(Json(ClockBody {
        now: state.clock.now(),
    }))
}
