//! Corpus of inbound replies: each row asserts the exact [`Intent`] the gate gives it. The
//! rows that need headers or quoted mail are here; the per-language rows are in
//! `opt_out_corpus/*.txt`, read by `opt_out_languages.rs`.

use gate::opt_out::{
    InboundMessage, Intent, OptOut, OptOutConfig, classify_inbound, detect_opt_out,
};
use gate::{Channel, ChannelScope};

/// What a row expects.
#[derive(Clone, Copy, Debug)]
enum Want {
    Out(&'static str),
    In(&'static str),
    Help(&'static str),
    Wrong(&'static str),
    Auto(&'static str),
    No,
}

struct Row {
    channel: Channel,
    subject: Option<&'static str>,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    want: Want,
}

const fn text(channel: Channel, body: &'static str, want: Want) -> Row {
    Row {
        channel,
        subject: None,
        headers: &[],
        body,
        want,
    }
}
const fn sms(body: &'static str, want: Want) -> Row {
    text(Channel::Sms, body, want)
}
const fn wa(body: &'static str, want: Want) -> Row {
    text(Channel::Whatsapp, body, want)
}
const fn mail(body: &'static str, want: Want) -> Row {
    text(Channel::Email, body, want)
}
const fn mail_with(
    subject: Option<&'static str>,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    want: Want,
) -> Row {
    Row {
        channel: Channel::Email,
        subject,
        headers,
        body,
        want,
    }
}

use Want::{Auto, Help, In, No, Out, Wrong};

const GMAIL_QUOTE: &str = "\n\nOn Tue, Nov 24, 2026 at 9:00 AM Sales <sdr@acme.example> wrote:\n\
> Hi Ana,\n\
>\n\
> Quick question: who owns vendor onboarding at Example Corp?\n\
>\n\
> Best,\n\
> Sam\n\
> --\n\
> Acme Inc., 1 Main St, Springfield. Not interested? Reply STOP or unsubscribe:\n\
> https://acme.example/u/abc123\n";

const OUTLOOK_QUOTE: &str = "\n\n________________________________\n\
From: Sam Sales <sdr@acme.example>\n\
Sent: Tuesday, November 24, 2026 9:00 AM\n\
To: Ana Perez <ana@example.com>\n\
Subject: Quick question\n\n\
Hi Ana,\n\
Quick question: who owns vendor onboarding at Example Corp?\n\
Acme Inc. If you no longer wish to receive these emails, unsubscribe here: https://acme.example/u/abc\n";

// Replies above a Gmail quote and an Outlook quote (literal, so that the corpus is `const`).
const GMAIL_TAKE_ME_OFF: &str = "Please take me off your list.\n\nOn Tue, Nov 24, 2026 at 9:00 AM Sales <sdr@acme.example> wrote:\n> Hi Ana,\n>\n> Quick question: who owns vendor onboarding at Example Corp?\n> --\n> Acme Inc. Not interested? Reply STOP or unsubscribe: https://acme.example/u/abc123\n";
const GMAIL_TUESDAY: &str = "Sure, Tuesday at 10 works for me.\n\nOn Tue, Nov 24, 2026 at 9:00 AM Sales <sdr@acme.example> wrote:\n> Hi Ana,\n>\n> Quick question: who owns vendor onboarding at Example Corp?\n> --\n> Acme Inc. Not interested? Reply STOP or unsubscribe: https://acme.example/u/abc123\n";
const OUTLOOK_NO_LONGER: &str = "I no longer wish to receive these emails.\n\n________________________________\nFrom: Sam Sales <sdr@acme.example>\nSent: Tuesday, November 24, 2026 9:00 AM\nTo: Ana Perez <ana@example.com>\nSubject: Quick question\n\nHi Ana,\nAcme Inc. If you no longer wish to receive these emails, unsubscribe here: https://acme.example/u/abc\n";
const OUTLOOK_LOOPING: &str = "Adding Mark, who owns this.\n\nFrom: Sam Sales <sdr@acme.example>\nSent: Tuesday, November 24, 2026 9:00 AM\nTo: Ana Perez <ana@example.com>\nSubject: Quick question\n\nHi Ana,\nAcme Inc. If you no longer wish to receive these emails, unsubscribe here: https://acme.example/u/abc\n";

const CORPUS: &[Row] = &[
    // ---- SMS / WhatsApp: CTIA and FCC keywords as the whole message
    sms("STOP", Out("STOP")),
    sms("Stop.", Out("Stop")),
    sms("  STOP!!  ", Out("STOP")),
    sms("stop!!!", Out("stop")),
    sms("stopall", Out("stopall")),
    sms("UNSUBSCRIBE", Out("UNSUBSCRIBE")),
    sms("Cancel", Out("Cancel")),
    sms("end.", Out("end")),
    sms("QUIT", Out("QUIT")),
    sms("Revoke", Out("Revoke")),
    sms("opt-out", Out("opt-out")),
    sms("Opt Out please", Out("Opt Out")),
    sms("OPTOUT", Out("OPTOUT")),
    sms("STOP 12345", Out("STOP")),
    sms("Stop please, thank you", Out("Stop")),
    sms("s t o p", Out("s t o p")),
    sms("STOP STOP STOP", Out("STOP")),
    sms("\u{1F6D1} Stop \u{1F6D1}", Out("Stop")),
    // ---- translations
    wa("ARRÊT", Out("ARRÊT")),
    sms("Arret", Out("Arret")),
    wa("ALTO", Out("ALTO")),
    sms("parar", Out("parar")),
    sms("BAJA", Out("BAJA")),
    wa("No más", Out("No más")),
    sms("STOPP", Out("STOPP")),
    sms("Desinscribir", Out("Desinscribir")),
    sms("Annuler", Out("Annuler")),
    wa("Abmelden", Out("Abmelden")),
    sms("Cancelar por favor", Out("Cancelar")),
    wa("Quiero darme de baja", Out("darme de baja")),
    sms(
        "Ne m'envoyez plus de messages svp",
        Out("Ne m'envoyez plus"),
    ),
    wa(
        "Bitte keine Nachrichten mehr",
        Out("keine Nachrichten mehr"),
    ),
    sms("Não me mande mais mensagens", Out("Não me mande")),
    // ---- short requests
    sms("stop texting me", Out("stop texting me")),
    sms(
        "Please remove me from your list",
        Out("remove me from your list"),
    ),
    sms("Do not contact me again.", Out("Do not contact me")),
    sms("take me off your list", Out("take me off your list")),
    sms("unsubscribe me", Out("unsubscribe me")),
    sms("please stop", Out("stop")),
    sms("Stop messaging me!!", Out("Stop messaging me")),
    sms("don't text me", Out("don't text me")),
    sms("lose my number", Out("lose my number")),
    sms("No more texts please", Out("No more texts")),
    sms("Stop. Who is this?", Out("Stop")),
    sms("Who is this? Stop texting me.", Out("Stop texting me")),
    sms(
        "I never signed up for this. Remove my number",
        Out("Remove my number"),
    ),
    text(
        Channel::Linkedin,
        "Please stop messaging me, I'm not interested.",
        Out("stop messaging me"),
    ),
    text(
        Channel::Call,
        "yeah hi please take me off your calling list thanks bye",
        Out("take me off your calling list"),
    ),
    text(
        Channel::Call,
        "Please put me on your do not call list",
        Out("put me on your do not call list"),
    ),
    // ---- opt-in and help
    sms("START", In("START")),
    sms("Unstop", In("Unstop")),
    sms("YES", In("YES")),
    wa("Subscribe", In("Subscribe")),
    sms("HELP", Help("HELP")),
    sms("info", Help("info")),
    wa("Ayuda", Help("Ayuda")),
    // ---- keywords inside unrelated sentences
    sms("We have got to STOP this terrible bill", No),
    sms("Don't stop believing", No),
    sms("I'll call you when I reach the bus stop", No),
    sms("Can we end the meeting early?", No),
    sms("Stop by our booth at 3pm, we'd love to chat", No),
    sms("I need to cancel my 3pm appointment", No),
    sms("Sounds great, see you Tuesday!", No),
    sms("Quit my job last week, so the timing is perfect", No),
    wa("Hola, ¿podemos hablar mañana?", No),
    sms("Is this the end of the old pricing?", No),
    sms("Not interested", No),
    sms("Don't stop texting me, I like the updates", No),
    text(
        Channel::Linkedin,
        "Happy to connect! What's the best time to call?",
        No,
    ),
    text(
        Channel::Call,
        "Yeah we were about to cancel our current vendor, send me pricing",
        No,
    ),
    wa("Para mañana está bien", No),
    // ---- email: new text only
    mail("Unsubscribe", Out("Unsubscribe")),
    mail(
        "Please remove me from your mailing list.\n\nThanks,\nAna",
        Out("remove me from your mailing list"),
    ),
    mail("How do I unsubscribe from these?", Out("unsubscribe")),
    mail(
        "Stop emailing me. I never signed up for this.",
        Out("Stop emailing me"),
    ),
    mail(
        "Do not contact me again.\n-- \nAna Pérez\nVP Ops",
        Out("Do not contact me"),
    ),
    mail(
        "Por favor, denme de baja de su lista.",
        Out("denme de baja"),
    ),
    mail(
        "Merci de me retirer de votre liste de diffusion.",
        Out("me retirer"),
    ),
    mail(
        "Bitte entfernen Sie mich aus Ihrem Verteiler.",
        Out("entfernen Sie mich"),
    ),
    mail("Opt me out please", Out("Opt me out")),
    mail(
        "I'm not interested. Please don't email me again.",
        Out("don't email me"),
    ),
    mail("Wrong person. Leave me alone.", Wrong("Wrong person")),
    mail(
        "I don't want these emails anymore, thanks",
        Out("don't want these emails"),
    ),
    // Gmail, Outlook, forwarded, signatures
    mail_with(None, &[], GMAIL_TAKE_ME_OFF, Out("take me off your list")),
    mail_with(None, &[], GMAIL_TUESDAY, No),
    mail_with(
        Some("RE: Quick question"),
        &[],
        OUTLOOK_NO_LONGER,
        Out("no longer wish to receive"),
    ),
    mail_with(Some("RE: Quick question"), &[], OUTLOOK_LOOPING, No),
    mail_with(
        Some("Re: Quick question"),
        &[],
        "STOP\n\nSent from my iPhone\n\nOn Nov 24, 2026, at 09:00, Sales <sdr@acme.example> wrote:\n\n\u{FEFF}Hi Ana, unsubscribe here",
        Out("STOP"),
    ),
    mail_with(
        None,
        &[],
        "Thanks!\nOn Tue, Nov 24, 2026 at 9:00 AM Sam Sales from Acme <\nsdr@acme.example> wrote:\n\nHi Ana, to unsubscribe click here",
        No,
    ),
    mail(
        "Thanks, forwarding to my colleague.\n\n-----Original Message-----\nFrom: Sam Sales\nSent: Tuesday\nTo: Ana\n\nUnsubscribe: https://acme.example/u",
        No,
    ),
    mail(
        "Looping in Mark who owns this.\n\n---------- Forwarded message ---------\nFrom: Sam Sales <sdr@acme.example>\nDate: Tue, Nov 24, 2026 at 9:00 AM\nSubject: Quick question\nTo: <ana@example.com>\n\nHi Ana... Reply STOP to opt out or unsubscribe here.",
        No,
    ),
    mail(
        "Mark, can you take this?\n\nBegin forwarded message:\n\nFrom: Sam Sales <sdr@acme.example>\nSubject: Quick question\n\nunsubscribe: https://acme.example/u",
        No,
    ),
    mail(
        "Let's chat next week.\n--\nAna Pérez | Example Corp\nTo unsubscribe from our newsletter, click here",
        No,
    ),
    mail(
        "Sounds good\n\nSent from my iPhone\nStop by our office any time. Unsubscribe",
        No,
    ),
    mail(
        "Bitte keine E-Mails mehr.\n\nAm Di., 24. Nov. 2026 um 09:00 Uhr schrieb Sales <sdr@acme.example>:\n> Hallo Ana, abmelden: https://acme.example/u",
        Out("keine E-Mails mehr"),
    ),
    mail(
        "Merci, je regarde ça.\n\nLe mar. 24 nov. 2026 à 09:00, Sales <sdr@acme.example> a écrit :\n> Bonjour, pour vous désabonner cliquez ici",
        No,
    ),
    mail(
        "Gracias, lo reviso y te contesto.\n\nEl mar, 24 nov 2026 a las 9:00, Sales (<sdr@acme.example>) escribió:\n> Hola, para darse de baja responda BAJA",
        No,
    ),
    // subjects
    mail_with(Some("Unsubscribe"), &[], "", Out("Unsubscribe")),
    mail_with(
        Some("Re: remove me from your list"),
        &[],
        "",
        Out("remove me from your list"),
    ),
    mail_with(
        Some("Re: Stop wasting ad spend"),
        &[],
        "Interesting, tell me more.",
        No,
    ),
    // negations, third parties, ordinary replies
    mail("Don't unsubscribe me, I love these", No),
    mail("How do I unsubscribe my colleague?", No),
    mail("Stop by our booth at the conference!", No),
    mail("Yes, let's do it", No),
    mail("I don't want to unsubscribe, I just want fewer emails.", No),
    // automatic mail
    mail_with(
        Some("Automatic reply: Quick question"),
        &[("Auto-Submitted", "auto-replied")],
        "I am out of the office until Dec 1 with limited access to email.",
        Auto("Auto-Submitted: auto-replied"),
    ),
    mail_with(
        Some("Re: Quick question"),
        &[],
        "Thank you for your email. I am currently out of the office and will return on Monday.\n\nOn Tue, Nov 24, 2026 at 9:00 AM Sales <sdr@acme.example> wrote:\n> unsubscribe",
        Auto("currently out"),
    ),
    mail_with(
        Some("Out of Office: Quick question"),
        &[],
        "I'm on vacation until December 3. For urgent matters, contact Bob.\n\nTo unsubscribe from our newsletter click here",
        Auto("Out of Office"),
    ),
    mail_with(
        None,
        &[("X-Autoreply", "yes")],
        "Unsubscribe",
        Auto("X-Autoreply: yes"),
    ),
    mail_with(
        None,
        &[("X-Autorespond", "Thanks")],
        "Please remove me",
        Auto("X-Autorespond: Thanks"),
    ),
    mail_with(
        None,
        &[("Precedence", "bulk")],
        "Weekly digest. Unsubscribe here.",
        Auto("Precedence: bulk"),
    ),
    mail_with(
        None,
        &[("Precedence", "junk")],
        "Unsubscribe",
        Auto("Precedence: junk"),
    ),
    mail_with(
        Some("Undelivered Mail Returned to Sender"),
        &[
            ("From", "MAILER-DAEMON@mx.example.com"),
            (
                "Content-Type",
                "multipart/report; report-type=delivery-status",
            ),
        ],
        "This is the mail system. Your message could not be delivered.\n\nHi Ana, to unsubscribe click here",
        Auto("From: MAILER-DAEMON@mx.example.com"),
    ),
    mail_with(
        None,
        &[("Auto-Submitted", "no")],
        "Please unsubscribe me",
        Out("unsubscribe me"),
    ),
    // mail clients unsubscribing for the person
    mail_with(
        Some(""),
        &[
            ("Auto-Submitted", "auto-generated"),
            ("X-Apple-Unsubscribe", "true"),
        ],
        "Apple Mail sent this email to unsubscribe from the message \u{201C}Quick question\u{201D}.",
        Out("X-Apple-Unsubscribe: true"),
    ),
    mail_with(
        None,
        &[],
        "iOS Mail sent this email to unsubscribe from the message \"Quick question\".",
        Out("Mail sent this email to unsubscribe"),
    ),
    mail_with(
        Some("unsubscribe"),
        &[("Auto-Submitted", "auto-generated")],
        "This message was automatically generated by Gmail.",
        Out("unsubscribe"),
    ),
];

fn expected(want: Want) -> Intent {
    match want {
        Out(m) => Intent::OptOut(OptOut {
            matched: m.to_owned(),
            scope: ChannelScope::All,
        }),
        In(m) => Intent::OptIn {
            matched: m.to_owned(),
        },
        Help(m) => Intent::Help {
            matched: m.to_owned(),
        },
        Wrong(m) => Intent::WrongNumber(OptOut {
            matched: m.to_owned(),
            scope: ChannelScope::All,
        }),
        Auto(m) => Intent::AutoReply {
            matched: m.to_owned(),
        },
        No => Intent::None,
    }
}

#[test]
fn corpus_rows_classify_exactly() {
    let config = OptOutConfig::default();
    let mut failures = Vec::new();
    for (i, row) in CORPUS.iter().enumerate() {
        let msg = InboundMessage {
            body: row.body,
            subject: row.subject,
            headers: row.headers,
        };
        let got = classify_inbound(row.channel, &msg, &config);
        let want = expected(row.want);
        if got != want {
            failures.push(format!(
                "row {i} ({:?}, subject {:?}): {:?}\n    want {want:?}\n    got  {got:?}",
                row.channel, row.subject, row.body
            ));
        }
        // detect_opt_out agrees with classify_inbound.
        let detected = detect_opt_out(row.channel, &msg);
        assert_eq!(detected.as_ref(), got.opt_out(), "row {i}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        CORPUS.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_is_large_and_balanced() {
    let positives = CORPUS.iter().filter(|r| matches!(r.want, Out(_))).count();
    let negatives = CORPUS.iter().filter(|r| matches!(r.want, No)).count();
    let emails = CORPUS
        .iter()
        .filter(|r| r.channel == Channel::Email)
        .count();
    assert!(CORPUS.len() >= 80, "{}", CORPUS.len());
    assert!(
        positives >= 40 && negatives >= 30,
        "{positives} / {negatives}"
    );
    assert!(emails >= 30, "{emails}");
}

#[test]
fn quoted_footer_alone_never_opts_out() {
    let config = OptOutConfig::default();
    for new_text in [
        "Sure, Tuesday works.",
        "Who is the right person for this?",
        "Thanks!",
    ] {
        for quote in [GMAIL_QUOTE, OUTLOOK_QUOTE] {
            let body = format!("{new_text}{quote}");
            let msg = InboundMessage {
                body: &body,
                subject: Some("Re: Quick question"),
                headers: &[],
            };
            assert_eq!(
                classify_inbound(Channel::Email, &msg, &config),
                Intent::None,
                "{body}"
            );
        }
    }
    let body = format!("Please unsubscribe me.{GMAIL_QUOTE}");
    let msg = InboundMessage {
        body: &body,
        subject: None,
        headers: &[],
    };
    assert_eq!(
        detect_opt_out(Channel::Email, &msg).map(|o| o.matched),
        Some("unsubscribe me".to_owned())
    );
}

mod properties {
    use gate::Channel;
    use gate::opt_out::{InboundMessage, Intent, OptOutConfig, classify_inbound};
    use proptest::prelude::*;

    fn channel() -> impl Strategy<Value = Channel> {
        prop::sample::select(Channel::ALL.to_vec())
    }

    /// Words the rules care about, mixed with noise, so that the generator reaches them.
    fn wordy() -> impl Strategy<Value = String> {
        let words = prop::sample::select(vec![
            "stop",
            "STOP",
            "unsubscribe",
            "me",
            "remove",
            "don't",
            "not",
            "please",
            "take",
            "off",
            "your",
            "list",
            "end",
            "yes",
            "help",
            "12345",
            "my",
            "colleague",
            "no",
            "more",
            "texts",
            "opt",
            "out",
            "wrote:",
            "On",
            ">",
            "--",
            "\n",
            ".",
            ",",
            "!",
            "ARRÊT",
            "más",
            "s",
            "t",
            "o",
            "p",
            "if",
            "you",
            "I",
            "should",
            "stopping",
        ]);
        prop::collection::vec(
            prop_oneof![words.prop_map(str::to_owned), "\\PC{0,6}"],
            0..24,
        )
        .prop_map(|w| w.join(" "))
    }

    proptest! {
        #[test]
        fn matched_text_comes_from_the_message(
            ch in channel(),
            body in prop_oneof![wordy(), any::<String>()],
            subject in proptest::option::of(wordy()),
        ) {
            let msg = InboundMessage { body: &body, subject: subject.as_deref(), headers: &[] };
            let intent = classify_inbound(ch, &msg, &OptOutConfig::default());
            if let Some(m) = intent.matched() {
                let flat = body.replace('\r', "");
                prop_assert!(!m.is_empty());
                prop_assert!(
                    flat.contains(m) || subject.as_deref().is_some_and(|s| s.contains(m)),
                    "{m:?} not in {body:?} / {subject:?}"
                );
            }
        }

        #[test]
        fn quoted_text_never_counts(body in prop_oneof![wordy(), any::<String>()]) {
            let quoted: String = body.lines().map(|l| format!("> {l}\n")).collect();
            let msg = InboundMessage { body: &quoted, subject: None, headers: &[] };
            prop_assert_eq!(
                classify_inbound(Channel::Email, &msg, &OptOutConfig::default()),
                Intent::None
            );
        }
    }
}
