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
    match_seq(words, n, i, end, |k, w| n.id(k) == *w)
}

/// Matches configured (folded) words at token `i`, not past `end`.
pub(crate) fn match_words(
    words: &[String],
    n: &Normalized<'_>,
    i: usize,
    end: usize,
) -> Option<usize> {
    match_seq(words, n, i, end, |k, w| n.word(k) == w)
}

/// `words` at token `i` (each compared by `same(token, word)`), not past `end`.
fn match_seq<T>(
    words: &[T],
    n: &Normalized<'_>,
    i: usize,
    end: usize,
    same: impl Fn(usize, &T) -> bool,
) -> Option<usize> {
    if words.is_empty() || i + words.len() > end || end > n.len() {
        return None;
    }
    words
        .iter()
        .enumerate()
        .all(|(k, w)| same(i + k, w))
        .then_some(i + words.len())
}

/// What a backward walk does at a word.
pub(crate) enum Step {
    /// Go on to the word before.
    Skip,
    /// Stop with this answer.
    Stop(bool),
}

/// Walks back from token `pos` (not included) over at most `reach` words of the clause that
/// starts at `clause_start`, asking `at` about each; `false` when the walk runs out.
pub(crate) fn look_back(
    clause_start: usize,
    pos: usize,
    reach: usize,
    mut at: impl FnMut(usize) -> Step,
) -> bool {
    (clause_start..pos)
        .rev()
        .take(reach)
        .find_map(|k| match at(k) {
            Step::Skip => None,
            Step::Stop(answer) => Some(answer),
        })
        .unwrap_or(false)
}
