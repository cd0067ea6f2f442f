//! Phone, email, LinkedIn and contact parsing (`crates/gate/tests/fuzz_support/checks.rs`).
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/gate/tests/fuzz_support/checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

const REGIONS: &[&str] = &["US", "GB", "IN", "DE", "JP", "BR", "ZZ", "", "us", "001"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(text);
    let region = REGIONS
        .get(usize::from(pick) % (REGIONS.len() + 1))
        .copied();
    checks::contacts(&text, region);
});
