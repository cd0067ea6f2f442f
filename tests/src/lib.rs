//! The black-box test harness of Touchgate. The suites in `tests/tests/` see the product as a
//! client does: they build the real `touchgate` binary ([`binary`]), start `touchgate serve` on
//! a database of their own ([`Daemon`], [`Database`], [`both_databases!`]), put accounts and
//! leads in place through the API ([`seed`]), point its transports at provider stand-ins in the
//! test process ([`providers`]), drive list hygiene (registry imports, the check API, scrubs:
//! [`registries`]), sign webhooks as providers do ([`signing`]), post raw email and the
//! providers' bounce and complaint reports ([`mail`]), make and read touches ([`touches`]),
//! and run its operator commands ([`cli`]) — `audit verify` and `audit export` among them
//! ([`audit`]) — and, as an attacker or a privacy audit would, edit or scan the database itself
//! ([`sql`], [`tamper`]).

// Test infrastructure: a failed expectation here is a failed test, so it panics (clippy.toml's
// allow-*-in-tests covers `#[test]` functions, not a library of helpers).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod audit;
pub mod binary;
pub mod browser;
pub mod cli;
pub mod console;
pub mod daemon;
pub mod database;
pub mod dns;
pub mod held;
pub mod mail;
pub mod nodes;
pub mod providers;
pub mod registries;
pub mod seed;
pub mod signing;
pub mod sockets;
pub mod sql;
pub mod tamper;
pub mod touches;

pub use daemon::{
    ACME_OP, ACME_SVC, ACME_TOKENS, Daemon, DaemonBuilder, OP, START, SVC, json_of, poll,
};
pub use database::{Backend, Database};

/// The header row of the touches CSV (`GET /v1/touches` as `text/csv`, `touchgate touches list
/// --csv`).
pub const TOUCHES_CSV_HEADER: [&str; 11] = [
    "id",
    "lead",
    "channel",
    "account",
    "status",
    "reason",
    "retry_after",
    "decided_at",
    "campaign",
    "step",
    "override",
];

/// Asserts an API error: `want_status`, the error `code`, a message, and the `field` when
/// one is named.
pub fn assert_error(
    status: reqwest::StatusCode,
    v: &serde_json::Value,
    want_status: reqwest::StatusCode,
    code: &str,
    field: Option<&str>,
) {
    assert_eq!(status, want_status, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
    if let Some(f) = field {
        assert_eq!(v["error"]["field"], f, "{v}");
    }
}

/// The records of a CSV text, header included, each as its cells.
pub fn csv_records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("not CSV: {e}\n{text}"))
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}
