//! The daemon's HTTP API (the contract is `shared/design/api.md`).
//!
//! Every handler authenticates first (`auth::Service` / `auth::Operator`, before the body is
//! read), then parses its body with [`extract::ApiJson`] (400 naming the field), then works in
//! the principal's workspace only. Errors are [`error::ApiError`], answered as
//! `{"error": {"code", "message", "field"?}}`.

pub mod accounts;
pub mod auth;
pub mod blackouts;
pub mod check;
pub mod dnc;
pub mod error;
pub mod evaluate;
pub mod extract;
pub mod health;
pub mod inbound;
pub mod leads;
pub mod openapi;
pub mod ops;
pub mod overrides;
pub mod registries;
pub mod scrub;
pub mod strict_json;
pub mod touches;
pub mod unsubscribe;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::config::Config;

pub use error::ApiError;

/// Default largest request body: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The body limit in force (`[server] max_body_bytes`, default 1 MiB).
pub fn body_limit(config: &Config) -> usize {
    config
        .server
        .max_body_bytes
        .unwrap_or(DEFAULT_MAX_BODY_BYTES)
}

/// The whole API, ready to serve.
pub fn router(state: AppState) -> Router {
    let limit = body_limit(&state.config);
    let limits = state.config.server.limits();
    // Streamed bodies (registry imports): bounded by `[registries] max_import_bytes` and the
    // pause between reads, not by `max_body_bytes` or the whole-request timeout.
    let streamed = Router::new()
        .route(
            "/v1/registries/{name}/imports",
            post(registries::import).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/scrub",
            post(scrub::scrub).layer(DefaultBodyLimit::disable()),
        );
    Router::new()
        .route(
            "/v1/accounts/{id}",
            put(accounts::put_account).get(accounts::get_account),
        )
        .route(
            "/v1/accounts/{id}/channels/email/resume",
            post(accounts::resume_email),
        )
        .route(
            "/v1/leads/{id}",
            put(leads::put_lead)
                .get(leads::get_lead)
                .delete(leads::erase_lead),
        )
        .route(
            "/v1/touches",
            post(touches::create_touch).get(touches::list_touches),
        )
        .route("/v1/touches/batch", post(touches::create_batch))
        .route("/v1/touches/{id}", get(touches::get_touch))
        .route("/v1/touches/{id}/cancel", post(touches::cancel_touch))
        .route("/v1/touches/{id}/override", post(overrides::override_touch))
        .route("/v1/evaluate", post(evaluate::evaluate))
        .route("/v1/inbound", post(inbound::inbound))
        .route(
            "/v1/webhooks/twilio/sms",
            post(webhooks::twilio::twilio_sms),
        )
        .route(
            "/v1/webhooks/meta/whatsapp",
            get(webhooks::meta::meta_verify).post(webhooks::meta::meta_whatsapp),
        )
        .route(
            "/v1/webhooks/calls/disposition",
            post(webhooks::calls::call_disposition),
        )
        .route(
            "/v1/webhooks/email/inbound",
            post(webhooks::email::email_inbound),
        )
        .route(
            "/v1/unsubscribe/{token}",
            get(unsubscribe::unsubscribe_page).post(unsubscribe::unsubscribe_post),
        )
        .route("/v1/dnc", post(dnc::add_dnc).get(dnc::list_dnc))
        .route("/v1/dnc/{id}", get(dnc::get_dnc).delete(dnc::remove_dnc))
        .route("/v1/check", get(check::check_contact))
        .route("/v1/alerts", get(check::alerts))
        .route("/v1/checks", get(check::checks))
        .route("/v1/scrubs", get(scrub::scrubs))
        .route("/v1/blackouts", post(blackouts::add).get(blackouts::list))
        .route(
            "/v1/blackouts/{id}",
            axum::routing::delete(blackouts::remove),
        )
        .route("/v1/registries", get(registries::list))
        .route("/v1/registries/imports", get(registries::imports))
        .route("/v1/dispatch/drain", post(ops::drain))
        .route("/v1/test/clock", post(ops::set_clock))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi::openapi_json))
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout(),
        ))
        .merge(streamed)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout()))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The span of one request: method and path only — query strings carry unsubscribe tokens
/// and Meta's verify token, and the unsubscribe path carries its token itself.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %req.method(),
        path = %crate::logging::redacted_uri(req.uri()),
    )
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(format!("method {method} is not allowed on this endpoint"))
}

/// Checks an id taken from the path (or a body) before it reaches storage.
pub(crate) fn check_id(id: &str, field: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() {
        return Err(ApiError::bad_request(field, "must not be empty"));
    }
    if id.len() > 255 {
        return Err(ApiError::bad_request(field, "must be at most 255 bytes"));
    }
    if id.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A document as stored, with its `id` added.
pub(crate) fn with_id<T: serde::Serialize>(
    doc: &T,
    id: &str,
) -> Result<serde_json::Value, ApiError> {
    let mut v = serde_json::to_value(doc).map_err(ApiError::internal)?;
    if let Some(map) = v.as_object_mut() {
        map.insert("id".to_owned(), serde_json::Value::String(id.to_owned()));
    }
    Ok(v)
}
