use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The life of a touch. See the README's state machine.
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
    /// The gate blocked it for good, or the next chance falls after the deadline.
    Blocked,
    /// The provider refused it for good, or transient errors used up the attempts.
    Failed,
    /// The deadline passed before it could be decided.
    Expired,
    /// Cancelled by a client before it was sent.
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
