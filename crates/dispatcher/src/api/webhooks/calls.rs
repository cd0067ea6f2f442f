//! `POST /v1/webhooks/calls/disposition` — a dialer's wrap-up code, signed with the shared
//! secret (`X-Touchgate-Signature`); the dispositions listed in `[webhooks] dnc_dispositions`
//! write a `customer_request` DNC row.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use tracing::{debug, info};

use super::*;
use crate::api::error::ErrorBody;
use crate::api::extract::parse_json;
use crate::inbound::{WantedDnc, ensure_dnc};

/// A call's outcome as the dialer reports it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispositionBody {
    /// The number called.
    pub phone: String,
    /// The agent's disposition, e.g. "Do Not Call".
    pub disposition: String,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub call_id: Option<String>,
    #[serde(default, with = "crate::domain::time::rfc3339_opt")]
    #[schema(value_type = Option<String>)]
    pub at: Option<DateTime<Utc>>,
}

/// Normalises a disposition for comparison: case, `_`/`-` and runs of spaces ignored.
fn disposition_key(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A call disposition from the dialer.
#[utoipa::path(
    post,
    path = "/v1/webhooks/calls/disposition",
    tag = "webhooks",
    request_body = DispositionBody,
    params(("X-Touchgate-Signature" = String, Header, description = "`sha256=<hex HMAC-SHA256(secret, raw body)>`, the secret from `[webhooks] secret_env`")),
    responses(
        (status = 200, description = "`{\"dnc\": {entry}, \"dnc_entries\": [{entry}, …]}` for a disposition listed in `[webhooks] dnc_dispositions` (an entry in every workspace with a lead that has the number, else in `[webhooks] workspace`; `dnc` is the first), else `{\"dnc\": null}`", body = Object),
        (status = 400, description = "Invalid body (the field is named)", body = ErrorBody),
        (status = 401, description = "Bad or missing signature, or no secret configured; nothing recorded", body = ErrorBody),
    )
)]
pub async fn call_disposition(
    State(state): State<AppState>,
    signed: Verified<SharedSecret>,
) -> Result<Response, ApiError> {
    let d: DispositionBody = parse_json(&signed.body)?;
    let contact = sender(
        &state,
        &webhook_workspace(&state),
        gate::Channel::Call,
        &d.phone,
        "phone",
    )?;
    let key = disposition_key(&d.disposition);
    let listed = state
        .config
        .webhooks
        .dnc_dispositions
        .iter()
        .any(|x| disposition_key(x) == key);
    if !listed {
        debug!(call_id = d.call_id.as_deref().unwrap_or(""), disposition = %d.disposition, "call disposition: no DNC");
        return Ok(Json(json!({ "dnc": null })).into_response());
    }
    let agent = d
        .agent_id
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let wanted = WantedDnc {
        contact: contact.as_str(),
        scope: gate::ChannelScope::All,
        reason: gate::DncReason::CustomerRequest,
        source: "agent_disposition".to_owned(),
        added_by: agent.map_or_else(|| "agent".to_owned(), str::to_owned),
    };
    let now = state.clock.now();
    let mut rows = Vec::new();
    for ws in contact_workspaces(&state, &contact).await? {
        let (row, created) = ensure_dnc(&state, &ws, &wanted, now).await?;
        info!(workspace = %ws, dnc_id = %row.id, created, call_id = d.call_id.as_deref().unwrap_or(""), disposition = %d.disposition, "call disposition: DNC");
        rows.push(row);
    }
    // `dnc`: the first workspace's entry; `dnc_entries`: one per workspace the number is in.
    Ok(Json(json!({ "dnc": rows.first(), "dnc_entries": rows })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_compare_loosely() {
        assert_eq!(disposition_key("  Do_Not-call "), "do not call");
    }
}
