//! `POST /v1/touches/{id}/override` (operator): decide a `scheduled` or `blocked` touch again at
//! once with business checks waived; answers with that decision. Waiving a legal check is a
//! 400 naming it.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::auth::{Operator, actor_of};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, IdPath};
use crate::app::AppState;
use crate::dispatch::Waived;

/// `POST /v1/touches/{id}/override`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    /// Business checks to waive: `min_gap`, `hourly_limit`, `daily_limit`, `weekly_limit`,
    /// `recipient_cap`, `template_unapproved`, `account_quiet_hours`.
    pub waive: Vec<String>,
    /// Why (recorded with the decision).
    pub reason: String,
    /// Who asked, as the operator names them (the token's identity is recorded always).
    #[serde(default)]
    pub added_by: Option<String>,
}

/// The decision an override made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OverrideDecision {
    #[schema(value_type = String)]
    pub at: chrono::DateTime<chrono::Utc>,
    pub allowed: bool,
    pub reason: Option<String>,
    #[schema(value_type = Option<String>)]
    pub retry_after: Option<chrono::DateTime<chrono::Utc>>,
    #[schema(value_type = Vec<Object>)]
    pub checks: serde_json::Value,
    /// `{"waived", "reason", "added_by", "token"}`.
    #[serde(rename = "override")]
    #[schema(value_type = Object)]
    pub override_: serde_json::Value,
    /// The touch's status after the decision (unchanged when it was not released).
    pub status: String,
}

/// Decides a held touch again with business checks waived.
#[utoipa::path(
    post,
    path = "/v1/touches/{id}/override",
    tag = "touches",
    params(("id" = String, Path, description = "Touch id")),
    request_body = OverrideBody,
    responses(
        (status = 200, description = "The decision made with the waivers", body = OverrideDecision),
        (status = 400, description = "A check that cannot be waived (a legal one) or an unknown one, named in `field` `waive`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The touch is not scheduled or blocked", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn override_touch(
    State(state): State<AppState>,
    Operator(p): Operator,
    _headers: HeaderMap,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<OverrideBody>,
) -> Result<Json<OverrideDecision>, ApiError> {
    if body.waive.is_empty() {
        return Err(ApiError::bad_request(
            "waive",
            "name at least one check to waive",
        ));
    }
    let waivers = gate::Waivers::parse(body.waive.iter().map(String::as_str))
        .map_err(|e| ApiError::bad_request("waive", e.to_string()))?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::bad_request(
            "reason",
            "say why the checks are waived",
        ));
    }
    let not_found = || ApiError::not_found(format!("no touch `{id}`"));
    let before = state
        .store
        .get_touch(&p.workspace, &id)
        .await?
        .ok_or_else(not_found)?;
    let waived = Waived::new(
        waivers,
        &body.waive,
        body.reason.trim(),
        body.added_by.as_deref(),
        &actor_of(&p),
    );
    let Some(done) = state
        .dispatcher
        .override_touch(&p.workspace, &id, &waived)
        .await?
    else {
        return Err(ApiError::Conflict(format!(
            "touch is {}; only a scheduled or blocked touch can be overridden",
            before.status.as_str()
        )));
    };
    let after = state
        .store
        .get_touch(&p.workspace, &id)
        .await?
        .ok_or_else(not_found)?;
    tracing::info!(workspace = %p.workspace, touch_id = %id, waived = ?body.waive, allowed = done.decision.allowed, "override decided");
    Ok(Json(OverrideDecision {
        at: done.decision.at,
        allowed: done.decision.allowed,
        reason: done.decision.reason.map(|r| r.as_str().to_owned()),
        retry_after: done.decision.retry_after,
        checks: serde_json::to_value(&done.decision.checks).map_err(ApiError::internal)?,
        override_: waived.record,
        status: after.status.as_str().to_owned(),
    }))
}
