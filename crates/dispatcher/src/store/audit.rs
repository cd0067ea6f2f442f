//! Audit rows written on their own (settings changes, DNC additions by an operator); the
//! changes that have a transaction of their own write theirs inside it
//! ([`blackouts::audit`]).

use chrono::{DateTime, Utc};

use super::*;

impl Store {
    /// One audit row: `actor` names the token (and what the client said), `detail` is JSON.
    pub async fn record_audit(
        &self,
        ws: &str,
        now: DateTime<Utc>,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        audit(
            &mut tx,
            ws,
            now,
            actor,
            action,
            subject,
            &detail.to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
