use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

impl Store {
    // ---- dispatch ----

    /// Touches due at `now` (queued or scheduled, `next_attempt_at <= now`), oldest first; of
    /// one workspace when `workspace` is given (`POST /v1/dispatch/drain` acts on the caller's).
    pub async fn due_touches(
        &self,
        workspace: Option<&str>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(safe!(
            "SELECT id FROM touches WHERE status IN ('queued', 'scheduled') AND next_attempt_at <= $1 \
             AND ($2 IS NULL OR workspace = $2) ORDER BY next_attempt_at, id LIMIT {}",
            limit.clamp(1, 10_000)
        ))
        .bind(ms(now))
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// The earliest `next_attempt_at` among waiting touches.
    pub async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>> {
        let row = sqlx::query(
            "SELECT MIN(next_attempt_at) AS t FROM touches WHERE status IN ('queued', 'scheduled')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(opt_time(row.try_get("t")?))
    }

    /// Starts the dispatch transaction for one touch: claims it (only if still due) and takes
    /// its sender's cap lock. `None` when another dispatcher has it or it is no longer due.
    pub async fn begin_dispatch(
        &self,
        touch_id: &str,
        claimant: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Dispatch>> {
        let mut tx = self.write_tx().await?;
        let claimed = sqlx::query(safe!(
            "UPDATE touches SET claimed_by = $1 WHERE id = $2 AND status IN ('queued', 'scheduled') \
             AND next_attempt_at <= $3 RETURNING {TOUCH_COLUMNS}"
        ))
        .bind(claimant)
        .bind(touch_id)
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = claimed else {
            tx.rollback().await?;
            return Ok(None);
        };
        let touch = touch_from_row(&row)?;
        // On SQLite, BEGIN IMMEDIATE already serialises every writer; the lock rows matter on
        // PostgreSQL, where dispatch transactions run side by side.
        if self.kind == DbKind::Postgres {
            sqlx::query(
                "INSERT INTO cap_locks (workspace, account_id, channel, version) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (workspace, account_id, channel) DO UPDATE SET version = cap_locks.version + 1",
            )
            .bind(touch.workspace.as_str())
            .bind(touch.account_id.as_str())
            .bind(touch.channel.as_str())
            .execute(&mut *tx)
            .await?;
            // Per-recipient legal caps (FL/OK/MD: 3 solicitations in 24 h from any sender) span
            // accounts and channels: serialise on the lead too. Always after the sender's row, so
            // two dispatch transactions can never wait on each other in a cycle.
            sqlx::query(
                "INSERT INTO cap_locks (workspace, account_id, channel, version) VALUES ($1, '', $2, 1) \
                 ON CONFLICT (workspace, account_id, channel) DO UPDATE SET version = cap_locks.version + 1",
            )
            .bind(touch.workspace.as_str())
            .bind(format!("lead:{}", touch.lead_id))
            .execute(&mut *tx)
            .await?;
        }
        Ok(Some(Dispatch {
            tx,
            touch,
            contacts: LeadContacts::default(),
        }))
    }
}

/// An open dispatch transaction: the touch is claimed and its sender's cap row is locked.
/// Load facts, decide, then [`Dispatch::commit`] writes the decision, the state change and
/// (when allowed) the cap reservation together.
#[derive(Debug)]
pub struct Dispatch {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    pub touch: TouchRow,
    /// The lead's stored contacts, as [`Dispatch::load_facts`] read them: `commit` records the
    /// one the touch goes to.
    contacts: LeadContacts,
}

impl Dispatch {
    pub async fn load_facts(&mut self, now: DateTime<Utc>) -> Result<LoadedFacts> {
        let ws = self.touch.workspace.clone();
        // Account, lead and the lead's last inbound WhatsApp message in one round trip: every
        // statement costs a trip to the database (on SQLite, to sqlx's worker thread).
        let row = sqlx::query(
            "SELECT (SELECT body FROM accounts WHERE workspace = $1 AND id = $2) AS account, \
             l.body AS lead, l.phone, l.email, l.linkedin, l.whatsapp, \
             (SELECT last_at FROM lead_inbound WHERE workspace = $1 AND lead_id = $3 AND channel = 'whatsapp') AS wa \
             FROM (SELECT 1 AS one) AS o LEFT JOIN leads l ON l.workspace = $1 AND l.id = $3",
        )
        .bind(ws.as_str())
        .bind(self.touch.account_id.as_str())
        .bind(self.touch.lead_id.as_str())
        .fetch_one(&mut *self.tx)
        .await?;
        let account = row
            .try_get::<Option<String>, _>("account")?
            .map(|body| {
                serde_json::from_str::<AccountBody>(&body).map_err(|source| StoreError::Corrupt {
                    what: "account".to_owned(),
                    source,
                })
            })
            .transpose()?;
        let lead_body: Option<String> = row.try_get("lead")?;
        let (lead, contacts) = match lead_body {
            Some(body) => {
                let body: LeadBody =
                    serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
                        what: "lead".to_owned(),
                        source,
                    })?;
                self.contacts = LeadContacts {
                    phone: row.try_get("phone")?,
                    email: row.try_get("email")?,
                    linkedin: row.try_get("linkedin")?,
                    whatsapp: row.try_get("whatsapp")?,
                };
                let c = &self.contacts;
                let contacts: Vec<String> = [&c.phone, &c.email, &c.linkedin, &c.whatsapp]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect();
                (Some(body), contacts)
            }
            None => {
                self.contacts = LeadContacts::default();
                (None, Vec::new())
            }
        };
        let last_inbound_whatsapp_at = row.try_get::<Option<i64>, _>("wa")?.map(from_ms);
        let dnc = dnc_for_conn(&mut self.tx, &ws, &self.touch.lead_id, &contacts).await?;
        let horizon = account_send_horizon(account.as_ref().and_then(|a| {
            self.touch
                .channel
                .parse::<gate::Channel>()
                .ok()
                .and_then(|c| a.limits.get(&c))
        }));
        let sends = sends_within(
            &mut self.tx,
            &ws,
            &self.touch.account_id,
            &self.touch.channel,
            horizon,
            &self.touch.lead_id,
            LEAD_SEND_HORIZON,
            now,
        )
        .await?;
        Ok(LoadedFacts {
            account,
            lead,
            last_inbound_whatsapp_at,
            dnc,
            sends,
        })
    }

    /// The lead's contact for `channel`, chosen as the gate chooses the permit's recipient:
    /// email → email; sms, call → phone; whatsapp → whatsapp, else phone; linkedin → linkedin.
    fn recipient_for(&self, channel: &str) -> Option<String> {
        let c = &self.contacts;
        match channel.parse::<gate::Channel>().ok()? {
            gate::Channel::Email => c.email.clone(),
            gate::Channel::Sms | gate::Channel::Call => c.phone.clone(),
            gate::Channel::Whatsapp => c.whatsapp.clone().or_else(|| c.phone.clone()),
            gate::Channel::Linkedin => c.linkedin.clone(),
        }
    }

    /// Records the decision and the touch's next state (and, for `Sending`, the cap
    /// reservation and the recipient), then commits — all or nothing.
    pub async fn commit(
        mut self,
        now: DateTime<Utc>,
        decision: &gate::Decision,
        next: &NextState,
        detail: Option<&str>,
    ) -> Result<()> {
        let t = &self.touch;
        let checks = serde_json::to_string(&decision.checks).unwrap_or_else(|_| "[]".to_owned());
        let reason = decision.reason.map(|r| r.as_str());
        sqlx::query(
            "INSERT INTO decisions (workspace, touch_id, at, kind, allowed, reason, retry_after, checks, detail) \
             VALUES ($1, $2, $3, 'gate', $4, $5, $6, $7, $8)",
        )
        .bind(t.workspace.as_str())
        .bind(t.id.as_str())
        .bind(ms(now))
        .bind(i64::from(decision.allowed))
        .bind(reason)
        .bind(decision.retry_after.map(ms))
        .bind(checks)
        .bind(detail)
        .execute(&mut *self.tx)
        .await?;
        let (status, next_at) = match next {
            NextState::Sending => ("sending", None),
            NextState::Scheduled { at } => ("scheduled", Some(ms(*at))),
            NextState::Blocked => ("blocked", None),
            NextState::Expired => ("expired", None),
        };
        // Where it goes, as the gate's permit names it; kept when the lead changes later.
        let recipient = match next {
            NextState::Sending => self.recipient_for(&t.channel),
            _ => None,
        };
        sqlx::query(
            "UPDATE touches SET status = $1, reason = $2, retry_after = $3, decided_at = $4, \
             next_attempt_at = COALESCE($5, next_attempt_at), recipient = COALESCE($6, recipient), \
             updated_at = $4 WHERE id = $7",
        )
        .bind(status)
        .bind(reason)
        .bind(decision.retry_after.map(ms))
        .bind(ms(now))
        .bind(next_at)
        .bind(recipient)
        .bind(t.id.as_str())
        .execute(&mut *self.tx)
        .await?;
        if *next == NextState::Sending {
            sqlx::query(
                "INSERT INTO sends (workspace, touch_id, account_id, lead_id, channel, purpose, action, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (touch_id) DO NOTHING",
            )
            .bind(t.workspace.as_str())
            .bind(t.id.as_str())
            .bind(t.account_id.as_str())
            .bind(t.lead_id.as_str())
            .bind(t.channel.as_str())
            .bind(t.purpose.as_str())
            .bind(match t.request.action.unwrap_or_default() {
                gate::LinkedInAction::Invite => "invite",
                gate::LinkedInAction::Message => "message",
            })
            .bind(ms(now))
            .execute(&mut *self.tx)
            .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}
