//! Email replies: keep only the new text, recognise automatic mail, look at the subject.
//!
//! Our own outgoing footer says "unsubscribe", and replies quote it. So the rules only look at
//! what the person wrote above the quoted message: lines starting with `>` are skipped and
//! reading stops at the first quote header or signature —
//!
//! * `On … wrote:` (also wrapped over two lines, and the usual translations: `a écrit :`,
//!   `schrieb`, `escribió:`, `escreveu:`, `ha scritto:`, `schreef`, `skrev:`),
//! * Outlook's `From: …` followed within five lines by `Sent:` / `Date:` / `To:` / `Subject:`
//!   (and translations), or a line of underscores,
//! * any line starting with `--`: `-- ` and `--` signature delimiters,
//!   `-----Original Message-----`, `---------- Forwarded message ---------`,
//! * `Begin forwarded message:` and similar,
//! * `Sent from my iPhone`, `Get Outlook for iOS` and similar.
//!
//! Automatic mail is an auto-reply (`auto_reply.rs`) and never an opt-out, with two
//! exceptions, because they are unsubscribe requests a mail client sends *for* the person:
//! Apple Mail's unsubscribe message (`X-Apple-Unsubscribe: true`, or the body "Mail sent this
//! email to unsubscribe …") always counts, and an `Auto-Submitted: auto-generated` message (not
//! `auto-replied`) whose subject is an opt-out keyword (a `List-Unsubscribe` mailto) counts.

use super::auto_reply::{Auto, Medium, header_auto, ooo_phrase, subject_auto_reply};
use super::classify::classify_words;
use super::lexicon::class;
use super::normalize::Normalized;
use super::rules::{exact_phrase, whole_keyword};
use super::{InboundMessage, Intent, OptOutConfig, opt_out};

/// Words of the new text looked at for an out-of-office phrase.
const AUTO_REPLY_WORDS: usize = 80;

pub(crate) fn classify_email(msg: &InboundMessage<'_>, cfg: &OptOutConfig) -> Intent {
    let text = reply_text(msg.body);
    let n = Normalized::new(&text);
    let subject = msg.subject.map(Normalized::new);

    if let Some(m) = apple_unsubscribe(msg, &n) {
        return opt_out(m);
    }
    match header_auto(msg.headers) {
        Auto::Human => {}
        Auto::Generated(header) => {
            // A client-generated List-Unsubscribe mailto: only its subject speaks.
            return match subject.as_ref().and_then(|s| subject_opt_out(s, cfg)) {
                Some(m) => opt_out(m),
                None => Intent::AutoReply { matched: header },
            };
        }
        Auto::Reply(header) => return Intent::AutoReply { matched: header },
    }
    if let Some(matched) = subject.as_ref().and_then(subject_auto_reply) {
        return Intent::AutoReply { matched };
    }
    if let Some((a, b)) = ooo_phrase(&n, n.len().min(AUTO_REPLY_WORDS), Medium::Email) {
        return Intent::AutoReply {
            matched: n.span(a, b).to_owned(),
        };
    }
    match classify_words(&n, cfg, false) {
        found @ (Intent::OptOut(_) | Intent::WrongNumber(_)) => found,
        other => match subject.as_ref().and_then(|s| subject_opt_out(s, cfg)) {
            Some(m) => opt_out(m),
            None => other,
        },
    }
}

/// The new text of a reply: lines above the first quote header or signature, without `>`
/// lines.
pub(crate) fn reply_text(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut cut = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim().trim_start_matches('*').trim_start();
        if is_cut_line(t) || is_outlook_header(&lines, i, t) {
            cut = i;
            break;
        }
        if is_attribution(t) {
            cut = i;
            // Gmail wraps a long "On … <addr> wrote:" over two lines.
            if let Some(prev) = i.checked_sub(1)
                && let Some(p) = lines.get(prev)
                && starts_attribution(p.trim())
            {
                cut = prev;
            }
            break;
        }
    }
    let mut out = String::with_capacity(body.len().min(4096));
    for line in lines.iter().take(cut) {
        if line.trim_start().starts_with('>') {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

/// Signature delimiters, forwarded and original-message separators, mobile signatures.
fn is_cut_line(t: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "--",
        "begin forwarded message",
        "forwarded message",
        "start of forwarded message",
        "début du message réexpédié",
        "anfang der weitergeleiteten",
        "inicio del mensaje reenviado",
        "sent from my ",
        "sent from outlook",
        "sent from mail for",
        "sent from yahoo",
        "sent from samsung",
        "sent via ",
        "get outlook for",
        "enviado desde mi",
        "enviado de meu",
        "enviado do meu",
        "envoyé de mon",
        "envoye de mon",
        "envoyé depuis",
        "von meinem",
        "inviato da",
        "verzonden met",
        "verzonden vanaf",
        "verstuurd vanaf",
    ];
    PREFIXES.iter().any(|p| starts_with_ci(t, p)) || (t.len() >= 10 && t.bytes().all(|b| b == b'_'))
}

/// `… wrote:` and its translations, at the end of a line.
fn is_attribution(t: &str) -> bool {
    if !(t.ends_with(':') || t.ends_with('：')) {
        return false;
    }
    const MARKERS: &[&str] = &[
        "wrote",
        "schrieb",
        "a écrit",
        "a ecrit",
        "escribió",
        "escribio",
        "escreveu",
        "ha scritto",
        "schreef",
        "skrev",
        "kirjoitti",
        "napisał",
        "написал",
        "写道",
        "寫道",
    ];
    let lower = t.to_lowercase();
    MARKERS.iter().any(|m| lower.contains(m))
}

/// The first line of an attribution wrapped over two lines.
fn starts_attribution(t: &str) -> bool {
    ["On ", "Le ", "Am ", "El ", "Em ", "Il ", "Op ", "Den "]
        .iter()
        .any(|p| t.starts_with(p))
        && !t.ends_with(['.', '!', '?'])
}

/// Outlook's quoted header block: `From:` then `Sent:`/`Date:`/`To:`/`Subject:` soon after.
fn is_outlook_header(lines: &[&str], i: usize, t: &str) -> bool {
    const FROM: &[&str] = &[
        "from:", "de:", "de :", "von:", "van:", "da:", "från:", "fra:", "od:", "от:",
    ];
    const NEXT: &[&str] = &[
        "sent:",
        "date:",
        "to:",
        "subject:",
        "cc:",
        "envoyé :",
        "envoyé:",
        "envoye :",
        "à :",
        "objet :",
        "gesendet:",
        "an:",
        "betreff:",
        "datum:",
        "enviado:",
        "enviado el:",
        "para:",
        "asunto:",
        "verzonden:",
        "aan:",
        "onderwerp:",
        "inviato:",
        "a:",
        "oggetto:",
        "data:",
    ];
    if !FROM.iter().any(|p| starts_with_ci(t, p)) {
        return false;
    }
    lines
        .iter()
        .skip(i + 1)
        .take(5)
        .map(|l| l.trim().trim_start_matches('*').trim_start())
        .any(|l| NEXT.iter().any(|p| starts_with_ci(l, p)))
}

/// Apple Mail's (and iOS Mail's) unsubscribe message.
fn apple_unsubscribe(msg: &InboundMessage<'_>, n: &Normalized<'_>) -> Option<String> {
    if let Some((name, value)) = msg.headers.iter().find(|(k, v)| {
        k.trim().eq_ignore_ascii_case("x-apple-unsubscribe")
            && v.trim().eq_ignore_ascii_case("true")
    }) {
        return Some(format!("{}: {}", name.trim(), value.trim()));
    }
    // "<Apple|iOS> Mail sent this email to unsubscribe …", near the start.
    const SAID: &[&[&str]] = &[
        &["mail"],
        &["sent"],
        &["this"],
        &["email", "message"],
        &["to"],
        &["unsubscribe"],
    ];
    let end = n.len().min(12);
    (0..end).find_map(|i| {
        let e = i + SAID.len();
        (e <= end
            && SAID
                .iter()
                .enumerate()
                .all(|(k, alts)| alts.contains(&n.word(i + k))))
        .then(|| n.span(i, e).to_owned())
    })
}

/// The subject is an opt-out request by itself (`Unsubscribe`, `Re: remove me`).
fn subject_opt_out(n: &Normalized<'_>, cfg: &OptOutConfig) -> Option<String> {
    let mut i = 0;
    // Reply and forward prefixes: `Re:`, `Fwd:`, `AW:`, `WG:`, `SV:`, `TR:`, `RV:`, `Antw:`.
    while i < n.len() && n.clause_end(i) == i + 1 && n.is(i, class::REPLY_PREFIX) {
        i += 1;
    }
    if let Some(h) = whole_keyword(n, i, n.len(), cfg, false)
        && h.kind == super::lexicon::Kind::OptOut
    {
        return Some(n.span(h.start, h.end).to_owned());
    }
    exact_phrase(n, i, n.len(), cfg).map(|(a, b)| n.span(a, b).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_gmail_quote() {
        let body = "Please remove me.\n\nOn Tue, Nov 24, 2026 at 9:00 AM Sales <sdr@acme.example> wrote:\n> Hi\n> unsubscribe";
        assert_eq!(reply_text(body), "Please remove me.\n\n");
    }

    #[test]
    fn strips_wrapped_attribution() {
        let body = "Thanks!\nOn Tue, Nov 24, 2026 at 9:00 AM Sales <\nsdr@acme.example> wrote:\n\nunsubscribe here";
        assert_eq!(reply_text(body), "Thanks!\n");
    }

    #[test]
    fn strips_outlook_header_and_signature() {
        let body = "Sounds good\n\n________________________________\nFrom: Sales\nSent: Tuesday\nunsubscribe";
        assert_eq!(reply_text(body), "Sounds good\n\n");
        let body = "Sounds good\nFrom: Sales <s@x>\nSent: Tuesday\nTo: me\n\nunsubscribe";
        assert_eq!(reply_text(body), "Sounds good\n");
        let body = "ok\n-- \nAna | unsubscribe";
        assert_eq!(reply_text(body), "ok\n");
        let body = "ok\nSent from my iPhone\n\nunsubscribe";
        assert_eq!(reply_text(body), "ok\n");
    }

    #[test]
    fn keeps_interleaved_new_text() {
        let body = "> Want a demo?\nNo. Remove me.\n> thanks";
        assert_eq!(reply_text(body), "No. Remove me.\n");
    }

    #[test]
    fn subjects() {
        let c = OptOutConfig::default();
        let subject_opt_out = |s: &str, c: &OptOutConfig| subject_opt_out(&Normalized::new(s), c);
        assert_eq!(
            subject_opt_out("Unsubscribe", &c).as_deref(),
            Some("Unsubscribe")
        );
        assert_eq!(
            subject_opt_out("RE: Fwd: unsubscribe", &c).as_deref(),
            Some("unsubscribe")
        );
        assert_eq!(
            subject_opt_out("Re: please remove me", &c).as_deref(),
            Some("remove me")
        );
        assert_eq!(subject_opt_out("Re: Stop wasting ad spend", &c), None);
        assert_eq!(subject_opt_out("Re: Quick question", &c), None);
    }
}
