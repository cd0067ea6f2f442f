//! Provider webhooks: no bearer token; each request proves its origin with its provider's
//! signature, checked by the [`Verified`] extractor before anything else reads the body (401
//! and nothing recorded otherwise). One file per provider: [`twilio`], [`meta`], [`calls`]
//! (dispositions), [`email`] (inbound mail). A webhook names no workspace, so the data
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

pub mod calls;
pub mod email;
pub mod meta;
pub mod twilio;

use std::marker::PhantomData;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tracing::warn;

use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::extract::read_body;
use crate::app::AppState;
use crate::inbound::{self, kind_matches};
use crate::signing;

pub use calls::DispositionBody;

/// How a provider signs its requests.
pub trait Scheme {
    /// Checks the request; `Err(why)` refuses it.
    fn verify(
        state: &AppState,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), &'static str>;
}

/// `X-Touchgate-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, the secret named by
/// `[webhooks] secret_env` (read once, at start; none configured: always refused).
#[derive(Debug)]
pub struct SharedSecret;

impl Scheme for SharedSecret {
    fn verify(
        state: &AppState,
        _: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), &'static str> {
        let secret = state
            .webhook_secret
            .as_ref()
            .ok_or("no webhook secret is configured")?;
        let sig = header_str(headers, "x-touchgate-signature")
            .ok_or("X-Touchgate-Signature is missing")?;
        if signing::verify_sha256(secret.expose().as_bytes(), body, sig) {
            Ok(())
        } else {
            Err("X-Touchgate-Signature does not match")
        }
    }
}

/// A request body whose signature checked out under scheme `S`, with the URI it came to.
#[derive(Debug)]
pub struct Verified<S> {
    pub body: Bytes,
    pub uri: Uri,
    scheme: PhantomData<S>,
}

impl<S: Scheme> FromRequest<AppState> for Verified<S> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let uri = req.uri().clone();
        let headers = req.headers().clone();
        let body = read_body(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        S::verify(state, &uri, &headers, &body).map_err(|why| unauthorized(uri.path(), why))?;
        Ok(Verified {
            body,
            uri,
            scheme: PhantomData,
        })
    }
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

/// `application/x-www-form-urlencoded` pairs, in order.
pub fn parse_form(s: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(s).into_owned().collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
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
    let region = state.config.workspace(ws).default_region.clone();
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
    fn forms() {
        assert_eq!(
            parse_form(b"From=%2B14155550123&Body=Stop+please&Empty=&Flag"),
            pairs(&[
                ("From", "+14155550123"),
                ("Body", "Stop please"),
                ("Empty", ""),
                ("Flag", "")
            ])
        );
        assert_eq!(parse_form(b"a=%zz"), pairs(&[("a", "%zz")]));
    }
}
