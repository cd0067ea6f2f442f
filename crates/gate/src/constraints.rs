//! Time-based constraints and the search for the earliest instant at which all of them pass.
//!
//! Every time-based check (quiet hours in each candidate zone, day rules, min-gap, rolling
//! caps, DNC expiry) is a [`TimeConstraint`] that can say, for an instant `t`, the earliest
//! instant `>= t` at which it alone passes. [`earliest_all_pass`] iterates `t <- max(next)`
//! until every constraint passes at the same `t`: nothing in between can pass, because each
//! step skips only instants at which at least one constraint fails.

use std::borrow::Cow;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::facts::Warmup;
use crate::instant::{minus, plus};
use crate::quiet_hours::Schedule;

/// How far ahead the combined search looks before answering "time alone won't lift it".
pub const COMBINED_HORIZON: Duration = Duration::days(60);

const DAY: Duration = Duration::hours(24);

#[derive(Clone, Debug)]
pub(crate) enum TimeConstraint<'a> {
    /// Passes from the given instant on (min-gap, DNC expiry, a snooze).
    NotBefore(DateTime<Utc>),
    /// Passes outside `[from, until)` (a blackout, current or future).
    Outside {
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// Passes while the schedule allows the instant in the zone.
    Window { zone: Tz, schedule: Schedule },
    /// Passes while fewer than `limit` of `times` (sorted) are later than `t - window`: the
    /// trailing window, plus any send dated after `t` (a reservation another dispatcher took a
    /// moment "later" by its clock counts too — conservative, never looser).
    Rolling {
        times: Cow<'a, [DateTime<Utc>]>,
        window: Duration,
        limit: u32,
    },
    /// A trailing-24-hour cap that a warm-up ramp lowers: on day `d` after `first` (0 for the
    /// first 24 hours, and always 0 without a first send) at most
    /// `min(cap, start + d × increase)` sends.
    Ramp {
        times: Cow<'a, [DateTime<Utc>]>,
        cap: Option<u32>,
        warmup: Warmup,
        first: Option<DateTime<Utc>>,
    },
}

/// The earliest `u >= t` at which fewer than `limit` of sorted `times` lie after `u - window`.
fn rolling_next(
    times: &[DateTime<Utc>],
    window: Duration,
    limit: u32,
    t: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let active = active(times, window, t);
    let count = active.len();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if count < limit {
        return Some(t);
    }
    if limit == 0 {
        return None;
    }
    // The (count - limit)th oldest send must leave the window: at `s + w` it is no longer
    // inside `(t - w, t]`.
    active.get(count - limit).map(|s| plus(*s, window))
}

/// The warm-up day of `t`: whole days since `first` (0 before it or without it).
pub(crate) fn warmup_day(first: Option<DateTime<Utc>>, t: DateTime<Utc>) -> u32 {
    first
        .filter(|f| *f <= t)
        .map_or(0, |f| u32::try_from((t - f).num_days()).unwrap_or(u32::MAX))
}

/// The daily cap in force at `t` under a ramp.
pub(crate) fn ramp_cap(
    cap: Option<u32>,
    warmup: Warmup,
    first: Option<DateTime<Utc>>,
    t: DateTime<Utc>,
) -> u32 {
    let ramp = warmup.cap_on_day(warmup_day(first, t));
    cap.map_or(ramp, |c| c.min(ramp))
}

impl TimeConstraint<'_> {
    pub(crate) fn rolling(
        times: Cow<'_, [DateTime<Utc>]>,
        window: Duration,
        limit: u32,
    ) -> TimeConstraint<'_> {
        TimeConstraint::Rolling {
            times,
            window,
            limit,
        }
    }

    /// The earliest instant `>= t` at which this constraint passes; `None`: never (within the
    /// search horizon).
    pub(crate) fn next_pass(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            TimeConstraint::NotBefore(at) => Some(t.max(*at)),
            TimeConstraint::Outside { from, until } => {
                Some(if *from <= t && t < *until { *until } else { t })
            }
            TimeConstraint::Window { zone, schedule } => schedule.next_allowed(*zone, t),
            TimeConstraint::Rolling {
                times,
                window,
                limit,
            } => rolling_next(times, *window, *limit, t),
            TimeConstraint::Ramp {
                times,
                cap,
                warmup,
                first,
            } => {
                // The cap in force is constant within a warm-up day and only grows, and sends
                // only leave the window: try each day in turn until one frees a slot.
                let mut u = t;
                for _ in 0..64 {
                    let limit = ramp_cap(*cap, *warmup, *first, u);
                    let free = rolling_next(times, DAY, limit, u);
                    let Some(f) = first.filter(|f| *f <= u) else {
                        // Day 0 forever: the ramp never grows.
                        return free;
                    };
                    let grows = warmup.increase_per_day > 0 && limit < cap.unwrap_or(u32::MAX);
                    let next_day = Duration::try_days(i64::from(warmup_day(Some(f), u)) + 1)
                        .map(|d| plus(f, d));
                    match (free, next_day) {
                        (Some(x), Some(n)) if x < n => return Some(x),
                        (_, Some(n)) if grows && n > u => u = n,
                        _ => return free,
                    }
                }
                None
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn passes(&self, t: DateTime<Utc>) -> bool {
        self.next_pass(t) == Some(t)
    }
}

/// The sorted tail of `times` later than `t - w`.
fn active(times: &[DateTime<Utc>], w: Duration, t: DateTime<Utc>) -> &[DateTime<Utc>] {
    let from = minus(t, w);
    let lo = times.partition_point(|s| *s <= from);
    times.get(lo..).unwrap_or_default()
}

/// The earliest instant `>= now` at which every constraint passes, or `None` if there is none
/// within [`COMBINED_HORIZON`].
pub(crate) fn earliest_all_pass(
    constraints: &[TimeConstraint<'_>],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let limit = plus(now, COMBINED_HORIZON);
    let mut t = now;
    // Each round moves `t` forward to the next instant some failing constraint allows; with
    // windows in several zones and caps this converges in a few rounds. The bound stops
    // pathological inputs (e.g. disjoint windows that leave only seconds) from spinning.
    for _ in 0..512 {
        let mut next = t;
        for c in constraints {
            let n = c.next_pass(t)?;
            if n > next {
                next = n;
            }
        }
        if next == t {
            return Some(t);
        }
        if next > limit {
            return None;
        }
        t = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn rolling_cap_frees_when_the_oldest_leaves() {
        let times = vec![
            utc("2026-01-01T10:00:00Z"),
            utc("2026-01-01T10:10:00Z"),
            utc("2026-01-01T10:20:00Z"),
        ];
        let c = TimeConstraint::rolling(times.into(), Duration::hours(1), 3);
        let t = utc("2026-01-01T10:30:00Z");
        assert!(!c.passes(t));
        assert_eq!(c.next_pass(t), Some(utc("2026-01-01T11:00:00Z")));
        assert!(c.passes(utc("2026-01-01T11:00:00Z")));
        assert!(!c.passes(utc("2026-01-01T10:59:59Z")));
        let c2 = TimeConstraint::rolling(
            vec![utc("2026-01-01T10:00:00Z")].into(),
            Duration::hours(1),
            0,
        );
        assert_eq!(c2.next_pass(t), None);
    }

    #[test]
    fn combined_search_finds_the_common_instant() {
        // Min-gap lifts at 10:45; the cap at 11:00: both together at 11:00.
        let cs = [
            TimeConstraint::NotBefore(utc("2026-01-01T10:45:00Z")),
            TimeConstraint::rolling(
                vec![utc("2026-01-01T10:00:00Z"), utc("2026-01-01T10:15:00Z")].into(),
                Duration::hours(1),
                2,
            ),
        ];
        assert_eq!(
            earliest_all_pass(&cs, utc("2026-01-01T10:30:00Z")),
            Some(utc("2026-01-01T11:00:00Z"))
        );
    }

    #[test]
    fn ramp_frees_a_slot_when_the_day_grows_or_a_send_leaves() {
        let first = utc("2026-01-01T09:00:00Z");
        let warmup = Warmup {
            start_per_day: 2,
            increase_per_day: 1,
        };
        // Day 0: two sends use the ramp up; day 1 (from 09:00 on the 2nd) allows three, and
        // both day-0 sends are still in the trailing 24 hours until 10:00 and 11:00.
        let times = vec![utc("2026-01-01T10:00:00Z"), utc("2026-01-01T11:00:00Z")];
        let c = TimeConstraint::Ramp {
            times: times.clone().into(),
            cap: None,
            warmup,
            first: Some(first),
        };
        assert_eq!(
            c.next_pass(utc("2026-01-01T12:00:00Z")),
            Some(utc("2026-01-02T09:00:00Z"))
        );
        // With a daily cap of 2, the ramp's growth does not help: the first send must leave.
        let capped = TimeConstraint::Ramp {
            times: times.into(),
            cap: Some(2),
            warmup,
            first: Some(first),
        };
        assert_eq!(
            capped.next_pass(utc("2026-01-01T12:00:00Z")),
            Some(utc("2026-01-02T10:00:00Z"))
        );
        // A ramp that starts at zero without a first send never opens.
        let closed = TimeConstraint::Ramp {
            times: Vec::new().into(),
            cap: None,
            warmup: Warmup {
                start_per_day: 0,
                increase_per_day: 5,
            },
            first: None,
        };
        assert_eq!(closed.next_pass(utc("2026-01-01T12:00:00Z")), None);
    }
}
