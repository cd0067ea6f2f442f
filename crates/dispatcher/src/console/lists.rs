//! `GET /console/registries` (every list in force: entries, `as_of`, stale, recent imports),
//! `GET|POST /console/scrub` (upload a CSV, download it scrubbed; the runs so far) and
//! `GET /console/inbound` (recent inbound messages: what was detected, what it did).

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes_stream::chunks_of;
use maud::{Markup, html};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use super::error::ConsoleError;
use super::layout::{self, Nav};
use super::session::Console;
use crate::api::auth::actor_of;
use crate::api::scrub::{ScrubJob, run_scrub};
use crate::app::AppState;
use crate::registries::is_stale;

pub async fn registries(
    State(state): State<AppState>,
    console: Console,
) -> Result<Markup, ConsoleError> {
    let now = state.clock.now();
    let set = state.registries.snapshot();
    let imports = state.store.registry_imports(20).await?;
    Ok(layout::page(
        &console,
        "Registries",
        Nav::Registries,
        html! {
            (layout::heading("Registries", Some(html! {
                "National and state Do-Not-Call lists, litigators and reassigned numbers, shared by the whole installation. A list is stale when its date is more than 31 days old."
            })))
            section.card {
                @if set.lists.is_empty() {
                    (layout::empty("No registry imported. An admin imports with `touchgate registry import` or POST /v1/registries/{name}/imports."))
                } @else {
                    table {
                        thead { tr { th { "Registry" } th.num { "Entries" } th { "Current to" } th { "Imported" } th { "Fresh?" } } }
                        tbody { @for l in set.lists.values() {
                            @let stale = is_stale(l.row.as_of, now);
                            tr {
                                td { code { (l.row.name) } }
                                td.num { (l.row.entries) }
                                td { @if let Some(d) = l.row.as_of { (d) } @else { span.muted { "no date" } } }
                                td { (layout::utc(l.row.imported_at)) }
                                td { @if stale { span.badge.stale { "stale" } } @else { span.badge.fresh { "current" } } }
                            }
                        } }
                    }
                }
            }
            section.card {
                h2 { "Recent imports" }
                @if imports.is_empty() { (layout::empty("None yet.")) } @else {
                    table {
                        thead { tr { th { "When" } th { "Registry" } th { "Mode" } th.num { "Lines" } th.num { "Added" } th.num { "Removed" } th.num { "Rejected" } th { "Outcome" } } }
                        tbody { @for i in &imports { tr {
                            td.nowrap { (layout::utc(i.finished_at)) } td { code { (i.registry) } } td { (i.mode) }
                            td.num { (i.lines) } td.num { (i.added) } td.num { (i.removed) } td.num { (i.rejected_count) }
                            td { (i.outcome) @if let Some(e) = &i.error { br; span.error-text { (e) } } }
                        } } }
                    }
                }
            }
        },
    ))
}

pub async fn scrub_page(
    State(state): State<AppState>,
    console: Console,
) -> Result<Response, ConsoleError> {
    scrub_render(&state, &console, None, StatusCode::OK).await
}

async fn scrub_render(
    state: &AppState,
    console: &Console,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let runs = state.store.list_scrubs(console.workspace(), 20).await?;
    let channels: Vec<&str> = gate::Channel::ALL.iter().map(|c| c.as_str()).collect();
    let body = layout::page(
        console,
        "Scrub",
        Nav::Scrub,
        html! {
            (layout::heading("Scrub a list", Some(html! {
                "Upload a CSV with a header row; download it with a " code { "reason" } " and a " code { "detail" } " column (empty when the row may be contacted). Judged on registries and this workspace's DNC rows, never on the time of day."
            })))
            (layout::notice(None, error))
            div.grid2.wide-left {
                section.card {
                    h2 { "Upload" }
                    form.stack method="post" action="/console/scrub" enctype="multipart/form-data" {
                        (layout::csrf_field(console))
                        label { span { "Phone column" } input type="text" name="phone_column" value="phone" required; }
                        label { span { "Channel" } select name="channel" { @for c in &channels { option value=(c) selected[*c == "call"] { (c) } } } }
                        label { span { "Purpose" } select name="purpose" { option value="marketing" { "marketing" } option value="transactional" { "transactional" } } }
                        label { span { "CSV file" } input type="file" name="file" accept=".csv,text/csv" required; }
                        button.primary type="submit" { "Scrub and download" }
                    }
                }
                section.card {
                    h2 { "Runs" }
                    @if runs.is_empty() { (layout::empty("No scrub yet.")) } @else {
                        table {
                            thead { tr { th { "When" } th { "Channel" } th.num { "Rows" } th.num { "Approved" } th.num { "Rejected" } } }
                            tbody { @for r in &runs { tr title=(r.by_reason) {
                                td.nowrap { (layout::utc(r.at)) } td { (r.channel) " · " (r.purpose) }
                                td.num { (r.rows) } td.num { (r.approved) } td.num { (r.rejected) }
                            } } }
                        }
                    }
                }
            }
        },
    );
    Ok((status, body).into_response())
}

/// The text fields the upload form sends before its file.
#[derive(Debug, Default)]
struct UploadFields {
    csrf: Option<String>,
    phone_column: Option<String>,
    channel: Option<String>,
    purpose: Option<String>,
}

/// `POST /console/scrub` (multipart: `csrf`, `phone_column`, `channel`, `purpose`, then
/// `file`). The file is streamed to the scrubber, never held whole: a task reads the form,
/// hands over the text fields, then forwards the file's chunks.
pub async fn scrub_upload(
    State(state): State<AppState>,
    console: Console,
    mut multipart: Multipart,
) -> Result<Response, ConsoleError> {
    let (fields_tx, fields_rx) = oneshot::channel::<Result<UploadFields, String>>();
    let (chunks_tx, chunks_rx) = mpsc::channel::<Result<axum::body::Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut fields = UploadFields::default();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => {
                    let _ = fields_tx.send(Err("the form has no file".to_owned()));
                    return;
                }
                Err(e) => {
                    let _ = fields_tx.send(Err(format!("the upload could not be read: {e}")));
                    return;
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                let _ = fields_tx.send(Ok(fields));
                chunks_of(field, chunks_tx).await;
                return;
            }
            let value = field.text().await.unwrap_or_default();
            let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            match name.as_str() {
                "csrf" => fields.csrf = value,
                "phone_column" => fields.phone_column = value,
                "channel" => fields.channel = value,
                "purpose" => fields.purpose = value,
                _ => {}
            }
        }
    });
    let fields = match fields_rx.await {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => {
            return scrub_render(&state, &console, Some(&e), StatusCode::BAD_REQUEST).await;
        }
        Err(_) => {
            return Err(ConsoleError::BadRequest(
                "the upload could not be read".to_owned(),
            ));
        }
    };
    let csrf_ok = fields
        .csrf
        .as_deref()
        .is_some_and(|t| crate::signing::ct_eq(t.as_bytes(), console.csrf.as_bytes()));
    if !csrf_ok {
        return Err(ConsoleError::Csrf);
    }
    let bad = |m: String| {
        let (state, console) = (&state, &console);
        async move { scrub_render(state, console, Some(&m), StatusCode::BAD_REQUEST).await }
    };
    let channel: gate::Channel = match fields.channel.as_deref().unwrap_or("call").parse() {
        Ok(c) => c,
        Err(e) => return bad(format!("channel: {e}")).await,
    };
    let purpose_name = fields.purpose.unwrap_or_else(|| "marketing".to_owned());
    let purpose = match purpose_name.as_str() {
        "marketing" => gate::Purpose::Marketing,
        "transactional" => gate::Purpose::Transactional,
        other => return bad(format!("unknown purpose `{other}`")).await,
    };
    let Some(phone_column) = fields.phone_column else {
        return bad("name the phone column".to_owned()).await;
    };
    let job = ScrubJob {
        phone_column,
        channel,
        purpose,
        purpose_name,
        actor: actor_of(&console.principal),
    };
    let body = tokio_stream::wrappers::ReceiverStream::new(chunks_rx);
    match run_scrub(&state, console.workspace(), job, body).await {
        Ok(res) => Ok(res),
        Err(e) => bad(e.body().error.message).await,
    }
}

/// Forwarding a multipart field's chunks to a channel.
mod bytes_stream {
    use axum::body::Bytes;
    use axum::extract::multipart::Field;
    use tokio::sync::mpsc;

    /// Sends every chunk of `field` (an error as the last item), until the receiver goes.
    pub async fn chunks_of(mut field: Field<'_>, tx: mpsc::Sender<Result<Bytes, std::io::Error>>) {
        loop {
            let item = match field.chunk().await {
                Ok(Some(chunk)) => Ok(chunk),
                Ok(None) => return,
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct InboundQuery {
    #[serde(default)]
    before: Option<i64>,
}

/// Messages per page.
const INBOUND_PAGE: i64 = 50;

pub async fn inbound(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<InboundQuery>,
) -> Result<Markup, ConsoleError> {
    let rows = state
        .store
        .recent_inbound(console.workspace(), INBOUND_PAGE, q.before)
        .await?;
    let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= INBOUND_PAGE;
    Ok(layout::page(
        &console,
        "Inbound",
        Nav::Inbound,
        html! {
            (layout::heading("Inbound messages", Some(html! {
                "Replies, opt-outs and provider messages, newest first: what was detected and what it did."
            })))
            section.card {
                @if rows.is_empty() { (layout::empty("No inbound message yet.")) } @else {
                    table.inbound {
                        thead { tr { th { "Received" } th { "Channel" } th { "From" } th { "Message" } th { "Detected" } th { "Done" } } }
                        tbody { @for m in &rows { tr data-inbound-seq=(m.seq) {
                            td.nowrap { (layout::utc(m.received_at)) }
                            td { (m.channel) }
                            td { code { (m.sender) } }
                            td.message { (m.body) }
                            td {
                                span class={ "badge intent-" (m.intent) } { (m.intent) }
                                @if let Some(k) = &m.matched { br; span.muted { "matched " code { (k) } } }
                            }
                            td {
                                @if let Some(d) = &m.dnc_id {
                                    "DNC row " a href={ "/console/dnc?contact=" (m.sender) } { code { (super::touches::short(d)) } }
                                } @else if m.intent == "opt_out" || m.intent == "wrong_number" {
                                    span.muted { "DNC row written" }
                                } @else {
                                    span.muted { "—" }
                                }
                                @if let Some(id) = &m.message_id { br; span.muted { "id " (id) } }
                            }
                        } } }
                    }
                }
                @if full {
                    @if let Some(last) = rows.last() {
                        div.pager { a.next href={ "/console/inbound?before=" (last.seq) } { "Older →" } }
                    }
                }
            }
        },
    ))
}

/// Alerts shown (the newest).
const ALERTS_SHOWN: i64 = 200;

/// The workspace's alerts (a litigator's number hit), newest first, with the touch that hit
/// it and whether the alert webhook has taken it.
pub async fn alerts(
    State(state): State<AppState>,
    console: Console,
) -> Result<Markup, ConsoleError> {
    let rows = state
        .store
        .list_alerts(console.workspace(), ALERTS_SHOWN)
        .await?;
    let webhook = state.config.alerts.webhook_url.is_some();
    Ok(layout::page(
        &console,
        "Alerts",
        Nav::Alerts,
        html! {
            (layout::heading("Alerts", Some(html! {
                "Touches held because their number is a known litigator's (a registry listing or a "
                code { "litigation_hold" } " DNC row), newest first. Nothing was sent to them; "
                "review the lead before anyone contacts it by hand."
            })))
            section.card {
                @if rows.is_empty() { (layout::empty("No alert yet.")) } @else {
                    table.alerts {
                        thead { tr { th { "Raised" } th { "Kind" } th { "Contact" } th { "Touch" } th { "Why" } th { "Webhook" } } }
                        tbody { @for a in &rows { tr data-alert-id=(a.id) {
                            td.nowrap { (layout::utc(a.at)) }
                            td { span class={ "badge reason-" (a.kind) } { (a.kind) } }
                            td { @if let Some(c) = &a.contact { code { (c) } } @else { span.muted { "—" } } }
                            td {
                                @if let Some(t) = &a.touch_id {
                                    a href={ "/console/touches/" (t) } { code { (super::touches::short(t)) } }
                                    @if a.decisions > 1 { br; span.muted { (a.decisions) " decisions" } }
                                } @else { span.muted { "a check" } }
                            }
                            td.message { (a.detail) }
                            td.nowrap {
                                @if let Some(at) = a.delivered_at { "delivered " (layout::utc(at)) }
                                @else if webhook { span.muted { "pending" } }
                                @else { span.muted { "no webhook configured" } }
                            }
                        } } }
                    }
                    @if i64::try_from(rows.len()).unwrap_or(i64::MAX) >= ALERTS_SHOWN {
                        p.muted { "The " (ALERTS_SHOWN) " newest; " code { "GET /v1/alerts?limit=1000" } " lists more." }
                    }
                }
            }
        },
    ))
}
