//! Applying outcomes: the only code that changes a touch's status after it was created. Each
//! change is one conditional `UPDATE … WHERE status IN (<the event's source states>)`, so a
//! touch that moved on meanwhile (recovered, cancelled, sent) is left as it is, with its
//! reservation and its timeline.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
use crate::touch::{Outcome, Reservation};

/// Whether an outcome changed the touch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The touch (of this workspace) moved to the outcome's status.
    Changed { workspace: String },
    /// The touch was not in a state the outcome may leave (or does not exist).
    Unchanged,
}

impl Applied {
    pub fn changed(&self) -> bool {
        matches!(self, Applied::Changed { .. })
    }
}

impl Store {
    /// Applies `outcome` to the touch in its own transaction.
    pub async fn apply(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        outcome: &Outcome,
    ) -> Result<Applied> {
        let mut tx = self.write_tx().await?;
        let applied = apply_in(&mut tx, touch_id, now, outcome).await?;
        if applied.changed() {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(applied)
    }

    /// The provider accepted the touch: `sent` from `sending`, or — a late acceptance — from
    /// `needs_review`, still the truth, so nobody resends a message the provider has.
    pub async fn mark_sent(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        provider_message_id: &str,
        sandbox_message: Option<&serde_json::Value>,
    ) -> Result<Applied> {
        let applied = self
            .mark_sent_many(&[(touch_id, provider_message_id, sandbox_message)], now)
            .await?;
        Ok(applied.into_iter().next().unwrap_or(Applied::Unchanged))
    }

    /// [`Store::mark_sent`] for several touches (touch id, provider message id, sandbox
    /// record) in one transaction; answers in the same order. The touches move together: one
    /// statement for those `sending`, one for the late acceptances among the rest, one for
    /// their timeline entries.
    pub async fn mark_sent_many(
        &self,
        sent: &[(&str, &str, Option<&serde_json::Value>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Applied>> {
        let mut tx = self.write_tx().await?;
        let mut out = vec![Applied::Unchanged; sent.len()];
        // A touch named twice moves once (the first time), as it would one after the other.
        let mut seen = std::collections::HashSet::new();
        let mut todo: Vec<(usize, Outcome)> = sent
            .iter()
            .enumerate()
            .filter(|(_, (id, _, _))| seen.insert(*id))
            .map(|(i, (_, pmid, sandbox))| (i, Outcome::sent(pmid, (*sandbox).cloned())))
            .collect();
        let mut events: Vec<(usize, Outcome)> = Vec::with_capacity(todo.len());
        for late in [false, true] {
            if late {
                todo = todo.into_iter().map(|(i, o)| (i, o.late_sent())).collect();
            }
            let rows: Vec<(&str, &Outcome)> = todo
                .iter()
                .map(|(i, o)| (sent.get(*i).map_or("", |s| s.0), o))
                .collect();
            let changed = apply_many(&mut tx, &rows, now).await?;
            let mut rest = Vec::new();
            for (i, o) in todo {
                let id = sent.get(i).map_or("", |s| s.0);
                match changed.get(id) {
                    Some(workspace) => {
                        if let Some(slot) = out.get_mut(i) {
                            *slot = Applied::Changed {
                                workspace: workspace.clone(),
                            };
                        }
                        events.push((i, o));
                    }
                    None => rest.push((i, o)),
                }
            }
            todo = rest;
            if todo.is_empty() {
                break;
            }
        }
        // The timeline entries, in the order the touches were given.
        events.sort_by_key(|(i, _)| *i);
        let entries: Vec<(&str, &str, crate::touch::TimelineKind, &Outcome)> = events
            .iter()
            .filter_map(|(i, o)| match (out.get(*i), sent.get(*i), o.timeline) {
                (Some(Applied::Changed { workspace }), Some((id, _, _)), Some(kind)) => {
                    Some((workspace.as_str(), *id, kind, o))
                }
                _ => None,
            })
            .collect();
        for rows in entries.chunks(100) {
            let values = (0..rows.len())
                .map(|r| format!("({}, '[]')", super::bind_order::placeholders(1 + r * 7, 7)))
                .collect::<Vec<_>>()
                .join(", ");
            let mut q = sqlx::query(safe_for!(
                DbKind::of(&tx),
                "INSERT INTO decisions (workspace, touch_id, at, kind, allowed, reason, detail, checks) VALUES {values}"
            ));
            for (workspace, id, kind, o) in rows {
                q = q
                    .bind(*workspace)
                    .bind(*id)
                    .bind(ms(now))
                    .bind(kind.as_str())
                    .bind(0_i64)
                    .bind(o.reason.as_ref().map(|r| r.as_str().to_owned()))
                    .bind(o.detail.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// [`apply_in`] for several touches whose outcomes share their source states and keep their
/// reservations, in one statement per 100 touches (no timeline entries: the caller writes
/// them). Returns the touches it changed, with their workspaces.
async fn apply_many(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    rows: &[(&str, &Outcome)],
    now: DateTime<Utc>,
) -> Result<std::collections::HashMap<String, String>> {
    let mut changed = std::collections::HashMap::new();
    let Some((_, first)) = rows.first() else {
        return Ok(changed);
    };
    let sources = TouchStatus::sql_list(&first.sources());
    if sources.is_empty() {
        return Ok(changed);
    }
    for chunk in rows.chunks(100) {
        let values = super::bind_order::values_list(chunk.len(), 10);
        let mut q = sqlx::query(safe_for!(
            DbKind::of(tx),
            "WITH v (id, status, next_attempt_at, reason, is_sent, detail, attempts, updated_at, provider_message_id, sandbox_message)              AS (VALUES {values})              UPDATE touches SET status = v.status, next_attempt_at = COALESCE(v.next_attempt_at, touches.next_attempt_at),              reason = COALESCE(v.reason, touches.reason),              error = CASE WHEN v.is_sent = 1 THEN touches.error ELSE v.detail END,              attempts = touches.attempts + v.attempts, updated_at = v.updated_at,              sent_at = CASE WHEN v.is_sent = 1 THEN v.updated_at ELSE touches.sent_at END,              provider_message_id = COALESCE(v.provider_message_id, touches.provider_message_id),              sandbox_message = COALESCE(v.sandbox_message, touches.sandbox_message)              FROM v WHERE touches.id = v.id AND touches.status IN ({sources})              RETURNING touches.id, touches.workspace"
        ));
        for (id, o) in chunk {
            debug_assert_eq!(TouchStatus::sql_list(&o.sources()), sources);
            debug_assert!(o.reservation != Reservation::Release);
            q = q
                .bind(*id)
                .bind(o.to.as_str())
                .bind(o.next_attempt_at.map(ms))
                .bind(o.reason.as_ref().map(|r| r.as_str().to_owned()))
                .bind(i64::from(o.to == TouchStatus::Sent))
                .bind(o.detail.as_str())
                .bind(i64::from(o.counts_attempt))
                .bind(ms(now))
                .bind(o.provider_message_id.clone())
                .bind(o.sandbox_message.as_ref().map(|v| v.to_string()));
        }
        for r in q.fetch_all(&mut **tx).await? {
            changed.insert(r.try_get("id")?, r.try_get("workspace")?);
        }
    }
    Ok(changed)
}

/// Applies `outcome` inside `tx`: the status change, the reservation, the timeline entry.
pub(super) async fn apply_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    touch_id: &str,
    now: DateTime<Utc>,
    outcome: &Outcome,
) -> Result<Applied> {
    let sources = TouchStatus::sql_list(&outcome.sources());
    if sources.is_empty() {
        return Ok(Applied::Unchanged);
    }
    let sent = outcome.to == TouchStatus::Sent;
    let row = sqlx::query(safe!(
        "UPDATE touches SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
         reason = COALESCE($3, reason), error = CASE WHEN $4 THEN error ELSE $5 END, \
         attempts = attempts + $6, updated_at = $7, \
         sent_at = CASE WHEN $4 THEN $7 ELSE sent_at END, \
         provider_message_id = COALESCE($8, provider_message_id), \
         sandbox_message = COALESCE($9, sandbox_message) \
         WHERE id = $10 AND status IN ({sources}) RETURNING workspace"
    ))
    .bind(outcome.to.as_str())
    .bind(outcome.next_attempt_at.map(ms))
    .bind(outcome.reason.as_ref().map(|r| r.as_str().to_owned()))
    .bind(sent)
    .bind(&outcome.detail)
    .bind(i64::from(outcome.counts_attempt))
    .bind(ms(now))
    .bind(outcome.provider_message_id.clone())
    .bind(outcome.sandbox_message.as_ref().map(|v| v.to_string()))
    .bind(touch_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(Applied::Unchanged);
    };
    let workspace: String = row.try_get("workspace")?;
    if outcome.reservation == Reservation::Release {
        sqlx::query("DELETE FROM sends WHERE touch_id = $1")
            .bind(touch_id)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(kind) = outcome.timeline {
        insert_event(
            tx,
            &workspace,
            touch_id,
            now,
            kind,
            false,
            outcome.reason.as_ref().map(|r| r.as_str()),
            Some(&outcome.detail),
        )
        .await?;
    }
    Ok(Applied::Changed { workspace })
}
