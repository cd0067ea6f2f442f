//! Segment bytes: forged (an import's segment damaged, checksums recomputed) or raw
//! (`crates/registry/tests/fuzz_support/checks.rs`).
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/registry/tests/fuzz_support/checks.rs"]
mod checks;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    Forged {
        body: &'a [u8],
        edits: Vec<(u16, u8)>,
        cut: Option<u16>,
    },
    Raw(Vec<u8>),
}

fuzz_target!(|input: Input<'_>| match input {
    Input::Forged { body, edits, cut } => {
        let edits: Vec<(usize, u8)> = edits.iter().map(|&(at, b)| (usize::from(at), b)).collect();
        checks::forged_segment(body, &edits, cut.map(usize::from));
    }
    Input::Raw(bytes) => checks::segment_bytes(bytes),
});
