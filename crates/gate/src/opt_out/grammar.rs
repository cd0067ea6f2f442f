//! Matching the lexicon's patterns and word sequences against a normalised text.

use super::lexicon::{Slot, WordId};
use super::normalize::Normalized;

/// Matches `slots` at token `i`, not past `end`. With `exact`, the match must end at `end`.
/// Returns the end of the match. Optional slots are tried taken first, then skipped.
pub(crate) fn match_pat(
    slots: &[Slot],
    n: &Normalized<'_>,
    i: usize,
    end: usize,
    exact: bool,
) -> Option<usize> {
    let Some((first, rest)) = slots.split_first() else {
        return (!exact || i == end).then_some(i);
    };
    let id = if i < end { n.id(i) } else { 0 };
    match first {
        Slot::Req(ws) => {
            if Slot::holds(ws, id) {
                match_pat(rest, n, i + 1, end, exact)
            } else {
                None
            }
        }
        Slot::Opt(ws) => {
            if Slot::holds(ws, id)
                && let Some(e) = match_pat(rest, n, i + 1, end, exact)
            {
                return Some(e);
            }
            match_pat(rest, n, i, end, exact)
        }
        Slot::Neg => {
            let (do_id, not_id) = n.lex().do_not;
            if i < end && n.is(i, super::lexicon::class::NEG_WORD) {
                match_pat(rest, n, i + 1, end, exact)
            } else if i + 1 < end && id == do_id && n.id(i + 1) == not_id {
                match_pat(rest, n, i + 2, end, exact)
            } else {
                None
            }
        }
    }
}

/// Matches the lexicon words `words` at token `i`, not past `end`.
pub(crate) fn match_ids(
    words: &[WordId],
    n: &Normalized<'_>,
    i: usize,
    end: usize,
) -> Option<usize> {
    if words.is_empty() || i + words.len() > end {
        return None;
    }
    words
        .iter()
        .enumerate()
        .all(|(k, &w)| n.id(i + k) == w)
        .then_some(i + words.len())
}

/// Matches configured (folded) words at token `i`, not past `end`.
pub(crate) fn match_words(
    words: &[String],
    n: &Normalized<'_>,
    i: usize,
    end: usize,
) -> Option<usize> {
    if words.is_empty() || i + words.len() > end {
        return None;
    }
    words
        .iter()
        .enumerate()
        .all(|(k, w)| n.word(i + k) == w)
        .then_some(i + words.len())
}
