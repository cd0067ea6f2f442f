//! Outcomes: one constructor per way a touch can end a step. An [`Outcome`] names its event
//! (a row of the transition table), the status it leads to, and what goes with it: the next
//! attempt, the reason, whether an attempt is used, whether the cap reservation is given back,
//! and the timeline entry. The store applies outcomes and nothing else changes a status.

use chrono::{DateTime, Utc};

use super::reason::TouchReason;
use super::transitions::{Event, sources};
use super::{TimelineKind, TouchStatus};

/// What a transport's attempt did to the touch's cap reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// The message went out, or may have: the slot stays taken.
    Keep,
    /// Nothing left: the slot is given back.
    Release,
}

/// Why a touch waits (`scheduled`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnoozeCause {
    /// The gate's retry-after (the reason is the gate's).
    Gate,
    /// The provider asked to wait.
    ProviderThrottled,
    /// The last-moment DNC check could not read the list.
    LastCheckUnavailable,
    /// An out-of-office reply named a return date.
    OutOfOffice,
}

/// Why a touch is blocked after it was allowed, or by the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockCause {
    Gate,
    /// The provider refused for a reason the contract names.
    Provider,
    /// The last-moment DNC check found an entry.
    LastCheck,
    /// The opt-out confirmation's own permit was refused (too late, again, wrong channel).
    ConfirmationRefused,
}

/// Why a touch's outcome is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewCause {
    /// A timeout after the request left, or an answer that says nothing.
    OutcomeUnknown,
    PermitRefused,
    ProcessStopped,
    StaleSending,
    LeaseExpired,
}

/// Who cancelled a touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelCause {
    Client,
    LeadReplied,
}

/// One step's result for one touch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub event: Event,
    pub to: TouchStatus,
    /// When the touch is next due (`scheduled` only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The touch's reason; `None` keeps the one it has.
    pub reason: Option<TouchReason>,
    /// What happened, for a person (the timeline entry's detail; `error` on the touch).
    pub detail: String,
    pub counts_attempt: bool,
    pub reservation: Reservation,
    /// The timeline entry written with it (the gate's decision row is written by the
    /// dispatch transaction itself: `None`).
    pub timeline: Option<TimelineKind>,
    /// `sent` only: the provider's id and the sandbox's record of the message.
    pub provider_message_id: Option<String>,
    pub sandbox_message: Option<serde_json::Value>,
}

impl Outcome {
    /// One outcome of every kind each constructor makes (the tests walk the transition table
    /// with them, in memory and against both databases).
    pub fn one_of_each(at: DateTime<Utc>) -> Vec<Outcome> {
        let r = TouchReason::LeadReplied;
        vec![
            Outcome::sending(),
            Outcome::sending_by_override(),
            Outcome::snoozed(SnoozeCause::Gate, at, ""),
            Outcome::snoozed(SnoozeCause::ProviderThrottled, at, ""),
            Outcome::snoozed(SnoozeCause::LastCheckUnavailable, at, ""),
            Outcome::snoozed(SnoozeCause::OutOfOffice, at, ""),
            Outcome::retry(at, ""),
            Outcome::blocked(BlockCause::Gate, r.clone(), ""),
            Outcome::blocked(BlockCause::Provider, r.clone(), ""),
            Outcome::blocked(BlockCause::LastCheck, r.clone(), ""),
            Outcome::blocked(BlockCause::ConfirmationRefused, r, ""),
            Outcome::failed(None, ""),
            Outcome::failed(Some(TouchReason::Gate(gate::Reason::InvalidRecipient)), ""),
            Outcome::needs_review(ReviewCause::OutcomeUnknown, ""),
            Outcome::needs_review(ReviewCause::PermitRefused, ""),
            Outcome::needs_review(ReviewCause::ProcessStopped, ""),
            Outcome::needs_review(ReviewCause::StaleSending, ""),
            Outcome::needs_review(ReviewCause::LeaseExpired, ""),
            Outcome::sent("m", None),
            Outcome::sent("m", None).late_sent(),
            Outcome::cancelled(CancelCause::Client, ""),
            Outcome::cancelled(CancelCause::LeadReplied, ""),
            Outcome::expired(),
        ]
    }

    fn new(event: Event, to: TouchStatus, detail: impl Into<String>) -> Outcome {
        Outcome {
            event,
            to,
            next_attempt_at: None,
            reason: None,
            detail: detail.into(),
            counts_attempt: false,
            reservation: Reservation::Release,
            timeline: None,
            provider_message_id: None,
            sandbox_message: None,
        }
    }

    fn logged(mut self, kind: TimelineKind) -> Outcome {
        self.timeline = Some(kind);
        self
    }

    /// The states this outcome may move a touch out of.
    pub fn sources(&self) -> Vec<TouchStatus> {
        sources(self.event, self.to)
    }

    /// Allowed by the gate: the cap is reserved and the transport takes it (the decision row
    /// is the timeline entry).
    pub fn sending() -> Outcome {
        let mut o = Outcome::new(Event::GateAllowed, TouchStatus::Sending, "");
        o.reservation = Reservation::Keep;
        o
    }

    /// Allowed by the gate with business checks waived by an operator.
    pub fn sending_by_override() -> Outcome {
        Outcome {
            event: Event::OperatorOverride,
            ..Outcome::sending()
        }
    }

    /// Waits until `at`; no attempt is used.
    pub fn snoozed(cause: SnoozeCause, at: DateTime<Utc>, detail: impl Into<String>) -> Outcome {
        let (event, timeline) = match cause {
            SnoozeCause::Gate => (Event::GateSnoozed, None),
            SnoozeCause::ProviderThrottled => {
                (Event::ProviderThrottled, Some(TimelineKind::Provider))
            }
            SnoozeCause::LastCheckUnavailable => {
                (Event::LastCheckUnavailable, Some(TimelineKind::DncRecheck))
            }
            SnoozeCause::OutOfOffice => (Event::OutOfOffice, Some(TimelineKind::Reply)),
        };
        let mut o = Outcome::new(event, TouchStatus::Scheduled, detail);
        o.next_attempt_at = Some(at);
        o.timeline = timeline;
        o
    }

    /// A transient provider error: tried again at `at`, one attempt used.
    pub fn retry(at: DateTime<Utc>, detail: impl Into<String>) -> Outcome {
        let mut o = Outcome::new(Event::ProviderTransient, TouchStatus::Scheduled, detail)
            .logged(TimelineKind::Provider);
        o.next_attempt_at = Some(at);
        o.counts_attempt = true;
        o
    }

    /// Blocked for good with `reason`.
    pub fn blocked(cause: BlockCause, reason: TouchReason, detail: impl Into<String>) -> Outcome {
        let (event, timeline) = match cause {
            BlockCause::Gate => (Event::GateBlocked, None),
            BlockCause::Provider => (Event::ProviderRefused, Some(TimelineKind::Provider)),
            BlockCause::LastCheck => (Event::LastCheckStopped, Some(TimelineKind::DncRecheck)),
            BlockCause::ConfirmationRefused => (
                Event::ConfirmationRefused,
                Some(TimelineKind::OptOutConfirmation),
            ),
        };
        let mut o = Outcome::new(event, TouchStatus::Blocked, detail);
        o.reason = Some(reason);
        o.timeline = timeline;
        o
    }

    /// The provider refused it for good: an attempt was used. `refused`: for a reason the
    /// contract names (`invalid_recipient`) rather than a provider's own code.
    pub fn failed(reason: Option<TouchReason>, detail: impl Into<String>) -> Outcome {
        let event = match reason {
            Some(TouchReason::Gate(_)) => Event::ProviderRefused,
            _ => Event::ProviderRejected,
        };
        let mut o = Outcome::new(event, TouchStatus::Failed, detail).logged(TimelineKind::Provider);
        o.reason = reason;
        o.counts_attempt = true;
        o
    }

    /// Nobody knows whether the provider has it: a person must look; never resent.
    pub fn needs_review(cause: ReviewCause, detail: impl Into<String>) -> Outcome {
        let (event, timeline, reservation, counts_attempt) = match cause {
            // The request may have left: the slot stays taken and the attempt counts.
            ReviewCause::OutcomeUnknown => (
                Event::OutcomeUnknown,
                TimelineKind::Provider,
                Reservation::Keep,
                true,
            ),
            // Nothing was sent.
            ReviewCause::PermitRefused => (
                Event::PermitRefused,
                TimelineKind::Provider,
                Reservation::Release,
                false,
            ),
            ReviewCause::ProcessStopped => (
                Event::ProcessStopped,
                TimelineKind::Recovery,
                Reservation::Keep,
                false,
            ),
            ReviewCause::StaleSending => (
                Event::StaleSending,
                TimelineKind::Recovery,
                Reservation::Keep,
                false,
            ),
            ReviewCause::LeaseExpired => (
                Event::LeaseExpired,
                TimelineKind::Recovery,
                Reservation::Keep,
                false,
            ),
        };
        let mut o = Outcome::new(event, TouchStatus::NeedsReview, detail).logged(timeline);
        o.reservation = reservation;
        o.counts_attempt = counts_attempt;
        o
    }

    /// The provider accepted it.
    pub fn sent(provider_message_id: &str, sandbox_message: Option<serde_json::Value>) -> Outcome {
        let mut o = Outcome::new(
            Event::ProviderAccepted,
            TouchStatus::Sent,
            format!("sent, provider message id {provider_message_id}"),
        )
        .logged(TimelineKind::Provider);
        o.reservation = Reservation::Keep;
        o.provider_message_id = Some(provider_message_id.to_owned());
        o.sandbox_message = sandbox_message;
        o
    }

    /// The same acceptance, arriving after the touch was declared `needs_review`: still the
    /// truth, so nobody resends a message the provider has.
    pub fn late_sent(&self) -> Outcome {
        let id = self.provider_message_id.clone().unwrap_or_default();
        Outcome {
            event: Event::LateAcceptance,
            detail: format!(
                "sent (late: the provider accepted it after the touch was marked needs_review), provider message id {id}"
            ),
            ..self.clone()
        }
    }

    /// Stopped before it was sent.
    pub fn cancelled(cause: CancelCause, detail: impl Into<String>) -> Outcome {
        let (event, timeline, reason) = match cause {
            CancelCause::Client => (Event::ClientCancelled, TimelineKind::Cancel, None),
            CancelCause::LeadReplied => (
                Event::LeadReplied,
                TimelineKind::Reply,
                Some(TouchReason::LeadReplied),
            ),
        };
        let mut o = Outcome::new(event, TouchStatus::Cancelled, detail).logged(timeline);
        o.reason = reason;
        o
    }

    /// The deadline passed first (the gate's decision row is the timeline entry).
    pub fn expired() -> Outcome {
        Outcome::new(Event::DeadlinePassed, TouchStatus::Expired, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::touch::transitions::TRANSITIONS;

    /// Every outcome names an event whose row exists, so it can change some touch.
    #[test]
    fn every_constructor_is_a_listed_transition() {
        let all = Outcome::one_of_each(DateTime::<Utc>::UNIX_EPOCH);
        for o in &all {
            assert!(!o.sources().is_empty(), "{o:?} has no listed source state");
        }
        // And every event of the table (but creation) has a constructor.
        for t in TRANSITIONS.iter().filter(|t| t.from.is_some()) {
            assert!(
                all.iter().any(|o| o.event == t.event && o.to == t.to),
                "no outcome makes {t:?}"
            );
        }
    }
}
