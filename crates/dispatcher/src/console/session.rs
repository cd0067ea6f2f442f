//! Login, sessions and logout. An operator (or admin) token is exchanged once for a session:
//! a random id in a cookie (`HttpOnly`, `SameSite=Strict`, `Path=/console`, `Secure` when
//! `public_base_url` is https) whose SHA-256 keys a row of `console_sessions` — kept in the
//! database, so every node of a PostgreSQL deployment knows it and a restart keeps it. A
//! session lasts `[console] session_minutes` (default 480) on the daemon's clock, and ends
//! at logout or when its token is revoked. It carries a CSRF token that every form repeats.
//! The login form itself is protected by a double-submit token (a short-lived cookie and the
//! same value in the form).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE as COOKIE_HEADER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use maud::{Markup, html};

use super::error::ConsoleError;
use super::form::Form;
use super::layout;
use crate::app::{AppState, Principal};
use crate::config::{Role, WorkspaceSettings};
use crate::store::SessionRow;

/// The session cookie.
pub const COOKIE: &str = "tg_console";
/// The login form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "tg_login";
/// Default session length.
pub const DEFAULT_SESSION_MINUTES: u32 = 480;

/// A signed-in operator: the token's principal, the session's CSRF token, the workspace's
/// settings. Pages take it as an extractor; without a live session they answer with a
/// redirect to the login form.
#[derive(Debug, Clone)]
pub struct Console {
    pub principal: Principal,
    pub csrf: String,
    pub settings: Arc<WorkspaceSettings>,
    id_hash: String,
}

impl Console {
    pub fn workspace(&self) -> &str {
        &self.principal.workspace
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let id = cookie(&parts.headers, COOKIE).ok_or(ConsoleError::SignedOut)?;
        let id_hash = crate::tokens::hash(&id);
        let now = state.clock.now();
        let row = state
            .store
            .live_session(&id_hash, now)
            .await?
            .ok_or(ConsoleError::SignedOut)?;
        let principal =
            crate::tokens::principal_by_id(&state.tokens, &state.store, &row.token_id).await?;
        // The token may be revoked, or moved to another workspace or role by a config change.
        let Some(principal) =
            principal.filter(|p| p.workspace == row.workspace && p.role.includes(Role::Operator))
        else {
            state.store.end_session(&id_hash).await?;
            return Err(ConsoleError::SignedOut);
        };
        Ok(Console {
            settings: state.config.workspace(&principal.workspace),
            principal,
            csrf: row.csrf,
            id_hash,
        })
    }
}

/// The value of cookie `name` in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE_HEADER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value for the console's path: `HttpOnly`, `SameSite=Strict`, `Secure`
/// when the daemon is reached over https; `max_age` 0 deletes it.
fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.public_base_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let v = format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    // Names and values are ours (hex): always a valid header value.
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// `GET /console/login`: the form (or the dashboard, when already signed in).
pub async fn login_page(State(state): State<AppState>, parts: Parts) -> Response {
    let mut parts = parts;
    if Console::from_request_parts(&mut parts, &state)
        .await
        .is_ok()
    {
        return Redirect::to("/console").into_response();
    }
    login_form(&state, StatusCode::OK, None)
}

/// The login form with a fresh double-submit token.
fn login_form(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let csrf = random_hex();
    let page = login_markup(&csrf, error);
    let mut res = (status, page).into_response();
    res.headers_mut()
        .append(SET_COOKIE, set_cookie(state, LOGIN_COOKIE, &csrf, 3600));
    res
}

fn login_markup(csrf: &str, error: Option<&str>) -> Markup {
    layout::bare(
        "Sign in",
        html! {
            section.card.narrow.login {
                h1 { "Sign in to the console" }
                p.muted { "Paste an operator token of your workspace (" code { "touchgate token create --role operator" } ")." }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action="/console/login" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="token" { "Token" }
                    input #token type="password" name="token" autocomplete="off" required autofocus;
                    button.primary type="submit" { "Sign in" }
                }
            }
        },
    )
}

/// `POST /console/login` (`token=…`): an operator or admin token opens a session.
pub async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let expected = cookie(&headers, LOGIN_COOKIE);
    let sent = form.get("csrf");
    let fresh = matches!((&expected, sent), (Some(e), Some(s)) if crate::signing::ct_eq(e.as_bytes(), s.as_bytes()));
    if !fresh {
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            Some("The form expired. Try again."),
        );
    }
    let principal = match crate::tokens::principal_of(
        &state.tokens,
        &state.store,
        form.get("token").unwrap_or_default(),
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return ConsoleError::Store(e).into_response(),
    };
    let Some(principal) = principal else {
        tracing::info!("console login refused: unknown or revoked token");
        return login_form(
            &state,
            StatusCode::UNAUTHORIZED,
            Some("That token is not known (or was revoked)."),
        );
    };
    if !principal.role.includes(Role::Operator) {
        tracing::info!(workspace = %principal.workspace, token = %principal.token_id, "console login refused: not an operator token");
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            Some("That is a service token. The console needs an operator token."),
        );
    }
    let now = state.clock.now();
    let minutes = state
        .config
        .console
        .session_minutes
        .unwrap_or(DEFAULT_SESSION_MINUTES)
        .max(1);
    let id = random_hex();
    let row = SessionRow {
        workspace: principal.workspace.clone(),
        token_id: principal.token_id.clone(),
        csrf: random_hex(),
        expires_at: now + Duration::minutes(i64::from(minutes)),
    };
    if let Err(e) = state
        .store
        .create_session(&crate::tokens::hash(&id), &row, now)
        .await
    {
        return ConsoleError::Store(e).into_response();
    }
    tracing::info!(workspace = %principal.workspace, token = %principal.token_id, "console session opened");
    let mut res = Redirect::to("/console").into_response();
    let h = res.headers_mut();
    h.append(
        SET_COOKIE,
        set_cookie(&state, COOKIE, &id, i64::from(minutes) * 60),
    );
    h.append(SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, "", 0));
    res
}

/// `POST /console/logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    Form::parse(&body).check_csrf(&console)?;
    state.store.end_session(&console.id_hash).await?;
    tracing::info!(workspace = %console.workspace(), token = %console.principal.token_id, "console session closed");
    let mut res = Redirect::to("/console/login").into_response();
    res.headers_mut()
        .append(SET_COOKIE, set_cookie(&state, COOKIE, "", 0));
    Ok(res)
}
