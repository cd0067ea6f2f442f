//! Holiday calendars for jurisdictions that ban or restrict contact on holidays.
//!
//! Computed, not listed, so they hold for any year. Observed-date shifting follows each
//! jurisdiction's own law (a fixed-date holiday on a weekend moves to a weekday for some).

use chrono::{Datelike, NaiveDate, Weekday};

/// A jurisdiction's holiday calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolidayCalendar {
    /// The eleven US federal legal public holidays (5 U.S.C. 6103), with the federal
    /// observance shift (Saturday → Friday, Sunday → Monday).
    UsFederal,
}

impl HolidayCalendar {
    pub fn name(self) -> &'static str {
        match self {
            HolidayCalendar::UsFederal => "US federal holidays",
        }
    }

    /// Whether `date` is a holiday (or an observed holiday) in this calendar.
    pub fn is_holiday(self, date: NaiveDate) -> bool {
        match self {
            HolidayCalendar::UsFederal => us_federal(date),
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

/// Federal observance: a holiday on Saturday is observed Friday, on Sunday, Monday.
fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d.pred_opt().unwrap_or(d),
        Weekday::Sun => d.succ_opt().unwrap_or(d),
        _ => d,
    }
}

fn us_federal(date: NaiveDate) -> bool {
    let y = date.year();
    let fixed = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)];
    let fixed_hit = fixed.iter().any(|&(m, d)| {
        NaiveDate::from_ymd_opt(y, m, d).is_some_and(|h| h == date || observed(h) == date)
    }) || NaiveDate::from_ymd_opt(y + 1, 1, 1).is_some_and(|h| observed(h) == date);
    let floating = [
        nth_weekday(y, 1, Weekday::Mon, 3),  // Birthday of Martin Luther King, Jr.
        nth_weekday(y, 2, Weekday::Mon, 3),  // Washington's Birthday
        nth_weekday(y, 5, Weekday::Mon, 0),  // Memorial Day
        nth_weekday(y, 9, Weekday::Mon, 1),  // Labor Day
        nth_weekday(y, 10, Weekday::Mon, 2), // Columbus Day
        nth_weekday(y, 11, Weekday::Thu, 4), // Thanksgiving Day
    ];
    fixed_hit || floating.iter().flatten().any(|h| *h == date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
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
}
