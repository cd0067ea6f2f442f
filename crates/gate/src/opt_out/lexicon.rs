//! The lexicon: every word the opt-out rules know, with what each table says about it.
//!
//! The tables live in `data/*.txt` (format in `data/README.md`) and are parsed once, the first
//! time a message is classified. Every word gets an id; a token of a message is looked up once
//! (an open-addressing hash of a short word, usually one comparison) and the rules compare ids
//! and class bits from then on. A table is only scanned at tokens that start one of its
//! entries, and only for those entries.

mod build;
mod tolerant;

use std::sync::LazyLock;

/// A word of the lexicon: `1..`; 0 is "not a word the lexicon knows".
pub(crate) type WordId = u32;

/// What a keyword asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    OptOut,
    OptIn,
    Help,
}

/// A keyword: the whole message, or a clause of its own when strong.
#[derive(Clone, Debug)]
pub(crate) struct Keyword {
    pub(crate) words: Box<[WordId]>,
    pub(crate) kind: Kind,
    /// Strong opt-out keywords also count as a clause of a longer message.
    pub(crate) strong: bool,
    /// Only meaningful as a text-message keyword (`YES`, `START`, `HELP`): not on email.
    pub(crate) sms_only: bool,
    /// A built-in translation (off when the workspace turns translations off).
    pub(crate) translated: bool,
}

/// One slot of a pattern.
#[derive(Clone, Debug)]
pub(crate) enum Slot {
    /// Required: one of these words (sorted).
    Req(Box<[WordId]>),
    /// Optional: one of these words, or nothing.
    Opt(Box<[WordId]>),
    /// Required negation: `dont`, `donot`, `never` or `do not`.
    Neg,
}

impl Slot {
    pub(crate) fn holds(words: &[WordId], id: WordId) -> bool {
        id != 0 && words.binary_search(&id).is_ok()
    }
}

/// A pattern that may occur anywhere in a clause: an opt-out request or a wrong number.
#[derive(Clone, Debug)]
pub(crate) struct Phrase {
    pub(crate) slots: Box<[Slot]>,
    /// A preceding negation cancels it (`don't unsubscribe me`).
    pub(crate) neg: bool,
    /// Skip it when its object is somebody else (`unsubscribe my colleague`).
    pub(crate) open: bool,
    /// `stop …ing`: not when the writer is the one who would stop (`I'll stop texting you`).
    pub(crate) actor: bool,
    /// It must end its clause, trailing politeness aside (`Stop sending`, `Do not call`).
    pub(crate) end: bool,
    /// Not when a time or another channel qualifies it (`don't call me before noon`).
    pub(crate) sched: bool,
    pub(crate) translated: bool,
}

/// An out-of-office or automatic-reply phrase.
#[derive(Clone, Debug)]
pub(crate) struct Ooo {
    pub(crate) slots: Box<[Slot]>,
    /// Counts in a text message too (a phrase a person does not type: `Auto-reply`).
    pub(crate) text: bool,
}

/// What the tables say about one word: its classes, and the entries of each table that start
/// with it (for trailing politeness: end with it).
#[derive(Clone, Debug, Default)]
pub(crate) struct Entry {
    word: Box<str>,
    pub(crate) classes: u32,
    pub(crate) polite: Vec<u16>,
    pub(crate) request: Vec<u16>,
    pub(crate) trailing: Vec<u16>,
    pub(crate) keywords: Vec<u16>,
    pub(crate) phrases: Vec<u16>,
    pub(crate) wrong: Vec<u16>,
    pub(crate) ooo: Vec<u16>,
}

impl Entry {
    pub(crate) fn word(&self) -> &str {
        &self.word
    }
}

/// Word classes the rules test (a bit each); `data/words.txt` defines a set of each name.
pub(crate) mod class {
    pub(crate) const NEGATOR: u32 = 1;
    pub(crate) const BRIDGE: u32 = 1 << 1;
    pub(crate) const CONDITIONAL: u32 = 1 << 2;
    pub(crate) const NEG_WORD: u32 = 1 << 3;
    pub(crate) const THIRD_PARTY: u32 = 1 << 4;
    pub(crate) const OWNER: u32 = 1 << 5;
    pub(crate) const RELATION_ADJ: u32 = 1 << 6;
    pub(crate) const RELATION: u32 = 1 << 7;
    pub(crate) const WRITER: u32 = 1 << 8;
    pub(crate) const WRITER_AUX: u32 = 1 << 9;
    pub(crate) const RECEIVING: u32 = 1 << 10;
    pub(crate) const SUFFIX: u32 = 1 << 11;
    pub(crate) const SUFFIX_STRONG: u32 = 1 << 12;
    pub(crate) const DANGLING: u32 = 1 << 13;
    pub(crate) const QUALIFIER: u32 = 1 << 14;
    pub(crate) const PREFERENCE: u32 = 1 << 15;
    pub(crate) const CONTACT_VERB: u32 = 1 << 16;
    pub(crate) const REPLY_PREFIX: u32 = 1 << 17;
    pub(crate) const AUTO_SUBJECT: u32 = 1 << 18;
    pub(crate) const ADDRESSEE: u32 = 1 << 19;
    pub(crate) const ERR_VERB: u32 = 1 << 20;
    pub(crate) const WN_SKIP: u32 = 1 << 21;
    pub(crate) const WN_FOLLOW: u32 = 1 << 22;
}

/// The set name of each word class.
pub(crate) const CLASSES: &[(&str, u32)] = &[
    ("negator", class::NEGATOR),
    ("bridge", class::BRIDGE),
    ("conditional", class::CONDITIONAL),
    ("neg_word", class::NEG_WORD),
    ("third_party", class::THIRD_PARTY),
    ("owner", class::OWNER),
    ("relation_adj", class::RELATION_ADJ),
    ("relation", class::RELATION),
    ("writer", class::WRITER),
    ("writer_aux", class::WRITER_AUX),
    ("receiving", class::RECEIVING),
    ("suffix", class::SUFFIX),
    ("suffix_strong", class::SUFFIX_STRONG),
    ("dangling", class::DANGLING),
    ("qualifier", class::QUALIFIER),
    ("preference", class::PREFERENCE),
    ("contact_verb", class::CONTACT_VERB),
    ("reply_prefix", class::REPLY_PREFIX),
    ("auto_subject", class::AUTO_SUBJECT),
    ("addressee", class::ADDRESSEE),
    ("err_verb", class::ERR_VERB),
    ("wn_skip", class::WN_SKIP),
    ("wn_follow", class::WN_FOLLOW),
];

/// A long keyword matched with one typo, with what the cheap checks need.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fuzzy {
    pub(crate) id: WordId,
    pub(crate) first: char,
    pub(crate) chars: usize,
}

/// Every table, indexed by word.
#[derive(Debug, Default)]
pub(crate) struct Lexicon {
    /// Open-addressing hash table, a power of two long, at most a quarter full. A slot holds
    /// the word's id in its low 16 bits and 16 more bits of its hash above them (so a probe
    /// compares strings only when those match); 0 is an empty slot.
    slots: Box<[u32]>,
    entries: Vec<Entry>,
    pub(crate) keywords: Vec<Keyword>,
    pub(crate) polite: Vec<Box<[WordId]>>,
    pub(crate) request: Vec<Box<[WordId]>>,
    pub(crate) trailing: Vec<Box<[WordId]>>,
    pub(crate) phrases: Vec<Phrase>,
    pub(crate) wrong: Vec<Phrase>,
    pub(crate) ooo: Vec<Ooo>,
    /// Long keywords matched with one typo.
    fuzzy: Vec<Fuzzy>,
    /// `do` and `not`, the two words of the negation `do not`.
    pub(crate) do_not: (WordId, WordId),
    /// What did not parse in the data files (`file:line: why`); a unit test keeps it empty
    /// (only tests read it: the gate has nowhere to report at run time).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) errors: Vec<String>,
}

/// The most words the lexicon holds (ids are 16 bits in the hash table).
const MAX_WORDS: usize = 0xffff;

/// FNV-1a of a word: the slot index comes from the low bits, the fingerprint from the high.
fn hash(w: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in w.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The 16 hash bits stored above the id in a slot.
fn fingerprint(h: u64) -> u32 {
    u32::try_from(h >> 48).unwrap_or(0) << 16
}

impl Lexicon {
    /// The id of `w` exactly, or 0.
    pub(crate) fn find(&self, w: &str) -> WordId {
        let len = self.slots.len();
        if w.is_empty() || len == 0 {
            return 0;
        }
        let mask = len - 1;
        let h = hash(w);
        let fp = fingerprint(h);
        let mut i = usize::try_from(h & 0xffff_ffff).unwrap_or(0) & mask;
        for _ in 0..len {
            match self.slots.get(i).copied() {
                Some(0) | None => return 0,
                Some(slot) => {
                    let id = slot & 0xffff;
                    if slot & 0xffff_0000 == fp && self.get(id).is_some_and(|e| *e.word == *w) {
                        return id;
                    }
                    i = (i + 1) & mask;
                }
            }
        }
        0
    }

    pub(crate) fn get(&self, id: WordId) -> Option<&Entry> {
        usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.entries.get(i))
    }

    /// The phrases that may start at a word with `entry` (translations only when `on`).
    pub(crate) fn phrases_at<'a>(
        &'a self,
        entry: &'a Entry,
        translations: bool,
    ) -> impl Iterator<Item = &'a Phrase> + 'a {
        entry
            .phrases
            .iter()
            .filter_map(|&k| self.phrases.get(usize::from(k)))
            .filter(move |p| translations || !p.translated)
    }
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(build::build);

pub(crate) fn lexicon() -> &'static Lexicon {
    &LEXICON
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_parse_without_errors() {
        let lex = lexicon();
        assert!(lex.errors.is_empty(), "{}", lex.errors.join("\n"));
        assert!(lex.keywords.len() > 50 && lex.phrases.len() > 80);
        assert!(!lex.wrong.is_empty() && !lex.ooo.is_empty());
    }

    #[test]
    fn every_entry_is_indexed_by_its_words() {
        let lex = lexicon();
        let e = |w: &str| lex.get(lex.find(w)).cloned().unwrap_or_default();
        assert!(e("stop").keywords.iter().any(|&k| {
            lex.keywords
                .get(usize::from(k))
                .is_some_and(|kw| kw.words.len() == 1 && kw.kind == Kind::OptOut)
        }));
        for (k, kw) in lex.keywords.iter().enumerate() {
            let first = kw.words.first().copied().unwrap_or(0);
            let entry = lex.get(first).cloned().unwrap_or_default();
            assert!(entry.keywords.contains(&u16::try_from(k).unwrap()), "{k}");
        }
        for (k, f) in lex.trailing.iter().enumerate() {
            let last = f.last().copied().unwrap_or(0);
            let entry = lex.get(last).cloned().unwrap_or_default();
            assert!(entry.trailing.contains(&u16::try_from(k).unwrap()), "{k}");
        }
        assert!(e("dont").classes & class::NEGATOR != 0);
        assert!(e("colleague").classes & class::RELATION != 0);
        assert_eq!(lex.find("terrible"), 0);
        assert_eq!(lex.find(""), 0);
    }

    #[test]
    fn every_class_has_a_set() {
        let lex = lexicon();
        for &(name, bit) in CLASSES {
            let some = (1..=u32::try_from(lex.entries.len()).unwrap())
                .any(|id| lex.get(id).is_some_and(|e| e.classes & bit != 0));
            assert!(some, "{name}");
        }
    }
}
