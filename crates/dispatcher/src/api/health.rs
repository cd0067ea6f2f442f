//! `GET /healthz` and `GET /metrics` (no auth).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::AppState;
use crate::store::TouchStatus;

/// 200 when the database answers, else 503.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "`{\"status\": \"ok\"}`", body = Object),
        (status = 503, description = "The database does not answer", body = Object),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::warn!(cause = %format!("{:#}", anyhow::Error::from(e)), "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "status": "unavailable",
                    "error": { "code": "unavailable", "message": "the database does not answer" }
                })),
            )
                .into_response()
        }
    }
}

/// Prometheus text: touches per status and the dispatcher's counters.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    let counts = state.store.status_counts().await;
    let up = counts.is_ok();
    let _ = writeln!(
        out,
        "# HELP touchgate_database_up Whether the database answered this scrape."
    );
    let _ = writeln!(out, "# TYPE touchgate_database_up gauge");
    let _ = writeln!(out, "touchgate_database_up {}", u8::from(up));
    match counts {
        Ok(counts) => {
            let _ = writeln!(
                out,
                "# HELP touchgate_touches Touches by status (all workspaces)."
            );
            let _ = writeln!(out, "# TYPE touchgate_touches gauge");
            for s in TouchStatus::ALL {
                let n = counts
                    .iter()
                    .find(|(name, _)| name == s.as_str())
                    .map_or(0, |(_, n)| *n);
                let _ = writeln!(out, "touchgate_touches{{status=\"{}\"}} {n}", s.as_str());
            }
        }
        Err(e) => {
            tracing::warn!(cause = %format!("{:#}", anyhow::Error::from(e)), "metrics: status counts unavailable");
        }
    }
    let m = &state.metrics;
    let counters = [
        (
            "touchgate_decisions_total",
            "Gate decisions made by the dispatcher.",
            &m.decided,
        ),
        (
            "touchgate_allowed_total",
            "Decisions that allowed a send.",
            &m.allowed,
        ),
        (
            "touchgate_snoozed_total",
            "Touches rescheduled (gate or provider throttling).",
            &m.snoozed,
        ),
        (
            "touchgate_blocked_total",
            "Touches blocked for good.",
            &m.blocked,
        ),
        (
            "touchgate_expired_total",
            "Touches whose deadline passed.",
            &m.expired,
        ),
        (
            "touchgate_sent_total",
            "Touches the provider accepted.",
            &m.sent,
        ),
        (
            "touchgate_failed_total",
            "Touches the provider refused for good.",
            &m.failed,
        ),
        (
            "touchgate_retried_total",
            "Transient provider errors retried.",
            &m.retried,
        ),
        (
            "touchgate_needs_review_total",
            "Touches whose outcome is unknown.",
            &m.needs_review,
        ),
        (
            "touchgate_dnc_recheck_blocked_total",
            "Touches stopped by the last-moment DNC check.",
            &m.dnc_rechecks_blocked,
        ),
        (
            "touchgate_claim_lost_total",
            "Due touches another dispatcher had claimed.",
            &m.claim_lost,
        ),
    ];
    for (name, help, c) in counters {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} counter");
        let _ = writeln!(out, "{name} {}", c.load(Ordering::Relaxed));
    }
    let mut res = out.into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}
