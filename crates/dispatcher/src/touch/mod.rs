//! The life of a touch: its statuses, the transitions between them and the outcomes that
//! cause them. This module is the only owner of the lifecycle; the store applies outcomes.

mod status;

pub use status::TouchStatus;
