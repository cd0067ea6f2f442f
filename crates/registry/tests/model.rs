//! After any sequence of full/add/delete imports, the view (base + deltas), its merge, and the
//! merge read back from bytes all equal a `HashMap` model: the same numbers with the same dates,
//! and every import's `added`/`removed` equal the model's difference.

// Test fixtures may fail loudly.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use proptest::prelude::*;
use registry::{Import, ImportMode, Listing, Number, Registry, Segment};

/// A small universe: a few area codes and exchanges (neighbours and far apart, to exercise
/// block and exchange edges) and a few non-NANP numbers.
const UNIVERSE: &[&str] = &[
    "2002000000",
    "2002000001",
    "2002009999",
    "2002010000",
    "2019995555",
    "2015550123",
    "2015550124",
    "9999999999",
    "9992000000",
    "+442071234567",
    "+33123456789",
    "+2901234",
];

const DATES: &[Option<&str>] = &[
    None,
    Some("1970-01-01"),
    Some("2003-06-27"),
    Some("2021-01-01"),
    Some("2149-06-04"),
];

type Model = HashMap<Number, Option<NaiveDate>>;

fn number(index: usize) -> Number {
    UNIVERSE[index].parse().unwrap()
}

fn date(index: usize) -> Option<NaiveDate> {
    DATES[index].map(|text| text.parse().unwrap())
}

/// The earliest of two dates; a date beats no date.
fn earliest(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[derive(Clone, Debug)]
struct Step {
    mode: ImportMode,
    lines: Vec<(usize, usize)>,
    junk: bool,
    chunk: usize,
    merge_after: bool,
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop_oneof![
            Just(ImportMode::Full),
            Just(ImportMode::Add),
            Just(ImportMode::Add),
            Just(ImportMode::Delete),
        ],
        prop::collection::vec((0..UNIVERSE.len(), 0..DATES.len()), 0..16),
        any::<bool>(),
        1usize..40,
        any::<bool>(),
    )
        .prop_map(|(mode, lines, junk, chunk, merge_after)| Step {
            mode,
            lines,
            junk,
            chunk,
            merge_after,
        })
}

fn body(step: &Step) -> Vec<u8> {
    let mut text = String::new();
    if step.junk {
        text.push_str("phone,date\r\n\n");
    }
    for &(n, d) in &step.lines {
        match DATES[d] {
            Some(day) => text.push_str(&format!(" {} , {day}\r\n", UNIVERSE[n])),
            None => text.push_str(&format!("{}\n", UNIVERSE[n])),
        }
    }
    if step.junk {
        text.push_str("\n1015550123\n2015550123,2021-02-30");
    }
    text.into_bytes()
}

fn apply_to_model(model: &Model, step: &Step) -> Model {
    let mut next = match step.mode {
        ImportMode::Full => Model::new(),
        _ => model.clone(),
    };
    for &(n, d) in &step.lines {
        let (n, d) = (number(n), date(d));
        match step.mode {
            ImportMode::Delete => {
                next.remove(&n);
            }
            _ => {
                let merged = match next.get(&n) {
                    Some(&old) => earliest(old, d),
                    None => d,
                };
                next.insert(n, merged);
            }
        }
    }
    next
}

fn assert_equals_model(view: &Registry, model: &Model, what: &str) {
    assert_eq!(view.len(), model.len() as u64, "{what}: len");
    for index in 0..UNIVERSE.len() {
        let n = number(index);
        let expected = model.get(&n).map(|&date| Listing { date });
        assert_eq!(view.lookup(n), expected, "{what}: {n}");
        assert_eq!(view.contains(n), expected.is_some(), "{what}: {n}");
    }
}

fn run(steps: &[Step]) {
    let mut view = Registry::empty();
    let mut model = Model::new();
    for step in steps {
        let mut import = Import::new(step.mode);
        for chunk in body(step).chunks(step.chunk) {
            import.feed(chunk);
        }
        let outcome = import.finish(&view);
        let next = apply_to_model(&model, step);

        let report = &outcome.report;
        let added = next.keys().filter(|n| !model.contains_key(n)).count() as u64;
        let removed = model.keys().filter(|n| !next.contains_key(n)).count() as u64;
        assert_eq!((report.added, report.removed), (added, removed), "{step:?}");
        let junk = if step.junk { 3 } else { 0 };
        assert_eq!(report.rejected_count, junk);
        assert_eq!(report.rejected.len() as u64, junk);
        assert_eq!(report.lines, step.lines.len() as u64 + junk);
        assert_eq!(outcome.segment.is_delta(), step.mode != ImportMode::Full);

        let stored = Segment::from_bytes(outcome.segment.as_bytes().to_vec()).unwrap();
        assert_eq!(stored.as_bytes(), outcome.segment.as_bytes());
        view = view.apply(Arc::new(stored)).unwrap();
        model = next;
        assert_equals_model(&view, &model, "view");

        let merged = view.merge();
        assert!(!merged.is_delta());
        let merged = Segment::from_bytes(merged.into_bytes()).unwrap();
        let merged_view = Registry::empty().apply(Arc::new(merged)).unwrap();
        assert_equals_model(&merged_view, &model, "merged");
        if step.merge_after {
            view = merged_view;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn imports_match_a_hashmap_model(steps in prop::collection::vec(step(), 1..8)) {
        run(&steps);
    }
}

#[test]
fn a_delta_applied_to_another_view_is_refused() {
    let mut import = Import::new(ImportMode::Add);
    import.feed(b"2015550123\n");
    let delta = Arc::new(import.finish(&Registry::empty()).segment);
    let mut full = Import::new(ImportMode::Full);
    full.feed(b"2025550123\n2035550123\n");
    let other = Registry::empty()
        .apply(Arc::new(full.finish(&Registry::empty()).segment))
        .unwrap();
    assert_eq!(
        other.apply(delta).unwrap_err(),
        registry::SegmentError::DeltaMismatch {
            built_on: 0,
            view: 2
        }
    );
}
