//! Text normalisation for keyword matching: one pass over the characters, no regex.
//!
//! The text is cut into word tokens. Each token keeps its byte span in the original text (so a
//! match can report what the person actually wrote) and a folded form: lower case, Latin
//! diacritics removed (`ARRÊT` → `arret`, `Más` → `mas`, `ß` → `ss`), full-width ASCII mapped to
//! ASCII, apostrophes and zero-width characters dropped inside a word (`don't` → `dont`,
//! `s'il` → `sil`). A Chinese or Japanese character is a word of its own (those scripts do not
//! separate words). Every other character separates words; `.`, `!`, `?`, `;`, line breaks,
//! `,`, `:` and dashes also end a *clause*, the unit the clause rules look at. Each token is
//! looked up in the lexicon once, tolerantly (`STOPPP` is `stop`, `unsuscribe` is
//! `unsubscribe`: `lexicon/tolerant.rs`).

use super::lexicon::{Entry, Lexicon, WordId, lexicon};

/// One word of the text.
#[derive(Clone, Copy, Debug)]
struct Token {
    /// Folded form: `buf[norm_start..norm_end]`.
    norm_start: usize,
    norm_end: usize,
    /// Byte span in the original text.
    start: usize,
    end: usize,
    /// Clause number; equal for the tokens of one clause.
    clause: u32,
    /// The lexicon word it is (exactly, or once a typo or an elongation is undone); 0 for a
    /// word the lexicon does not know.
    id: WordId,
}

/// A text cut into folded tokens.
#[derive(Debug)]
pub(crate) struct Normalized<'s> {
    src: &'s str,
    lex: &'static Lexicon,
    buf: String,
    toks: Vec<Token>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// The folded character(s) were pushed: part of a word.
    Word,
    /// A word of its own (a CJK character: those scripts do not separate words by spaces).
    Single,
    /// Ignored inside a word (apostrophe, combining mark, zero-width character).
    Join,
    /// Ends a word.
    Space,
    /// Ends a word and a clause.
    Break,
}

/// The tokenizer's state: the folded text and its words.
struct Cutter<'l> {
    /// Looks each word up when set; ids stay 0 otherwise.
    lex: Option<&'l Lexicon>,
    buf: String,
    toks: Vec<Token>,
    clause: u32,
    pending_break: bool,
    /// The word being built: `(norm_start, start, end)`.
    cur: Option<(usize, usize, usize)>,
}

impl<'l> Cutter<'l> {
    fn cut(src: &str, lex: Option<&'l Lexicon>) -> Cutter<'l> {
        let mut c = Cutter {
            lex,
            buf: String::with_capacity(src.len()),
            toks: Vec::with_capacity(src.len() / 4 + 2),
            clause: 0,
            pending_break: false,
            cur: None,
        };
        for (at, ch) in src.char_indices() {
            let before = c.buf.len();
            let end = at + ch.len_utf8();
            match fold_into(ch, &mut c.buf) {
                Class::Word => {
                    c.cur = match c.cur {
                        Some((ns, s, _)) => Some((ns, s, end)),
                        None => {
                            c.open_word();
                            Some((before, at, end))
                        }
                    };
                }
                Class::Single => {
                    // The character is already in `buf`: close the word before it first.
                    if let Some((ns, s, e)) = c.cur.take() {
                        c.push(ns, before, s, e);
                    }
                    c.open_word();
                    c.push(before, c.buf.len(), at, end);
                }
                Class::Join => {}
                Class::Space => c.finish(),
                Class::Break => {
                    c.finish();
                    c.pending_break = true;
                }
            }
        }
        c.finish();
        c
    }

    /// A word starts: a pending clause break takes effect.
    fn open_word(&mut self) {
        if self.pending_break {
            if !self.toks.is_empty() {
                self.clause = self.clause.saturating_add(1);
            }
            self.pending_break = false;
        }
    }

    fn push(&mut self, norm_start: usize, norm_end: usize, start: usize, end: usize) {
        let id = match self.lex {
            Some(lex) => lex.find_tolerant(self.buf.get(norm_start..norm_end).unwrap_or("")),
            None => 0,
        };
        self.toks.push(Token {
            norm_start,
            norm_end,
            start,
            end,
            clause: self.clause,
            id,
        });
    }

    fn finish(&mut self) {
        if let Some((ns, s, e)) = self.cur.take() {
            self.push(ns, self.buf.len(), s, e);
        }
    }
}

/// The folded words of `s`, without looking them up: for reading the lexicon's data and a
/// workspace's keywords.
pub(crate) fn fold_words(s: &str) -> Vec<String> {
    let c = Cutter::cut(s, None);
    c.toks
        .iter()
        .filter_map(|t| c.buf.get(t.norm_start..t.norm_end).map(str::to_owned))
        .collect()
}

impl<'s> Normalized<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        let lex = lexicon();
        let Cutter { buf, toks, .. } = Cutter::cut(src, Some(lex));
        Normalized {
            src,
            lex,
            buf,
            toks,
        }
    }

    pub(crate) fn lex(&self) -> &'static Lexicon {
        self.lex
    }

    pub(crate) fn len(&self) -> usize {
        self.toks.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    /// The word `i` (`""` out of range): the lexicon's spelling of a word it knows (so a
    /// corrected typo reads as the word it is), the folded text otherwise.
    pub(crate) fn word(&self, i: usize) -> &str {
        let Some(t) = self.toks.get(i) else { return "" };
        match self.lex.get(t.id) {
            Some(e) => e.word(),
            None => self.buf.get(t.norm_start..t.norm_end).unwrap_or(""),
        }
    }

    /// The lexicon id of word `i` (0: unknown or out of range).
    pub(crate) fn id(&self, i: usize) -> WordId {
        self.toks.get(i).map_or(0, |t| t.id)
    }

    /// Whether word `i` belongs to the word class `class` (`lexicon::class`).
    pub(crate) fn is(&self, i: usize, class: u32) -> bool {
        self.entry(i).is_some_and(|e| e.classes & class != 0)
    }

    /// The original text from the start of token `a` to the end of token `b - 1`.
    pub(crate) fn span(&self, a: usize, b: usize) -> &'s str {
        let (Some(first), Some(last)) = (
            self.toks.get(a),
            b.checked_sub(1).and_then(|l| self.toks.get(l)),
        ) else {
            return "";
        };
        self.src.get(first.start..last.end).unwrap_or("")
    }

    /// What the lexicon says about token `i`, if it knows the word.
    pub(crate) fn entry(&self, i: usize) -> Option<&'static Entry> {
        self.toks.get(i).and_then(|t| self.lex.get(t.id))
    }

    /// Clause number of token `i`.
    pub(crate) fn clause(&self, i: usize) -> Option<u32> {
        self.toks.get(i).map(|t| t.clause)
    }

    /// The end (exclusive) of the clause that starts at token `a`.
    pub(crate) fn clause_end(&self, a: usize) -> usize {
        let Some(c) = self.clause(a) else { return a };
        let mut k = a;
        while self.clause(k) == Some(c) {
            k += 1;
        }
        k
    }

    /// `(start, end)` token ranges of the clauses, in order.
    pub(crate) fn clauses(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut a = 0;
        std::iter::from_fn(move || {
            if a >= self.len() {
                return None;
            }
            let b = self.clause_end(a);
            let r = (a, b);
            a = b;
            Some(r)
        })
    }

    /// The words, as [`Normalized::word`] reads them.
    #[cfg(test)]
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.word(i))
    }
}

/// Folds `c` onto `buf` and says what it is.
fn fold_into(c: char, buf: &mut String) -> Class {
    if c.is_ascii() {
        return match c {
            'a'..='z' | '0'..='9' => {
                buf.push(c);
                Class::Word
            }
            'A'..='Z' => {
                buf.push(c.to_ascii_lowercase());
                Class::Word
            }
            '\'' | '`' => Class::Join,
            '.' | '!' | '?' | ';' | ',' | ':' | '\n' | '\r' | '|' | '(' | ')' | '[' | ']' => {
                Class::Break
            }
            _ => Class::Space,
        };
    }
    if let Some(s) = fold_latin(c) {
        buf.push_str(s);
        return Class::Word;
    }
    match c {
        // Apostrophes, combining diacritics, zero-width characters, soft hyphen.
        '\u{2018}'
        | '\u{2019}'
        | '\u{00B4}'
        | '\u{02BC}'
        | '\u{0300}'..='\u{036F}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'
        | '\u{FEFF}'
        | '\u{00AD}' => Class::Join,
        // Sentence and clause punctuation: ellipsis, dashes, Spanish openers, CJK and Arabic marks.
        '\u{2026}' | '\u{2013}' | '\u{2014}' | '\u{00A1}' | '\u{00BF}' | '\u{3002}'
        | '\u{3001}' | '\u{FF01}' | '\u{FF0C}' | '\u{FF1F}' | '\u{FF1A}' | '\u{FF1B}'
        | '\u{061F}' | '\u{2028}' | '\u{2029}' | '\u{0085}' => Class::Break,
        // Other full-width ASCII (`ＳＴＯＰ`).
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            match char::from_u32(u32::from(c) - 0xFEE0) {
                Some(a) => fold_into(a, buf),
                None => Class::Space,
            }
        }
        // Han, kana: each character is a word (`退订` is `退` `订`).
        '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}' => {
            buf.push(c);
            Class::Single
        }
        _ if c.is_alphanumeric() => {
            buf.extend(c.to_lowercase());
            Class::Word
        }
        _ => Class::Space,
    }
}

/// Latin letters with diacritics (Latin-1 Supplement and common Latin Extended-A), folded to
/// lower-case ASCII.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å'
        | 'Ā' | 'Ă' | 'Ą' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
        'ď' | 'đ' | 'Ď' | 'Đ' | 'ð' | 'Ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę'
        | 'Ě' => "e",
        'ğ' | 'Ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' => {
            "i"
        }
        'ł' | 'Ł' => "l",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō'
        | 'Ő' => "o",
        'œ' | 'Œ' => "oe",
        'ř' | 'Ř' => "r",
        'ś' | 'š' | 'ş' | 'Ś' | 'Š' | 'Ş' => "s",
        'ß' | 'ẞ' => "ss",
        'ť' | 'ţ' | 'Ť' | 'Ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű'
        | 'Ų' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        'þ' | 'Þ' => "th",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        Normalized::new(s).words().map(str::to_owned).collect()
    }

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(words("  STOP!! "), ["stop"]);
        assert_eq!(words("ARRÊT"), ["arret"]);
        assert_eq!(words("No MÁS, gracias"), ["no", "mas", "gracias"]);
        assert_eq!(words("Opt-out"), ["opt", "out"]);
        assert_eq!(words("don't  text me"), ["dont", "text", "me"]);
        assert_eq!(words("Don\u{2019}t"), ["dont"]);
        assert_eq!(words("Stra\u{00DF}e"), ["strasse"]);
        assert_eq!(words("ＳＴＯＰ"), ["stop"]);
        assert_eq!(words("arre\u{0302}t"), ["arret"]);
        assert_eq!(words("😡 stop 😡"), ["stop"]);
        assert_eq!(words("СТОП"), ["стоп"]);
        assert_eq!(words(""), Vec::<String>::new());
    }

    #[test]
    fn keeps_original_spans() {
        let n = Normalized::new("  'Opt-Out'  please");
        assert_eq!(n.len(), 3);
        assert_eq!(n.span(0, 2), "Opt-Out");
        assert_eq!(n.span(2, 3), "please");
        assert_eq!(n.span(3, 4), "");
    }

    #[test]
    fn clauses_split_on_punctuation() {
        let n = Normalized::new("Hi there, STOP. Who is this?\nthanks");
        let c: Vec<_> = n.clauses().collect();
        assert_eq!(c, [(0, 2), (2, 3), (3, 6), (6, 7)]);
        assert_eq!(n.clause_end(3), 6);
    }
}
