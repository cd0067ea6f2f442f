//! The do-not-contact list: add, list, read, remove (soft, audited).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::Value;

use super::auth::{Operator, actor, actor_of};
use super::check_id;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, IdPath, Params};
use crate::app::{AppState, Principal};
use crate::domain::{DncBody, canonical_contact};
use crate::store::DncRow;

/// Default and largest number of entries `GET /v1/dnc` returns.
pub const DEFAULT_LIST: i64 = 1000;
pub const MAX_LIST: i64 = 10_000;

/// `GET /v1/dnc`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DncList {
    /// Entries not removed (expired ones included, with their `expires_at`), oldest first.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<Value>,
}

/// Adds an entry. `contact` is canonicalised (E.164, lower-cased email, LinkedIn id).
///
/// An open, open-ended contact entry (no `lead_id`, no `expires_at`) with reason
/// `customer_request`, `opt_out_reply` or `provider_unsubscribed` exists at most once per
/// contact, channel and reason: adding the same one again creates nothing and answers 200 with
/// the entry already open (its own `source`, `added_by` and `created_at`).
#[utoipa::path(
    post,
    path = "/v1/dnc",
    tag = "dnc",
    request_body = DncBody,
    responses(
        (status = 201, description = "Created; the entry: id, contact, lead_id, channel, reason, source, added_by, created_at, expires_at", body = Object),
        (status = 200, description = "The same open entry exists (same contact, channel and reason; no lead_id, no expires_at; reason customer_request, opt_out_reply or provider_unsubscribed): nothing created, the existing entry returned", body = Object),
        (status = 400, description = "Invalid entry (the field is named)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add_dnc(
    State(state): State<AppState>,
    Operator(p): Operator,
    headers: HeaderMap,
    ApiJson(body): ApiJson<DncBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let by = actor(&headers, &p);
    let (row, created) = add_entry(&state, &p, &by, body).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(serde_json::to_value(row).map_err(ApiError::internal)?),
    ))
}

/// Adds an entry for `p` (`POST /v1/dnc` and the console's form): the contact canonicalised,
/// the fields checked, `added_by` defaulting to `by`, the addition audited with the token.
/// Returns the entry and whether this call created it.
pub(crate) async fn add_entry(
    state: &AppState,
    p: &Principal,
    by: &str,
    mut body: DncBody,
) -> Result<(DncRow, bool), ApiError> {
    let now = state.clock.now();
    let ws = state.config.workspace(&p.workspace);
    let contact = match body.contact.as_deref() {
        None => None,
        Some(c) if c.trim().is_empty() => {
            return Err(ApiError::bad_request(
                "contact",
                "must not be empty (omit it or give a contact)",
            ));
        }
        Some(c) => Some(canonical_contact(c, &ws.default_region, "contact")?),
    };
    if let Some(l) = &body.lead_id {
        check_id(l, "lead_id")?;
    }
    if contact.is_none() && body.lead_id.is_none() {
        return Err(ApiError::bad_request(
            "contact",
            "give a contact or a lead_id (or both)",
        ));
    }
    if body.expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::bad_request("expires_at", "is in the past"));
    }
    for (field, v) in [("source", &body.source), ("added_by", &body.added_by)] {
        if v.as_ref().is_some_and(|v| v.len() > 255) {
            return Err(ApiError::bad_request(field, "must be at most 255 bytes"));
        }
    }
    if body.added_by.as_deref().is_none_or(|a| a.trim().is_empty()) {
        body.added_by = Some(by.to_owned());
    }
    body.contact.clone_from(&contact);
    let id = uuid::Uuid::now_v7().to_string();
    let (row, created) = state
        .store
        .ensure_dnc(&p.workspace, &id, &body, contact.as_deref(), now)
        .await?;
    if created {
        // The contact as its keyed hash: the audit log is sealed into the chain as written
        // and kept for good, so it must not hold personal data an erasure has to remove (the
        // entry itself, named by the subject, holds the contact until then).
        let hashed = row
            .contact
            .as_deref()
            .map(|c| state.store.privacy().hashed(c));
        let detail = serde_json::json!({
            "contact": hashed, "lead_id": row.lead_id, "channel": row.channel.as_str(),
            "reason": row.reason.as_str(), "added_by": row.added_by,
        });
        state
            .store
            .record_audit(&p.workspace, now, &actor_of(p), "dnc_add", &row.id, &detail)
            .await?;
        tracing::info!(workspace = %p.workspace, dnc_id = %row.id, channel = %row.channel, reason = row.reason.as_str(), "DNC entry added");
    } else {
        tracing::info!(workspace = %p.workspace, dnc_id = %row.id, channel = %row.channel, reason = row.reason.as_str(), "DNC entry already open; nothing added");
    }
    Ok((row, created))
}

/// Lists entries for a contact (canonicalised), or all of the workspace's.
#[utoipa::path(
    get,
    path = "/v1/dnc",
    tag = "dnc",
    params(
        ("contact" = Option<String>, Query, description = "A phone, email or LinkedIn URL; canonicalised before matching"),
        ("limit" = Option<i64>, Query, description = "At most this many (default 1000, at most 10000)"),
    ),
    responses(
        (status = 200, description = "The entries", body = DncList),
        (status = 400, description = "Bad parameter (named)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_dnc(
    State(state): State<AppState>,
    Operator(p): Operator,
    mut params: Params,
) -> Result<Json<DncList>, ApiError> {
    let ws = state.config.workspace(&p.workspace);
    let contact = params
        .take("contact")?
        .map(|c| canonical_contact(&c, &ws.default_region, "contact"))
        .transpose()?;
    let limit = params
        .take("limit")?
        .map(|v| match v.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_LIST).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(
                "limit",
                format!("expected an integer from 1 to {MAX_LIST}"),
            )),
        })
        .transpose()?
        .unwrap_or(DEFAULT_LIST);
    params.finish()?;
    let rows = state
        .store
        .list_dnc(&p.workspace, contact.as_deref(), limit)
        .await?;
    let entries = rows
        .into_iter()
        .map(|r| serde_json::to_value(r).map_err(ApiError::internal))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(DncList { entries }))
}

/// Returns one entry (also a removed one, with who removed it and why).
#[utoipa::path(
    get,
    path = "/v1/dnc/{id}",
    tag = "dnc",
    params(("id" = String, Path, description = "DNC entry id")),
    responses(
        (status = 200, description = "The entry", body = Object),
        (status = 400, description = "A bad id in the path (empty, over 255 bytes, or with control characters; field `id`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_dnc(
    State(state): State<AppState>,
    Operator(p): Operator,
    IdPath(id): IdPath,
) -> Result<Json<Value>, ApiError> {
    let row = state
        .store
        .get_dnc(&p.workspace, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no DNC entry `{id}`")))?;
    Ok(Json(serde_json::to_value(row).map_err(ApiError::internal)?))
}

/// Removes an entry (soft: kept with `removed_at`, `removed_by`, `removed_reason`) and
/// audits who and why. `removed_by` is the `X-Touchgate-Actor` header, else the token's
/// description.
#[utoipa::path(
    delete,
    path = "/v1/dnc/{id}",
    tag = "dnc",
    params(
        ("id" = String, Path, description = "DNC entry id"),
        ("reason" = String, Query, description = "Why it is removed (required)"),
        ("X-Touchgate-Actor" = Option<String>, Header, description = "Who removes it (for the audit log)"),
    ),
    responses(
        (status = 200, description = "The removed entry", body = Object),
        (status = 400, description = "`reason` missing, or a bad id in the path (field `id`)", body = ErrorBody),
        (status = 404, description = "Unknown entry", body = ErrorBody),
        (status = 409, description = "Already removed", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove_dnc(
    State(state): State<AppState>,
    Operator(p): Operator,
    headers: HeaderMap,
    IdPath(id): IdPath,
    mut params: Params,
) -> Result<Json<Value>, ApiError> {
    let reason = params
        .take("reason")?
        .ok_or_else(|| ApiError::bad_request("reason", "required: say why the entry is removed"))?;
    if reason.len() > 1000 {
        return Err(ApiError::bad_request(
            "reason",
            "must be at most 1000 bytes",
        ));
    }
    params.finish()?;
    let row = remove_entry(&state, &p, &id, &actor(&headers, &p), reason.trim()).await?;
    Ok(Json(serde_json::to_value(row).map_err(ApiError::internal)?))
}

/// Removes an entry of `p`'s workspace (soft, audited with `by`): `DELETE /v1/dnc/{id}` and
/// the console's form. 404 for an unknown entry, 409 for one removed already.
pub(crate) async fn remove_entry(
    state: &AppState,
    p: &Principal,
    id: &str,
    by: &str,
    reason: &str,
) -> Result<DncRow, ApiError> {
    let removed = state
        .store
        .remove_dnc(&p.workspace, id, by, reason, state.clock.now())
        .await?;
    let row = state
        .store
        .get_dnc(&p.workspace, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no DNC entry `{id}`")))?;
    if !removed {
        return Err(ApiError::Conflict(format!(
            "DNC entry `{id}` was already removed"
        )));
    }
    tracing::info!(workspace = %p.workspace, dnc_id = %id, removed_by = %by, "DNC entry removed");
    Ok(row)
}
