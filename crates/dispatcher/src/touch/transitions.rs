//! The transition table: every status change a touch can make, and the event that causes it.
//! The store changes a status only by applying an [`super::Outcome`], whose event names a row
//! here; its conditional `UPDATE … WHERE status IN (<from states of the event>)` is what makes a
//! transition that is not listed impossible (a touch recovered or cancelled meanwhile is left
//! as it is).

use super::TouchStatus;
use TouchStatus::{
    Blocked, Cancelled, Expired, Failed, NeedsReview, Queued, Scheduled, Sending, Sent,
};

/// Why a touch changes status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// A client enqueued it (`POST /v1/touches`).
    Enqueued,
    /// The one opt-out confirmation: created already `sending`, outside the ordinary gate.
    ConfirmationCreated,
    /// The gate allowed it: cap reserved, handed to the transport.
    GateAllowed,
    /// The gate said "not yet": waits for the instant every time-based check passes.
    GateSnoozed,
    /// The gate blocked it for good, or its next chance falls after the deadline.
    GateBlocked,
    /// The deadline passed before it could be sent.
    DeadlinePassed,
    /// A client cancelled it.
    ClientCancelled,
    /// The lead answered: its pending marketing touches of the campaign stop.
    LeadReplied,
    /// An out-of-office reply named a return date: `not_before` moves there.
    OutOfOffice,
    /// An operator waived business checks and the gate allowed it.
    OperatorOverride,
    /// The provider accepted it.
    ProviderAccepted,
    /// The provider asked to wait (429, Retry-After): no attempt used.
    ProviderThrottled,
    /// A transient provider error: retried with backoff, one attempt used.
    ProviderTransient,
    /// The last-moment DNC check could not read the list: tried again shortly.
    LastCheckUnavailable,
    /// The provider refused it for good (or transient errors used up the attempts).
    ProviderRejected,
    /// The provider refused it for a reason the contract names (unsubscribed, window closed …).
    ProviderRefused,
    /// The last-moment DNC check found an entry added while the touch waited.
    LastCheckStopped,
    /// The opt-out confirmation's permit was refused: it is not sent.
    ConfirmationRefused,
    /// The provider call's outcome is unknown (a timeout after the request left).
    OutcomeUnknown,
    /// The transport refused the permit: nothing was sent, a person must look.
    PermitRefused,
    /// The process died while the touch was `sending`.
    ProcessStopped,
    /// The touch stayed `sending` past the provider timeout (its dispatcher hung or died).
    StaleSending,
    /// The node that claimed it stopped renewing its lease.
    LeaseExpired,
    /// The provider accepted it after it was declared `needs_review`.
    LateAcceptance,
}

/// One row of the table: `from` (None: the touch is created in `to`) → `to`, caused by `event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: Option<TouchStatus>,
    pub to: TouchStatus,
    pub event: Event,
}

const fn t(from: TouchStatus, to: TouchStatus, event: Event) -> Transition {
    Transition {
        from: Some(from),
        to,
        event,
    }
}

const fn created(to: TouchStatus, event: Event) -> Transition {
    Transition {
        from: None,
        to,
        event,
    }
}

/// Every transition a touch can make. The README's state diagram is generated from this
/// table (a test compares them).
pub const TRANSITIONS: &[Transition] = &[
    created(Queued, Event::Enqueued),
    created(Sending, Event::ConfirmationCreated),
    t(Queued, Sending, Event::GateAllowed),
    t(Scheduled, Sending, Event::GateAllowed),
    t(Queued, Scheduled, Event::GateSnoozed),
    t(Scheduled, Scheduled, Event::GateSnoozed),
    t(Queued, Blocked, Event::GateBlocked),
    t(Scheduled, Blocked, Event::GateBlocked),
    t(Queued, Expired, Event::DeadlinePassed),
    t(Scheduled, Expired, Event::DeadlinePassed),
    t(Queued, Cancelled, Event::ClientCancelled),
    t(Scheduled, Cancelled, Event::ClientCancelled),
    t(Queued, Cancelled, Event::LeadReplied),
    t(Scheduled, Cancelled, Event::LeadReplied),
    t(Queued, Scheduled, Event::OutOfOffice),
    t(Scheduled, Scheduled, Event::OutOfOffice),
    t(Scheduled, Sending, Event::OperatorOverride),
    t(Blocked, Sending, Event::OperatorOverride),
    t(Sending, Sent, Event::ProviderAccepted),
    t(Sending, Scheduled, Event::ProviderThrottled),
    t(Sending, Scheduled, Event::ProviderTransient),
    t(Sending, Scheduled, Event::LastCheckUnavailable),
    t(Sending, Failed, Event::ProviderRejected),
    t(Sending, Failed, Event::ProviderRefused),
    t(Sending, Blocked, Event::ProviderRefused),
    t(Sending, Blocked, Event::LastCheckStopped),
    t(Sending, Blocked, Event::ConfirmationRefused),
    t(Sending, NeedsReview, Event::OutcomeUnknown),
    t(Sending, NeedsReview, Event::PermitRefused),
    t(Sending, NeedsReview, Event::ProcessStopped),
    t(Sending, NeedsReview, Event::StaleSending),
    t(Sending, NeedsReview, Event::LeaseExpired),
    t(NeedsReview, Sent, Event::LateAcceptance),
];

/// Whether the table lists `from` → `to` (for any event).
pub fn allowed(from: TouchStatus, to: TouchStatus) -> bool {
    TRANSITIONS
        .iter()
        .any(|t| t.from == Some(from) && t.to == to)
}

/// The states `event` may move a touch out of, towards `to`.
pub fn sources(event: Event, to: TouchStatus) -> Vec<TouchStatus> {
    TRANSITIONS
        .iter()
        .filter(|t| t.event == event && t.to == to)
        .filter_map(|t| t.from)
        .collect()
}

/// The table as a Mermaid state diagram (what the README shows).
pub fn mermaid() -> String {
    let mut out = String::from("stateDiagram-v2\n");
    for t in TRANSITIONS {
        let from = t.from.map_or("[*]", TouchStatus::as_str);
        out.push_str(&format!(
            "    {from} --> {}: {}\n",
            t.to.as_str(),
            event_label(t.event)
        ));
    }
    out
}

/// The event as the diagram labels it.
pub fn event_label(event: Event) -> &'static str {
    match event {
        Event::Enqueued => "enqueued",
        Event::ConfirmationCreated => "opt-out confirmation",
        Event::GateAllowed => "gate allowed",
        Event::GateSnoozed => "gate: not yet",
        Event::GateBlocked => "gate blocked",
        Event::DeadlinePassed => "deadline passed",
        Event::ClientCancelled => "client cancelled",
        Event::LeadReplied => "lead replied",
        Event::OutOfOffice => "out of office",
        Event::OperatorOverride => "operator override",
        Event::ProviderAccepted => "provider accepted",
        Event::ProviderThrottled => "provider throttled",
        Event::ProviderTransient => "transient error",
        Event::LastCheckUnavailable => "last check unavailable",
        Event::ProviderRejected => "provider rejected",
        Event::ProviderRefused => "provider refused",
        Event::LastCheckStopped => "last check stopped",
        Event::ConfirmationRefused => "confirmation refused",
        Event::OutcomeUnknown => "outcome unknown",
        Event::PermitRefused => "permit refused",
        Event::ProcessStopped => "process stopped",
        Event::StaleSending => "stale sending",
        Event::LeaseExpired => "lease expired",
        Event::LateAcceptance => "late acceptance",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_of_states_is_allowed_only_when_listed() {
        let listed: Vec<(TouchStatus, TouchStatus)> = TRANSITIONS
            .iter()
            .filter_map(|t| t.from.map(|f| (f, t.to)))
            .collect();
        for from in TouchStatus::ALL {
            for to in TouchStatus::ALL {
                assert_eq!(
                    allowed(from, to),
                    listed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        // Final states never move on, except the late acceptance of a touch under review.
        for from in TouchStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for to in TouchStatus::ALL {
                let expected = matches!((from, to), (NeedsReview, Sent) | (Blocked, Sending));
                assert_eq!(allowed(from, to), expected, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn no_row_is_listed_twice() {
        for (i, a) in TRANSITIONS.iter().enumerate() {
            for b in TRANSITIONS.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
    }
}

#[cfg(test)]
mod readme {
    /// The README's state diagram is the table's: regenerate it with the text this test prints.
    #[test]
    fn readme_diagram_is_generated_from_the_table() {
        let readme = include_str!("../../../../README.md");
        let block = readme
            .split_once("<!-- state-diagram:begin -->\n```mermaid\n")
            .and_then(|(_, rest)| rest.split_once("```\n<!-- state-diagram:end -->"))
            .map(|(diagram, _)| diagram);
        let expected = super::mermaid();
        assert_eq!(
            block,
            Some(expected.as_str()),
            "README.md's state diagram differs from the transition table; replace it with:\n{expected}"
        );
    }
}
