//! The day a person is back, read from their out-of-office reply.
//!
//! [`out_of_office_return`] finds a date the text names as the return (contract v2, "Stop on
//! reply": "until 14 December", "back on 14/12" is read as the day the person is back, at 00:00
//! in the lead's zone, the next such date in the future). It is pure: `received_at` stands for
//! now. The words are data (`data/dates.txt`): month and weekday names in every language of the
//! opt-out lexicon (English, Spanish, French, German, Portuguese, Italian, Dutch, Swedish,
//! Russian; `12月14日` for Chinese and Japanese).
//!
//! # Which date
//!
//! 1. The first date within eight words after a return cue: `until`, `back (on)`, `returning`,
//!    `hasta`, `jusqu'au`, `bis (zum)`, `até`, `fino al`, `tot`, `terug`, `до`, `至`… The date is
//!    the day the person is back. After `through`, `tot en met`, or with `inclusive`, `inclus`,
//!    `einschließlich` next to it, it is their last day away: back the day after.
//! 2. Else a date after `ab`, `vanaf`, `from`, `a partir de`… in a sentence that also says
//!    "again" or "back" (`Ab 14.12. bin ich wieder erreichbar`).
//! 3. Else a date followed by `まで`, `返回`, `回来`… (`12月14日まで不在です`).
//! 4. Else the end of a range (`OOO Dec 1–14`, `1-14 December`): back the day after it.
//!
//! A date is `14 December`, `December 14th, 2026`, `14. Dezember`, `14 de diciembre`,
//! `14/12`, `14.12.2026`, `2026-12-14`, `12月14日`, a weekday (`Monday`, `returning Monday
//! 14th`), a day with an ordinal (`the 14th`) or `tomorrow`. Times (`until 5pm`, `10.11 Uhr`)
//! are not dates. Without such a date the answer is `None`.
//!
//! # Which year, which reading
//!
//! "Today" is the day `received_at` falls on in `zone`.
//! * A date with a year is that date; if it is not after today the reply is stale: `None`.
//! * A date without a year is its next occurrence after today. The same day is `None` (back
//!   today: nothing to move), and so is a date in the 31 days before today: an out-of-office
//!   left on after the person came back, not a year's absence.
//! * A weekday is the next one after today (a week ahead when today is that weekday). A day of
//!   the month is the next month that has it after today, the first whose weekday matches when
//!   one is named.
//! * `a/b` with both numbers at most 12 can be day/month or month/day. Each reading is placed
//!   as above; a reading within the next 120 days beats one that is not (an out-of-office is
//!   about weeks, not seasons); when both or neither are, month/day is read only after an
//!   English cue with a US zone (US English writes 12/14), day/month otherwise (most of the
//!   world, and every other language here). A number over 12 decides alone (`14/12`); dots are
//!   always day/month (`14.12.`).

mod parse;
mod scan;

use chrono::{DateTime, Datelike, Days, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use parse::{Found, Spec, find_return};
use scan::{date_words, scan};

/// A reading within this many days of today beats one that is not.
const PLAUSIBLE_DAYS: i64 = 120;

/// A yearless date at most this many days before today is a stale auto-reply, not next year.
const STALE_DAYS: i64 = 31;

/// The instant the person who wrote `text` (an out-of-office reply received at `received_at`)
/// is back: 00:00 in `zone` of the return date the text names, after `received_at`. `None`
/// when the text names no return date, or one that is not in the future.
pub fn out_of_office_return(
    text: &str,
    received_at: DateTime<Utc>,
    zone: Tz,
) -> Option<DateTime<Utc>> {
    let found = find_return(date_words(), &scan(text))?;
    // Checked: at the ends of time the local date may not exist (found by the property test).
    let offset = zone
        .offset_from_utc_datetime(&received_at.naive_utc())
        .fix();
    let today = received_at.naive_utc().checked_add_offset(offset)?.date();
    let mut day = resolve(found, today, month_first_zone(zone))?;
    if found.last_day_away {
        day = day.checked_add_days(Days::new(1))?;
    }
    let back = midnight(day, zone)?;
    (back > received_at).then_some(back)
}

/// Zones where dates are written month first (the United States and its territories, the
/// Philippines).
fn month_first_zone(zone: Tz) -> bool {
    let name = zone.name();
    const US: &[&str] = &[
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "America/Juneau",
        "America/Sitka",
        "America/Yakutat",
        "America/Nome",
        "America/Metlakatla",
        "America/Adak",
        "America/Boise",
        "America/Detroit",
        "America/Menominee",
        "America/Puerto_Rico",
        "America/St_Thomas",
        "Pacific/Honolulu",
        "Pacific/Guam",
        "Pacific/Saipan",
        "Pacific/Pago_Pago",
        "Asia/Manila",
    ];
    name.starts_with("US/")
        || name.starts_with("America/Indiana/")
        || name.starts_with("America/Kentucky/")
        || name.starts_with("America/North_Dakota/")
        || US.contains(&name)
}

/// The day `found` names, as the module documentation says.
fn resolve(found: Found, today: NaiveDate, month_first_zone: bool) -> Option<NaiveDate> {
    match found.spec {
        Spec::Date { year, month, day } => place(year, month, day, today),
        Spec::Numeric { a, b, year } => {
            let day_first = place(year, b, a, today);
            let month_first = if a == b {
                None
            } else {
                place(year, a, b, today)
            };
            let near = |d: &NaiveDate| (*d - today).num_days() <= PLAUSIBLE_DAYS;
            match (day_first, month_first) {
                (Some(d), Some(m)) => match (near(&d), near(&m)) {
                    (true, false) => Some(d),
                    (false, true) => Some(m),
                    _ if found.english && month_first_zone => Some(m),
                    _ => Some(d),
                },
                (d, m) => d.or(m),
            }
        }
        Spec::Day { day, weekday } => {
            let candidates = (0..13u32).filter_map(|k| {
                let first = today
                    .with_day(1)?
                    .checked_add_months(chrono::Months::new(k))?;
                NaiveDate::from_ymd_opt(first.year(), first.month(), day).filter(|d| *d > today)
            });
            let mut first = None;
            for d in candidates {
                if weekday.is_none_or(|w| d.weekday() == w) {
                    return Some(d);
                }
                first = first.or(Some(d));
            }
            first
        }
        Spec::Weekday(w) => {
            let ahead = (7 + w.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
            today.checked_add_days(Days::new(u64::from(if ahead == 0 { 7 } else { ahead })))
        }
        Spec::Relative(n) => today.checked_add_days(Days::new(n)),
    }
}

/// A day and month (and maybe year) placed after `today`.
fn place(year: Option<i32>, month: u32, day: u32, today: NaiveDate) -> Option<NaiveDate> {
    if let Some(y) = year {
        return NaiveDate::from_ymd_opt(y, month, day).filter(|d| *d > today);
    }
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    if let Some(d) = this_year {
        if d > today {
            return Some(d);
        }
        if (today - d).num_days() <= STALE_DAYS {
            return None;
        }
    }
    // The next year that has the date (29 February waits for a leap year).
    (1..=8).find_map(|k| {
        let y = today.year().checked_add(k)?;
        NaiveDate::from_ymd_opt(y, month, day)
    })
}

/// 00:00 of `day` in `zone`, or the first hour that exists when the clocks skip midnight.
fn midnight(day: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
    (0..4).find_map(|h| {
        let local = day.and_hms_opt(h, 0, 0)?;
        zone.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yearless_dates_roll_over_but_not_when_stale() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
        let d = |m, day| place(None, m, day, today);
        assert_eq!(d(1, 5), NaiveDate::from_ymd_opt(2027, 1, 5));
        assert_eq!(d(12, 24), NaiveDate::from_ymd_opt(2026, 12, 24));
        assert_eq!(d(12, 20), None);
        assert_eq!(d(12, 1), None);
        assert_eq!(d(11, 1), NaiveDate::from_ymd_opt(2027, 11, 1));
        assert_eq!(d(2, 29), NaiveDate::from_ymd_opt(2028, 2, 29));
        assert_eq!(place(Some(2026), 12, 1, today), None);
    }

    #[test]
    fn us_zones() {
        assert!(month_first_zone(chrono_tz::America::New_York));
        assert!(month_first_zone(chrono_tz::America::Indiana::Indianapolis));
        assert!(!month_first_zone(chrono_tz::Europe::London));
        assert!(!month_first_zone(chrono_tz::America::Toronto));
    }

    #[test]
    fn midnight_skipped_by_dst() {
        // Santiago springs forward at 00:00 (2026-09-06): the day starts at 01:00.
        let day = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        let t = midnight(day, chrono_tz::America::Santiago).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-09-06T04:00:00+00:00");
    }
}
