//! India DLT (TRAI TCCCPR 2018): every commercial SMS to an Indian number must come from a
//! registered principal entity, under a registered header, with a registered content template
//! whose fixed text the message keeps, each tag standing for one variable of its kind.
//!
//! Tags (the operators' current set): `{#var#}` any text up to 30 characters (possibly
//! empty); `{#numeric#}` digits; `{#alphanumeric#}` letters and digits; `{#url#}` and
//! `{#urlott#}` a link (`http://`, `https://` or `www.`, or a dotted host, without spaces);
//! `{#cbn#}` a call-back number (an optional `+`, then 3–15 digits, `-` allowed between
//! them); `{#email#}` an address. Typed values are non-empty; tag names are case-insensitive;
//! an unknown tag is literal text.

use crate::facts::{DltRegistration, DltTemplate};

/// Maximum characters one `{#var#}` (or `{#numeric#}`, `{#alphanumeric#}`) may stand for
/// (TRAI's operators cap a variable at 30).
pub const MAX_VAR_LEN: usize = 30;

/// Links and addresses are longer than a plain variable; bounded all the same.
const MAX_LINK_LEN: usize = 200;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DltProblem {
    NoEntity,
    NoTemplateId,
    TemplateNotRegistered(String),
    HeaderNotRegistered(String),
    BodyMismatch(String),
}

impl DltProblem {
    pub(crate) fn describe(&self) -> String {
        match self {
            DltProblem::NoEntity => "account has no DLT principal entity id".to_owned(),
            DltProblem::NoTemplateId => "SMS to +91 names no DLT template id".to_owned(),
            DltProblem::TemplateNotRegistered(id) => {
                format!("DLT template {id} is not registered for this account")
            }
            DltProblem::HeaderNotRegistered(h) => {
                format!("header {h} of the DLT template is not a registered header")
            }
            DltProblem::BodyMismatch(id) => {
                format!("body does not match the registered text of DLT template {id}")
            }
        }
    }
}

/// Checks a touch to an Indian number against the account's DLT registration.
pub(crate) fn check(
    reg: Option<&DltRegistration>,
    template_id: Option<&str>,
    body: &str,
) -> Result<(), DltProblem> {
    let reg = reg
        .filter(|r| !r.entity_id.trim().is_empty())
        .ok_or(DltProblem::NoEntity)?;
    let id = template_id.ok_or(DltProblem::NoTemplateId)?;
    let tpl: &DltTemplate = reg
        .templates
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| DltProblem::TemplateNotRegistered(id.to_owned()))?;
    if !reg
        .headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&tpl.header))
    {
        return Err(DltProblem::HeaderNotRegistered(tpl.header.clone()));
    }
    if body_matches(&tpl.body, body) {
        Ok(())
    } else {
        Err(DltProblem::BodyMismatch(id.to_owned()))
    }
}

/// The kind of value a tag stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Var,
    Numeric,
    Alphanumeric,
    Url,
    CallBackNumber,
    Email,
}

impl Tag {
    fn named(name: &str) -> Option<Tag> {
        Some(match name.to_ascii_lowercase().as_str() {
            "var" => Tag::Var,
            "numeric" => Tag::Numeric,
            "alphanumeric" => Tag::Alphanumeric,
            "url" | "urlott" => Tag::Url,
            "cbn" => Tag::CallBackNumber,
            "email" => Tag::Email,
            _ => return None,
        })
    }

    /// The most characters a value may have.
    fn max_len(self) -> usize {
        match self {
            Tag::Var | Tag::Numeric | Tag::Alphanumeric => MAX_VAR_LEN,
            Tag::CallBackNumber => 24,
            Tag::Url | Tag::Email => MAX_LINK_LEN,
        }
    }

    /// Whether `c` may appear in a value (lets the matcher stop early).
    fn allows_char(self, c: char) -> bool {
        match self {
            Tag::Var => true,
            Tag::Numeric => c.is_ascii_digit(),
            Tag::Alphanumeric => c.is_alphanumeric(),
            Tag::CallBackNumber => c.is_ascii_digit() || c == '+' || c == '-',
            Tag::Url | Tag::Email => !c.is_whitespace(),
        }
    }

    /// Whether a whole candidate value is one of this kind.
    fn accepts(self, v: &str) -> bool {
        match self {
            Tag::Var => true,
            Tag::Numeric | Tag::Alphanumeric => !v.is_empty(),
            Tag::CallBackNumber => {
                let digits = v.strip_prefix('+').unwrap_or(v);
                let count = digits.chars().filter(char::is_ascii_digit).count();
                (3..=15).contains(&count)
                    && digits.starts_with(|c: char| c.is_ascii_digit())
                    && digits.ends_with(|c: char| c.is_ascii_digit())
                    && !digits.contains("--")
                    && !digits.contains('+')
            }
            Tag::Url => {
                let rest = ["https://", "http://"]
                    .iter()
                    .find_map(|p| strip_prefix_ignore_case(v, p));
                match rest {
                    Some(rest) => !rest.is_empty(),
                    None => {
                        let host = v.split('/').next().unwrap_or_default();
                        host.contains('.')
                            && !host.starts_with('.')
                            && !host.ends_with('.')
                            && host
                                .chars()
                                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
                    }
                }
            }
            Tag::Email => v.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }),
        }
    }
}

fn strip_prefix_ignore_case<'a>(v: &'a str, prefix: &str) -> Option<&'a str> {
    let head = v.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| v.get(prefix.len()..))
        .flatten()
}

/// A template: literal text and tags.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part<'a> {
    Text(&'a str),
    Tag(Tag),
}

/// Splits a (squashed) template into literal text and tags.
fn parse(template: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut rest = template;
    let mut literal_from = 0;
    let mut offset = 0;
    while let Some(open) = rest.find("{#") {
        let after = rest.get(open + 2..).unwrap_or_default();
        let tag = after
            .find("#}")
            .and_then(|close| after.get(..close).and_then(Tag::named).map(|t| (close, t)));
        match tag {
            Some((close, t)) => {
                let start = offset + open;
                if let Some(text) = template.get(literal_from..start) {
                    parts.push(Part::Text(text));
                }
                parts.push(Part::Tag(t));
                let consumed = open + 2 + close + 2;
                offset += consumed;
                literal_from = offset;
                rest = rest.get(consumed..).unwrap_or_default();
            }
            None => {
                // Not a known tag: literal text; look past its `{#`.
                offset += open + 2;
                rest = rest.get(open + 2..).unwrap_or_default();
            }
        }
    }
    if let Some(text) = template.get(literal_from..) {
        parts.push(Part::Text(text));
    }
    parts
}

/// Whether `body` is `template` with each tag replaced by a value of its kind. Whitespace
/// runs compare equal to one space (operators normalise them).
pub fn body_matches(template: &str, body: &str) -> bool {
    let t = squash(template);
    let b = squash(body);
    match_parts(&parse(&t), &b)
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn match_parts(parts: &[Part<'_>], body: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return body.is_empty();
    };
    match first {
        Part::Text(text) => body
            .strip_prefix(text)
            .is_some_and(|after| match_parts(rest, after)),
        Part::Tag(tag) => {
            // Try every value length the kind allows, shortest first (backtracking is bounded
            // by the few variables TRAI allows per template and each kind's length cap).
            let mut end = 0;
            for (n, (i, c)) in body.char_indices().enumerate() {
                if n > tag.max_len() {
                    return false;
                }
                if let Some(value) = body.get(..i)
                    && tag.accepts(value)
                    && body.get(i..).is_some_and(|tail| match_parts(rest, tail))
                {
                    return true;
                }
                if !tag.allows_char(c) {
                    return false;
                }
                end = i + c.len_utf8();
            }
            // The value runs to the end of the body.
            body.chars().count() <= tag.max_len()
                && body
                    .get(..end)
                    .is_some_and(|v| end == body.len() && tag.accepts(v))
                && match_parts(rest, "")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> DltRegistration {
        DltRegistration {
            entity_id: "1101234567890".into(),
            headers: vec!["ACMEIN".into()],
            templates: vec![DltTemplate {
                id: "1107000000001".into(),
                header: "ACMEIN".into(),
                body: "Your code is {#var#}. Valid for {#var#} minutes.".into(),
            }],
        }
    }

    #[test]
    fn matching_body_passes() {
        let r = reg();
        let ok = check(
            Some(&r),
            Some("1107000000001"),
            "Your code is 4821. Valid for 10 minutes.",
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn each_problem_is_named() {
        let r = reg();
        assert_eq!(check(None, Some("1"), "x"), Err(DltProblem::NoEntity));
        assert_eq!(check(Some(&r), None, "x"), Err(DltProblem::NoTemplateId));
        assert!(matches!(
            check(Some(&r), Some("999"), "x"),
            Err(DltProblem::TemplateNotRegistered(_))
        ));
        assert!(matches!(
            check(
                Some(&r),
                Some("1107000000001"),
                "Your code is 4821. Buy now!"
            ),
            Err(DltProblem::BodyMismatch(_))
        ));
        let mut bad_header = reg();
        bad_header.headers = vec!["OTHER".into()];
        assert!(matches!(
            check(Some(&bad_header), Some("1107000000001"), "x"),
            Err(DltProblem::HeaderNotRegistered(_))
        ));
    }

    #[test]
    fn typed_tags_match_their_kind_only() {
        let cases: &[(&str, &str, bool)] = &[
            ("OTP {#numeric#} for login", "OTP 482913 for login", true),
            ("OTP {#numeric#} for login", "OTP 48a913 for login", false),
            ("OTP {#numeric#} for login", "OTP  for login", false),
            ("Ref {#alphanumeric#}.", "Ref AB12cd.", true),
            ("Ref {#alphanumeric#}.", "Ref AB-12.", false),
            (
                "Pay at {#url#} today",
                "Pay at https://acme.in/p/42 today",
                true,
            ),
            ("Pay at {#url#} today", "Pay at www.acme.in today", true),
            ("Pay at {#url#} today", "Pay at acme.in/p?x=1 today", true),
            ("Pay at {#url#} today", "Pay at call us today", false),
            ("Open {#urlott#}", "Open https://wa.me/911234567890", true),
            ("Call {#cbn#} now", "Call +91-80-12345678 now", true),
            ("Call {#cbn#} now", "Call 1800 now", true),
            ("Call {#cbn#} now", "Call us now", false),
            ("Call {#cbn#} now", "Call 12 now", false),
            ("Mail {#email#}", "Mail help@acme.in", true),
            ("Mail {#email#}", "Mail help at acme", false),
            ("Hi {#VAR#}, code {#Numeric#}", "Hi Ana, code 12", true),
            // Unknown tags are literal text.
            ("Hi {#name#}", "Hi {#name#}", true),
            ("Hi {#name#}", "Hi Ana", false),
            // Two tags side by side still split correctly.
            ("{#numeric#}{#alphanumeric#}", "123abc", true),
            ("{#numeric#} {#url#}", "42 https://x.in", true),
        ];
        for (template, body, expected) in cases {
            assert_eq!(
                body_matches(template, body),
                *expected,
                "{template:?} vs {body:?}"
            );
        }
        assert!(!body_matches(
            "Code {#numeric#}",
            &format!("Code {}", "1".repeat(31))
        ));
    }

    #[test]
    fn variable_length_is_bounded() {
        assert!(body_matches("Hi {#var#}!", "Hi Ana!"));
        assert!(body_matches("Hi {#var#}!", "Hi !"));
        assert!(!body_matches(
            "Hi {#var#}!",
            &format!("Hi {}!", "x".repeat(31))
        ));
        assert!(body_matches("Hi  {#var#}\n!", "Hi Ana !"));
        assert!(!body_matches("Hi {#var#}!", "Hello Ana!"));
    }
}
