//! Meta WhatsApp Cloud API: `GET /v1/webhooks/meta/whatsapp` (the subscription handshake) and
//! `POST /v1/webhooks/meta/whatsapp` — `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app
//! secret, raw body)>`: messages, statuses (error 131050: a WhatsApp-scoped DNC row) and
//! template status updates.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use serde_json::json;
use tracing::{debug, info, warn};

use super::*;
use crate::api::error::ErrorBody;
use crate::inbound::{WantedDnc, ensure_dnc};
use crate::touch::TimelineKind;

/// Meta's "user has stopped marketing messages".
pub const META_STOP_MARKETING: i64 = 131_050;

/// Meta's signature over the raw body with the app secret.
#[derive(Debug)]
pub struct MetaSignature;

impl Scheme for MetaSignature {
    fn verify(
        state: &AppState,
        _: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), &'static str> {
        let secrets = state.dispatcher.transports.webhook_secrets();
        let secret = secrets
            .whatsapp_app_secret
            .ok_or("no WhatsApp app secret is configured")?;
        let sig =
            header_str(headers, "x-hub-signature-256").ok_or("X-Hub-Signature-256 is missing")?;
        if signing::verify_sha256(secret.expose().as_bytes(), body, sig) {
            Ok(())
        } else {
            Err("X-Hub-Signature-256 does not match")
        }
    }
}

// ---------------------------------------------------------------- Meta WhatsApp

/// Meta's subscription handshake.
#[utoipa::path(
    get,
    path = "/v1/webhooks/meta/whatsapp",
    tag = "webhooks",
    params(
        ("hub.mode" = String, Query, description = "`subscribe`"),
        ("hub.verify_token" = String, Query, description = "Must equal the value of `verify_token_env`"),
        ("hub.challenge" = String, Query, description = "Echoed back"),
    ),
    responses(
        (status = 200, description = "The challenge, as text/plain", body = String, content_type = "text/plain"),
        (status = 403, description = "Wrong mode or token, or none configured", body = ErrorBody),
    )
)]
pub async fn meta_verify(State(state): State<AppState>, uri: Uri) -> Response {
    let params = parse_form(uri.query().unwrap_or("").as_bytes());
    let configured = state
        .dispatcher
        .transports
        .webhook_secrets()
        .whatsapp_verify_token;
    let mode = param(&params, "hub.mode");
    let token = param(&params, "hub.verify_token");
    let challenge = params
        .iter()
        .find(|(k, _)| k == "hub.challenge")
        .map_or("", |(_, v)| v.as_str());
    let ok = match (configured, mode, token) {
        (Some(expected), Some("subscribe"), Some(given)) => {
            signing::ct_eq(expected.expose().as_bytes(), given.as_bytes())
        }
        _ => false,
    };
    if !ok {
        warn!("meta webhook handshake refused");
        return ApiError::Forbidden("verification refused".to_owned()).into_response();
    }
    info!("meta webhook handshake answered");
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        challenge.to_owned(),
    )
        .into_response()
}

/// Meta WhatsApp Cloud API notifications.
#[utoipa::path(
    post,
    path = "/v1/webhooks/meta/whatsapp",
    tag = "webhooks",
    request_body(content = Object, description = "Meta's webhook JSON: `entry[].changes[].value` with `messages[]`, `statuses[]`, or (`field: message_template_status_update`) `event`, `message_template_name`, `message_template_language`"),
    params(("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC-SHA256(app secret, raw body)>`")),
    responses(
        (status = 200, description = "`{\"messages\": n, \"statuses\": n, \"template_updates\": n}`", body = Object),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Bad or missing signature, or no app secret configured; nothing recorded", body = ErrorBody),
    )
)]
pub async fn meta_whatsapp(
    State(state): State<AppState>,
    signed: Verified<MetaSignature>,
) -> Result<Response, ApiError> {
    let doc: Value = serde_json::from_slice(&signed.body)
        .map_err(|e| ApiError::bad_request_no_field(format!("the body is not valid JSON: {e}")))?;
    let ws = webhook_workspace(&state);
    let mut counts = (0usize, 0usize, 0usize);
    for entry in arr(&doc, "entry") {
        for change in arr(entry, "changes") {
            let field = change.get("field").and_then(Value::as_str).unwrap_or("");
            let Some(value) = change.get("value") else {
                continue;
            };
            if field == "message_template_status_update" {
                template_update(&state, value).await?;
                counts.2 += 1;
                continue;
            }
            for m in arr(value, "messages") {
                let to = str_at(value, &["metadata", "display_phone_number"]).map(wa_phone);
                meta_message(&state, &ws, m, to.as_deref()).await?;
                counts.0 += 1;
            }
            for s in arr(value, "statuses") {
                meta_status(&state, &ws, s).await?;
                counts.1 += 1;
            }
        }
    }
    Ok(Json(json!({
        "messages": counts.0,
        "statuses": counts.1,
        "template_updates": counts.2,
    }))
    .into_response())
}

fn arr<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter())
        .into_iter()
        .flatten()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
}

/// The text of a WhatsApp message: text, quick-reply button, interactive reply, or a caption.
fn meta_text(m: &Value) -> &str {
    str_at(m, &["text", "body"])
        .or_else(|| str_at(m, &["button", "text"]))
        .or_else(|| str_at(m, &["button", "payload"]))
        .or_else(|| str_at(m, &["interactive", "button_reply", "title"]))
        .or_else(|| str_at(m, &["interactive", "list_reply", "title"]))
        .or_else(|| str_at(m, &["image", "caption"]))
        .or_else(|| str_at(m, &["video", "caption"]))
        .or_else(|| str_at(m, &["document", "caption"]))
        .unwrap_or("")
}

fn unix_seconds(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let v = v?;
    let secs = v
        .as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))?;
    Utc.timestamp_opt(secs, 0).single()
}

fn wa_phone(id: &str) -> String {
    let id = id.trim();
    if id.starts_with('+') {
        id.to_owned()
    } else {
        format!("+{id}")
    }
}

async fn meta_message(
    state: &AppState,
    ws: &str,
    m: &Value,
    to: Option<&str>,
) -> Result<(), ApiError> {
    let Some(from) = m.get("from").and_then(Value::as_str) else {
        warn!("meta message without a sender; ignored");
        return Ok(());
    };
    let contact = match sender(state, ws, gate::Channel::Whatsapp, &wa_phone(from), "from") {
        Ok(c) => c,
        Err(e) => {
            // One unreadable message must not make Meta retry the whole batch.
            warn!(error = %e, "meta message from an unreadable sender; ignored");
            return Ok(());
        }
    };
    let message_id = m.get("id").and_then(Value::as_str).unwrap_or("");
    for ws in contact_workspaces(state, &contact).await? {
        let outcome = inbound::process(
            state,
            &ws,
            &inbound::Inbound {
                channel: gate::Channel::Whatsapp,
                from: &contact,
                to,
                body: meta_text(m),
                subject: None,
                headers: &[],
                received_at: unix_seconds(m.get("timestamp")),
                message_id: Some(message_id).filter(|id| !id.is_empty()),
                in_reply_to: &[],
            },
        )
        .await?;
        debug!(
            workspace = %ws,
            message_id,
            intent = outcome.intent,
            "whatsapp inbound message"
        );
    }
    Ok(())
}

async fn meta_status(state: &AppState, ws: &str, s: &Value) -> Result<(), ApiError> {
    let now = state.clock.now();
    let id = s.get("id").and_then(Value::as_str);
    let status = s.get("status").and_then(Value::as_str).unwrap_or("unknown");
    let codes: Vec<i64> = arr(s, "errors")
        .filter_map(|e| e.get("code").and_then(Value::as_i64))
        .collect();
    let touch = match id {
        Some(id) => state.store.touch_by_provider_message_id(id).await?,
        None => None,
    };
    let mut detail = format!("whatsapp status {status}");
    if !codes.is_empty() {
        let list: Vec<String> = codes.iter().map(i64::to_string).collect();
        detail.push_str(&format!(" (error {})", list.join(", ")));
    }
    if let Some(t) = &touch {
        // Meta delivers each webhook at least once: the same status again is a replay and
        // changes nothing (nor writes back a DNC row removed since).
        let fresh = state
            .store
            .record_touch_event_once(
                &t.id,
                now,
                TimelineKind::Delivery,
                codes.is_empty() && status != "failed",
                codes.first().map(|c| format!("meta_{c}")).as_deref(),
                &detail,
            )
            .await?;
        if !fresh {
            debug!(touch_id = %t.id, status, "whatsapp status replayed; nothing changes");
            return Ok(());
        }
    } else {
        debug!(
            message_id = id.unwrap_or(""),
            status, "whatsapp status for a message no touch knows"
        );
    }
    if codes.contains(&META_STOP_MARKETING) {
        let ws = touch.as_ref().map_or(ws, |t| t.workspace.as_str());
        let recipient = s.get("recipient_id").and_then(Value::as_str).map(wa_phone);
        let Some(recipient) = recipient else {
            warn!(
                ws,
                "meta error 131050 without a recipient_id; no DNC row written"
            );
            return Ok(());
        };
        let contact = match sender(
            state,
            ws,
            gate::Channel::Whatsapp,
            &recipient,
            "recipient_id",
        ) {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "meta error 131050 for an unreadable recipient; no DNC row written");
                return Ok(());
            }
        };
        let wanted = WantedDnc {
            contact: contact.as_str(),
            scope: gate::ChannelScope::Only(gate::Channel::Whatsapp),
            reason: gate::DncReason::ProviderUnsubscribed,
            source: "provider:whatsapp".to_owned(),
            added_by: touch
                .as_ref()
                .map_or_else(|| "meta webhook".to_owned(), |t| format!("touch {}", t.id)),
        };
        // The touch's workspace; with no touch, wherever the number is a lead's.
        let workspaces = match &touch {
            Some(t) => vec![t.workspace.clone()],
            None => contact_workspaces(state, &contact).await?,
        };
        for ws in workspaces {
            let (row, created) = ensure_dnc(state, &ws, &wanted, now).await?;
            if created {
                warn!(%ws, dnc_id = %row.id, "meta reports the recipient stopped marketing messages (131050); DNC row written");
            }
        }
    }
    Ok(())
}

/// Meta's template events → our statuses (None: no change, e.g. `FLAGGED`, a quality warning).
fn template_status(event: &str) -> Option<gate::TemplateStatus> {
    match event.trim().to_ascii_uppercase().as_str() {
        "APPROVED" | "REINSTATED" => Some(gate::TemplateStatus::Approved),
        "PAUSED" => Some(gate::TemplateStatus::Paused),
        "DISABLED" | "PENDING_DELETION" | "DELETED" => Some(gate::TemplateStatus::Disabled),
        "REJECTED" => Some(gate::TemplateStatus::Rejected),
        "PENDING" | "IN_APPEAL" => Some(gate::TemplateStatus::Pending),
        _ => None,
    }
}

/// A template's new status, applied to the accounts of every workspace that list it (the
/// template belongs to the WhatsApp Business Account, whichever workspace uses it).
async fn template_update(state: &AppState, value: &Value) -> Result<(), ApiError> {
    let event = value.get("event").and_then(Value::as_str).unwrap_or("");
    let Some(name) = value.get("message_template_name").and_then(Value::as_str) else {
        warn!(
            event,
            "template status update without a template name; ignored"
        );
        return Ok(());
    };
    let language = value
        .get("message_template_language")
        .and_then(Value::as_str);
    let Some(status) = template_status(event) else {
        info!(
            event,
            template = name,
            "template event that changes no status; ignored"
        );
        return Ok(());
    };
    let changed = state
        .store
        .update_whatsapp_template_status_everywhere(name, language, status, state.clock.now())
        .await?;
    info!(template = name, language = language.unwrap_or("*"), status = status.as_str(), accounts = ?changed, "whatsapp template status updated");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_events_and_phones() {
        assert_eq!(
            template_status("paused"),
            Some(gate::TemplateStatus::Paused)
        );
        assert_eq!(template_status("FLAGGED"), None);
        assert_eq!(wa_phone("14155550123"), "+14155550123");
    }
}
