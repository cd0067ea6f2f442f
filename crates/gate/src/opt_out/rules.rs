//! The three opt-out rules shared by every channel.
//!
//! 1. **Whole message** — after politeness words are stripped from both ends (`please`,
//!    `thanks`, `hi`, `ok`, `por favor`, `merci`, …) the text is nothing but keywords, maybe
//!    followed by one short code (`STOP 12345`) or one object word (`STOP ALL`, `stop it`).
//!    Letters typed apart (`s t o p`, `S.T.O.P`) are joined first.
//! 2. **Clause** — one clause of a longer message (text between `.`, `!`, `?`, `,`, `;`, `:`,
//!    line breaks) is a *strong* keyword on its own: `Stop. I never signed up for this`. Weak
//!    keywords (`END`, `QUIT`, `CANCEL`, `ALTO`, …) are ordinary words too and only count as
//!    the whole message: `Can we end the meeting early?` is not an opt-out.
//! 3. **Phrase** — an explicit request anywhere in a clause (`stop texting me`, `remove me from
//!    your list`, `do not contact me`, `unsubscribe`, `I revoke my consent`, …) unless a
//!    negation governs it (`Don't unsubscribe me`, `I don't want you to stop texting me`), its
//!    object is somebody else (`unsubscribe my colleague`), the writer is the one who would
//!    stop (`I'll stop texting you`), or a time or another channel qualifies a negative
//!    request (`Don't call me before noon`, `Don't call me, text me instead`). A conditional
//!    demand (`if you don't stop texting me …`) is not a negation.

use super::OptOutConfig;
use super::grammar::{Step, look_back, match_ids, match_pat, match_words};
use super::lexicon::{Kind, Phrase, class};
use super::normalize::Normalized;

/// A short code or reference after a keyword: `STOP 12345`, `STOP A7`. It has a digit, only
/// ASCII letters and digits, and at most 16 characters.
fn is_code(w: &str) -> bool {
    w.len() <= 16
        && w.bytes().any(|b| b.is_ascii_digit())
        && w.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The longest filler of `table` among `candidates` at token `i`.
fn filler_at(
    table: &[Box<[u32]>],
    candidates: &[u16],
    n: &Normalized<'_>,
    i: usize,
    end: usize,
) -> Option<usize> {
    candidates
        .iter()
        .filter_map(|&k| table.get(usize::from(k)))
        .filter_map(|f| match_ids(f, n, i, end))
        .max()
}

/// Strips one leading filler at `i`: the new start and whether it was a request filler.
pub(crate) fn strip_leading(n: &Normalized<'_>, i: usize, end: usize) -> Option<(usize, bool)> {
    let e = n.entry(i)?;
    let lex = n.lex();
    let polite = filler_at(&lex.polite, &e.polite, n, i, end);
    let request = filler_at(&lex.request, &e.request, n, i, end);
    match (polite, request) {
        (Some(p), Some(r)) if r > p => Some((r, true)),
        (Some(p), _) => Some((p, false)),
        (None, Some(r)) => Some((r, true)),
        (None, None) => None,
    }
}

/// The end of `start..end` once one trailing filler is stripped.
fn strip_trailing_one(n: &Normalized<'_>, start: usize, end: usize) -> Option<usize> {
    if end <= start {
        return None;
    }
    let e = n.entry(end - 1)?;
    e.trailing
        .iter()
        .filter_map(|&k| n.lex().trailing.get(usize::from(k)))
        .filter_map(|f| {
            let len = f.len();
            (end >= start + len && match_ids(f, n, end - len, end) == Some(end)).then(|| end - len)
        })
        .min()
}

/// The end of `start..end` once trailing fillers are stripped.
pub(crate) fn strip_trailing(n: &Normalized<'_>, start: usize, mut end: usize) -> usize {
    while let Some(shorter) = strip_trailing_one(n, start, end) {
        end = shorter;
    }
    end
}

/// A keyword found in the text: what it asks for and its token range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

#[derive(Clone, Copy)]
struct KwAt {
    kind: Kind,
    end: usize,
    strong: bool,
}

/// The longest keyword at token `i`.
fn keyword_at(
    n: &Normalized<'_>,
    i: usize,
    end: usize,
    cfg: &OptOutConfig,
    sms_like: bool,
) -> Option<KwAt> {
    let entry = n.entry(i);
    if entry.is_none() && !cfg.has_keywords() {
        return None;
    }
    let mut best: Option<KwAt> = None;
    let mut consider = |found: Option<usize>, kind: Kind, strong: bool| {
        if let Some(e) = found
            && best.is_none_or(|b| e > b.end)
        {
            best = Some(KwAt {
                kind,
                end: e,
                strong,
            });
        }
    };
    let lex = n.lex();
    for &k in entry.map_or(&[][..], |e| &e.keywords[..]) {
        let Some(kw) = lex.keywords.get(usize::from(k)) else {
            continue;
        };
        if (kw.translated && !cfg.translations) || (kw.sms_only && !sms_like) {
            continue;
        }
        consider(match_ids(&kw.words, n, i, end), kw.kind, kw.strong);
    }
    for w in &cfg.opt_out {
        consider(match_words(w, n, i, end), Kind::OptOut, false);
    }
    for w in &cfg.opt_in {
        consider(match_words(w, n, i, end), Kind::OptIn, false);
    }
    for w in &cfg.help {
        consider(match_words(w, n, i, end), Kind::Help, false);
    }
    best
}

/// `a..b` is nothing but keywords, maybe followed by one code or object word. Opt-out wins
/// over opt-in over help; the hit is the first keyword of the winning kind.
fn keyword_sequence(
    n: &Normalized<'_>,
    a: usize,
    b: usize,
    cfg: &OptOutConfig,
    sms_like: bool,
    weak_ok: bool,
) -> Option<Hit> {
    let mut i = a;
    let mut hits: [Option<Hit>; 3] = [None; 3];
    let mut all_strong = true;
    while i < b {
        let Some(k) = keyword_at(n, i, b, cfg, sms_like) else {
            break;
        };
        if !k.strong && !weak_ok {
            return None;
        }
        all_strong &= k.strong;
        let slot = match k.kind {
            Kind::OptOut => 0,
            Kind::OptIn => 1,
            Kind::Help => 2,
        };
        if let Some(h) = hits.get_mut(slot)
            && h.is_none()
        {
            *h = Some(Hit {
                kind: k.kind,
                start: i,
                end: k.end,
            });
        }
        i = k.end;
    }
    if i == a {
        return None;
    }
    let mut suffix_word = false;
    if i < b {
        if i + 1 != b {
            return None;
        }
        if n.is(i, class::SUFFIX) || (all_strong && n.is(i, class::SUFFIX_STRONG)) {
            suffix_word = true;
        } else if !is_code(n.word(i)) {
            return None;
        }
    }
    // The object word belongs to what was matched (`stop it`, `unsubscribe me`); a code does
    // not (`STOP 12345` matched `STOP`).
    hits.into_iter().flatten().next().map(|h| {
        if suffix_word && h.end == i {
            Hit { end: b, ..h }
        } else {
            h
        }
    })
}

/// `s t o p`, `S.T.O.P.`: single letters typed apart that spell a one-word keyword.
fn spelled_out(n: &Normalized<'_>, cfg: &OptOutConfig, sms_like: bool) -> Option<Hit> {
    let len = n.len();
    if !(3..=16).contains(&len) || !(0..len).all(|i| n.word(i).chars().count() == 1) {
        return None;
    }
    let joined: String = (0..len).map(|i| n.word(i)).collect();
    let joined_n = Normalized::new(&joined);
    keyword_sequence(&joined_n, 0, joined_n.len(), cfg, sms_like, true).map(|h| Hit {
        kind: h.kind,
        start: 0,
        end: len,
    })
}

/// Rule 1: the whole text is a keyword (after politeness at both ends).
pub(crate) fn whole_keyword(
    n: &Normalized<'_>,
    a: usize,
    b: usize,
    cfg: &OptOutConfig,
    sms_like: bool,
) -> Option<Hit> {
    let mut i = a;
    let mut request = false;
    loop {
        // Try the text with its trailing politeness, then without it one filler at a time, so
        // that a configured `para ya` wins over the built-in `para` + `ya`.
        let mut e = b;
        loop {
            if i < e
                && let Some(h) = keyword_sequence(n, i, e, cfg, sms_like, !request)
            {
                // After "I want to" / "can you" only an opt-out counts (`can you help` asks).
                if !request || h.kind == Kind::OptOut {
                    return Some(h);
                }
            }
            match strip_trailing_one(n, i, e) {
                Some(shorter) => e = shorter,
                None => break,
            }
        }
        match strip_leading(n, i, b) {
            Some((next, req)) => {
                i = next;
                request |= req;
            }
            None => break,
        }
    }
    if a == 0 && b == n.len() {
        return spelled_out(n, cfg, sms_like);
    }
    None
}

/// Rule 2: some clause is a strong opt-out keyword on its own.
pub(crate) fn clause_keyword(n: &Normalized<'_>, cfg: &OptOutConfig) -> Option<Hit> {
    for (a, b) in n.clauses() {
        let mut i = a;
        loop {
            let e = strip_trailing(n, i, b);
            if i < e
                && let Some(h) = keyword_sequence(n, i, e, cfg, true, false)
                && h.kind == Kind::OptOut
            {
                return Some(h);
            }
            match strip_leading(n, i, b) {
                Some((next, _)) => i = next,
                None => break,
            }
        }
    }
    None
}

/// Rule 3: an explicit request phrase anywhere, not negated, about the writer themself.
/// Returns the token range of the phrase.
pub(crate) fn find_phrase(n: &Normalized<'_>, cfg: &OptOutConfig) -> Option<(usize, usize)> {
    let mut clause_end = 0;
    let mut clause_start = 0;
    let mut body_end = 0;
    for i in 0..n.len() {
        if i >= clause_end {
            clause_start = i;
            clause_end = n.clause_end(i);
            body_end = strip_trailing(n, i, clause_end);
        }
        if let Some(entry) = n.entry(i) {
            for p in n.lex().phrases_at(entry, cfg.translations) {
                if let Some(e) = phrase_at(n, p, i, clause_start, clause_end, body_end) {
                    // A phrase that is the whole clause keeps its object (`stop sending these`).
                    return Some((i, if p.end { e } else { trim_dangling(n, i, e) }));
                }
            }
        }
        for w in &cfg.phrases {
            if let Some(e) = match_words(w, n, i, clause_end)
                && !negated(n, clause_start, i)
            {
                return Some((i, e));
            }
        }
    }
    None
}

/// `p` at token `i` of the clause `clause_start..clause_end` (whose text before trailing
/// politeness ends at `body_end`), with its conditions; the end of the match.
fn phrase_at(
    n: &Normalized<'_>,
    p: &Phrase,
    i: usize,
    clause_start: usize,
    clause_end: usize,
    body_end: usize,
) -> Option<usize> {
    let e = if p.end {
        match_pat(&p.slots, n, i, body_end, true)?
    } else {
        match_pat(&p.slots, n, i, clause_end, false)?
    };
    if p.neg && negated(n, clause_start, i) {
        return None;
    }
    if p.open && third_party_at(n, e) {
        return None;
    }
    if p.actor && writer_is_subject(n, clause_start, i) && !n.is(i + 1, class::RECEIVING) {
        return None;
    }
    if p.sched && qualified(n, e, clause_end) {
        return None;
    }
    Some(e)
}

/// Drops function words an optional tail left at the end of a match (`remove me from your`
/// when the list is not named).
fn trim_dangling(n: &Normalized<'_>, start: usize, mut end: usize) -> usize {
    while end > start + 1 && n.is(end - 1, class::DANGLING) {
        end -= 1;
    }
    end
}

/// Rule 3 on a short text that must *be* the request (an email subject): after politeness
/// at the start, a phrase that covers the rest but trailing politeness.
pub(crate) fn exact_phrase(
    n: &Normalized<'_>,
    a: usize,
    b: usize,
    cfg: &OptOutConfig,
) -> Option<(usize, usize)> {
    let mut i = a;
    loop {
        let e = strip_trailing(n, i, b);
        if i < e
            && (n.entry(i).is_some_and(|entry| {
                n.lex()
                    .phrases_at(entry, cfg.translations)
                    .any(|p| match_pat(&p.slots, n, i, e, true).is_some())
            }) || cfg
                .phrases
                .iter()
                .any(|w| match_words(w, n, i, e) == Some(e)))
        {
            return Some((i, e));
        }
        match strip_leading(n, i, b) {
            Some((next, _)) => i = next,
            None => return None,
        }
    }
}

/// Whether a negation governs the request at `pos` (looking back inside its clause).
fn negated(n: &Normalized<'_>, clause_start: usize, pos: usize) -> bool {
    look_back(clause_start, pos, 6, |k| {
        if n.is(k, class::NEGATOR) {
            // "if you don't stop texting me …" is a demand, not a negation.
            let from = k.saturating_sub(3).max(clause_start);
            Step::Stop(!(from..k).any(|j| n.is(j, class::CONDITIONAL)))
        } else if n.is(k, class::BRIDGE) {
            Step::Skip
        } else {
            Step::Stop(false)
        }
    })
}

/// Whether the writer is the subject of the verb at `pos` (`I'll stop`, `should I stop`,
/// `we can stop`).
fn writer_is_subject(n: &Normalized<'_>, clause_start: usize, pos: usize) -> bool {
    look_back(clause_start, pos, 4, |k| {
        if n.is(k, class::WRITER) {
            Step::Stop(true)
        } else if n.is(k, class::WRITER_AUX) {
            Step::Skip
        } else {
            Step::Stop(false)
        }
    })
}

/// Objects that are somebody else: `unsubscribe my colleague`, `opt out him`.
fn third_party_at(n: &Normalized<'_>, i: usize) -> bool {
    if n.is(i, class::THIRD_PARTY) {
        return true;
    }
    if !n.is(i, class::OWNER) {
        return false;
    }
    let k = if n.is(i + 1, class::RELATION_ADJ) {
        i + 2
    } else {
        i + 1
    };
    n.is(k, class::RELATION)
}

/// A negative request qualified by a time or by another channel is a schedule or a
/// preference, not a revocation: `don't call me before noon`, `don't call me, text me
/// instead`, `don't email, just text`.
fn qualified(n: &Normalized<'_>, end: usize, clause_end: usize) -> bool {
    if (end..clause_end.min(end + 2)).any(|k| n.is(k, class::QUALIFIER)) {
        return true;
    }
    let (a, b) = (clause_end, n.clause_end(clause_end));
    if a >= b {
        return false;
    }
    if (a..b).any(|k| n.is(k, class::PREFERENCE)) {
        return true;
    }
    // The next clause asks for another channel: `just text`, `text me`, `email me only`.
    let mut k = a;
    while k < b && matches!(n.word(k), "just" | "only" | "please" | "pls" | "but") {
        k += 1;
    }
    n.is(k, class::CONTACT_VERB) && (k + 1 == b || matches!(n.word(k + 1), "me" | "us" | "only"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> OptOutConfig {
        OptOutConfig::default()
    }

    #[test]
    fn codes() {
        assert!(is_code("12345"));
        assert!(is_code("a7"));
        assert!(!is_code("acme"));
        assert!(!is_code("12345678901234567"));
    }

    #[test]
    fn fillers_strip_both_ends() {
        let n = Normalized::new("hi please stop thank you");
        assert_eq!(strip_trailing(&n, 0, n.len()), 3);
        assert_eq!(strip_leading(&n, 0, n.len()), Some((1, false)));
        let n = Normalized::new("can you stop");
        assert_eq!(strip_leading(&n, 0, n.len()), Some((2, true)));
    }

    #[test]
    fn whole_keyword_rules() {
        let c = cfg();
        let k = |s: &str| {
            let n = Normalized::new(s);
            whole_keyword(&n, 0, n.len(), &c, true)
                .map(|h| (h.kind, n.span(h.start, h.end).to_owned()))
        };
        assert_eq!(k("STOP"), Some((Kind::OptOut, "STOP".into())));
        assert_eq!(k("stop stop stop"), Some((Kind::OptOut, "stop".into())));
        assert_eq!(k("STOP 12345"), Some((Kind::OptOut, "STOP".into())));
        assert_eq!(k("STOP ALL"), Some((Kind::OptOut, "STOP ALL".into())));
        assert_eq!(k("s t o p"), Some((Kind::OptOut, "s t o p".into())));
        assert_eq!(k("STOPPP"), Some((Kind::OptOut, "STOPPP".into())));
        assert_eq!(k("I need to cancel"), None);
        assert_eq!(k("Cancel it"), None);
        assert_eq!(k("stop lying"), None);
        assert_eq!(k("Yes please"), Some((Kind::OptIn, "Yes".into())));
        assert_eq!(k("can you help"), None);
        assert_eq!(k("please"), None);
    }

    #[test]
    fn negation_and_bridges() {
        let n = Normalized::new("i dont want to unsubscribe");
        assert!(negated(&n, 0, 4));
        let n = Normalized::new("im not sure how to unsubscribe");
        assert!(!negated(&n, 0, 5));
        let n = Normalized::new("if you dont stop texting me");
        assert!(!negated(&n, 0, 3));
    }

    #[test]
    fn schedules_and_preferences_qualify() {
        let q = |s: &str, end: usize| {
            let n = Normalized::new(s);
            qualified(&n, end, n.clause_end(0))
        };
        assert!(q("dont call me before noon", 3));
        assert!(q("dont call me, text me instead", 3));
        assert!(q("dont email, just text", 2));
        assert!(!q("dont call me, just leave me alone", 3));
        assert!(!q("dont call me again", 3));
    }
}
