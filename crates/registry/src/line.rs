//! Import lines: `NUMBER[,YYYY-MM-DD]`, read from a byte stream in chunks of any size.
//!
//! The number is a 10-digit US number, `1` and 10 digits, E.164 (`+` and digits), or area code
//! and 7 digits as two fields (`201,5550123`: the FTC's full-list flat file). Spaces and
//! tabs around each field and a trailing `\r` (CRLF files) are ignored, as is a UTF-8 byte-order
//! mark at the very start. A blank line is skipped: it is neither an entry nor a rejected line
//! (files often end with one), but it still counts for the line numbers of rejected lines, so
//! they match what an editor shows.

use chrono::NaiveDate;
use thiserror::Error;

use crate::date::{DateFieldError, NO_DATE, decode, parse_ymd};
use crate::number::{Key, Number, NumberError, parse_number};

/// Lines longer than this are rejected whole without being buffered: a file of garbage without
/// newlines costs constant memory.
pub const MAX_LINE_BYTES: usize = 256;

/// One accepted line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Entry {
    pub number: Number,
    /// Registered on; for `reassigned`, disconnected or reassigned on.
    pub date: Option<NaiveDate>,
}

/// Why a line was rejected. `Display` is the text shown to operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Error)]
pub enum LineError {
    #[error(transparent)]
    Number(#[from] NumberError),
    #[error("the date must be a calendar date written YYYY-MM-DD")]
    Date,
    #[error("the date must lie between 1970-01-01 and 2149-06-04")]
    DateRange,
    #[error("unexpected text after the date (expected NUMBER or NUMBER,YYYY-MM-DD)")]
    ExtraField,
    #[error("line longer than {MAX_LINE_BYTES} bytes")]
    TooLong,
}

/// Parses one line (without its `\n`). `Ok(None)` is a blank line.
pub fn parse_line(line: &[u8]) -> Result<Option<Entry>, LineError> {
    Ok(parse_line_key(line)?.map(|(key, code)| Entry {
        number: Number::from_key(key),
        date: decode(code),
    }))
}

/// [`parse_line`] to the storage key and date code: what imports use.
pub(crate) fn parse_line_key(line: &[u8]) -> Result<Option<(Key, u16)>, LineError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(LineError::TooLong);
    }
    let line = trim(line);
    if line.is_empty() {
        return Ok(None);
    }
    let mut fields = line.split(|&byte| byte == b',').map(trim);
    let first = fields.next().unwrap_or_default();
    let key = match first {
        [a, b, c] if [a, b, c].iter().all(|digit| digit.is_ascii_digit()) => {
            // The FTC's full-list flat file: `NPA,NXXXXXX`.
            let exchange_and_line = fields.next().unwrap_or_default();
            let [d, e, f, g, h, i, j] = *exchange_and_line else {
                return Err(LineError::Number(NumberError::Length {
                    digits: 3 + exchange_and_line.len(),
                }));
            };
            parse_number(&[*a, *b, *c, d, e, f, g, h, i, j])?
        }
        _ => parse_number(first)?,
    };
    let code = match fields.next() {
        // `NUMBER,` (an empty date column) is a number without a date.
        None | Some([]) => NO_DATE,
        Some(date) => parse_ymd(date).map_err(|error| match error {
            DateFieldError::Format => LineError::Date,
            DateFieldError::Range => LineError::DateRange,
        })?,
    };
    if fields.next().is_some() {
        return Err(LineError::ExtraField);
    }
    Ok(Some((key, code)))
}

fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = bytes {
        bytes = rest;
    }
    bytes
}

/// Cuts a byte stream into lines across chunk boundaries, numbering them from 1.
#[derive(Debug, Default)]
pub(crate) struct LineSplitter {
    /// The start of a line whose end is in a later chunk (at most `MAX_LINE_BYTES + 1` bytes,
    /// and a byte-order mark).
    carry: Vec<u8>,
    /// Lines seen so far (complete ones).
    line_number: u64,
}

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Hands a line over, without the byte-order mark a Windows editor may put before line 1.
fn deliver(number: u64, line: &[u8], on_line: &mut impl FnMut(u64, &[u8])) {
    let line = match number {
        1 => line.strip_prefix(BYTE_ORDER_MARK).unwrap_or(line),
        _ => line,
    };
    on_line(number, line);
}

impl LineSplitter {
    /// Calls `on_line(number, text)` for every line the chunk completes. A line over
    /// [`MAX_LINE_BYTES`] arrives cut to `MAX_LINE_BYTES + 1` bytes, so the parser rejects it.
    pub(crate) fn feed(&mut self, mut chunk: &[u8], on_line: &mut impl FnMut(u64, &[u8])) {
        if !self.carry.is_empty() {
            let Some(end) = chunk.iter().position(|&byte| byte == b'\n') else {
                self.keep(chunk);
                return;
            };
            let (head, rest) = chunk.split_at(end);
            self.keep(head);
            self.line_number += 1;
            deliver(self.line_number, &self.carry, on_line);
            self.carry.clear();
            chunk = rest.get(1..).unwrap_or_default();
        }
        while let Some(end) = chunk.iter().position(|&byte| byte == b'\n') {
            let (line, rest) = chunk.split_at(end);
            self.line_number += 1;
            deliver(self.line_number, line, on_line);
            chunk = rest.get(1..).unwrap_or_default();
        }
        self.keep(chunk);
    }

    /// Ends the stream: a last line without `\n` is still a line.
    pub(crate) fn finish(&mut self, on_line: &mut impl FnMut(u64, &[u8])) {
        if !self.carry.is_empty() {
            self.line_number += 1;
            deliver(self.line_number, &self.carry, on_line);
            self.carry.clear();
        }
    }

    /// Lines completed so far (for progress reports).
    pub(crate) fn lines_seen(&self) -> u64 {
        self.line_number
    }

    fn keep(&mut self, bytes: &[u8]) {
        // Line 1 may start with a byte-order mark, which `deliver` strips: room for it too, or
        // a long first line cut across chunks would lose its tail to the mark and no longer be
        // too long (found by fuzzing: the answer depended on the chunks).
        let mark = if self.line_number == 0 {
            BYTE_ORDER_MARK.len()
        } else {
            0
        };
        let room = (MAX_LINE_BYTES + 1 + mark).saturating_sub(self.carry.len());
        self.carry
            .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: &str) -> Result<Option<Entry>, LineError> {
        parse_line(line.as_bytes())
    }

    #[test]
    fn numbers_with_and_without_dates() {
        let number: Number = "2015550123".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2021, 1, 1);
        assert_eq!(
            entry("2015550123").unwrap(),
            Some(Entry { number, date: None })
        );
        assert_eq!(
            entry("  +12015550123 , 2021-01-01 \r").unwrap(),
            Some(Entry { number, date })
        );
        assert_eq!(
            entry("2015550123,").unwrap(),
            Some(Entry { number, date: None })
        );
        assert_eq!(
            entry("+442071234567,2021-01-01").unwrap().unwrap().number,
            "+442071234567".parse().unwrap()
        );
        assert_eq!(
            entry("201, 5550123").unwrap(),
            Some(Entry { number, date: None })
        );
        assert_eq!(
            entry("201,5550123,2021-01-01").unwrap(),
            Some(Entry { number, date })
        );
    }

    #[test]
    fn blank_lines_are_not_entries() {
        assert_eq!(entry(""), Ok(None));
        assert_eq!(entry(" \t\r"), Ok(None));
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(entry("phone,date"), Err(NumberError::NotDigits.into()));
        assert_eq!(entry("2015550123,01/01/2021"), Err(LineError::Date));
        assert_eq!(entry("2015550123,1960-01-01"), Err(LineError::DateRange));
        assert_eq!(entry("2015550123,2021-01-01,x"), Err(LineError::ExtraField));
        assert_eq!(
            entry("1015550123"),
            Err(NumberError::AreaCode { npa: 101 }.into())
        );
        assert_eq!(entry(&"1".repeat(300)), Err(LineError::TooLong));
        assert_eq!(
            entry("201,555012"),
            Err(NumberError::Length { digits: 9 }.into())
        );
        assert_eq!(entry("201"), Err(NumberError::Length { digits: 3 }.into()));
        assert_eq!(entry("201,555-012"), Err(NumberError::NotDigits.into()));
        assert_eq!(
            entry("101,5550123"),
            Err(NumberError::AreaCode { npa: 101 }.into())
        );
        assert_eq!(
            entry("201,5550123,2021-01-01,x"),
            Err(LineError::ExtraField)
        );
        assert_eq!(
            LineError::from(NumberError::AreaCode { npa: 911 }).to_string(),
            "area code 911 is not a US area code (2-9, then two digits, not N11)"
        );
    }

    fn split(chunks: &[&[u8]]) -> Vec<(u64, Vec<u8>)> {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        let mut collect = |number, line: &[u8]| lines.push((number, line.to_vec()));
        for chunk in chunks {
            splitter.feed(chunk, &mut collect);
        }
        splitter.finish(&mut collect);
        lines
    }

    #[test]
    fn lines_cross_chunk_boundaries() {
        let text = b"\xEF\xBB\xBF2015550123\r\n\n2025550123,2021-01-01\n2035550123";
        let whole = split(&[text]);
        assert_eq!(
            whole,
            vec![
                (1, b"2015550123\r".to_vec()),
                (2, b"".to_vec()),
                (3, b"2025550123,2021-01-01".to_vec()),
                (4, b"2035550123".to_vec()),
            ]
        );
        for cut in 0..=text.len() {
            let (a, b) = text.split_at(cut);
            assert_eq!(split(&[a, b]), whole, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(split(&bytes), whole);
    }

    #[test]
    fn an_endless_line_is_cut_and_rejected() {
        let long = vec![b'7'; 10_000];
        let lines = split(&[&long, &long, b"\n2015550123\n"]);
        assert_eq!(lines.len(), 2);
        // Line 1 keeps room for a byte-order mark.
        assert_eq!(lines[0].1.len(), MAX_LINE_BYTES + 1 + BYTE_ORDER_MARK.len());
        assert_eq!(parse_line(&lines[0].1), Err(LineError::TooLong));
        assert_eq!(lines[1], (2, b"2015550123".to_vec()));
        let lines = split(&[b"2015550123\n", &long, &long, b"\n"]);
        assert_eq!(lines[1].1.len(), MAX_LINE_BYTES + 1);
    }
}
