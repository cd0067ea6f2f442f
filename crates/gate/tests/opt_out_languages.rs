//! The per-language opt-out corpus (`opt_out_corpus/*.txt`, format in its README): every row
//! gets exactly the intent it names; every language has opt-outs, ordinary sentences, wrong
//! numbers and auto-replies; a letter stretched for emphasis changes nothing.

use gate::opt_out::{
    InboundMessage, Intent, OptOut, OptOutConfig, classify_inbound, detect_opt_out,
};
use gate::{Channel, ChannelScope};

/// The per-language corpus files.
const LANGUAGES: &[(&str, &str)] = &[
    ("en", include_str!("opt_out_corpus/en.txt")),
    ("es", include_str!("opt_out_corpus/es.txt")),
    ("fr", include_str!("opt_out_corpus/fr.txt")),
    ("de", include_str!("opt_out_corpus/de.txt")),
    ("pt", include_str!("opt_out_corpus/pt.txt")),
    ("it", include_str!("opt_out_corpus/it.txt")),
    ("nl", include_str!("opt_out_corpus/nl.txt")),
    ("sv", include_str!("opt_out_corpus/sv.txt")),
    ("ru", include_str!("opt_out_corpus/ru.txt")),
    ("zh", include_str!("opt_out_corpus/zh.txt")),
    ("ja", include_str!("opt_out_corpus/ja.txt")),
];

/// One row of a language file.
#[derive(Debug)]
struct LangRow {
    lang: &'static str,
    line: usize,
    channel: Channel,
    want: Intent,
    body: String,
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Parses every language file; a malformed line is an error naming it.
fn language_rows() -> Result<Vec<LangRow>, String> {
    let mut rows = Vec::new();
    for &(lang, text) in LANGUAGES {
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let t = raw.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = t.splitn(4, " | ").collect();
            let [channel, want, matched, body] = fields[..] else {
                return Err(format!("{lang}.txt:{line}: want 4 fields: {t:?}"));
            };
            let channel = match channel {
                "sms" => Channel::Sms,
                "wa" => Channel::Whatsapp,
                "li" => Channel::Linkedin,
                "call" => Channel::Call,
                "mail" => Channel::Email,
                other => return Err(format!("{lang}.txt:{line}: channel {other:?}")),
            };
            let m = || OptOut {
                matched: matched.to_owned(),
                scope: ChannelScope::All,
            };
            let want = match want {
                "out" => Intent::OptOut(m()),
                "wrong" => Intent::WrongNumber(m()),
                "in" => Intent::OptIn {
                    matched: matched.to_owned(),
                },
                "help" => Intent::Help {
                    matched: matched.to_owned(),
                },
                "auto" => Intent::AutoReply {
                    matched: matched.to_owned(),
                },
                "none" if matched == "-" => Intent::None,
                other => return Err(format!("{lang}.txt:{line}: intent {other:?} / {matched:?}")),
            };
            rows.push(LangRow {
                lang,
                line,
                channel,
                want,
                body: unescape(body),
            });
        }
    }
    Ok(rows)
}

#[test]
fn language_rows_classify_exactly() {
    let rows = language_rows().unwrap();
    let config = OptOutConfig::default();
    let mut failures = Vec::new();
    for row in &rows {
        let msg = InboundMessage::text(&row.body);
        let got = classify_inbound(row.channel, &msg, &config);
        if got != row.want {
            failures.push(format!(
                "{}.txt:{} ({:?}) {:?}\n    want {:?}\n    got  {got:?}",
                row.lang, row.line, row.channel, row.body, row.want
            ));
        }
        assert_eq!(
            detect_opt_out(row.channel, &msg).as_ref(),
            got.opt_out(),
            "{}.txt:{}",
            row.lang,
            row.line
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn every_language_has_positives_negatives_wrong_numbers_and_auto_replies() {
    let rows = language_rows().unwrap();
    for &(lang, _) in LANGUAGES {
        let count = |pred: &dyn Fn(&Intent) -> bool| {
            rows.iter()
                .filter(|r| r.lang == lang && pred(&r.want))
                .count()
        };
        let positives = count(&|w| matches!(w, Intent::OptOut(_)));
        let negatives = count(&|w| *w == Intent::None);
        let wrong = count(&|w| matches!(w, Intent::WrongNumber(_)));
        let auto = count(&|w| matches!(w, Intent::AutoReply { .. }));
        assert!(
            positives >= 8 && negatives >= 5 && wrong >= 2 && auto >= 1,
            "{lang}: {positives} opt-outs, {negatives} negatives, {wrong} wrong numbers, \
             {auto} auto-replies"
        );
    }
    assert!(rows.len() >= 350, "{}", rows.len());
}

mod properties {
    use gate::Channel;
    use gate::opt_out::{InboundMessage, OptOutConfig, classify_inbound};
    use proptest::prelude::*;

    /// A language row, a word of it and a letter of that word that has no equal neighbour.
    fn stretchable() -> impl Strategy<Value = (String, Channel, &'static str, String)> {
        let rows = super::language_rows().unwrap_or_default();
        let picks: Vec<(String, Channel, &'static str)> = rows
            .into_iter()
            .map(|r| (r.body, r.channel, r.want.as_str()))
            .collect();
        (prop::sample::select(picks), any::<prop::sample::Index>()).prop_map(
            |((body, channel, want), at)| {
                let chars: Vec<char> = body.chars().collect();
                // Letters of words of three letters or more, whose neighbours differ. (A
                // stretched two-letter word is ambiguous: `offf` is read as `off`, not `of`.)
                let letter = |k: usize| chars.get(k).is_some_and(|x| x.is_ascii_alphabetic());
                let word_len = |i: usize| {
                    let start = (0..=i).rev().take_while(|&k| letter(k)).count();
                    let end = (i..chars.len()).take_while(|&k| letter(k)).count();
                    start + end - 1
                };
                let spots: Vec<usize> = (0..chars.len())
                    .filter(|&i| {
                        let c = chars.get(i).copied();
                        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
                        let next = chars.get(i + 1).copied();
                        letter(i) && word_len(i) >= 3 && prev != c && next != c
                    })
                    .collect();
                let stretched = match spots.get(at.index(spots.len().max(1))) {
                    Some(&i) => chars
                        .iter()
                        .enumerate()
                        .flat_map(|(k, &c)| std::iter::repeat_n(c, if k == i { 3 } else { 1 }))
                        .collect(),
                    None => body.clone(),
                };
                (stretched, channel, want, body)
            },
        )
    }

    proptest! {
        #[test]
        fn a_stretched_letter_keeps_the_intent((stretched, channel, want, body) in stretchable()) {
            let got = classify_inbound(
                channel,
                &InboundMessage::text(&stretched),
                &OptOutConfig::default(),
            );
            prop_assert_eq!(got.as_str(), want, "{:?} (from {:?})", stretched, body);
        }

    }
}
