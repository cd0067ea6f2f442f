//! The page shell and the pieces every page shares.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{DOCTYPE, Markup, html};

use super::session::Console;

/// Sections of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Dashboard,
    Touches,
    Dnc,
    Accounts,
    Registries,
    Scrub,
    Inbound,
    Alerts,
}

const NAV: [(Nav, &str, &str); 8] = [
    (Nav::Dashboard, "/console", "Dashboard"),
    (Nav::Touches, "/console/touches", "Touches"),
    (Nav::Dnc, "/console/dnc", "Do not contact"),
    (Nav::Accounts, "/console/accounts", "Accounts"),
    (Nav::Registries, "/console/registries", "Registries"),
    (Nav::Scrub, "/console/scrub", "Scrub"),
    (Nav::Inbound, "/console/inbound", "Inbound"),
    (Nav::Alerts, "/console/alerts", "Alerts"),
];

fn head(title: &str) -> Markup {
    html! {
        (DOCTYPE)
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · Touchgate" }
        link rel="stylesheet" href="/console/assets/console.css";
        link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml";
        script src="/console/assets/console.js" defer {}
    }
}

/// A page of a signed-in operator.
pub fn page(console: &Console, title: &str, active: Nav, body: Markup) -> Markup {
    html! {
        html lang="en" {
            head { (head(title)) }
            body {
                header.top {
                    a.brand href="/console" { span.mark { "◆" } " Touchgate" }
                    nav {
                        @for (nav, href, label) in NAV {
                            a href=(href) class=[(nav == active).then_some("active")] { (label) }
                        }
                    }
                    div.who {
                        span.ws title="workspace" { (console.workspace()) }
                        span.token title=(console.principal.token_id) { (console.principal.token_name) }
                        form.inline method="post" action="/console/logout" {
                            (csrf_field(console))
                            button.link type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page without navigation (login, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        html lang="en" {
            head { (head(title)) }
            body.bare {
                header.top { a.brand href="/console" { span.mark { "◆" } " Touchgate" } }
                main { (body) }
            }
        }
    }
}

pub fn csrf_field(console: &Console) -> Markup {
    html! { input type="hidden" name="csrf" value=(console.csrf); }
}

/// An instant in UTC, machine-readable too.
pub fn utc(t: DateTime<Utc>) -> Markup {
    html! { time datetime=(t.to_rfc3339()) { (t.format("%Y-%m-%d %H:%M:%S")) " UTC" } }
}

pub fn utc_opt(t: Option<DateTime<Utc>>) -> Markup {
    match t {
        Some(t) => utc(t),
        None => html! { span.muted { "—" } },
    }
}

/// An instant in a zone: `2026-11-26 08:00 PST`.
pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// A status as a coloured label.
pub fn status(s: &str) -> Markup {
    html! { span class={ "badge status-" (s) } { (s) } }
}

/// A reason code as text (a contract hook), with its explanation as a tooltip and below.
pub fn reason(code: Option<&str>) -> Markup {
    match code {
        Some(c) => html! {
            code.reason title=(super::explain::reason(c)) { (c) }
        },
        None => html! { span.muted { "—" } },
    }
}

/// A page heading with an optional line under it.
pub fn heading(title: &str, sub: Option<Markup>) -> Markup {
    html! {
        div.heading {
            h1 { (title) }
            @if let Some(s) = sub { p.muted { (s) } }
        }
    }
}

/// A notice after a change (`?done=…`), or an error.
pub fn notice(text: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(t) = text { p.notice role="status" { (t) } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
    }
}

/// A `<select>` of `options` with `selected` chosen and an "any" first entry.
pub fn select(name: &str, label: &str, options: &[&str], selected: Option<&str>) -> Markup {
    html! {
        label {
            span { (label) }
            select name=(name) {
                option value="" { "any" }
                @for o in options {
                    option value=(o) selected[selected == Some(*o)] { (o) }
                }
            }
        }
    }
}

/// A text input.
pub fn text_input(name: &str, label: &str, value: Option<&str>, placeholder: &str) -> Markup {
    html! {
        label {
            span { (label) }
            input type="text" name=(name) value=[value] placeholder=(placeholder);
        }
    }
}

/// An empty-state line inside a card.
pub fn empty(text: &str) -> Markup {
    html! { p.empty { (text) } }
}
