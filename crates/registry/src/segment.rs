//! A segment: one immutable version of a registry (a base) or one change list (a delta), held
//! as the bytes of its file format and read in place.
//!
//! Format version 1, all integers little-endian:
//!
//! ```text
//! header (72 bytes)
//!   0  magic "TGREGSEG"          8  format version u32 = 1     12 kind u32 (0 base, 1 delta)
//!   16 NANP entries u64          24 other E.164 entries u64    32 body length u64
//!   40 delta: entries of the view it was built on u64
//!   48 delta: numbers it adds u64                              56 delta: numbers it removes u64
//!   64 CRC-32 of the body u32    68 CRC-32 of header bytes 0..68 u32
//! body
//!   directory: 800 × u32         entries per area code 200..=999 (0: no block)
//!   per area code with entries, ascending:
//!     exchange offsets 801 × u32 entry index of each exchange 200..=999 within the block, then the count
//!     entries n × (u16, u16)     last four digits (ascending within each exchange), day code
//!   other E.164: m × (u64, u16)  number (ascending), day code
//! day code: days since 1970-01-01; 65534 a deletion (deltas only), 65535 no date
//! ```
//!
//! A number's date sits beside its line number, so a lookup that found the number has its
//! date in the same cache line.
//!
//! Segments are read into memory rather than memory-mapped: mapping needs `unsafe`, which the
//! workspace forbids, and the daemon gets segments from the database (in chunks), not from files.

use std::fmt;
use std::io::{self, Write};

use thiserror::Error;

use crate::date::{TOMBSTONE, code_is_valid};
use crate::number::{CODES, Key, LINES_PER_EXCHANGE, NANP_CODES, Number};

pub(crate) const MAGIC: &[u8; 8] = b"TGREGSEG";
pub(crate) const FORMAT_VERSION: u32 = 1;
pub(crate) const HEADER_LEN: usize = 72;
pub(crate) const DIRECTORY_LEN: usize = NANP_CODES * 4;
pub(crate) const OFFSETS_LEN: usize = (NANP_CODES + 1) * 4;

/// Why bytes are not a segment, or a segment does not fit where it was put.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Error)]
pub enum SegmentError {
    #[error("not a registry segment (wrong magic bytes)")]
    Magic,
    #[error("segment format version {0} is not supported (this build reads version 1)")]
    Version(u32),
    #[error(
        "segment truncated or oversized: the header declares {declared} bytes, {actual} present"
    )]
    Length { declared: u64, actual: u64 },
    #[error("segment header checksum mismatch")]
    HeaderChecksum,
    #[error("segment body checksum mismatch")]
    BodyChecksum,
    #[error("corrupt segment: {0}")]
    Corrupt(&'static str),
    #[error("delta built on a view of {built_on} entries applied to one of {view} entries")]
    DeltaMismatch { built_on: u64, view: u64 },
}

/// Whether a segment is a whole version or a change list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Base,
    Delta,
}

/// What a delta records about the view it was built against.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct DeltaCounts {
    pub(crate) view_len_before: u64,
    pub(crate) added: u64,
    pub(crate) removed: u64,
}

/// Where one area code's block lies in the bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Block {
    pub(crate) offsets_at: usize,
    pub(crate) entries_at: usize,
    pub(crate) count: usize,
}

/// A NANP entry as stored: line number and day code, little-endian.
pub(crate) type NanpEntry = [u8; 4];
/// A non-NANP entry as stored: E.164 digits and day code, little-endian.
pub(crate) type IntlEntry = [u8; 10];
pub(crate) const NANP_ENTRY_LEN: usize = 4;
pub(crate) const INTL_ENTRY_LEN: usize = 10;

/// A stored entry: its key and its day code.
pub(crate) trait Stored: Copy {
    fn key(&self) -> u64;
    fn code(&self) -> u16;
}

impl Stored for NanpEntry {
    fn key(&self) -> u64 {
        let [a, b, _, _] = *self;
        u64::from(u16::from_le_bytes([a, b]))
    }
    fn code(&self) -> u16 {
        let [_, _, a, b] = *self;
        u16::from_le_bytes([a, b])
    }
}

impl Stored for IntlEntry {
    fn key(&self) -> u64 {
        let [a, b, c, d, e, f, g, h, _, _] = *self;
        u64::from_le_bytes([a, b, c, d, e, f, g, h])
    }
    fn code(&self) -> u16 {
        let [.., a, b] = *self;
        u16::from_le_bytes([a, b])
    }
}

pub(crate) fn nanp_entry(line: u16, code: u16) -> NanpEntry {
    let [a, b] = line.to_le_bytes();
    let [c, d] = code.to_le_bytes();
    [a, b, c, d]
}

pub(crate) fn intl_entry(digits: u64, code: u16) -> IntlEntry {
    let [a, b, c, d, e, f, g, h] = digits.to_le_bytes();
    let [i, j] = code.to_le_bytes();
    [a, b, c, d, e, f, g, h, i, j]
}

/// One registry version or change list; see the module documentation for the byte layout.
pub struct Segment {
    pub(crate) bytes: Vec<u8>,
    pub(crate) kind: Kind,
    pub(crate) nanp_count: u64,
    pub(crate) intl_count: u64,
    pub(crate) delta: DeltaCounts,
    /// One per area code, indexed by code − 200; `count == 0` for absent codes.
    pub(crate) blocks: Vec<Block>,
    pub(crate) intl_at: usize,
}

impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("kind", &self.kind)
            .field("nanp_entries", &self.nanp_count)
            .field("other_entries", &self.intl_count)
            .field("delta", &self.delta)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl Segment {
    /// Reads a segment, checking everything lookups rely on: magic, version, both checksums,
    /// lengths, ascending keys, valid codes and counts. Bad bytes are an error, never a panic.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Segment, SegmentError> {
        let header = bytes.get(..HEADER_LEN).ok_or(SegmentError::Length {
            declared: HEADER_LEN as u64,
            actual: bytes.len() as u64,
        })?;
        if header.get(..8) != Some(&MAGIC[..]) {
            return Err(SegmentError::Magic);
        }
        let version = read_u32(header, 8);
        if version != FORMAT_VERSION {
            return Err(SegmentError::Version(version));
        }
        if crc32fast::hash(header.get(..68).unwrap_or_default()) != read_u32(header, 68) {
            return Err(SegmentError::HeaderChecksum);
        }
        let kind = match read_u32(header, 12) {
            0 => Kind::Base,
            1 => Kind::Delta,
            _ => return Err(SegmentError::Corrupt("unknown segment kind")),
        };
        let body_len = read_u64(header, 32);
        let actual = (bytes.len() - HEADER_LEN) as u64;
        if body_len != actual {
            return Err(SegmentError::Length {
                declared: body_len.saturating_add(HEADER_LEN as u64),
                actual: bytes.len() as u64,
            });
        }
        let body = bytes.get(HEADER_LEN..).unwrap_or_default();
        if crc32fast::hash(body) != read_u32(header, 64) {
            return Err(SegmentError::BodyChecksum);
        }
        let nanp_count = read_u64(header, 16);
        let intl_count = read_u64(header, 24);
        let delta = DeltaCounts {
            view_len_before: read_u64(header, 40),
            added: read_u64(header, 48),
            removed: read_u64(header, 56),
        };
        let (blocks, intl_at) = layout(&bytes, nanp_count)?;
        let segment = Segment {
            bytes,
            kind,
            nanp_count,
            intl_count,
            delta,
            blocks,
            intl_at,
        };
        segment.validate_entries()?;
        Ok(segment)
    }

    /// The segment's bytes, to store (in chunks of any size) or send.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The segment's bytes, giving the segment up.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Writes the segment's bytes.
    pub fn write_to(&self, mut out: impl Write) -> io::Result<()> {
        out.write_all(&self.bytes)
    }

    /// Entries held: for a delta, its additions and deletions.
    pub fn len(&self) -> u64 {
        self.nanp_count + self.intl_count
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this is a change list (a delta) rather than a whole version (a base).
    pub fn is_delta(&self) -> bool {
        self.kind == Kind::Delta
    }

    /// The stored day code of `number` (a tombstone in a delta is [`TOMBSTONE`]).
    pub(crate) fn lookup_code(&self, number: Number) -> Option<u16> {
        match number.key() {
            Key::Nanp(key) => find_line(self.exchange(key.npa, key.nxx), key.line),
            Key::Intl(digits) => {
                let entries = self.intl();
                let at = entries.binary_search_by_key(&digits, Stored::key).ok()?;
                entries.get(at).map(Stored::code)
            }
        }
    }

    /// The entries of exchange `nxx` (index 0..800) of area code `npa` (index 0..800).
    pub(crate) fn exchange(&self, npa: u16, nxx: u16) -> &[NanpEntry] {
        let Some(block) = self.blocks.get(usize::from(npa)).filter(|b| b.count > 0) else {
            return &[];
        };
        let offset = |i: usize| read_u32(&self.bytes, block.offsets_at + 4 * i) as usize;
        let (start, end) = (offset(usize::from(nxx)), offset(usize::from(nxx) + 1));
        self.bytes
            .get(block.entries_at + NANP_ENTRY_LEN * start..block.entries_at + NANP_ENTRY_LEN * end)
            .unwrap_or_default()
            .as_chunks()
            .0
    }

    /// The E.164 side table.
    pub(crate) fn intl(&self) -> &[IntlEntry] {
        let count = usize::try_from(self.intl_count).unwrap_or(0);
        self.bytes
            .get(self.intl_at..self.intl_at + INTL_ENTRY_LEN * count)
            .unwrap_or_default()
            .as_chunks()
            .0
    }

    /// Whether any area code has entries (saves walking 640,000 empty exchanges).
    pub(crate) fn has_block(&self, npa: u16) -> bool {
        self.blocks
            .get(usize::from(npa))
            .is_some_and(|b| b.count > 0)
    }

    /// The checks of [`Segment::from_bytes`] past the header: every run ascending, every line
    /// below 10,000, every code valid for the kind, and the delta counts consistent.
    fn validate_entries(&self) -> Result<(), SegmentError> {
        let delta = self.kind == Kind::Delta;
        let mut tombstones = 0u64;
        let mut check_codes = |codes: &mut dyn Iterator<Item = u16>| {
            for code in codes {
                if !code_is_valid(code, delta) {
                    return Err(SegmentError::Corrupt("a deletion in a base segment"));
                }
                tombstones += u64::from(code == TOMBSTONE);
            }
            Ok(())
        };
        for (npa, block) in (0u16..).zip(&self.blocks) {
            if block.count == 0 {
                continue;
            }
            let mut previous_end = 0;
            for nxx in 0..CODES {
                let end = read_u32(&self.bytes, block.offsets_at + 4 * (usize::from(nxx) + 1));
                if end < previous_end {
                    return Err(SegmentError::Corrupt("exchange offsets go backwards"));
                }
                previous_end = end;
                let entries = self.exchange(npa, nxx);
                let lines = entries.iter().map(Stored::key);
                if !strictly_ascending(lines.clone())
                    || lines.clone().next_back() >= Some(u64::from(LINES_PER_EXCHANGE))
                {
                    return Err(SegmentError::Corrupt("line numbers out of order or range"));
                }
                check_codes(&mut entries.iter().map(Stored::code))?;
            }
            if read_u32(&self.bytes, block.offsets_at) != 0 || previous_end as usize != block.count
            {
                return Err(SegmentError::Corrupt(
                    "exchange offsets do not span the block",
                ));
            }
        }
        let intl = self.intl();
        let mut numbers = intl.iter().map(Stored::key);
        if !strictly_ascending(numbers.clone())
            || numbers.any(|digits| {
                Number::from_e164_digits(digits)
                    .ok()
                    .is_none_or(Number::is_nanp)
            })
        {
            return Err(SegmentError::Corrupt(
                "E.164 numbers out of order or invalid",
            ));
        }
        check_codes(&mut intl.iter().map(Stored::code))?;
        let counts_fit = match self.kind {
            Kind::Base => self.delta == DeltaCounts::default(),
            Kind::Delta => {
                tombstones == self.delta.removed
                    && self.delta.removed <= self.delta.view_len_before
                    && self.delta.added <= self.len() - tombstones
            }
        };
        if !counts_fit {
            return Err(SegmentError::Corrupt(
                "header counts do not match the entries",
            ));
        }
        Ok(())
    }
}

/// Works out where each block and the side table lie, checking the lengths against the
/// declared counts (in `u64`, so hostile counts cannot overflow).
fn layout(bytes: &[u8], nanp_count: u64) -> Result<(Vec<Block>, usize), SegmentError> {
    let corrupt = |what| SegmentError::Corrupt(what);
    let directory = bytes
        .get(HEADER_LEN..HEADER_LEN + DIRECTORY_LEN)
        .ok_or(corrupt("body shorter than the directory"))?;
    let mut at = (HEADER_LEN + DIRECTORY_LEN) as u64;
    let mut total = 0u64;
    let mut blocks = Vec::with_capacity(NANP_CODES);
    for count in directory.as_chunks::<4>().0 {
        let count = u64::from(u32::from_le_bytes(*count));
        total += count;
        if count == 0 {
            blocks.push(Block::default());
            continue;
        }
        let entries_at = at + OFFSETS_LEN as u64;
        at = entries_at + NANP_ENTRY_LEN as u64 * count;
        if at > bytes.len() as u64 {
            return Err(corrupt("directory counts exceed the body"));
        }
        // Every value is below bytes.len() now, so it fits a usize.
        let position = |value: u64| usize::try_from(value).map_err(|_| corrupt("oversized"));
        blocks.push(Block {
            offsets_at: position(entries_at - OFFSETS_LEN as u64)?,
            entries_at: position(entries_at)?,
            count: position(count)?,
        });
    }
    if total != nanp_count {
        return Err(corrupt(
            "directory counts do not add up to the NANP entries",
        ));
    }
    let intl_len = (bytes.len() as u64).saturating_sub(at);
    let intl_count = read_u64(bytes, 24);
    if intl_count.checked_mul(INTL_ENTRY_LEN as u64) != Some(intl_len) {
        return Err(corrupt("E.164 table length does not match its count"));
    }
    Ok((
        blocks,
        usize::try_from(at).map_err(|_| corrupt("oversized"))?,
    ))
}

fn strictly_ascending<T: Ord>(mut values: impl Iterator<Item = T>) -> bool {
    let Some(mut previous) = values.next() else {
        return true;
    };
    values.all(|value| {
        let ascending = value > previous;
        previous = value;
        ascending
    })
}

/// The code of `line` in an exchange's entries. Line numbers spread about evenly over
/// 0..10,000, so the search starts where `line` would sit if they were exactly even, and gallops
/// outward from there: usually the first cache line read holds the answer, where a binary search
/// would read four or five.
fn find_line(entries: &[NanpEntry], line: u16) -> Option<u16> {
    let target = u64::from(line);
    let guess = entries.len() * usize::from(line) / usize::from(LINES_PER_EXCHANGE);
    let at_guess = entries.get(guess)?.key();
    let (mut low, mut high) = if at_guess < target {
        // The answer is after `guess`: widen the step until an entry passes the target.
        let (mut low, mut step) = (guess + 1, 1);
        loop {
            let probe = low + step - 1;
            match entries.get(probe) {
                Some(entry) if entry.key() < target => {
                    low = probe + 1;
                    step *= 2;
                }
                _ => break (low, (probe + 1).min(entries.len())),
            }
        }
    } else {
        let (mut high, mut step) = (guess + 1, 1);
        loop {
            let Some(probe) = (high - 1).checked_sub(step) else {
                break (0, high);
            };
            match entries.get(probe) {
                Some(entry) if entry.key() >= target => {
                    high = probe + 1;
                    step *= 2;
                }
                _ => break (probe + 1, high),
            }
        }
    };
    // Binary search in entries[low..high], which holds the target if anything does.
    while low < high {
        let middle = low + (high - low) / 2;
        let entry = entries.get(middle)?;
        match entry.key().cmp(&target) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return Some(entry.code()),
        }
    }
    None
}

/// Little-endian reads; out-of-range positions read as 0 (callers check lengths first).
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

pub(crate) fn read_u64(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn the_galloping_search_finds_exactly_the_stored_lines(
            lines in prop::collection::btree_set(0u16..10_000, 0..400),
            clustered in any::<bool>(),
            probes in prop::collection::vec(0u16..10_000, 50),
        ) {
            // Clustered: squeeze the lines into a narrow band so the first guess is far off.
            let lines: BTreeSet<u16> = if clustered {
                lines.iter().map(|line| 9_000 + line / 10).collect()
            } else {
                lines
            };
            let entries: Vec<NanpEntry> = lines.iter().map(|&line| nanp_entry(line, line ^ 0x5A5A)).collect();
            for probe in probes.into_iter().chain(lines.iter().copied()) {
                let expected = lines.contains(&probe).then_some(probe ^ 0x5A5A);
                prop_assert_eq!(find_line(&entries, probe), expected, "line {}", probe);
            }
        }
    }
}
