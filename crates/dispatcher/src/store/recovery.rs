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

    /// Takes or renews this node's lease until `until`.
    pub async fn renew_lease(
        &self,
        node: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO nodes (id, started_at, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until",
        )
        .bind(node)
        .bind(ms(now))
        .bind(ms(until))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether `node` still owns `touch_id` (it is `sending`, claimed by that node): a node
    /// back after its lease expired must not call the provider for a touch it lost.
    pub async fn still_owns(&self, node: &str, touch_id: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM touches WHERE id = $1 AND status = 'sending' AND claimed_by = $2",
        )
        .bind(touch_id)
        .bind(node)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Touches `sending` on a node whose lease expired before `now` (or that never held one):
    /// the node died or lost the database, so the outcome is unknown — `needs_review`, with
    /// the evidence. Their provider calls may still answer (a late `sent` is recorded).
    pub async fn recover_expired_leases(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT t.id, t.claimed_by, n.lease_until FROM touches t LEFT JOIN nodes n ON n.id = t.claimed_by \
             WHERE t.status = 'sending' AND (n.id IS NULL OR n.lease_until < $1)",
        )
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await?;
        let mut ids = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let node: Option<String> = r.try_get("claimed_by")?;
            let until = opt_time(r.try_get("lease_until")?);
            let detail = match (node, until) {
                (Some(n), Some(u)) => format!(
                    "node {n}, which was sending this touch, stopped renewing its lease (expired {}); the provider may or may not have it. Not resent automatically.",
                    crate::domain::time::format_instant(&u)
                ),
                (node, _) => format!(
                    "node {}, which was sending this touch, holds no lease; the provider may or may not have it. Not resent automatically.",
                    node.unwrap_or_else(|| "(none)".to_owned())
                ),
            };
            let outcome = Outcome::needs_review(ReviewCause::LeaseExpired, detail);
            if self.apply(&id, now, &outcome).await?.changed() {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}
