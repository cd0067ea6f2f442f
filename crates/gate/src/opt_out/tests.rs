//! Unit tests of the opt-out entry points (the corpus is in `tests/opt_out_corpus.rs`).

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

fn auto(m: &str) -> Intent {
    Intent::AutoReply {
        matched: m.to_owned(),
    }
}

#[test]
fn email_auto_replies_are_never_opt_outs() {
    let body = "Please remove me";
    for (name, value) in [
        ("Auto-Submitted", "auto-replied"),
        ("X-Autoreply", "yes"),
        ("X-Autorespond", "1"),
        ("Precedence", "auto_reply"),
        ("Precedence", "bulk"),
        ("Precedence", "junk"),
    ] {
        assert_eq!(
            email_full(body, None, &[(name, value)]),
            auto(&format!("{name}: {value}"))
        );
    }
    assert_eq!(
        email_full(body, Some("Automatic reply: hi"), &[]),
        auto("Automatic reply")
    );
    assert_eq!(
        email_full(
            "I am out of the office until Monday. To unsubscribe reply STOP.",
            None,
            &[]
        ),
        auto("out of the office")
    );
    assert_eq!(
        email_full("I'm on vacation until 3 Dec. Unsubscribe", None, &[]),
        auto("on vacation until")
    );
    assert_eq!(
        email_full(body, None, &[("Auto-Submitted", "no")]),
        out("remove me")
    );
}

#[test]
fn text_auto_replies_only_when_nothing_else_is_asked() {
    assert_eq!(
        sms("Auto-reply: I'm out of the office until Monday."),
        auto("Auto-reply")
    );
    assert_eq!(sms("I'm out of the office until Monday. STOP"), out("STOP"));
    assert_eq!(
        sms("I'm away this weekend, can we talk Monday?"),
        Intent::None
    );
}

#[test]
fn intent_names_are_the_contracts() {
    let names: Vec<&str> = [
        out("STOP"),
        Intent::OptIn {
            matched: "START".into(),
        },
        Intent::Help {
            matched: "HELP".into(),
        },
        Intent::WrongNumber(OptOut {
            matched: "wrong number".into(),
            scope: ChannelScope::All,
        }),
        auto("out of office"),
        Intent::None,
    ]
    .iter()
    .map(Intent::as_str)
    .collect();
    assert_eq!(
        names,
        [
            "opt_out",
            "opt_in",
            "help",
            "wrong_number",
            "auto_reply",
            "none"
        ]
    );
}

#[test]
fn wrong_numbers_revoke_like_opt_outs() {
    let got = sms("Sorry, wrong number");
    assert_eq!(got.as_str(), "wrong_number");
    assert_eq!(got.matched(), Some("wrong number"));
    assert!(got.is_opt_out());
    assert_eq!(
        detect_opt_out(Channel::Sms, &InboundMessage::text("wrong number")).map(|o| o.scope),
        Some(ChannelScope::All)
    );
    assert_eq!(sms("I gave you the wrong number, sorry"), Intent::None);
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
        auto("Auto-Submitted: auto-generated")
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
    let body =
        "Merci.\n\nLe mar. 24 nov. 2026 à 09:00, Sales <sdr@acme.example> a écrit :\n> désabonner";
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
