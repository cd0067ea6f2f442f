//! `GET /console/touches`: the workspace's touches, newest first, filtered by plain GET
//! fields (`status`, `reason`, `channel`, `account_id`, `campaign_id`, `lead_id`, `from`,
//! `to`), a page at a time; `GET /console/touches.csv`: the same filter as CSV (the API's
//! export, streamed). Dates may be given as `YYYY-MM-DD` (UTC days, `to` inclusive) or RFC 3339.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use maud::{Markup, html};

use super::error::ConsoleError;
use super::layout::{self, Nav};
use super::session::Console;
use crate::api::extract::Params;
use crate::api::touches::{ListQuery, csv_export, parse_list_query};
use crate::app::AppState;
use crate::store::TouchRow;
use crate::touch::TouchStatus;

/// Rows per page.
pub const PAGE: i64 = 50;

const FILTERS: [&str; 8] = [
    "status",
    "reason",
    "channel",
    "account_id",
    "campaign_id",
    "lead_id",
    "from",
    "to",
];

/// The filter as typed (for the form and the links) and as the API reads it.
#[derive(Debug)]
struct Filter {
    typed: Vec<(String, String)>,
    query: Result<ListQuery, ConsoleError>,
}

impl Filter {
    fn typed(&self, name: &str) -> Option<&str> {
        self.typed
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The query string of the filter (no cursor), for links.
    fn query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.typed {
            if k != "cursor" {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

/// A date (`YYYY-MM-DD`) as the RFC 3339 instant the API reads: its start, or for `to` the
/// start of the next day (so the day given is included).
fn instant_of(name: &str, v: &str) -> String {
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => {
            let d = if name == "to" {
                d + Duration::days(1)
            } else {
                d
            };
            format!("{d}T00:00:00Z")
        }
        Err(_) => v.to_owned(),
    }
}

fn filter_of(pairs: Vec<(String, String)>) -> Filter {
    let typed: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_owned()))
        .filter(|(k, v)| !v.is_empty() && (FILTERS.contains(&k.as_str()) || k == "cursor"))
        .collect();
    let api = typed
        .iter()
        .map(|(k, v)| {
            let v = if k == "from" || k == "to" {
                instant_of(k, v)
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    Filter {
        query: parse_list_query(Params::from_pairs(api)).map_err(ConsoleError::from),
        typed,
    }
}

pub async fn page(
    State(state): State<AppState>,
    console: Console,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let filter = filter_of(pairs);
    let (rows, more, error) = match &filter.query {
        Ok(q) => {
            let mut rows = state
                .store
                .list_touches(
                    console.workspace(),
                    &q.filter,
                    PAGE + 1,
                    q.cursor.as_deref(),
                )
                .await?;
            let more = rows.len() > usize::try_from(PAGE).unwrap_or(usize::MAX);
            rows.truncate(usize::try_from(PAGE).unwrap_or(usize::MAX));
            (rows, more, None)
        }
        Err(e) => (Vec::new(), false, Some(e.to_string())),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = layout::page(
        &console,
        "Touches",
        Nav::Touches,
        html! {
            (layout::heading("Touches", Some(html! { "Newest first. Every filter is a plain form field; the CSV has the same rows." })))
            (filter_form(&filter))
            (layout::notice(None, error.as_deref()))
            section.card {
                (touch_table(&rows))
                div.pager {
                    @if filter.typed("cursor").is_some() {
                        a href={ "/console/touches?" (filter.query_string()) } { "← Newest" }
                    }
                    @if more {
                        @if let Some(last) = rows.last() {
                            a.next href={ "/console/touches?" (next_page(&filter, &last.id)) } { "Older →" }
                        }
                    }
                }
            }
        },
    );
    Ok((status, body).into_response())
}

fn next_page(filter: &Filter, cursor: &str) -> String {
    let base = filter.query_string();
    let mut s = form_urlencoded::Serializer::new(base);
    s.append_pair("cursor", cursor);
    s.finish()
}

fn filter_form(filter: &Filter) -> Markup {
    let statuses: Vec<&str> = TouchStatus::ALL.iter().map(|s| s.as_str()).collect();
    let mut reasons: Vec<&str> = gate::Reason::ALL.iter().map(|r| r.as_str()).collect();
    reasons.push("lead_replied");
    let channels: Vec<&str> = gate::Channel::ALL.iter().map(|c| c.as_str()).collect();
    html! {
        form.filters method="get" action="/console/touches" {
            (layout::select("status", "Status", &statuses, filter.typed("status")))
            (layout::select("reason", "Reason", &reasons, filter.typed("reason")))
            (layout::select("channel", "Channel", &channels, filter.typed("channel")))
            (layout::text_input("account_id", "Account", filter.typed("account_id"), "sdr-1"))
            (layout::text_input("campaign_id", "Campaign", filter.typed("campaign_id"), "seq42"))
            (layout::text_input("lead_id", "Lead", filter.typed("lead_id"), "lead-7"))
            label { span { "From" } input type="date" name="from" value=[filter.typed("from")]; }
            label { span { "To" } input type="date" name="to" value=[filter.typed("to")]; }
            div.actions {
                button.primary type="submit" { "Filter" }
                a href="/console/touches" { "Clear" }
                a.button href={ "/console/touches.csv?" (filter.query_string()) } download { "Download CSV" }
            }
        }
    }
}

/// The touch table (also the lead page's recent touches). Each row is
/// `<tr data-touch-id="…">` and shows the reason code as text (contract hooks).
pub fn touch_table(rows: &[TouchRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            (layout::empty("No touch matches."))
        } @else {
            table.touches {
                thead { tr {
                    th { "Created" } th { "Touch" } th { "Lead" } th { "Account" } th { "Channel" }
                    th { "Status" } th { "Reason" } th { "Next / retry" } th { "Campaign" }
                } }
                tbody {
                    @for t in rows {
                        tr data-touch-id=(t.id) {
                            td.nowrap { (layout::utc(t.created_at)) }
                            td { a.id href={ "/console/touches/" (t.id) } { (short(&t.id)) } }
                            td { a href={ "/console/leads/" (t.lead_id) } { (t.lead_id) } }
                            td { a href={ "/console/accounts/" (t.account_id) } { (t.account_id) } }
                            td { (t.channel.as_str()) }
                            td {
                                (layout::status(t.status.as_str()))
                                @if t.override_.is_some() { " " span.badge.override title="an operator override decided it" { "override" } }
                            }
                            td { (layout::reason(t.reason.as_ref().map(|r| r.as_str()))) }
                            td.nowrap { (layout::utc_opt(t.next_attempt_at.or(t.retry_after))) }
                            td { @if let Some(c) = &t.campaign_id { (c) @if let Some(s) = t.step { " · step " (s) } } }
                        }
                    }
                }
            }
        }
    }
}

/// The last 12 characters of an id (uuid v7 ids share their first ones within a day).
pub fn short(id: &str) -> &str {
    let start = id.len().saturating_sub(12);
    id.get(start..).unwrap_or(id)
}

pub async fn csv(
    State(state): State<AppState>,
    console: Console,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let q = filter_of(pairs).query?;
    Ok(csv_export(state.store.clone(), console.workspace().to_owned(), q).await?)
}
