//! One logging style for the daemon (see the README's "Logs"): per-touch events at DEBUG, what
//! an operator acts on at INFO or above; an error is logged as one field `error` holding its
//! whole cause chain ([`chain`]); no secret, token or personal message body in a message or a
//! span — request spans carry the path without its query string ([`redacted_uri`]), since
//! unsubscribe tokens and Meta's verify token travel there.

use std::fmt::Write as _;

/// `outer: cause: root cause`, the form every `error` field takes.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let _ = write!(out, ": {c}");
        cause = c.source();
    }
    out
}

/// A request's path for logs: the query string is dropped, and a path segment that carries a
/// token (`/v1/unsubscribe/{token}`) is replaced by `…`.
pub fn redacted_uri(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    match path.strip_prefix("/v1/unsubscribe/") {
        Some(_) => "/v1/unsubscribe/…".to_owned(),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_reach_a_log_line() {
        let u: axum::http::Uri =
            "/v1/webhooks/meta/whatsapp?hub.verify_token=s3cret&hub.challenge=1"
                .parse()
                .unwrap_or_default();
        assert_eq!(redacted_uri(&u), "/v1/webhooks/meta/whatsapp");
        let u: axum::http::Uri = "/v1/unsubscribe/abc.def?x=1".parse().unwrap_or_default();
        assert_eq!(redacted_uri(&u), "/v1/unsubscribe/…");
    }

    #[test]
    fn chain_names_every_cause() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("root"));
        assert_eq!(chain(&e), "outer: root");
    }
}
