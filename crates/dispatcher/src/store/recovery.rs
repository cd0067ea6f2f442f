use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
use crate::touch::{Outcome, ReviewCause};

impl Store {
    /// Crash recovery: every touch still `sending` (this process, or all when `claimant` is
    /// None, e.g. at start on a single-node SQLite) becomes `needs_review` with the evidence.
    pub async fn recover_sending(
        &self,
        claimant: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let rows = match claimant {
            Some(c) => {
                sqlx::query("SELECT id FROM touches WHERE status = 'sending' AND claimed_by = $1")
                    .bind(c)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT id FROM touches WHERE status = 'sending'")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let mut ids = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let outcome = Outcome::needs_review(
                ReviewCause::ProcessStopped,
                "the dispatcher stopped while this touch was being sent; the provider may or may not have it. Not resent automatically.",
            );
            if !self.apply(&id, now, &outcome).await?.changed() {
                continue;
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// Touches `sending` since before `older_than` (their dispatcher died or hung): the outcome
    /// is unknown, so they become `needs_review`.
    pub async fn recover_stale_sending(
        &self,
        older_than: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT id FROM touches WHERE status = 'sending' AND updated_at < $1")
                .bind(ms(older_than))
                .fetch_all(&self.pool)
                .await?;
        let mut ids = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let outcome = Outcome::needs_review(
                ReviewCause::StaleSending,
                "this touch stayed in sending past the provider timeout (its dispatcher stopped or hung); the provider may or may not have it. Not resent automatically.",
            );
            if !self.apply(&id, now, &outcome).await?.changed() {
                continue;
            }
            ids.push(id);
        }
        Ok(ids)
    }
}
