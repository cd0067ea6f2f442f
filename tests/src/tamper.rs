//! An attacker's moves on the audit chain's tables, for the suites that show `touchgate audit
//! verify` catches them ([`crate::sql`] runs them): finding a row's link, setting rows aside and
//! putting them back (so a tamper can be undone and the record verify again), swapping two
//! links, and recomputing a link's hash as the product does.

use sqlx::Row;

use crate::sql::Sql;

/// The link (n) covering a row, by source (`decision`, `dnc`, `audit`, `registry_import`) and
/// key.
pub async fn link_of(sql: &Sql, source: &str, key: &str) -> i64 {
    sql.int(
        "SELECT n FROM chain_links WHERE source = $1 AND source_key = $2",
        &[source, key],
    )
    .await
}

/// (source, source_key) of link `n` of chain `ws`.
pub async fn link_at(sql: &Sql, ws: &str, n: i64) -> (String, String) {
    let rows = sql
        .rows(
            "SELECT source, source_key FROM chain_links WHERE workspace = $1 AND CAST(n AS TEXT) = $2",
            &[ws, &n.to_string()],
        )
        .await;
    let r = rows
        .first()
        .unwrap_or_else(|| panic!("no link {n} in chain {ws}"));
    (r.try_get(0).unwrap(), r.try_get(1).unwrap())
}

/// A link of `source` strictly inside chain `ws` of `head` links (neither its first nor its
/// last two): (n, key).
pub async fn middle(sql: &Sql, ws: &str, source: &str, head: i64) -> (i64, String) {
    let rows = sql
        .rows(
            "SELECT n, source_key FROM chain_links WHERE workspace = $1 AND source = $2 ORDER BY n",
            &[ws, source],
        )
        .await;
    rows.iter()
        .map(|r| {
            (
                r.try_get::<i64, _>(0).unwrap(),
                r.try_get::<String, _>(1).unwrap(),
            )
        })
        .find(|(n, _)| *n > 1 && *n < head - 1)
        .unwrap_or_else(|| panic!("no {source} link inside the chain of {head}"))
}

/// Copies the one row of `table` matching `cond` aside (a table of its own); answers its name.
pub async fn stash(sql: &Sql, table: &str, cond: &str) -> String {
    let name = format!("stash_{table}");
    sql.batch(&[format!(
        "CREATE TABLE {name} AS SELECT * FROM {table} WHERE {cond}"
    )])
    .await;
    assert_eq!(
        sql.int(&format!("SELECT COUNT(*) FROM {name}"), &[]).await,
        1,
        "one row stashed from {table} where {cond}"
    );
    name
}

/// Puts a stashed row back where it was.
pub async fn unstash(sql: &Sql, table: &str, stash: &str) {
    sql.batch(&[
        format!("INSERT INTO {table} SELECT * FROM {stash}"),
        format!("DROP TABLE {stash}"),
    ])
    .await;
}

/// Makes link `n` of chain `ws` cover `second` and link `n + 1` cover `first` (their hashes
/// unchanged): the chain reordered.
pub async fn swap_links(
    sql: &Sql,
    ws: &str,
    n: i64,
    first: &(String, String),
    second: &(String, String),
) {
    let set = |k: i64, (source, key): &(String, String)| {
        format!(
            "UPDATE chain_links SET source = '{source}', source_key = '{key}' WHERE workspace = '{ws}' AND n = {k}"
        )
    };
    sql.batch(&[
        format!(
            "UPDATE chain_links SET source_key = 'swapping' WHERE workspace = '{ws}' AND n = {n}"
        ),
        set(n + 1, first),
        set(n, second),
    ])
    .await;
}

/// `SHA-256(prev ‖ "\n" ‖ content)` in hex: a link's hash, as an attacker recomputes it.
pub fn sha256_link(prev: &str, content: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

/// `value`'s `hmac:` form as the product stores an erased value: HMAC-SHA256 keyed with the
/// installation secret (`settings.unsubscribe_key`, hex) over `privacy:` ‖ value — what someone
/// who can read the database can compute to "erase" a value without recording an erasure.
pub async fn hashed_like_an_erasure(sql: &Sql, value: &str) -> String {
    use hmac::{Hmac, Mac};
    let secret = sql
        .text(
            "SELECT value FROM settings WHERE key = 'unsubscribe_key'",
            &[],
        )
        .await;
    let key = hex::decode(&secret).unwrap_or_else(|_| secret.into_bytes());
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(b"privacy:");
    mac.update(value.as_bytes());
    format!("hmac:{}", hex::encode(mac.finalize().into_bytes()))
}
