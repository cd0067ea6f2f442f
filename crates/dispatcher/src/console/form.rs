//! Console form bodies (`application/x-www-form-urlencoded`): fields by name, repeated ones
//! (checkboxes) in order, and the CSRF check every form passes.

use axum::body::Bytes;

use super::error::ConsoleError;
use super::session::Console;

/// A parsed form.
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &Bytes) -> Form {
        Form(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed; empty means absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-empty value of `name`, in order (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// The form carries the session's CSRF token.
    pub fn check_csrf(&self, console: &Console) -> Result<(), ConsoleError> {
        match self.get("csrf") {
            Some(t) if crate::signing::ct_eq(t.as_bytes(), console.csrf.as_bytes()) => Ok(()),
            _ => Err(ConsoleError::Csrf),
        }
    }
}
