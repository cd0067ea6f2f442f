//! The case count of every stable fuzz harness (the gate's, the registry's and the
//! dispatcher's include this file by path): a few hundred to a few thousand by default, so CI
//! stays fast, or `PROPTEST_CASES` for a long run (`PROPTEST_CASES=10_000_000`).

use proptest::test_runner::Config;

/// `default_cases` cases, or `PROPTEST_CASES` when set.
pub fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        ..Config::default()
    }
}
