//! Registries (contract v2, "Registries, litigators, reassigned numbers"): imports through the
//! API and the CLI (`full`, `add`, `delete`, dates, rejected lines), the registries listed,
//! bad input refused with the list in force kept, and a PostgreSQL installation of two
//! daemons sharing one version. Each test runs the real `touchgate serve` binary on a database
//! of its own (SQLite and PostgreSQL) and a fake clock (2026-11-25T18:00:00Z).
//!
//! What a registry holds is read back through `GET /v1/check`, whose `listings` name each
//! listing as operators read it (`National (USA) 2021-01-01`).

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::StatusCode;
use serde_json::Value;
use touchgate_tests::cli::{fails, ok, touchgate};
use touchgate_tests::{ACME_OP, ACME_TOKENS, Daemon, Database, OP, START, SVC, assert_error, poll};

touchgate_tests::both_databases!(
    api_imports_full_add_and_delete_with_dates,
    only_the_first_hundred_rejected_lines_are_shown_all_are_counted,
    bad_imports_are_refused_and_the_list_in_force_stays,
    cli_imports_and_lists_registries,
);

/// An admin token of workspace `acme` from the config (`role = "admin"`).
const ACME_ADMIN: &str = "acme-admin-token";

/// The largest import body the daemons of [`start`] take.
const MAX_IMPORT_BYTES: usize = 4096;

/// A daemon with the dispatch loop off, the `acme` tokens (an operator, a service, an admin)
/// and imports bounded by [`MAX_IMPORT_BYTES`].
async fn start(db: &Database) -> Daemon {
    Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\n")
        .config(format!(
            "[registries]\nmax_import_bytes = {MAX_IMPORT_BYTES}\n"
        ))
        .config(ACME_TOKENS)
        .config(format!(
            "[[tokens]]\ntoken = \"{ACME_ADMIN}\"\nrole = \"admin\"\nworkspace = \"acme\"\n"
        ))
        .start()
        .await
}

fn bad_request(status: StatusCode, v: &Value, field: Option<&str>) {
    assert_error(status, v, StatusCode::BAD_REQUEST, "bad_request", field);
}

/// `(line, text)` of each rejected line an import shows.
fn rejected_lines(summary: &Value) -> Vec<(u64, String)> {
    summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(
                r["error"].as_str().is_some_and(|e| !e.is_empty()),
                "a rejected line says why: {r}"
            );
            (
                r["line"].as_u64().unwrap(),
                r["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- imports through the API

async fn api_imports_full_add_and_delete_with_dates(db: &Database) {
    let d = start(db).await;
    assert!(d.registries().await.is_empty());

    let full = "4155550101,2021-01-01\n\
                +14155550102\n\
                4155550103,2022-05-05\n\
                4155550103,2020-02-02\n\
                \n\
                not a number\n\
                415555010x\n\
                4155550104,2021-13-01\n\
                4155550105,2021-01-01,extra\n\
                1415555010\n\
                (415) 555-0106\n\
                +442079460958,2020-06-01\n";
    let s = d
        .import("national", "mode=full&as_of=2026-11-20", full)
        .await;
    assert_eq!(s["registry"], "national", "{s}");
    assert_eq!(s["mode"], "full", "{s}");
    assert_eq!(s["as_of"], "2026-11-20", "{s}");
    assert_eq!(s["lines"], 11, "non-blank lines: {s}");
    assert_eq!(s["added"], 4, "{s}");
    assert_eq!(s["removed"], 0, "{s}");
    assert_eq!(s["rejected_count"], 6, "{s}");
    assert_eq!(
        rejected_lines(&s),
        [
            (6, "not a number"),
            (7, "415555010x"),
            (8, "4155550104,2021-13-01"),
            (9, "4155550105,2021-01-01,extra"),
            (10, "1415555010"),
            (11, "(415) 555-0106"),
        ]
        .map(|(l, t)| (l, t.to_owned()))
    );
    // A number listed twice keeps its earliest date; one without a date is labelled without.
    assert_eq!(
        d.listing_labels("+14155550101").await,
        ["National (USA) 2021-01-01"]
    );
    assert_eq!(d.listing_labels("+14155550102").await, ["National (USA)"]);
    assert_eq!(
        d.listing_labels("+14155550103").await,
        ["National (USA) 2020-02-02"]
    );
    assert!(d.listing_labels("+14155550104").await.is_empty());

    // A change list: two numbers added, `as_of` advanced.
    let s = d
        .import(
            "national",
            "mode=add&as_of=2026-11-22",
            "4155550106,2023-03-03\n4155550107\n",
        )
        .await;
    assert_eq!(
        (s["added"].as_u64(), s["removed"].as_u64()),
        (Some(2), Some(0)),
        "{s}"
    );
    assert_eq!(s["rejected_count"], 0, "{s}");
    assert_eq!(
        d.listing_labels("+14155550106").await,
        ["National (USA) 2023-03-03"]
    );
    // One number removed, one that was never listed ignored; `as_of` stays.
    let s = d
        .import("national", "mode=delete", "+14155550102\n4155550199\n")
        .await;
    assert_eq!(
        (s["added"].as_u64(), s["removed"].as_u64()),
        (Some(0), Some(1)),
        "{s}"
    );
    assert!(d.listing_labels("+14155550102").await.is_empty());
    assert_eq!(
        d.listing_labels("+14155550101").await,
        ["National (USA) 2021-01-01"]
    );

    let national = d.registry("national").await.expect("national is listed");
    assert_eq!(national["entries"], 5, "{national}");
    assert_eq!(national["as_of"], "2026-11-22", "{national}");
    assert_eq!(national["stale"], false, "{national}");
    assert!(
        national["imported_at"]
            .as_str()
            .is_some_and(|t| t.starts_with(&START[..19])),
        "imported at the daemon's clock: {national}"
    );

    // A full import replaces the list.
    let s = d
        .import("national", "as_of=2026-11-24", "4155550108,2024-04-04\n")
        .await;
    assert_eq!(s["mode"], "full", "full is the default: {s}");
    assert_eq!(
        (s["added"].as_u64(), s["removed"].as_u64()),
        (Some(1), Some(5)),
        "{s}"
    );
    assert!(d.listing_labels("+14155550101").await.is_empty());
    assert_eq!(
        d.listing_labels("+14155550108").await,
        ["National (USA) 2024-04-04"]
    );
    let national = d.registry("national").await.unwrap();
    assert_eq!(national["entries"], 1, "{national}");
    assert_eq!(national["as_of"], "2026-11-24", "{national}");

    // Every import is recorded, newest first.
    let (status, v) = d.get("/v1/registries/imports", OP).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let imports = v["imports"].as_array().unwrap();
    let modes: Vec<&str> = imports
        .iter()
        .map(|i| i["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["full", "delete", "add", "full"], "{v}");
    let first = &imports[3];
    assert_eq!(first["registry"], "national", "{first}");
    assert_eq!(first["outcome"], "applied", "{first}");
    assert_eq!(first["rejected_count"], 6, "{first}");
    assert_eq!(first["rejected"].as_array().unwrap().len(), 6, "{first}");
    assert_eq!(first["as_of"], "2026-11-20", "{first}");
}

async fn only_the_first_hundred_rejected_lines_are_shown_all_are_counted(db: &Database) {
    let d = start(db).await;
    let mut body: String = (1..=250).map(|i| format!("bad-{i}\n")).collect();
    body.push_str("4155550101\n");
    let s = d.import("litigators", "as_of=2026-11-20", &body).await;
    assert_eq!(s["lines"], 251, "{s}");
    assert_eq!(s["added"], 1, "the good line is taken: {s}");
    assert_eq!(s["rejected_count"], 250, "{s}");
    let shown = rejected_lines(&s);
    assert_eq!(shown.len(), 100, "{s}");
    assert_eq!(shown[0], (1, "bad-1".to_owned()));
    assert_eq!(shown[99], (100, "bad-100".to_owned()));
    assert_eq!(d.listing_labels("+14155550101").await, ["Litigators"]);
}

// ---------------------------------------------------------------- bad input

async fn bad_imports_are_refused_and_the_list_in_force_stays(db: &Database) {
    let d = start(db).await;
    d.import("national", "as_of=2026-11-20", "4155550101,2021-01-01\n")
        .await;
    let in_force = || async {
        assert_eq!(
            d.listing_labels("+14155550101").await,
            ["National (USA) 2021-01-01"],
            "the list in force is kept"
        );
        let national = d.registry("national").await.unwrap();
        assert_eq!(national["entries"], 1, "{national}");
        assert_eq!(national["as_of"], "2026-11-20", "{national}");
    };
    let line = "4155550102\n".to_owned();

    // Unknown registries, modes and dates name the field.
    for name in ["federal", "state-ZZ", "state-ON", "National"] {
        let (s, v) = d
            .import_as(OP, name, "as_of=2026-11-20", line.clone())
            .await;
        bad_request(s, &v, Some("name"));
    }
    let (s, v) = d
        .import_as(
            OP,
            "national",
            "mode=replace&as_of=2026-11-20",
            line.clone(),
        )
        .await;
    bad_request(s, &v, Some("mode"));
    for date in ["2026-13-01", "2026-02-30", "yesterday", "20261120"] {
        let (s, v) = d
            .import_as(OP, "national", &format!("as_of={date}"), line.clone())
            .await;
        bad_request(s, &v, Some("as_of"));
    }
    let (s, v) = d.import_as(OP, "national", "mode=full", line.clone()).await;
    bad_request(s, &v, Some("as_of"));
    in_force().await;

    // An empty file and a file of garbage replace nothing.
    let (s, v) = d.import_as(OP, "national", "as_of=2026-11-24", "").await;
    bad_request(s, &v, None);
    let garbage = "\u{feff}<html>\n\0\0\u{1}binary\n;;;;\nDROP TABLE registries;\n".repeat(20);
    let (s, v) = d
        .import_as(OP, "national", "as_of=2026-11-24", garbage.clone())
        .await;
    bad_request(s, &v, None);
    in_force().await;
    // As a change list, garbage is a report of rejected lines that changes nothing.
    let s = d.import("national", "mode=add", &garbage).await;
    assert_eq!(s["added"], 0, "{s}");
    assert_eq!(s["rejected_count"], s["lines"], "{s}");
    in_force().await;
    // The refused full import is recorded with its rejected lines.
    let (_, v) = d.get("/v1/registries/imports", OP).await;
    let failed: Vec<&Value> = v["imports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == "failed")
        .collect();
    assert_eq!(failed.len(), 2, "the empty and the garbage import: {v}");
    assert!(failed[0]["rejected_count"].as_u64().unwrap() > 0, "{v}");

    // Over `[registries] max_import_bytes`: 413, nothing applied (not even its first lines).
    let big: String = (0..MAX_IMPORT_BYTES / 10)
        .map(|i| format!("41555{:05}\n", 2000 + i))
        .collect();
    assert!(big.len() > MAX_IMPORT_BYTES);
    let (s, v) = d.import_as(OP, "national", "as_of=2026-11-24", big).await;
    assert_error(
        s,
        &v,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );
    in_force().await;
    assert!(d.listing_labels("+14155552000").await.is_empty());

    // Imports need an admin token: registries are the whole installation's.
    for token in [ACME_OP, SVC] {
        let (s, v) = d
            .import_as(token, "national", "as_of=2026-11-24", line.clone())
            .await;
        assert_error(s, &v, StatusCode::FORBIDDEN, "forbidden", None);
    }
    in_force().await;
    // An admin of another workspace may: the list is the installation's, seen by everyone.
    let (s, v) = d
        .import_as(ACME_ADMIN, "national", "mode=add", line.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(d.listing_labels("+14155550102").await, ["National (USA)"]);
}

// ---------------------------------------------------------------- the CLI

async fn cli_imports_and_lists_registries(db: &Database) {
    ok(&touchgate(db, &["migrate"], None));
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let part1 = file("part1.txt", "4155550101,2021-01-01\n4155550102\n");
    let part2 = file("part2.txt", "+14155550103,2022-02-02\nnonsense\n");
    let change = file("change.txt", "4155550104,2023-03-03\n");
    let removal = file("removal.txt", "4155550102\n");
    let litigators = file("litigators.txt", "4155550177\n");

    // Several files are one list, read one after the other.
    let out = ok(&touchgate(
        db,
        &[
            "registry",
            "import",
            "national",
            &part1,
            &part2,
            "--as-of",
            "2026-11-20",
        ],
        None,
    ));
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["added"], 3, "{s}");
    assert_eq!(s["rejected_count"], 1, "{s}");
    assert_eq!(
        s["rejected"][0]["line"], 4,
        "lines count across the files: {s}"
    );
    let s: Value = serde_json::from_str(&ok(&touchgate(
        db,
        &["registry", "import", "national", &change, "--mode", "add"],
        None,
    )))
    .unwrap();
    assert_eq!(s["added"], 1, "{s}");
    let s: Value = serde_json::from_str(&ok(&touchgate(
        db,
        &[
            "registry", "import", "national", &removal, "--mode", "delete",
        ],
        None,
    )))
    .unwrap();
    assert_eq!(s["removed"], 1, "{s}");
    // An old list: stale on any clock this test will run on.
    ok(&touchgate(
        db,
        &[
            "registry",
            "import",
            "litigators",
            &litigators,
            "--as-of",
            "2020-01-01",
        ],
        None,
    ));

    // Refused: an unknown registry, a bad date, a full import without a date, a missing
    // file, a bad mode.
    let refusals: [(&[&str], &str); 5] = [
        (
            &[
                "registry",
                "import",
                "federal",
                &change,
                "--as-of",
                "2026-11-20",
            ],
            "federal",
        ),
        (
            &[
                "registry",
                "import",
                "national",
                &change,
                "--as-of",
                "2026-11-31",
            ],
            "as-of",
        ),
        (&["registry", "import", "national", &change], "as_of"),
        (
            &[
                "registry",
                "import",
                "national",
                "/nonexistent/list.txt",
                "--as-of",
                "2026-11-20",
            ],
            "nonexistent",
        ),
        (
            &[
                "registry",
                "import",
                "national",
                &change,
                "--mode",
                "merge",
                "--as-of",
                "2026-11-20",
            ],
            "mode",
        ),
    ];
    for (args, says) in refusals {
        let err = fails(&touchgate(db, args, None));
        assert!(err.contains(says), "{args:?} should say {says:?}: {err}");
    }

    let listed = ok(&touchgate(db, &["registry", "list"], None));
    let rows: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        rows[0],
        ["name", "entries", "as_of", "imported_at", "stale"],
        "{listed}"
    );
    let row = |name: &str| {
        rows.iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("{name} listed: {listed}"))
            .clone()
    };
    assert_eq!(row("national")[1..3], ["3", "2026-11-20"], "{listed}");
    assert_eq!(row("litigators")[1..3], ["1", "2020-01-01"], "{listed}");
    assert_eq!(row("litigators")[4], "true", "{listed}");
    assert!(!row("national")[3].is_empty(), "{listed}");

    // The daemon serves what the CLI imported.
    let d = start(db).await;
    assert_eq!(
        d.listing_labels("+14155550101").await,
        ["National (USA) 2021-01-01"]
    );
    assert_eq!(
        d.listing_labels("+14155550104").await,
        ["National (USA) 2023-03-03"]
    );
    assert!(d.listing_labels("+14155550102").await.is_empty());
    let national = d.registry("national").await.unwrap();
    assert_eq!(national["entries"], 3, "{national}");
    let (_, v) = d.get("/v1/registries/imports", OP).await;
    assert_eq!(v["imports"].as_array().unwrap().len(), 4, "{v}");
    assert!(
        v["imports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["actor"] == "cli (workspace default)"),
        "{v}"
    );
}

// ---------------------------------------------------------------- one installation, two nodes

/// Two daemons on one PostgreSQL database: an import on either is in force on the other
/// within seconds, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_on_one_node_is_in_force_on_the_other() {
    let db = Database::postgres().await;
    let a = start(&db).await;
    let b = start(&db).await;
    assert!(b.listing_labels("+14155550101").await.is_empty());

    a.import("national", "as_of=2026-11-20", "4155550101,2021-01-01\n")
        .await;
    poll("node B sees node A's import", || async {
        let labels = b.listing_labels("+14155550101").await;
        if labels == ["National (USA) 2021-01-01"] {
            Ok(())
        } else {
            Err(format!("{labels:?}"))
        }
    })
    .await;

    // And the other way round, for a change list.
    b.import("national", "mode=delete", "4155550101\n").await;
    poll("node A sees node B's change list", || async {
        let labels = a.listing_labels("+14155550101").await;
        if labels.is_empty() {
            Ok(())
        } else {
            Err(format!("{labels:?}"))
        }
    })
    .await;
    let on_a = a.registry("national").await.unwrap();
    assert_eq!(on_a["entries"], 0, "{on_a}");
}
