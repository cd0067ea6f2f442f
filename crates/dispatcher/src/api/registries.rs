//! `POST /v1/registries/{name}/imports` (admin: registries are installation-wide) streams a
//! list into a registry; `GET /v1/registries` lists them; `GET /v1/registries/imports` (an
//! extension) lists the recent imports, applied or refused.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use futures::StreamExt;
use serde::Serialize;

use super::auth::{Admin, Operator, Service, actor_of};
use super::error::{ApiError, ErrorBody};
use super::extract::Params;
use crate::app::AppState;
use crate::registries::{ImportError, ImportRequest, ImportSummary, is_stale};

/// `[registries] max_import_bytes` default: 16 GiB.
pub const DEFAULT_MAX_IMPORT_BYTES: u64 = 16 * 1024 * 1024 * 1024;

/// One registry, as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistryInfo {
    pub name: String,
    pub entries: i64,
    /// The date the list is current to.
    #[schema(value_type = Option<String>)]
    pub as_of: Option<NaiveDate>,
    #[schema(value_type = String)]
    pub imported_at: chrono::DateTime<chrono::Utc>,
    /// `as_of` more than 31 days before now (or none).
    pub stale: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistryList {
    pub registries: Vec<RegistryInfo>,
}

/// Every registry in force.
#[utoipa::path(
    get,
    path = "/v1/registries",
    tag = "registries",
    responses(
        (status = 200, body = RegistryList),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>, Service(_caller): Service) -> Json<RegistryList> {
    let now = state.clock.now();
    let set = state.registries.snapshot();
    Json(RegistryList {
        registries: set
            .lists
            .values()
            .map(|l| RegistryInfo {
                name: l.row.name.clone(),
                entries: l.row.entries,
                as_of: l.row.as_of,
                imported_at: l.row.imported_at,
                stale: is_stale(l.row.as_of, now),
            })
            .collect(),
    })
}

/// Imports a list into a registry: `full` replaces it, `add` and `delete` apply a change list.
#[utoipa::path(
    post,
    path = "/v1/registries/{name}/imports",
    tag = "registries",
    params(
        ("name" = String, Path, description = "`national`, `state-XX`, `litigators` or `reassigned`"),
        ("mode" = Option<String>, Query, description = "`full` (default), `add` or `delete`"),
        ("as_of" = Option<String>, Query, description = "YYYY-MM-DD: the date the list is current to (required for `full`)"),
    ),
    request_body(content = String, content_type = "text/plain", description = "One number a line: 10 digits or E.164, optionally `,YYYY-MM-DD`; streamed, bounded by `[registries] max_import_bytes`"),
    responses(
        (status = 200, description = "What the import did: `{registry, mode, as_of, lines, added, removed, rejected_count, rejected: [{line, text, error}] (first 100), entries}`", body = Object),
        (status = 400, description = "Unknown registry, bad mode or date, or a full import with no valid line (the list in force is kept)", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 409, description = "Another import is running", body = ErrorBody),
        (status = 413, description = "Over `max_import_bytes`; nothing applied", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(name): Path<String>,
    mut params: Params,
    req: Request,
) -> Result<Response, ApiError> {
    let mode = match params.take("mode")? {
        None => registry::ImportMode::Full,
        Some(m) => m.parse().map_err(|e: registry::UnknownImportMode| {
            ApiError::bad_request("mode", e.to_string())
        })?,
    };
    let as_of = params
        .take("as_of")?
        .map(|d| crate::domain::time::parse_date(&d).map_err(|e| ApiError::bad_request("as_of", e)))
        .transpose()?;
    params.finish()?;
    let request = ImportRequest {
        name,
        mode,
        as_of,
        actor: actor_of(&p),
        max_bytes: state.config.registries.max_import_bytes(),
    };
    let body = req.into_body().into_data_stream().boxed();
    let result = state
        .registries
        .import(&request, body, &state.clock, &|_, _| {})
        .await;
    let summary = result.map_err(|e| import_error(e, request.max_bytes))?;
    if state.registries.needs_merge(&request.name) {
        let (registries, clock, name) = (
            state.registries.clone(),
            state.clock.clone(),
            request.name.clone(),
        );
        state.background.spawn(async move {
            if let Err(e) = registries.merge(&name, &clock).await {
                tracing::warn!(registry = %name, error = %crate::logging::chain(&e), "registry merge failed; the deltas stay in force");
            }
        });
    }
    Ok((StatusCode::OK, Json(summary_json(&summary))).into_response())
}

/// The contract's answer (and `entries`).
fn summary_json(s: &ImportSummary) -> serde_json::Value {
    serde_json::to_value(s).unwrap_or_default()
}

fn import_error(e: ImportError, limit: u64) -> ApiError {
    match e {
        ImportError::UnknownRegistry(_) => ApiError::bad_request("name", e.to_string()),
        ImportError::AsOfRequired => ApiError::bad_request("as_of", e.to_string()),
        ImportError::Busy => ApiError::Conflict(e.to_string()),
        ImportError::TooLarge { .. } => ApiError::PayloadTooLarge {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        },
        ImportError::NothingValid { .. } | ImportError::Input(_) => {
            ApiError::bad_request_no_field(e.to_string())
        }
        ImportError::Registry(e) => ApiError::internal(e),
    }
}

/// The recent imports, newest first (an extension: `?limit=`, default 50).
#[utoipa::path(
    get,
    path = "/v1/registries/imports",
    tag = "registries",
    responses((status = 200, description = "`{\"imports\": [...]}`", body = Object), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn imports(
    State(state): State<AppState>,
    Operator(_caller): Operator,
    mut params: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = params
        .take("limit")?
        .map(|l| {
            l.parse::<i64>()
                .map_err(|e| ApiError::bad_request("limit", e.to_string()))
        })
        .transpose()?
        .unwrap_or(50);
    params.finish()?;
    let imports = state.store.registry_imports(limit).await?;
    Ok(Json(serde_json::json!({ "imports": imports })))
}
