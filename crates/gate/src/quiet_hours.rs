//! Allowed windows in the recipient's local time, DST-correct, and the earliest instant a
//! window opens.
//!
//! A [`Schedule`] is a weekly pattern (one optional window per weekday) with optional holiday
//! handling; it is evaluated in one IANA zone at a time. Day rules use the local calendar date
//! of the instant; a window that wraps past midnight (22:00–06:00) allows `[start, 24:00)` and
//! `[00:00, end)` of each local date.
//!
//! `next_allowed` is exact: within a stretch of constant UTC offset, local time is UTC plus
//! that offset, so the earliest allowed local time can be found on the naive local calendar and
//! mapped back; when a DST transition lies between, the search restarts at the transition.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::facts::Window;
use crate::holidays::HolidayCalendar;

/// How many days ahead a search for an open window looks before giving up. Long enough for
/// a Sunday ban next to a Monday holiday and year-end holiday runs; a schedule that never
/// opens (an empty intersection of zones) is reported as "time alone won't lift it".
pub const SEARCH_HORIZON_DAYS: i64 = 21;

/// What a schedule does on a holiday of its calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HolidayRule {
    pub calendar: HolidayCalendar,
    /// The window on a holiday; `None`: no contact at all that day.
    pub window: Option<Window>,
}

/// A weekly pattern of allowed local windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Monday first; `None`: closed all day.
    pub days: [Option<Window>; 7],
    pub holidays: Option<HolidayRule>,
}

impl Schedule {
    /// The same window every day, holidays included.
    pub const fn daily(window: Window) -> Schedule {
        Schedule {
            days: [Some(window); 7],
            holidays: None,
        }
    }

    /// One window Monday–Friday, one Saturday, one Sunday.
    pub const fn weekly(
        weekdays: Option<Window>,
        saturday: Option<Window>,
        sunday: Option<Window>,
    ) -> Schedule {
        Schedule {
            days: [
                weekdays, weekdays, weekdays, weekdays, weekdays, saturday, sunday,
            ],
            holidays: None,
        }
    }

    pub const fn with_holidays(mut self, rule: HolidayRule) -> Schedule {
        self.holidays = Some(rule);
        self
    }

    /// The window that applies on a local date, and whether the date is a holiday.
    pub fn window_on(&self, date: NaiveDate) -> (Option<Window>, bool) {
        if let Some(h) = self.holidays
            && h.calendar.is_holiday(date)
        {
            return (h.window, true);
        }
        let idx = chrono::Datelike::weekday(&date).num_days_from_monday() as usize;
        (self.days.get(idx).copied().flatten(), false)
    }

    /// Allowed `[start, end)` stretches of a local date, in seconds after local midnight.
    fn segments(&self, date: NaiveDate) -> ([(u32, u32); 2], usize) {
        let mut out = [(0, 0); 2];
        let Some(w) = self.window_on(date).0 else {
            return (out, 0);
        };
        let (s, e) = (w.start.minutes() * 60, w.end.minutes() * 60);
        if s < e {
            out[0] = (s, e);
            (out, 1)
        } else if s > e {
            // Wraps past midnight: the early-morning tail first, then the evening start.
            out[0] = (0, e);
            out[1] = (s, 86_400);
            (out, 2)
        } else {
            (out, 0)
        }
    }

    /// Whether the schedule allows a local wall-clock time.
    pub fn allows_local(&self, local: NaiveDateTime) -> bool {
        let sec = local.time().num_seconds_from_midnight();
        let (segs, n) = self.segments(local.date());
        segs.iter().take(n).any(|&(s, e)| sec >= s && sec < e)
    }

    /// Whether the schedule allows instant `t` in `zone`.
    pub fn allows(&self, zone: Tz, t: DateTime<Utc>) -> bool {
        // Outside the representable range nothing is allowed (fail safe).
        crate::instant::wall(zone, t).is_some_and(|w| self.allows_local(w))
    }

    /// The earliest local time `>= from` the schedule allows, on the naive local calendar.
    fn next_allowed_local(&self, from: NaiveDateTime, horizon_days: i64) -> Option<NaiveDateTime> {
        let first = from.date();
        for d in 0..=horizon_days {
            let date = first.checked_add_signed(Duration::days(d))?;
            let midnight = date.and_hms_opt(0, 0, 0)?;
            let (segs, n) = self.segments(date);
            for &(s, e) in segs.iter().take(n) {
                let start = crate::instant::naive_plus(midnight, Duration::seconds(i64::from(s)))?;
                let end = crate::instant::naive_plus(midnight, Duration::seconds(i64::from(e)))?;
                let candidate = start.max(from);
                if candidate < end {
                    return Some(candidate);
                }
            }
        }
        None
    }

    /// The earliest instant `>= t` at which the schedule allows a send in `zone`, looking at
    /// most [`SEARCH_HORIZON_DAYS`] ahead.
    pub fn next_allowed(&self, zone: Tz, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let limit = crate::instant::plus(t, Duration::days(SEARCH_HORIZON_DAYS));
        let mut u = t;
        // Each round either answers or moves `u` to a later DST transition; the horizon holds
        // a handful at most, the bound only guards against a malformed zone table.
        for _ in 0..32 {
            if u > limit {
                return None;
            }
            let offset = zone.offset_from_utc_datetime(&u.naive_utc()).fix();
            let local_from = crate::instant::naive_plus(
                u.naive_utc(),
                Duration::seconds(i64::from(offset.local_minus_utc())),
            )?;
            let days_left = (limit - u).num_days().max(0);
            let local = self.next_allowed_local(local_from, days_left)?;
            let candidate = DateTime::<Utc>::from_naive_utc_and_offset(
                crate::instant::naive_plus(
                    local,
                    -Duration::seconds(i64::from(offset.local_minus_utc())),
                )?,
                Utc,
            );
            let candidate_offset = zone.offset_from_utc_datetime(&candidate.naive_utc()).fix();
            if candidate_offset == offset {
                return (candidate <= limit).then_some(candidate);
            }
            // A transition lies in (u, candidate]: nothing in [u, transition) is allowed under
            // the old offset, so continue from the transition with the new one.
            u = transition_between(zone, u, candidate, offset);
        }
        None
    }
}

/// The first instant in `(lo, hi]` whose UTC offset differs from `offset` (second precision).
fn transition_between(
    zone: Tz,
    mut lo: DateTime<Utc>,
    mut hi: DateTime<Utc>,
    offset: chrono::FixedOffset,
) -> DateTime<Utc> {
    while hi - lo > Duration::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if zone.offset_from_utc_datetime(&mid.naive_utc()).fix() == offset {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi.with_nanosecond(0).unwrap_or(hi)
}

/// A human-readable local time in `zone`, e.g. `Sun 03:12 in America/Los_Angeles`.
pub fn describe_local(zone: Tz, t: DateTime<Utc>) -> String {
    match crate::instant::wall(zone, t) {
        Some(local) => format!(
            "{} {} in {}",
            local.format("%a"),
            local.format("%H:%M"),
            zone.name()
        ),
        None => format!("{t:?} (outside the calendar) in {}", zone.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::TimeOfDay;
    use chrono_tz::America::{Los_Angeles, New_York};
    use chrono_tz::Europe::{Berlin, London};

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    const EIGHT_TO_NINE: Window = Window::new(TimeOfDay::hm(8, 0), TimeOfDay::hm(21, 0));

    #[test]
    fn inside_window_is_now() {
        let s = Schedule::daily(EIGHT_TO_NINE);
        let t = utc("2026-11-25T18:00:00Z"); // 10:00 in LA
        assert!(s.allows(Los_Angeles, t));
        assert_eq!(s.next_allowed(Los_Angeles, t), Some(t));
    }

    #[test]
    fn night_waits_for_local_eight() {
        let s = Schedule::daily(EIGHT_TO_NINE);
        let t = utc("2026-11-26T11:12:00Z"); // 03:12 PST
        assert!(!s.allows(Los_Angeles, t));
        assert_eq!(
            s.next_allowed(Los_Angeles, t),
            Some(utc("2026-11-26T16:00:00Z"))
        );
    }

    #[test]
    fn end_is_exclusive() {
        let s = Schedule::daily(EIGHT_TO_NINE);
        assert!(!s.allows(New_York, utc("2026-11-26T02:00:00Z"))); // 21:00 EST
        assert!(s.allows(New_York, utc("2026-11-26T01:59:59Z")));
    }

    /// DST table: (zone, instant, allowed?, next opening).
    #[test]
    fn dst_days() {
        let s = Schedule::daily(EIGHT_TO_NINE);
        let cases: &[(Tz, &str, bool, &str)] = &[
            // US spring forward 2026-03-08 02:00 EST -> 03:00 EDT; 08:00 EDT = 12:00Z.
            (
                New_York,
                "2026-03-08T06:30:00Z",
                false,
                "2026-03-08T12:00:00Z",
            ),
            (
                New_York,
                "2026-03-08T11:59:59Z",
                false,
                "2026-03-08T12:00:00Z",
            ),
            (
                New_York,
                "2026-03-08T12:00:00Z",
                true,
                "2026-03-08T12:00:00Z",
            ),
            // Day before: 08:00 EST = 13:00Z.
            (
                New_York,
                "2026-03-07T12:30:00Z",
                false,
                "2026-03-07T13:00:00Z",
            ),
            // Evening of the change: 21:00 EDT = 01:00Z next day.
            (
                New_York,
                "2026-03-09T01:00:00Z",
                false,
                "2026-03-09T12:00:00Z",
            ),
            // US fall back 2026-11-01 02:00 EDT -> 01:00 EST; 08:00 EST = 13:00Z.
            (
                New_York,
                "2026-11-01T05:30:00Z",
                false,
                "2026-11-01T13:00:00Z",
            ),
            (
                New_York,
                "2026-11-01T12:30:00Z",
                false,
                "2026-11-01T13:00:00Z",
            ),
            (
                Los_Angeles,
                "2026-11-01T09:00:00Z",
                false,
                "2026-11-01T16:00:00Z",
            ),
            // EU spring forward 2026-03-29 01:00Z; Berlin 08:00 CEST = 06:00Z.
            (
                Berlin,
                "2026-03-29T00:30:00Z",
                false,
                "2026-03-29T06:00:00Z",
            ),
            (
                London,
                "2026-03-29T06:59:00Z",
                false,
                "2026-03-29T07:00:00Z",
            ),
            // EU fall back 2026-10-25 01:00Z; London 08:00 GMT = 08:00Z, Berlin 08:00 CET = 07:00Z.
            (
                London,
                "2026-10-25T07:30:00Z",
                false,
                "2026-10-25T08:00:00Z",
            ),
            (
                Berlin,
                "2026-10-25T06:59:00Z",
                false,
                "2026-10-25T07:00:00Z",
            ),
            (Berlin, "2026-10-25T19:59:00Z", true, "2026-10-25T19:59:00Z"),
            (
                Berlin,
                "2026-10-25T20:00:00Z",
                false,
                "2026-10-26T07:00:00Z",
            ),
        ];
        for (zone, at, allowed, next) in cases {
            let t = utc(at);
            assert_eq!(s.allows(*zone, t), *allowed, "{zone} {at}");
            assert_eq!(s.next_allowed(*zone, t), Some(utc(next)), "{zone} {at}");
        }
    }

    #[test]
    fn window_starting_inside_the_spring_gap_opens_at_the_transition() {
        // 02:30 does not exist in New York on 2026-03-08; the first local time after it is
        // 03:00 EDT = 07:00Z.
        let s = Schedule::daily(Window::new(TimeOfDay::hm(2, 30), TimeOfDay::hm(5, 0)));
        let t = utc("2026-03-08T06:00:00Z"); // 01:00 EST
        assert_eq!(
            s.next_allowed(New_York, t),
            Some(utc("2026-03-08T07:00:00Z"))
        );
    }

    #[test]
    fn window_starting_in_the_repeated_autumn_hour() {
        // 01:30 happens twice in New York on 2026-11-01: 05:30Z (EDT) and 06:30Z (EST).
        let s = Schedule::daily(Window::new(TimeOfDay::hm(1, 30), TimeOfDay::hm(1, 45)));
        assert_eq!(
            s.next_allowed(New_York, utc("2026-11-01T05:00:00Z")),
            Some(utc("2026-11-01T05:30:00Z"))
        );
        // After the first 01:45 EDT, the second pass through 01:30 EST counts again.
        assert_eq!(
            s.next_allowed(New_York, utc("2026-11-01T05:50:00Z")),
            Some(utc("2026-11-01T06:30:00Z"))
        );
    }

    #[test]
    fn wrapping_window() {
        let s = Schedule::daily(Window::new(TimeOfDay::hm(22, 0), TimeOfDay::hm(6, 0)));
        assert!(s.allows(London, utc("2026-01-10T23:00:00Z")));
        assert!(s.allows(London, utc("2026-01-10T05:59:00Z")));
        assert_eq!(
            s.next_allowed(London, utc("2026-01-10T12:00:00Z")),
            Some(utc("2026-01-10T22:00:00Z"))
        );
    }

    #[test]
    fn closed_days_are_skipped() {
        let s = Schedule::weekly(Some(EIGHT_TO_NINE), Some(EIGHT_TO_NINE), None);
        // 2026-11-29 is a Sunday.
        let t = utc("2026-11-29T15:00:00Z");
        assert!(!s.allows(New_York, t));
        assert_eq!(
            s.next_allowed(New_York, t),
            Some(utc("2026-11-30T13:00:00Z"))
        );
    }

    #[test]
    fn never_open_is_none() {
        let s = Schedule::weekly(None, None, None);
        assert_eq!(s.next_allowed(New_York, utc("2026-11-29T15:00:00Z")), None);
    }
}
