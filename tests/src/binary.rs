//! The `touchgate` executable under test. This package does not depend on the dispatcher (the
//! suites see only the binary), so cargo gives it no `CARGO_BIN_EXE_touchgate`: once per test
//! process the binary is built with `cargo build -p dispatcher --bin touchgate` — in the
//! profile and target directory of the running test — and its path taken from cargo's
//! `compiler-artifact` message. A partial `cargo test -p touchgate-tests` thus never runs a
//! stale binary: cargo rebuilds it if the dispatcher changed, and answers at once if not.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The path of the freshly built `touchgate` binary (built on first use).
pub fn touchgate() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build)
}

/// Where the running test executable was built: its profile directory (`…/debug` or
/// `…/release`, the parent of `deps/`) and the target directory above it.
struct Build {
    release: bool,
    target_dir: Option<PathBuf>,
}

fn this_build() -> Build {
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .filter(|deps| deps.file_name().is_some_and(|n| n == "deps"))
        .and_then(Path::parent);
    Build {
        release: profile_dir
            .and_then(Path::file_name)
            .is_some_and(|n| n == "release"),
        target_dir: profile_dir.and_then(Path::parent).map(Path::to_owned),
    }
}

/// The variables cargo sets when it runs a test (names, or prefixes ending in `_`), as opposed
/// to the ones a user sets to configure cargo (`CARGO_TARGET_DIR`, `CARGO_BUILD_JOBS`, …).
const SET_BY_CARGO_FOR_TESTS: [&str; 10] = [
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_PKG_",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_BIN_EXE_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "OUT_DIR",
];

fn build() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace above tests/");
    let this = this_build();
    let mut cmd = Command::new(cargo);
    // Cargo runs tests with the package's compile-time variables set (CARGO_MANIFEST_DIR, …);
    // a nested cargo that saw them would record them in build-script fingerprints and the
    // outer and inner builds would rebuild each other's dependencies every time.
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if SET_BY_CARGO_FOR_TESTS
            .iter()
            .any(|set| key_text == *set || (set.ends_with('_') && key_text.starts_with(set)))
        {
            cmd.env_remove(&key);
        }
    }
    cmd.current_dir(workspace).args([
        "build",
        "-p",
        "dispatcher",
        "--bin",
        "touchgate",
        "--message-format=json",
    ]);
    if this.release {
        cmd.arg("--release");
    }
    if let Some(dir) = &this.target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    let out = cmd.output().expect("running cargo build for touchgate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let messages: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let executable = messages.iter().find_map(|m| {
        let is_touchgate = m["reason"] == "compiler-artifact"
            && m["target"]["name"] == "touchgate"
            && m["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"));
        is_touchgate
            .then(|| m["executable"].as_str().map(PathBuf::from))
            .flatten()
    });
    match executable {
        Some(path) if out.status.success() => path,
        _ => {
            let rendered: Vec<&str> = messages
                .iter()
                .filter_map(|m| m["message"]["rendered"].as_str())
                .collect();
            panic!(
                "cargo build -p dispatcher --bin touchgate failed ({}):\n{}\n{}",
                out.status,
                rendered.join("\n"),
                String::from_utf8_lossy(&out.stderr)
            )
        }
    }
}
