//! When: blackouts, the account's own window and the rule packs' windows, in every candidate
//! zone of the recipient.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::{Evaluation, rfc3339};
use crate::blackout::{Blackout, BlackoutRegion};
use crate::constraints::{TimeConstraint, earliest_all_pass};
use crate::decision::{Check, CheckOutcome};
use crate::facts::Window;
use crate::quiet_hours::{Schedule, describe_local};
use crate::reason::Reason;
use crate::rule_packs::Rule;

/// Wall clocks of the candidate zones at `now`, looked up once per zone.
struct Walls {
    zones: Vec<(Tz, Option<NaiveDateTime>)>,
}

impl Walls {
    fn of(zones: &[Tz], now: DateTime<Utc>) -> Walls {
        Walls {
            zones: zones
                .iter()
                .map(|z| (*z, crate::instant::wall(*z, now)))
                .collect(),
        }
    }

    /// The first zone whose wall clock the schedule does not allow (a wall clock outside
    /// chrono's range allows nothing: fail safe).
    fn first_closed(&self, schedule: &Schedule) -> Option<Tz> {
        self.zones
            .iter()
            .find(|(_, w)| !w.is_some_and(|w| schedule.allows_local(w)))
            .map(|(z, _)| *z)
    }
}

/// The account's window in every candidate zone, and the first zone where it is closed.
struct AccountWindows<'f> {
    window: Option<Window>,
    windows: Vec<TimeConstraint<'f>>,
    closed: Option<Tz>,
}

/// The rule packs' windows, and the first rule (and zone) that does not allow now.
struct RuleWindows<'f> {
    windows: Vec<TimeConstraint<'f>>,
    failing: Option<(Tz, Schedule, &'static Rule)>,
}

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
        let walls = Walls::of(&self.place.zones, self.now);
        let account = self.account_windows(&walls);
        let legal = self.rule_windows(&walls, rules);
        // Both families of windows open together or not at all: a failing one passes when
        // every window (the account's, unless waived, and the rule packs') is open.
        let waived = self.waivers.waives(Check::AccountQuietHours);
        let opens = if account.closed.is_some() || legal.failing.is_some() {
            let mut all: Vec<TimeConstraint<'f>> = legal.windows.clone();
            if !waived {
                all.extend(account.windows.iter().cloned());
            }
            earliest_all_pass(&all, self.now)
        } else {
            None
        };
        self.report_account_window(account, opens);
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

    fn account_windows(&self, walls: &Walls) -> AccountWindows<'f> {
        let window = self
            .facts
            .account
            .quiet_hours
            .window_for(self.touch.channel);
        let Some(window) = window else {
            return AccountWindows {
                window: None,
                windows: Vec::new(),
                closed: None,
            };
        };
        let schedule = Schedule::daily(window);
        AccountWindows {
            window: Some(window),
            windows: self
                .place
                .zones
                .iter()
                .map(|&zone| TimeConstraint::Window { zone, schedule })
                .collect(),
            closed: walls.first_closed(&schedule),
        }
    }

    fn report_account_window(&mut self, account: AccountWindows<'f>, opens: Option<DateTime<Utc>>) {
        for c in account.windows {
            self.constrain(Check::AccountQuietHours, c);
        }
        let (Some(window), Some(zone)) = (account.window, account.closed) else {
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

    fn rule_windows(&self, walls: &Walls, rules: &[&'static Rule]) -> RuleWindows<'f> {
        let now = self.now;
        let mut windows: Vec<TimeConstraint<'f>> = Vec::new();
        let mut failing: Option<(Tz, Schedule, &'static Rule)> = None;
        for rule in rules {
            let Some(schedule) = rule.schedule else {
                continue;
            };
            match rule.fixed_zone {
                Some(zone) => {
                    if failing.is_none() && !schedule.allows(zone, now) {
                        failing = Some((zone, schedule, rule));
                    }
                    windows.push(TimeConstraint::Window { zone, schedule });
                }
                None => {
                    if failing.is_none()
                        && let Some(zone) = walls.first_closed(&schedule)
                    {
                        failing = Some((zone, schedule, rule));
                    }
                    windows.extend(
                        self.place
                            .zones
                            .iter()
                            .map(|&zone| TimeConstraint::Window { zone, schedule }),
                    );
                }
            }
        }
        RuleWindows { windows, failing }
    }

    fn report_rule_windows(&mut self, legal: RuleWindows<'f>, opens: Option<DateTime<Utc>>) {
        let now = self.now;
        self.time.extend(legal.windows);
        let Some((zone, schedule, rule)) = legal.failing else {
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
