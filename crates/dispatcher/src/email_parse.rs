//! A raw RFC 5322 message (what `POST /v1/webhooks/email/inbound` receives) → its headers, its
//! sender, its subject and its text, enough for the gate's opt-out detector (which reads only
//! the new text of a reply and recognises automatic mail by its headers).
//!
//! Headers are unfolded (RFC 5322 § 2.2.3); the subject's encoded words are decoded (RFC 2047,
//! `B` and `Q`). The text is the first `text/plain` part, depth first through `multipart/*`
//! (attachments and attached messages skipped), with its `quoted-printable` or `base64`
//! transfer encoding undone and its charset read (UTF-8, US-ASCII, ISO-8859-1, Windows-1252;
//! anything else as lossy UTF-8). A message with only `text/html` has its tags stripped
//! crudely: block elements become line breaks, `<blockquote>` content is prefixed with `> `
//! (so quoted text is recognised as quoted), scripts and styles are dropped and the common
//! entities are decoded.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// How deep nested multiparts are followed.
const MAX_DEPTH: usize = 8;

/// A parsed message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedEmail {
    /// Every header of the message, unfolded, in order (name as written, value trimmed).
    pub headers: Vec<(String, String)>,
    /// The address of `From` (inside `<>` when there are angle brackets).
    pub from: Option<String>,
    /// `Subject`, encoded words decoded.
    pub subject: Option<String>,
    /// The text of the message (see the module documentation).
    pub text: String,
}

impl ParsedEmail {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
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
    let (head, body) = split_head(raw);
    let headers = parse_headers(head);
    let from = header(&headers, "from").and_then(address);
    let subject = header(&headers, "subject").map(decode_words);
    let mut found = Found::default();
    walk(&headers, body, 0, &mut found);
    let text = match (found.plain, found.html) {
        (Some(p), _) => p,
        (None, Some(h)) => html_to_text(&h),
        (None, None) => String::new(),
    };
    ParsedEmail {
        headers,
        from,
        subject,
        text,
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Splits at the first empty line (CRLF or LF); no empty line: all head, no body.
fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    let mut line_start = 0;
    while i < raw.len() {
        if raw.get(i) == Some(&b'\n') {
            let line = raw.get(line_start..i).unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                return (
                    raw.get(..line_start).unwrap_or_default(),
                    raw.get(i + 1..).unwrap_or_default(),
                );
            }
            line_start = i + 1;
        }
        i += 1;
    }
    (raw, &[])
}

fn parse_headers(head: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(head);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            // A folded continuation of the previous header.
            if let Some((_, v)) = out.last_mut() {
                let more = line.trim();
                if !more.is_empty() {
                    if !v.is_empty() {
                        v.push(' ');
                    }
                    v.push_str(more);
                }
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(' ') {
                out.push((name.to_owned(), value.trim().to_owned()));
            }
        }
    }
    out
}

/// The address of a `From` value: inside the last `<…>`, else the value without comments.
fn address(value: &str) -> Option<String> {
    let inner = match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => value.get(a + 1..b).unwrap_or(""),
        _ => value
            .split('(')
            .next()
            .unwrap_or(value)
            .split(',')
            .next()
            .unwrap_or(""),
    };
    let addr = inner.trim().trim_matches('"').trim();
    (!addr.is_empty()).then(|| addr.to_owned())
}

/// A `Content-Type` (or `Content-Disposition`) value: the lower-cased type and its parameters
/// (names lower-cased, quotes removed).
fn content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = split_params(value).into_iter();
    let kind = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            Some((k.trim().to_ascii_lowercase(), v.replace("\\\"", "\"")))
        })
        .collect();
    (kind, params)
}

/// Splits on `;` outside double quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Default)]
struct Found {
    plain: Option<String>,
    html: Option<String>,
}

fn walk(headers: &[(String, String)], body: &[u8], depth: usize, found: &mut Found) {
    if found.plain.is_some() || depth > MAX_DEPTH {
        return;
    }
    let (kind, params) = header(headers, "content-type")
        .map(content_type)
        .unwrap_or_else(|| ("text/plain".to_owned(), Vec::new()));
    let attachment = header(headers, "content-disposition")
        .map(content_type)
        .is_some_and(|(d, _)| d == "attachment");
    if kind.starts_with("multipart/") {
        let Some(boundary) = param(&params, "boundary") else {
            return;
        };
        for part in multipart_parts(body, boundary) {
            let (head, body) = split_head(part);
            walk(&parse_headers(head), body, depth + 1, found);
            if found.plain.is_some() {
                return;
            }
        }
        return;
    }
    if attachment {
        return;
    }
    let is_plain = kind == "text/plain" || kind.is_empty() || kind == "text";
    let is_html = kind == "text/html";
    if !is_plain && !is_html {
        return;
    }
    let encoding = header(headers, "content-transfer-encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "quoted-printable" => decode_qp(body),
        "base64" => decode_b64(body),
        _ => body.to_vec(),
    };
    let text = decode_charset(&bytes, param(&params, "charset").unwrap_or("utf-8"));
    if is_plain {
        found.plain = Some(text);
    } else if found.html.is_none() {
        found.html = Some(text);
    }
}

/// The parts of a multipart body: between `--boundary` lines, up to `--boundary--`.
fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0;
    while pos <= body.len() {
        let end = body
            .get(pos..)
            .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
            .map_or(body.len(), |i| pos + i);
        let line = body.get(pos..end).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(delim) {
            let rest_trimmed = trim_ascii_end(rest);
            let closing = rest_trimmed.starts_with(b"--");
            if rest_trimmed.is_empty() || closing {
                if let Some(s) = start {
                    // The line break before a delimiter belongs to the delimiter.
                    let mut e = pos;
                    if e > s && body.get(e - 1) == Some(&b'\n') {
                        e -= 1;
                        if e > s && body.get(e - 1) == Some(&b'\r') {
                            e -= 1;
                        }
                    }
                    parts.push(body.get(s..e).unwrap_or_default());
                }
                if closing {
                    return parts;
                }
                start = Some((end + 1).min(body.len()));
            }
        }
        pos = end + 1;
    }
    // No closing delimiter: the last part runs to the end.
    if let Some(s) = start {
        parts.push(body.get(s..).unwrap_or_default());
    }
    parts
}

fn trim_ascii_end(b: &[u8]) -> &[u8] {
    let mut e = b.len();
    while e > 0 && b.get(e - 1).is_some_and(u8::is_ascii_whitespace) {
        e -= 1;
    }
    b.get(..e).unwrap_or_default()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Quoted-printable (RFC 2045 § 6.7): `=XX` octets and `=` soft line breaks; a malformed
/// `=` is kept as it is.
pub fn decode_qp(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        // Soft line break: `=` then optional trailing blanks then a line break.
        let mut j = i + 1;
        while matches!(input.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        match input.get(j) {
            Some(b'\r') if input.get(j + 1) == Some(&b'\n') => {
                i = j + 2;
                continue;
            }
            Some(b'\n') => {
                i = j + 1;
                continue;
            }
            None => {
                i = j;
                continue;
            }
            _ => {}
        }
        match (
            input.get(i + 1).copied().and_then(hex_val),
            input.get(i + 2).copied().and_then(hex_val),
        ) {
            (Some(h), Some(l)) => {
                out.push(h * 16 + l);
                i += 3;
            }
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Base64 with line breaks and stray characters ignored; what cannot be decoded is empty.
pub fn decode_b64(input: &[u8]) -> Vec<u8> {
    let clean: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    // A length of 4n+1 cannot be valid: drop the odd character.
    let usable = clean.len() - usize::from(clean.len() % 4 == 1);
    LENIENT_B64
        .decode(clean.get(..usable).unwrap_or_default())
        .unwrap_or_default()
}

/// Windows-1252's characters for 0x80–0x9F (None where it has none).
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

fn decode_charset(bytes: &[u8], charset: &str) -> String {
    let cs = charset.trim().to_ascii_lowercase();
    match cs.as_str() {
        "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "l1" => {
            bytes.iter().map(|b| char::from(*b)).collect()
        }
        "windows-1252" | "cp1252" | "x-cp1252" => bytes
            .iter()
            .map(|b| {
                if (0x80..0xa0).contains(b) {
                    CP1252_HIGH
                        .get(usize::from(b - 0x80))
                        .copied()
                        .flatten()
                        .unwrap_or('\u{fffd}')
                } else {
                    char::from(*b)
                }
            })
            .collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Decodes RFC 2047 encoded words (`=?charset?B?…?=`, `=?charset?Q?…?=`); whitespace between
/// two encoded words disappears.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut pending_space = String::new();
    let mut last_was_word = false;
    while !rest.is_empty() {
        match rest.find("=?") {
            Some(start) => {
                let (before, from) = rest.split_at(start);
                match decode_word(from) {
                    Some((text, used)) => {
                        if !(last_was_word && before.trim().is_empty()) {
                            out.push_str(&pending_space);
                            out.push_str(before);
                        }
                        pending_space.clear();
                        out.push_str(&text);
                        last_was_word = true;
                        rest = from.get(used..).unwrap_or("");
                    }
                    None => {
                        out.push_str(&pending_space);
                        pending_space.clear();
                        out.push_str(before);
                        out.push_str("=?");
                        last_was_word = false;
                        rest = from.get(2..).unwrap_or("");
                    }
                }
            }
            None => {
                if !(last_was_word && rest.trim().is_empty()) {
                    out.push_str(rest);
                }
                break;
            }
        }
    }
    out
}

/// One encoded word at the start of `s`: its text and how many bytes it took.
fn decode_word(s: &str) -> Option<(String, usize)> {
    let body = s.strip_prefix("=?")?;
    let (charset, rest) = body.split_once('?')?;
    let (enc, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let data = rest.get(..end)?;
    if data.contains(' ') || charset.is_empty() {
        return None;
    }
    let bytes = match enc {
        "B" | "b" => decode_b64(data.as_bytes()),
        "Q" | "q" => decode_qp(data.replace('_', " ").as_bytes()),
        _ => return None,
    };
    let used = 2 + charset.len() + 1 + enc.len() + 1 + end + 2;
    // The language suffix of RFC 2231 (`utf-8*en`) is ignored.
    let charset = charset.split('*').next().unwrap_or(charset);
    Some((decode_charset(&bytes, charset), used))
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

    #[test]
    fn qp_edge_cases() {
        assert_eq!(decode_qp(b"a=3Db=\r\nc= \nd=zz="), b"a=bcd=zz".to_vec());
        assert_eq!(decode_b64(b"aGk"), b"hi".to_vec());
        assert_eq!(decode_words("plain"), "plain");
        assert_eq!(decode_words("=?bogus"), "=?bogus");
        assert_eq!(
            decode_words("=?ISO-8859-1?Q?Andr=E9?= Pirard"),
            "André Pirard"
        );
    }
}
