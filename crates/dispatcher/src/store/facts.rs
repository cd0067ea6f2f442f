//! The gate's facts about one touch: one loader, used inside the dispatch transaction and by
//! the dry run (`POST /v1/evaluate`), so the two can never disagree about what the gate saw.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

/// Which touch the facts are for.
#[derive(Clone, Copy, Debug)]
pub struct FactsKey<'a> {
    pub workspace: &'a str,
    pub account_id: &'a str,
    pub lead_id: &'a str,
    pub channel: gate::Channel,
}

/// What the store knows that the gate needs about one touch.
#[derive(Debug, Clone)]
pub struct TouchFacts {
    /// `None`: no such account.
    pub account: Option<StoredAccount>,
    /// `None`: no such lead. Its facts carry the last inbound WhatsApp message.
    pub lead: Option<StoredLead>,
    /// DNC rows naming the lead or any of its contacts.
    pub dnc: Vec<gate::DncEntry>,
    /// The sends the caps count: the account's on the channel within its longest cap window,
    /// and the lead's within [`LEAD_SEND_HORIZON`].
    pub sends: Vec<gate::SendRecord>,
}

impl Store {
    /// [`TouchFacts`] at `at`, outside any transaction (the dry run).
    pub async fn touch_facts(&self, key: FactsKey<'_>, at: DateTime<Utc>) -> Result<TouchFacts> {
        let mut conn = self.pool.acquire().await?;
        load_facts(&mut conn, key, at).await
    }
}

/// Loads [`TouchFacts`] on `conn` (a pool connection, or the dispatch transaction).
pub(super) async fn load_facts(
    conn: &mut sqlx::AnyConnection,
    key: FactsKey<'_>,
    at: DateTime<Utc>,
) -> Result<TouchFacts> {
    let ws = key.workspace;
    // Account, lead and the lead's last inbound WhatsApp message in one round trip: every
    // statement costs a trip to the database (on SQLite, to sqlx's worker thread).
    let row = sqlx::query(
        "SELECT (SELECT body FROM accounts WHERE workspace = $1 AND id = $2) AS account, \
         (SELECT body FROM leads WHERE workspace = $1 AND id = $3) AS lead, \
         (SELECT last_at FROM lead_inbound WHERE workspace = $1 AND lead_id = $3 AND channel = 'whatsapp') AS wa",
    )
    .bind(ws)
    .bind(key.account_id)
    .bind(key.lead_id)
    .fetch_one(&mut *conn)
    .await?;
    let account = row
        .try_get::<Option<String>, _>("account")?
        .map(|json| parse_account(ws, key.account_id, &json))
        .transpose()?;
    let mut lead = row
        .try_get::<Option<String>, _>("lead")?
        .map(|json| parse_lead(ws, key.lead_id, &json))
        .transpose()?;
    if let Some(l) = &mut lead {
        l.facts.last_inbound_whatsapp_at = row.try_get::<Option<i64>, _>("wa")?.map(from_ms);
    }
    let contacts: Vec<String> = lead
        .as_ref()
        .map(|l| l.facts.contact_keys().map(str::to_owned).collect())
        .unwrap_or_default();
    let dnc = dnc_for_conn(conn, ws, key.lead_id, &contacts).await?;
    let horizon = account_send_horizon(
        account
            .as_ref()
            .and_then(|a| a.facts.limits.get(&key.channel)),
    );
    let sends = sends_within(
        conn,
        ws,
        key.account_id,
        key.channel,
        horizon,
        key.lead_id,
        LEAD_SEND_HORIZON,
        at,
    )
    .await?;
    Ok(TouchFacts {
        account,
        lead,
        dnc,
        sends,
    })
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

/// Sends of the account on the channel in the `account_horizon` before `at`, and to the lead
/// in the `lead_horizon` before it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn sends_within(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    account_id: &str,
    channel: gate::Channel,
    account_horizon: chrono::Duration,
    lead_id: &str,
    lead_horizon: chrono::Duration,
    at: DateTime<Utc>,
) -> Result<Vec<gate::SendRecord>> {
    let rows = sqlx::query(
        "SELECT touch_id, account_id, lead_id, channel, purpose, action, at FROM sends WHERE workspace = $1 \
         AND ((account_id = $2 AND channel = $3 AND at > $4) OR (lead_id = $5 AND at > $6))",
    )
    .bind(ws)
    .bind(account_id)
    .bind(channel.as_str())
    .bind(ms(before(at, account_horizon)))
    .bind(lead_id)
    .bind(ms(before(at, lead_horizon)))
    .fetch_all(&mut *conn)
    .await?;
    let mut sends = Vec::with_capacity(rows.len());
    for r in rows {
        let touch: String = r.try_get("touch_id")?;
        let action: String = r.try_get("action")?;
        sends.push(gate::SendRecord {
            at: from_ms(r.try_get("at")?),
            account_id: r.try_get("account_id")?,
            lead_id: r.try_get("lead_id")?,
            channel: parse_column(&r, "channel", || format!("send of touch {touch} channel"))?,
            purpose: parse_purpose(&r.try_get::<String, _>("purpose")?)
                .map_err(|e| corrupt(format!("send of touch {touch} purpose"), e))?,
            action: if action == "invite" {
                gate::LinkedInAction::Invite
            } else {
                gate::LinkedInAction::Message
            },
        });
    }
    Ok(sends)
}

/// `at - d`, saturating at the earliest instant instead of overflowing (a client may ask
/// about any instant chrono can hold).
pub(super) fn before(at: DateTime<Utc>, d: chrono::Duration) -> DateTime<Utc> {
    at.checked_sub_signed(d).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
