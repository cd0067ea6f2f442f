//! The configuration files shipped in `config/` load as they are, and the real-transports
//! example selects a real transport for every channel with no code change.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use dispatcher::config::Config;

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn default_config_is_the_embedded_default() {
    let c = Config::from_file(&repo("config/touchgate.toml")).unwrap();
    assert_eq!(c.database_url(), "sqlite://touchgate.db");
    assert_eq!(c.listen(), "127.0.0.1:8080");
    assert!(c.channels.is_empty(), "sandbox transports by default");
    let t = workers::registry::Transports::from_config(&c.channels).unwrap();
    assert!(
        t.describe().values().all(|name| *name == "sandbox"),
        "{:?}",
        t.describe()
    );
}

#[test]
fn real_transports_example_configures_every_channel() {
    let c = Config::from_file(&repo("config/real-transports.example.toml")).unwrap();
    let env = |name: &str| -> Option<String> { Some(format!("value-of-{name}")) };
    let t = workers::registry::Transports::from_config_with_env(&c.channels, &env).unwrap();
    let names: Vec<&str> = t.describe().values().copied().collect();
    assert!(!names.contains(&"sandbox"), "{names:?}");
    assert_eq!(names.len(), 5);
    // A missing secret is named, never printed.
    let none = |_: &str| -> Option<String> { None };
    let err = workers::registry::Transports::from_config_with_env(&c.channels, &none).unwrap_err();
    assert!(format!("{err}").contains("_"), "{err}");
}
