//! The key of a registry entry: a telephone number as E.164 digits.
//!
//! NANP numbers (+1) are what the US registries hold; they are stored by area code (NPA) and
//! exchange (NXX), so their key splits into those parts. Every other country's number is kept
//! whole in a small sorted side table.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A telephone number as the registries key it: its E.164 digits read as an integer
/// (`+1 201 555 0123` is `12015550123`). Country codes never start with 0, so the integer names
/// the digit string exactly.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Number(u64);

/// Why a text or integer is not a number a registry can hold.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Error)]
pub enum NumberError {
    #[error("not a telephone number (digits, optionally after a leading `+`)")]
    NotDigits,
    #[error(
        "{digits} digits: expected a 10-digit US number, 1 and 10 digits, or E.164 (+ and 7 to 15 digits)"
    )]
    Length { digits: usize },
    #[error("area code {npa:03} is not a US area code (2-9, then two digits, not N11)")]
    AreaCode { npa: u16 },
    #[error("exchange {nxx:03} is not a US exchange code (it must start with 2-9)")]
    Exchange { nxx: u16 },
    #[error("E.164 country codes never start with 0")]
    CountryCode,
}

/// Area codes and exchanges run 200..=999: 800 values each, stored as indexes `code − 200`.
pub(crate) const CODES: u16 = 800;
pub(crate) const NANP_CODES: usize = CODES as usize;
/// Line numbers (the last four digits) run 0..=9999.
pub(crate) const LINES_PER_EXCHANGE: u16 = 10_000;

const NANP_FIRST: u64 = 10_000_000_000; // +1 000 000 0000
const NANP_END: u64 = 20_000_000_000;
const E164_MIN_DIGITS: usize = 7;
const E164_MAX_DIGITS: usize = 15;

/// A NANP number split the way segments store it: area code and exchange as indexes 0..800
/// (code − 200), and the 4-digit line number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct NanpKey {
    pub(crate) npa: u16,
    pub(crate) nxx: u16,
    pub(crate) line: u16,
}

/// Where a number lives in a segment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Key {
    Nanp(NanpKey),
    /// Any other E.164 number, whole.
    Intl(u64),
}

impl Number {
    /// A number from its E.164 digits read as an integer, checked as the import lines are:
    /// +1 numbers must be valid NANP numbers, others must have 7 to 15 digits.
    pub fn from_e164_digits(digits: u64) -> Result<Number, NumberError> {
        let (length, leading) = decimal_length_and_leading_digit(digits);
        if (NANP_FIRST..NANP_END).contains(&digits) {
            nanp_key(digits - NANP_FIRST)?;
            return Ok(Number(digits));
        }
        if leading == 1 {
            // Country code 1 with the wrong number of digits.
            return Err(NumberError::Length { digits: length });
        }
        if !(E164_MIN_DIGITS..=E164_MAX_DIGITS).contains(&length) {
            return Err(NumberError::Length { digits: length });
        }
        Ok(Number(digits))
    }

    /// The NANP number `+1 NPA NXX LINE`.
    pub fn nanp(npa: u16, nxx: u16, line: u16) -> Result<Number, NumberError> {
        if npa > 999 {
            return Err(NumberError::AreaCode { npa });
        }
        if nxx > 999 {
            return Err(NumberError::Exchange { nxx });
        }
        if line >= LINES_PER_EXCHANGE {
            return Err(NumberError::Length { digits: 11 });
        }
        let national = u64::from(npa) * 10_000_000 + u64::from(nxx) * 10_000 + u64::from(line);
        nanp_key(national)?;
        Ok(Number(NANP_FIRST + national))
    }

    /// The E.164 digits as an integer (`+12015550123` → `12015550123`).
    pub fn e164_digits(self) -> u64 {
        self.0
    }

    /// Whether this is a +1 (NANP: US, Canada, Caribbean) number.
    pub fn is_nanp(self) -> bool {
        (NANP_FIRST..NANP_END).contains(&self.0)
    }

    pub(crate) fn key(self) -> Key {
        match self.0.checked_sub(NANP_FIRST) {
            Some(national) if self.0 < NANP_END => Key::Nanp(split_nanp(national)),
            _ => Key::Intl(self.0),
        }
    }

    pub(crate) fn from_key(key: Key) -> Number {
        match key {
            Key::Nanp(k) => Number(
                NANP_FIRST
                    + (u64::from(k.npa) + 200) * 10_000_000
                    + (u64::from(k.nxx) + 200) * 10_000
                    + u64::from(k.line),
            ),
            Key::Intl(digits) => Number(digits),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

/// The import line formats: a 10-digit US number, `1` and 10 digits, or `+` and E.164 digits.
impl FromStr for Number {
    type Err = NumberError;

    fn from_str(text: &str) -> Result<Number, NumberError> {
        parse_number(text.trim().as_bytes()).map(Number::from_key)
    }
}

/// Parses the number field of an import line (already trimmed) straight to its storage key:
/// the hot path of an import, so it reads bytes and never allocates.
pub(crate) fn parse_number(field: &[u8]) -> Result<Key, NumberError> {
    let (plus, digits) = match field.split_first() {
        Some((b'+', rest)) => (true, rest),
        _ => (false, field),
    };
    if digits.is_empty() || digits.len() > E164_MAX_DIGITS {
        return Err(if digits.iter().all(u8::is_ascii_digit) {
            NumberError::Length {
                digits: digits.len(),
            }
        } else {
            NumberError::NotDigits
        });
    }
    let mut value: u64 = 0;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return Err(NumberError::NotDigits);
        }
        value = value * 10 + u64::from(digit);
    }
    let first = digits.first().copied().unwrap_or(b'0');
    match (plus, digits.len(), first) {
        (false, 10, _) => nanp_key(value).map(Key::Nanp),
        (_, 11, b'1') => nanp_key(value - NANP_FIRST).map(Key::Nanp),
        (true, _, b'1') | (false, _, _) => Err(NumberError::Length {
            digits: digits.len(),
        }),
        (true, _, b'0') => Err(NumberError::CountryCode),
        (true, length, _) if length < E164_MIN_DIGITS => {
            Err(NumberError::Length { digits: length })
        }
        (true, _, _) => Ok(Key::Intl(value)),
    }
}

/// Checks a 10-digit national number (`NPA NXX XXXX` as an integer below 10^10): the area code
/// is 2-9 then two digits and not an N11 service code; the exchange starts with 2-9.
fn nanp_key(national: u64) -> Result<NanpKey, NumberError> {
    let key = split_nanp(national);
    let npa = key.npa.wrapping_add(200);
    let nxx = key.nxx.wrapping_add(200);
    // split_nanp leaves codes below 200 wrapped to large indexes.
    if usize::from(key.npa) >= NANP_CODES || npa % 100 == 11 {
        return Err(NumberError::AreaCode { npa });
    }
    if usize::from(key.nxx) >= NANP_CODES {
        return Err(NumberError::Exchange { nxx });
    }
    Ok(key)
}

/// Splits a national number below 10^10; codes are returned as `code − 200`, wrapping for
/// codes below 200 (the caller rejects those).
#[allow(clippy::cast_possible_truncation)] // each part is below 10,000 by construction
fn split_nanp(national: u64) -> NanpKey {
    let npa = (national / 10_000_000) as u16;
    let nxx = (national / 10_000 % 1000) as u16;
    let line = (national % 10_000) as u16;
    NanpKey {
        npa: npa.wrapping_sub(200),
        nxx: nxx.wrapping_sub(200),
        line,
    }
}

fn decimal_length_and_leading_digit(mut value: u64) -> (usize, u64) {
    let mut length = 1;
    while value >= 10 {
        value /= 10;
        length += 1;
    }
    (length, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Number, NumberError> {
        text.parse()
    }

    #[test]
    fn ten_digit_e164_and_eleven_digit_forms_agree() {
        let ten = parse("2015550123").unwrap();
        assert_eq!(ten, parse("+12015550123").unwrap());
        assert_eq!(ten, parse("12015550123").unwrap());
        assert_eq!(ten.e164_digits(), 12_015_550_123);
        assert_eq!(ten.to_string(), "+12015550123");
        assert!(ten.is_nanp());
        assert_eq!(ten, Number::nanp(201, 555, 123).unwrap());
    }

    #[test]
    fn invalid_nanp_codes_are_rejected() {
        assert_eq!(parse("1015550123"), Err(NumberError::AreaCode { npa: 101 }));
        assert_eq!(parse("0015550123"), Err(NumberError::AreaCode { npa: 1 }));
        assert_eq!(parse("9115550123"), Err(NumberError::AreaCode { npa: 911 }));
        assert_eq!(parse("2011550123"), Err(NumberError::Exchange { nxx: 155 }));
        assert_eq!(
            parse("+12010550123"),
            Err(NumberError::Exchange { nxx: 55 })
        );
        // N11 exchanges exist in a few areas: accepted.
        assert!(parse("2014110123").is_ok());
        assert!(parse("9995550123").is_ok());
    }

    #[test]
    fn lengths_and_characters() {
        assert_eq!(parse("201555012"), Err(NumberError::Length { digits: 9 }));
        assert_eq!(
            parse("+1201555012"),
            Err(NumberError::Length { digits: 10 })
        );
        assert_eq!(
            parse("22015550123"),
            Err(NumberError::Length { digits: 11 })
        );
        assert_eq!(parse("201-555-0123"), Err(NumberError::NotDigits));
        assert_eq!(parse("phone"), Err(NumberError::NotDigits));
        assert_eq!(parse(""), Err(NumberError::Length { digits: 0 }));
        assert_eq!(parse("+"), Err(NumberError::Length { digits: 0 }));
        assert_eq!(parse("+0442071234567"), Err(NumberError::CountryCode));
        assert_eq!(parse("+123456"), Err(NumberError::Length { digits: 6 }));
        assert_eq!(
            parse("+1234567890123456"),
            Err(NumberError::Length { digits: 16 })
        );
    }

    #[test]
    fn international_numbers_are_kept_whole() {
        let uk = parse("+442071234567").unwrap();
        assert!(!uk.is_nanp());
        assert_eq!(uk.key(), Key::Intl(442_071_234_567));
        assert_eq!(Number::from_key(uk.key()), uk);
        assert_eq!(Number::from_e164_digits(442_071_234_567), Ok(uk));
        assert_eq!(parse("+2901234").unwrap().e164_digits(), 2_901_234);
    }

    #[test]
    fn integer_constructor_matches_the_parser() {
        for text in ["+12015550123", "+19995559999", "+12002000000"] {
            let number = parse(text).unwrap();
            assert_eq!(Number::from_e164_digits(number.e164_digits()), Ok(number));
            assert_eq!(Number::from_key(number.key()), number);
        }
        assert!(Number::from_e164_digits(11_015_550_123).is_err());
        assert_eq!(
            Number::from_e164_digits(1_201_555_012),
            Err(NumberError::Length { digits: 10 })
        );
        assert_eq!(
            Number::from_e164_digits(123_456),
            Err(NumberError::Length { digits: 6 })
        );
        assert_eq!(
            Number::nanp(201, 555, 10_000),
            Err(NumberError::Length { digits: 11 })
        );
        assert_eq!(
            Number::nanp(1201, 555, 1),
            Err(NumberError::AreaCode { npa: 1201 })
        );
        assert_eq!(
            Number::nanp(201, 1555, 1),
            Err(NumberError::Exchange { nxx: 1555 })
        );
    }
}
