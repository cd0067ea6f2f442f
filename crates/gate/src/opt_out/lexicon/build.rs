//! Reads `data/*.txt` into a [`Lexicon`]. A line that does not parse is skipped and recorded
//! in [`Lexicon::errors`] (a unit test keeps that empty), so bad data can fail a test but never
//! a request.

use std::collections::HashMap;

use super::{CLASSES, Entry, Fuzzy, Keyword, Kind, Lexicon, MAX_WORDS, Ooo, Phrase, Slot, WordId};
use crate::opt_out::normalize::fold_words;

/// The data files, in the order they are read.
const SOURCES: &[(&str, &str)] = &[
    ("words.txt", include_str!("../data/words.txt")),
    ("keywords.txt", include_str!("../data/keywords.txt")),
    ("phrases.txt", include_str!("../data/phrases.txt")),
    ("wrong_number.txt", include_str!("../data/wrong_number.txt")),
    ("auto_reply.txt", include_str!("../data/auto_reply.txt")),
];

use crate::opt_out::directives::{CORE_LANGUAGE, Line, lines};

/// Assigns ids to words while the lexicon is read.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, WordId>,
    words: Vec<String>,
}

impl Interner {
    fn id(&mut self, w: &str) -> WordId {
        if let Some(&id) = self.ids.get(w) {
            return id;
        }
        self.words.push(w.to_owned());
        let id = WordId::try_from(self.words.len()).unwrap_or(0);
        self.ids.insert(w.to_owned(), id);
        id
    }

    fn seq(&mut self, words: &[String]) -> Box<[WordId]> {
        words.iter().map(|w| self.id(w)).collect()
    }
}

/// The lexicon being built: tables plus, per word, what starts with it.
#[derive(Default)]
struct Builder {
    words: Interner,
    sets: HashMap<String, Vec<String>>,
    lex: Lexicon,
    /// Per word id: the entry under construction.
    entries: HashMap<WordId, Entry>,
}

pub(super) fn build() -> Lexicon {
    let mut errors = Vec::new();
    let all: Vec<Line> = SOURCES
        .iter()
        .flat_map(|(file, src)| lines(file, src, &mut errors))
        .collect();
    let mut b = Builder::default();
    // Sets first: a phrase may use a set defined in a later file.
    for line in all.iter().filter(|l| l.directive == "set") {
        let name = line.flags.first().cloned().unwrap_or_default();
        if name.is_empty() || b.sets.contains_key(&name) {
            errors.push(format!("{}: set without a name or defined twice", line.at));
            continue;
        }
        let mut words = fold_words(&line.body);
        words.sort();
        words.dedup();
        b.sets.insert(name, words);
    }
    for &(name, bit) in CLASSES {
        let words = b.sets.get(name).cloned().unwrap_or_default();
        if words.is_empty() {
            errors.push(format!("class {name}: no `set {name}` in the data"));
        }
        for w in words {
            let id = b.words.id(&w);
            b.entry(id).classes |= bit;
        }
    }
    for line in all.iter().filter(|l| l.directive != "set") {
        if let Err(e) = b.line(line) {
            errors.push(format!("{}: {e}", line.at));
        }
    }
    b.finish(errors)
}

impl Builder {
    fn entry(&mut self, id: WordId) -> &mut Entry {
        self.entries.entry(id).or_default()
    }

    fn line(&mut self, line: &Line) -> Result<(), String> {
        let translated = line.lang != CORE_LANGUAGE;
        let flags: Vec<&str> = line.flags.iter().map(String::as_str).collect();
        match line.directive.as_str() {
            "keyword" => self.keyword(&flags, &line.body, translated),
            "polite" | "request" | "trailing" => {
                let seq = self.words.seq(&self.nonempty_words(&line.body)?);
                let (table, at) = match line.directive.as_str() {
                    "polite" => (&mut self.lex.polite, seq.first()),
                    "request" => (&mut self.lex.request, seq.first()),
                    _ => (&mut self.lex.trailing, seq.last()),
                };
                let k = index(table.len())?;
                let at = at.copied().unwrap_or(0);
                table.push(seq);
                let e = self.entry(at);
                match line.directive.as_str() {
                    "polite" => e.polite.push(k),
                    "request" => e.request.push(k),
                    _ => e.trailing.push(k),
                }
                Ok(())
            }
            "fuzzy" => {
                for w in self.nonempty_words(&line.body)? {
                    let id = self.words.id(&w);
                    let first = w.chars().next().unwrap_or_default();
                    let chars = w.chars().count();
                    self.lex.fuzzy.push(Fuzzy { id, first, chars });
                }
                Ok(())
            }
            "phrase" | "wrong" => {
                let p = self.phrase(&flags, &line.body, translated)?;
                let is_wrong = line.directive == "wrong";
                let starts = self.starts(&p.slots);
                let table = if is_wrong {
                    &mut self.lex.wrong
                } else {
                    &mut self.lex.phrases
                };
                let k = index(table.len())?;
                table.push(p);
                for id in starts {
                    let e = self.entry(id);
                    if is_wrong {
                        e.wrong.push(k);
                    } else {
                        e.phrases.push(k);
                    }
                }
                Ok(())
            }
            "ooo" => {
                let text = match flags.as_slice() {
                    [] => false,
                    ["text"] => true,
                    other => return Err(format!("ooo flags {other:?}")),
                };
                let slots = self.slots(&line.body)?;
                let k = index(self.lex.ooo.len())?;
                for id in self.starts(&slots) {
                    self.entry(id).ooo.push(k);
                }
                self.lex.ooo.push(Ooo { slots, text });
                Ok(())
            }
            other => Err(format!("unknown directive {other:?}")),
        }
    }

    fn nonempty_words(&self, body: &str) -> Result<Vec<String>, String> {
        let words = fold_words(body);
        if words.is_empty() {
            return Err(format!("no words in {body:?}"));
        }
        Ok(words)
    }

    fn keyword(&mut self, flags: &[&str], body: &str, translated: bool) -> Result<(), String> {
        let (kind, rest) = match flags.split_first() {
            Some((&"out", rest)) => (Kind::OptOut, rest),
            Some((&"in", rest)) => (Kind::OptIn, rest),
            Some((&"help", rest)) => (Kind::Help, rest),
            _ => return Err(format!("keyword kind out|in|help, got {flags:?}")),
        };
        let mut strong = false;
        let mut sms_only = false;
        for f in rest {
            match *f {
                "strong" => strong = true,
                "weak" => strong = false,
                "sms" => sms_only = true,
                other => return Err(format!("keyword flag {other:?}")),
            }
        }
        let words = self.words.seq(&self.nonempty_words(body)?);
        let k = index(self.lex.keywords.len())?;
        let first = words.first().copied().unwrap_or(0);
        self.lex.keywords.push(Keyword {
            words,
            kind,
            strong,
            sms_only,
            translated,
        });
        self.entry(first).keywords.push(k);
        Ok(())
    }

    fn phrase(&mut self, flags: &[&str], body: &str, translated: bool) -> Result<Phrase, String> {
        let mut p = Phrase {
            slots: self.slots(body)?,
            neg: true,
            open: false,
            actor: false,
            end: false,
            sched: false,
            translated,
        };
        for f in flags {
            match *f {
                "noneg" => p.neg = false,
                "open" => p.open = true,
                "actor" => p.actor = true,
                "end" => p.end = true,
                "sched" => p.sched = true,
                other => return Err(format!("phrase flag {other:?}")),
            }
        }
        Ok(p)
    }

    /// `a|b|@set` (required), `[a|@set]` (optional), `NEG`.
    fn slots(&mut self, body: &str) -> Result<Box<[Slot]>, String> {
        let mut slots = Vec::new();
        for item in body.split_whitespace() {
            if item == "NEG" {
                slots.push(Slot::Neg);
                continue;
            }
            let (optional, alts) = match item.strip_prefix('[') {
                Some(inner) => match inner.strip_suffix(']') {
                    Some(alts) => (true, alts),
                    None => return Err(format!("unclosed [ in {item:?}")),
                },
                None => (false, item),
            };
            let mut ids = Vec::new();
            for alt in alts.split('|') {
                if let Some(name) = alt.strip_prefix('@') {
                    let words = self
                        .sets
                        .get(name)
                        .cloned()
                        .ok_or_else(|| format!("unknown set @{name}"))?;
                    ids.extend(words.iter().map(|w| self.words.id(w)));
                    continue;
                }
                match fold_words(alt).as_slice() {
                    [w] => ids.push(self.words.id(w)),
                    _ => return Err(format!("{alt:?} in {item:?} is not one word")),
                }
            }
            ids.sort_unstable();
            ids.dedup();
            let ids = ids.into_boxed_slice();
            slots.push(if optional {
                Slot::Opt(ids)
            } else {
                Slot::Req(ids)
            });
        }
        if !slots.iter().any(|s| !matches!(s, Slot::Opt(_))) {
            return Err(format!("no required slot in {body:?}"));
        }
        Ok(slots.into_boxed_slice())
    }

    /// The words a pattern can start with: those of its optional leading slots and of its
    /// first required one.
    fn starts(&mut self, slots: &[Slot]) -> Vec<WordId> {
        let mut out = Vec::new();
        for slot in slots {
            match slot {
                Slot::Req(ws) => {
                    out.extend_from_slice(ws);
                    break;
                }
                Slot::Opt(ws) => out.extend_from_slice(ws),
                Slot::Neg => {
                    let negs = self.sets.get("neg_word").cloned().unwrap_or_default();
                    out.extend(negs.iter().map(|w| self.words.id(w)));
                    out.push(self.words.id("do"));
                    break;
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn finish(mut self, mut errors: Vec<String>) -> Lexicon {
        let do_not = (self.words.id("do"), self.words.id("not"));
        let mut words = std::mem::take(&mut self.words.words);
        if words.len() > MAX_WORDS {
            errors.push(format!("{} words, at most {MAX_WORDS}", words.len()));
            words.truncate(MAX_WORDS);
        }
        // At most a quarter full, so that a miss ends at an empty slot soon.
        let len = (words.len() * 4).max(16).next_power_of_two();
        let mask = len - 1;
        let mut slots = vec![0u32; len];
        let mut entries = Vec::with_capacity(words.len());
        for (i, w) in words.into_iter().enumerate() {
            let id = WordId::try_from(i + 1).unwrap_or(0);
            let mut e = self.entries.remove(&id).unwrap_or_default();
            let h = super::hash(&w);
            let mut at = usize::try_from(h & 0xffff_ffff).unwrap_or(0) & mask;
            while slots.get(at).is_some_and(|&s| s != 0) {
                at = (at + 1) & mask;
            }
            if let Some(s) = slots.get_mut(at) {
                *s = super::fingerprint(h) | id;
            }
            e.word = w.into_boxed_str();
            entries.push(e);
        }
        Lexicon {
            slots: slots.into_boxed_slice(),
            entries,
            do_not,
            errors,
            ..self.lex
        }
    }
}

/// A table index as stored in an [`Entry`].
fn index(len: usize) -> Result<u16, String> {
    u16::try_from(len).map_err(|_| "table too long".to_owned())
}
