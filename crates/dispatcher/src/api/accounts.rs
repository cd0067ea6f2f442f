//! `PUT|GET /v1/accounts/{id}`: sender identities and their settings.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::auth::{Operator, Service, actor_of};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, IdPath};
use super::with_id;
use crate::app::AppState;
use crate::domain::AccountBody;

/// Creates or replaces an account (201 when created, 200 when replaced).
#[utoipa::path(
    put,
    path = "/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    request_body = AccountBody,
    responses(
        (status = 201, description = "Created; the stored document with its id", body = ref("#/components/schemas/Account")),
        (status = 200, description = "Replaced; the stored document with its id", body = ref("#/components/schemas/Account")),
        (status = 400, description = "Invalid document (the field is named)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_account(
    State(state): State<AppState>,
    Operator(p): Operator,
    IdPath(id): IdPath,
    ApiJson(mut body): ApiJson<AccountBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    body.normalise()?;
    let now = state.clock.now();
    let created = state
        .store
        .put_account_by(&p.workspace, &id, &body, &actor_of(&p), now)
        .await?;
    tracing::info!(workspace = %p.workspace, account_id = %id, created, "account stored");
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(with_id(&body, &id)?)))
}

/// Returns an account.
#[utoipa::path(
    get,
    path = "/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account with its id", body = ref("#/components/schemas/Account")),
        (status = 400, description = "A bad id in the path (empty, over 255 bytes, or with control characters; field `id`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_account(
    State(state): State<AppState>,
    Service(p): Service,
    IdPath(id): IdPath,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body = state
        .store
        .get_account(&p.workspace, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no account `{id}`")))?;
    let mut doc = with_id(&body.body, &id)?;
    let health = state.store.account_health(&p.workspace, &id).await?;
    if let Some(map) = doc.as_object_mut() {
        map.insert(
            "health".to_owned(),
            serde_json::to_value(&health).map_err(ApiError::internal)?,
        );
    }
    Ok(Json(doc))
}

/// Lifts a sender-health pause of the account's email (its rates start again from now).
#[utoipa::path(
    post,
    path = "/v1/accounts/{id}/channels/email/resume",
    tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account's health after the resume", body = Object),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "Its email was not paused for health", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resume_email(
    State(state): State<AppState>,
    Operator(p): Operator,
    headers: axum::http::HeaderMap,
    IdPath(id): IdPath,
) -> Result<Json<serde_json::Value>, ApiError> {
    if state.store.get_account(&p.workspace, &id).await?.is_none() {
        return Err(ApiError::not_found(format!("no account `{id}`")));
    }
    let by = super::auth::actor(&headers, &p);
    if !state
        .store
        .resume_channel(
            &p.workspace,
            &id,
            gate::Channel::Email,
            &by,
            state.clock.now(),
        )
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "account `{id}`: email is not paused for sender health"
        )));
    }
    tracing::info!(workspace = %p.workspace, account_id = %id, by = %by, "sender health: email resumed");
    let health = state.store.account_health(&p.workspace, &id).await?;
    Ok(Json(serde_json::json!({ "id": id, "health": health })))
}
