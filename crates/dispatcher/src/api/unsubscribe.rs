//! `GET|POST /v1/unsubscribe/{token}`: the one-click unsubscribe link of every email (RFC 8058).
//!
//! The token is signed by the daemon ([`crate::unsubscribe::Signer`]) and names the touch; a
//! bad, forged or altered token is a 404 and changes nothing. `POST` (a mail client's
//! `List-Unsubscribe=One-Click`, or the form of the page) writes the DNC row —
//! `customer_request`, source `one_click_unsubscribe`, scope `email` — for the address the
//! touch went to, once (a second POST reuses it). `GET` only shows a page whose button POSTs:
//! mail scanners fetch links, and a fetch must not unsubscribe anyone.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tracing::info;

use super::error::{ApiError, ErrorBody};
use crate::app::AppState;
use crate::inbound::{WantedDnc, ensure_dnc};
use crate::store::TouchRow;

/// The touch a token names and the address to unsubscribe; 404 for anything else.
async fn resolve(
    state: &AppState,
    token: Result<Path<String>, PathRejection>,
) -> Result<(TouchRow, String), ApiError> {
    let missing = || ApiError::not_found("no such unsubscribe link");
    let Path(token) = token.map_err(|_| missing())?;
    let Some(touch_id) = state.dispatcher.unsubscribe.verify(&token) else {
        info!("unsubscribe link with a bad signature");
        return Err(missing());
    };
    let touch = state
        .store
        .touch_by_id(&touch_id)
        .await?
        .ok_or_else(missing)?;
    // The address the email went to: recorded on the touch when the gate allowed it, else the
    // message as the transport recorded it, else (touches sent before recipients were
    // recorded) the lead's current address.
    let recorded_to = touch
        .sandbox_message
        .as_ref()
        .filter(|_| touch.channel == gate::Channel::Email)
        .and_then(|m| m.get("to"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    let recipient = touch
        .recipient
        .clone()
        .filter(|_| touch.channel == gate::Channel::Email);
    let email = match recipient.or(recorded_to) {
        Some(e) => Some(e),
        None => state
            .store
            .get_lead(&touch.workspace, &touch.lead_id)
            .await?
            .and_then(|l| l.body.email),
    };
    let email = email
        .and_then(|e| gate::Email::parse(&e).ok())
        .map(|e| e.as_str().to_owned())
        .ok_or_else(missing)?;
    Ok((touch, email))
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (
                header::HeaderName::from_static("x-robots-tag"),
                HeaderValue::from_static("noindex"),
            ),
        ],
        body,
    )
        .into_response()
}

fn page(title: &str, inner: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif; max-width: 32em; margin: 4em auto; padding: 0 1em\">\
         <h1>{title}</h1>{inner}</body></html>\n"
    )
}

/// The unsubscribe page (changes nothing).
#[utoipa::path(
    get,
    path = "/v1/unsubscribe/{token}",
    tag = "inbound",
    params(("token" = String, Path, description = "The signed token of the link")),
    responses(
        (status = 200, description = "A page whose button POSTs to this URL", body = String, content_type = "text/html"),
        (status = 404, description = "Bad, forged or altered token", body = ErrorBody),
    )
)]
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    resolve(&state, token).await?;
    // No `action`: the form posts to this same URL, wherever the daemon is mounted.
    let inner = "<p>Stop receiving these emails?</p>\
                 <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
                 <button type=\"submit\">Unsubscribe</button></form>";
    Ok(html(StatusCode::OK, page("Unsubscribe", inner)))
}

/// One-click unsubscribe (RFC 8058 `List-Unsubscribe=One-Click`, or the page's button).
#[utoipa::path(
    post,
    path = "/v1/unsubscribe/{token}",
    tag = "inbound",
    params(("token" = String, Path, description = "The signed token of the link")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`List-Unsubscribe=One-Click` (any body is accepted)"),
    responses(
        (status = 200, description = "Unsubscribed (the DNC row is committed; a second POST adds none)", body = String, content_type = "text/html"),
        (status = 404, description = "Bad, forged or altered token; nothing changes", body = ErrorBody),
    )
)]
pub async fn unsubscribe_post(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (touch, email) = resolve(&state, token).await?;
    let now = state.clock.now();
    let wanted = WantedDnc {
        contact: &email,
        scope: gate::ChannelScope::Only(gate::Channel::Email),
        reason: gate::DncReason::CustomerRequest,
        source: "one_click_unsubscribe".to_owned(),
        added_by: format!("one-click unsubscribe (touch {})", touch.id),
    };
    let (row, created) = ensure_dnc(&state, &touch.workspace, &wanted, now).await?;
    if created {
        state
            .store
            .log_inbound(&crate::store::InboundRecord {
                workspace: &touch.workspace,
                at: now,
                channel: gate::Channel::Email,
                sender: &email,
                body: "List-Unsubscribe=One-Click",
                intent: "opt_out",
                matched: Some("one_click_unsubscribe"),
                message_id: None,
            })
            .await?;
    }
    info!(workspace = %touch.workspace, touch_id = %touch.id, dnc_id = %row.id, created, "one-click unsubscribe");
    Ok(html(
        StatusCode::OK,
        page(
            "Unsubscribed",
            "<p>You're unsubscribed. You will not receive these emails any more.</p>",
        ),
    ))
}
