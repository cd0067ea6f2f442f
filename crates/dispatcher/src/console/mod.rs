//! The operator console, served by the daemon (contract: "Operator console"): server-rendered
//! HTML (maud: markup written as Rust, escaped by construction, type-checked with the rest of
//! the code, pages composed from plain functions), plain GET forms for every filter (reading
//! works with scripts off), one small script of our own, our own stylesheet, every asset
//! served from here, and a strict Content-Security-Policy on every response.
//!
//! | module | owns |
//! |---|---|
//! | `session` | login with an operator token, the server-side session (cookie `HttpOnly`, `SameSite=Strict`, `Secure` behind https), expiry on the daemon's clock, CSRF on every form, logout |
//! | `layout` | the page shell, navigation, and the pieces pages share (times in UTC and local, status and reason cells, pagers) |
//! | `explain` | reason codes in words, and the rule packs' citations |
//! | `dashboard`, `chart` | counts by status; blocked touches by day, reason and channel as an SVG chart |
//! | `touches`, `timeline` | the filtered list and its CSV; one touch's decisions, checks and overrides |
//! | `dnc`, `people` | the DNC list (search, add, remove); lead and account pages |
//! | `lists` | registries and scrub; inbound messages |

mod chart;
mod dashboard;
mod dnc;
mod error;
mod explain;
mod form;
mod layout;
mod lists;
mod people;
mod session;
mod timeline;
mod touches;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;

use crate::app::AppState;
use crate::config::Config;

pub use error::ConsoleError;
pub use session::{COOKIE, LOGIN_COOKIE};

/// The policy on every console response: nothing but our own scripts, styles and images,
/// forms posting only here, never framed.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's routes (merged into the API's router, with their own limits and headers).
pub fn router(config: &Config) -> Router<AppState> {
    let limits = config.server.limits();
    let pages = Router::new()
        .route("/console", get(dashboard::page))
        .route(
            "/console/login",
            get(session::login_page).post(session::login),
        )
        .route("/console/logout", post(session::logout))
        .route("/console/touches", get(touches::page))
        .route("/console/touches.csv", get(touches::csv))
        .route("/console/touches/{id}", get(timeline::page))
        .route(
            "/console/touches/{id}/override",
            post(timeline::override_touch),
        )
        .route("/console/dnc", get(dnc::page).post(dnc::add))
        .route("/console/dnc/{id}/remove", post(dnc::remove))
        .route("/console/leads/{id}", get(people::lead))
        .route("/console/accounts", get(people::accounts))
        .route("/console/accounts/{id}", get(people::account))
        .route("/console/registries", get(lists::registries))
        .route("/console/scrub", get(lists::scrub_page))
        .route("/console/inbound", get(lists::inbound))
        .route("/console/alerts", get(lists::alerts))
        .route("/console/assets/{file}", get(asset))
        .route("/console/{*rest}", get(not_found).post(not_found))
        .layer(DefaultBodyLimit::max(crate::api::body_limit(config)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout(),
        ));
    // The scrub upload streams (bounded by `[registries] max_import_bytes`), like the API's.
    let streamed = Router::new().route(
        "/console/scrub",
        post(lists::scrub_upload).layer(DefaultBodyLimit::disable()),
    );
    pages
        .merge(streamed)
        .layer(axum::middleware::map_response(security_headers))
}

/// Every console response: the policy, no sniffing, no framing, no referrer to elsewhere, and
/// pages never cached (they hold a workspace's data); assets may be.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The console's own files, compiled in.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "console.css",
        "text/css; charset=utf-8",
        include_str!("assets/console.css"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/console.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("assets/favicon.svg"),
    ),
];

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            *body,
        )
            .into_response(),
        None => ConsoleError::NotFound(format!("no asset `{file}`")).into_response(),
    }
}

async fn not_found() -> ConsoleError {
    ConsoleError::NotFound("no such page".to_owned())
}
