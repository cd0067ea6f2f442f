//! (filled in by the rule-pack work)

use super::Rule;

pub(super) const RULES: &[Rule] = &[];
