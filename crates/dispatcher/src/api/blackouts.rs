//! `POST /v1/blackouts`, `GET /v1/blackouts`, `DELETE /v1/blackouts/{id}` (operator):
//! region-wide suspensions of the operator's workspace (declared emergencies, company
//! holidays). Every change is audited; the gate holds touches in an active one (`blackout`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;

use super::auth::{Operator, actor};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, IdPath};
use crate::app::AppState;
use crate::domain::BlackoutBody;
use crate::store::BlackoutRow;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlackoutList {
    #[schema(value_type = Vec<Object>)]
    pub blackouts: Vec<BlackoutRow>,
}

/// Declares a blackout.
#[utoipa::path(
    post,
    path = "/v1/blackouts",
    tag = "blackouts",
    request_body = BlackoutBody,
    responses(
        (status = 201, description = "The blackout, with its `id`", body = Object),
        (status = 400, description = "Invalid body (the field is named)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add(
    State(state): State<AppState>,
    Operator(p): Operator,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BlackoutBody>,
) -> Result<(StatusCode, Json<BlackoutRow>), ApiError> {
    let now = state.clock.now();
    body.validate(now)?;
    let by = actor(&headers, &p);
    let id = uuid::Uuid::now_v7().to_string();
    let row = state
        .store
        .add_blackout(&p.workspace, &id, &body, &by, now)
        .await?;
    tracing::info!(workspace = %p.workspace, blackout_id = %id, region = %row.region, ends_at = %row.ends_at, "blackout declared");
    Ok((StatusCode::CREATED, Json(row)))
}

/// The workspace's blackouts.
#[utoipa::path(
    get,
    path = "/v1/blackouts",
    tag = "blackouts",
    responses((status = 200, body = BlackoutList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Operator(p): Operator,
) -> Result<Json<BlackoutList>, ApiError> {
    Ok(Json(BlackoutList {
        blackouts: state.store.list_blackouts(&p.workspace).await?,
    }))
}

/// Lifts a blackout (kept for audit); the touches it held are decided again at once.
#[utoipa::path(
    delete,
    path = "/v1/blackouts/{id}",
    tag = "blackouts",
    params(("id" = String, Path, description = "Blackout id")),
    responses(
        (status = 200, description = "The blackout lifted", body = Object),
        (status = 404, description = "No such blackout (or already lifted)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove(
    State(state): State<AppState>,
    Operator(p): Operator,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> Result<Json<BlackoutRow>, ApiError> {
    let not_found = || ApiError::not_found(format!("no blackout `{id}`"));
    let row = state
        .store
        .get_blackout(&p.workspace, &id)
        .await?
        .ok_or_else(not_found)?;
    let by = actor(&headers, &p);
    if !state
        .store
        .remove_blackout(&p.workspace, &id, &by, state.clock.now())
        .await?
    {
        return Err(not_found());
    }
    // The touches it held are due now: wake the dispatcher.
    state.wake.notify_one();
    tracing::info!(workspace = %p.workspace, blackout_id = %id, removed_by = %by, "blackout lifted");
    Ok(Json(row))
}
