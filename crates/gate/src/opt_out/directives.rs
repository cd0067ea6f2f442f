//! The directive format of the data files (`data/README.md`): `directive flags… : body`,
//! `#` comments, continuation lines that start with a space, `lang xx` sections.

/// The language whose lines are always on; every other is a built-in translation.
pub(crate) const CORE_LANGUAGE: &str = "en";

/// One logical line: `directive flags… : body`, continuation lines joined.
#[derive(Debug)]
pub(crate) struct Line {
    pub(crate) at: String,
    pub(crate) lang: String,
    pub(crate) directive: String,
    pub(crate) flags: Vec<String>,
    pub(crate) body: String,
}

/// The logical lines of one file. `lang xx` lines set the language of the lines after them
/// and are not returned.
pub(crate) fn lines(file: &str, src: &str, errors: &mut Vec<String>) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let mut lang = CORE_LANGUAGE.to_owned();
    for (i, raw) in src.lines().enumerate() {
        let at = format!("{file}:{}", i + 1);
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if raw.starts_with(char::is_whitespace) {
            match out.last_mut() {
                Some(prev) => {
                    prev.body.push(' ');
                    prev.body.push_str(trimmed);
                }
                None => errors.push(format!("{at}: continuation of nothing")),
            }
            continue;
        }
        if let Some(code) = trimmed.strip_prefix("lang ") {
            code.trim().clone_into(&mut lang);
            continue;
        }
        let Some((head, body)) = trimmed.split_once(" : ") else {
            errors.push(format!("{at}: no ` : ` in {trimmed:?}"));
            continue;
        };
        let mut head = head.split_whitespace().map(str::to_owned);
        let directive = head.next().unwrap_or_default();
        out.push(Line {
            at,
            lang: lang.clone(),
            directive,
            flags: head.collect(),
            body: body.trim().to_owned(),
        });
    }
    out
}
