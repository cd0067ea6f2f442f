//! Per-workspace keyword settings.

use serde::{Deserialize, Serialize};

use super::normalize::fold_words;

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
    /// Swedish, Russian, Chinese, Japanese) are recognised. The English keywords always are.
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
        .map(|s| fold_words(s))
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
