//! Placeholders for SQLite, bound at constant cost.
//!
//! Our SQL numbers its placeholders (`$1`, `$2`, …), which both databases read. SQLite keeps
//! numbered placeholders in a list it searches from the start for each one bound (sqlx calls
//! `sqlite3_bind_parameter_name` for every placeholder, every time a statement runs), so binding
//! a statement of n placeholders costs about n²/2 steps. Our multi-row statements have hundreds
//! or thousands: while enqueueing 1,000-touch batches (250-row inserts of 13 columns), 48 % of the
//! daemon's CPU was in that search (perf, docs/BENCHMARKS.md). SQLite keeps anonymous `?`
//! placeholders out of that list, and sqlx binds them in the order they appear; so when a
//! statement's placeholders appear as `$1 … $n` in order, each once, SQLite is given `?`
//! instead.

use super::DbKind;

impl DbKind {
    /// The kind of database behind `conn`.
    pub fn of(conn: &sqlx::AnyConnection) -> DbKind {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            DbKind::Sqlite
        } else {
            DbKind::Postgres
        }
    }
}

/// `sql` for a database of `kind`: on SQLite, placeholders `$1 … $n` that appear in that order,
/// each once, become `?` (bound in the same order, so the binds need no change). Any other
/// text (a placeholder repeated or out of order, or PostgreSQL) is returned unchanged. Quoted
/// literals are skipped.
pub(crate) fn in_bind_order(kind: DbKind, sql: String) -> String {
    if kind != DbKind::Sqlite {
        return sql;
    }
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    let mut expected = 1_u64;
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\'' => quoted = !quoted,
            b'$' if !quoted => {
                let digits = bytes
                    .get(i + 1..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                if digits > 0 {
                    let end = i + 1 + digits;
                    match sql.get(i + 1..end).and_then(|n| n.parse::<u64>().ok()) {
                        Some(n) if n == expected => expected += 1,
                        _ => return sql,
                    }
                    out.push_str(sql.get(copied..i).unwrap_or_default());
                    out.push('?');
                    copied = end;
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(sql.get(copied..).unwrap_or_default());
    out
}

/// `$start, $start+1, …`: `count` numbered placeholders.
pub(super) fn placeholders(start: usize, count: usize) -> String {
    let mut out = String::with_capacity(count * 7);
    push_placeholders(&mut out, start, count);
    out
}

/// `($1, …, $width), ($width+1, …), …` for `rows` rows.
pub(super) fn values_list(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * (width * 7 + 4));
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        push_placeholders(&mut out, 1 + r * width, width);
        out.push(')');
    }
    out
}

/// Appends `$start, …` (one text for the statement, not one per placeholder).
fn push_placeholders(out: &mut String, start: usize, count: usize) {
    use std::fmt::Write as _;
    for i in start..start + count {
        if i > start {
            out.push_str(", ");
        }
        // Writing into a String cannot fail.
        let _ = write!(out, "${i}");
    }
}

#[cfg(test)]
mod tests {
    use super::{DbKind, in_bind_order, values_list};

    fn sqlite(sql: &str) -> String {
        in_bind_order(DbKind::Sqlite, sql.to_owned())
    }

    #[test]
    fn placeholders_in_order_become_anonymous_on_sqlite() {
        assert_eq!(
            sqlite("SELECT id FROM t WHERE ws = $1 AND id IN ($2, $3, $4)"),
            "SELECT id FROM t WHERE ws = ? AND id IN (?, ?, ?)"
        );
        let values = format!("INSERT INTO t (a, b) VALUES {}", values_list(3, 2));
        assert_eq!(
            sqlite(&values),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)"
        );
        // Two-digit numbers, and a placeholder at the very end.
        let many = format!(
            "SELECT $1 {}",
            (2..=12).map(|i| format!(", ${i}")).collect::<String>()
        );
        assert_eq!(sqlite(&many), format!("SELECT ? {}", ", ?".repeat(11)));
    }

    #[test]
    fn anything_else_keeps_its_numbers() {
        for sql in [
            // Repeated.
            "SELECT 1 FROM t WHERE a > $2 AND b = $1",
            "UPDATE t SET a = $1 WHERE b = $2 OR c = $2",
            // Out of order, or not starting at 1.
            "SELECT $2, $1",
            "SELECT $2, $3",
            // No placeholder.
            "SELECT 1",
        ] {
            assert_eq!(sqlite(sql), sql);
        }
        // PostgreSQL always keeps them.
        let pg = "SELECT $1, $2";
        assert_eq!(in_bind_order(DbKind::Postgres, pg.to_owned()), pg);
    }

    #[test]
    fn quoted_text_and_bare_dollars_are_left_alone() {
        assert_eq!(
            sqlite("SELECT '$1 $9', a FROM t WHERE b = $1 AND c = $2 AND d = '$'"),
            "SELECT '$1 $9', a FROM t WHERE b = ? AND c = ? AND d = '$'"
        );
        assert_eq!(sqlite("SELECT $ , $1"), "SELECT $ , ?");
    }
}
