//! What can go wrong answering a console request, and the page each answer shows.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use crate::api::ApiError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: to the login form.
    #[error("sign in first")]
    SignedOut,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// A form without the session's CSRF token (or with another one).
    #[error(
        "this form has expired or did not come from the console; reload the page and try again"
    )]
    Csrf,
    #[error("the database failed")]
    Store(#[from] StoreError),
    /// An error of an API operation the console shares (its status and message).
    #[error("{}", .0.body().error.message)]
    Api(ApiError),
}

impl From<ApiError> for ConsoleError {
    fn from(e: ApiError) -> ConsoleError {
        ConsoleError::Api(e)
    }
}

impl ConsoleError {
    pub fn status(&self) -> StatusCode {
        match self {
            ConsoleError::SignedOut => StatusCode::SEE_OTHER,
            ConsoleError::NotFound(_) => StatusCode::NOT_FOUND,
            ConsoleError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ConsoleError::Csrf => StatusCode::FORBIDDEN,
            ConsoleError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ConsoleError::Api(e) => e.status(),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match &self {
            ConsoleError::SignedOut => return Redirect::to("/console/login").into_response(),
            ConsoleError::Store(e) => {
                tracing::error!(error = %crate::logging::chain(e), "console request failed");
            }
            ConsoleError::Api(e) => e.log(),
            _ => {}
        }
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error");
        let body = super::layout::bare(
            title,
            html! {
                section.card.narrow {
                    h1 { (status.as_u16()) " · " (title) }
                    p.error { (self.to_string()) }
                    p { a href="/console" { "Back to the dashboard" } }
                }
            },
        );
        (status, body).into_response()
    }
}
