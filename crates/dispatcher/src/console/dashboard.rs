//! `GET /console`: the workspace at a glance — touches by status, and the touches blocked in
//! the last 7 days by day, reason and channel (two indexed queries on the session's
//! workspace; no installation-wide figure is shown here).

use axum::extract::State;
use chrono::{Duration, NaiveDate};
use maud::{Markup, html};

use super::chart;
use super::error::ConsoleError;
use super::layout::{self, Nav};
use super::session::Console;
use crate::app::AppState;
use crate::touch::TouchStatus;

/// Days the chart covers (today included).
pub const CHART_DAYS: i64 = 7;

pub async fn page(State(state): State<AppState>, console: Console) -> Result<Markup, ConsoleError> {
    let now = state.clock.now();
    let today = now.date_naive();
    let first = today - Duration::days(CHART_DAYS - 1);
    let since = first.and_hms_opt(0, 0, 0).map_or(now, |t| t.and_utc());
    let counts = state
        .store
        .workspace_status_counts(console.workspace())
        .await?;
    let blocked = state
        .store
        .blocked_since(console.workspace(), since)
        .await?;
    let days: Vec<NaiveDate> = (0..CHART_DAYS).map(|i| first + Duration::days(i)).collect();
    let count_of = |s: TouchStatus| {
        counts
            .iter()
            .find(|(st, _)| *st == s)
            .map_or(0, |(_, n)| *n)
    };
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let blocked_week: i64 = blocked.iter().map(|b| b.count).sum();
    let review = count_of(TouchStatus::NeedsReview);
    Ok(layout::page(
        &console,
        "Dashboard",
        Nav::Dashboard,
        html! {
            (layout::heading("Dashboard", Some(html! {
                (total) " touches in workspace " strong { (console.workspace()) } " · as of " (layout::utc(now))
            })))
            @if review > 0 {
                p.warning role="status" {
                    a href="/console/touches?status=needs_review" { (review) " touches need review" }
                    ": their outcome is unknown (the process stopped mid-send, or the provider did not answer). They are never resent on their own."
                }
            }
            section.cards {
                @for s in TouchStatus::ALL {
                    a.stat href={ "/console/touches?status=" (s.as_str()) } {
                        span.n { (count_of(s)) }
                        (layout::status(s.as_str()))
                    }
                }
            }
            div.grid2 {
                section.card {
                    h2 { "Blocked in the last " (CHART_DAYS) " days, by reason" }
                    p.muted { (blocked_week) " touches blocked, by the UTC day of the decision." }
                    (chart::by_day(&days, &blocked))
                }
                section.card {
                    h2 { "Blocked by channel" }
                    p.muted { "Same " (CHART_DAYS) " days." }
                    (chart::by_channel(&blocked))
                }
            }
        },
    ))
}
