//! India DLT (TRAI TCCCPR 2018): every commercial SMS to an Indian number must come from a
//! registered principal entity, under a registered header, with a registered content template
//! whose fixed text the message keeps, `{#var#}` standing for one variable.

use crate::facts::{DltRegistration, DltTemplate};

/// Maximum characters one `{#var#}` may stand for (TRAI's operators cap a variable at 30).
pub const MAX_VAR_LEN: usize = 30;

const VAR: &str = "{#var#}";

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

/// Whether `body` is `template` with each `{#var#}` replaced by 0..=30 characters.
/// Whitespace runs compare equal to one space (operators normalise them).
pub fn body_matches(template: &str, body: &str) -> bool {
    let t = squash(template);
    let b = squash(body);
    let parts: Vec<&str> = t.split(VAR).collect();
    match_parts(&parts, &b)
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn match_parts(parts: &[&str], body: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return body.is_empty();
    };
    let Some(after) = body.strip_prefix(first) else {
        return false;
    };
    if rest.is_empty() {
        return after.is_empty();
    }
    // A variable: try every length 0..=MAX_VAR_LEN characters (backtracking is bounded by
    // the small number of variables TRAI allows per template).
    let mut boundaries = after.char_indices().map(|(i, _)| i).chain([after.len()]);
    let mut tried = 0;
    boundaries.any(|i| {
        tried += 1;
        tried <= MAX_VAR_LEN + 1 && after.get(i..).is_some_and(|tail| match_parts(rest, tail))
    })
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
