//! What the HTTP transports share: the client, error classification (did the request leave?),
//! `Retry-After`, and redaction of provider messages (which echo phone numbers).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;

use crate::SendError;
use crate::config::ConfigError;

/// An HTTP client for one provider: a whole-request timeout, a shorter connect timeout (so a
/// dead host is a connect error: nothing sent, safe to retry) and no redirects (a POST is
/// never replayed elsewhere).
pub(crate) fn client(
    channel: gate::Channel,
    timeout: Duration,
) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("touchgate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError::Client {
            channel: channel.as_str().to_owned(),
            detail: e.to_string(),
        })
}

/// A request that failed without a response. A connect error means nothing reached the
/// provider (transient); anything later (timeout, reset, broken body) may have been accepted,
/// so the outcome is unknown and the touch must not be resent on its own.
pub(crate) fn request_error(provider: &str, err: &reqwest::Error) -> SendError {
    if err.is_connect() {
        SendError::Transient {
            detail: format!("{provider}: cannot connect: {err}"),
        }
    } else if err.is_builder() {
        SendError::Rejected {
            code: Some("transport_config".to_owned()),
            detail: format!("{provider}: cannot build the request: {err}"),
        }
    } else if err.is_timeout() {
        SendError::Unknown {
            detail: format!("{provider}: timed out after the request was sent: {err}"),
        }
    } else {
        SendError::Unknown {
            detail: format!("{provider}: connection lost after the request was sent: {err}"),
        }
    }
}

/// A provider's answer: status, `Retry-After`, and the body parsed as JSON when it is JSON.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<String>,
    pub json: Option<serde_json::Value>,
}

/// Sends `req` and reads the answer. A 2xx whose body cannot be read is `Unknown` (accepted,
/// but with no id we cannot prove it); an error status with an unreadable body keeps its status.
pub(crate) async fn send(
    provider: &str,
    req: reqwest::RequestBuilder,
) -> Result<Answer, SendError> {
    let resp = req.send().await.map_err(|e| request_error(provider, &e))?;
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let json = match resp.bytes().await {
        Ok(bytes) => serde_json::from_slice(&bytes).ok(),
        Err(e) if status.is_success() => {
            return Err(SendError::Unknown {
                detail: format!(
                    "{provider}: accepted (HTTP {status}) but the answer was lost: {e}"
                ),
            });
        }
        Err(_) => None,
    };
    Ok(Answer {
        status,
        retry_after,
        json,
    })
}

/// `Retry-After` as delay-seconds or an HTTP-date, resolved against `now`; a date in the
/// past means now. `None` when absent or unparseable.
pub(crate) fn retry_after(value: Option<&str>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = value?.trim();
    if let Ok(secs) = v.parse::<u32>() {
        return Some(now + chrono::Duration::seconds(i64::from(secs)));
    }
    DateTime::parse_from_rfc2822(v)
        .ok()
        .map(|d| d.with_timezone(&Utc).max(now))
}

/// A string field of a JSON object.
pub(crate) fn str_field<'a>(json: Option<&'a serde_json::Value>, key: &str) -> Option<&'a str> {
    json?.get(key)?.as_str()
}

/// Masks runs of 6 or more digits (phone numbers a provider echoes in its message) down to
/// their last 4, and caps the length.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(300));
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 6 {
            let tail: String = digits.chars().skip(digits.len() - 4).collect();
            out.push('…');
            out.push_str(&tail);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    if out.chars().count() > 300 {
        out = out.chars().take(300).collect();
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = at("2026-11-25T18:00:00Z");
        assert_eq!(
            retry_after(Some("30"), now),
            Some(at("2026-11-25T18:00:30Z"))
        );
        assert_eq!(
            retry_after(Some("Wed, 25 Nov 2026 18:05:00 GMT"), now),
            Some(at("2026-11-25T18:05:00Z"))
        );
        assert_eq!(
            retry_after(Some("Wed, 25 Nov 2026 17:00:00 GMT"), now),
            Some(now),
            "a past date is now"
        );
        assert_eq!(retry_after(Some("soon"), now), None);
        assert_eq!(retry_after(None, now), None);
    }

    #[test]
    fn redact_masks_numbers() {
        assert_eq!(
            redact("The 'To' number +14155550123 is not a valid phone number."),
            "The 'To' number +…0123 is not a valid phone number."
        );
        assert_eq!(redact("error 21211"), "error 21211");
    }
}
