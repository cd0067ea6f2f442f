//! An import fed in arbitrary chunks against a previous view
//! (`crates/registry/tests/fuzz_support/checks.rs`).
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/registry/tests/fuzz_support/checks.rs"]
mod checks;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use registry::ImportMode;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    mode: u8,
    chunk_lens: Vec<u8>,
    previous: &'a [u8],
    body: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let mode = [ImportMode::Full, ImportMode::Add, ImportMode::Delete];
    let chunk_lens: Vec<usize> = input.chunk_lens.iter().map(|&n| usize::from(n)).collect();
    checks::import(
        mode[usize::from(input.mode % 3)],
        input.body,
        &chunk_lens,
        input.previous,
    );
});
