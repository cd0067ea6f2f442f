//! One import: a byte stream of lines in, a new segment and the import's report out.
//!
//! `full` builds a new base (the answer's `added`/`removed` compare it with the current view);
//! `add` and `delete` build a delta against the current view, holding only real changes:
//! numbers not yet listed (`added`), listed numbers whose date becomes earlier (neither added
//! nor removed), and tombstones for listed numbers (`removed`). A number listed twice keeps its
//! earliest date, and an `add` never makes a listed number's date later.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::builder::SegmentBuilder;
use crate::date::TOMBSTONE;
use crate::line::{LineError, LineSplitter, parse_line_key};
use crate::number::{Key, Number};
use crate::registry::Registry;
use crate::segment::{DeltaCounts, Kind, Segment};
use crate::writer::SegmentWriter;

/// Rejected lines shown in a report (all are counted).
pub const MAX_REJECTED_SHOWN: usize = 100;
/// A rejected line's text is cut to this many characters in the report.
pub const REJECTED_TEXT_CHARS: usize = 80;

/// What an import does with its lines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ImportMode {
    /// The lines are the whole list: they replace it.
    Full,
    /// The lines are added (a listed number keeps its earliest date).
    Add,
    /// The lines are removed (a date on a line is accepted and ignored).
    Delete,
}

#[derive(Clone, PartialEq, Eq, Debug, Error)]
#[error("import mode must be full, add or delete, not {0:?}")]
pub struct UnknownImportMode(pub String);

impl FromStr for ImportMode {
    type Err = UnknownImportMode;

    fn from_str(text: &str) -> Result<ImportMode, UnknownImportMode> {
        match text {
            "full" => Ok(ImportMode::Full),
            "add" => Ok(ImportMode::Add),
            "delete" => Ok(ImportMode::Delete),
            other => Err(UnknownImportMode(other.to_owned())),
        }
    }
}

impl fmt::Display for ImportMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImportMode::Full => "full",
            ImportMode::Add => "add",
            ImportMode::Delete => "delete",
        })
    }
}

/// A line the import refused.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RejectedLine {
    /// 1-based, counting blank lines too (as an editor shows them).
    pub line: u64,
    /// The line, cut to [`REJECTED_TEXT_CHARS`] characters (invalid UTF-8 replaced).
    pub text: String,
    pub error: LineError,
}

/// The import's answer (contract: `lines`, `added`, `removed`, `rejected`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ImportReport {
    pub mode: ImportMode,
    /// Lines read that were not blank: accepted plus rejected.
    pub lines: u64,
    /// Numbers in the new version that were not in the old.
    pub added: u64,
    /// Numbers in the old version that are not in the new.
    pub removed: u64,
    pub rejected_count: u64,
    /// The first [`MAX_REJECTED_SHOWN`] rejected lines.
    pub rejected: Vec<RejectedLine>,
}

impl ImportReport {
    /// Lines that named a number.
    pub fn accepted(&self) -> u64 {
        self.lines - self.rejected_count
    }
}

/// The outcome of [`Import::finish`]: apply `segment` to the view the import was finished
/// against ([`Registry::apply`]) once it is stored.
#[derive(Debug)]
pub struct ImportOutcome {
    pub report: ImportReport,
    /// A base for `full`, a delta for `add`/`delete` (possibly empty: nothing changed).
    pub segment: Segment,
}

/// An import in progress: feed it the body in chunks of any size, then finish it against the
/// current view. Bad lines are recorded and never stop good ones.
#[derive(Debug)]
pub struct Import {
    mode: ImportMode,
    splitter: LineSplitter,
    tally: Tally,
}

/// What the lines have given so far.
#[derive(Debug, Default)]
struct Tally {
    builder: SegmentBuilder,
    count: u64,
    rejected_count: u64,
    rejected: Vec<RejectedLine>,
}

impl Import {
    pub fn new(mode: ImportMode) -> Import {
        Import {
            mode,
            splitter: LineSplitter::default(),
            tally: Tally::default(),
        }
    }

    /// Reads the next chunk of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        let tally = &mut self.tally;
        self.splitter
            .feed(chunk, &mut |number, line| tally.take(number, line));
    }

    /// Lines read so far, blank ones included (for a progress display).
    pub fn lines_read(&self) -> u64 {
        self.splitter.lines_seen()
    }

    /// Ends the body and builds the segment against `current`, the view in force (imports are
    /// serialised: the caller applies the segment to this same view).
    pub fn finish(mut self, current: &Registry) -> ImportOutcome {
        let tally = &mut self.tally;
        self.splitter
            .finish(&mut |number, line| tally.take(number, line));
        let Tally {
            builder,
            count,
            rejected_count,
            rejected,
        } = self.tally;
        let (segment, added, removed) = match self.mode {
            ImportMode::Full => {
                let segment = builder.finish();
                let common = current.common_with(&segment);
                let added = segment.len().saturating_sub(common);
                (segment, added, current.len().saturating_sub(common))
            }
            ImportMode::Add | ImportMode::Delete => delta(self.mode, builder, current),
        };
        ImportOutcome {
            report: ImportReport {
                mode: self.mode,
                lines: count,
                added,
                removed,
                rejected_count,
                rejected,
            },
            segment,
        }
    }
}

impl Tally {
    fn take(&mut self, number: u64, line: &[u8]) {
        match parse_line_key(line) {
            Ok(None) => {}
            Ok(Some((key, code))) => {
                self.count += 1;
                self.builder.push_key(key, code);
            }
            Err(error) => {
                self.count += 1;
                self.rejected_count += 1;
                if self.rejected.len() < MAX_REJECTED_SHOWN {
                    self.rejected.push(RejectedLine {
                        line: number,
                        text: String::from_utf8_lossy(line)
                            .trim_end_matches(['\r', ' ', '\t'])
                            .chars()
                            .take(REJECTED_TEXT_CHARS)
                            .collect(),
                        error,
                    });
                }
            }
        }
    }
}

/// The delta of an `add` or `delete` import against `current`, with its added/removed counts.
fn delta(mode: ImportMode, builder: SegmentBuilder, current: &Registry) -> (Segment, u64, u64) {
    let mut writer = SegmentWriter::new(Kind::Delta, builder.pushed());
    let (mut added, mut removed) = (0u64, 0u64);
    // The code to store for a number, if the import changes it.
    let mut change = |key: Key, code: u16| -> Option<u16> {
        let listed = current.lookup_code(Number::from_key(key));
        match (mode, listed) {
            (ImportMode::Delete, Some(_)) => {
                removed += 1;
                Some(TOMBSTONE)
            }
            (ImportMode::Delete, None) => None,
            (_, None) => {
                added += 1;
                Some(code)
            }
            (_, Some(old)) => (code < old).then_some(code),
        }
    };
    builder.drain_sorted(|key, code| {
        if let Some(code) = change(key, code) {
            writer.push(key, code);
        }
    });
    let counts = DeltaCounts {
        view_len_before: current.len(),
        added,
        removed,
    };
    (writer.finish(counts), added, removed)
}
