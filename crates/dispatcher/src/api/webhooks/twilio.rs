//! `POST /v1/webhooks/twilio/sms` — `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, full
//! URL + every POST parameter, sorted by name, as name then value)); the full URL is
//! `[server] public_base_url` + the path (+ `?query`). Inbound messages go to
//! [`crate::inbound::process`]; status callbacks become `delivery` events on the touch, and
//! error 21610 (the recipient replied STOP to Twilio) a `provider_unsubscribed` DNC row.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tracing::{debug, warn};

use super::*;
use crate::api::error::ErrorBody;
use crate::inbound::{WantedDnc, ensure_dnc};
use crate::touch::TimelineKind;

/// Twilio's "Attempt to send to unsubscribed recipient".
pub const TWILIO_UNSUBSCRIBED: &str = "21610";

const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

/// Twilio's signature over the public URL and the form parameters.
#[derive(Debug)]
pub struct TwilioSignature;

impl Scheme for TwilioSignature {
    fn verify(
        state: &AppState,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), &'static str> {
        let secrets = state.dispatcher.transports.webhook_secrets();
        let token = secrets
            .twilio_auth_token
            .ok_or("no Twilio transport is configured")?;
        let sig =
            header_str(headers, "x-twilio-signature").ok_or("X-Twilio-Signature is missing")?;
        let url = public_url(state, uri);
        if signing::verify_twilio(token.expose(), &url, &parse_form(body), sig) {
            Ok(())
        } else {
            Err("X-Twilio-Signature does not match")
        }
    }
}

fn twiml() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"))],
        EMPTY_TWIML,
    )
        .into_response()
}

/// Twilio SMS: inbound messages and status callbacks.
#[utoipa::path(
    post,
    path = "/v1/webhooks/twilio/sms",
    tag = "webhooks",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Twilio's form: `From`, `To`, `Body`, `MessageSid` (inbound) or `MessageStatus`, `MessageSid`, `ErrorCode` (status callback)"),
    params(("X-Twilio-Signature" = String, Header, description = "base64(HMAC-SHA1(auth token, public URL + params sorted by name, each name then value))")),
    responses(
        (status = 200, description = "Empty TwiML `<Response></Response>` (text/xml)", body = String, content_type = "text/xml"),
        (status = 400, description = "A sender that is not a phone number (field `From`)", body = ErrorBody),
        (status = 401, description = "Bad or missing signature, or no Twilio transport configured; nothing recorded", body = ErrorBody),
    )
)]
pub async fn twilio_sms(
    State(state): State<AppState>,
    signed: Verified<TwilioSignature>,
) -> Result<Response, ApiError> {
    let params = parse_form(&signed.body);

    // A status callback; an inbound message may carry `MessageStatus=received` itself.
    if let Some(status) = param(&params, "MessageStatus").filter(|s| *s != "received") {
        twilio_status(&state, &params, status).await?;
        return Ok(twiml());
    }
    let Some(from) = param(&params, "From") else {
        return Err(ApiError::bad_request("From", "missing"));
    };
    let (channel, from) = match from.strip_prefix("whatsapp:") {
        Some(rest) => (gate::Channel::Whatsapp, rest),
        None => (gate::Channel::Sms, from),
    };
    let contact = sender(&state, &webhook_workspace(&state), channel, from, "From")?;
    let body = param(&params, "Body").unwrap_or("");
    // The number it was sent to: the opt-out confirmation comes from it when nothing else does.
    let to = param(&params, "To").map(|t| t.trim_start_matches("whatsapp:").to_owned());
    for ws in contact_workspaces(&state, &contact).await? {
        let outcome = inbound::process(
            &state,
            &ws,
            &inbound::Inbound {
                channel,
                from: &contact,
                to: to.as_deref(),
                body,
                subject: None,
                headers: &[],
                received_at: None,
                message_id: param(&params, "MessageSid"),
                in_reply_to: &[],
            },
        )
        .await?;
        debug!(workspace = %ws, message_sid = param(&params, "MessageSid").unwrap_or(""), intent = outcome.intent, "twilio inbound message");
    }
    Ok(twiml())
}

/// The URL Twilio signed: the public base URL, the path and the query.
fn public_url(state: &AppState, uri: &Uri) -> String {
    let base = state.config.public_base_url();
    let mut url = format!("{}{}", base.trim_end_matches('/'), uri.path());
    if let Some(q) = uri.query() {
        url.push('?');
        url.push_str(q);
    }
    url
}

async fn twilio_status(
    state: &AppState,
    params: &[(String, String)],
    status: &str,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let sid = param(params, "MessageSid").or_else(|| param(params, "SmsSid"));
    let code = param(params, "ErrorCode").map(str::trim);
    let touch = match sid {
        Some(sid) => state.store.touch_by_provider_message_id(sid).await?,
        None => None,
    };
    let mut detail = format!("twilio status {status}");
    if let Some(c) = code {
        detail.push_str(&format!(" (error {c})"));
    }
    match &touch {
        Some(t) => {
            // Twilio retries a callback it saw no answer to: the same status again is a
            // replay and changes nothing (nor writes back a DNC row removed since).
            let fresh = state
                .store
                .record_touch_event_once(
                    &t.id,
                    now,
                    TimelineKind::Delivery,
                    code.is_none(),
                    code.map(|c| format!("twilio_{c}")).as_deref(),
                    &detail,
                )
                .await?;
            if !fresh {
                debug!(touch_id = %t.id, status, "twilio status callback replayed; nothing changes");
                return Ok(());
            }
        }
        None => {
            debug!(
                message_sid = sid.unwrap_or(""),
                status, "twilio status for a message no touch knows"
            );
        }
    }
    if code == Some(TWILIO_UNSUBSCRIBED) {
        let ws = touch
            .as_ref()
            .map_or_else(|| webhook_workspace(state), |t| t.workspace.clone());
        let Some(to) = param(params, "To") else {
            warn!(%ws, "twilio error 21610 without a To; no DNC row written");
            return Ok(());
        };
        let to = to.strip_prefix("whatsapp:").unwrap_or(to);
        let contact = sender(state, &ws, gate::Channel::Sms, to, "To")?;
        // The touch's workspace; with no touch, wherever the number is a lead's.
        let workspaces = match &touch {
            Some(t) => vec![t.workspace.clone()],
            None => contact_workspaces(state, &contact).await?,
        };
        let wanted = WantedDnc {
            contact: contact.as_str(),
            scope: gate::ChannelScope::All,
            reason: gate::DncReason::ProviderUnsubscribed,
            source: "provider:twilio".to_owned(),
            added_by: touch.as_ref().map_or_else(
                || "twilio status callback".to_owned(),
                |t| format!("touch {}", t.id),
            ),
        };
        for ws in workspaces {
            let (row, created) = ensure_dnc(state, &ws, &wanted, now).await?;
            if created {
                warn!(%ws, dnc_id = %row.id, "twilio reports the recipient unsubscribed (21610); DNC row written");
            }
        }
    }
    Ok(())
}
