//! `GET /v1/check` (service): the gate's answer for a contact alone (see [`crate::check`]);
//! `GET /v1/checks` (operator, an extension): the recorded answers; `GET /v1/alerts`
//! (operator): litigation holds hit.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;

use super::auth::{Operator, Service, actor};
use super::error::{ApiError, ErrorBody};
use super::extract::Params;
use crate::app::AppState;
use crate::check::{CheckAnswer, CheckQuery, check};
use crate::store::{CheckRecord, NewAlert};

/// Whether `contact` may be contacted on `channel` for `purpose` at `at` (default now).
#[utoipa::path(
    get,
    path = "/v1/check",
    tag = "gate",
    params(
        ("contact" = String, Query, description = "A phone number (E.164 or the workspace's default region), an email address or a LinkedIn URL"),
        ("channel" = String, Query, description = "email | sms | call | linkedin | whatsapp"),
        ("purpose" = Option<String>, Query, description = "marketing (default) | transactional"),
        ("at" = Option<String>, Query, description = "RFC 3339; default now"),
        ("automated" = Option<bool>, Query, description = "An autodialer or prerecorded voice (default false)"),
    ),
    responses(
        (status = 200, description = "The answer: `{contact, allowed, reason, retry_after, listings: [{registry, label}], checks}`", body = CheckAnswer),
        (status = 400, description = "Unparseable contact (field `contact`), channel, purpose or time", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn check_contact(
    State(state): State<AppState>,
    Service(p): Service,
    headers: HeaderMap,
    mut params: Params,
) -> Result<Json<CheckAnswer>, ApiError> {
    let settings = state.config.workspace(&p.workspace);
    let raw = params
        .take("contact")?
        .ok_or_else(|| ApiError::bad_request("contact", "required"))?;
    let contact = gate::Contact::parse(&raw, Some(&settings.default_region))
        .map_err(|e| ApiError::bad_request("contact", e.to_string()))?;
    let channel: gate::Channel = params
        .take("channel")?
        .ok_or_else(|| ApiError::bad_request("channel", "required"))?
        .parse()
        .map_err(|e: gate::ParseError| ApiError::bad_request("channel", e.to_string()))?;
    if !crate::inbound::kind_matches(channel, &contact) {
        return Err(ApiError::bad_request(
            "contact",
            format!("is not a {channel} contact"),
        ));
    }
    let purpose = match params.take("purpose")?.as_deref() {
        None | Some("marketing") => gate::Purpose::Marketing,
        Some("transactional") => gate::Purpose::Transactional,
        Some(other) => {
            return Err(ApiError::bad_request(
                "purpose",
                format!("unknown purpose `{other}` (expected marketing or transactional)"),
            ));
        }
    };
    let now = state.clock.now();
    let at = params
        .take("at")?
        .map(|t| crate::domain::time::parse_instant(&t).map_err(|e| ApiError::bad_request("at", e)))
        .transpose()?
        .unwrap_or(now);
    let automated = match params.take("automated")?.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::bad_request("automated", "expected true or false")),
    };
    params.finish()?;
    let q = CheckQuery {
        contact,
        channel,
        purpose,
        at,
        automated,
    };
    let registries = state.registries.snapshot();
    let (answer, decision) = check(&state.store, &p.workspace, &settings, &registries, &q).await?;
    if let Some(detail) = crate::dispatch::litigation_hold(&decision) {
        state
            .store
            .raise_alert(
                &NewAlert {
                    workspace: &p.workspace,
                    kind: "litigation_hold",
                    contact: Some(&answer.contact),
                    touch_id: None,
                    detail,
                },
                now,
            )
            .await?;
    }
    state
        .check_log
        .record(CheckRecord {
            workspace: p.workspace.clone(),
            at: now,
            actor: actor(&headers, &p),
            contact: answer.contact.clone(),
            channel: channel.as_str().to_owned(),
            purpose: match purpose {
                gate::Purpose::Marketing => "marketing",
                gate::Purpose::Transactional => "transactional",
            }
            .to_owned(),
            allowed: answer.allowed,
            reason: answer.reason.clone(),
            listings: serde_json::to_value(&answer.listings).unwrap_or_default(),
        })
        .await;
    Ok(Json(answer))
}

/// The workspace's alerts (litigation holds hit), newest first: `{"alerts": [...]}`.
#[utoipa::path(
    get,
    path = "/v1/alerts",
    tag = "gate",
    params(("limit" = Option<i64>, Query, description = "At most this many (default 100)")),
    responses((status = 200, description = "`{\"alerts\": [{id, kind, at, contact, touch_id, detail, decisions, delivered_at?}]}`", body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn alerts(
    State(state): State<AppState>,
    Operator(p): Operator,
    mut params: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = limit(&mut params, 100)?;
    params.finish()?;
    let alerts = state.store.list_alerts(&p.workspace, limit).await?;
    Ok(Json(serde_json::json!({ "alerts": alerts })))
}

/// `?limit=`, a positive integer.
pub(crate) fn limit(params: &mut super::extract::Params, default: i64) -> Result<i64, ApiError> {
    params
        .take("limit")?
        .map(|l| {
            l.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ApiError::bad_request("limit", "expected a positive integer"))
        })
        .transpose()
        .map(|l| l.unwrap_or(default))
}

/// The check answers recorded for the workspace, newest first (an extension):
/// `{"checks": [{at, actor, contact, channel, purpose, allowed, reason, listings}]}`.
#[utoipa::path(
    get,
    path = "/v1/checks",
    tag = "gate",
    params(("limit" = Option<i64>, Query, description = "At most this many (default 100)")),
    responses((status = 200, description = "`{\"checks\": [...]}`", body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn checks(
    State(state): State<AppState>,
    Operator(p): Operator,
    mut params: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = limit(&mut params, 100)?;
    params.finish()?;
    let checks = state.store.list_checks(&p.workspace, limit).await?;
    Ok(Json(serde_json::json!({ "checks": checks })))
}
