//! Entry dates as 16-bit day codes: days since 1970-01-01, with the two top codes reserved.
//!
//! A registry date is a day (registered on; for `reassigned`, disconnected or reassigned on), so
//! 16 bits cover 1970-01-01 ..= 2149-06-04. "No date" is the largest code, so the earliest of
//! several codes is their minimum and a dated entry beats an undated one.

use chrono::{Datelike, NaiveDate};

/// The code stored for an entry without a date.
pub(crate) const NO_DATE: u16 = u16::MAX;
/// The code a delta segment stores for a deleted number (never in a base segment).
pub(crate) const TOMBSTONE: u16 = u16::MAX - 1;
/// The largest code that is a date.
const LAST_DATE_CODE: u16 = u16::MAX - 2;

/// Days from 0000-03-01 (proleptic Gregorian) to 1970-01-01, as `days_from_civil` counts.
const EPOCH_DAYS: i64 = 719_468;

/// The earliest date an entry can carry.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// The latest date an entry can carry.
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2149, 6, 4) {
    Some(date) => date,
    None => NaiveDate::MAX,
};

/// The code of `date`, or `None` outside [`EARLIEST_DATE`] ..= [`LATEST_DATE`].
pub(crate) fn encode(date: NaiveDate) -> Option<u16> {
    let days = days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    code_of_days(days)
}

/// The date a code stands for; `None` for [`NO_DATE`] and [`TOMBSTONE`].
pub(crate) fn decode(code: u16) -> Option<NaiveDate> {
    if code > LAST_DATE_CODE {
        return None;
    }
    EARLIEST_DATE.checked_add_days(chrono::Days::new(u64::from(code)))
}

/// Whether a stored code is valid in a segment of this kind.
pub(crate) fn code_is_valid(code: u16, tombstones_allowed: bool) -> bool {
    code != TOMBSTONE || tombstones_allowed
}

/// Why the date field of a line was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DateFieldError {
    Format,
    Range,
}

/// Reads `YYYY-MM-DD` straight to a code (the import hot path: no allocation, no chrono).
pub(crate) fn parse_ymd(field: &[u8]) -> Result<u16, DateFieldError> {
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *field else {
        return Err(DateFieldError::Format);
    };
    let year = four_digits([y1, y2, y3, y4]).ok_or(DateFieldError::Format)?;
    let month = four_digits([b'0', b'0', m1, m2]).ok_or(DateFieldError::Format)?;
    let day = four_digits([b'0', b'0', d1, d2]).ok_or(DateFieldError::Format)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(DateFieldError::Format);
    }
    code_of_days(days_from_civil(year, month, day)).ok_or(DateFieldError::Range)
}

fn four_digits(bytes: [u8; 4]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |value, &byte| {
        let digit = byte.wrapping_sub(b'0');
        (digit <= 9).then(|| value * 10 + i64::from(digit))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn code_of_days(days_since_epoch: i64) -> Option<u16> {
    u16::try_from(days_since_epoch)
        .ok()
        .filter(|&code| code <= LAST_DATE_CODE)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - EPOCH_DAYS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_text_and_chrono() {
        for code in 0..=LAST_DATE_CODE {
            let date = decode(code).unwrap();
            assert_eq!(encode(date), Some(code));
            let text = date.format("%Y-%m-%d").to_string();
            assert_eq!(parse_ymd(text.as_bytes()), Ok(code), "{text}");
        }
        assert_eq!(decode(0), Some(EARLIEST_DATE));
        assert_eq!(decode(LAST_DATE_CODE), Some(LATEST_DATE));
        assert_eq!(decode(NO_DATE), None);
        assert_eq!(decode(TOMBSTONE), None);
    }

    #[test]
    fn dates_outside_the_range_or_the_calendar_are_refused() {
        assert_eq!(parse_ymd(b"1969-12-31"), Err(DateFieldError::Range));
        assert_eq!(parse_ymd(b"2149-06-05"), Err(DateFieldError::Range));
        assert_eq!(parse_ymd(b"2023-02-29"), Err(DateFieldError::Format));
        assert_eq!(
            parse_ymd(b"2024-02-29"),
            Ok(encode(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()).unwrap())
        );
        assert_eq!(parse_ymd(b"2100-02-29"), Err(DateFieldError::Format));
        assert_eq!(parse_ymd(b"2021-13-01"), Err(DateFieldError::Format));
        assert_eq!(parse_ymd(b"2021-00-01"), Err(DateFieldError::Format));
        assert_eq!(parse_ymd(b"2021-04-31"), Err(DateFieldError::Format));
        assert_eq!(parse_ymd(b"2021-4-01"), Err(DateFieldError::Format));
        assert_eq!(parse_ymd(b"2021/04/01"), Err(DateFieldError::Format));
        assert_eq!(parse_ymd(b"20210401"), Err(DateFieldError::Format));
        assert_eq!(parse_ymd(b""), Err(DateFieldError::Format));
        assert_eq!(encode(NaiveDate::from_ymd_opt(1969, 12, 31).unwrap()), None);
        assert_eq!(encode(NaiveDate::MIN), None);
        assert_eq!(encode(NaiveDate::MAX), None);
    }

    #[test]
    fn deletions_are_valid_only_in_deltas() {
        assert!(code_is_valid(TOMBSTONE, true));
        assert!(code_is_valid(NO_DATE, false));
        assert!(!code_is_valid(TOMBSTONE, false));
    }
}
