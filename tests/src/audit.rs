//! The tamper-evident record as an operator and an auditor check it: `touchgate audit verify`
//! (against the database, optionally `--anchor` an earlier export, or `--export` a file alone)
//! and `touchgate audit export --out FILE`, each run as a process on the test's database.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::Database;
use crate::cli::touchgate;

/// What one `audit verify` printed and how it exited.
#[derive(Debug)]
pub struct Verdict {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Verdict {
    fn of(out: &Output) -> Verdict {
        Verdict {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Exit 0 and an `ok:` line; answers how many links it verified.
    pub fn passed(&self) -> u64 {
        assert_eq!(self.code, Some(0), "audit verify should pass:\n{self}");
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with("ok: "))
            .unwrap_or_else(|| panic!("no `ok:` line:\n{self}"));
        line.trim_start_matches("ok: ")
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no link count in {line:?}"))
    }

    /// Exit 1 and a `FAILED:` line that contains every one of `names` (the chain, the link,
    /// the row as `table key`); answers that line.
    pub fn failed_naming(&self, names: &[&str]) -> String {
        assert_eq!(self.code, Some(1), "audit verify should fail:\n{self}");
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with("FAILED: "))
            .unwrap_or_else(|| panic!("no `FAILED:` line:\n{self}"))
            .to_owned();
        for n in names {
            assert!(line.contains(n), "the failure should name {n:?}: {line}");
        }
        line
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `touchgate audit verify` on `db`.
pub fn verify(db: &Database) -> Verdict {
    Verdict::of(&touchgate(db, &["audit", "verify"], None))
}

/// `touchgate audit verify --anchor FILE` on `db`.
pub fn verify_anchored(db: &Database, anchor: &Path) -> Verdict {
    let a = anchor.to_str().expect("a UTF-8 path");
    Verdict::of(&touchgate(db, &["audit", "verify", "--anchor", a], None))
}

/// `touchgate audit verify --export FILE`: the file alone (the database is not read).
pub fn verify_export(db: &Database, export: &Path) -> Verdict {
    let e = export.to_str().expect("a UTF-8 path");
    Verdict::of(&touchgate(db, &["audit", "verify", "--export", e], None))
}

/// `touchgate audit export --out FILE`, which must succeed; answers the file's text.
pub fn export(db: &Database, out: &Path) -> String {
    let o = out.to_str().expect("a UTF-8 path");
    crate::cli::ok(&touchgate(db, &["audit", "export", "--out", o], None));
    std::fs::read_to_string(out).expect("the export file")
}

/// An anchor's root: SHA-256 over `workspace \t n \t hash \n` of its heads, by workspace.
pub fn root_of(heads: &[Value]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&Value> = heads.iter().collect();
    sorted.sort_by_key(|h| h["workspace"].as_str().unwrap().to_owned());
    let mut h = Sha256::new();
    for head in sorted {
        h.update(format!(
            "{}\t{}\t{}\n",
            head["workspace"].as_str().unwrap(),
            head["n"],
            head["hash"].as_str().unwrap()
        ));
    }
    hex::encode(h.finalize())
}

/// The anchor line of an export: its head of chain `ws` (n).
pub fn anchored_head(export: &str, ws: &str) -> i64 {
    let anchor: Value = serde_json::from_str(export.lines().last().unwrap()).unwrap();
    assert_eq!(anchor["root"].as_str().map(str::len), Some(64), "{anchor}");
    anchor["heads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["workspace"] == ws)
        .and_then(|h| h["n"].as_i64())
        .unwrap_or_else(|| panic!("no head of {ws}: {anchor}"))
}
