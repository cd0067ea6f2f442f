//! `GET /console/touches/{id}`: one touch and its timeline — every decision with each check,
//! its detail, the rule and citation that bound, retry-after in UTC and in each of the
//! recipient's zones, provider outcomes and overrides; `POST …/override` waives business
//! checks (the API's override, with the session's token recorded).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::error::ConsoleError;
use super::form::Form;
use super::layout::{self, Nav};
use super::session::Console;
use super::{explain, touches::short};
use crate::api::auth::actor_of;
use crate::api::extract::IdPath;
use crate::app::AppState;
use crate::dispatch::Waived;
use crate::store::{DecisionRow, TouchRow};
use crate::touch::{TimelineKind, TouchStatus};

#[derive(Debug, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    console: Console,
    IdPath(id): IdPath,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let notice = done
        .done
        .as_deref()
        .filter(|d| *d == "override")
        .map(|_| "Override decided; its decision is the last entry below.");
    render(&state, &console, &id, notice, None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    console: &Console,
    id: &str,
    notice: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let touch = state
        .store
        .get_touch(console.workspace(), id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("no touch `{id}` in this workspace")))?;
    let decisions = state.store.decisions(&touch.id).await?;
    let lead = state
        .store
        .get_lead(console.workspace(), &touch.lead_id)
        .await?;
    let zones: Vec<(Tz, &'static str)> = lead.as_ref().map_or_else(
        || {
            vec![(
                console.settings.policy.default_timezone,
                "workspace default",
            )]
        },
        |l| {
            let place = gate::timezone::resolve_place(
                &l.facts,
                touch.channel,
                console.settings.policy.default_timezone,
            );
            place
                .zones
                .iter()
                .copied()
                .zip(place.zone_sources.iter().map(|s| s.as_str()))
                .collect()
        },
    );
    let body = layout::page(
        console,
        &format!("Touch {}", short(&touch.id)),
        Nav::Touches,
        html! {
            (layout::heading(&format!("Touch {}", short(&touch.id)), Some(html! {
                (layout::status(touch.status.as_str())) " "
                (layout::reason(touch.reason.as_ref().map(|r| r.as_str())))
                @if let Some(r) = &touch.reason { " — " (explain::reason(r.as_str())) }
            })))
            (layout::notice(notice, error))
            div.grid2 {
                (summary(&touch, &zones))
                (content(&touch))
            }
            @if matches!(touch.status, TouchStatus::Scheduled | TouchStatus::Blocked) {
                (override_form(console, &touch, &decisions))
            }
            section.card {
                h2 { "Timeline" }
                @if decisions.is_empty() { (layout::empty("No decision yet: the touch is waiting for the dispatcher.")) }
                ol.timeline {
                    @for d in &decisions { (entry(d, &zones)) }
                }
            }
        },
    );
    Ok((status, body).into_response())
}

fn summary(t: &TouchRow, zones: &[(Tz, &'static str)]) -> Markup {
    html! {
        section.card {
            h2 { "Touch" }
            dl.facts {
                dt { "Id" } dd { code { (t.id) } }
                dt { "Lead" } dd { a href={ "/console/leads/" (t.lead_id) } { (t.lead_id) } }
                dt { "Account" } dd { a href={ "/console/accounts/" (t.account_id) } { (t.account_id) } }
                dt { "Channel" } dd { (t.channel.as_str()) " · " (if t.purpose == gate::Purpose::Marketing { "marketing" } else { "transactional" }) }
                @if let Some(c) = &t.campaign_id { dt { "Campaign" } dd { (c) @if let Some(s) = t.step { " · step " (s) } } }
                dt { "Created" } dd { (layout::utc(t.created_at)) }
                dt { "Deadline" } dd { (layout::utc(t.deadline)) }
                @if let Some(n) = t.next_attempt_at { dt { "Next attempt" } dd { (times(n, zones)) } }
                dt { "Attempts" } dd { (t.attempts) }
                @if let Some(r) = &t.recipient { dt { "Recipient" } dd { code { (r) } } }
                @if let Some(s) = t.sent_at { dt { "Sent" } dd { (layout::utc(s)) } }
                @if let Some(p) = &t.provider_message_id { dt { "Provider id" } dd { code { (p) } } }
                @if let Some(e) = &t.error { dt { "Error" } dd.error-text { (e) } }
                dt { "Recipient zones" } dd {
                    @for (i, (z, source)) in zones.iter().enumerate() {
                        @if i > 0 { ", " }
                        (z.name()) " " span.muted { "(" (source) ")" }
                    }
                }
                dt { "Idempotency key" } dd { code { (t.idempotency_key) } }
            }
        }
    }
}

fn content(t: &TouchRow) -> Markup {
    let c = t.request.content.as_ref();
    html! {
        section.card {
            h2 { "Message" }
            @if let Some(tpl) = &t.request.template { p { "Template " code { (serde_json::to_string(tpl).unwrap_or_default()) } } }
            @if let Some(s) = c.and_then(|c| c.subject.as_deref()) { p { strong { (s) } } }
            @if let Some(b) = c.and_then(|c| c.body.as_deref()) { pre.message { (b) } }
            @if c.is_none() && t.request.template.is_none() { (layout::empty("No content (erased, or a template only).")) }
            @if let Some(m) = &t.sandbox_message {
                details { summary { "Sandbox record" } pre { (serde_json::to_string_pretty(m).unwrap_or_default()) } }
            }
        }
    }
}

/// An instant in UTC and in each of the recipient's zones.
fn times(t: DateTime<Utc>, zones: &[(Tz, &'static str)]) -> Markup {
    html! {
        (layout::utc(t))
        @for (z, _) in zones {
            br; span.local { (layout::local(t, *z)) " " span.muted { (z.name()) } }
        }
    }
}

fn kind_label(k: TimelineKind) -> &'static str {
    match k {
        TimelineKind::Gate => "Gate decision",
        TimelineKind::DncRecheck => "Last check before sending",
        TimelineKind::Provider => "Provider answer",
        TimelineKind::Delivery => "Delivery report",
        TimelineKind::Recovery => "Recovery",
        TimelineKind::Cancel => "Cancelled",
        TimelineKind::Reply => "Lead replied",
        TimelineKind::OptOutConfirmation => "Opt-out confirmation",
    }
}

fn entry(d: &DecisionRow, zones: &[(Tz, &'static str)]) -> Markup {
    let checks: Vec<gate::CheckOutcome> =
        serde_json::from_value(d.checks.clone()).unwrap_or_default();
    let outcome = if d.allowed { "allowed" } else { "held" };
    html! {
        li class={ "entry " (outcome) } {
            div.entry-head {
                span.kind { (kind_label(d.kind)) }
                " " (layout::utc(d.at))
                " " span class={ "badge " (outcome) } { (if d.allowed { "allowed" } else { "not allowed" }) }
                @if let Some(r) = &d.reason { " " (layout::reason(Some(r))) }
            }
            @if let Some(r) = &d.reason { p.explain { (explain::reason(r)) } }
            @if let Some(t) = d.retry_after { p { "Retry after " (times(t, zones)) } }
            @if let Some(detail) = &d.detail { p.detail { (detail) } }
            @if let Some(o) = &d.override_ { (override_record(o)) }
            @if !checks.is_empty() { (check_table(&checks)) }
        }
    }
}

fn override_record(o: &serde_json::Value) -> Markup {
    let text = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let waived: Vec<&str> = o
        .get("waived")
        .and_then(|w| w.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    html! {
        div.override-record {
            strong { "Override" } ": waived "
            @for (i, w) in waived.iter().enumerate() { @if i > 0 { ", " } code { (w) } }
            " — “" (text("reason")) "”"
            br;
            span.muted { "by " (text("token")) @if !text("added_by").is_empty() { " for " (text("added_by")) } }
        }
    }
}

fn check_table(checks: &[gate::CheckOutcome]) -> Markup {
    html! {
        details open[checks.iter().any(|c| !c.passed || c.waived)] {
            summary { (checks.len()) " checks" }
            table.checks {
                thead { tr { th { "Check" } th { "Result" } th { "Detail" } th { "Rule" } th { "Passes at" } } }
                tbody {
                    @for c in checks {
                        @let result = if c.waived { "waived" } else if c.passed { "passed" } else { "failed" };
                        tr class=(result) {
                            td { code { (c.check.as_str()) } }
                            td { span class={ "badge " (result) } { (result) } }
                            td { @if let Some(d) = &c.detail { (d) } }
                            td {
                                @if let Some(id) = &c.rule {
                                    code { (id) }
                                    @if let Some(rule) = explain::rule(id) {
                                        br; (rule.title) br; cite { (rule.citation) }
                                        br; span.muted { (explain::verification(rule)) " · in force from " (format!("{}-{:02}-{:02}", rule.effective_from.0, rule.effective_from.1, rule.effective_from.2)) }
                                        br; span.muted.source { "Source: " (rule.source) }
                                    }
                                }
                            }
                            td.nowrap { (layout::utc_opt(c.passes_at)) }
                        }
                    }
                }
            }
        }
    }
}

/// The override form: every check that failed the latest gate decision, to tick. Business
/// checks can be waived; a legal one is named as such, and the server refuses it (the gate's
/// `Waivers` decide, not this page).
fn override_form(console: &Console, t: &TouchRow, decisions: &[DecisionRow]) -> Markup {
    let failed: Vec<gate::CheckOutcome> = decisions
        .iter()
        .rev()
        .find(|d| d.kind == TimelineKind::Gate)
        .and_then(|d| serde_json::from_value::<Vec<gate::CheckOutcome>>(d.checks.clone()).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|c| !c.passed)
        .collect();
    html! {
        section.card.override {
            h2 { "Override" }
            p.muted {
                "Decide this touch again now with business checks waived (min gap, caps, recipient cap, template review, the account's own hours). "
                "Legal checks — DNC, consent, registries, litigation holds, rule packs, DLT, WhatsApp rules, blackouts — cannot be waived. "
                "The decision records your token and your reason."
            }
            form method="post" action={ "/console/touches/" (t.id) "/override" } {
                (layout::csrf_field(console))
                fieldset.waive {
                    legend { "Waive" }
                    @if failed.is_empty() { (layout::empty("The latest decision failed no check.")) }
                    @for c in &failed {
                        @let legal = c.check.as_str().parse::<gate::Waiver>().is_err();
                        label.check {
                            input type="checkbox" name="waive" value=(c.check.as_str()) checked[!legal];
                            code { (c.check.as_str()) }
                            @if legal { " " span.badge.legal { "legal" } }
                            @if let Some(d) = &c.detail { " " span.muted { (d) } }
                        }
                    }
                }
                label { span { "Reason (required)" } input type="text" name="reason" required maxlength="500" placeholder="CEO asked to resend"; }
                label { span { "On behalf of" } input type="text" name="added_by" maxlength="200" placeholder="ops@acme"; }
                button.primary type="submit" data-confirm="Decide this touch again with these checks waived?" { "Override and decide again" }
            }
        }
    }
}

/// `POST /console/touches/{id}/override` (`waive` repeated, `reason`, `added_by`).
pub async fn override_touch(
    State(state): State<AppState>,
    console: Console,
    IdPath(id): IdPath,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = Form::parse(&body);
    form.check_csrf(&console)?;
    let refuse = |msg: String, status| {
        let (state, console, id) = (&state, &console, &id);
        async move { render(state, console, id, None, Some(&msg), status).await }
    };
    let waive = form.all("waive");
    if waive.is_empty() {
        return refuse(
            "Tick at least one check to waive.".to_owned(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let waivers = match gate::Waivers::parse(waive.iter().map(String::as_str)) {
        Ok(w) => w,
        Err(e) => {
            tracing::info!(workspace = %console.workspace(), touch_id = %id, error = %e, "console override refused");
            return refuse(format!("Refused: {e}"), StatusCode::BAD_REQUEST).await;
        }
    };
    let Some(reason) = form.get("reason") else {
        return refuse(
            "Say why the checks are waived.".to_owned(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    if state
        .store
        .get_touch(console.workspace(), &id)
        .await?
        .is_none()
    {
        return Err(ConsoleError::NotFound(format!(
            "no touch `{id}` in this workspace"
        )));
    }
    let waived = Waived::new(
        waivers,
        &waive,
        reason,
        form.get("added_by"),
        &actor_of(&console.principal),
    );
    let done = state
        .dispatcher
        .override_touch(console.workspace(), &id, &waived)
        .await
        .map_err(|e| ConsoleError::Api(e.into()))?;
    if done.is_none() {
        return refuse(
            "Only a scheduled or blocked touch can be overridden (it moved on meanwhile)."
                .to_owned(),
            StatusCode::CONFLICT,
        )
        .await;
    }
    tracing::info!(workspace = %console.workspace(), touch_id = %id, waived = ?waive, "console override decided");
    Ok(Redirect::to(&format!("/console/touches/{id}?done=override")).into_response())
}
