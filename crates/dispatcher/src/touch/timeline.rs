//! The kinds of entries in a touch's timeline (the `decisions` table's `kind`).

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// What wrote a timeline entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimelineKind {
    /// A gate decision, with every check.
    Gate,
    /// The last-moment DNC check before the provider call.
    DncRecheck,
    /// A provider's answer to the send.
    Provider,
    /// A delivery status the provider reported later (the touch does not change).
    Delivery,
    /// Crash or lease recovery.
    Recovery,
    /// A client's cancel.
    Cancel,
    /// A reply from the lead (stop on reply, out of office).
    Reply,
    /// The permit of the one opt-out confirmation.
    OptOutConfirmation,
}

impl TimelineKind {
    pub const ALL: [TimelineKind; 8] = [
        TimelineKind::Gate,
        TimelineKind::DncRecheck,
        TimelineKind::Provider,
        TimelineKind::Delivery,
        TimelineKind::Recovery,
        TimelineKind::Cancel,
        TimelineKind::Reply,
        TimelineKind::OptOutConfirmation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Gate => "gate",
            TimelineKind::DncRecheck => "dnc_recheck",
            TimelineKind::Provider => "provider",
            TimelineKind::Delivery => "delivery",
            TimelineKind::Recovery => "recovery",
            TimelineKind::Cancel => "cancel",
            TimelineKind::Reply => "reply",
            TimelineKind::OptOutConfirmation => "opt_out_confirmation",
        }
    }
}

impl fmt::Display for TimelineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TimelineKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimelineKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown timeline entry kind `{s}`"))
    }
}

impl Serialize for TimelineKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
