use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a touch is in its life. The transitions between statuses are
/// [`super::transitions::TRANSITIONS`]; the README's diagram is generated from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TouchStatus {
    /// Accepted, not yet decided by the gate.
    Queued,
    /// Decided "not yet" (or a provider asked to wait): waits for `next_attempt_at`. A
    /// policy snooze uses no attempt.
    Scheduled,
    /// Allowed by the gate, cap reserved, handed to the channel worker. Never re-sent on its
    /// own: a crash here ends in `needs_review`.
    Sending,
    /// The provider accepted it (`sent_at`, `provider_message_id`).
    Sent,
    /// The gate blocked it for good, or the next chance falls after the deadline; the last DNC
    /// check stopped it; or a provider refused it for a reason the contract names. An
    /// operator's override may release it.
    Blocked,
    /// The provider refused it for good, or transient errors used up the attempts.
    Failed,
    /// The deadline passed before it could be decided.
    Expired,
    /// Cancelled before it was sent: by a client, or because the lead replied.
    Cancelled,
    /// Outcome unknown (the process died mid-send, a timeout after the request left): a person
    /// must look; never resent automatically.
    NeedsReview,
}

impl TouchStatus {
    pub const ALL: [TouchStatus; 9] = [
        TouchStatus::Queued,
        TouchStatus::Scheduled,
        TouchStatus::Sending,
        TouchStatus::Sent,
        TouchStatus::Blocked,
        TouchStatus::Failed,
        TouchStatus::Expired,
        TouchStatus::Cancelled,
        TouchStatus::NeedsReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TouchStatus::Queued => "queued",
            TouchStatus::Scheduled => "scheduled",
            TouchStatus::Sending => "sending",
            TouchStatus::Sent => "sent",
            TouchStatus::Blocked => "blocked",
            TouchStatus::Failed => "failed",
            TouchStatus::Expired => "expired",
            TouchStatus::Cancelled => "cancelled",
            TouchStatus::NeedsReview => "needs_review",
        }
    }

    /// Waiting for the gate: due at `next_attempt_at`.
    pub const WAITING: [TouchStatus; 2] = [TouchStatus::Queued, TouchStatus::Scheduled];

    /// `'a', 'b'` for an SQL `IN (…)`: the statuses are constants of ours, never input.
    pub fn sql_list(states: &[TouchStatus]) -> String {
        states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn is_final(self) -> bool {
        !matches!(
            self,
            TouchStatus::Queued | TouchStatus::Scheduled | TouchStatus::Sending
        )
    }
}

impl FromStr for TouchStatus {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        TouchStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown status `{s}`"))
    }
}
