//! `GET /console/leads/{id}` (contacts, consents, registry listings, DNC rows, recent
//! touches) and `GET /console/accounts[/{id}]` (status, limits, windows, templates, DLT,
//! paused channels, recent changes).

use axum::extract::State;
use maud::{Markup, html};
use serde::Serialize;

use super::error::ConsoleError;
use super::layout::{self, Nav};
use super::session::Console;
use super::touches::touch_table;
use crate::api::extract::IdPath;
use crate::app::AppState;
use crate::store::{AuditRow, TouchFilter};

/// Recent touches shown on a lead's or an account's page.
const RECENT_TOUCHES: i64 = 20;

/// A serialised enum's name (`paused`), for display.
fn name_of<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub async fn lead(
    State(state): State<AppState>,
    console: Console,
    IdPath(id): IdPath,
) -> Result<Markup, ConsoleError> {
    let ws = console.workspace();
    let lead = state
        .store
        .get_lead(ws, &id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("no lead `{id}` in this workspace")))?;
    let b = &lead.body;
    let contacts: Vec<String> = [&b.phone, &b.email, &b.linkedin, &b.whatsapp]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let registries = state.registries.snapshot();
    let listings: Vec<gate::RegistryListing> = [&b.phone, &b.whatsapp]
        .into_iter()
        .flatten()
        .flat_map(|n| registries.listings(n))
        .collect();
    let dnc = state.store.dnc_rows_for_lead(ws, &id, &contacts).await?;
    let filter = TouchFilter {
        lead_id: Some(id.clone()),
        ..TouchFilter::default()
    };
    let touches = state
        .store
        .list_touches(ws, &filter, RECENT_TOUCHES, None)
        .await?;
    let place = gate::timezone::resolve_place(
        &lead.facts,
        gate::Channel::Call,
        console.settings.policy.default_timezone,
    );
    let audit = state.store.audit_of(ws, &id, 10).await?;
    Ok(layout::page(
        &console,
        &format!("Lead {id}"),
        Nav::Touches,
        html! {
            (layout::heading(&format!("Lead {id}"), Some(html! { "Zones: " (place.describe_zones()) })))
            div.grid2 {
                section.card {
                    h2 { "Contacts" }
                    dl.facts {
                        @for (label, v) in [("Phone", &b.phone), ("Email", &b.email), ("LinkedIn", &b.linkedin), ("WhatsApp", &b.whatsapp), ("Timezone", &b.timezone), ("Country", &b.country), ("State", &b.state)] {
                            @if let Some(v) = v { dt { (label) } dd { code { (v) } } }
                        }
                        @if let Some(t) = b.number_reassigned_at { dt { "Number reassigned" } dd { (layout::utc(t)) } }
                    }
                    @if contacts.is_empty() { (layout::empty("No contact stored (erased?).")) }
                }
                section.card {
                    h2 { "Registry listings" }
                    @if listings.is_empty() {
                        (layout::empty("Not on any registry in force."))
                    } @else {
                        ul.plain { @for l in &listings { li { code { (l.number) } " — " (l.label()) } } }
                    }
                    p.muted { a href="/console/registries" { "Registries and their dates" } }
                }
            }
            section.card {
                h2 { "Consents" }
                @if b.consents.is_empty() {
                    (layout::empty("No consent recorded."))
                } @else {
                    table {
                        thead { tr { th { "Channel" } th { "Purpose" } th { "Granted" } th { "Revoked" } th { "Source" } } }
                        tbody { @for c in &b.consents { tr {
                            td { (c.channel.as_str()) } td { (name_of(&c.purpose)) }
                            td { (layout::utc(c.granted_at)) } td { (layout::utc_opt(c.revoked_at)) }
                            td { @if let Some(s) = &c.source { (s) } }
                        } } }
                    }
                }
                @if !b.relationships.is_empty() {
                    h3 { "Business relationships" }
                    ul.plain { @for r in &b.relationships { li { (name_of(&r.kind)) " · " (layout::utc(r.at)) } } }
                }
            }
            section.card {
                h2 { "Do-not-contact rows" }
                @if dnc.is_empty() {
                    (layout::empty("No DNC row names this lead or its contacts."))
                } @else {
                    table {
                        thead { tr { th { "Contact / lead" } th { "Channel" } th { "Reason" } th { "Added" } th { "Expires" } th { "Removed" } } }
                        tbody { @for r in &dnc { tr class=[r.removed_at.map(|_| "removed")] {
                            td { @if let Some(c) = &r.contact { code { (c) } } @else { "this lead" } }
                            td { code { (r.channel.as_str()) } } td { code { (r.reason.as_str()) } }
                            td { (layout::utc(r.created_at)) @if let Some(b) = &r.added_by { br; span.muted { (b) } } }
                            td { (layout::utc_opt(r.expires_at)) }
                            td { (layout::utc_opt(r.removed_at)) @if let Some(w) = &r.removed_reason { br; span.muted { (w) } } }
                        } } }
                    }
                }
                p { a href={ "/console/dnc?contact=" (b.phone.as_deref().or(b.email.as_deref()).unwrap_or_default()) } { "Add or remove entries" } }
            }
            section.card {
                h2 { "Recent touches" }
                (touch_table(&touches))
                p { a href={ "/console/touches?lead_id=" (id) } { "All touches of this lead" } }
            }
            (changes(&audit))
        },
    ))
}

/// Recent audit rows about a subject.
fn changes(audit: &[AuditRow]) -> Markup {
    html! {
        @if !audit.is_empty() {
            section.card {
                h2 { "Recent changes" }
                table {
                    thead { tr { th { "When" } th { "What" } th { "Who" } } }
                    tbody { @for a in audit { tr {
                        td.nowrap { (layout::utc(a.at)) } td { code { (a.action) } } td { (a.actor) }
                    } } }
                }
            }
        }
    }
}

pub async fn accounts(
    State(state): State<AppState>,
    console: Console,
) -> Result<Markup, ConsoleError> {
    let accounts = state.store.list_accounts(console.workspace(), 500).await?;
    Ok(layout::page(
        &console,
        "Accounts",
        Nav::Accounts,
        html! {
            (layout::heading("Accounts", Some(html! { "Sender identities of this workspace." })))
            section.card {
                @if accounts.is_empty() {
                    (layout::empty("No account yet. Create one with PUT /v1/accounts/{id}."))
                } @else {
                    table {
                        thead { tr { th { "Account" } th { "Status" } th { "Paused channels" } th { "Capped channels" } } }
                        tbody { @for (id, a) in &accounts { tr {
                            td { a href={ "/console/accounts/" (id) } { (id) } }
                            td { (layout::status(&name_of(&a.body.status))) }
                            td { @for c in &a.body.paused_channels { code { (c.as_str()) } " " } }
                            td { @for c in a.body.limits.keys() { code { (c.as_str()) } " " } }
                        } } }
                    }
                }
            }
        },
    ))
}

pub async fn account(
    State(state): State<AppState>,
    console: Console,
    IdPath(id): IdPath,
) -> Result<Markup, ConsoleError> {
    let ws = console.workspace();
    let a =
        state.store.get_account(ws, &id).await?.ok_or_else(|| {
            ConsoleError::NotFound(format!("no account `{id}` in this workspace"))
        })?;
    let b = &a.body;
    let filter = TouchFilter {
        account_id: Some(id.clone()),
        ..TouchFilter::default()
    };
    let touches = state
        .store
        .list_touches(ws, &filter, RECENT_TOUCHES, None)
        .await?;
    let audit = state.store.audit_of(ws, &id, 10).await?;
    let opt = |v: Option<u32>| v.map_or_else(|| "—".to_owned(), |n| n.to_string());
    Ok(layout::page(
        &console,
        &format!("Account {id}"),
        Nav::Accounts,
        html! {
            (layout::heading(&format!("Account {id}"), Some(html! {
                (layout::status(&name_of(&b.status)))
                @if !b.paused_channels.is_empty() {
                    " paused on " @for c in &b.paused_channels { code { (c.as_str()) } " " }
                }
            })))
            div.grid2 {
                section.card {
                    h2 { "Limits" }
                    @if b.limits.is_empty() { (layout::empty("No cap on any channel.")) } @else {
                        table {
                            thead { tr { th { "Channel" } th { "Min gap (s)" } th { "Hourly" } th { "Daily" } th { "Weekly invites" } th { "Warm-up" } } }
                            tbody { @for (c, l) in &b.limits { tr {
                                td { code { (c.as_str()) } } td { (opt(l.min_gap_seconds)) } td { (opt(l.hourly)) }
                                td { (opt(l.daily)) } td { (opt(l.weekly_invites)) }
                                td { @if let Some(w) = &l.warmup { (serde_json::to_string(w).unwrap_or_default()) } @else { "—" } }
                            } } }
                        }
                    }
                }
                section.card {
                    h2 { "Windows (recipient local time)" }
                    @match &b.quiet_hours {
                        None => p { "Defaults: 08:00–21:00 for call, SMS and WhatsApp; none for email and LinkedIn. Rule packs apply on top." }
                        Some(map) => table {
                            thead { tr { th { "Channel" } th { "Allowed window" } } }
                            tbody { @for (k, v) in map { tr {
                                td { code { (k) } }
                                td { @if v.is_null() { "no window" } @else { (v.get("start").and_then(|s| s.as_str()).unwrap_or("?")) "–" (v.get("end").and_then(|s| s.as_str()).unwrap_or("?")) } }
                            } } }
                        }
                    }
                }
            }
            div.grid2 {
                section.card {
                    h2 { "Content templates" }
                    @if b.templates.is_empty() && b.whatsapp_templates.is_empty() { (layout::empty("None listed.")) }
                    @if !b.templates.is_empty() {
                        table { thead { tr { th { "Template" } th { "Channel" } th { "Status" } } }
                            tbody { @for t in &b.templates { tr {
                                td { code { (t.id) } } td { @if let Some(c) = t.channel { (c.as_str()) } @else { "any" } }
                                td { (layout::status(&name_of(&t.status))) }
                            } } } }
                    }
                    @if !b.whatsapp_templates.is_empty() {
                        h3 { "WhatsApp" }
                        table { thead { tr { th { "Name" } th { "Language" } th { "Category" } th { "Status" } } }
                            tbody { @for t in &b.whatsapp_templates { tr {
                                td { code { (t.name) } } td { (t.language) }
                                td { @if let Some(c) = &t.category { (name_of(c)) } @else { "utility" } }
                                td { (layout::status(&name_of(&t.status))) }
                            } } } }
                    }
                }
                section.card {
                    h2 { "India DLT" }
                    @match &b.dlt {
                        None => (layout::empty("No DLT registration.")),
                        Some(d) => {
                            dl.facts { dt { "Entity" } dd { code { (d.entity_id) } } dt { "Headers" } dd { @for h in &d.headers { code { (h) } " " } } }
                            table { thead { tr { th { "Template" } th { "Header" } th { "Body" } } }
                                tbody { @for t in &d.templates { tr { td { code { (t.id) } } td { (t.header) } td { (t.body) } } } } }
                        }
                    }
                    @if !b.senders.is_empty() {
                        h3 { "Senders" }
                        dl.facts { @for (c, s) in &b.senders { dt { (c.as_str()) } dd { code { (s) } } } }
                    }
                }
            }
            section.card {
                h2 { "Recent touches" }
                (touch_table(&touches))
                p { a href={ "/console/touches?account_id=" (id) } { "All touches of this account" } }
            }
            (changes(&audit))
        },
    ))
}
