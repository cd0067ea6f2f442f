//! `touchgate` run as an operator runs it: one command against the test's database, its
//! output captured.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::Database;

/// Runs `touchgate <args>` on `db` (no config file), `stdin` piped in.
pub fn touchgate(db: &Database, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(crate::binary::touchgate());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TOUCHGATE_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .args(args)
        .env("TOUCHGATE_DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning touchgate");
    let mut input = child.stdin.take().expect("its stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("writing its stdin");
    }
    drop(input);
    child.wait_with_output().expect("its output")
}

/// The standard output of a command that must have succeeded.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// The standard error of a command that must have failed.
pub fn fails(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "succeeded, should have failed\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}
