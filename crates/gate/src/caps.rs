//! Time-based constraints and the search for the earliest instant at which all of them pass.
//!
//! Every time-based check (quiet hours in each candidate zone, day rules, min-gap, rolling
//! caps, DNC expiry) is a [`TimeConstraint`] that can say, for an instant `t`, the earliest
//! instant `>= t` at which it alone passes. [`earliest_all_pass`] iterates `t <- max(next)`
//! until every constraint passes at the same `t`: nothing in between can pass, because each
//! step skips only instants at which at least one constraint fails.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::instant::{minus, plus};
use crate::quiet_hours::Schedule;

/// How far ahead the combined search looks before answering "time alone won't lift it".
pub const COMBINED_HORIZON: Duration = Duration::days(60);

#[derive(Clone, Debug)]
pub(crate) enum TimeConstraint {
    /// Passes from the given instant on (min-gap, DNC expiry).
    NotBefore(DateTime<Utc>),
    /// Passes while the schedule allows the instant in the zone.
    Window { zone: Tz, schedule: Schedule },
    /// Passes while fewer than `limit` of `times` are later than `t - window`: the trailing
    /// window, plus any send dated after `t` (a reservation another dispatcher took a moment
    /// "later" by its clock counts too — conservative, never looser).
    Rolling {
        times: Vec<DateTime<Utc>>,
        window: Duration,
        limit: u32,
    },
}

impl TimeConstraint {
    pub(crate) fn rolling(
        mut times: Vec<DateTime<Utc>>,
        window: Duration,
        limit: u32,
    ) -> TimeConstraint {
        times.sort_unstable();
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
            TimeConstraint::Window { zone, schedule } => schedule.next_allowed(*zone, t),
            TimeConstraint::Rolling {
                times,
                window,
                limit,
            } => {
                let active = active(times, *window, t);
                let count = active.len();
                let limit = usize::try_from(*limit).unwrap_or(usize::MAX);
                if count < limit {
                    return Some(t);
                }
                if limit == 0 {
                    return None;
                }
                // The (count - limit)th oldest send must leave the window: at `s + w` it is no
                // longer inside `(t - w, t]`.
                active.get(count - limit).map(|s| plus(*s, *window))
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
    constraints: &[TimeConstraint],
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
        let c = TimeConstraint::rolling(times, Duration::hours(1), 3);
        let t = utc("2026-01-01T10:30:00Z");
        assert!(!c.passes(t));
        assert_eq!(c.next_pass(t), Some(utc("2026-01-01T11:00:00Z")));
        assert!(c.passes(utc("2026-01-01T11:00:00Z")));
        assert!(!c.passes(utc("2026-01-01T10:59:59Z")));
        let c2 = TimeConstraint::rolling(vec![utc("2026-01-01T10:00:00Z")], Duration::hours(1), 0);
        assert_eq!(c2.next_pass(t), None);
    }

    #[test]
    fn combined_search_finds_the_common_instant() {
        // Min-gap lifts at 10:45; the cap at 11:00: both together at 11:00.
        let cs = [
            TimeConstraint::NotBefore(utc("2026-01-01T10:45:00Z")),
            TimeConstraint::rolling(
                vec![utc("2026-01-01T10:00:00Z"), utc("2026-01-01T10:15:00Z")],
                Duration::hours(1),
                2,
            ),
        ];
        assert_eq!(
            earliest_all_pass(&cs, utc("2026-01-01T10:30:00Z")),
            Some(utc("2026-01-01T11:00:00Z"))
        );
    }
}
