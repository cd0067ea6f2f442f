//! The rules on one normalised text, shared by every channel: a wrong number, then the three
//! opt-out rules (`rules.rs`), then the opt-in and help keywords.

use super::auto_reply::{Medium, ooo_phrase};
use super::lexicon::Kind;
use super::normalize::Normalized;
use super::rules::{clause_keyword, find_phrase, whole_keyword};
use super::wrong_number::find_wrong_number;
use super::{Intent, OptOut, OptOutConfig, opt_out};
use crate::channel::ChannelScope;

/// What the words of `n` ask for. A wrong number wins over an opt-out (it revokes too, and
/// says more: `Wrong number. Stop texting me`); an opt-out wins over opt-in and help.
/// `sms_like`: the text-message keywords (`YES`, `START`, `HELP`) count.
pub(crate) fn classify_words(n: &Normalized<'_>, cfg: &OptOutConfig, sms_like: bool) -> Intent {
    if n.is_empty() {
        return Intent::None;
    }
    if let Some((a, b)) = find_wrong_number(n, cfg) {
        return Intent::WrongNumber(OptOut {
            matched: n.span(a, b).to_owned(),
            scope: ChannelScope::All,
        });
    }
    let mut fallback = Intent::None;
    if let Some(h) = whole_keyword(n, 0, n.len(), cfg, sms_like) {
        let matched = n.span(h.start, h.end).to_owned();
        match h.kind {
            Kind::OptOut => return opt_out(matched),
            Kind::OptIn => fallback = Intent::OptIn { matched },
            Kind::Help => fallback = Intent::Help { matched },
        }
    }
    if let Some(h) = clause_keyword(n, cfg) {
        return opt_out(n.span(h.start, h.end).to_owned());
    }
    if let Some((a, b)) = find_phrase(n, cfg) {
        return opt_out(n.span(a, b).to_owned());
    }
    fallback
}

/// A text message (SMS, WhatsApp, LinkedIn, a call transcript): the words, and an automatic
/// reply (`Auto-reply: …`, Driving Focus) when the words ask for nothing.
pub(crate) fn classify_text(n: &Normalized<'_>, cfg: &OptOutConfig) -> Intent {
    match classify_words(n, cfg, true) {
        Intent::None => match ooo_phrase(n, n.len(), Medium::Text) {
            Some((a, b)) => Intent::AutoReply {
                matched: n.span(a, b).to_owned(),
            },
            None => Intent::None,
        },
        found => found,
    }
}
