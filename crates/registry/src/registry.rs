//! A registry as readers see it: a base segment and the delta segments applied since, newest
//! last. Views are immutable and cheap to clone; a new import makes a new view (the old one
//! stays valid for whoever holds it), so readers never wait and never see half an import.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::date::{TOMBSTONE, decode};
use crate::number::{CODES, Number};
use crate::segment::{DeltaCounts, Kind, Run, Segment, SegmentError};
use crate::writer::SegmentWriter;

/// A number's entry in a registry.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Listing {
    /// Registered on; for `reassigned`, disconnected or reassigned on. `None`: the list gave
    /// no date.
    pub date: Option<NaiveDate>,
}

/// A registry version: a base segment plus ordered deltas.
#[derive(Clone, Debug)]
pub struct Registry {
    base: Arc<Segment>,
    deltas: Vec<Arc<Segment>>,
    len: u64,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::empty()
    }
}

impl Registry {
    /// A registry with no entries (a list never imported).
    pub fn empty() -> Registry {
        Registry {
            base: Arc::new(crate::SegmentBuilder::new().finish()),
            deltas: Vec::new(),
            len: 0,
        }
    }

    /// The view with `segment` applied: a base replaces everything, a delta goes on top. A
    /// delta must be applied to a view equal to the one it was built against (the segment
    /// records that view's size, and a mismatch is refused); a merged base of that view is
    /// equal to it, so deltas built later still apply after a merge.
    pub fn apply(&self, segment: Arc<Segment>) -> Result<Registry, SegmentError> {
        if segment.kind == Kind::Base {
            return Ok(Registry {
                len: segment.len(),
                base: segment,
                deltas: Vec::new(),
            });
        }
        let counts = segment.delta;
        if counts.view_len_before != self.len {
            return Err(SegmentError::DeltaMismatch {
                built_on: counts.view_len_before,
                view: self.len,
            });
        }
        let mut deltas = self.deltas.clone();
        deltas.push(segment);
        Ok(Registry {
            base: Arc::clone(&self.base),
            deltas,
            len: self.len + counts.added - counts.removed,
        })
    }

    /// `number`'s entry, if listed: the newest delta that mentions it decides, else the base.
    pub fn lookup(&self, number: Number) -> Option<Listing> {
        let code = self.lookup_code(number)?;
        Some(Listing { date: decode(code) })
    }

    pub fn contains(&self, number: Number) -> bool {
        self.lookup_code(number).is_some()
    }

    /// Numbers listed.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Deltas on top of the base (merge when this grows: each costs lookups a little).
    pub fn delta_count(&self) -> usize {
        self.deltas.len()
    }

    /// A base segment equal to this view: what a background merge stores in place of the base
    /// and its deltas. Reads this view only; `self` stays usable throughout.
    pub fn merge(&self) -> Segment {
        let estimate = self.base.nanp_count + self.deltas.iter().map(|d| d.nanp_count).sum::<u64>();
        let mut writer = SegmentWriter::new(Kind::Base, estimate);
        let mut scratch = Scratch::default();
        for npa in 0..CODES {
            if !self.segments().any(|segment| segment.has_block(npa)) {
                continue;
            }
            for nxx in 0..CODES {
                let run = self.resolve_exchange(npa, nxx, &mut scratch);
                writer.push_run(npa, nxx, run.keys, run.dates);
            }
        }
        let intl = self.resolve_intl(&mut scratch);
        for (number, code) in intl.keys.iter().zip(intl.dates) {
            writer.push_intl(u64::from_le_bytes(*number), u16::from_le_bytes(*code));
        }
        writer.finish(DeltaCounts::default())
    }

    pub(crate) fn lookup_code(&self, number: Number) -> Option<u16> {
        for delta in self.deltas.iter().rev() {
            if let Some(code) = delta.lookup_code(number) {
                return (code != TOMBSTONE).then_some(code);
            }
        }
        self.base.lookup_code(number)
    }

    /// How many numbers `base` (a new whole version) shares with this view.
    pub(crate) fn common_with(&self, base: &Segment) -> u64 {
        let mut scratch = Scratch::default();
        let mut common = 0u64;
        for npa in 0..CODES {
            if !base.has_block(npa) {
                continue;
            }
            for nxx in 0..CODES {
                let new = base.exchange(npa, nxx);
                if new.len() > 0 {
                    let old = self.resolve_exchange(npa, nxx, &mut scratch);
                    common += count_common(new.keys, old.keys);
                }
            }
        }
        let old = self.resolve_intl(&mut scratch);
        common + count_common(base.intl().keys, old.keys)
    }

    fn segments(&self) -> impl Iterator<Item = &Segment> {
        std::iter::once(&*self.base).chain(self.deltas.iter().map(|d| &**d))
    }

    /// The view's entries of one exchange: the base's own bytes when no delta touches it,
    /// else the merge of base and deltas in `scratch`.
    fn resolve_exchange<'a>(&'a self, npa: u16, nxx: u16, scratch: &'a mut Scratch) -> Run<'a, 2> {
        let base = self.base.exchange(npa, nxx);
        let changes: Vec<Run<'a, 2>> = self
            .deltas
            .iter()
            .map(|delta| delta.exchange(npa, nxx))
            .filter(|run| run.len() > 0)
            .collect();
        if changes.is_empty() {
            return base;
        }
        resolve(base, &changes, &mut scratch.exchange)
    }

    fn resolve_intl<'a>(&'a self, scratch: &'a mut Scratch) -> Run<'a, 8> {
        let changes: Vec<Run<'a, 8>> = self.deltas.iter().map(|delta| delta.intl()).collect();
        resolve(self.base.intl(), &changes, &mut scratch.intl)
    }
}

/// Reused buffers for resolving runs.
#[derive(Debug, Default)]
struct Scratch {
    exchange: RunBuffer<2>,
    intl: RunBuffer<8>,
}

#[derive(Debug, Default)]
struct RunBuffer<const N: usize> {
    pending: Vec<([u8; N], usize, [u8; 2])>,
    keys: Vec<[u8; N]>,
    dates: Vec<[u8; 2]>,
}

/// Keys compare as the little-endian integers they encode.
trait RunKey: Copy {
    fn value(self) -> u64;
}

impl RunKey for [u8; 2] {
    fn value(self) -> u64 {
        u64::from(u16::from_le_bytes(self))
    }
}

impl RunKey for [u8; 8] {
    fn value(self) -> u64 {
        u64::from_le_bytes(self)
    }
}

/// The base run with the changes applied (oldest first): for each key the newest change wins,
/// and a deletion drops the key.
fn resolve<'a, const N: usize>(
    base: Run<'a, N>,
    changes: &[Run<'a, N>],
    buffer: &'a mut RunBuffer<N>,
) -> Run<'a, N>
where
    [u8; N]: RunKey,
{
    let RunBuffer {
        pending,
        keys,
        dates,
    } = buffer;
    pending.clear();
    for (age, change) in changes.iter().rev().enumerate() {
        pending.extend(
            change
                .keys
                .iter()
                .zip(change.dates)
                .map(|(k, d)| (*k, age, *d)),
        );
    }
    // Newest (age 0) first among equal keys, so dedup keeps it.
    pending.sort_unstable_by_key(|(key, age, _)| (key.value(), *age));
    pending.dedup_by_key(|(key, _, _)| key.value());

    keys.clear();
    dates.clear();
    let mut base_entries = base.keys.iter().zip(base.dates).peekable();
    let mut keep = |key: [u8; N], date: [u8; 2]| {
        if u16::from_le_bytes(date) != TOMBSTONE {
            keys.push(key);
            dates.push(date);
        }
    };
    for &(key, _, date) in pending.iter() {
        while let Some((base_key, base_date)) =
            base_entries.next_if(|(k, _)| k.value() < key.value())
        {
            keep(*base_key, *base_date);
        }
        base_entries.next_if(|(k, _)| k.value() == key.value());
        keep(key, date);
    }
    for (key, date) in base_entries {
        keep(*key, *date);
    }
    Run { keys, dates }
}

/// Keys two ascending runs share.
fn count_common<const N: usize>(a: &[[u8; N]], b: &[[u8; N]]) -> u64
where
    [u8; N]: RunKey,
{
    let (mut i, mut j, mut common) = (0, 0, 0u64);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        let (x, y) = (x.value(), y.value());
        common += u64::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    common
}
