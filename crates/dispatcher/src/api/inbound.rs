//! `POST /v1/inbound`: a reply, from any channel. Opt-outs become DNC rows (committed before
//! the answer); every message refreshes the sender's leads' last-inbound time (the WhatsApp
//! window) and is logged. The work is [`crate::inbound::process`], shared with the provider
//! webhooks.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::auth::Service;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::app::AppState;
use crate::inbound::{self, InboundError, kind_matches};

/// An inbound message.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundBody {
    /// email | sms | call | linkedin | whatsapp
    #[schema(value_type = String)]
    pub channel: gate::Channel,
    /// The sender: a phone number (sms, call, whatsapp), an email address, a LinkedIn URL.
    pub from: String,
    /// Our number or address it was sent to.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// Default now (a future instant counts as now).
    #[serde(default, with = "crate::domain::time::rfc3339_opt")]
    #[schema(value_type = Option<String>)]
    pub received_at: Option<DateTime<Utc>>,
}

/// Takes an inbound message.
#[utoipa::path(
    post,
    path = "/v1/inbound",
    tag = "inbound",
    request_body = InboundBody,
    responses(
        (status = 200, description = "`{\"opt_out\": true, \"intent\": \"opt_out\", \"matched\": \"STOP\", \"dnc\": {entry}, \"leads\": [...]}` or `{\"opt_out\": false, \"intent\": \"help\"|\"opt_in\"|\"none\", \"leads\": [...]}`", body = Object),
        (status = 400, description = "Invalid message (the field is named, e.g. `from`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn inbound(
    State(state): State<AppState>,
    Service(p): Service,
    ApiJson(msg): ApiJson<InboundBody>,
) -> Result<Json<Value>, ApiError> {
    let ws = state.config.workspace(&p.workspace);
    let contact = gate::Contact::parse(&msg.from, Some(&ws.default_region))
        .map_err(|e| ApiError::bad_request("from", e.to_string()))?;
    if !kind_matches(msg.channel, &contact) {
        return Err(ApiError::bad_request(
            "from",
            format!("is not a {} sender", msg.channel),
        ));
    }
    let outcome = inbound::process(
        &state,
        &p.workspace,
        msg.channel,
        &contact,
        msg.body.as_deref().unwrap_or(""),
        msg.subject.as_deref(),
        &[],
        msg.received_at,
    )
    .await?;
    Ok(Json(outcome.to_json()))
}

impl From<InboundError> for ApiError {
    fn from(e: InboundError) -> ApiError {
        match e {
            InboundError::Store(e) => ApiError::from(e),
        }
    }
}
