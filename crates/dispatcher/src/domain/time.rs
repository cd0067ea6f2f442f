//! Client-supplied instants: RFC 3339 only (`2026-11-25T18:00:00Z`, `…+01:00`, fractions of a
//! second allowed), a four-digit year between 1970 and 9999. chrono alone would also take a
//! space for `T` and years such as `+10000` or `-262143`, whose arithmetic later overflows;
//! every time field of every request goes through [`parse_instant`] (the `rfc3339` serde
//! helpers), so nothing outside that range reaches the store or the gate.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// The earliest instant a client may name.
pub const EARLIEST: &str = "1970-01-01T00:00:00Z";
/// Years after this one are refused.
pub const LAST_YEAR: i32 = 9999;

/// Parses an RFC 3339 instant within the accepted range, or says what is wrong.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    let expected = "an RFC 3339 instant such as 2026-11-25T18:00:00Z";
    if !shape_ok(s.as_bytes()) {
        return Err(format!("`{s}` is not {expected}"));
    }
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("`{s}` is not {expected} ({e})"))?
        .with_timezone(&Utc);
    if t.timestamp() < 0 || t.year() > LAST_YEAR {
        return Err(format!(
            "`{s}` is out of range (from {EARLIEST} to the end of {LAST_YEAR})"
        ));
    }
    Ok(t)
}

/// Parses a calendar date `YYYY-MM-DD` within the same range.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let shaped = b.len() == 10
        && digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10);
    let d = shaped
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| format!("`{s}` is not a date such as 2026-11-25"))?;
    if d.year() < 1970 || d.year() > LAST_YEAR {
        return Err(format!("`{s}` is out of range (1970 to {LAST_YEAR})"));
    }
    Ok(d)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, byte by byte.
fn shape_ok(b: &[u8]) -> bool {
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let is = |i: usize, c: u8| b.get(i) == Some(&c);
    let fixed = (0..4).all(digit)
        && is(4, b'-')
        && digit(5)
        && digit(6)
        && is(7, b'-')
        && digit(8)
        && digit(9)
        && (is(10, b'T') || is(10, b't'))
        && digit(11)
        && digit(12)
        && is(13, b':')
        && digit(14)
        && digit(15)
        && is(16, b':')
        && digit(17)
        && digit(18);
    if !fixed {
        return false;
    }
    let mut i = 19;
    if is(i, b'.') {
        let start = i + 1;
        i = start;
        while digit(i) {
            i += 1;
        }
        if i == start || i - start > 9 {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && digit(i + 1)
                && digit(i + 2)
                && is(i + 3, b':')
                && digit(i + 4)
                && digit(i + 5)
        }
        _ => false,
    }
}

/// The API's form of an instant: UTC, `Z`, no more digits than needed.
pub fn format_instant(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `#[serde(with = "time::rfc3339")]` on a `DateTime<Utc>` field.
pub mod rfc3339 {
    use super::*;

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_instant(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_instant(&s).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(default, with = "time::rfc3339_opt")]` on an `Option<DateTime<Utc>>` field.
pub mod rfc3339_opt {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_instant(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let s = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
        s.map(|s| parse_instant(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rfc3339_within_range() {
        for ok in [
            "2026-11-25T18:00:00Z",
            "2026-11-25T18:00:00.123Z",
            "2026-11-25t18:00:00z",
            "2026-11-25T19:00:00+01:00",
            "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            assert!(parse_instant(ok).is_ok(), "{ok}");
        }
        for bad in [
            "-262143-01-01T00:00:01Z",
            "+10000-01-01T00:00:00Z",
            "2026-11-25 18:00:00Z",
            "2026-11-25T18:00:00",
            "2026-11-25",
            "2026-13-25T18:00:00Z",
            "2026-11-25T18:00:00.Z",
            "2026-11-25T18:00:00.1234567890Z",
            "1969-12-31T23:59:59Z",
            "2026-11-25T18:00:00+0100",
            "",
            "now",
        ] {
            assert!(parse_instant(bad).is_err(), "{bad}");
        }
        assert!(parse_date("2021-01-01").is_ok());
        for bad in [
            "2021-1-01",
            "20210101",
            "2021-02-30",
            "0001-01-01",
            "2021-01-01T00:00:00Z",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
