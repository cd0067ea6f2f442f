use std::{
    collections::HashMap,
    sync::{LazyLock, RwLock},
};

use regex::Regex;

// Bundled plans own every key, so caller input cannot grow these caches.
//
// Touchgate's patch: the caches hand out `&'static Regex` (each compiled expression is leaked
// once; the bundled plans hold a finite set of patterns). Upstream returned a clone, and a
// cloned `Regex` starts with an empty matching cache of its own, which every match then had to
// build again: 250-340 us per parsed number instead of about 8.
type Cache = LazyLock<RwLock<HashMap<&'static str, &'static Regex>>>;
static FULL_PATTERNS: Cache = LazyLock::new(|| RwLock::new(HashMap::new()));
static PREFIX_PATTERNS: Cache = LazyLock::new(|| RwLock::new(HashMap::new()));

pub(crate) fn full_match(pattern: &'static str, value: &str) -> bool {
    compiled(&FULL_PATTERNS, pattern, |pattern| {
        format!("^(?:{pattern})$")
    })
    .is_some_and(|expression| expression.is_match(value))
}

pub(crate) fn prefix_match(pattern: &'static str, value: &str) -> bool {
    compiled(&PREFIX_PATTERNS, pattern, |pattern| {
        format!("^(?:{pattern})")
    })
    .is_some_and(|expression| expression.is_match(value))
}

pub(crate) fn full_expression(pattern: &'static str) -> Option<&'static Regex> {
    compiled(&FULL_PATTERNS, pattern, |pattern| {
        format!("^(?:{pattern})$")
    })
}

pub(crate) fn prefix_expression(pattern: &'static str) -> Option<&'static Regex> {
    compiled(&PREFIX_PATTERNS, pattern, |pattern| {
        format!("^(?:{pattern})")
    })
}

fn compiled(
    cache: &RwLock<HashMap<&'static str, &'static Regex>>,
    pattern: &'static str,
    source: impl FnOnce(&str) -> String,
) -> Option<&'static Regex> {
    if pattern.is_empty() {
        return None;
    }
    let entries = cache
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(expression) = entries.get(pattern) {
        return Some(*expression);
    }
    drop(entries);

    let mut entries = cache
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let expression = entries.entry(pattern).or_insert_with(|| {
        Box::leak(Box::new(
            Regex::new(&source(pattern)).expect("generated patterns must compile"),
        ))
    });
    Some(*expression)
}
