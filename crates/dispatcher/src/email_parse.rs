//! A raw RFC 5322 message (what `POST /v1/webhooks/email/inbound` receives) → its headers, its
//! sender, its subject and its text, enough for the gate's opt-out detector (which reads only
//! the new text of a reply and recognises automatic mail by its headers).
//!
//! MIME is `mail-parser`'s: headers unfolded, encoded words (RFC 2047) decoded, nested
//! multiparts walked, transfer encodings undone and every charset it knows decoded (with its
//! `full_encoding` feature: the CJK and Cyrillic legacy charsets too — ISO-2022-JP, GB18030,
//! windows-1251 …). The text is the first inline text body. A message with only `text/html`
//! goes through [`html_to_text`] here rather than mail-parser's converter, because ours marks
//! `<blockquote>` content with `> `, which is how the gate's new-text extraction recognises
//! quoted text.

use mail_parser::{MessageParser, PartType};

/// A parsed message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedEmail {
    /// Every header of the message, unfolded, in order (name as written, value trimmed).
    pub headers: Vec<(String, String)>,
    /// The address of `From`.
    pub from: Option<String>,
    /// `Subject`, encoded words decoded.
    pub subject: Option<String>,
    /// `Message-ID`, `In-Reply-To` and `References` ids, without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The text of the message (see the module documentation).
    pub text: String,
}

impl ParsedEmail {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The headers as the gate takes them.
    pub fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// Parses a raw message. Never fails: what cannot be read is left out.
pub fn parse(raw: &[u8]) -> ParsedEmail {
    let Some(m) = MessageParser::default().parse(raw) else {
        return ParsedEmail::default();
    };
    let headers = m
        .headers()
        .iter()
        .map(|h| {
            let value = raw
                .get(h.offset_start as usize..h.offset_end as usize)
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            (h.name.as_str().to_owned(), unfold(&value))
        })
        .collect();
    let text = match m.text_part(0).map(|p| &p.body) {
        Some(PartType::Text(t)) => t.to_string(),
        Some(PartType::Html(h)) => html_to_text(h),
        _ => match m.html_part(0).map(|p| &p.body) {
            Some(PartType::Html(h)) => html_to_text(h),
            _ => String::new(),
        },
    };
    let ids = |v: &mail_parser::HeaderValue<'_>| -> Vec<String> {
        v.as_text_list()
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    };
    ParsedEmail {
        from: m
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_owned),
        subject: m.subject().map(str::to_owned),
        message_id: m.message_id().map(str::to_owned),
        in_reply_to: ids(m.in_reply_to()),
        references: ids(m.references()),
        headers,
        text,
    }
}

/// A raw header value on one line (RFC 5322 § 2.2.3), trimmed.
fn unfold(value: &str) -> String {
    value
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// HTML → text, crudely (see the module documentation).
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut quote_depth = 0usize;
    let mut skip_until: Option<&'static str> = None;
    let mut rest = html;
    let mut at_line_start = true;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if skip_until.is_none() {
                push_text(&mut out, rest, quote_depth, &mut at_line_start);
            }
            break;
        };
        let (text, tag_and_rest) = rest.split_at(lt);
        if skip_until.is_none() {
            push_text(&mut out, text, quote_depth, &mut at_line_start);
        }
        let Some(gt) = tag_and_rest.find('>') else {
            break;
        };
        let tag = tag_and_rest.get(1..gt).unwrap_or("");
        rest = tag_and_rest.get(gt + 1..).unwrap_or("");
        if tag.starts_with("!--") {
            // A comment: skip to its end.
            if let Some(end) = tag_and_rest.find("-->") {
                rest = tag_and_rest.get(end + 3..).unwrap_or("");
            }
            continue;
        }
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(until) = skip_until {
            if closing && name == until {
                skip_until = None;
            }
            continue;
        }
        match name.as_str() {
            "script" if !closing => skip_until = Some("script"),
            "style" if !closing => skip_until = Some("style"),
            "head" if !closing => skip_until = Some("head"),
            "blockquote" => {
                newline(&mut out, &mut at_line_start);
                if closing {
                    quote_depth = quote_depth.saturating_sub(1);
                } else {
                    quote_depth += 1;
                }
            }
            "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "hr"
            | "table" | "ul" | "ol" => newline(&mut out, &mut at_line_start),
            _ => {}
        }
    }
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let mut text = lines.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim().to_owned()
}

fn newline(out: &mut String, at_line_start: &mut bool) {
    out.push('\n');
    *at_line_start = true;
}

fn push_text(out: &mut String, text: &str, quote_depth: usize, at_line_start: &mut bool) {
    let decoded = decode_entities(text);
    // Whitespace in HTML text (line breaks included) is one space.
    let mut collapsed = String::with_capacity(decoded.len());
    let mut space = false;
    for c in decoded.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            space = true;
            continue;
        }
        if space && (!collapsed.is_empty() || !*at_line_start) {
            collapsed.push(' ');
        }
        space = false;
        collapsed.push(if c == '\u{a0}' { ' ' } else { c });
    }
    if space && !collapsed.is_empty() {
        collapsed.push(' ');
    }
    if collapsed.is_empty() {
        return;
    }
    if *at_line_start && quote_depth > 0 {
        out.push_str(&"> ".repeat(quote_depth));
    }
    out.push_str(&collapsed);
    *at_line_start = false;
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        let (before, from) = rest.split_at(amp);
        out.push_str(before);
        let semi = from.find(';').filter(|i| *i <= 10);
        let decoded = semi.and_then(|i| {
            let name = from.get(1..i)?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, i + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = from.get(used..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = from.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_message_with_folded_headers() {
        let raw = b"From: \"Ana Lopez\" <Ana@Example.com>\r\nTo: sdr@acme.example\r\nSubject: Re: Hello\r\n there\r\nX-Long: a\r\n\tb\r\n\r\nPlease unsubscribe me.\r\n\r\nOn Tue, Nov 24, 2026 SDR wrote:\r\n> Hi Ana\r\n";
        let m = parse(raw);
        assert_eq!(m.from.as_deref(), Some("Ana@Example.com"));
        assert_eq!(m.subject.as_deref(), Some("Re: Hello there"));
        assert_eq!(m.header("x-long"), Some("a b"));
        assert_eq!(m.headers.len(), 4);
        assert!(m.text.starts_with("Please unsubscribe me."), "{}", m.text);
        assert!(m.text.contains("> Hi Ana"));
    }

    #[test]
    fn bare_from_and_lf_only() {
        let m = parse(b"From: ana@example.com (Ana)\nSubject: x\n\nbody\n");
        assert_eq!(m.from.as_deref(), Some("ana@example.com"));
        assert_eq!(m.text, "body\n");
    }

    #[test]
    fn multipart_takes_the_first_plain_part_and_decodes_it() {
        let raw = concat!(
            "From: Ana <ana@example.com>\r\n",
            "Subject: =?UTF-8?Q?Re=3A_caf=C3=A9?= =?utf-8?B?IG1lZXRpbmc=?=\r\n",
            "Content-Type: multipart/mixed; boundary=\"outer\"\r\n",
            "\r\n",
            "preamble\r\n",
            "--outer\r\n",
            "Content-Type: multipart/alternative; boundary=inner\r\n",
            "\r\n",
            "--inner\r\n",
            "Content-Type: text/html; charset=utf-8\r\n",
            "\r\n",
            "<p>html version</p>\r\n",
            "--inner\r\n",
            "Content-Type: text/plain; charset=\"utf-8\"\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n",
            "\r\n",
            "Remove me from your list, caf=C3=A9 =\r\n",
            "lover.\r\n",
            "--inner--\r\n",
            "--outer\r\n",
            "Content-Type: text/plain\r\n",
            "Content-Disposition: attachment; filename=a.txt\r\n",
            "\r\n",
            "attachment text\r\n",
            "--outer--\r\n",
        );
        let m = parse(raw.as_bytes());
        assert_eq!(m.subject.as_deref(), Some("Re: café meeting"));
        assert_eq!(m.text, "Remove me from your list, café lover.");
    }

    #[test]
    fn base64_latin1_part() {
        // "Désinscrivez-moi" in ISO-8859-1, base64.
        let raw = concat!(
            "From: a@b.example\r\n",
            "Content-Type: multipart/alternative; boundary=b\r\n\r\n",
            "--b\r\n",
            "Content-Type: text/plain; charset=iso-8859-1\r\n",
            "Content-Transfer-Encoding: base64\r\n\r\n",
            "ROlzaW5z\r\nY3JpdmV6LW1vaQ==\r\n",
            "--b--\r\n",
        );
        assert_eq!(parse(raw.as_bytes()).text, "Désinscrivez-moi");
    }

    #[test]
    fn html_only_is_stripped_with_quotes_marked() {
        let raw = concat!(
            "From: a@b.example\r\n",
            "Content-Type: text/html; charset=utf-8\r\n\r\n",
            "<html><head><style>p{}</style></head><body><div>Please stop emailing me &amp; my team.</div>",
            "<div>On Mon, SDR wrote:</div><blockquote><p>Hi,</p><p>To unsubscribe click here</p></blockquote>",
            "<script>x()</script></body></html>",
        );
        let m = parse(raw.as_bytes());
        assert!(
            m.text.starts_with("Please stop emailing me & my team."),
            "{}",
            m.text
        );
        assert!(m.text.contains("> To unsubscribe click here"), "{}", m.text);
        assert!(!m.text.contains("x()"));
        assert!(!m.text.contains("p{}"));
    }

    /// Legacy charsets decoded (mail-parser's `full_encoding`): an unsubscribe request in
    /// Japanese (ISO-2022-JP), Chinese (GB18030, base64) or Russian (windows-1251,
    /// quoted-printable) reaches the detector as text, subject included.
    #[test]
    fn legacy_charsets_reach_the_detector() {
        let cases: [(&[u8], &str, &str); 3] = [
            (
                include_bytes!("../tests/data/inbound_email/iso-2022-jp.eml"),
                "配信停止",
                "Re: お知らせ",
            ),
            (
                include_bytes!("../tests/data/inbound_email/gb18030.eml"),
                "退订",
                "Re: 通知",
            ),
            (
                include_bytes!("../tests/data/inbound_email/windows-1251.eml"),
                "Отписаться",
                "Re: Рассылка",
            ),
        ];
        for (raw, word, subject) in cases {
            let m = parse(raw);
            assert!(m.text.contains(word), "{word} not in {:?}", m.text);
            assert_eq!(m.subject.as_deref(), Some(subject));
            assert_eq!(m.from.as_deref(), Some("reader@example.com"));
            let pairs = m.header_pairs();
            let msg = gate::InboundMessage {
                body: &m.text,
                subject: m.subject.as_deref(),
                headers: &pairs,
            };
            let found = gate::detect_opt_out(gate::Channel::Email, &msg);
            assert!(found.is_some(), "no opt-out found in {:?}", m.text);
        }
    }
}
