//! Touchgate's registry store: large read-mostly lists of telephone numbers with dates (the US
//! national and state Do-Not-Call registries, known litigators, reassigned numbers).
//!
//! Pure data structures and a file format — no database, no I/O beyond `std::io::Write`, no
//! clock. A registry version is an immutable [`Segment`] (about 4 bytes a number), change lists
//! are small delta segments, and a [`Registry`] is the view readers use: a base plus deltas,
//! newest first, merged in the background with [`Registry::merge`]. An [`Import`] streams text
//! lines (`NUMBER[,YYYY-MM-DD]`) into a new segment and reports what it added, removed and
//! rejected. The layout and the measured figures are in this crate's README.

mod builder;
mod date;
mod import;
mod line;
mod number;
mod registry;
mod segment;
mod writer;

pub use builder::{DateOutOfRange, SegmentBuilder};
pub use date::{EARLIEST_DATE, LATEST_DATE};
pub use import::{
    Import, ImportMode, ImportOutcome, ImportReport, MAX_REJECTED_SHOWN, REJECTED_TEXT_CHARS,
    RejectedLine, UnknownImportMode,
};
pub use line::{Entry, LineError, MAX_LINE_BYTES, parse_line};
pub use number::{Number, NumberError};
pub use registry::{Listing, Registry};
pub use segment::{Segment, SegmentError};
