//! When: blackouts, the account's own window and the rule packs' windows, in every candidate
//! zone of the recipient.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{Evaluation, rfc3339};
use crate::blackout::{Blackout, BlackoutRegion};
use crate::constraints::{TimeConstraint, earliest_all_pass};
use crate::decision::{Check, CheckOutcome};
use crate::facts::Window;
use crate::quiet_hours::{Schedule, describe_local};
use crate::reason::Reason;
use crate::rule_packs::Rule;

/// The first candidate zone where the account's window is closed, if any.
struct AccountClosed {
    window: Window,
    zone: Tz,
}

/// The first rule (and zone) that does not allow now.
type RuleClosed = (Tz, Schedule, &'static Rule);

impl<'f> Evaluation<'_, 'f> {
    /// Blackout, the account's window, the rule packs' windows.
    pub(super) fn timing_checks(&mut self, rules: &[&'static Rule]) {
        self.blackout();
        if self.place.zones.is_empty() {
            // `resolve_place` always finds a zone; without one nothing can be judged.
            self.pass(Check::AccountQuietHours);
            self.pass(Check::QuietHours);
            return;
        }
        // Every window goes to the retry search (the account's unless waived); both families
        // open together or not at all, so a failing one passes when every window is open.
        let start = self.time.len();
        let account = self.account_windows();
        let legal = self.rule_windows(rules);
        let opens = if account.as_ref().is_some_and(|a| a.1.is_some()) || legal.is_some() {
            earliest_all_pass(self.time.get(start..).unwrap_or_default(), self.now)
        } else {
            None
        };
        self.report_account_window(
            account.and_then(|(w, z)| z.map(|zone| AccountClosed { window: w, zone })),
            opens,
        );
        self.report_rule_windows(legal, opens);
    }

    /// Whether a blackout's region contains the recipient: a candidate country or state, or
    /// a prefix of one of the numbers the touch may ring.
    fn in_region(&self, region: &BlackoutRegion) -> bool {
        match region {
            BlackoutRegion::Country(c) => self.place.countries.iter().any(|p| p == c),
            BlackoutRegion::Subdivision { country, code } => {
                self.place.subdivisions.iter().any(|s| s == code)
                    && crate::regions::subdivision(code).is_some_and(|s| s.country == country)
            }
            BlackoutRegion::Prefix(digits) => {
                let lead = self.facts.lead;
                let whatsapp = (self.touch.channel == crate::channel::Channel::Whatsapp)
                    .then_some(lead.whatsapp.as_ref())
                    .flatten();
                [lead.phone.as_ref(), whatsapp]
                    .into_iter()
                    .flatten()
                    .any(|p| {
                        p.as_str()
                            .get(1..)
                            .is_some_and(|n| n.starts_with(digits.as_str()))
                    })
            }
        }
    }

    fn blackout(&mut self) {
        let (touch, now) = (self.touch, self.now);
        let matching: Vec<&'f Blackout> = self
            .facts
            .blackouts
            .iter()
            .filter(|b| {
                b.ends_at > now
                    && b.starts_at < b.ends_at
                    && b.holds(touch.channel, touch.purpose)
                    && self.in_region(&b.region)
            })
            .collect();
        // Every matching blackout, current or future, shapes the retry search.
        let own: Vec<TimeConstraint<'f>> = matching
            .iter()
            .map(|b| TimeConstraint::Outside {
                from: b.starts_at,
                until: b.ends_at,
            })
            .collect();
        let active = matching.iter().find(|b| b.is_active(now));
        let Some(first) = active else {
            self.time.extend(own);
            self.pass(Check::Blackout);
            return;
        };
        let lifts = earliest_all_pass(&own, now);
        self.time.extend(own);
        self.push(
            CheckOutcome::fail(
                Check::Blackout,
                Reason::Blackout,
                format!(
                    "blackout {} of {} until {}: {}",
                    first.id,
                    first.region,
                    rfc3339(first.ends_at),
                    first.reason
                ),
            )
            .until(lifts),
        );
    }

    /// Pushes the account's window in every candidate zone (unless waived); returns the
    /// window and the first zone where it is closed now.
    fn account_windows(&mut self) -> Option<(Window, Option<Tz>)> {
        let window = self
            .facts
            .account
            .quiet_hours
            .window_for(self.touch.channel)?;
        let schedule = Schedule::daily(window);
        if !self.waivers.waives(Check::AccountQuietHours) {
            for &zone in &self.place.zones {
                self.time.push(TimeConstraint::Window { zone, schedule });
            }
        }
        Some((window, self.walls.first_closed(&schedule)))
    }

    fn report_account_window(
        &mut self,
        closed: Option<AccountClosed>,
        opens: Option<DateTime<Utc>>,
    ) {
        let Some(AccountClosed { window, zone }) = closed else {
            self.pass(Check::AccountQuietHours);
            return;
        };
        let detail = format!(
            "{}, account window {window}; {}",
            describe_local(zone, self.now),
            self.zones_note(opens.is_none())
        );
        self.push(
            CheckOutcome::fail(Check::AccountQuietHours, Reason::QuietHours, detail).until(opens),
        );
    }

    /// Pushes every rule's window (in the candidate zones, or the zone its statute names);
    /// returns the first rule that does not allow now.
    fn rule_windows(&mut self, rules: &[&'static Rule]) -> Option<RuleClosed> {
        let now = self.now;
        let mut failing: Option<RuleClosed> = None;
        for rule in rules {
            let Some(schedule) = rule.schedule else {
                continue;
            };
            match rule.fixed_zone {
                Some(zone) => {
                    if failing.is_none() && !schedule.allows(zone, now) {
                        failing = Some((zone, schedule, rule));
                    }
                    self.time.push(TimeConstraint::Window { zone, schedule });
                }
                None => {
                    if failing.is_none()
                        && let Some(zone) = self.walls.first_closed(&schedule)
                    {
                        failing = Some((zone, schedule, rule));
                    }
                    for &zone in &self.place.zones {
                        self.time.push(TimeConstraint::Window { zone, schedule });
                    }
                }
            }
        }
        failing
    }

    fn report_rule_windows(&mut self, failing: Option<RuleClosed>, opens: Option<DateTime<Utc>>) {
        let now = self.now;
        let Some((zone, schedule, rule)) = failing else {
            self.pass(Check::QuietHours);
            return;
        };
        let local = crate::instant::wall(zone, now).map_or(chrono::NaiveDate::MIN, |w| w.date());
        let window_text = match schedule.window_on(local) {
            (Some(w), _) => format!("window {w}"),
            (None, true) => "no contact on holidays".to_owned(),
            (None, false) => "no contact on this day".to_owned(),
        };
        let detail = format!(
            "{}, {window_text} under {} ({}); {}",
            describe_local(zone, now),
            rule.title,
            rule.citation,
            self.zones_note(opens.is_none())
        );
        self.push(
            CheckOutcome::fail(Check::QuietHours, Reason::QuietHours, detail)
                .with_rule(rule.id)
                .until(opens),
        );
    }

    /// `zones considered: America/New_York (phone prefix), …`, and whether they never open
    /// together.
    fn zones_note(&self, never: bool) -> String {
        let zones = self.place.describe_zones();
        if never {
            format!(
                "zones considered: {zones}; the windows of the candidate zones never open together"
            )
        } else {
            format!("zones considered: {zones}")
        }
    }
}
