//! Collects entries in any order and sorts them into segment order, keeping each number once
//! with its earliest date.
//!
//! NANP entries go to one bucket per area code as `exchange << 32 | line << 16 | day code`
//! (8 bytes each while building): sorting a bucket's integers orders it by exchange, line and
//! date, so the first of equal numbers carries the earliest date (no date sorts last).

use chrono::NaiveDate;
use thiserror::Error;

use crate::date::{NO_DATE, encode};
use crate::number::{Key, NANP_CODES, NanpKey, Number};
use crate::segment::{DeltaCounts, Kind, Segment};
use crate::writer::SegmentWriter;

/// A date a segment cannot store.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Error)]
#[error("the date {0} is outside 1970-01-01..=2149-06-04")]
pub struct DateOutOfRange(pub NaiveDate);

/// Builds a base segment from entries in any order; a number pushed twice keeps its earliest
/// date (a dated entry beats an undated one).
#[derive(Debug)]
pub struct SegmentBuilder {
    buckets: Vec<Vec<u64>>,
    intl: Vec<(u64, u16)>,
}

impl Default for SegmentBuilder {
    fn default() -> Self {
        SegmentBuilder {
            buckets: vec![Vec::new(); NANP_CODES],
            intl: Vec::new(),
        }
    }
}

impl SegmentBuilder {
    pub fn new() -> SegmentBuilder {
        SegmentBuilder::default()
    }

    /// Adds `number`, dated or not.
    pub fn push(&mut self, number: Number, date: Option<NaiveDate>) -> Result<(), DateOutOfRange> {
        let code = match date {
            Some(date) => encode(date).ok_or(DateOutOfRange(date))?,
            None => NO_DATE,
        };
        self.push_key(number.key(), code);
        Ok(())
    }

    /// Entries pushed so far, repeats included.
    pub fn pushed(&self) -> u64 {
        let nanp: usize = self.buckets.iter().map(Vec::len).sum();
        (nanp + self.intl.len()) as u64
    }

    /// The base segment of everything pushed.
    pub fn finish(self) -> Segment {
        let mut writer = SegmentWriter::new(Kind::Base, self.pushed());
        self.drain_sorted(|key, code| writer.push(key, code));
        writer.finish(DeltaCounts::default())
    }

    pub(crate) fn push_key(&mut self, key: Key, code: u16) {
        match key {
            Key::Nanp(key) => {
                let packed = u64::from(key.nxx) << 32 | u64::from(key.line) << 16 | u64::from(code);
                if let Some(bucket) = self.buckets.get_mut(usize::from(key.npa)) {
                    bucket.push(packed);
                }
            }
            Key::Intl(digits) => self.intl.push((digits, code)),
        }
    }

    /// Hands every number once, in segment order (NANP by area code, then the others), with
    /// its earliest code; frees each area code's bucket as soon as it is handed over.
    pub(crate) fn drain_sorted(mut self, mut emit: impl FnMut(Key, u16)) {
        for (npa, bucket) in (0u16..).zip(&mut self.buckets) {
            let mut entries = std::mem::take(bucket);
            entries.sort_unstable();
            entries.dedup_by_key(|packed| *packed >> 16);
            for packed in entries {
                #[allow(clippy::cast_possible_truncation)] // unpacking 16-bit fields
                let (nxx, line, code) =
                    ((packed >> 32) as u16, (packed >> 16) as u16, packed as u16);
                emit(Key::Nanp(NanpKey { npa, nxx, line }), code);
            }
        }
        self.intl.sort_unstable();
        self.intl.dedup_by_key(|(digits, _)| *digits);
        for (digits, code) in self.intl {
            emit(Key::Intl(digits), code);
        }
    }
}
