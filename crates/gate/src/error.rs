//! Errors from parsing values at the edge. Each names what was wrong so the API can answer
//! with a 400 that names the field.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("unknown channel `{0}` (expected email, sms, call, linkedin or whatsapp)")]
    UnknownChannel(String),
    #[error("not a valid phone number: {0}")]
    InvalidPhone(String),
    #[error("not a valid email address: {0}")]
    InvalidEmail(String),
    #[error("not a LinkedIn profile URL or URN: {0}")]
    InvalidLinkedIn(String),
    #[error("unknown time zone `{0}` (expected an IANA name such as America/New_York)")]
    InvalidTimezone(String),
    #[error("not a time of day `{0}` (expected HH:MM, 00:00 to 24:00)")]
    InvalidTimeOfDay(String),
    #[error("not a two-letter region code: `{0}`")]
    InvalidRegion(String),
    #[error("unknown {kind} `{value}`")]
    UnknownValue { kind: &'static str, value: String },
}
