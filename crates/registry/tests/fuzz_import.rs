//! Fuzzing the registry's input on stable (issue 13): import lines, imports fed in arbitrary
//! chunks (the same answer whatever the chunks) and segment bytes, forged or random, never
//! panic. A few thousand cases here; the long runs (`scripts/fuzz-long.sh`, figures in the
//! README) run the same checks through libFuzzer.

// A finding is a panic: the checks panic to report it.
#![allow(clippy::panic)]

mod fuzz_support {
    pub mod checks;
}
#[path = "../../gate/tests/fuzz_support/cases.rs"]
mod cases;

use cases::config;
use fuzz_support::checks;
use proptest::prelude::*;
use registry::ImportMode;

/// A number from a small pool (so lists overlap and repeat), in every written form.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[2-3]0[1-2]555012[0-9]",
        1 => "1[2-3]0[1-2]555012[0-9]",
        1 => "\\+1[2-3]0[1-2]555012[0-9]",
        1 => "[2-3]0[1-2],555012[0-9]",
        1 => "\\+44207123456[0-9]",
        1 => "\\+?[0-9]{1,17}",
    ]
}

fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1970i32..2150, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => (1900i32..2300, 0u32..14, 0u32..33).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        1 => "[0-9-]{0,12}",
    ]
}

fn line() -> impl Strategy<Value = Vec<u8>> {
    let pad = || prop::sample::select(vec!["", " ", "\t", "  "]);
    prop_oneof![
        6 => (pad(), number(), pad(), prop::option::of(date()), pad(), prop::sample::select(vec!["", "\r"]))
            .prop_map(|(a, n, b, d, c, cr)| match d {
                Some(d) => format!("{a}{n}{b},{c}{d}{cr}"),
                None => format!("{a}{n}{b}{cr}"),
            }.into_bytes()),
        1 => Just(b"phone,registered".to_vec()),
        1 => Just(Vec::new()),
        1 => prop::collection::vec(any::<u8>().prop_filter("one line", |b| *b != b'\n'), 0..40),
        1 => (250usize..300).prop_map(|n| vec![b'7'; n]),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        prop::collection::vec(line(), 0..40),
        any::<bool>(),
    )
        .prop_map(|(bom, lines, trailing_newline)| {
            let mut out = if bom {
                "\u{feff}".as_bytes().to_vec()
            } else {
                Vec::new()
            };
            out.extend(lines.join(&b'\n'));
            if trailing_newline {
                out.push(b'\n');
            }
            out
        })
}

fn mode() -> impl Strategy<Value = ImportMode> {
    prop::sample::select(vec![ImportMode::Full, ImportMode::Add, ImportMode::Delete])
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn lines_never_panic_and_accepted_lines_round_trip(
        bytes in prop_oneof![line(), prop::collection::vec(any::<u8>(), 0..300)],
    ) {
        checks::line(&bytes);
    }
}

// An import builds, reads back and merges segments: a few milliseconds a case in a debug build.
proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn imports_answer_the_same_whatever_the_chunks(
        mode in mode(),
        body in prop_oneof![4 => body(), 1 => prop::collection::vec(any::<u8>(), 0..600)],
        chunk_lens in prop::collection::vec(0usize..64, 0..12),
        previous in body(),
    ) {
        checks::import(mode, &body, &chunk_lens, &previous);
    }
}

proptest! {
    #![proptest_config(config(800))]

    #[test]
    fn segments_never_panic(
        body in body(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in prop::option::of(any::<usize>()),
        garbage in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        checks::forged_segment(&body, &edits, cut);
        checks::segment_bytes(garbage);
    }
}

/// The checks can fail: an import that reports what it read is checked end to end.
#[test]
fn a_known_import_passes_the_checks() {
    checks::import(
        ImportMode::Add,
        b"2015550123,2021-01-01\r\n\nphone\n+442071234567\n",
        &[3, 1, 7],
        b"2015550124\n",
    );
}
