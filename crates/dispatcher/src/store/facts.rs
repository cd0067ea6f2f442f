use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

impl Store {
    /// Sends of the account on the channel and to the lead in the 7 days before `at`.
    pub async fn recent_sends(
        &self,
        ws: &str,
        account_id: &str,
        channel: &str,
        lead_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<gate::SendRecord>> {
        let mut conn = self.pool.acquire().await?;
        sends_for_conn(&mut conn, ws, account_id, channel, lead_id, at).await
    }
}

/// How far back the gate needs the account's sends on a channel: the longest window among the
/// caps it has (none: no sends at all). A week of sends for every decision would make the cost
/// of a decision grow with the sender's volume.
pub fn account_send_horizon(limits: Option<&gate::ChannelLimits>) -> chrono::Duration {
    let Some(l) = limits else {
        return chrono::Duration::zero();
    };
    [
        l.weekly_invites.map(|_| chrono::Duration::days(7)),
        l.daily.map(|_| chrono::Duration::hours(24)),
        l.hourly.map(|_| chrono::Duration::hours(1)),
        l.min_gap_seconds
            .map(|g| chrono::Duration::seconds(i64::from(g))),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or_else(chrono::Duration::zero)
}

/// The lead's sends the gate needs: per-recipient legal caps look back 24 hours.
pub const LEAD_SEND_HORIZON: chrono::Duration = chrono::Duration::hours(24);

pub(super) async fn sends_for_conn(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    account_id: &str,
    channel: &str,
    lead_id: &str,
    at: DateTime<Utc>,
) -> Result<Vec<gate::SendRecord>> {
    let week = chrono::Duration::days(7);
    sends_within(conn, ws, account_id, channel, week, lead_id, week, at).await
}

/// Sends of the account on the channel in the `account_horizon` before `at`, and to the lead
/// in the `lead_horizon` before it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn sends_within(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    account_id: &str,
    channel: &str,
    account_horizon: chrono::Duration,
    lead_id: &str,
    lead_horizon: chrono::Duration,
    at: DateTime<Utc>,
) -> Result<Vec<gate::SendRecord>> {
    let rows = sqlx::query(
        "SELECT account_id, lead_id, channel, purpose, action, at FROM sends WHERE workspace = $1 \
         AND ((account_id = $2 AND channel = $3 AND at > $4) OR (lead_id = $5 AND at > $6))",
    )
    .bind(ws)
    .bind(account_id)
    .bind(channel)
    .bind(ms(at - account_horizon))
    .bind(lead_id)
    .bind(ms(at - lead_horizon))
    .fetch_all(&mut *conn)
    .await?;
    let mut sends = Vec::with_capacity(rows.len());
    for r in rows {
        let channel: String = r.try_get("channel")?;
        let purpose: String = r.try_get("purpose")?;
        let action: String = r.try_get("action")?;
        let Ok(channel) = channel.parse() else {
            continue;
        };
        sends.push(gate::SendRecord {
            at: from_ms(r.try_get("at")?),
            account_id: r.try_get("account_id")?,
            lead_id: r.try_get("lead_id")?,
            channel,
            purpose: if purpose == "transactional" {
                gate::Purpose::Transactional
            } else {
                gate::Purpose::Marketing
            },
            action: if action == "invite" {
                gate::LinkedInAction::Invite
            } else {
                gate::LinkedInAction::Message
            },
        });
    }
    Ok(sends)
}
