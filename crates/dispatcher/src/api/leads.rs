//! `PUT|GET /v1/leads/{id}`: the people contacted, stored with normalised contacts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use axum::http::HeaderMap;

use super::auth::{Operator, Service, actor};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, IdPath, Params};
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

/// Erases a lead's personal data (contract "Privacy and evidence"): the lead answers 404
/// afterwards; its touches keep ids, statuses, reasons and times with recipients, content and
/// decision details replaced by keyed hashes (touches not yet decided for good are cancelled);
/// its DNC entries keep blocking its phone and email as keyed hashes; inbound messages from
/// its contacts lose their bodies. The erasure is an audit record of its own (`lead_erase`),
/// listing every row it changed, so `touchgate audit verify` still passes.
#[utoipa::path(
    delete,
    path = "/v1/leads/{id}",
    tag = "leads",
    params(
        ("id" = String, Path, description = "Lead id"),
        ("erase" = bool, Query, description = "Must be `true`: erasure cannot be undone"),
        ("X-Touchgate-Actor" = Option<String>, Header, description = "Who erases (for the audit log)"),
    ),
    responses(
        (status = 200, description = "What was erased", body = Object),
        (status = 400, description = "`erase` missing or not `true`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn erase_lead(
    State(state): State<AppState>,
    Operator(p): Operator,
    headers: HeaderMap,
    IdPath(id): IdPath,
    mut params: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    match params.take("erase")?.as_deref() {
        Some("true") => {}
        Some(_) => {
            return Err(ApiError::bad_request(
                "erase",
                "must be `true`: erasure removes the lead's personal data for good",
            ));
        }
        None => {
            return Err(ApiError::bad_request(
                "erase",
                "required (`erase=true`): a lead is only ever deleted by erasing it",
            ));
        }
    }
    params.finish()?;
    let by = actor(&headers, &p);
    let erased = state
        .store
        .erase_lead(&p.workspace, &id, &by, state.clock.now())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no lead `{id}`")))?;
    tracing::info!(
        workspace = %p.workspace,
        lead_id = %id,
        erased_by = %by,
        touches = erased.touches,
        dnc = erased.dnc.len(),
        "lead erased"
    );
    Ok(Json(serde_json::json!({
        "id": id,
        "erased": true,
        "touches": erased.touches,
        "cancelled": erased.cancelled,
        "decisions": erased.decisions.len(),
        "dnc": erased.dnc,
        "inbound": erased.inbound,
    })))
}
