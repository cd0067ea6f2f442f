//! The life of a touch, in one place: its statuses ([`TouchStatus`]), the transition table
//! ([`transitions::TRANSITIONS`]: from → to and the event that causes it), and one constructor
//! per outcome ([`Outcome`]: sending, snoozed, retry, blocked, failed, needs_review, sent,
//! cancelled, expired). The store changes a status only by applying an outcome.

mod outcome;
mod reason;
mod status;
mod timeline;
pub mod transitions;

pub use outcome::{BlockCause, CancelCause, Outcome, Reservation, ReviewCause, SnoozeCause};
pub use reason::TouchReason;
pub use status::TouchStatus;
pub use timeline::TimelineKind;
pub use transitions::{Event, Transition};
