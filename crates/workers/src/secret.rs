//! Secrets named in the config by environment variable (`*_env` keys), read once when a
//! transport is built. A [`Secret`] never prints: `Debug` and `Display` show `***`.

use std::fmt;

use crate::config::ConfigError;

/// A secret value (token, password, API key). Read it with [`Secret::expose`] only where it
/// goes on the wire or into a MAC.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where secrets come from: the process environment, or (in tests, or when the daemon has its
/// own overlay) any lookup function.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F> Env for F
where
    F: Fn(&str) -> Option<String>,
{
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// Reads the secret named by `var`; missing or empty is an error naming the variable (and
/// the config key that named it), never a value.
pub fn read(env: &dyn Env, key: &'static str, var: &str) -> Result<Secret, ConfigError> {
    match env.var(var) {
        Some(v) if !v.trim().is_empty() => Ok(Secret(v)),
        _ => Err(ConfigError::MissingEnv {
            key,
            var: var.to_owned(),
        }),
    }
}

/// Reads an optional secret: `None` when the config names no variable.
pub fn read_opt(
    env: &dyn Env,
    key: &'static str,
    var: Option<&str>,
) -> Result<Option<Secret>, ConfigError> {
    var.map(|v| read(env, key, v)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn missing_variable_is_named() {
        let env = |_: &str| None::<String>;
        let err = read(&env, "auth_token_env", "TWILIO_AUTH_TOKEN").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("TWILIO_AUTH_TOKEN"), "{text}");
        assert!(text.contains("auth_token_env"), "{text}");
        let blank = |_: &str| Some("  ".to_owned());
        assert!(read(&blank, "auth_token_env", "X").is_err());
    }
}
