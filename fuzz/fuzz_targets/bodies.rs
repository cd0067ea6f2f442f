//! A JSON request body, read as every request type
//! (`crates/dispatcher/tests/fuzz_support/checks.rs`).
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/dispatcher/tests/fuzz_support/checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_795_629_600, 0).unwrap_or_default();
    checks::bodies(data, now);
});
