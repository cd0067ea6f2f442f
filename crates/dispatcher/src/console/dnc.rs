//! `GET /console/dnc`: search a contact's entries (or see the newest); `POST /console/dnc`
//! adds one (fields named as in `POST /v1/dnc`: `contact`, `lead_id`, `channel`, `reason`,
//! `source`, `added_by`, `expires_at`); `POST /console/dnc/{id}/remove` removes one with a
//! `reason`. Both go through the API's own operations, audited with the session's token.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::error::ConsoleError;
use super::form::Form;
use super::layout::{self, Nav};
use super::session::Console;
use crate::api::auth::actor_of;
use crate::api::dnc::{add_entry, remove_entry};
use crate::app::AppState;
use crate::domain::{DncBody, canonical_contact};
use crate::store::DncRow;

/// Newest entries shown without a search.
const RECENT: i64 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct DncQuery {
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<DncQuery>,
) -> Result<Response, ConsoleError> {
    let notice = match q.done.as_deref() {
        Some("added") => Some("Entry added."),
        Some("exists") => Some("That entry was open already; nothing added."),
        Some("removed") => Some("Entry removed."),
        _ => None,
    };
    render(
        &state,
        &console,
        q.contact.as_deref(),
        notice,
        None,
        StatusCode::OK,
    )
    .await
}

async fn render(
    state: &AppState,
    console: &Console,
    contact: Option<&str>,
    notice: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let contact = contact.map(str::trim).filter(|c| !c.is_empty());
    let mut error = error.map(str::to_owned);
    let (title, rows) = match contact {
        Some(c) => match canonical_contact(c, &console.settings.default_region, "contact") {
            Ok(canonical) => (
                format!("Entries for {canonical}"),
                state
                    .store
                    .list_dnc(console.workspace(), Some(&canonical), 1000)
                    .await?,
            ),
            Err(e) => {
                error.get_or_insert_with(|| format!("Not a contact: {e}"));
                (String::new(), Vec::new())
            }
        },
        None => (
            "Newest entries".to_owned(),
            state.store.recent_dnc(console.workspace(), RECENT).await?,
        ),
    };
    let status = if error.is_some() && status == StatusCode::OK {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    let body = layout::page(
        console,
        "Do not contact",
        Nav::Dnc,
        html! {
            (layout::heading("Do not contact", Some(html! { "A wildcard (*) entry for any of a lead's contacts blocks that lead on every channel." })))
            (layout::notice(notice, error.as_deref()))
            form.filters method="get" action="/console/dnc" {
                (layout::text_input("contact", "Contact", contact, "+14155550123, ana@example.com or a LinkedIn URL"))
                div.actions { button.primary type="submit" { "Search" } a href="/console/dnc" { "Clear" } }
            }
            div.grid2.wide-left {
                section.card {
                    h2 { (title) }
                    (entries(console, &rows))
                }
                (add_form(console, contact))
            }
        },
    );
    Ok((status, body).into_response())
}

fn entries(console: &Console, rows: &[DncRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            (layout::empty("No open entry."))
        } @else {
            table.dnc {
                thead { tr { th { "Contact / lead" } th { "Channel" } th { "Reason" } th { "Added" } th { "Expires" } th {} } }
                tbody {
                    @for r in rows {
                        tr data-dnc-id=(r.id) {
                            td {
                                @if let Some(c) = &r.contact { code { (c) } }
                                @if let Some(l) = &r.lead_id { br; "lead " a href={ "/console/leads/" (l) } { (l) } }
                            }
                            td { code { (r.channel.as_str()) } }
                            td { code { (r.reason.as_str()) } @if let Some(s) = &r.source { br; span.muted { (s) } } }
                            td { (layout::utc(r.created_at)) @if let Some(b) = &r.added_by { br; span.muted { (b) } } }
                            td { (layout::utc_opt(r.expires_at)) }
                            td {
                                @if r.removed_at.is_none() {
                                    form.remove method="post" action={ "/console/dnc/" (r.id) "/remove" } {
                                        (layout::csrf_field(console))
                                        input type="text" name="reason" required placeholder="why remove it" aria-label="reason for removal";
                                        button.danger type="submit" data-confirm="Remove this entry? The contact may then be contacted again." { "Remove" }
                                    }
                                } @else {
                                    span.muted { "removed" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn add_form(console: &Console, contact: Option<&str>) -> Markup {
    let channels: Vec<&str> = std::iter::once("*")
        .chain(gate::Channel::ALL.iter().map(|c| c.as_str()))
        .collect();
    html! {
        section.card {
            h2 { "Add an entry" }
            form.stack method="post" action="/console/dnc" {
                (layout::csrf_field(console))
                label { span { "Contact" } input type="text" name="contact" value=[contact] placeholder="+14155550123"; }
                label { span { "Lead id (optional)" } input type="text" name="lead_id"; }
                label { span { "Channel" }
                    select name="channel" { @for c in &channels { option value=(c) { (c) } } }
                }
                label { span { "Reason" }
                    select name="reason" { @for r in gate::DncReason::ALL { option value=(r.as_str()) { (r.as_str()) } } }
                }
                label { span { "Source" } input type="text" name="source" placeholder="phone call"; }
                label { span { "Added by" } input type="text" name="added_by" placeholder="you@acme"; }
                label { span { "Expires (optional)" } input type="date" name="expires_at"; }
                button.primary type="submit" { "Add" }
            }
        }
    }
}

/// The form as a `POST /v1/dnc` body.
fn body_of(form: &Form) -> Result<DncBody, String> {
    let channel = form
        .get("channel")
        .unwrap_or("*")
        .parse()
        .map_err(|e: gate::ParseError| format!("channel: {e}"))?;
    let reason = form
        .get("reason")
        .unwrap_or("customer_request")
        .parse()
        .map_err(|e: gate::ParseError| format!("reason: {e}"))?;
    let expires_at = form
        .get("expires_at")
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
                .or_else(|| crate::domain::time::parse_instant(v).ok())
                .ok_or_else(|| "expires_at: a date (YYYY-MM-DD) or an RFC 3339 instant".to_owned())
        })
        .transpose()?;
    Ok(DncBody {
        contact: form.get("contact").map(str::to_owned),
        lead_id: form.get("lead_id").map(str::to_owned),
        channel,
        reason,
        source: form.get("source").map(str::to_owned),
        added_by: form.get("added_by").map(str::to_owned),
        expires_at,
    })
}

pub async fn add(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = Form::parse(&body);
    form.check_csrf(&console)?;
    let contact = form.get("contact").map(str::to_owned);
    let outcome = match body_of(&form) {
        Ok(b) => add_entry(&state, &console.principal, &actor_of(&console.principal), b)
            .await
            .map_err(|e| (e.status(), e.body().error.message)),
        Err(e) => Err((StatusCode::BAD_REQUEST, e)),
    };
    match outcome {
        Ok((row, created)) => {
            let mut to = form_urlencoded::Serializer::new(String::new());
            if let Some(c) = &row.contact {
                to.append_pair("contact", c);
            }
            to.append_pair("done", if created { "added" } else { "exists" });
            Ok(Redirect::to(&format!("/console/dnc?{}", to.finish())).into_response())
        }
        Err((status, message)) => {
            render(
                &state,
                &console,
                contact.as_deref(),
                None,
                Some(&message),
                status,
            )
            .await
        }
    }
}

pub async fn remove(
    State(state): State<AppState>,
    console: Console,
    crate::api::extract::IdPath(id): crate::api::extract::IdPath,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = Form::parse(&body);
    form.check_csrf(&console)?;
    let Some(reason) = form.get("reason") else {
        return render(
            &state,
            &console,
            None,
            None,
            Some("Say why the entry is removed."),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let row = remove_entry(
        &state,
        &console.principal,
        &id,
        &actor_of(&console.principal),
        reason,
    )
    .await?;
    let mut to = form_urlencoded::Serializer::new(String::new());
    if let Some(c) = &row.contact {
        to.append_pair("contact", c);
    }
    to.append_pair("done", "removed");
    Ok(Redirect::to(&format!("/console/dnc?{}", to.finish())).into_response())
}
