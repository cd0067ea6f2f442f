use sqlx::Row;

use super::*;

impl Store {
    /// A random installation secret stored under `key`, created on first use (every daemon on
    /// the database gets the same one).
    pub async fn secret(&self, key: &str) -> Result<Vec<u8>> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(fresh)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        let value: String = row.try_get("value")?;
        Ok(hex::decode(&value).unwrap_or_else(|_| value.into_bytes()))
    }

    /// Counts of touches per status (for /metrics).
    pub async fn status_counts(&self) -> Result<Vec<(TouchStatus, i64)>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM touches GROUP BY status ORDER BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let status = parse_column(r, "status", || "touch status count".to_owned())?;
                Ok((status, r.try_get("n")?))
            })
            .collect()
    }
}
