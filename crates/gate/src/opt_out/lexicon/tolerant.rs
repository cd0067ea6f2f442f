//! Tolerant look-up: a word the lexicon does not know may still be one it knows, typed long
//! (`STOPPP`, `Stooooop`, `BAJAAA`, `Abmeldenn`) or with one typo (`Unsuscribe`,
//! `unsubcribe`, `Desuscrivir`).
//!
//! * **Elongation**: every run of three or more equal letters is read as one letter (`stoppp`
//!   → `stop`), or as two when one leaves a two-letter word and two make a word too (`offff` →
//!   `off`, not `of`); a word of five letters or more may also end in one doubled letter
//!   (`abmeldenn` → `abmelden`). Only tried when the word has such a run, so ordinary words
//!   cost nothing.
//! * **One typo**: a word of seven characters or more that starts like one of the `fuzzy`
//!   keywords, is at most one character longer or shorter, and is one insertion, deletion,
//!   substitution or transposition of adjacent letters away from it. The fuzzy keywords are
//!   chosen so that no other word is that close (never `abmelden`, one letter from
//!   `anmelden`), and short words are never guessed (`stop`/`shop`).

use super::{Lexicon, WordId};

/// Shortest word (in characters) read as a typo of a fuzzy keyword.
const MIN_FUZZY_CHARS: usize = 7;

impl Lexicon {
    /// The id of `w`, of what `w` is an elongation of, or of the fuzzy keyword `w` is one typo
    /// of; 0 when none.
    pub(crate) fn find_tolerant(&self, w: &str) -> WordId {
        let id = self.find(w);
        if id != 0 {
            return id;
        }
        let shape = Shape::of(w);
        if (shape.long_run || (shape.chars >= 5 && shape.ends_doubled))
            && let Some(id) = self.undo_elongation(w)
        {
            return id;
        }
        self.typo_of(w, shape.chars).unwrap_or(0)
    }

    fn undo_elongation(&self, w: &str) -> Option<WordId> {
        // Runs cut to one letter first (`stoppp` is `stop`), unless that leaves a word of two
        // letters and runs cut to two make a word too (`offff` is `off`, not `of`).
        let one = self.unstretched(&collapse_runs(w, 1));
        let two = || self.unstretched(&collapse_runs(w, 2));
        match one {
            Some((id, len)) if len > 2 => Some(id),
            Some((id, _)) => two().map_or(Some(id), |(other, _)| Some(other)),
            None => two().map(|(id, _)| id),
        }
    }

    /// `collapsed`, or it without a doubled last letter, as a word or one typo of a fuzzy
    /// keyword: the id and the length (in characters) of the word it was read as.
    fn unstretched(&self, collapsed: &str) -> Option<(WordId, usize)> {
        let mut candidates = vec![collapsed.to_owned()];
        if ends_doubled(collapsed) {
            let mut shorter = collapsed.to_owned();
            shorter.pop();
            candidates.push(shorter);
        }
        candidates.iter().find_map(|c| {
            let chars = c.chars().count();
            let id = self.find(c);
            if id != 0 {
                return Some((id, chars));
            }
            self.typo_of(c, chars).map(|id| (id, chars))
        })
    }

    /// The fuzzy keyword `w` (of `chars` characters) is one typo of.
    fn typo_of(&self, w: &str, chars: usize) -> Option<WordId> {
        if chars < MIN_FUZZY_CHARS {
            return None;
        }
        let first = w.chars().next()?;
        self.fuzzy
            .iter()
            .filter(|f| f.first == first && f.chars.abs_diff(chars) <= 1)
            .find(|f| self.get(f.id).is_some_and(|e| one_edit(w, e.word())))
            .map(|f| f.id)
    }
}

/// What the tolerant look-up needs to know about a word, in one pass.
struct Shape {
    chars: usize,
    /// A run of three or more equal characters.
    long_run: bool,
    /// The last two characters are the same letter.
    ends_doubled: bool,
}

impl Shape {
    fn of(w: &str) -> Shape {
        let mut chars = 0;
        let mut run = 0;
        let mut long_run = false;
        let mut prev = None;
        for c in w.chars() {
            chars += 1;
            run = if Some(c) == prev { run + 1 } else { 1 };
            long_run |= run >= 3;
            prev = Some(c);
        }
        Shape {
            chars,
            long_run,
            ends_doubled: run >= 2 && prev.is_some_and(char::is_alphabetic),
        }
    }
}

fn ends_doubled(s: &str) -> bool {
    let mut it = s.chars().rev();
    matches!((it.next(), it.next()), (Some(a), Some(b)) if a == b && a.is_alphabetic())
}

/// `s` with every run of three or more equal characters cut to `keep`.
fn collapse_runs(s: &str, keep: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let mut j = i;
        while chars.get(j) == Some(&c) {
            j += 1;
        }
        let run = j - i;
        let take = if run >= 3 { keep } else { run };
        out.extend(std::iter::repeat_n(c, take));
        i = j;
    }
    out
}

/// Whether `a` and `b` differ by exactly one insertion, deletion, substitution or
/// transposition of adjacent characters.
fn one_edit(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return one_edit_in(a.as_bytes(), b.as_bytes());
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    one_edit_in(&a, &b)
}

fn one_edit_in<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    let (Some(s_rest), Some(l_rest)) = (short.get(prefix..), long.get(prefix..)) else {
        return false;
    };
    match long.len() - short.len() {
        // Insertion or deletion: skip one character of the longer word.
        1 => l_rest.get(1..) == Some(s_rest),
        0 => {
            if s_rest.is_empty() {
                return false; // identical
            }
            // Substitution, or a transposition of the first differing pair.
            s_rest.get(1..) == l_rest.get(1..)
                || (s_rest.get(..2).zip(l_rest.get(..2))).is_some_and(|(x, y)| {
                    x.len() == 2 && x.first() == y.get(1) && x.get(1) == y.first()
                }) && s_rest.get(2..) == l_rest.get(2..)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opt_out::lexicon::lexicon;

    #[test]
    fn edits() {
        assert!(one_edit("unsuscribe", "unsubscribe"));
        assert!(one_edit("unsubcribe", "unsubscribe"));
        assert!(one_edit("unsusbcribe", "unsubscribe"));
        assert!(one_edit("unsubscribr", "unsubscribe"));
        assert!(one_edit("unsubscribex", "unsubscribe"));
        assert!(!one_edit("unsubscribe", "unsubscribe"));
        assert!(!one_edit("subscribe", "unsubscribe"));
        assert!(!one_edit("resubscribe", "unsubscribe"));
        assert!(!one_edit("unsbscrbe", "unsubscribe"));
        assert!(one_edit("отписатся", "отписаться"));
    }

    #[test]
    fn runs() {
        assert_eq!(collapse_runs("stoppp", 1), "stop");
        assert_eq!(collapse_runs("stooooppp", 2), "stoopp");
        assert_eq!(collapse_runs("abbestellen", 1), "abbestellen");
        assert!(Shape::of("aaa").long_run && !Shape::of("aab").long_run);
        assert_eq!(Shape::of("stoppp").chars, 6);
        assert!(ends_doubled("abmeldenn") && !ends_doubled("x11"));
    }

    #[test]
    fn tolerant_lookup() {
        let lex = lexicon();
        let is = |typed: &str, word: &str| {
            assert_eq!(
                lex.get(lex.find_tolerant(typed))
                    .map(|e| e.word().to_owned()),
                Some(word.to_owned()),
                "{typed}"
            );
        };
        is("stoppp", "stop");
        is("stooooop", "stop");
        is("unsubscribeeee", "unsubscribe");
        is("unsuscribe", "unsubscribe");
        is("unsuscribeee", "unsubscribe");
        is("desuscrivir", "desuscribir");
        is("abmeldenn", "abmelden");
        is("offff", "off");
        is("nooo", "no");
        for unknown in ["anmelden", "subscribe2", "stopped", "remote", "shop", "x"] {
            let id = lex.find_tolerant(unknown);
            assert!(
                lex.get(id).is_none_or(|e| e.word() == unknown),
                "{unknown} read as {:?}",
                lex.get(id).map(|e| e.word().to_owned())
            );
        }
    }
}
