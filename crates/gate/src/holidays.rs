//! Holiday calendars for jurisdictions that ban or restrict contact on holidays.
//!
//! Computed, not listed, so they hold for any year. Observed-date shifting follows each
//! jurisdiction's own law (a fixed-date holiday on a weekend moves to a weekday for some).
//! Where a calendar shifts a holiday, both the calendar date and the observed date count as
//! holidays: the gate fails safe when it is unclear which of the two a contact ban means.
//!
//! Days that cannot be computed are not in any calendar: holidays proclaimed ad hoc by a
//! governor, and holidays that hold only in some counties, parishes or cities. Each variant
//! says what it leaves out.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A jurisdiction's holiday calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolidayCalendar {
    /// The eleven US federal legal public holidays (5 U.S.C. 6103), with the federal
    /// observance shift (Saturday → Friday, Sunday → Monday).
    UsFederal,
    /// Alabama state holidays, Ala. Code § 1-3-8(a)–(b): New Year's Day; Robert E. Lee's /
    /// Martin Luther King, Jr.'s birthday (third Monday in January); George Washington's /
    /// Thomas Jefferson's birthday (third Monday in February); Confederate Memorial Day
    /// (fourth Monday in April); National Memorial Day (last Monday in May); Jefferson Davis'
    /// birthday (first Monday in June); the Fourth of July; Labor Day; Columbus Day / Fraternal
    /// Day / American Indian Heritage Day (second Monday in October); Veterans' Day
    /// (November 11); Thanksgiving (the Governor designates the day: the fourth Thursday in
    /// November is assumed); Christmas Day. "If any holiday falls on Sunday, the following day
    /// is the holiday. If any holiday falls on Saturday, the preceding day is the holiday."
    ///
    /// Also includes Juneteenth (June 19, same shift): a federal holiday not in the § 1-3-8
    /// text read, kept because Alabama's ban is reported for "state and federal holidays".
    /// Leaves out Mardi Gras (a § 1-3-8 holiday in Mobile and Baldwin counties only) and days
    /// the Governor proclaims.
    Alabama,
    /// Louisiana's statewide days of public rest and legal holidays, La. R.S. 1:55(A)(1):
    /// New Year's Day; January 8 (Battle of New Orleans); Dr. Martin Luther King, Jr.'s
    /// Birthday (third Monday in January); Washington's Birthday / Presidents' Day (third
    /// Monday in February); Mardi Gras (47 days before Easter); Good Friday; National Memorial
    /// Day (last Monday in May); Independence Day; August 30 (Huey P. Long Day); Labor Day;
    /// Christopher Columbus Day (second Monday in October); November 1 (All Saints' Day);
    /// Veterans' Day (November 11); Thanksgiving (fourth Thursday in November); Christmas Day.
    /// (Sundays are also days of public rest; the Louisiana rule closes Sundays by itself.)
    ///
    /// New Year's Day, Independence Day and Christmas also count on the weekday they are
    /// observed (Saturday → Friday, Sunday → Monday), as R.S. 1:55(E) observes them for court
    /// clerks. Leaves out the local days of R.S. 1:55 (Inauguration Day in Baton Rouge,
    /// Saturdays in some parishes) and holidays the Governor proclaims (e.g. July 3, 2023).
    Louisiana,
}

impl HolidayCalendar {
    pub fn name(self) -> &'static str {
        match self {
            HolidayCalendar::UsFederal => "US federal holidays",
            HolidayCalendar::Alabama => "Alabama state holidays",
            HolidayCalendar::Louisiana => "Louisiana legal holidays",
        }
    }

    /// Whether `date` is a holiday (or an observed holiday) in this calendar.
    pub fn is_holiday(self, date: NaiveDate) -> bool {
        match self {
            HolidayCalendar::UsFederal => us_federal(date),
            HolidayCalendar::Alabama => alabama(date),
            HolidayCalendar::Louisiana => louisiana(date),
        }
    }
}

/// The `n`th (1-based) `weekday` of a month; `n = 0` means the last one.
pub fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Option<NaiveDate> {
    if n == 0 {
        let next_month = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let mut d = next_month.pred_opt()?;
        while d.weekday() != weekday {
            d = d.pred_opt()?;
        }
        return Some(d);
    }
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, u8::try_from(n).ok()?)
}

/// Easter Sunday (Gregorian calendar) of `year`, by the anonymous Gregorian algorithm
/// (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Federal observance: a holiday on Saturday is observed Friday, on Sunday, Monday.
fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d.pred_opt().unwrap_or(d),
        Weekday::Sun => d.succ_opt().unwrap_or(d),
        _ => d,
    }
}

/// Whether `date` is one of the fixed `(month, day)` holidays, or (with `shift`) the weekday
/// one of them is observed on. Looks at the neighbouring years too, so a Saturday New Year's
/// Day is found on December 31 of the year before.
fn fixed_hit(date: NaiveDate, fixed: &[(u32, u32)], shift: bool) -> bool {
    let y = date.year();
    [y - 1, y, y + 1].into_iter().any(|year| {
        fixed.iter().any(|&(m, d)| {
            NaiveDate::from_ymd_opt(year, m, d)
                .is_some_and(|h| h == date || (shift && observed(h) == date))
        })
    })
}

fn us_federal(date: NaiveDate) -> bool {
    let y = date.year();
    let fixed = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)];
    let floating = [
        nth_weekday(y, 1, Weekday::Mon, 3), // Birthday of Martin Luther King, Jr.
        nth_weekday(y, 2, Weekday::Mon, 3), // Washington's Birthday
        nth_weekday(y, 5, Weekday::Mon, 0), // Memorial Day
        nth_weekday(y, 9, Weekday::Mon, 1), // Labor Day
        nth_weekday(y, 10, Weekday::Mon, 2), // Columbus Day
        nth_weekday(y, 11, Weekday::Thu, 4), // Thanksgiving Day
    ];
    fixed_hit(date, &fixed, true) || floating.iter().flatten().any(|h| *h == date)
}

fn alabama(date: NaiveDate) -> bool {
    let y = date.year();
    // New Year's Day, Juneteenth, the Fourth of July, Veterans' Day, Christmas Day.
    let fixed = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)];
    let floating = [
        nth_weekday(y, 1, Weekday::Mon, 3), // Robert E. Lee's / Martin Luther King, Jr.'s
        nth_weekday(y, 2, Weekday::Mon, 3), // George Washington's / Thomas Jefferson's
        nth_weekday(y, 4, Weekday::Mon, 4), // Confederate Memorial Day
        nth_weekday(y, 5, Weekday::Mon, 0), // National Memorial Day
        nth_weekday(y, 6, Weekday::Mon, 1), // Jefferson Davis' birthday
        nth_weekday(y, 9, Weekday::Mon, 1), // Labor Day
        nth_weekday(y, 10, Weekday::Mon, 2), // Columbus / Fraternal / American Indian Heritage
        nth_weekday(y, 11, Weekday::Thu, 4), // Thanksgiving (as designated by the Governor)
    ];
    fixed_hit(date, &fixed, true) || floating.iter().flatten().any(|h| *h == date)
}

fn louisiana(date: NaiveDate) -> bool {
    let y = date.year();
    // Observed on a weekday as well (R.S. 1:55(E)): New Year's Day, Independence Day,
    // Christmas Day.
    let shifted = [(1, 1), (7, 4), (12, 25)];
    // Battle of New Orleans, Huey P. Long Day, All Saints' Day, Veterans' Day.
    let unshifted = [(1, 8), (8, 30), (11, 1), (11, 11)];
    let easter = easter_sunday(y);
    let floating = [
        nth_weekday(y, 1, Weekday::Mon, 3), // Dr. Martin Luther King, Jr.'s Birthday
        nth_weekday(y, 2, Weekday::Mon, 3), // Washington's Birthday and Presidents' Day
        easter.and_then(|e| e.checked_sub_signed(Duration::days(47))), // Mardi Gras
        easter.and_then(|e| e.checked_sub_signed(Duration::days(2))), // Good Friday
        nth_weekday(y, 5, Weekday::Mon, 0), // National Memorial Day
        nth_weekday(y, 9, Weekday::Mon, 1), // Labor Day
        nth_weekday(y, 10, Weekday::Mon, 2), // Christopher Columbus Day
        nth_weekday(y, 11, Weekday::Thu, 4), // Thanksgiving Day
    ];
    fixed_hit(date, &shifted, true)
        || fixed_hit(date, &unshifted, false)
        || floating.iter().flatten().any(|h| *h == date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    /// Every date of `year` that `cal` marks as a holiday.
    fn holidays_of(cal: HolidayCalendar, year: i32) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut day = d(year, 1, 1);
        while day.year() == year {
            if cal.is_holiday(day) {
                out.push(day);
            }
            day = day.succ_opt().unwrap_or(d(year + 1, 1, 1));
        }
        out
    }

    #[test]
    fn us_federal_2026() {
        let cal = HolidayCalendar::UsFederal;
        for h in [
            d(2026, 1, 1),
            d(2026, 1, 19),
            d(2026, 2, 16),
            d(2026, 5, 25),
            d(2026, 6, 19),
            d(2026, 7, 3), // July 4 is a Saturday: observed Friday
            d(2026, 7, 4),
            d(2026, 9, 7),
            d(2026, 10, 12),
            d(2026, 11, 11),
            d(2026, 11, 26),
            d(2026, 12, 25),
        ] {
            assert!(cal.is_holiday(h), "{h}");
        }
        assert!(!cal.is_holiday(d(2026, 11, 25)));
        // 2028-01-01 is a Saturday: observed Friday 2027-12-31.
        assert!(cal.is_holiday(d(2027, 12, 31)));
    }

    #[test]
    fn easter_dates() {
        for (y, m, day) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(y), Some(d(y, m, day)), "{y}");
        }
    }

    #[test]
    fn alabama_2026_exact() {
        let expected = vec![
            d(2026, 1, 1),   // New Year's Day (Thu)
            d(2026, 1, 19),  // Lee / King
            d(2026, 2, 16),  // Washington / Jefferson
            d(2026, 4, 27),  // Confederate Memorial Day
            d(2026, 5, 25),  // National Memorial Day
            d(2026, 6, 1),   // Jefferson Davis' birthday
            d(2026, 6, 19),  // Juneteenth (Fri)
            d(2026, 7, 3),   // July 4 is a Saturday: the preceding day is the holiday
            d(2026, 7, 4),   // and the day itself, failing safe
            d(2026, 9, 7),   // Labor Day
            d(2026, 10, 12), // Columbus / Fraternal / American Indian Heritage Day
            d(2026, 11, 11), // Veterans' Day (Wed)
            d(2026, 11, 26), // Thanksgiving
            d(2026, 12, 25), // Christmas (Fri)
        ];
        assert_eq!(holidays_of(HolidayCalendar::Alabama, 2026), expected);
    }

    #[test]
    fn alabama_2027_exact() {
        let expected = vec![
            d(2027, 1, 1),   // New Year's Day (Fri)
            d(2027, 1, 18),  // Lee / King
            d(2027, 2, 15),  // Washington / Jefferson
            d(2027, 4, 26),  // Confederate Memorial Day
            d(2027, 5, 31),  // National Memorial Day
            d(2027, 6, 7),   // Jefferson Davis' birthday
            d(2027, 6, 18),  // Juneteenth is a Saturday: Friday
            d(2027, 6, 19),  // and the day itself
            d(2027, 7, 4),   // Fourth of July is a Sunday
            d(2027, 7, 5),   // the following day is the holiday
            d(2027, 9, 6),   // Labor Day
            d(2027, 10, 11), // Columbus / Fraternal / American Indian Heritage Day
            d(2027, 11, 11), // Veterans' Day (Thu)
            d(2027, 11, 25), // Thanksgiving
            d(2027, 12, 24), // Christmas is a Saturday: the preceding day
            d(2027, 12, 25), // and the day itself
            d(2027, 12, 31), // New Year's Day 2028 is a Saturday: the preceding day
        ];
        assert_eq!(holidays_of(HolidayCalendar::Alabama, 2027), expected);
    }

    #[test]
    fn louisiana_2026_exact() {
        let expected = vec![
            d(2026, 1, 1),   // New Year's Day
            d(2026, 1, 8),   // Battle of New Orleans
            d(2026, 1, 19),  // Dr. Martin Luther King, Jr.'s Birthday
            d(2026, 2, 16),  // Washington's Birthday / Presidents' Day
            d(2026, 2, 17),  // Mardi Gras (Easter is April 5)
            d(2026, 4, 3),   // Good Friday
            d(2026, 5, 25),  // National Memorial Day
            d(2026, 7, 3),   // Independence Day is a Saturday: observed Friday
            d(2026, 7, 4),   // Independence Day
            d(2026, 8, 30),  // Huey P. Long Day (a Sunday: not shifted)
            d(2026, 9, 7),   // Labor Day
            d(2026, 10, 12), // Christopher Columbus Day
            d(2026, 11, 1),  // All Saints' Day
            d(2026, 11, 11), // Veterans' Day
            d(2026, 11, 26), // Thanksgiving
            d(2026, 12, 25), // Christmas
        ];
        assert_eq!(holidays_of(HolidayCalendar::Louisiana, 2026), expected);
    }

    #[test]
    fn louisiana_2027_exact() {
        let expected = vec![
            d(2027, 1, 1),   // New Year's Day
            d(2027, 1, 8),   // Battle of New Orleans
            d(2027, 1, 18),  // Dr. Martin Luther King, Jr.'s Birthday
            d(2027, 2, 9),   // Mardi Gras (Easter is March 28)
            d(2027, 2, 15),  // Washington's Birthday / Presidents' Day
            d(2027, 3, 26),  // Good Friday
            d(2027, 5, 31),  // National Memorial Day
            d(2027, 7, 4),   // Independence Day (Sunday)
            d(2027, 7, 5),   // observed Monday
            d(2027, 8, 30),  // Huey P. Long Day
            d(2027, 9, 6),   // Labor Day
            d(2027, 10, 11), // Christopher Columbus Day
            d(2027, 11, 1),  // All Saints' Day
            d(2027, 11, 11), // Veterans' Day
            d(2027, 11, 25), // Thanksgiving
            d(2027, 12, 24), // Christmas is a Saturday: observed Friday
            d(2027, 12, 25), // Christmas
            d(2027, 12, 31), // New Year's Day 2028 is a Saturday: observed Friday
        ];
        assert_eq!(holidays_of(HolidayCalendar::Louisiana, 2027), expected);
    }

    #[test]
    fn calendars_differ_where_the_laws_do() {
        // Confederate Memorial Day is Alabama's, not federal or Louisiana's.
        assert!(HolidayCalendar::Alabama.is_holiday(d(2026, 4, 27)));
        assert!(!HolidayCalendar::UsFederal.is_holiday(d(2026, 4, 27)));
        assert!(!HolidayCalendar::Louisiana.is_holiday(d(2026, 4, 27)));
        // Good Friday and All Saints' Day are Louisiana's only.
        assert!(HolidayCalendar::Louisiana.is_holiday(d(2027, 3, 26)));
        assert!(!HolidayCalendar::Alabama.is_holiday(d(2027, 3, 26)));
        assert!(!HolidayCalendar::UsFederal.is_holiday(d(2027, 11, 1)));
        // Juneteenth is not a Louisiana legal holiday under R.S. 1:55(A)(1).
        assert!(!HolidayCalendar::Louisiana.is_holiday(d(2026, 6, 19)));
        assert_eq!(HolidayCalendar::Alabama.name(), "Alabama state holidays");
    }
}
