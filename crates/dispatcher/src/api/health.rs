//! `GET /healthz` (no auth) and `GET /metrics` (no auth, on its own address: `[metrics] listen`).

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::AppState;

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
            tracing::warn!(error = %crate::logging::chain(&e), "health check: database unreachable");
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

/// The router of the metrics address (`[metrics] listen`): `/metrics` only. Its figures are
/// installation-wide (every workspace's touches), so it is not on the public API.
pub fn metrics_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .with_state(state)
}

/// Prometheus text: touches per status and the dispatcher's counters.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let counts = match state.store.status_counts().await {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %crate::logging::chain(&e), "metrics: status counts unavailable");
            None
        }
    };
    let mut res = state.metrics.render(counts.as_deref()).into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    res
}
