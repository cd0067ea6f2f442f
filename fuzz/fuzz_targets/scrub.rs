//! A CSV uploaded for scrubbing (`crates/dispatcher/tests/fuzz_support/checks.rs`).
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/dispatcher/tests/fuzz_support/checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::scrub(data));
