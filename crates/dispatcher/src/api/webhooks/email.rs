//! `POST /v1/webhooks/email/inbound` — a raw RFC 5322 message, signed with the shared secret
//! (`X-Touchgate-Signature`).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::*;
use crate::api::error::ErrorBody;
use crate::email_parse;

/// A raw inbound email (from a mail server's pipe or an inbound-parse service).
#[utoipa::path(
    post,
    path = "/v1/webhooks/email/inbound",
    tag = "webhooks",
    request_body(content = String, content_type = "message/rfc822", description = "The raw RFC 5322 message"),
    params(("X-Touchgate-Signature" = String, Header, description = "`sha256=<hex HMAC-SHA256(secret, raw body)>`")),
    responses(
        (status = 200, description = "A delivery status notification or feedback report: `{\"report\": \"delivery\"|\"complaint\", \"touch_id\", …}`. Any other message, as `POST /v1/inbound`: `{\"opt_out\", \"intent\", \"matched\"?, \"dnc\"?, \"leads\"}`. Taken in every workspace with a lead that has the sender (else in `[webhooks] workspace`); when that is several, `leads` lists them all and `dnc_entries` has one entry per workspace", body = Object),
        (status = 400, description = "No readable `From` address (field `From`)", body = ErrorBody),
        (status = 401, description = "Bad or missing signature, or no secret configured; nothing recorded", body = ErrorBody),
    )
)]
pub async fn email_inbound(
    State(state): State<AppState>,
    signed: Verified<SharedSecret>,
) -> Result<Response, ApiError> {
    // A bounce or a complaint (RFC 3464 / RFC 5965) is about a message we sent, not a reply.
    if let Some(report) = crate::email_report::parse(&signed.body) {
        let answer =
            crate::deliverability::take_report(&state, &report, &webhook_workspace(&state)).await?;
        return Ok(Json(answer).into_response());
    }
    let mail = email_parse::parse(&signed.body);
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
    let replied: Vec<String> = mail
        .in_reply_to
        .iter()
        .chain(&mail.references)
        .cloned()
        .collect();
    let mut outcomes = Vec::new();
    for ws in contact_workspaces(&state, &contact).await? {
        outcomes.push(
            inbound::process(
                &state,
                &ws,
                &inbound::Inbound {
                    channel: gate::Channel::Email,
                    from: &contact,
                    to: None,
                    body: &mail.text,
                    subject: mail.subject.as_deref(),
                    headers: &pairs,
                    received_at: None,
                    message_id: mail.message_id.as_deref(),
                    in_reply_to: &replied,
                },
            )
            .await?,
        );
    }
    Ok(Json(merged_outcome(&outcomes)).into_response())
}
