//! Holiday calendars through the public API: exact holiday lists per year (observed dates
//! included), 2026–2030 for every calendar (US federal, Alabama, Louisiana, Utah, Pennsylvania,
//! Rhode Island), and the shared building blocks (Easter, n-th weekday).
//!
//! The expected lists were computed independently (a separate script on Python's calendar)
//! and checked by hand against the statutes' observance rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Datelike, NaiveDate, Weekday};
use gate::holidays::{HolidayCalendar, easter_sunday};

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

/// `MM-DD` strings of one year.
fn days(year: i32, list: &[&str]) -> Vec<NaiveDate> {
    list.iter()
        .map(|md| {
            NaiveDate::parse_from_str(&format!("{year}-{md}"), "%Y-%m-%d")
                .unwrap_or_else(|e| panic!("{md}: {e}"))
        })
        .collect()
}

#[test]
fn utah_2026_to_2030_exact() {
    // Every Sunday is a Utah legal holiday (§ 63G-1-301(1)(c)); the weekdays and Saturdays:
    let expected: [(i32, &[&str]); 5] = [
        (
            2026,
            &[
                "01-01", "01-19", "02-16", "05-25",
                "06-15", // Juneteenth (Fri 19th) observed the preceding Monday
                "06-19", "07-03", // Independence Day (Sat) observed Friday
                "07-04", "07-24", "09-07", "10-12", "11-11", "11-26", "12-25",
            ],
        ),
        (
            2027,
            &[
                "01-01", "01-18", "02-15", "03-26", // Good Friday, from 2027
                "05-31", "06-19", "06-21", // Juneteenth (Sat) observed the following Monday
                "07-05", // Independence Day (Sun) observed Monday
                "07-23", "07-24", // Pioneer Day (Sat) observed Friday
                "09-06", "10-11", "11-11", "11-25", "12-24", "12-25", "12-31",
            ],
        ), // New Year's Day 2028 (Sat) observed Friday
        (
            2028,
            &[
                "01-01", "01-17", "02-21", "04-14", "05-29", "06-19", "07-04", "07-24", "09-04",
                "10-09", "11-10", "11-11", "11-23", "12-25",
            ],
        ),
        (
            2029,
            &[
                "01-01", "01-15", "02-19", "03-30", "05-28", "06-18", "06-19", "07-04", "07-24",
                "09-03", "10-08", "11-12", // Veterans Day (Sun) observed Monday
                "11-22", "12-25",
            ],
        ),
        (
            2030,
            &[
                "01-01", "01-21", "02-18", "04-19", "05-27", "06-17", "06-19", "07-04", "07-24",
                "09-02", "10-14", "11-11", "11-28", "12-25",
            ],
        ),
    ];
    for (year, list) in expected {
        let all = holidays_of(HolidayCalendar::Utah, year);
        assert!(all.iter().all(|d| d.year() == year));
        let sundays = all.iter().filter(|d| d.weekday() == Weekday::Sun).count();
        let every_sunday = (1..=366)
            .filter_map(|n| NaiveDate::from_yo_opt(year, n))
            .filter(|d| d.weekday() == Weekday::Sun)
            .count();
        assert_eq!(sundays, every_sunday, "{year}: every Sunday");
        let others: Vec<NaiveDate> = all
            .into_iter()
            .filter(|d| d.weekday() != Weekday::Sun)
            .collect();
        assert_eq!(others, days(year, list), "Utah {year}");
    }
    // Pioneer Day is Utah's alone.
    assert!(!HolidayCalendar::UsFederal.is_holiday(d(2026, 7, 24)));
}

#[test]
fn pennsylvania_2026_to_2030_exact() {
    let expected: [(i32, &[&str]); 5] = [
        (
            2026,
            &[
                "01-01", "01-19", "02-16", "04-03", // Good Friday
                "05-25", "06-14", "06-15", // Flag Day (Sun) and the Monday after
                "07-04", "09-07", "10-12", "11-03", // Election Day
                "11-11", "11-26", "12-25",
            ],
        ),
        (
            2027,
            &[
                "01-01", "01-18", "02-15", "03-26", "05-31", "06-14", "07-04", "07-05", "09-06",
                "10-11", "11-02", "11-11", "11-25", "12-25",
            ],
        ),
        (
            2028,
            &[
                "01-01", "01-17", "02-21", "04-14", "05-29", "06-14", "07-04", "09-04", "10-09",
                "11-07", "11-11", "11-23", "12-25",
            ],
        ),
        (
            2029,
            &[
                "01-01", "01-15", "02-19", "03-30", "05-28", "06-14", "07-04", "09-03", "10-08",
                "11-06", "11-11", "11-12", "11-22", "12-25",
            ],
        ),
        (
            2030,
            &[
                "01-01", "01-21", "02-18", "04-19", "05-27", "06-14", "07-04", "09-02", "10-14",
                "11-05", "11-11", "11-28", "12-25",
            ],
        ),
    ];
    for (year, list) in expected {
        assert_eq!(
            holidays_of(HolidayCalendar::Pennsylvania, year),
            days(year, list),
            "Pennsylvania {year}"
        );
    }
    // No Friday shift: a Saturday Independence Day (2026) does not close Friday July 3.
    assert!(!HolidayCalendar::Pennsylvania.is_holiday(d(2026, 7, 3)));
}

#[test]
fn rhode_island_2026_to_2030_exact() {
    let expected: [(i32, &[&str]); 5] = [
        (
            2026,
            &[
                "01-01", "01-19", "02-16", "05-04", // Rhode Island Independence Day
                "05-25", "06-19",
                "07-03", // federal observance of a Saturday Independence Day
                "07-04", "07-06", // state observance: the following Monday
                "08-10", // Victory Day
                "09-07", "10-12", "11-03", // election day (even year)
                "11-11", "11-26", "12-25",
            ],
        ),
        (
            2027,
            &[
                "01-01", "01-18", "02-15", "05-04", "05-31", "06-18", "06-19", "07-04", "07-05",
                "08-09", "09-06", "10-11", "11-11", "11-25", "12-24", "12-25",
                "12-27", // Christmas (Sat) observed the following Monday
                "12-31",
            ],
        ), // New Year's Day 2028 (Sat), federal observance
        (
            2028,
            &[
                "01-01", "01-03", // New Year's Day (Sat) observed the following Monday
                "01-17", "02-21", "05-04", "05-29", "06-19", "07-04", "08-14", "09-04", "10-09",
                "11-07", "11-10", "11-11", "11-13", "11-23", "12-25",
            ],
        ),
        (
            2029,
            &[
                "01-01", "01-15", "02-19", "05-04", "05-28", "06-19", "07-04", "08-13", "09-03",
                "10-08", "11-11", "11-12", "11-22", "12-25",
            ],
        ),
        (
            2030,
            &[
                "01-01", "01-21", "02-18",
                "05-04", // a Saturday: May 4 moves only from a Sunday
                "05-27", "06-19", "07-04", "08-12", "09-02", "10-14", "11-05", "11-11", "11-28",
                "12-25",
            ],
        ),
    ];
    for (year, list) in expected {
        assert_eq!(
            holidays_of(HolidayCalendar::RhodeIsland, year),
            days(year, list),
            "Rhode Island {year}"
        );
    }
    // No election day in odd years.
    assert!(!HolidayCalendar::RhodeIsland.is_holiday(d(2027, 11, 2)));
}

#[test]
fn us_federal_2026_to_2030_exact() {
    // 5 U.S.C. 6103 with the federal observance (Saturday → Friday, Sunday → Monday); the
    // calendar date counts too. OPM's published lists are the same minus the weekend dates.
    let expected: [(i32, &[&str]); 5] = [
        (
            2026,
            &[
                "01-01", "01-19", "02-16", "05-25", "06-19",
                "07-03", // Independence Day (Sat) observed Friday
                "07-04", "09-07", "10-12", "11-11", "11-26", "12-25",
            ],
        ),
        (
            2027,
            &[
                "01-01", "01-18", "02-15", "05-31",
                "06-18", // Juneteenth (Sat) observed Friday
                "06-19", "07-04", "07-05", // Independence Day (Sun) observed Monday
                "09-06", "10-11", "11-11", "11-25",
                "12-24", // Christmas (Sat) observed Friday
                "12-25", "12-31", // New Year's Day 2028 (Sat) observed Friday
            ],
        ),
        (
            2028,
            &[
                "01-01", // a Saturday: observed 2027-12-31
                "01-17", "02-21", "05-29", "06-19", "07-04", "09-04", "10-09",
                "11-10", // Veterans Day (Sat) observed Friday
                "11-11", "11-23", "12-25",
            ],
        ),
        (
            2029,
            &[
                "01-01", "01-15", "02-19", "05-28", "06-19", "07-04", "09-03", "10-08", "11-11",
                "11-12", // Veterans Day (Sun) observed Monday
                "11-22", "12-25",
            ],
        ),
        (
            2030,
            &[
                "01-01", "01-21", "02-18", "05-27", "06-19", "07-04", "09-02", "10-14", "11-11",
                "11-28", "12-25",
            ],
        ),
    ];
    for (year, list) in expected {
        assert_eq!(
            holidays_of(HolidayCalendar::UsFederal, year),
            days(year, list),
            "US federal {year}"
        );
    }
}

#[test]
fn alabama_2028_to_2030_exact() {
    let expected: [(i32, &[&str]); 3] = [
        (
            2028,
            &[
                "01-01", // a Saturday: the preceding day (2027-12-31) is the holiday
                "01-17", "02-21", "04-24", // Confederate Memorial Day
                "05-29", "06-05", // Jefferson Davis' birthday
                "06-19", "07-04", "09-04", "10-09",
                "11-10", // Veterans' Day (Sat): the preceding day
                "11-11", "11-23", "12-25",
            ],
        ),
        (
            2029,
            &[
                "01-01", "01-15", "02-19", "04-23", "05-28", "06-04", "06-19", "07-04", "09-03",
                "10-08", "11-11", "11-12", // Veterans' Day (Sun): the following day
                "11-22", "12-25",
            ],
        ),
        (
            2030,
            &[
                "01-01", "01-21", "02-18", "04-22", "05-27", "06-03", "06-19", "07-04", "09-02",
                "10-14", "11-11", "11-28", "12-25",
            ],
        ),
    ];
    for (year, list) in expected {
        assert_eq!(
            holidays_of(HolidayCalendar::Alabama, year),
            days(year, list),
            "Alabama {year}"
        );
    }
}

#[test]
fn louisiana_2028_to_2030_exact() {
    let expected: [(i32, &[&str]); 3] = [
        (
            2028,
            &[
                "01-01", // a Saturday: observed 2027-12-31
                "01-08", // Battle of New Orleans (Sat: not shifted)
                "01-17", "02-21", "02-29", // Mardi Gras (Easter is April 16)
                "04-14", // Good Friday
                "05-29", "07-04", "08-30", "09-04", "10-09", "11-01",
                "11-11", // Veterans' Day (Sat: not shifted)
                "11-23", "12-25",
            ],
        ),
        (
            2029,
            &[
                "01-01", "01-08", "01-15", "02-13", // Mardi Gras (Easter is April 1)
                "02-19", "03-30", "05-28", "07-04", "08-30", "09-03", "10-08", "11-01",
                "11-11", // Veterans' Day (Sun: not shifted)
                "11-22", "12-25",
            ],
        ),
        (
            2030,
            &[
                "01-01", "01-08", "01-21", "02-18",
                "03-05", // Mardi Gras (Easter is April 21)
                "04-19", "05-27", "07-04", "08-30", "09-02", "10-14", "11-01", "11-11", "11-28",
                "12-25",
            ],
        ),
    ];
    for (year, list) in expected {
        assert_eq!(
            holidays_of(HolidayCalendar::Louisiana, year),
            days(year, list),
            "Louisiana {year}"
        );
    }
}

#[test]
fn calendars_hold_for_any_year() {
    // Computed, not listed: far years work and keep their structure.
    for year in [1990, 2050, 2100, 2200] {
        for cal in [
            HolidayCalendar::UsFederal,
            HolidayCalendar::Alabama,
            HolidayCalendar::Louisiana,
            HolidayCalendar::Utah,
            HolidayCalendar::Pennsylvania,
            HolidayCalendar::RhodeIsland,
        ] {
            let n = holidays_of(cal, year).len();
            assert!((11..=80).contains(&n), "{cal:?} {year}: {n}");
            assert!(cal.is_holiday(d(year, 12, 25)), "{cal:?} {year}");
        }
    }
}
