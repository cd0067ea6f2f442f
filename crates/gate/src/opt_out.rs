//! Opt-out detection on inbound replies.
//!
//! [`classify_inbound`] reads one inbound message and says whether it revokes consent
//! ([`Intent::OptOut`]), asks to receive messages again ([`Intent::OptIn`]: `START`, `UNSTOP`,
//! `YES`, `SUBSCRIBE`), asks for help ([`Intent::Help`]: `HELP`, `INFO`) or none of these. It is
//! pure and cheap: one normalisation pass over the text, table look-ups, no regex and no
//! allocation beyond the normalised copy of the text.
//!
//! # Text messages (SMS, WhatsApp; LinkedIn messages and call transcripts alike)
//!
//! (For a call, pass only what the contact said: our own script may say "reply STOP".)
//!
//! * **Keywords** (CTIA, FCC 24-18 § 64.1200(a)(10)): `STOP`, `STOPALL`, `UNSUBSCRIBE`,
//!   `CANCEL`, `END`, `QUIT`, `REVOKE`, `OPTOUT` / `OPT OUT` / `OPT-OUT`, ignoring case,
//!   spacing, punctuation, emoji and accents, with common translations (`ARRÊT`, `ALTO`,
//!   `PARAR`, `BAJA`, `NO MÁS`, `STOPP`, `ABMELDEN`, `ANNULER`, `CANCELAR`, `DESINSCRIBIR`, …).
//!   A keyword counts when it is the whole message, give or take politeness (`Stop please`,
//!   `STOP!!!`, `Please, STOP. Thanks`, `s t o p`) — not when it is a word in a sentence
//!   (`We have got to STOP this terrible bill`, `Don't stop believing`, `I'll call you when I
//!   reach the bus stop`, `Can we end the meeting early?`).
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
//! * **Requests**: an explicit request anywhere in the message — `stop texting me`, `remove me
//!   from your list`, `take me off your list`, `do not contact me again`, `unsubscribe me`,
//!   `lose my number`, `no more texts`, `leave me alone`, `darme de baja`, `ne m'envoyez plus`,
//!   … — unless a negation governs it (`don't stop texting me`) or, for the bare
//!   `unsubscribe`/`opt out`, it is about somebody else (`unsubscribe my colleague`).
//!   `Not interested` and `wrong number` are not opt-outs.
//! * `START`/`UNSTOP`/`YES`/`SUBSCRIBE` and `HELP`/`INFO` only count as the whole message and
//!   never as an opt-out; a message with both an opt-out and an opt-in keyword is an opt-out.
//!
//! # Email
//!
//! Only the new text of a reply is read (quoted lines, `On … wrote:`, Outlook headers,
//! forwarded messages and signatures are cut: see `email.rs`), because the quoted outgoing
//! footer says "unsubscribe". Inside that text the same three rules apply; a request phrase may
//! sit in a longer reply (`Please remove me from your mailing list. Thanks, Ana`). A question
//! about how to unsubscribe (`How do I unsubscribe?`) is a request to unsubscribe and counts;
//! a question about unsubscribing somebody else (`how do I unsubscribe my colleague?`) does not
//! revoke this contact's consent and does not count. A subject that is an opt-out by itself
//! (`Unsubscribe`, `Re: remove me`) counts. Automatic replies never count, except the
//! unsubscribe messages mail clients send for the person (Apple Mail's `X-Apple-Unsubscribe:
//! true`, which counts even with `Auto-Submitted`, and `Auto-Submitted: auto-generated` mail
//! whose subject is an opt-out keyword). `YES`, `START` and `HELP` are text-message keywords
//! and mean nothing in an email; `SUBSCRIBE` does.
//!
//! # Scope and configuration
//!
//! Every opt-out has scope `*` ([`ChannelScope::All`]): a person who says stop on one channel
//! is not contacted on any. [`OptOutConfig`] adds per-workspace keywords (whole-message, like
//! `END`), phrases (anywhere, like `remove me`), opt-in and help keywords, and can turn the
//! built-in translations off; the English CTIA/FCC keywords are always on.

mod email;
mod keywords;
mod normalize;

use serde::{Deserialize, Serialize};

use crate::channel::{Channel, ChannelScope};

use keywords::{Kind, clause_keyword, find_phrase, whole_keyword};
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
    None,
}

impl Intent {
    pub fn opt_out(&self) -> Option<&OptOut> {
        match self {
            Intent::OptOut(o) => Some(o),
            _ => None,
        }
    }

    pub fn is_opt_out(&self) -> bool {
        matches!(self, Intent::OptOut(_))
    }
}

/// Per-workspace keyword settings as stored (serialisable); compile them with
/// [`OptOutConfig::new`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptOutKeywords {
    /// Extra opt-out keywords: count when they are the whole message (`REMOVE`, `PARA YA`).
    pub opt_out: Vec<String>,
    /// Extra opt-in keywords (whole message).
    pub opt_in: Vec<String>,
    /// Extra help keywords (whole message).
    pub help: Vec<String>,
    /// Extra opt-out phrases: count anywhere in a message unless negated
    /// (`please purge my data`).
    pub opt_out_phrases: Vec<String>,
    /// Whether the built-in translations (French, Spanish, German, Portuguese, Italian, Dutch,
    /// Russian, Chinese, Japanese) are recognised. The English keywords always are.
    pub builtin_translations: bool,
}

impl Default for OptOutKeywords {
    fn default() -> Self {
        OptOutKeywords {
            opt_out: Vec::new(),
            opt_in: Vec::new(),
            help: Vec::new(),
            opt_out_phrases: Vec::new(),
            builtin_translations: true,
        }
    }
}

/// Per-workspace keyword configuration, with the extra keywords already normalised.
/// `Default` is the built-in sets.
#[derive(Clone, Debug)]
pub struct OptOutConfig {
    source: OptOutKeywords,
    pub(crate) opt_out: Vec<Vec<String>>,
    pub(crate) opt_in: Vec<Vec<String>>,
    pub(crate) help: Vec<Vec<String>>,
    pub(crate) phrases: Vec<Vec<String>>,
    pub(crate) translations: bool,
}

impl Default for OptOutConfig {
    fn default() -> Self {
        OptOutConfig::new(OptOutKeywords::default())
    }
}

impl From<OptOutKeywords> for OptOutConfig {
    fn from(k: OptOutKeywords) -> Self {
        OptOutConfig::new(k)
    }
}

fn compile(list: &[String]) -> Vec<Vec<String>> {
    list.iter()
        .map(|s| {
            Normalized::new(s)
                .words()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

impl OptOutConfig {
    pub fn new(keywords: OptOutKeywords) -> Self {
        OptOutConfig {
            opt_out: compile(&keywords.opt_out),
            opt_in: compile(&keywords.opt_in),
            help: compile(&keywords.help),
            phrases: compile(&keywords.opt_out_phrases),
            translations: keywords.builtin_translations,
            source: keywords,
        }
    }

    /// The settings this configuration was built from.
    pub fn keywords(&self) -> &OptOutKeywords {
        &self.source
    }

    pub fn with_opt_out_keyword(self, keyword: &str) -> Self {
        self.edit(|k| k.opt_out.push(keyword.to_owned()))
    }

    pub fn with_opt_in_keyword(self, keyword: &str) -> Self {
        self.edit(|k| k.opt_in.push(keyword.to_owned()))
    }

    pub fn with_help_keyword(self, keyword: &str) -> Self {
        self.edit(|k| k.help.push(keyword.to_owned()))
    }

    pub fn with_opt_out_phrase(self, phrase: &str) -> Self {
        self.edit(|k| k.opt_out_phrases.push(phrase.to_owned()))
    }

    /// Whether the workspace added keywords of its own.
    pub(crate) fn has_keywords(&self) -> bool {
        !(self.opt_out.is_empty() && self.opt_in.is_empty() && self.help.is_empty())
    }

    pub fn with_builtin_translations(self, on: bool) -> Self {
        self.edit(|k| k.builtin_translations = on)
    }

    fn edit(self, f: impl FnOnce(&mut OptOutKeywords)) -> Self {
        let mut k = self.source;
        f(&mut k);
        OptOutConfig::new(k)
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
            classify_text(&Normalized::new(msg.body), config)
        }
    }
}

/// The text-message rules (see the module documentation).
fn classify_text(n: &Normalized<'_>, cfg: &OptOutConfig) -> Intent {
    if n.is_empty() {
        return Intent::None;
    }
    let mut fallback = Intent::None;
    if let Some(h) = whole_keyword(n, 0, n.len(), cfg, true) {
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

/// The opt-out in `msg`, with the built-in keywords.
pub fn detect_opt_out(channel: Channel, msg: &InboundMessage<'_>) -> Option<OptOut> {
    detect_opt_out_with(channel, msg, &DEFAULT_CONFIG)
}

/// The opt-out in `msg`, with a workspace's keywords.
pub fn detect_opt_out_with(
    channel: Channel,
    msg: &InboundMessage<'_>,
    config: &OptOutConfig,
) -> Option<OptOut> {
    match classify_inbound(channel, msg, config) {
        Intent::OptOut(o) => Some(o),
        _ => None,
    }
}

static DEFAULT_CONFIG: std::sync::LazyLock<OptOutConfig> =
    std::sync::LazyLock::new(OptOutConfig::default);

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(body: &str) -> Intent {
        classify_inbound(
            Channel::Sms,
            &InboundMessage::text(body),
            &OptOutConfig::default(),
        )
    }

    fn email(body: &str) -> Intent {
        email_full(body, None, &[])
    }

    fn email_full(body: &str, subject: Option<&str>, headers: &[(&str, &str)]) -> Intent {
        let msg = InboundMessage {
            body,
            subject,
            headers,
        };
        classify_inbound(Channel::Email, &msg, &OptOutConfig::default())
    }

    fn out(m: &str) -> Intent {
        opt_out(m.to_owned())
    }

    #[test]
    fn ctia_fcc_keywords_as_whole_message() {
        for (body, m) in [
            ("STOP", "STOP"),
            ("stop", "stop"),
            ("Stop.", "Stop"),
            (" STOP!! ", "STOP"),
            ("stop!!!", "stop"),
            ("STOPALL", "STOPALL"),
            ("Unsubscribe", "Unsubscribe"),
            ("cancel", "cancel"),
            ("END", "END"),
            ("Quit", "Quit"),
            ("REVOKE", "REVOKE"),
            ("OPTOUT", "OPTOUT"),
            ("opt out", "opt out"),
            ("Opt-out", "Opt-out"),
            ("\u{1F621} STOP \u{1F621}", "STOP"),
            ("ＳＴＯＰ", "ＳＴＯＰ"),
        ] {
            assert_eq!(sms(body), out(m), "{body:?}");
        }
    }

    #[test]
    fn politeness_spacing_and_repetition() {
        assert_eq!(sms("Stop please"), out("Stop"));
        assert_eq!(sms("Please, STOP. Thank you!"), out("STOP"));
        assert_eq!(sms("s t o p"), out("s t o p"));
        assert_eq!(sms("S.T.O.P."), out("S.T.O.P"));
        assert_eq!(sms("STOP STOP STOP"), out("STOP"));
        assert_eq!(sms("ok stop"), out("stop"));
        assert_eq!(sms("I said STOP"), out("STOP"));
    }

    #[test]
    fn stop_with_code_is_opt_out() {
        assert_eq!(sms("STOP 12345"), out("STOP"));
        assert_eq!(sms("stop A7"), out("stop"));
        assert_eq!(sms("STOP ALL"), out("STOP ALL"));
        assert_eq!(sms("Stop lying"), Intent::None);
        assert_eq!(sms("Cancel appointment"), Intent::None);
    }

    #[test]
    fn translations_accent_insensitive() {
        for (body, m) in [
            ("ARRÊT", "ARRÊT"),
            ("arret", "arret"),
            ("Alto", "Alto"),
            ("PARAR", "PARAR"),
            ("baja", "baja"),
            ("No más", "No más"),
            ("NO MAS", "NO MAS"),
            ("STOPP", "STOPP"),
            ("Desinscribir", "Desinscribir"),
            ("annuler", "annuler"),
            ("Abmelden bitte", "Abmelden"),
            ("cancelar", "cancelar"),
            ("Baja, por favor", "Baja"),
            ("СТОП", "СТОП"),
            ("退订", "退订"),
        ] {
            assert_eq!(sms(body), out(m), "{body:?}");
        }
    }

    #[test]
    fn translations_can_be_turned_off() {
        let cfg = OptOutConfig::default().with_builtin_translations(false);
        let c = |b: &str| classify_inbound(Channel::Sms, &InboundMessage::text(b), &cfg);
        assert_eq!(c("ARRÊT"), Intent::None);
        assert_eq!(c("quiero darme de baja"), Intent::None);
        assert_eq!(c("STOP"), out("STOP"));
    }

    #[test]
    fn short_requests() {
        for (body, m) in [
            ("stop texting me", "stop texting me"),
            ("Please stop messaging me", "stop messaging me"),
            ("remove me from your list", "remove me from your list"),
            ("Take me off your list!", "Take me off your list"),
            ("do not contact me again", "do not contact me"),
            ("Don't text me", "Don't text me"),
            ("unsubscribe me", "unsubscribe me"),
            ("please stop", "stop"),
            ("Lose my number", "Lose my number"),
            ("no more texts", "no more texts"),
            ("Leave me alone", "Leave me alone"),
            ("can you stop", "stop"),
            ("Who is this? Stop texting me.", "Stop texting me"),
            ("Stop. I never signed up for this", "Stop"),
            (
                "if you don't stop texting me I'll report you",
                "stop texting me",
            ),
            ("quiero darme de baja", "darme de baja"),
            ("Ne m'envoyez plus de messages", "Ne m'envoyez plus"),
        ] {
            assert_eq!(sms(body), out(m), "{body:?}");
        }
    }

    #[test]
    fn keywords_inside_sentences_are_not_opt_outs() {
        for body in [
            "We have got to STOP this terrible bill",
            "Don't stop believing",
            "I'll call you when I reach the bus stop",
            "Can we end the meeting early?",
            "I need to cancel",
            "Stop by the office at 5",
            "don't stop texting me",
            "Not interested",
            "The end. See you tomorrow",
            "No more than 5 people please",
            "Take me to the meeting",
            "",
            "   ",
        ] {
            assert_eq!(sms(body), Intent::None, "{body:?}");
        }
    }

    #[test]
    fn opt_in_and_help_are_never_opt_outs() {
        assert_eq!(
            sms("START"),
            Intent::OptIn {
                matched: "START".into()
            }
        );
        assert_eq!(
            sms("unstop"),
            Intent::OptIn {
                matched: "unstop".into()
            }
        );
        assert_eq!(
            sms("Yes!"),
            Intent::OptIn {
                matched: "Yes".into()
            }
        );
        assert_eq!(
            sms("subscribe"),
            Intent::OptIn {
                matched: "subscribe".into()
            }
        );
        assert_eq!(
            sms("HELP"),
            Intent::Help {
                matched: "HELP".into()
            }
        );
        assert_eq!(
            sms("info?"),
            Intent::Help {
                matched: "info".into()
            }
        );
        assert_eq!(sms("Yes. Stop."), out("Stop"));
        assert_eq!(sms("yes I can make it at 3"), Intent::None);
    }

    #[test]
    fn every_text_channel_uses_the_text_rules() {
        for ch in [
            Channel::Sms,
            Channel::Whatsapp,
            Channel::Linkedin,
            Channel::Call,
        ] {
            let got = detect_opt_out(ch, &InboundMessage::text("STOP"));
            assert_eq!(
                got,
                Some(OptOut {
                    matched: "STOP".into(),
                    scope: ChannelScope::All
                })
            );
        }
    }

    #[test]
    fn email_phrases_in_new_text() {
        assert_eq!(
            email("Hi,\n\nPlease remove me from your mailing list. Thanks, Ana"),
            out("remove me from your mailing list")
        );
        assert_eq!(email("How do I unsubscribe?"), out("unsubscribe"));
        assert_eq!(
            email("I no longer wish to receive these emails."),
            out("no longer wish to receive")
        );
        assert_eq!(
            email("Please do not contact me again."),
            out("do not contact me")
        );
        assert_eq!(email("Opt me out"), out("Opt me out"));
        assert_eq!(email("Stop emailing me"), out("Stop emailing me"));
        assert_eq!(email("STOP"), out("STOP"));
    }

    #[test]
    fn email_negations_and_third_parties() {
        assert_eq!(email("Don't unsubscribe me, I love these"), Intent::None);
        assert_eq!(
            email("I don't want to unsubscribe, just fewer emails"),
            Intent::None
        );
        assert_eq!(email("how do I unsubscribe my colleague?"), Intent::None);
        assert_eq!(email("Sounds good, let's talk Tuesday."), Intent::None);
    }

    #[test]
    fn email_ignores_quoted_footer() {
        let body = "Sure, Tuesday works.\n\nOn Tue, Nov 24, 2026 at 9:00 AM Sales <sdr@acme.example> wrote:\n> Hi Ana,\n> Reply STOP or click here to unsubscribe.\n";
        assert_eq!(email(body), Intent::None);
        let body = "Sure.\n\n-----Original Message-----\nFrom: Sales\nunsubscribe";
        assert_eq!(email(body), Intent::None);
        let body = "Sure.\n-- \nAna\nTo unsubscribe from my newsletter click here";
        assert_eq!(email(body), Intent::None);
    }

    #[test]
    fn email_text_keywords_mean_nothing() {
        assert_eq!(email("Yes"), Intent::None);
        assert_eq!(email("help"), Intent::None);
        assert_eq!(
            email("Subscribe"),
            Intent::OptIn {
                matched: "Subscribe".into()
            }
        );
    }

    #[test]
    fn email_subject() {
        assert_eq!(email_full("", Some("Unsubscribe"), &[]), out("Unsubscribe"));
        assert_eq!(
            email_full("Sent from my iPhone", Some("Re: unsubscribe"), &[]),
            out("unsubscribe")
        );
        assert_eq!(
            email_full("", Some("Re: Quick question"), &[]),
            Intent::None
        );
    }

    #[test]
    fn email_auto_replies_never_count() {
        let body = "Please remove me";
        assert_eq!(
            email_full(body, None, &[("Auto-Submitted", "auto-replied")]),
            Intent::None
        );
        assert_eq!(
            email_full(body, None, &[("X-Autoreply", "yes")]),
            Intent::None
        );
        assert_eq!(
            email_full(body, None, &[("X-Autorespond", "1")]),
            Intent::None
        );
        assert_eq!(
            email_full(body, None, &[("Precedence", "auto_reply")]),
            Intent::None
        );
        assert_eq!(
            email_full(body, None, &[("Precedence", "bulk")]),
            Intent::None
        );
        assert_eq!(
            email_full(body, None, &[("Precedence", "junk")]),
            Intent::None
        );
        assert_eq!(
            email_full(body, Some("Automatic reply: hi"), &[]),
            Intent::None
        );
        assert_eq!(
            email_full(
                "I am out of the office until Monday. To unsubscribe reply STOP.",
                None,
                &[]
            ),
            Intent::None
        );
        assert_eq!(
            email_full("I'm on vacation until 3 Dec. Unsubscribe", None, &[]),
            Intent::None
        );
        assert_eq!(
            email_full(body, None, &[("Auto-Submitted", "no")]),
            out("remove me")
        );
    }

    #[test]
    fn apple_mail_unsubscribe_counts_despite_auto_submitted() {
        let headers = [
            ("Auto-Submitted", "auto-generated"),
            ("X-Apple-Unsubscribe", "true"),
        ];
        assert_eq!(
            email_full("", None, &headers),
            out("X-Apple-Unsubscribe: true")
        );
        let body = "Apple Mail sent this email to unsubscribe from the message \u{201C}Quick question\u{201D}.";
        assert_eq!(
            email_full(body, Some(""), &[("Auto-Submitted", "auto-replied")]),
            out("Mail sent this email to unsubscribe")
        );
        // A client-generated List-Unsubscribe mailto.
        assert_eq!(
            email_full(
                "This message was automatically generated by Gmail.",
                Some("unsubscribe"),
                &[("Auto-Submitted", "auto-generated")]
            ),
            out("unsubscribe")
        );
        assert_eq!(
            email_full(
                "Please remove me",
                Some("hi"),
                &[("Auto-Submitted", "auto-generated")]
            ),
            Intent::None
        );
    }

    #[test]
    fn workspace_keywords() {
        let cfg = OptOutConfig::new(OptOutKeywords {
            opt_out: vec!["Para ya".into(), "ENOUGH".into()],
            opt_in: vec!["ALTA".into()],
            help: vec!["Soporte".into()],
            opt_out_phrases: vec!["purge my data".into()],
            builtin_translations: true,
        });
        let c = |b: &str| classify_inbound(Channel::Sms, &InboundMessage::text(b), &cfg);
        assert_eq!(c("para ya!"), out("para ya"));
        assert_eq!(c("Enough."), out("Enough"));
        assert_eq!(c("I have had enough of this"), Intent::None);
        assert_eq!(
            c("alta"),
            Intent::OptIn {
                matched: "alta".into()
            }
        );
        assert_eq!(
            c("SOPORTE"),
            Intent::Help {
                matched: "SOPORTE".into()
            }
        );
        assert_eq!(c("hey, purge my data asap"), out("purge my data"));
        assert_eq!(c("don't purge my data"), Intent::None);
        assert_eq!(c("STOP"), out("STOP"));
        let built = OptOutConfig::default()
            .with_opt_out_keyword("enough")
            .with_opt_in_keyword("alta");
        assert_eq!(built.keywords().opt_out, ["enough"]);
        let json = r#"{"opt_out":["basta ya"]}"#;
        let k: OptOutKeywords = serde_json::from_str(json).unwrap();
        assert!(k.builtin_translations);
        let cfg = OptOutConfig::from(k);
        let c = |b: &str| detect_opt_out_with(Channel::Sms, &InboundMessage::text(b), &cfg);
        assert_eq!(c("Basta ya").map(|o| o.matched), Some("Basta ya".into()));
    }

    #[test]
    fn the_writer_stopping_is_not_a_request() {
        assert_eq!(sms("I'll stop texting you then"), Intent::None);
        assert_eq!(
            sms("Let me know if I should stop sending updates"),
            Intent::None
        );
        assert_eq!(sms("Stop sending invoices to my old address"), Intent::None);
        assert_eq!(
            sms("I want to stop getting these texts"),
            out("stop getting these texts")
        );
        assert_eq!(sms("I told you to stop texting me"), out("stop texting me"));
    }

    #[test]
    fn negation_needs_to_govern_the_request() {
        assert_eq!(email("I'd rather you not unsubscribe me."), Intent::None);
        assert_eq!(
            email("No need to remove me, just send less often."),
            Intent::None
        );
        assert_eq!(email("I'm not sure how to unsubscribe"), out("unsubscribe"));
        assert_eq!(
            email("Not interested, please unsubscribe"),
            out("unsubscribe")
        );
        assert_eq!(
            email("Your unsubscribe link is broken!"),
            out("unsubscribe")
        );
        assert_eq!(
            email("Please remove John from your list, he left."),
            Intent::None
        );
        assert_eq!(email("Unsubscribe my old colleague please"), Intent::None);
        assert_eq!(
            email("I have unsubscribed twice already"),
            out("unsubscribed")
        );
    }

    #[test]
    fn email_localised_quote_headers() {
        let body = "Danke, passt.\n\nVon: Sam Sales <sdr@acme.example>\nGesendet: Dienstag, 24. November 2026 09:00\nAn: Ana\nBetreff: Frage\n\nabmelden: https://acme.example/u";
        assert_eq!(email(body), Intent::None);
        let body = "Merci.\n\nLe mar. 24 nov. 2026 à 09:00, Sales <sdr@acme.example> a écrit :\n> désabonner";
        assert_eq!(email(body), Intent::None);
        let body = "Thanks\n\n*From:* Sam Sales\n*Sent:* Tuesday\n*Subject:* hi\nunsubscribe";
        assert_eq!(email(body), Intent::None);
    }

    #[test]
    fn scope_is_always_all() {
        for body in ["STOPALL", "STOP", "remove me", "stop calling me"] {
            let o = detect_opt_out(Channel::Sms, &InboundMessage::text(body)).unwrap();
            assert_eq!(o.scope, ChannelScope::All, "{body}");
        }
    }
}
