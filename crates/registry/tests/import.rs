//! The import report: line counting, rejected lines, and the `added`/`removed` figures.

// Test fixtures may fail loudly.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use registry::{
    Import, ImportMode, ImportOutcome, LineError, Listing, MAX_REJECTED_SHOWN, Number, NumberError,
    REJECTED_TEXT_CHARS, Registry,
};

fn import(mode: ImportMode, body: &str, current: &Registry) -> ImportOutcome {
    let mut import = Import::new(mode);
    import.feed(body.as_bytes());
    import.finish(current)
}

fn number(text: &str) -> Number {
    text.parse().unwrap()
}

fn listing(date: &str) -> Option<Listing> {
    Some(Listing {
        date: Some(date.parse().unwrap()),
    })
}

#[test]
fn blank_lines_are_skipped_and_a_header_is_rejected_with_its_line_number() {
    let body = "phone,registered\r\n2015550123,2021-01-01\r\n\r\n  \n2015550124\n";
    let outcome = import(ImportMode::Full, body, &Registry::empty());
    let report = outcome.report;
    assert_eq!(report.lines, 3);
    assert_eq!(report.accepted(), 2);
    assert_eq!(report.rejected_count, 1);
    assert_eq!(report.rejected[0].line, 1);
    assert_eq!(report.rejected[0].text, "phone,registered");
    assert_eq!(
        report.rejected[0].error,
        LineError::Number(NumberError::NotDigits)
    );
    assert_eq!((report.added, report.removed), (2, 0));
    assert_eq!(outcome.segment.len(), 2);
}

#[test]
fn all_bad_lines_are_counted_the_first_hundred_shown_and_good_lines_kept() {
    let mut body = String::new();
    for i in 0..250 {
        body.push_str(&format!("{}\n", "x".repeat(200 + i)));
        body.push_str(&format!("20155{:05}\n", i));
    }
    let mut import = Import::new(ImportMode::Full);
    for chunk in body.as_bytes().chunks(7) {
        import.feed(chunk);
    }
    assert_eq!(import.lines_read(), 500);
    let report = import.finish(&Registry::empty()).report;
    assert_eq!(report.rejected_count, 250);
    assert_eq!(report.rejected.len(), MAX_REJECTED_SHOWN);
    assert_eq!(report.added, 250);
    let first = &report.rejected[0];
    assert_eq!(first.line, 1);
    assert_eq!(first.text.chars().count(), REJECTED_TEXT_CHARS);
    assert_eq!(report.rejected[99].line, 199);
    assert_eq!(report.rejected[99].error, LineError::TooLong);
}

#[test]
fn a_number_listed_twice_keeps_its_earliest_date() {
    let body = "2015550123,2022-05-01\n+12015550123,2021-01-01\n2015550123\n";
    let outcome = import(ImportMode::Full, body, &Registry::empty());
    assert_eq!(outcome.report.added, 1);
    let view = Registry::empty().apply(Arc::new(outcome.segment)).unwrap();
    assert_eq!(view.lookup(number("2015550123")), listing("2021-01-01"));
}

#[test]
fn add_keeps_the_earliest_date_and_counts_only_new_numbers() {
    let base = import(
        ImportMode::Full,
        "2015550123,2021-01-01\n2015550124\n",
        &Registry::empty(),
    );
    let view = Registry::empty().apply(Arc::new(base.segment)).unwrap();
    let body = "2015550123,2022-01-01\n2015550124,2020-01-01\n2015550125,2019-01-01\n";
    let outcome = import(ImportMode::Add, body, &view);
    assert_eq!((outcome.report.added, outcome.report.removed), (1, 0));
    // The later date for ...123 changes nothing, so the delta holds two entries.
    assert_eq!(outcome.segment.len(), 2);
    let view = view.apply(Arc::new(outcome.segment)).unwrap();
    assert_eq!(view.len(), 3);
    assert_eq!(view.lookup(number("2015550123")), listing("2021-01-01"));
    assert_eq!(view.lookup(number("2015550124")), listing("2020-01-01"));
    assert_eq!(view.lookup(number("2015550125")), listing("2019-01-01"));
}

#[test]
fn delete_counts_only_listed_numbers_and_full_counts_both_ways() {
    let base = import(
        ImportMode::Full,
        "2015550123\n2015550124\n",
        &Registry::empty(),
    );
    let view = Registry::empty().apply(Arc::new(base.segment)).unwrap();
    let outcome = import(
        ImportMode::Delete,
        "2015550123,2020-01-01\n2019990000\n",
        &view,
    );
    assert_eq!((outcome.report.added, outcome.report.removed), (0, 1));
    let view = view.apply(Arc::new(outcome.segment)).unwrap();
    assert_eq!(view.len(), 1);
    assert!(!view.contains(number("2015550123")));

    let outcome = import(
        ImportMode::Full,
        "2015550124\n2015550999\n+442071234567\n",
        &view,
    );
    assert_eq!((outcome.report.added, outcome.report.removed), (2, 0));
    let outcome = import(ImportMode::Full, "2015550999\n", &view);
    assert_eq!((outcome.report.added, outcome.report.removed), (1, 1));
}

#[test]
fn an_empty_body_makes_an_empty_version() {
    let base = import(ImportMode::Full, "2015550123\n", &Registry::empty());
    let view = Registry::empty().apply(Arc::new(base.segment)).unwrap();
    let outcome = import(ImportMode::Full, "", &view);
    assert_eq!(outcome.report.lines, 0);
    assert_eq!((outcome.report.added, outcome.report.removed), (0, 1));
    assert!(outcome.segment.is_empty());
    let outcome = import(ImportMode::Add, "\n\n", &view);
    assert!(outcome.segment.is_empty());
    assert!(outcome.segment.is_delta());
}

#[test]
fn import_modes_read_as_the_contract_writes_them() {
    for mode in [ImportMode::Full, ImportMode::Add, ImportMode::Delete] {
        assert_eq!(mode.to_string().parse::<ImportMode>().unwrap(), mode);
    }
    assert!("replace".parse::<ImportMode>().is_err());
}

/// Found by fuzzing: a first line of 257 bytes after a byte-order mark was "too long" when the
/// body came in one chunk but a bad number when cut across chunks (the mark took room).
#[test]
fn a_long_first_line_after_a_byte_order_mark_is_too_long_in_any_chunks() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend([b'7'; 257]);
    body.extend(b"\n2015550123\n");
    for first_chunk in [body.len(), 1, 2, 3, 4, 200] {
        let mut import = Import::new(ImportMode::Full);
        let (head, tail) = body.split_at(first_chunk);
        import.feed(head);
        import.feed(tail);
        let report = import.finish(&Registry::empty()).report;
        assert_eq!(
            report.rejected[0].error,
            LineError::TooLong,
            "{first_chunk}"
        );
        assert_eq!(report.added, 1);
    }
}
