//! `PUT|GET /v1/leads/{id}`: the people contacted, stored with normalised contacts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::auth::Service;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, IdPath};
use super::with_id;
use crate::app::AppState;
use crate::domain::LeadBody;

/// Creates or replaces a lead (201 when created, 200 when replaced). Phones become E.164
/// (numbers without `+` read in the workspace's default region), emails are lower-cased.
#[utoipa::path(
    put,
    path = "/v1/leads/{id}",
    tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    request_body = LeadBody,
    responses(
        (status = 201, description = "Created; the normalised document with its id", body = ref("#/components/schemas/Lead")),
        (status = 200, description = "Replaced; the normalised document with its id", body = ref("#/components/schemas/Lead")),
        (status = 400, description = "Invalid document (the field is named, e.g. `phone`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_lead(
    State(state): State<AppState>,
    Service(p): Service,
    IdPath(id): IdPath,
    ApiJson(mut body): ApiJson<LeadBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let ws = state.config.workspace(&p.workspace);
    let contacts = body.normalise(&ws.default_region)?;
    let created = state
        .store
        .put_lead(&p.workspace, &id, &body, &contacts, state.clock.now())
        .await?;
    tracing::info!(workspace = %p.workspace, lead_id = %id, created, "lead stored");
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(with_id(&body, &id)?)))
}

/// Returns a lead (normalised).
#[utoipa::path(
    get,
    path = "/v1/leads/{id}",
    tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    responses(
        (status = 200, description = "The lead with its id", body = ref("#/components/schemas/Lead")),
        (status = 400, description = "A bad id in the path (empty, over 255 bytes, or with control characters; field `id`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_lead(
    State(state): State<AppState>,
    Service(p): Service,
    IdPath(id): IdPath,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body = state
        .store
        .get_lead(&p.workspace, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no lead `{id}`")))?;
    Ok(Json(with_id(&body.body, &id)?))
}
