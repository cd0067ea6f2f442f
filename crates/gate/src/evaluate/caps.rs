//! Caps: the account's min-gap and rolling caps on the channel (with the warm-up ramp), the
//! jurisdictions' per-recipient caps, and the workspace's cross-campaign recipient cap.
//!
//! A cap that passes now passes at every later instant (no new sends appear in the facts, so
//! counts only fall, and a warm-up ramp only grows): only a failing cap joins the retry search.

use std::borrow::Cow;

use chrono::{DateTime, Duration, Utc};

use super::{Evaluation, rfc3339};
use crate::channel::Channel;
use crate::constraints::{TimeConstraint, ramp_cap, warmup_day};
use crate::decision::{Check, CheckOutcome};
use crate::facts::{ChannelLimits, LinkedInAction};
use crate::instant::{minus, plus};
use crate::reason::Reason;
use crate::rule_packs::Rule;
use crate::sends::{ChannelSends, RecipientSends};

const HOUR: Duration = Duration::hours(1);
const DAY: Duration = Duration::hours(24);
const WEEK: Duration = Duration::days(7);

/// How many of sorted `times` are later than `after`.
fn count_after(times: &[DateTime<Utc>], after: DateTime<Utc>) -> u32 {
    let n = times.len() - times.partition_point(|t| *t <= after);
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'f> Evaluation<'_, 'f> {
    pub(super) fn cap_checks(&mut self, rules: &[&'static Rule]) {
        let touch = self.touch;
        let limits = self
            .facts
            .account
            .limits
            .get(&touch.channel)
            .copied()
            .unwrap_or_default();
        let sends = self.facts.sends.channel(&touch.account_id, touch.channel);
        self.min_gap(&limits, sends);
        let times: &'f [DateTime<Utc>] = sends.map(|s| s.times.as_slice()).unwrap_or_default();
        self.rolling_cap(
            Check::HourlyLimit,
            Reason::HourlyLimit,
            times,
            limits.hourly,
            HOUR,
            "hour",
        );
        self.daily_cap(&limits, sends);
        let weekly = limits.weekly_invites.filter(|_| {
            touch.channel == Channel::Linkedin && touch.action == LinkedInAction::Invite
        });
        let invites: &'f [DateTime<Utc>] = sends.map(|s| s.invites.as_slice()).unwrap_or_default();
        self.rolling_cap(
            Check::WeeklyLimit,
            Reason::WeeklyLimit,
            invites,
            weekly,
            WEEK,
            "7 days (invitations)",
        );
        self.recipient_frequency(rules);
        self.recipient_cap();
    }

    fn min_gap(&mut self, limits: &ChannelLimits, sends: Option<&'f ChannelSends>) {
        let last = sends.and_then(|s| s.times.last().copied());
        let Some((gap, last)) = limits.min_gap_seconds.zip(last) else {
            self.pass(Check::MinGap);
            return;
        };
        let at = plus(last, Duration::seconds(i64::from(gap)));
        if self.now >= at {
            self.pass(Check::MinGap);
            return;
        }
        self.constrain(Check::MinGap, TimeConstraint::NotBefore(at));
        self.push(
            CheckOutcome::fail(
                Check::MinGap,
                Reason::MinGap,
                format!(
                    "last {} send at {}, min gap {gap}s",
                    self.touch.channel,
                    rfc3339(last)
                ),
            )
            .until(Some(at)),
        );
    }

    /// A rolling cap over sorted `times`: the trailing window, or dated after it began (a
    /// reservation taken a moment ago).
    fn rolling_cap(
        &mut self,
        check: Check,
        reason: Reason,
        times: &'f [DateTime<Utc>],
        limit: Option<u32>,
        window: Duration,
        label: &str,
    ) {
        let Some(limit) = limit else {
            self.pass(check);
            return;
        };
        let used = count_after(times, minus(self.now, window));
        if used < limit {
            self.pass(check);
            return;
        }
        let c = TimeConstraint::rolling(Cow::Borrowed(times), window, limit);
        let next = c.next_pass(self.now);
        self.constrain(check, c);
        self.push(
            CheckOutcome::fail(
                check,
                reason,
                format!("{used} of {limit} used in the trailing {label}"),
            )
            .until(next),
        );
    }

    /// The daily cap and the warm-up ramp: the lower binds.
    fn daily_cap(&mut self, limits: &ChannelLimits, sends: Option<&'f ChannelSends>) {
        let times: &'f [DateTime<Utc>] = sends.map(|s| s.times.as_slice()).unwrap_or_default();
        let Some(warmup) = limits.warmup else {
            self.rolling_cap(
                Check::DailyLimit,
                Reason::DailyLimit,
                times,
                limits.daily,
                DAY,
                "24 hours",
            );
            return;
        };
        // The first send: noted, or the earliest in the log (never later than the real one).
        let first = [sends.and_then(|s| s.first_send), times.first().copied()]
            .into_iter()
            .flatten()
            .min();
        let now = self.now;
        let limit = ramp_cap(limits.daily, warmup, first, now);
        let used = count_after(times, minus(now, DAY));
        if used < limit {
            self.pass(Check::DailyLimit);
            return;
        }
        let c = TimeConstraint::Ramp {
            times: Cow::Borrowed(times),
            cap: limits.daily,
            warmup,
            first,
        };
        let next = c.next_pass(now);
        self.constrain(Check::DailyLimit, c);
        let day = warmup_day(first, now);
        let ramp = warmup.cap_on_day(day);
        let detail = if limits.daily.is_some_and(|d| d <= ramp) {
            format!("{used} of {limit} used in the trailing 24 hours")
        } else {
            format!(
                "{used} of {limit} used in the trailing 24 hours: warm-up day {} allows {ramp} ({} on the first day, {} more each day since the first send{})",
                day + 1,
                warmup.start_per_day,
                warmup.increase_per_day,
                first
                    .map(|f| format!(" at {}", rfc3339(f)))
                    .unwrap_or_default()
            )
        };
        self.push(CheckOutcome::fail(Check::DailyLimit, Reason::DailyLimit, detail).until(next));
    }

    /// The marketing sends to this recipient: its lead's, and its number's for telephone
    /// touches (whichever lead they went to).
    fn recipient_sends(&self) -> RecipientSends<'f> {
        let number = self
            .phone
            .filter(|_| self.touch.channel.is_telephone())
            .map(|p| p.as_str());
        self.facts.sends.recipient(&self.touch.lead_id, number)
    }

    /// The jurisdictions' per-recipient caps (FL, OK, MD: 3 per 24 h; ME automated: 1 per
    /// 8 h), counted per lead and per number, on the channels each rule covers.
    fn recipient_frequency(&mut self, rules: &[&'static Rule]) {
        let mut capped = rules
            .iter()
            .filter_map(|r| r.recipient_cap.map(|c| (*r, c)))
            .peekable();
        if capped.peek().is_none() {
            self.pass(Check::RecipientFrequency);
            return;
        }
        let sends = self.recipient_sends();
        let mut failing: Option<CheckOutcome> = None;
        for (rule, cap) in capped {
            let covered = |c: Channel| rule.coverage.channels.contains(&c);
            let window = Duration::hours(i64::from(cap.window_hours));
            let used = sends.count_after(minus(self.now, window), covered);
            if used < cap.limit {
                continue;
            }
            let c = TimeConstraint::rolling(Cow::Owned(sends.times(covered)), window, cap.limit);
            let next = c.next_pass(self.now);
            self.time.push(c);
            if failing.is_none() {
                failing = Some(
                    CheckOutcome::fail(
                        Check::RecipientFrequency,
                        Reason::RecipientFrequency,
                        format!(
                            "{used} of {} solicitations to this recipient (lead and number) in {} hours under {} ({})",
                            cap.limit, cap.window_hours, rule.title, rule.citation
                        ),
                    )
                    .with_rule(rule.id)
                    .until(next),
                );
            }
        }
        match failing {
            Some(outcome) => self.push(outcome),
            None => self.pass(Check::RecipientFrequency),
        }
    }

    /// `recipient_caps.marketing_per_week`: marketing touches to the lead in the trailing 7
    /// days, any channel, any account (and to its number, for telephone touches).
    fn recipient_cap(&mut self) {
        let limit = self.facts.policy.recipient_caps.marketing_per_week;
        let Some(limit) = limit.filter(|_| self.is_marketing()) else {
            self.pass(Check::RecipientCap);
            return;
        };
        let sends = self.recipient_sends();
        let any = |_: Channel| true;
        let used = sends.count_after(minus(self.now, WEEK), any);
        if used < limit {
            self.pass(Check::RecipientCap);
            return;
        }
        let c = TimeConstraint::rolling(Cow::Owned(sends.times(any)), WEEK, limit);
        let next = c.next_pass(self.now);
        self.constrain(Check::RecipientCap, c);
        self.push(
            CheckOutcome::fail(
                Check::RecipientCap,
                Reason::RecipientCap,
                format!(
                    "{used} of {limit} marketing touches to this recipient in the trailing 7 days (workspace recipient cap, all campaigns)"
                ),
            )
            .until(next),
        );
    }
}
