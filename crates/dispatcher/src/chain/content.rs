//! What a link's hash covers: a row's columns as canonical JSON, personal columns as keyed
//! commitments. One table of sources; the sealer, the verifier and the export all read it, so
//! they cannot disagree about what a link covers.

use serde_json::{Map, Value};

use super::canonical_json;
use crate::privacy::PrivacyKey;

/// One column of a sealed table and how it enters the content.
#[derive(Clone, Copy, Debug)]
pub enum Column {
    Text(&'static str),
    Int(&'static str),
    /// Text that may be personal data: its keyed commitment.
    Personal(&'static str),
    /// A JSON document stored as text (a text that does not parse enters as a string).
    Json(&'static str),
    /// A decision's checks: JSON, each check's `detail` (which may quote a contact) committed.
    Checks(&'static str),
}

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::Text(n) | Column::Int(n) | Column::Personal(n) | Column::Json(n) => n,
            Column::Checks(n) => n,
        }
    }

    pub fn is_int(self) -> bool {
        matches!(self, Column::Int(_))
    }
}

/// A table whose rows are sealed into the chain.
#[derive(Debug)]
pub struct SourceTable {
    /// `chain_links.source`.
    pub source: &'static str,
    pub table: &'static str,
    /// The key column (`chain_links.source_key` holds it as text).
    pub key: &'static str,
    pub key_is_int: bool,
    /// Rows are sealed oldest first by this column (milliseconds), then by key.
    pub time: &'static str,
    /// The column naming the row's chain; `None`: the global chain.
    pub workspace: Option<&'static str>,
    pub columns: &'static [Column],
}

use Column::*;

/// Every sealed table. Mutable columns are left out on purpose: a DNC row's removal is an
/// audit-log row of its own (`dnc_remove`), and `sealed` is bookkeeping.
pub static SOURCES: [SourceTable; 4] = [
    SourceTable {
        source: "decision",
        table: "decisions",
        key: "seq",
        key_is_int: true,
        time: "at",
        workspace: Some("workspace"),
        columns: &[
            Int("seq"),
            Text("workspace"),
            Text("touch_id"),
            Int("at"),
            Text("kind"),
            Int("allowed"),
            Text("reason"),
            Int("retry_after"),
            Checks("checks"),
            Personal("detail"),
            Json("override"),
        ],
    },
    SourceTable {
        source: "dnc",
        table: "dnc",
        key: "id",
        key_is_int: false,
        time: "created_at",
        workspace: Some("workspace"),
        columns: &[
            Text("id"),
            Text("workspace"),
            Personal("contact"),
            Text("lead_id"),
            Text("channel"),
            Text("reason"),
            Text("source"),
            Text("added_by"),
            Int("created_at"),
            Int("expires_at"),
        ],
    },
    SourceTable {
        source: "audit",
        table: "audit_log",
        key: "seq",
        key_is_int: true,
        time: "at",
        workspace: Some("workspace"),
        columns: &[
            Int("seq"),
            Text("workspace"),
            Int("at"),
            Text("actor"),
            Text("action"),
            Text("subject"),
            Json("detail"),
        ],
    },
    SourceTable {
        source: "registry_import",
        table: "registry_imports",
        key: "id",
        key_is_int: false,
        time: "finished_at",
        workspace: None,
        columns: &[
            Text("id"),
            Text("registry"),
            Text("mode"),
            Text("as_of"),
            Int("lines"),
            Int("added"),
            Int("removed"),
            Int("rejected_count"),
            // Sample rejected lines quote numbers.
            Personal("rejected"),
            Text("outcome"),
            Text("error"),
            Text("actor"),
            Int("started_at"),
            Int("finished_at"),
        ],
    },
];

impl SourceTable {
    pub fn by_source(source: &str) -> Option<&'static SourceTable> {
        SOURCES.iter().find(|s| s.source == source)
    }

    /// `a, b, c` for a SELECT.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One stored value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
}

/// The canonical content of a row of `table` (`cells` in `table.columns` order).
pub fn content_of(table: &SourceTable, cells: &[Cell], key: &PrivacyKey) -> String {
    let mut map = Map::new();
    map.insert("table".to_owned(), Value::String(table.table.to_owned()));
    for (col, cell) in table.columns.iter().zip(cells) {
        let v = match (col, cell) {
            (_, Cell::Null) => Value::Null,
            (_, Cell::Int(i)) => Value::from(*i),
            (Text(_), Cell::Text(s)) => Value::String(s.clone()),
            (Int(_), Cell::Text(s)) => Value::String(s.clone()),
            (Personal(_), Cell::Text(s)) => Value::String(key.commit(s)),
            (Json(_), Cell::Text(s)) => {
                serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
            }
            (Checks(_), Cell::Text(s)) => match serde_json::from_str::<Value>(s) {
                Ok(mut checks) if checks.is_array() => {
                    map_check_values(&mut checks, |d| key.commit(d));
                    checks
                }
                _ => Value::String(key.commit(s)),
            },
        };
        map.insert(col.name().to_owned(), v);
    }
    canonical_json(&Value::Object(map))
}

/// `checks` (a decision's JSON array of check outcomes) with every `detail` string replaced by
/// `f(detail)`; `None` when it is not a JSON array.
pub fn map_check_details(checks: &str, f: impl Fn(&str) -> String) -> Option<String> {
    let mut v: Value = serde_json::from_str(checks).ok()?;
    v.as_array()?;
    map_check_values(&mut v, f);
    Some(v.to_string())
}

/// [`map_check_details`] on parsed checks (an array; anything else is left alone).
fn map_check_values(checks: &mut Value, f: impl Fn(&str) -> String) {
    for item in checks.as_array_mut().into_iter().flatten() {
        if let Some(Value::String(d)) = item.get_mut("detail") {
            *d = f(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision_cells(detail: &str, checks: &str) -> Vec<Cell> {
        vec![
            Cell::Int(7),
            Cell::Text("acme".into()),
            Cell::Text("t1".into()),
            Cell::Int(1_700_000_000_000),
            Cell::Text("gate".into()),
            Cell::Int(0),
            Cell::Text("dnc".into()),
            Cell::Null,
            Cell::Text(checks.into()),
            Cell::Text(detail.into()),
            Cell::Null,
        ]
    }

    #[test]
    fn personal_columns_enter_as_commitments_that_survive_erasure() {
        let key = PrivacyKey::new(b"k");
        let checks = r#"[{"check":"dnc","passed":false,"detail":"+15551230000 on sms"}]"#;
        let before = content_of(
            &SOURCES[0],
            &decision_cells("from +15551230000", checks),
            &key,
        );
        assert!(!before.contains("+1555"), "{before}");
        let erased_checks = map_check_details(checks, |d| key.hashed(d)).unwrap();
        let after = content_of(
            &SOURCES[0],
            &decision_cells(&key.hashed("from +15551230000"), &erased_checks),
            &key,
        );
        assert_eq!(before, after);
        let edited = content_of(
            &SOURCES[0],
            &decision_cells("from +15551230001", checks),
            &key,
        );
        assert_ne!(before, edited);
    }

    #[test]
    fn every_column_is_covered() {
        let key = PrivacyKey::new(b"k");
        let base = decision_cells("x", "[]");
        let reference = content_of(&SOURCES[0], &base, &key);
        for i in 0..base.len() {
            let mut changed = base.clone();
            changed[i] = match &base[i] {
                Cell::Null => Cell::Int(1),
                Cell::Int(v) => Cell::Int(v + 1),
                Cell::Text(s) => Cell::Text(format!("{s}!")),
            };
            assert_ne!(
                content_of(&SOURCES[0], &changed, &key),
                reference,
                "column {i}"
            );
        }
    }
}
