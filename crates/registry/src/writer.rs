//! Writes a segment's bytes from entries given in ascending order, in one pass: each area code's
//! block is written as its entries arrive, so building never holds a second copy of the data.

use crate::date::TOMBSTONE;
use crate::number::{Key, NANP_CODES, NanpKey};
use crate::segment::{
    Block, DIRECTORY_LEN, DeltaCounts, FORMAT_VERSION, HEADER_LEN, INTL_ENTRY_LEN, Kind, MAGIC,
    NANP_ENTRY_LEN, NanpEntry, OFFSETS_LEN, Segment, Stored, intl_entry, nanp_entry,
};

/// The block being written: its position and its entries per exchange.
#[derive(Debug)]
struct OpenBlock {
    npa: u16,
    offsets_at: usize,
    per_exchange: Vec<u32>,
}

#[derive(Debug)]
pub(crate) struct SegmentWriter {
    out: Vec<u8>,
    kind: Kind,
    blocks: Vec<Block>,
    open: Option<OpenBlock>,
    nanp_count: u64,
    intl: Vec<u8>,
    tombstones: u64,
}

impl SegmentWriter {
    /// A writer expecting about `nanp_entries` NANP entries (an estimate: it sizes the buffer).
    pub(crate) fn new(kind: Kind, nanp_entries: u64) -> SegmentWriter {
        let capacity = HEADER_LEN
            + DIRECTORY_LEN
            + NANP_CODES * OFFSETS_LEN
            + usize::try_from(nanp_entries.saturating_mul(NANP_ENTRY_LEN as u64)).unwrap_or(0);
        let mut out = Vec::with_capacity(capacity);
        out.resize(HEADER_LEN + DIRECTORY_LEN, 0);
        SegmentWriter {
            out,
            kind,
            blocks: vec![Block::default(); NANP_CODES],
            open: None,
            nanp_count: 0,
            intl: Vec::new(),
            tombstones: 0,
        }
    }

    /// Adds one entry: NANP keys in strictly ascending order, then the others likewise.
    pub(crate) fn push(&mut self, key: Key, code: u16) {
        match key {
            Key::Nanp(key) => self.push_nanp(key, code),
            Key::Intl(digits) => self.push_intl(digits, code),
        }
    }

    /// Adds one NANP entry; keys must come in strictly ascending order.
    pub(crate) fn push_nanp(&mut self, key: NanpKey, code: u16) {
        let block = self.block_for(key.npa);
        if let Some(count) = block.per_exchange.get_mut(usize::from(key.nxx)) {
            *count += 1;
        }
        self.out.extend_from_slice(&nanp_entry(key.line, code));
        self.nanp_count += 1;
        self.tombstones += u64::from(code == TOMBSTONE);
    }

    /// Adds a whole exchange's entries as stored in another segment (ascending, after every
    /// key pushed so far): the merge's fast path, a plain copy.
    pub(crate) fn push_run(&mut self, npa: u16, nxx: u16, entries: &[NanpEntry]) {
        if entries.is_empty() {
            return;
        }
        let block = self.block_for(npa);
        if let Some(count) = block.per_exchange.get_mut(usize::from(nxx)) {
            *count += u32::try_from(entries.len()).unwrap_or(u32::MAX);
        }
        self.tombstones += entries.iter().filter(|e| e.code() == TOMBSTONE).count() as u64;
        self.out.extend_from_slice(entries.as_flattened());
        self.nanp_count += entries.len() as u64;
    }

    /// Adds one non-NANP entry; numbers must come in strictly ascending order.
    pub(crate) fn push_intl(&mut self, digits: u64, code: u16) {
        self.intl.extend_from_slice(&intl_entry(digits, code));
        self.tombstones += u64::from(code == TOMBSTONE);
    }

    /// Ends the segment: closes the last block, appends the side table, writes the directory
    /// and the header with both checksums.
    pub(crate) fn finish(mut self, delta: DeltaCounts) -> Segment {
        self.close_block();
        let intl_at = self.out.len();
        self.out.extend_from_slice(&self.intl);
        self.out.shrink_to_fit();
        let intl_count = (self.intl.len() / INTL_ENTRY_LEN) as u64;
        debug_assert!(self.kind == Kind::Delta || self.tombstones == 0);
        debug_assert!(self.kind == Kind::Base || self.tombstones == delta.removed);

        let directory: Vec<u8> = self
            .blocks
            .iter()
            .flat_map(|block| u32::try_from(block.count).unwrap_or(u32::MAX).to_le_bytes())
            .collect();
        write_at(&mut self.out, HEADER_LEN, &directory);
        let body_crc = crc32fast::hash(self.out.get(HEADER_LEN..).unwrap_or_default());
        let kind_code: u32 = match self.kind {
            Kind::Base => 0,
            Kind::Delta => 1,
        };
        let body_len = (self.out.len() - HEADER_LEN) as u64;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(&kind_code.to_le_bytes());
        for value in [
            self.nanp_count,
            intl_count,
            body_len,
            delta.view_len_before,
            delta.added,
            delta.removed,
        ] {
            header.extend_from_slice(&value.to_le_bytes());
        }
        header.extend_from_slice(&body_crc.to_le_bytes());
        let header_crc = crc32fast::hash(&header);
        header.extend_from_slice(&header_crc.to_le_bytes());
        write_at(&mut self.out, 0, &header);

        Segment {
            bytes: self.out,
            kind: self.kind,
            nanp_count: self.nanp_count,
            intl_count,
            delta,
            blocks: self.blocks,
            intl_at,
        }
    }

    /// The open block for `npa`, closing the previous one and opening this one when needed.
    fn block_for(&mut self, npa: u16) -> &mut OpenBlock {
        if self.open.as_ref().is_some_and(|open| open.npa != npa) {
            self.close_block();
        }
        let out = &mut self.out;
        self.open.get_or_insert_with(|| {
            let offsets_at = out.len();
            out.resize(offsets_at + OFFSETS_LEN, 0);
            OpenBlock {
                npa,
                offsets_at,
                per_exchange: vec![0; NANP_CODES],
            }
        })
    }

    fn close_block(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        let entries_at = open.offsets_at + OFFSETS_LEN;
        let mut offsets = Vec::with_capacity(OFFSETS_LEN);
        let mut running = 0u32;
        offsets.extend_from_slice(&running.to_le_bytes());
        for entries in &open.per_exchange {
            running += entries;
            offsets.extend_from_slice(&running.to_le_bytes());
        }
        write_at(&mut self.out, open.offsets_at, &offsets);
        if let Some(block) = self.blocks.get_mut(usize::from(open.npa)) {
            *block = Block {
                offsets_at: open.offsets_at,
                entries_at,
                count: (self.out.len() - entries_at) / NANP_ENTRY_LEN,
            };
        }
    }
}

fn write_at(out: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(target) = out.get_mut(at..at + bytes.len()) {
        target.copy_from_slice(bytes);
    }
}
