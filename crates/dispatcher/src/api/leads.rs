//! `PUT|GET /v1/leads/{id}`: the people contacted, stored with normalised contacts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::auth::{Service, actor_of};
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
        (status = 201, description = "Created; the normalised document with its id", body = LeadBody),
        (status = 200, description = "Replaced; the normalised document with its id", body = LeadBody),
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
    let now = state.clock.now();
    let created = state
        .store
        .put_lead(&p.workspace, &id, &body, &contacts, now)
        .await?;
    // Who changed the lead, not what it holds (personal data stays out of the audit log).
    state
        .store
        .record_audit(
            &p.workspace,
            now,
            &actor_of(&p),
            "lead_put",
            &id,
            &serde_json::json!({ "created": created }),
        )
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
        (status = 200, description = "The lead with its id", body = LeadBody),
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
