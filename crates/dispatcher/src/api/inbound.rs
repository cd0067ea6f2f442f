//! `POST /v1/inbound`: a reply, from any channel. Opt-outs become DNC rows (committed before
//! the answer); every message refreshes the sender's leads' last-inbound time (the WhatsApp
//! window) and is logged.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Service;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::DncBody;
use crate::store::DncRow;

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
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
}

fn kind_matches(channel: gate::Channel, contact: &gate::Contact) -> bool {
    match channel {
        gate::Channel::Email => matches!(contact, gate::Contact::Email(_)),
        gate::Channel::Linkedin => matches!(contact, gate::Contact::LinkedIn(_)),
        gate::Channel::Sms | gate::Channel::Call | gate::Channel::Whatsapp => {
            matches!(contact, gate::Contact::Phone(_))
        }
    }
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
    let now = state.clock.now();
    let ws = state.config.workspace(&p.workspace);
    let contact = gate::Contact::parse(&msg.from, Some(&ws.default_region))
        .map_err(|e| ApiError::bad_request("from", e.to_string()))?;
    if !kind_matches(msg.channel, &contact) {
        return Err(ApiError::bad_request(
            "from",
            format!("is not a {} sender", msg.channel),
        ));
    }
    let from = contact.as_str().to_owned();
    let at = msg.received_at.map_or(now, |t| t.min(now));
    let text = msg.body.as_deref().unwrap_or("");
    let intent = gate::classify_inbound(
        msg.channel,
        &gate::InboundMessage {
            body: text,
            subject: msg.subject.as_deref(),
            headers: &[],
        },
        &ws.opt_out,
    );

    let store = &state.store;
    let (intent_name, matched, dnc) = match &intent {
        gate::Intent::OptOut(o) => {
            let row = opt_out_row(&state, &p.workspace, &from, msg.channel, o, now).await?;
            ("opt_out", Some(o.matched.clone()), Some(row))
        }
        gate::Intent::OptIn { matched } => ("opt_in", Some(matched.clone()), None),
        gate::Intent::Help { matched } => ("help", Some(matched.clone()), None),
        gate::Intent::None => ("none", None, None),
    };

    let leads = store.leads_with_contact(&p.workspace, &from).await?;
    store
        .record_inbound(&p.workspace, &leads, msg.channel.as_str(), at)
        .await?;
    store
        .log_inbound(
            &p.workspace,
            at,
            msg.channel.as_str(),
            &from,
            text,
            intent_name,
            matched.as_deref(),
        )
        .await?;
    tracing::info!(workspace = %p.workspace, channel = %msg.channel, intent = intent_name, leads = leads.len(), "inbound message");

    let mut out = json!({
        "opt_out": dnc.is_some(),
        "intent": intent_name,
        "leads": leads,
    });
    if let Some(map) = out.as_object_mut() {
        if let Some(m) = matched {
            map.insert("matched".to_owned(), Value::String(m));
        }
        if let Some(row) = dnc {
            map.insert(
                "dnc".to_owned(),
                serde_json::to_value(row).map_err(ApiError::internal)?,
            );
        }
    }
    Ok(Json(out))
}

/// The DNC row for an opt-out: an existing open-ended opt-out row covering the same scope is
/// reused (a second STOP adds nothing), otherwise a new one is committed.
async fn opt_out_row(
    state: &AppState,
    ws: &str,
    from: &str,
    channel: gate::Channel,
    o: &gate::OptOut,
    now: DateTime<Utc>,
) -> Result<DncRow, ApiError> {
    let existing = state.store.list_dnc(ws, Some(from), 1000).await?;
    if let Some(row) = existing.into_iter().find(|r| {
        r.lead_id.is_none()
            && r.expires_at.is_none()
            && r.removed_at.is_none()
            && r.reason == gate::DncReason::OptOutReply.as_str()
            && (r.channel == "*" || r.channel == o.scope.as_str())
    }) {
        return Ok(row);
    }
    let body = DncBody {
        contact: Some(from.to_owned()),
        lead_id: None,
        channel: o.scope,
        reason: gate::DncReason::OptOutReply,
        source: Some(format!("inbound_{channel}")),
        added_by: Some("touchgate inbound".to_owned()),
        expires_at: None,
    };
    let id = uuid::Uuid::now_v7().to_string();
    let row = state.store.add_dnc(ws, &id, &body, Some(from), now).await?;
    tracing::info!(workspace = ws, dnc_id = %row.id, channel = %channel, scope = %o.scope, "opt-out reply: DNC entry added");
    Ok(row)
}
