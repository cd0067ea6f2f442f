//! Opt-out detection on inbound replies.
//!
//! [`classify_inbound`] reads one inbound message and says whether it revokes consent
//! ([`Intent::OptOut`]), says the number is not the lead's ([`Intent::WrongNumber`], which
//! revokes too), asks to receive messages again ([`Intent::OptIn`]: `START`, `UNSTOP`, `YES`,
//! `SUBSCRIBE`), asks for help ([`Intent::Help`]: `HELP`, `INFO`), is an automatic message
//! ([`Intent::AutoReply`]: an out-of-office, a delivery report, Driving Focus) or none of these.
//! [`Intent::as_str`] gives the contract's names (`opt_out`, `wrong_number`, …). It is pure and
//! cheap: one normalisation pass over the text, table look-ups, no regex.
//! [`out_of_office_return`] reads the return date out of an out-of-office reply.
//!
//! The word lists and the phrase grammar are data (`opt_out/data/*.txt`, read once).
//!
//! # Text messages (SMS, WhatsApp; LinkedIn messages and call transcripts alike)
//!
//! (For a call, pass only what the contact said: our own script may say "reply STOP".)
//!
//! * **Keywords** (CTIA, FCC 24-18 § 64.1200(a)(10)): `STOP`, `STOPALL`, `UNSUBSCRIBE`,
//!   `CANCEL`, `END`, `QUIT`, `REVOKE`, `OPTOUT` / `OPT OUT` / `OPT-OUT`, ignoring case,
//!   spacing, punctuation, emoji and accents, with common translations (`ARRÊT`, `ALTO`,
//!   `PARAR`, `BAJA`, `NO MÁS`, `STOPP`, `ABMELDEN`, `ANNULER`, `CANCELAR`, `DESINSCRIBIR`,
//!   `退订`, `配信停止`, …). A keyword counts when it is the whole message, give or take
//!   politeness (`Stop please`, `STOP!!!`, `Please, STOP. Thanks`, `s t o p`) — not when it is
//!   a word in a sentence (`We have got to STOP this terrible bill`, `Don't stop believing`,
//!   `I'll call you when I reach the bus stop`, `Can we end the meeting early?`).
//! * **Typos and elongations**: `STOPPP`, `Stooop`, `BAJAAA` are read as the word they
//!   lengthen, and the long keywords with one typo (`Unsuscribe`, `unsubcribe`,
//!   `Désabonement`) as the keyword (`lexicon/tolerant.rs` says which and why not more).
//! * **`STOP 12345`**: a keyword followed by one short code (a token with a digit, ASCII
//!   letters and digits only, at most 16 characters) is still an opt-out. Some systems use such
//!   codes to mute one programme or one patient's reminders (medic/cht-core#476), but the FCC
//!   treats the word `stop` in a reply as a revocation, so we revoke on every channel; the code
//!   is not needed for that and is ignored. A keyword followed by an ordinary word is not a
//!   keyword message (`Stop lying`, `Cancel appointment`), except for a few object words
//!   (`STOP ALL`, `stop it`, `unsubscribe me`).
//! * **Strong keywords in a longer message**: `STOP`, `UNSUBSCRIBE`, `OPTOUT`, `REVOKE` and the
//!   unambiguous translations also count as a clause of their own: `Stop. I never signed up
//!   for this`. The everyday words `END`, `QUIT`, `CANCEL`, `ALTO`, … only count as the whole
//!   message.
//! * **Requests** — revocation "by any reasonable means" (FCC 24-18): an explicit request
//!   anywhere in the message — `stop texting me`, `remove me from your list`, `do not contact
//!   me again`, `unsubscribe me`, `lose my number`, `no more texts`, `leave me alone`, `I revoke
//!   my consent`, `cancel my subscription`, `darme de baja`, `ne m'envoyez plus`, … — and the
//!   short requests that are the whole clause: `Do not call`, `Don't text`, `Stop sending`,
//!   `Stop receiving these`. Not when a negation governs it (`don't stop texting me`), when it
//!   is about somebody else (`unsubscribe my colleague`), when the writer is the one who would
//!   stop (`I'll stop texting you`), or when a time or another channel qualifies a negative
//!   request (`Don't call me before noon`, `Don't call me, text me instead`). `Not interested`
//!   is not an opt-out.
//! * **Wrong number**: `Wrong number`, `you have the wrong person`, `número equivocado`,
//!   `falsch verbunden`, `打错了`, … — not `I gave you the wrong number` nor `the wrong number
//!   of seats` (`wrong_number.rs`). It wins over an opt-out in the same message.
//! * `START`/`UNSTOP`/`YES`/`SUBSCRIBE` and `HELP`/`INFO` only count as the whole message and
//!   never as an opt-out; a message with both an opt-out and an opt-in keyword is an opt-out.
//! * **Auto-replies**: a message that asks for nothing of the above but is an out-of-office or
//!   Driving Focus reply is [`Intent::AutoReply`].
//!
//! # Email
//!
//! Only the new text of a reply is read (quoted lines, `On … wrote:`, Outlook headers,
//! forwarded messages and signatures are cut: see `email.rs`), because the quoted outgoing
//! footer says "unsubscribe". Inside that text the same rules apply; a request phrase may sit
//! in a longer reply (`Please remove me from your mailing list. Thanks, Ana`). A question about
//! how to unsubscribe (`How do I unsubscribe?`) is a request to unsubscribe and counts; a
//! question about unsubscribing somebody else (`how do I unsubscribe my colleague?`) does not
//! revoke this contact's consent and does not count. A subject that is an opt-out by itself
//! (`Unsubscribe`, `Re: remove me`) counts. Automatic mail (headers, subject, an out-of-office
//! text: `auto_reply.rs`) is [`Intent::AutoReply`] and never an opt-out, except the
//! unsubscribe messages mail clients send for the person (Apple Mail's `X-Apple-Unsubscribe:
//! true`, which counts even with `Auto-Submitted`, and `Auto-Submitted: auto-generated` mail
//! whose subject is an opt-out keyword). `YES`, `START` and `HELP` are text-message keywords
//! and mean nothing in an email; `SUBSCRIBE` does.
//!
//! # Scope and configuration
//!
//! Every opt-out and wrong number has scope `*` ([`ChannelScope::All`]): a person who says stop
//! on one channel is not contacted on any. [`OptOutConfig`] adds per-workspace keywords
//! (whole-message, like `END`), phrases (anywhere, like `remove me`), opt-in and help keywords,
//! and can turn the built-in translations off; the English keywords and phrases are always on.

mod auto_reply;
mod classify;
mod config;
mod directives;
mod email;
mod grammar;
mod lexicon;
mod normalize;
mod return_date;
mod rules;
mod wrong_number;

use crate::channel::{Channel, ChannelScope};

pub use config::{OptOutConfig, OptOutKeywords};
pub use return_date::out_of_office_return;

use normalize::Normalized;

/// An inbound message as the gate sees it.
#[derive(Clone, Debug, Default)]
pub struct InboundMessage<'a> {
    pub body: &'a str,
    pub subject: Option<&'a str>,
    /// Raw header lines (`Name: value`), for email auto-reply detection.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> InboundMessage<'a> {
    /// A message with a body only (SMS, WhatsApp, LinkedIn, a call transcript).
    pub fn text(body: &'a str) -> Self {
        InboundMessage {
            body,
            subject: None,
            headers: &[],
        }
    }
}

/// A detected opt-out: what matched and which channels it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptOut {
    /// The keyword or phrase as the person wrote it (`STOP`, `Opt-out`, `remove me from your
    /// mailing list`), or the header that made it one (`X-Apple-Unsubscribe: true`).
    pub matched: String,
    pub scope: ChannelScope,
}

/// What an inbound message means for contact permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    OptOut(OptOut),
    /// START / UNSTOP / YES: the person asks to receive messages again.
    OptIn {
        matched: String,
    },
    /// HELP / INFO.
    Help {
        matched: String,
    },
    /// "Wrong number", "you have the wrong person": the number is not the lead's. It revokes
    /// like an opt-out (scope `*`); the consents recorded for the contact were not given by
    /// the person who has the number now.
    WrongNumber(OptOut),
    /// An automatic message (out-of-office, vacation responder, delivery report, Driving
    /// Focus): not a reply from the person.
    AutoReply {
        matched: String,
    },
    None,
}

impl Intent {
    /// The revocation this intent carries: an opt-out or a wrong number.
    pub fn opt_out(&self) -> Option<&OptOut> {
        match self {
            Intent::OptOut(o) | Intent::WrongNumber(o) => Some(o),
            _ => None,
        }
    }

    /// Whether the intent revokes consent (an opt-out or a wrong number).
    pub fn is_opt_out(&self) -> bool {
        self.opt_out().is_some()
    }

    /// The contract's name of the intent (`POST /v1/inbound`'s `intent`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Intent::OptOut(_) => "opt_out",
            Intent::OptIn { .. } => "opt_in",
            Intent::Help { .. } => "help",
            Intent::WrongNumber(_) => "wrong_number",
            Intent::AutoReply { .. } => "auto_reply",
            Intent::None => "none",
        }
    }

    /// What the person wrote that made the intent (or the header, for mail a client sent).
    pub fn matched(&self) -> Option<&str> {
        match self {
            Intent::OptOut(o) | Intent::WrongNumber(o) => Some(&o.matched),
            Intent::OptIn { matched }
            | Intent::Help { matched }
            | Intent::AutoReply { matched } => Some(matched),
            Intent::None => None,
        }
    }
}

pub(crate) fn opt_out(matched: String) -> Intent {
    Intent::OptOut(OptOut {
        matched,
        scope: ChannelScope::All,
    })
}

/// What `msg`, received on `channel`, asks for.
pub fn classify_inbound(
    channel: Channel,
    msg: &InboundMessage<'_>,
    config: &OptOutConfig,
) -> Intent {
    match channel {
        Channel::Email => email::classify_email(msg, config),
        Channel::Sms | Channel::Whatsapp | Channel::Linkedin | Channel::Call => {
            classify::classify_text(&Normalized::new(msg.body), config)
        }
    }
}

/// The revocation in `msg` (an opt-out or a wrong number), with the built-in keywords.
pub fn detect_opt_out(channel: Channel, msg: &InboundMessage<'_>) -> Option<OptOut> {
    detect_opt_out_with(channel, msg, &DEFAULT_CONFIG)
}

/// The revocation in `msg` (an opt-out or a wrong number), with a workspace's keywords.
pub fn detect_opt_out_with(
    channel: Channel,
    msg: &InboundMessage<'_>,
    config: &OptOutConfig,
) -> Option<OptOut> {
    match classify_inbound(channel, msg, config) {
        Intent::OptOut(o) | Intent::WrongNumber(o) => Some(o),
        _ => None,
    }
}

static DEFAULT_CONFIG: std::sync::LazyLock<OptOutConfig> =
    std::sync::LazyLock::new(OptOutConfig::default);

#[cfg(test)]
mod tests;
