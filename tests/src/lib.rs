//! The black-box test harness of Touchgate. The suites in `tests/tests/` see the product as a
//! client does: they build the real `touchgate` binary ([`binary`]), start `touchgate serve` on
//! a database of their own ([`Daemon`], [`Database`], [`both_databases!`]), put accounts and
//! leads in place through the API ([`seed`]), point its transports at provider stand-ins in the
//! test process ([`providers`]), and run its operator commands ([`cli`]).

// Test infrastructure: a failed expectation here is a failed test, so it panics (clippy.toml's
// allow-*-in-tests covers `#[test]` functions, not a library of helpers).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod binary;
pub mod cli;
pub mod daemon;
pub mod database;
pub mod dns;
pub mod mail;
pub mod providers;
pub mod seed;
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
