//! One import line (`crates/registry/tests/fuzz_support/checks.rs`).
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/registry/tests/fuzz_support/checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::line(data));
