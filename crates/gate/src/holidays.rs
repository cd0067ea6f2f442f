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
    /// Utah's legal holidays, Utah Code § 63G-1-301 (as in force from 2025-05-07, and the
    /// 2026-05-06 version that adds Good Friday): New Year's Day, Independence Day, Pioneer Day
    /// (July 24), Veterans Day and Christmas, each observed on the preceding Friday when on a
    /// Saturday and the following Monday when on a Sunday; Dr. Martin Luther King, Jr. Day
    /// (third Monday in January); Washington and Lincoln Day / Presidents' Day (third Monday in
    /// February); Memorial Day (last Monday in May); Labor Day; Columbus Day (second Monday in
    /// October); Thanksgiving (fourth Thursday in November); Easter Sunday; Juneteenth National
    /// Freedom Day (June 19, from 2022), observed on the preceding Monday when it falls
    /// Tuesday–Friday and on the following Monday when it falls on a weekend; Good Friday (from
    /// 2027: the 2026 version adds it "subject to Subsection (6)", a condition not read, so the
    /// gate counts it); and every Sunday (the Utah rule closes Sundays by itself).
    ///
    /// Leaves out days the President or the Governor proclaims.
    Utah,
    /// The legal holidays of Pennsylvania's telemarketing holiday ban, 73 P.S. § 2245(a)(10)
    /// (Act 73 of 2019): New Year's Day, Martin Luther King, Jr. Day (third Monday in January),
    /// Presidents' Day (third Monday in February), Good Friday, Memorial Day (last Monday in
    /// May), Flag Day (June 14), Independence Day, Labor Day, Columbus Day (second Monday in
    /// October), Election Day (the Tuesday after the first Monday in November: Pennsylvania
    /// votes every November), Veterans Day (November 11), Thanksgiving (fourth Thursday in
    /// November), Christmas Day. A fixed-date holiday on a Sunday also counts on the following
    /// Monday (Pennsylvania's general rule for legal holidays, assumed here: fail safe).
    Pennsylvania,
    /// Rhode Island's § 5-61-3.6 closes "a state or federal holiday": the state holidays of
    /// R.I. Gen. Laws § 25-1-1 — New Year's Day, Independence Day, Veterans' Day and Christmas
    /// (a Saturday or Sunday date observed the following Monday), Dr. Martin Luther King, Jr.'s
    /// Birthday (third Monday in January), Washington's Birthday (third Monday in February),
    /// Rhode Island Independence Day (May 4; on a Sunday, the Monday after), Memorial Day (last
    /// Monday in May), Victory Day (second Monday in August), Labor Day, Columbus Day (second
    /// Monday in October), election day (the Tuesday after the first Monday in November in
    /// even years, when state officers are elected) and Thanksgiving (a day of thanksgiving the
    /// President appoints) — and the federal holidays of 5 U.S.C. 6103 with their federal
    /// observance (Juneteenth included; a Saturday holiday observed on Friday).
    RhodeIsland,
}

impl HolidayCalendar {
    pub fn name(self) -> &'static str {
        match self {
            HolidayCalendar::UsFederal => "US federal holidays",
            HolidayCalendar::Alabama => "Alabama state holidays",
            HolidayCalendar::Louisiana => "Louisiana legal holidays",
            HolidayCalendar::Utah => "Utah legal holidays",
            HolidayCalendar::Pennsylvania => "Pennsylvania legal holidays",
            HolidayCalendar::RhodeIsland => "Rhode Island state and federal holidays",
        }
    }

    /// Whether `date` is a holiday (or an observed holiday) in this calendar.
    pub fn is_holiday(self, date: NaiveDate) -> bool {
        match self {
            HolidayCalendar::UsFederal => us_federal(date),
            HolidayCalendar::Alabama => alabama(date),
            HolidayCalendar::Louisiana => louisiana(date),
            HolidayCalendar::Utah => utah(date),
            HolidayCalendar::Pennsylvania => pennsylvania(date),
            HolidayCalendar::RhodeIsland => rhode_island(date),
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

/// How a jurisdiction moves a fixed-date holiday that falls on a weekend. The calendar date
/// itself always counts too (fail safe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shift {
    /// Not moved.
    None,
    /// Federal: Saturday → Friday, Sunday → Monday.
    Federal,
    /// Sunday → Monday only.
    SundayToMonday,
    /// Saturday or Sunday → the following Monday.
    WeekendToMonday,
}

fn observed(d: NaiveDate, shift: Shift) -> NaiveDate {
    let moved = match (shift, d.weekday()) {
        (Shift::Federal, Weekday::Sat) => d.pred_opt(),
        (Shift::Federal | Shift::SundayToMonday | Shift::WeekendToMonday, Weekday::Sun) => {
            d.succ_opt()
        }
        (Shift::WeekendToMonday, Weekday::Sat) => d.checked_add_signed(Duration::days(2)),
        _ => Some(d),
    };
    moved.unwrap_or(d)
}

/// Whether `date` is one of the fixed `(month, day)` holidays, or the day one of them is
/// observed on. Looks at the neighbouring years too, so a Saturday New Year's Day is found on
/// December 31 of the year before.
fn fixed_hit(date: NaiveDate, fixed: &[(u32, u32)], shift: Shift) -> bool {
    let y = date.year();
    [y - 1, y, y + 1].into_iter().any(|year| {
        fixed.iter().any(|&(m, d)| {
            NaiveDate::from_ymd_opt(year, m, d)
                .is_some_and(|h| h == date || observed(h, shift) == date)
        })
    })
}

/// The Tuesday after the first Monday in November.
fn election_day(year: i32) -> Option<NaiveDate> {
    nth_weekday(year, 11, Weekday::Mon, 1).and_then(|d| d.succ_opt())
}

/// The federal holidays of 5 U.S.C. 6103 that fall on a fixed weekday.
fn federal_floating(y: i32) -> [Option<NaiveDate>; 6] {
    [
        nth_weekday(y, 1, Weekday::Mon, 3), // Birthday of Martin Luther King, Jr.
        nth_weekday(y, 2, Weekday::Mon, 3), // Washington's Birthday
        nth_weekday(y, 5, Weekday::Mon, 0), // Memorial Day
        nth_weekday(y, 9, Weekday::Mon, 1), // Labor Day
        nth_weekday(y, 10, Weekday::Mon, 2), // Columbus Day
        nth_weekday(y, 11, Weekday::Thu, 4), // Thanksgiving Day
    ]
}

fn us_federal(date: NaiveDate) -> bool {
    let fixed = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)];
    fixed_hit(date, &fixed, Shift::Federal)
        || federal_floating(date.year())
            .iter()
            .flatten()
            .any(|h| *h == date)
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
    fixed_hit(date, &fixed, Shift::Federal) || floating.iter().flatten().any(|h| *h == date)
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
    fixed_hit(date, &shifted, Shift::Federal)
        || fixed_hit(date, &unshifted, Shift::None)
        || floating.iter().flatten().any(|h| *h == date)
}

fn utah(date: NaiveDate) -> bool {
    let y = date.year();
    // New Year's Day, Independence Day, Pioneer Day, Veterans Day, Christmas.
    let fixed = [(1, 1), (7, 4), (7, 24), (11, 11), (12, 25)];
    let easter = easter_sunday(y);
    let good_friday = easter
        .filter(|_| y >= 2027)
        .and_then(|e| e.checked_sub_signed(Duration::days(2)));
    date.weekday() == Weekday::Sun
        || fixed_hit(date, &fixed, Shift::Federal)
        || federal_floating(y).iter().flatten().any(|h| *h == date)
        || [easter, good_friday].iter().flatten().any(|h| *h == date)
        || utah_juneteenth(date)
}

/// June 19 (from 2022) and the Monday Utah observes it on: the preceding Monday when it
/// falls Tuesday–Friday, the following Monday on a weekend.
fn utah_juneteenth(date: NaiveDate) -> bool {
    let y = date.year();
    let Some(june19) = NaiveDate::from_ymd_opt(y, 6, 19).filter(|_| y >= 2022) else {
        return false;
    };
    let observed = match june19.weekday() {
        Weekday::Sat => june19.checked_add_signed(Duration::days(2)),
        Weekday::Sun => june19.succ_opt(),
        wd => june19.checked_sub_signed(Duration::days(i64::from(wd.num_days_from_monday()))),
    };
    date == june19 || observed == Some(date)
}

fn pennsylvania(date: NaiveDate) -> bool {
    let y = date.year();
    // New Year's Day, Flag Day, Independence Day, Veterans Day, Christmas.
    let fixed = [(1, 1), (6, 14), (7, 4), (11, 11), (12, 25)];
    let floating = [
        nth_weekday(y, 1, Weekday::Mon, 3), // Martin Luther King, Jr. Day
        nth_weekday(y, 2, Weekday::Mon, 3), // Presidents' Day
        easter_sunday(y).and_then(|e| e.checked_sub_signed(Duration::days(2))), // Good Friday
        nth_weekday(y, 5, Weekday::Mon, 0), // Memorial Day
        nth_weekday(y, 9, Weekday::Mon, 1), // Labor Day
        nth_weekday(y, 10, Weekday::Mon, 2), // Columbus Day
        election_day(y),                    // Election Day
        nth_weekday(y, 11, Weekday::Thu, 4), // Thanksgiving Day
    ];
    fixed_hit(date, &fixed, Shift::SundayToMonday) || floating.iter().flatten().any(|h| *h == date)
}

fn rhode_island(date: NaiveDate) -> bool {
    let y = date.year();
    // § 25-1-1: these four move to the Monday from a Saturday or a Sunday.
    let weekend_to_monday = [(1, 1), (7, 4), (11, 11), (12, 25)];
    // Rhode Island Independence Day moves from a Sunday only.
    let sunday_to_monday = [(5, 4)];
    let floating = [
        nth_weekday(y, 8, Weekday::Mon, 2),               // Victory Day
        election_day(y).filter(|_| y.rem_euclid(2) == 0), // election day (state officers)
    ];
    us_federal(date)
        || fixed_hit(date, &weekend_to_monday, Shift::WeekendToMonday)
        || fixed_hit(date, &sunday_to_monday, Shift::SundayToMonday)
        || floating.iter().flatten().any(|h| *h == date)
}
