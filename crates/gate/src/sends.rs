//! The sends that count toward caps, pre-aggregated for the gate's lookups.
//!
//! The dispatcher loads the sends of (at least) the trailing 7 days that concern the touches it
//! is about to decide — the accounts' sends and every marketing send to the leads and their
//! numbers — and builds one [`SendLog`] from them; a batch of decisions shares it, and each
//! send the dispatcher reserves is [`SendLog::record`]ed so the next decision counts it.
//!
//! Every list is kept sorted by instant, so that a rolling cap is a binary search instead of a
//! pass over every send: per (account, channel) the send instants and the LinkedIn invitation
//! instants; per lead and per E.164 number the marketing sends (the per-recipient caps count
//! marketing touches only).

use chrono::{DateTime, Utc};

use crate::channel::Channel;
use crate::facts::{LinkedInAction, Purpose, SendRecord};
use crate::fnv::FnvMap;

type Map<V> = FnvMap<Box<str>, V>;

/// One account's sends on one channel.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChannelSends {
    /// Every send, sorted.
    pub(crate) times: Vec<DateTime<Utc>>,
    /// LinkedIn invitations, sorted.
    pub(crate) invites: Vec<DateTime<Utc>>,
    /// The account's first send on the channel ever (for warm-up), when known.
    pub(crate) first_send: Option<DateTime<Utc>>,
}

/// A marketing send to a recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecipientSend {
    pub(crate) at: DateTime<Utc>,
    pub(crate) channel: Channel,
    /// The lead it went to, interned (so sends to a number can skip those already counted
    /// for the lead).
    pub(crate) lead: u32,
}

#[derive(Clone, Debug, Default)]
struct LeadSends {
    id: u32,
    sends: Vec<RecipientSend>,
}

/// Sends that count toward caps, indexed for the gate (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct SendLog {
    accounts: Map<PerChannel>,
    leads: Map<LeadSends>,
    numbers: Map<Vec<RecipientSend>>,
}

/// One account's lists, one per channel.
type PerChannel = [ChannelSends; 5];

/// A channel's position in [`PerChannel`].
fn slot(channel: Channel) -> usize {
    match channel {
        Channel::Email => 0,
        Channel::Sms => 1,
        Channel::Call => 2,
        Channel::Linkedin => 3,
        Channel::Whatsapp => 4,
    }
}

/// Inserts the default value for `key` unless present (copying the key only then).
fn ensure<V: Default>(map: &mut Map<V>, key: &str) {
    if !map.contains_key(key) {
        map.insert(Box::from(key), V::default());
    }
}

/// Appends `x`, or inserts it in order when `sorted`.
fn put<T: Copy>(v: &mut Vec<T>, x: T, sorted: bool, key: impl Fn(&T) -> DateTime<Utc>) {
    if sorted {
        insert_sorted(v, x, key);
    } else {
        v.push(x);
    }
}

/// Inserts `x` into sorted `v` after every element not greater than it.
fn insert_sorted<T: Copy>(v: &mut Vec<T>, x: T, key: impl Fn(&T) -> DateTime<Utc>) {
    let at = key(&x);
    let i = v.partition_point(|e| key(e) <= at);
    v.insert(i, x);
}

impl SendLog {
    pub fn new() -> SendLog {
        SendLog::default()
    }

    /// Indexes `records` (sorting once, not per insertion).
    pub fn from_records<'r>(records: impl IntoIterator<Item = &'r SendRecord>) -> SendLog {
        let mut log = SendLog::new();
        for r in records {
            log.add(r, false);
        }
        for channels in log.accounts.values_mut() {
            for c in channels.iter_mut() {
                c.times.sort_unstable();
                c.invites.sort_unstable();
            }
        }
        for l in log.leads.values_mut() {
            l.sends.sort_unstable_by_key(|s| s.at);
        }
        for n in log.numbers.values_mut() {
            n.sort_unstable_by_key(|s| s.at);
        }
        log
    }

    /// Adds one send (a reservation the dispatcher just took, say), keeping every list sorted.
    pub fn record(&mut self, send: &SendRecord) {
        self.add(send, true);
    }

    /// Notes the account's first send on `channel` ever (the warm-up ramp counts days from
    /// it). Without it the earliest send in the log stands in: never later than the real one,
    /// so the ramp is never higher than it should be.
    pub fn note_first_send(&mut self, account_id: &str, channel: Channel, at: DateTime<Utc>) {
        ensure(&mut self.accounts, account_id);
        if let Some(c) = self
            .accounts
            .get_mut(account_id)
            .and_then(|c| c.get_mut(slot(channel)))
        {
            c.first_send = Some(c.first_send.map_or(at, |f| f.min(at)));
        }
    }

    /// Adds a send to every list it belongs to; `sorted`: keep the lists sorted (else the
    /// caller sorts them at the end). Keys are copied only when first seen.
    fn add(&mut self, send: &SendRecord, sorted: bool) {
        ensure(&mut self.accounts, &send.account_id);
        if let Some(c) = self
            .accounts
            .get_mut(send.account_id.as_str())
            .and_then(|c| c.get_mut(slot(send.channel)))
        {
            put(&mut c.times, send.at, sorted, |t| *t);
            if send.action == LinkedInAction::Invite {
                put(&mut c.invites, send.at, sorted, |t| *t);
            }
        }
        if send.purpose != Purpose::Marketing {
            return;
        }
        if !self.leads.contains_key(send.lead_id.as_str()) {
            let id = u32::try_from(self.leads.len()).unwrap_or(u32::MAX);
            self.leads.insert(
                Box::from(send.lead_id.as_str()),
                LeadSends {
                    id,
                    sends: Vec::new(),
                },
            );
        }
        let Some(lead) = self.leads.get_mut(send.lead_id.as_str()) else {
            return;
        };
        let entry = RecipientSend {
            at: send.at,
            channel: send.channel,
            lead: lead.id,
        };
        put(&mut lead.sends, entry, sorted, |s| s.at);
        if let Some(number) = send
            .recipient
            .as_deref()
            .filter(|_| send.channel.is_telephone())
        {
            ensure(&mut self.numbers, number);
            if let Some(list) = self.numbers.get_mut(number) {
                put(list, entry, sorted, |s| s.at);
            }
        }
    }

    /// The account's sends on `channel`.
    pub(crate) fn channel(&self, account_id: &str, channel: Channel) -> Option<&ChannelSends> {
        self.accounts
            .get(account_id)
            .and_then(|c| c.get(slot(channel)))
    }

    /// The marketing sends to a lead and to its number (for telephone channels).
    pub(crate) fn recipient(&self, lead_id: &str, number: Option<&str>) -> RecipientSends<'_> {
        let lead = self.leads.get(lead_id);
        RecipientSends {
            lead: lead.map(|l| l.sends.as_slice()).unwrap_or_default(),
            own: lead.map(|l| l.id),
            number: number
                .and_then(|n| self.numbers.get(n))
                .map(Vec::as_slice)
                .unwrap_or_default(),
        }
    }
}

/// The marketing sends to one recipient: its lead's, and its number's that went to other leads
/// (a number shared by CRM duplicates is one person for the legal caps).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RecipientSends<'a> {
    lead: &'a [RecipientSend],
    own: Option<u32>,
    number: &'a [RecipientSend],
}

/// The part of sorted `list` dated after `after` (all of it for `None`).
fn tail(list: &[RecipientSend], after: Option<DateTime<Utc>>) -> &[RecipientSend] {
    match after {
        Some(a) => list
            .get(list.partition_point(|s| s.at <= a)..)
            .unwrap_or_default(),
        None => list,
    }
}

impl<'a> RecipientSends<'a> {
    /// Sends on a matching channel, dated after `after` (`None`: all of them).
    fn matching<F: Fn(Channel) -> bool + Copy>(
        &self,
        after: Option<DateTime<Utc>>,
        channel: F,
    ) -> impl Iterator<Item = DateTime<Utc>> + use<'a, F> {
        let own = self.own;
        tail(self.lead, after)
            .iter()
            .filter(move |s| channel(s.channel))
            .chain(
                tail(self.number, after)
                    .iter()
                    .filter(move |s| channel(s.channel) && Some(s.lead) != own),
            )
            .map(|s| s.at)
    }

    /// How many sends on a matching channel are dated after `after`.
    pub(crate) fn count_after(
        &self,
        after: DateTime<Utc>,
        channel: impl Fn(Channel) -> bool + Copy,
    ) -> u32 {
        let n = self.matching(Some(after), channel).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Every matching send's instant, sorted (for the retry search of a failing cap).
    pub(crate) fn times(&self, channel: impl Fn(Channel) -> bool + Copy) -> Vec<DateTime<Utc>> {
        let mut v: Vec<DateTime<Utc>> = self.matching(None, channel).collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    fn send(
        at: &str,
        account: &str,
        lead: &str,
        channel: Channel,
        number: Option<&str>,
    ) -> SendRecord {
        SendRecord {
            at: utc(at),
            account_id: account.into(),
            lead_id: lead.into(),
            recipient: number.map(Into::into),
            channel,
            purpose: Purpose::Marketing,
            action: LinkedInAction::Message,
        }
    }

    #[test]
    fn record_and_from_records_agree() {
        let sends = vec![
            send("2026-01-01T10:30:00Z", "a", "l1", Channel::Sms, Some("+1")),
            send("2026-01-01T10:00:00Z", "a", "l2", Channel::Sms, Some("+1")),
            send("2026-01-01T11:00:00Z", "b", "l1", Channel::Call, Some("+2")),
            send("2026-01-01T09:00:00Z", "a", "l1", Channel::Email, None),
        ];
        let bulk = SendLog::from_records(&sends);
        let mut one_by_one = SendLog::new();
        for s in &sends {
            one_by_one.record(s);
        }
        for log in [&bulk, &one_by_one] {
            let a_sms = log.channel("a", Channel::Sms).map(|c| c.times.clone());
            assert_eq!(
                a_sms,
                Some(vec![
                    utc("2026-01-01T10:00:00Z"),
                    utc("2026-01-01T10:30:00Z")
                ])
            );
            // Lead l1 (sms, call, email) plus the number's send to l2, not counted twice.
            let r = log.recipient("l1", Some("+1"));
            assert_eq!(r.count_after(utc("2026-01-01T00:00:00Z"), |_| true), 4);
            assert_eq!(
                r.count_after(utc("2026-01-01T00:00:00Z"), Channel::is_telephone),
                3
            );
            assert_eq!(r.times(Channel::is_telephone).len(), 3);
            // Another lead on the same number sees l1's sms to it.
            let r2 = log.recipient("l3", Some("+1"));
            assert_eq!(r2.count_after(utc("2026-01-01T00:00:00Z"), |_| true), 2);
        }
    }

    #[test]
    fn transactional_sends_count_for_the_account_only() {
        let mut s = send("2026-01-01T10:00:00Z", "a", "l1", Channel::Sms, Some("+1"));
        s.purpose = Purpose::Transactional;
        let log = SendLog::from_records([&s]);
        assert_eq!(
            log.channel("a", Channel::Sms).map(|c| c.times.len()),
            Some(1)
        );
        assert_eq!(
            log.recipient("l1", Some("+1"))
                .count_after(DateTime::<Utc>::MIN_UTC, |_| true),
            0
        );
    }
}
