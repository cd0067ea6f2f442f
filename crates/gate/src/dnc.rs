//! Do-Not-Contact matching: which entries cover a lead on a channel at an instant.
//!
//! An entry names a contact (canonical string) and/or a lead; it concerns the lead when it
//! names the lead or any of the lead's contacts, and covers the touch's channel when its scope
//! is `*` or that channel. An expired entry no longer blocks. Registry listings
//! (`national_dnc`, `state_dnc`) are lifted by the lead's own valid prior express consent for
//! that channel; every other reason always blocks, and `litigation_hold` is reported on its own.

use chrono::{DateTime, Utc};

use crate::channel::Channel;
use crate::facts::{Consent, DncEntry, DncReason, Lead, Purpose};

/// Whether `entry` names `lead` or one of its contacts.
pub(crate) fn concerns(entry: &DncEntry, lead: &Lead) -> bool {
    entry.lead_id.as_deref() == Some(lead.id.as_str())
        || entry
            .contact
            .as_deref()
            .is_some_and(|c| lead.contact_keys().any(|k| k == c))
}

pub(crate) fn is_active(entry: &DncEntry, now: DateTime<Utc>) -> bool {
    entry.expires_at.is_none_or(|e| e > now)
}

/// A consent is valid at `now` when it was granted before `now`, is not revoked by `now`,
/// and was not given before the number was reassigned to somebody else.
pub(crate) fn consent_valid(c: &Consent, lead: &Lead, now: DateTime<Utc>) -> bool {
    c.granted_at <= now
        && c.revoked_at.is_none_or(|r| r > now)
        && lead.number_reassigned_at.is_none_or(|r| c.granted_at >= r)
}

pub(crate) fn has_consent(
    lead: &Lead,
    channel: Channel,
    purpose: Option<Purpose>,
    now: DateTime<Utc>,
) -> bool {
    lead.consents.iter().any(|c| {
        c.channel == channel
            && purpose.is_none_or(|p| p == c.purpose)
            && consent_valid(c, lead, now)
    })
}

/// The entries that block `lead` on `channel` for `purpose` at `now`, split into litigation
/// holds and the rest (registry entries lifted by a consent for that channel and purpose are
/// left out).
pub(crate) fn blocking<'a>(
    entries: &'a [DncEntry],
    lead: &'a Lead,
    channel: Channel,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> (Vec<&'a DncEntry>, Vec<&'a DncEntry>) {
    let mut holds = Vec::new();
    let mut others = Vec::new();
    let mut consent: Option<bool> = None;
    for e in entries {
        if !(e.channel.covers(channel) && is_active(e, now) && concerns(e, lead)) {
            continue;
        }
        if e.reason == DncReason::LitigationHold {
            holds.push(e);
        } else if e.reason.lifted_by_consent()
            && *consent.get_or_insert_with(|| has_consent(lead, channel, Some(purpose), now))
        {
            continue;
        } else {
            others.push(e);
        }
    }
    (holds, others)
}

/// The last-moment check a worker's caller repeats right before the provider call: does any
/// DNC entry block this lead on this channel for this purpose now? Returns the blocking entry.
pub fn dnc_blocks<'a>(
    entries: &'a [DncEntry],
    lead: &'a Lead,
    channel: Channel,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Option<&'a DncEntry> {
    let (holds, others) = blocking(entries, lead, channel, purpose, now);
    holds.into_iter().chain(others).next()
}

/// When the latest of `entries` expires (they all must), or `None` if one never does.
pub(crate) fn lifted_at(entries: &[&DncEntry]) -> Option<DateTime<Utc>> {
    entries
        .iter()
        .try_fold(None::<DateTime<Utc>>, |acc, e| {
            e.expires_at.map(|x| Some(acc.map_or(x, |a| a.max(x))))
        })
        .flatten()
}
