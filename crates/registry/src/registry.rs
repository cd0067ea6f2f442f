//! A registry as readers see it: a base segment and the delta segments applied since, newest
//! last. Views are immutable and cheap to clone; a new import makes a new view (the old one
//! stays valid for whoever holds it), so readers never wait and never see half an import.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::date::{TOMBSTONE, decode};
use crate::number::{CODES, Number};
use crate::segment::{DeltaCounts, IntlEntry, Kind, NanpEntry, Segment, SegmentError, Stored};
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
                writer.push_run(npa, nxx, self.resolve_exchange(npa, nxx, &mut scratch));
            }
        }
        for entry in self.resolve_intl(&mut scratch) {
            writer.push_intl(entry.key(), entry.code());
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
                if !new.is_empty() {
                    let old = self.resolve_exchange(npa, nxx, &mut scratch);
                    common += count_common(new, old);
                }
            }
        }
        let old = self.resolve_intl(&mut scratch);
        common + count_common(base.intl(), old)
    }

    fn segments(&self) -> impl Iterator<Item = &Segment> {
        std::iter::once(&*self.base).chain(self.deltas.iter().map(|d| &**d))
    }

    /// The view's entries of one exchange: the base's own bytes when no delta touches it,
    /// else the merge of base and deltas in `scratch`.
    fn resolve_exchange<'a>(
        &'a self,
        npa: u16,
        nxx: u16,
        scratch: &'a mut Scratch,
    ) -> &'a [NanpEntry] {
        let base = self.base.exchange(npa, nxx);
        if self
            .deltas
            .iter()
            .all(|delta| delta.exchange(npa, nxx).is_empty())
        {
            return base;
        }
        let changes = self.deltas.iter().map(|delta| delta.exchange(npa, nxx));
        resolve(base, changes, &mut scratch.exchange)
    }

    fn resolve_intl<'a>(&'a self, scratch: &'a mut Scratch) -> &'a [IntlEntry] {
        let changes = self.deltas.iter().map(|delta| delta.intl());
        resolve(self.base.intl(), changes, &mut scratch.intl)
    }
}

/// Reused buffers for resolving runs.
#[derive(Debug, Default)]
struct Scratch {
    exchange: RunBuffer<NanpEntry>,
    intl: RunBuffer<IntlEntry>,
}

#[derive(Debug)]
struct RunBuffer<E> {
    /// Delta entries with their age (0 = newest).
    pending: Vec<(E, usize)>,
    resolved: Vec<E>,
}

impl<E> Default for RunBuffer<E> {
    fn default() -> Self {
        RunBuffer {
            pending: Vec::new(),
            resolved: Vec::new(),
        }
    }
}

/// The base run with the changes (oldest first) applied: for each key the newest change wins,
/// and a deletion drops the key.
fn resolve<'a, E: Stored>(
    base: &'a [E],
    changes: impl DoubleEndedIterator<Item = &'a [E]>,
    buffer: &'a mut RunBuffer<E>,
) -> &'a [E] {
    let RunBuffer { pending, resolved } = buffer;
    pending.clear();
    for (age, change) in changes.rev().enumerate() {
        pending.extend(change.iter().map(|entry| (*entry, age)));
    }
    // Newest (age 0) first among equal keys, so dedup keeps it.
    pending.sort_unstable_by_key(|(entry, age)| (entry.key(), *age));
    pending.dedup_by_key(|(entry, _)| entry.key());

    resolved.clear();
    let mut base_entries = base.iter().peekable();
    let mut keep = |entry: E| {
        if entry.code() != TOMBSTONE {
            resolved.push(entry);
        }
    };
    for &(change, _) in pending.iter() {
        while let Some(entry) = base_entries.next_if(|entry| entry.key() < change.key()) {
            keep(*entry);
        }
        base_entries.next_if(|entry| entry.key() == change.key());
        keep(change);
    }
    for entry in base_entries {
        keep(*entry);
    }
    resolved
}

/// Keys two ascending runs share.
fn count_common<E: Stored>(a: &[E], b: &[E]) -> u64 {
    let (mut i, mut j, mut common) = (0, 0, 0u64);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        let (x, y) = (x.key(), y.key());
        common += u64::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    common
}
