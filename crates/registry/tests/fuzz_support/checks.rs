//! What the registry's fuzz targets check, shared by the stable harness (`tests/fuzz_import.rs`)
//! and the libFuzzer targets of the long runs (`fuzz/`, which include this file by path). A
//! panic anywhere is a finding; so is an import whose answer depends on how its body was cut
//! into chunks, or a segment an import wrote that does not read back.

use std::sync::Arc;

use registry::{
    Import, ImportMode, ImportOutcome, MAX_REJECTED_SHOWN, Registry, Segment, parse_line,
};

/// The segment header's length; its CRCs sit at 64 (body) and 68 (header bytes 0..68).
pub const HEADER_LEN: usize = 72;

/// One line: an accepted line, written back as `+E164[,YYYY-MM-DD]`, reads as the same entry.
pub fn line(bytes: &[u8]) {
    if let Ok(Some(entry)) = parse_line(bytes) {
        let text = match entry.date {
            Some(date) => format!("{},{date}", entry.number),
            None => entry.number.to_string(),
        };
        assert_eq!(parse_line(text.as_bytes()), Ok(Some(entry)), "{text}");
    }
}

fn run(mode: ImportMode, body: &[u8], chunk_lens: &[usize], current: &Registry) -> ImportOutcome {
    let mut import = Import::new(mode);
    let mut rest = body;
    for &len in chunk_lens {
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        import.feed(chunk);
        rest = tail;
    }
    import.feed(rest);
    import.finish(current)
}

/// An import of `body` in `mode` against the view a full import of `previous` made: the same
/// answer whatever the chunks, a segment that reads back and applies, and a view that holds
/// (or, for `delete`, lacks) every number of an accepted line.
pub fn import(mode: ImportMode, body: &[u8], chunk_lens: &[usize], previous: &[u8]) {
    let before = run(ImportMode::Full, previous, &[], &Registry::empty());
    let Ok(current) = Registry::empty().apply(Arc::new(before.segment)) else {
        panic!("a full import does not apply to the empty view");
    };
    let whole = run(mode, body, &[], &current);
    let chunked = run(mode, body, chunk_lens, &current);
    assert_eq!(
        whole.report, chunked.report,
        "the chunks changed the report"
    );
    assert_eq!(
        whole.segment.as_bytes(),
        chunked.segment.as_bytes(),
        "the chunks changed the segment"
    );
    let report = &whole.report;
    assert!(report.rejected.len() <= MAX_REJECTED_SHOWN);
    assert!(report.rejected.len() as u64 <= report.rejected_count);
    assert!(report.rejected_count <= report.lines);
    assert!(
        report
            .rejected
            .windows(2)
            .all(|w| w.first().map(|r| r.line) < w.get(1).map(|r| r.line)),
        "rejected lines out of order"
    );
    let read = match Segment::from_bytes(whole.segment.as_bytes().to_vec()) {
        Ok(read) => read,
        Err(e) => panic!("an import wrote an unreadable segment: {e}"),
    };
    let view = match current.apply(Arc::new(read)) {
        Ok(view) => view,
        Err(e) => panic!("an import's segment does not apply to its view: {e}"),
    };
    let expected_len = match mode {
        ImportMode::Full => whole.segment.len(),
        ImportMode::Add => current.len() + report.added,
        ImportMode::Delete => current.len() - report.removed,
    };
    assert_eq!(view.len(), expected_len);
    for line in body.split(|&b| b == b'\n') {
        if let Ok(Some(entry)) = parse_line(line) {
            assert_eq!(
                view.contains(entry.number),
                mode != ImportMode::Delete,
                "{}",
                entry.number
            );
        }
    }
    let merged = view.merge();
    assert_eq!(merged.len(), view.len(), "a merge changed the count");
    segment_bytes(merged.into_bytes());
}

/// Bytes read as a segment: an error or a segment whose lookups and merge do not panic.
pub fn segment_bytes(bytes: Vec<u8>) {
    let Ok(segment) = Segment::from_bytes(bytes) else {
        return;
    };
    let Ok(view) = Registry::empty().apply(Arc::new(segment)) else {
        return;
    };
    for text in ["2015550123", "2025550123", "9999999999", "+442071234567"] {
        if let Ok(number) = text.parse() {
            let _ = view.lookup(number);
        }
    }
    let _ = view.merge();
}

/// Writes the two CRCs a forger (or a buggy writer) would, so damage reaches the structural
/// checks behind them.
pub fn recompute_checksums(bytes: &mut [u8]) {
    let Some((header, body)) = bytes.split_at_mut_checked(HEADER_LEN) else {
        return;
    };
    let body_crc = crc32fast::hash(body);
    if let Some(slot) = header.get_mut(64..68) {
        slot.copy_from_slice(&body_crc.to_le_bytes());
    }
    let header_crc = crc32fast::hash(header.get(..68).unwrap_or_default());
    if let Some(slot) = header.get_mut(68..72) {
        slot.copy_from_slice(&header_crc.to_le_bytes());
    }
}

/// A segment an import of `body` wrote, damaged by `edits` (offset, byte), cut after `cut`
/// body bytes (the declared length fixed to match) and its checksums recomputed.
pub fn forged_segment(body: &[u8], edits: &[(usize, u8)], cut: Option<usize>) {
    let mut bytes = run(ImportMode::Full, body, &[], &Registry::empty())
        .segment
        .into_bytes();
    let len = bytes.len();
    for &(at, value) in edits {
        if let Some(b) = bytes.get_mut(at % len) {
            *b = value;
        }
    }
    if let Some(cut) = cut {
        let keep = HEADER_LEN + cut % (len - HEADER_LEN + 1);
        bytes.truncate(keep);
        let body_len = (keep - HEADER_LEN) as u64;
        if let Some(slot) = bytes.get_mut(32..40) {
            slot.copy_from_slice(&body_len.to_le_bytes());
        }
    }
    recompute_checksums(&mut bytes);
    segment_bytes(bytes);
}
