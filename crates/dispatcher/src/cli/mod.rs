//! Operator commands of the `touchgate` binary, one file per command group.

pub mod audit;
pub mod registry;
pub mod scrub;
