//! The tokens a date is read from, and what the date words (`data/dates.txt`) mean.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::Weekday;

use crate::opt_out::directives::{CORE_LANGUAGE, lines};
use crate::opt_out::normalize::fold_words;

/// One token of a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// A run of digits (its value saturates; `digits` says how long it was).
    Num { value: u32, digits: usize },
    /// A folded word; every CJK character is a word of its own.
    Word(String),
    /// `/`, `.`, `-` (dashes too), `,` or `:`.
    Sep(char),
    /// The end of a sentence or line: `!`, `?`, `;`, a line break.
    Break,
}

/// Cuts `text` into tokens: numbers and words apart (`14th` is `14` and `th`).
pub(super) fn scan(text: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut word = String::new();
    let mut num: Option<(u32, usize)> = None;
    let flush = |toks: &mut Vec<Tok>, word: &mut String, num: &mut Option<(u32, usize)>| {
        if let Some((value, digits)) = num.take() {
            toks.push(Tok::Num { value, digits });
        }
        if !word.is_empty() {
            let folded = fold_words(word).concat();
            if !folded.is_empty() {
                toks.push(Tok::Word(folded));
            }
            word.clear();
        }
    };
    for c in text.chars() {
        let digit = match c {
            '0'..='9' => c.to_digit(10),
            '\u{FF10}'..='\u{FF19}' => Some(u32::from(c) - 0xFF10),
            _ => None,
        };
        if let Some(d) = digit {
            if !word.is_empty() {
                flush(&mut toks, &mut word, &mut None);
            }
            let (value, digits) = num.unwrap_or((0, 0));
            num = Some((value.saturating_mul(10).saturating_add(d), digits + 1));
            continue;
        }
        if num.is_some() {
            flush(&mut toks, &mut String::new(), &mut num);
        }
        match c {
            '\'' | '\u{2019}' | '`' => {}
            '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' => {
                flush(&mut toks, &mut word, &mut num);
                toks.push(Tok::Word(c.to_string()));
            }
            _ if c.is_alphabetic() => word.push(c),
            '/' | '.' | ',' | ':' | '\u{FF0F}' | '\u{FF0E}' | '\u{FF0C}' | '\u{FF1A}'
            | '\u{3001}' => {
                flush(&mut toks, &mut word, &mut num);
                toks.push(Tok::Sep(match c {
                    '\u{FF0F}' => '/',
                    '\u{FF0E}' => '.',
                    '\u{FF0C}' | '\u{3001}' => ',',
                    '\u{FF1A}' => ':',
                    other => other,
                }));
            }
            '-' | '\u{2010}'..='\u{2015}' | '\u{FF0D}' | '~' | '\u{301C}' | '\u{FF5E}' => {
                flush(&mut toks, &mut word, &mut num);
                toks.push(Tok::Sep('-'));
            }
            '!' | '?' | ';' | '\n' | '\r' | '\u{3002}' | '\u{FF01}' | '\u{FF1F}' | '\u{FF1B}' => {
                flush(&mut toks, &mut word, &mut num);
                toks.push(Tok::Break);
            }
            _ => flush(&mut toks, &mut word, &mut num),
        }
    }
    flush(&mut toks, &mut word, &mut num);
    toks
}

/// Where a cue says the date is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CueKind {
    /// The date after it is the day the person is back (`until`, `back on`, `bis`).
    Until,
    /// The date after it is the last day away (`through`, `tot en met`).
    Through,
    /// Like `Until`, but only in a sentence that also says "again" (`ab`, `vanaf`, `from`).
    Weak,
    /// The date before it is the day the person is back (`まで`, `返回`).
    After,
}

/// What a date word means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DateWord {
    Month(u32),
    Weekday(Weekday),
    Cue { kind: CueKind, english: bool },
    Again,
    Inclusive,
    Relative(u64),
    Ordinal,
    Connector,
    Range,
    Time,
}

/// One entry of `data/dates.txt`: its words and what they mean.
type Entry = (Box<[String]>, DateWord);

/// The date words, by their first word.
#[derive(Debug, Default)]
pub(super) struct DateWords {
    first: HashMap<String, Vec<Entry>>,
    pub(super) errors: Vec<String>,
}

impl DateWords {
    /// Every meaning of the words at token `i`, with how many tokens it takes.
    pub(super) fn at<'a>(
        &'a self,
        toks: &'a [Tok],
        i: usize,
    ) -> impl Iterator<Item = (DateWord, usize)> + 'a {
        let entries = match toks.get(i) {
            Some(Tok::Word(w)) => self.first.get(w).map(Vec::as_slice),
            _ => None,
        };
        entries
            .unwrap_or(&[])
            .iter()
            .filter_map(move |(seq, meaning)| {
                let all = seq
                    .iter()
                    .enumerate()
                    .all(|(k, w)| matches!(toks.get(i + k), Some(Tok::Word(t)) if t == w));
                all.then_some((*meaning, seq.len()))
            })
    }

    /// The longest meaning at `i` that `pick` accepts, with its length.
    pub(super) fn find<T>(
        &self,
        toks: &[Tok],
        i: usize,
        pick: impl Fn(DateWord) -> Option<T>,
    ) -> Option<(T, usize)> {
        self.at(toks, i)
            .filter_map(|(m, len)| pick(m).map(|t| (t, len)))
            .max_by_key(|&(_, len)| len)
    }

    /// Whether the word at `i` has the meaning `m` (alone or first of a sequence).
    pub(super) fn is(&self, toks: &[Tok], i: usize, m: DateWord) -> bool {
        self.at(toks, i).any(|(x, _)| x == m)
    }
}

const SOURCE: &str = include_str!("../data/dates.txt");

fn weekday(n: &str) -> Option<Weekday> {
    Some(match n {
        "1" => Weekday::Mon,
        "2" => Weekday::Tue,
        "3" => Weekday::Wed,
        "4" => Weekday::Thu,
        "5" => Weekday::Fri,
        "6" => Weekday::Sat,
        "7" => Weekday::Sun,
        _ => return None,
    })
}

fn build() -> DateWords {
    let mut words = DateWords::default();
    let mut errors = Vec::new();
    for line in lines("dates.txt", SOURCE, &mut errors) {
        let flag = line.flags.first().map(String::as_str).unwrap_or("");
        let english = line.lang == CORE_LANGUAGE;
        let meaning = match line.directive.as_str() {
            "month" => flag
                .parse()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .map(DateWord::Month),
            "weekday" => weekday(flag).map(DateWord::Weekday),
            "relative" => flag.parse().ok().map(DateWord::Relative),
            "cue" => match flag {
                "until" => Some(CueKind::Until),
                "through" => Some(CueKind::Through),
                "weak" => Some(CueKind::Weak),
                "after" => Some(CueKind::After),
                _ => None,
            }
            .map(|kind| DateWord::Cue { kind, english }),
            "again" => Some(DateWord::Again),
            "inclusive" => Some(DateWord::Inclusive),
            "ordinal" => Some(DateWord::Ordinal),
            "connector" => Some(DateWord::Connector),
            "range" => Some(DateWord::Range),
            "time" => Some(DateWord::Time),
            _ => None,
        };
        let Some(meaning) = meaning else {
            errors.push(format!("{}: {} {:?}", line.at, line.directive, line.flags));
            continue;
        };
        // `seq`: the body is one entry (`available again`, `明 天`); otherwise every word
        // is an entry of its own.
        let folded = fold_words(&line.body);
        let entries: Vec<Vec<String>> = if line.flags.iter().any(|f| f == "seq") {
            vec![folded]
        } else {
            folded.into_iter().map(|w| vec![w]).collect()
        };
        for seq in entries {
            if let Some(first) = seq.first() {
                words
                    .first
                    .entry(first.clone())
                    .or_default()
                    .push((seq.into_boxed_slice(), meaning));
            }
        }
    }
    words.errors = errors;
    words
}

static DATE_WORDS: LazyLock<DateWords> = LazyLock::new(build);

pub(super) fn date_words() -> &'static DateWords {
    &DATE_WORDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_file_parses() {
        let w = date_words();
        assert!(w.errors.is_empty(), "{}", w.errors.join("\n"));
    }

    #[test]
    fn tokens() {
        let t = scan("Back on 14th Dec., 2026!");
        assert_eq!(
            t,
            [
                Tok::Word("back".into()),
                Tok::Word("on".into()),
                Tok::Num {
                    value: 14,
                    digits: 2
                },
                Tok::Word("th".into()),
                Tok::Word("dec".into()),
                Tok::Sep('.'),
                Tok::Sep(','),
                Tok::Num {
                    value: 2026,
                    digits: 4
                },
                Tok::Break,
            ]
        );
        assert_eq!(scan("12月14日").len(), 4);
        assert_eq!(scan("jusqu'au").first(), Some(&Tok::Word("jusquau".into())));
    }

    #[test]
    fn sequences_and_meanings() {
        let w = date_words();
        let t = scan("tot en met 14 december");
        assert_eq!(
            w.find(&t, 0, |m| match m {
                DateWord::Cue { kind, .. } => Some(kind),
                _ => None,
            }),
            Some((CueKind::Through, 3))
        );
        let t = scan("back");
        assert!(w.is(&t, 0, DateWord::Again));
        assert!(w.is(&scan("décembre"), 0, DateWord::Month(12)));
    }
}
