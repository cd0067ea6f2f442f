//! Date expressions and the cues that make one a return date.

use chrono::Weekday;

use super::scan::{CueKind, DateWord, DateWords, Tok};

/// A date as written, before it is placed in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Spec {
    /// Day and month known (`14 December`, `2026-12-14`, `14.12.`).
    Date {
        year: Option<i32>,
        month: u32,
        day: u32,
    },
    /// `a/b` or `a-b`: day/month or month/day.
    Numeric { a: u32, b: u32, year: Option<i32> },
    /// A day of the month, maybe with its weekday (`the 14th`, `Monday 14th`).
    Day { day: u32, weekday: Option<Weekday> },
    /// `Monday`.
    Weekday(Weekday),
    /// Days after the day received (`tomorrow`).
    Relative(u64),
}

/// A return date read from a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Found {
    pub(super) spec: Spec,
    /// The date named is the last day away: the person is back the day after.
    pub(super) last_day_away: bool,
    /// The cue is English (month-first numeric dates are only read then).
    pub(super) english: bool,
}

/// Word tokens after a cue in which its date may start.
const CUE_REACH: usize = 8;

/// Articles and prepositions allowed between a weekday and its date (`Monday the 14th`,
/// `lundi le 14`).
const BETWEEN: &[&str] = &[
    "the", "le", "el", "den", "der", "am", "il", "lo", "o", "dia",
];

struct Reader<'a> {
    w: &'a DateWords,
    t: &'a [Tok],
}

impl Reader<'_> {
    fn num(&self, i: usize) -> Option<(u32, usize)> {
        match self.t.get(i) {
            Some(Tok::Num { value, digits }) => Some((*value, *digits)),
            _ => None,
        }
    }

    /// A day of the month: one or two digits, 1–31.
    fn day(&self, i: usize) -> Option<u32> {
        self.num(i)
            .filter(|&(v, d)| d <= 2 && (1..=31).contains(&v))
            .map(|(v, _)| v)
    }

    /// A month number: one or two digits, 1–12.
    fn month_num(&self, i: usize) -> Option<u32> {
        self.num(i)
            .filter(|&(v, d)| d <= 2 && (1..=12).contains(&v))
            .map(|(v, _)| v)
    }

    /// A year: four digits (1900–2199) or two (`26` is 2026).
    fn year(&self, i: usize) -> Option<i32> {
        let (v, d) = self.num(i)?;
        let y = match d {
            4 if (1900..=2199).contains(&v) => v,
            2 => 2000 + v,
            _ => return None,
        };
        i32::try_from(y).ok()
    }

    fn sep(&self, i: usize, seps: &[char]) -> bool {
        matches!(self.t.get(i), Some(Tok::Sep(c)) if seps.contains(c))
    }

    fn word(&self, i: usize) -> Option<&str> {
        match self.t.get(i) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn is(&self, i: usize, m: DateWord) -> bool {
        self.w.is(self.t, i, m)
    }

    fn month(&self, i: usize) -> Option<(u32, usize)> {
        self.w.find(self.t, i, |m| match m {
            DateWord::Month(n) => Some(n),
            _ => None,
        })
    }

    fn weekday(&self, i: usize) -> Option<(Weekday, usize)> {
        self.w.find(self.t, i, |m| match m {
            DateWord::Weekday(d) => Some(d),
            _ => None,
        })
    }

    /// Skips separators in `seps` from `i`.
    fn skip(&self, mut i: usize, seps: &[char]) -> usize {
        while self.sep(i, seps) {
            i += 1;
        }
        i
    }

    /// Skips an ordinal suffix (`th`, `er`) at `i`.
    fn skip_ordinal(&self, i: usize) -> usize {
        if self.is(i, DateWord::Ordinal) {
            i + 1
        } else {
            i
        }
    }

    /// An optional year after a date ending at `i` (`, 2026`, `de 2026`): the year and the end.
    fn year_after(&self, i: usize) -> (Option<i32>, usize) {
        let mut k = self.skip(i, &[',', '.']);
        if self.is(k, DateWord::Connector) {
            k += 1;
        }
        match self.year(k) {
            Some(y) if self.num(k).is_some_and(|(_, d)| d == 4) => (Some(y), k + 1),
            _ => (None, i),
        }
    }

    /// A date with day and month at `i`: its spec and end.
    fn full_date(&self, i: usize) -> Option<(Spec, usize)> {
        self.cjk(i)
            .or_else(|| self.iso(i))
            .or_else(|| self.numeric(i))
            .or_else(|| self.month_first(i))
            .or_else(|| self.day_first(i))
    }

    /// `[2026年]12月14日`.
    fn cjk(&self, i: usize) -> Option<(Spec, usize)> {
        let (year, k) = match (self.year(i), self.word(i + 1)) {
            (Some(y), Some("年")) => (Some(y), i + 2),
            _ => (None, i),
        };
        let month = self.month_num(k)?;
        (self.word(k + 1) == Some("月")).then_some(())?;
        let day = self.day(k + 2)?;
        matches!(self.word(k + 3), Some("日" | "号")).then_some(())?;
        Some((Spec::Date { year, month, day }, k + 4))
    }

    /// `2026-12-14`, `2026/12/14`.
    fn iso(&self, i: usize) -> Option<(Spec, usize)> {
        let year = self
            .year(i)
            .filter(|_| self.num(i).is_some_and(|(_, d)| d == 4))?;
        let sep = ['-', '/', '.'];
        (self.sep(i + 1, &sep) && self.sep(i + 3, &sep)).then_some(())?;
        let month = self.month_num(i + 2)?;
        let day = self.day(i + 4)?;
        Some((
            Spec::Date {
                year: Some(year),
                month,
                day,
            },
            i + 5,
        ))
    }

    /// `14/12`, `14.12.2026`, `12-14-26`. Dots are day-first only (`Spec::Date`); a number
    /// range of days before a month name (`1-14 December`) is not a date.
    fn numeric(&self, i: usize) -> Option<(Spec, usize)> {
        let a = self.day(i)?;
        let dotted = self.sep(i + 1, &['.']);
        (dotted || self.sep(i + 1, &['/', '-'])).then_some(())?;
        let b = self.day(i + 2)?;
        let (year, end) = match (self.t.get(i + 3), self.year(i + 4)) {
            (Some(Tok::Sep(c)), Some(y)) if Some(&Tok::Sep(*c)) == self.t.get(i + 1) => {
                (Some(y), i + 5)
            }
            _ => (None, i + 3),
        };
        let next = self.skip(end, &['.', ',']);
        if self.month(next).is_some() || self.is(next, DateWord::Time) {
            return None;
        }
        if dotted {
            return (1..=12).contains(&b).then_some((
                Spec::Date {
                    year,
                    month: b,
                    day: a,
                },
                end,
            ));
        }
        Some((Spec::Numeric { a, b, year }, end))
    }

    /// `December 14`, `Dec. 14th, 2026`.
    fn month_first(&self, i: usize) -> Option<(Spec, usize)> {
        let (month, len) = self.month(i)?;
        let k = self.skip(i + len, &['.', ',']);
        let day = self.day(k)?;
        if self.sep(k + 1, &[':']) || self.is(k + 1, DateWord::Time) {
            return None;
        }
        let (year, end) = self.year_after(self.skip_ordinal(k + 1));
        Some((Spec::Date { year, month, day }, end))
    }

    /// `14 December`, `14th of December`, `14. Dezember 2026`, `14 de diciembre de 2026`.
    fn day_first(&self, i: usize) -> Option<(Spec, usize)> {
        let day = self.day(i)?;
        let mut k = self.skip(self.skip_ordinal(i + 1), &['.']);
        if self.is(k, DateWord::Connector) {
            k += 1;
        }
        let (month, len) = self.month(k)?;
        let (year, end) = self.year_after(self.skip(k + len, &['.']));
        Some((Spec::Date { year, month, day }, end))
    }

    /// Any date at `i`: a full date, maybe after its weekday; a weekday; a day with an
    /// ordinal; `tomorrow`.
    fn date(&self, i: usize) -> Option<(Spec, usize)> {
        if let Some((weekday, len)) = self.weekday(i) {
            let mut k = self.skip(i + len, &[',', '.']);
            while self.word(k).is_some_and(|w| BETWEEN.contains(&w)) {
                k += 1;
            }
            if let Some(found) = self.full_date(k) {
                return Some(found);
            }
            if let Some(day) = self.day(k) {
                let end = self.skip_ordinal(k + 1);
                if !(self.sep(k + 1, &[':']) || self.is(k + 1, DateWord::Time)) {
                    return Some((
                        Spec::Day {
                            day,
                            weekday: Some(weekday),
                        },
                        end,
                    ));
                }
            }
            return Some((Spec::Weekday(weekday), i + len));
        }
        if let Some(found) = self.full_date(i) {
            return Some(found);
        }
        if let Some(day) = self.day(i)
            && self.is(i + 1, DateWord::Ordinal)
        {
            return Some((Spec::Day { day, weekday: None }, i + 2));
        }
        self.w
            .find(self.t, i, |m| match m {
                DateWord::Relative(n) => Some(n),
                _ => None,
            })
            .map(|(n, len)| (Spec::Relative(n), i + len))
    }

    fn cue(&self, i: usize) -> Option<((CueKind, bool), usize)> {
        self.w.find(self.t, i, |m| match m {
            DateWord::Cue { kind, english } => Some((kind, english)),
            _ => None,
        })
    }

    /// The first date in reach after a cue that ends at `from`: its spec and end.
    fn date_after(&self, from: usize) -> Option<(Spec, usize)> {
        let mut k = from;
        let mut words = 0;
        while k < self.t.len() && words < CUE_REACH {
            match self.t.get(k) {
                Some(Tok::Break) | None => return None,
                Some(Tok::Sep(_)) => {}
                Some(_) => {
                    if let Some(found) = self.date(k) {
                        return Some(found);
                    }
                    words += 1;
                }
            }
            k += 1;
        }
        None
    }

    /// Whether an `inclusive` word stands in `a..b` or right after `b`.
    fn inclusive_near(&self, a: usize, b: usize) -> bool {
        let after = self.skip(b, &[',', '.', '-']);
        (a..b)
            .chain([after])
            .any(|k| self.is(k, DateWord::Inclusive))
    }

    /// The sentence around token `i`: from the break before it to the break after.
    fn sentence(&self, i: usize) -> std::ops::Range<usize> {
        let start = (0..i)
            .rev()
            .find(|&k| self.t.get(k) == Some(&Tok::Break))
            .map_or(0, |k| k + 1);
        let end = (i..self.t.len())
            .find(|&k| self.t.get(k) == Some(&Tok::Break))
            .unwrap_or(self.t.len());
        start..end
    }

    /// A date after a cue of `kinds`: the first cue in the text that has one.
    fn after_cue(&self, kinds: &[CueKind]) -> Option<Found> {
        (0..self.t.len()).find_map(|i| {
            let ((kind, english), len) = self.cue(i)?;
            if !kinds.contains(&kind) {
                return None;
            }
            if kind == CueKind::Weak && !self.sentence(i).any(|k| self.is(k, DateWord::Again)) {
                return None;
            }
            let (spec, end) = self.date_after(i + len)?;
            Some(Found {
                spec,
                last_day_away: kind == CueKind::Through || self.inclusive_near(i + len, end),
                english,
            })
        })
    }

    /// A date followed by an `after` cue (`12月14日まで`, `12月14日返回`).
    fn before_cue(&self) -> Option<Found> {
        (0..self.t.len()).find_map(|i| {
            let (spec, end) = self.full_date(i)?;
            let k = self.skip(end, &[',']);
            let ((kind, english), _) = (k..k + 2).find_map(|j| self.cue(j))?;
            (kind == CueKind::After).then_some(Found {
                spec,
                last_day_away: false,
                english,
            })
        })
    }

    /// A range with no cue (`OOO Dec 1-14`, `1-14 December`, `Dec 1 - Dec 14`): the person is
    /// back the day after its last day.
    fn range(&self) -> Option<Found> {
        (0..self.t.len()).find_map(|i| {
            let found = |spec| {
                Some(Found {
                    spec,
                    last_day_away: true,
                    english: false,
                })
            };
            // `1-14 December`: two day numbers, then the month.
            if let (Some(_), true, Some(last)) =
                (self.day(i), self.sep(i + 1, &['-']), self.day(i + 2))
                && let Some((Spec::Date { year, month, .. }, _)) = self.day_first(i + 2)
            {
                return found(Spec::Date {
                    year,
                    month,
                    day: last,
                });
            }
            let (first, end) = self.full_date(i)?;
            let k = end;
            let linked = self.sep(k, &['-']) || self.is(k, DateWord::Range);
            if !linked {
                return None;
            }
            if let Some((second, _)) = self.full_date(k + 1) {
                return found(second);
            }
            // `Dec 1-14`: the second date is a day of the first one's month.
            match (first, self.day(k + 1)) {
                (Spec::Date { year, month, .. }, Some(day)) if !self.sep(k + 2, &['/', '.']) => {
                    found(Spec::Date { year, month, day })
                }
                _ => None,
            }
        })
    }
}

/// The return date a text names, if any: after an `until`/`through` cue, else after a weak
/// cue in a sentence that says "again", else before an `after` cue, else the end of a range.
pub(super) fn find_return(words: &DateWords, toks: &[Tok]) -> Option<Found> {
    let r = Reader { w: words, t: toks };
    r.after_cue(&[CueKind::Until, CueKind::Through])
        .or_else(|| r.after_cue(&[CueKind::Weak]))
        .or_else(|| r.before_cue())
        .or_else(|| r.range())
}
