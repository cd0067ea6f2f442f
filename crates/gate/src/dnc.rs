//! Do-Not-Contact matching and consent: which DNC rows cover a lead on a channel at an
//! instant, which consents are valid, and what lifts a registry listing.
//!
//! A row names a contact (canonical string) and/or a lead; it concerns the lead when it names
//! the lead or any of the lead's contacts, and covers the touch's channel when its scope is `*`
//! or that channel. An expired row no longer blocks. Rows with reason `national_dnc` or
//! `state_dnc` behave like registry listings: they bind marketing touches on telephone channels
//! only, and a valid prior express consent for the channel or an established business
//! relationship lifts them. Every other reason is the company's own and always blocks;
//! `litigation_hold` is reported on its own.
//!
//! A consent is void when it was granted before a revocation instant of the contact it
//! reaches: a wrong-number reply, a reassigned number (`number_reassigned_at`, a `reassigned`
//! registry listing), whichever came last. A newer consent stands.

use chrono::{DateTime, Months, Utc};

use crate::channel::Channel;
use crate::facts::{Consent, DncEntry, DncReason, Lead, Purpose};
use crate::registry::RegistryListing;

/// Whether `entry` names the lead (`lead_id`) or one of its contacts (`keys`).
fn concerns(entry: &DncEntry, lead_id: &str, keys: &[Option<&str>; 4]) -> bool {
    entry.lead_id.as_deref().is_some_and(|l| same(l, lead_id))
        || entry
            .contact
            .as_deref()
            .is_some_and(|c| keys.iter().flatten().any(|k| same(k, c)))
}

/// String equality that looks at the last byte before comparing the rest: DNC rows and
/// contacts are mostly numbers of one length that differ at the end.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

pub(crate) fn is_active(entry: &DncEntry, now: DateTime<Utc>) -> bool {
    entry.expires_at.is_none_or(|e| e > now)
}

/// The instant before which consents reaching `contact` are void, if any: the latest of the
/// lead's reassignment instant, its stored revocations of that contact, and `reassigned`
/// listings of that number.
pub(crate) fn void_before(
    lead: &Lead,
    contact: Option<&str>,
    listings: &[RegistryListing],
) -> Option<DateTime<Utc>> {
    let revocations = lead
        .consent_voids
        .iter()
        .filter(|v| Some(v.contact.as_str()) == contact)
        .map(|v| v.at);
    let reassigned = listings
        .iter()
        .filter(|l| Some(l.number.as_str()) == contact)
        .filter_map(RegistryListing::voids_consent_before);
    lead.number_reassigned_at
        .into_iter()
        .chain(revocations)
        .chain(reassigned)
        .max()
}

/// A consent is valid at `now` when it was granted by `now`, is not revoked by `now`, and was
/// not granted before the contact's revocation instant.
pub(crate) fn consent_valid(
    c: &Consent,
    void_before: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    c.granted_at <= now
        && c.revoked_at.is_none_or(|r| r > now)
        && void_before.is_none_or(|v| c.granted_at >= v)
}

pub(crate) fn has_consent(
    lead: &Lead,
    channel: Channel,
    purpose: Purpose,
    void_before: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    lead.consents
        .iter()
        .any(|c| c.channel == channel && c.purpose == purpose && consent_valid(c, void_before, now))
}

/// Whether an established business relationship is in force at `now`: 18 months after a
/// purchase, 3 months after an inquiry (47 CFR 64.1200(f)(5)).
pub(crate) fn business_relationship(lead: &Lead, now: DateTime<Utc>) -> bool {
    lead.relationships.iter().any(|r| {
        r.at <= now
            && r.at
                .checked_add_months(Months::new(r.kind.months()))
                .is_none_or(|end| now < end)
    })
}

/// Whether a registry listing (or a registry-like DNC row) is lifted for a marketing touch on
/// `channel`: a valid marketing consent for the channel, or a business relationship.
pub(crate) fn listing_lifted(
    lead: &Lead,
    channel: Channel,
    void_before: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    has_consent(lead, channel, Purpose::Marketing, void_before, now)
        || business_relationship(lead, now)
}

/// Whether registry listings (and registry-like rows) bind a touch: marketing on a telephone
/// channel.
pub(crate) fn registries_bind(channel: Channel, purpose: Purpose) -> bool {
    channel.is_telephone() && purpose == Purpose::Marketing
}

/// The rows that block `lead` on `channel` for `purpose` at `now`, split into litigation
/// holds and the rest (registry-like rows that do not bind, or are lifted, are left out).
pub(crate) fn blocking<'a>(
    entries: &'a [DncEntry],
    lead: &'a Lead,
    channel: Channel,
    purpose: Purpose,
    void_before: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (Vec<&'a DncEntry>, Vec<&'a DncEntry>) {
    let mut holds = Vec::new();
    let mut others = Vec::new();
    let mut lifted: Option<bool> = None;
    let keys = [
        lead.phone.as_ref().map(|p| p.as_str()),
        lead.email.as_ref().map(|e| e.as_str()),
        lead.linkedin.as_ref().map(|l| l.as_str()),
        lead.whatsapp.as_ref().map(|w| w.as_str()),
    ];
    for e in entries {
        if !(e.channel.covers(channel) && is_active(e, now) && concerns(e, &lead.id, &keys)) {
            continue;
        }
        if e.reason == DncReason::LitigationHold {
            holds.push(e);
        } else if e.reason.lifted_by_consent() {
            let binds = registries_bind(channel, purpose)
                && !*lifted.get_or_insert_with(|| listing_lifted(lead, channel, void_before, now));
            if binds {
                others.push(e);
            }
        } else {
            others.push(e);
        }
    }
    (holds, others)
}

/// The last-moment check a worker's caller repeats right before the provider call: does any
/// DNC row block this lead on this channel for this purpose now? Returns the blocking row.
/// (Registry listings are the gate's; this re-checks rows added since the decision.)
pub fn dnc_blocks<'a>(
    entries: &'a [DncEntry],
    lead: &'a Lead,
    channel: Channel,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Option<&'a DncEntry> {
    let void = void_before(lead, lead.contact_for(channel), &[]);
    let (holds, others) = blocking(entries, lead, channel, purpose, void, now);
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
