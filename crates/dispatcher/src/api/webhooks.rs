//! Provider webhooks: no bearer token; each request proves its origin with its provider's
//! signature (401 and nothing recorded otherwise). A webhook names no workspace, so the data
//! decides where it lands:
//! - a message or disposition from a person (inbound SMS/WhatsApp/email, call dispositions)
//!   goes to every workspace that has a lead with that contact (one [`inbound::process`] per
//!   workspace: each gets its DNC row, inbound record and confirmation), and only when no
//!   workspace has such a lead to `[webhooks] workspace` (default `default`);
//! - a delivery status (Twilio status callback, Meta status) acts on the workspace of the touch
//!   found by the provider's message id (by contact as above when no touch has that id);
//! - a Meta template status update applies to the accounts of every workspace that list the
//!   template.
//!
//! Senders written without a country code are read in the default region of
//! `[webhooks] workspace` (providers send E.164 anyway).
//!
//! - `POST /v1/webhooks/twilio/sms` — `X-Twilio-Signature` = base64(HMAC-SHA1(auth token,
//!   full URL + every POST parameter, sorted by name, as name then value)); the full URL is
//!   `[server] public_base_url` + the path (+ `?query`). Inbound messages go to
//!   [`crate::inbound::process`]; status callbacks become `delivery` events on the touch, and
//!   error 21610 (the recipient replied STOP to Twilio) a `provider_unsubscribed` DNC row.
//! - `GET /v1/webhooks/meta/whatsapp` — the subscription handshake.
//! - `POST /v1/webhooks/meta/whatsapp` — `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app
//!   secret, raw body)>`: messages, statuses (error 131050: a WhatsApp-scoped DNC row) and
//!   template status updates.
//! - `POST /v1/webhooks/calls/disposition` and `POST /v1/webhooks/email/inbound` —
//!   `X-Touchgate-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, the secret read from
//!   the environment variable named by `[webhooks] secret_env` (none configured: always 401).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::Sha256;
use tracing::{info, warn};

use super::body_limit;
use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::extract::{parse_json, read_body};
use crate::app::AppState;
use crate::email_parse;
use crate::inbound::{self, WantedDnc, ensure_dnc, kind_matches};
use crate::touch::TimelineKind;

/// Twilio's "Attempt to send to unsubscribed recipient".
pub const TWILIO_UNSUBSCRIBED: &str = "21610";
/// Meta's "user has stopped marketing messages".
pub const META_STOP_MARKETING: i64 = 131_050;

const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

// ---------------------------------------------------------------- signatures

/// Twilio's request signature: base64(HMAC-SHA1(auth token, url + each parameter name and
/// value, sorted by name (and, for a repeated name, by value), concatenated)).
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    twilio_mac(auth_token, url, params).map_or_else(String::new, |mac| {
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    })
}

fn twilio_mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Option<Hmac<Sha1>> {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    // HMAC takes keys of any length, so this is never None.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(auth_token.as_bytes()).ok()?;
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    Some(mac)
}

/// Checks an `X-Twilio-Signature` value (constant-time).
pub fn verify_twilio(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    twilio_mac(auth_token, url, params).is_some_and(|mac| mac.verify_slice(&given).is_ok())
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn sha256_signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length; the error arm is unreachable in practice.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a `sha256=<hex>` header value against the body (constant-time).
pub fn verify_sha256(secret: &[u8], body: &[u8], header_value: &str) -> bool {
    let v = header_value.trim();
    let Some(hex_sig) = v
        .strip_prefix("sha256=")
        .or_else(|| v.strip_prefix("SHA256="))
    else {
        return false;
    };
    let Ok(given) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The 401 of a webhook (the API's error shape, no `WWW-Authenticate: Bearer`).
fn unauthorized(path: &str, why: &str) -> Response {
    warn!(path, why, "webhook refused");
    (
        StatusCode::UNAUTHORIZED,
        Json(ErrorBody {
            error: ErrorDetail {
                code: "unauthorized".to_owned(),
                message: format!("webhook signature not accepted: {why}"),
                field: None,
            },
        }),
    )
        .into_response()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The shared webhook secret: the value of the environment variable `[webhooks] secret_env`
/// names (unset, empty or not configured: None).
fn shared_secret(state: &AppState) -> Option<String> {
    let var = state.config.webhooks.secret_env.as_deref()?;
    std::env::var(var).ok().filter(|s| !s.trim().is_empty())
}

/// Checks `X-Touchgate-Signature`: None when it is right, else the refusal to answer.
fn refuse_shared_signature(
    state: &AppState,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let Some(secret) = shared_secret(state) else {
        return Some(unauthorized(path, "no webhook secret is configured"));
    };
    let Some(sig) = header_str(headers, "x-touchgate-signature") else {
        return Some(unauthorized(path, "X-Touchgate-Signature is missing"));
    };
    if !verify_sha256(secret.as_bytes(), body, sig) {
        return Some(unauthorized(path, "X-Touchgate-Signature does not match"));
    }
    None
}

// ---------------------------------------------------------------- forms

/// `application/x-www-form-urlencoded` pairs, in order.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(p), String::new()),
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn twiml() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"))],
        EMPTY_TWIML,
    )
        .into_response()
}

/// The workspace webhooks fall back on when the data names none (`[webhooks] workspace`).
fn webhook_workspace(state: &AppState) -> String {
    state.config.webhooks.workspace.clone()
}

/// The workspaces a message about `contact` belongs to: every workspace with a lead that has
/// the contact, else `[webhooks] workspace`.
async fn contact_workspaces(
    state: &AppState,
    contact: &gate::Contact,
) -> Result<Vec<String>, ApiError> {
    let found = state
        .store
        .workspaces_with_contact(contact.as_str())
        .await?;
    Ok(if found.is_empty() {
        vec![webhook_workspace(state)]
    } else {
        found
    })
}

/// Parses a sender the way the workspace parses contacts; 400 naming `field` otherwise.
fn sender(
    state: &AppState,
    ws: &str,
    channel: gate::Channel,
    raw: &str,
    field: &str,
) -> Result<gate::Contact, ApiError> {
    let region = state.config.workspace(ws).default_region;
    let contact = gate::Contact::parse(raw, Some(&region))
        .map_err(|e| ApiError::bad_request(field, e.to_string()))?;
    if !kind_matches(channel, &contact) {
        return Err(ApiError::bad_request(
            field,
            format!("is not a {channel} sender"),
        ));
    }
    Ok(contact)
}

// ---------------------------------------------------------------- Twilio

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
pub async fn twilio_sms(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let path = req.uri().path().to_owned();
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let body = read_body(req, &state).await?;
    let secrets = state.dispatcher.transports.webhook_secrets();
    let Some(token) = secrets.twilio_auth_token else {
        return Ok(unauthorized(&path, "no Twilio transport is configured"));
    };
    let Some(sig) = header_str(&headers, "x-twilio-signature") else {
        return Ok(unauthorized(&path, "X-Twilio-Signature is missing"));
    };
    let text = String::from_utf8_lossy(&body);
    let params = parse_form(&text);
    let url = public_url(&state, &uri);
    if !verify_twilio(token.expose(), &url, &params, sig) {
        return Ok(unauthorized(&path, "X-Twilio-Signature does not match"));
    }

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
    for ws in contact_workspaces(&state, &contact).await? {
        let outcome =
            inbound::process(&state, &ws, channel, &contact, body, None, &[], None).await?;
        info!(workspace = %ws, message_sid = param(&params, "MessageSid").unwrap_or(""), intent = outcome.intent, "twilio inbound message");
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
            state
                .store
                .record_touch_event(
                    &t.id,
                    now,
                    TimelineKind::Delivery,
                    code.is_none(),
                    code.map(|c| format!("twilio_{c}")).as_deref(),
                    &detail,
                )
                .await?;
        }
        None => {
            info!(
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
    let params = parse_form(uri.query().unwrap_or(""));
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
            ct_eq(expected.expose().as_bytes(), given.as_bytes())
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
    req: Request,
) -> Result<Response, ApiError> {
    let path = req.uri().path().to_owned();
    let headers = req.headers().clone();
    let body = read_body(req, &state).await?;
    let Some(secret) = state
        .dispatcher
        .transports
        .webhook_secrets()
        .whatsapp_app_secret
    else {
        return Ok(unauthorized(&path, "no WhatsApp app secret is configured"));
    };
    let Some(sig) = header_str(&headers, "x-hub-signature-256") else {
        return Ok(unauthorized(&path, "X-Hub-Signature-256 is missing"));
    };
    if !verify_sha256(secret.expose().as_bytes(), &body, sig) {
        return Ok(unauthorized(&path, "X-Hub-Signature-256 does not match"));
    }
    let doc: Value = serde_json::from_slice(&body)
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
                meta_message(&state, &ws, m).await?;
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

async fn meta_message(state: &AppState, ws: &str, m: &Value) -> Result<(), ApiError> {
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
            gate::Channel::Whatsapp,
            &contact,
            meta_text(m),
            None,
            &[],
            unix_seconds(m.get("timestamp")),
        )
        .await?;
        info!(
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
        state
            .store
            .record_touch_event(
                &t.id,
                now,
                TimelineKind::Delivery,
                codes.is_empty() && status != "failed",
                codes.first().map(|c| format!("meta_{c}")).as_deref(),
                &detail,
            )
            .await?;
    } else {
        info!(
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

// ---------------------------------------------------------------- call dispositions

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
    #[serde(default)]
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
    req: Request,
) -> Result<Response, ApiError> {
    let path = req.uri().path().to_owned();
    let headers = req.headers().clone();
    let body: Bytes = read_body(req, &state).await?;
    if let Some(refusal) = refuse_shared_signature(&state, &path, &headers, &body) {
        return Ok(refusal);
    }
    let d: DispositionBody = parse_json(&body, body_limit(&state.config))?;
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
        info!(call_id = d.call_id.as_deref().unwrap_or(""), disposition = %d.disposition, "call disposition: no DNC");
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

// ---------------------------------------------------------------- inbound email

/// A raw inbound email (from a mail server's pipe or an inbound-parse service).
#[utoipa::path(
    post,
    path = "/v1/webhooks/email/inbound",
    tag = "webhooks",
    request_body(content = String, content_type = "message/rfc822", description = "The raw RFC 5322 message"),
    params(("X-Touchgate-Signature" = String, Header, description = "`sha256=<hex HMAC-SHA256(secret, raw body)>`")),
    responses(
        (status = 200, description = "As `POST /v1/inbound`: `{\"opt_out\", \"intent\", \"matched\"?, \"dnc\"?, \"leads\"}`. Taken in every workspace with a lead that has the sender (else in `[webhooks] workspace`); when that is several, `leads` lists them all and `dnc_entries` has one entry per workspace", body = Object),
        (status = 400, description = "No readable `From` address (field `From`)", body = ErrorBody),
        (status = 401, description = "Bad or missing signature, or no secret configured; nothing recorded", body = ErrorBody),
    )
)]
pub async fn email_inbound(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, ApiError> {
    let path = req.uri().path().to_owned();
    let headers = req.headers().clone();
    let body = read_body(req, &state).await?;
    if let Some(refusal) = refuse_shared_signature(&state, &path, &headers, &body) {
        return Ok(refusal);
    }
    let mail = email_parse::parse(&body);
    let Some(from) = mail.from.as_deref() else {
        return Err(ApiError::bad_request(
            "From",
            "the message has no From address",
        ));
    };
    let contact = sender(
        &state,
        &webhook_workspace(&state),
        gate::Channel::Email,
        from,
        "From",
    )?;
    let pairs = mail.header_pairs();
    let mut outcomes = Vec::new();
    for ws in contact_workspaces(&state, &contact).await? {
        outcomes.push(
            inbound::process(
                &state,
                &ws,
                gate::Channel::Email,
                &contact,
                &mail.text,
                mail.subject.as_deref(),
                &pairs,
                None,
            )
            .await?,
        );
    }
    Ok(Json(merged_outcome(&outcomes)).into_response())
}

/// The answer for one message taken in one or more workspaces: the first workspace's
/// `{"opt_out", "intent", "matched"?, "dnc"?}`, `leads` of every workspace, and (when the
/// message went to several) `dnc_entries`, one per workspace.
fn merged_outcome(outcomes: &[inbound::InboundOutcome]) -> Value {
    let Some(first) = outcomes.first() else {
        return json!({ "opt_out": false, "intent": "none", "leads": [] });
    };
    let mut out = first.to_json();
    if outcomes.len() > 1
        && let Some(map) = out.as_object_mut()
    {
        let mut leads: Vec<&str> = outcomes
            .iter()
            .flat_map(|o| o.leads.iter().map(String::as_str))
            .collect();
        leads.sort_unstable();
        leads.dedup();
        map.insert("leads".to_owned(), json!(leads));
        let entries: Vec<_> = outcomes.iter().filter_map(|o| o.dnc.as_ref()).collect();
        if !entries.is_empty() {
            map.insert("dnc_entries".to_owned(), json!(entries));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn twilio_published_vectors() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = pairs(&[
            ("Digits", "1234"),
            ("To", "+18005551212"),
            ("From", "+14158675309"),
            ("Caller", "+14158675309"),
            ("CallSid", "CA1234567890ABCDE"),
        ]);
        assert_eq!(
            twilio_signature("12345", url, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(verify_twilio(
            "12345",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify_twilio(
            "12345",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8"
        ));
        assert!(!verify_twilio(
            "54321",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify_twilio(
            "12345",
            &format!("{url}&x=1"),
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify_twilio("12345", url, &params, "not base64 !"));
        let repeated = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            twilio_signature("12345", url, &repeated),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    #[test]
    fn sha256_header() {
        let sig = sha256_signature(b"s3cret", b"{\"a\":1}");
        assert!(sig.starts_with("sha256="));
        assert!(verify_sha256(b"s3cret", b"{\"a\":1}", &sig));
        assert!(!verify_sha256(b"s3cret", b"{\"a\":2}", &sig));
        assert!(!verify_sha256(b"other", b"{\"a\":1}", &sig));
        assert!(!verify_sha256(
            b"s3cret",
            b"{\"a\":1}",
            sig.trim_start_matches("sha256=")
        ));
        assert!(!verify_sha256(b"s3cret", b"{\"a\":1}", "sha256=zz"));
    }

    #[test]
    fn forms_and_dispositions() {
        assert_eq!(
            parse_form("From=%2B14155550123&Body=Stop+please&Empty=&Flag"),
            pairs(&[
                ("From", "+14155550123"),
                ("Body", "Stop please"),
                ("Empty", ""),
                ("Flag", "")
            ])
        );
        assert_eq!(parse_form("a=%zz"), pairs(&[("a", "%zz")]));
        assert_eq!(disposition_key("  Do_Not-call "), "do not call");
        assert_eq!(
            template_status("paused"),
            Some(gate::TemplateStatus::Paused)
        );
        assert_eq!(template_status("FLAGGED"), None);
        assert_eq!(wa_phone("14155550123"), "+14155550123");
    }
}
