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

/// What the store knows that the gate needs about one touch. (Registry listings live in
/// memory, [`crate::registries`]; the sender's authentication in its own checker.)
#[derive(Debug, Clone)]
pub struct TouchFacts {
    /// `None`: no such account.
    pub account: Option<StoredAccount>,
    /// `None`: no such lead. Its facts carry the last inbound WhatsApp message and the consent
    /// voids of its contacts.
    pub lead: Option<StoredLead>,
    /// DNC rows naming the lead or any of its contacts.
    pub dnc: Vec<gate::DncEntry>,
    /// The sends the caps count: the account's on the channel within its longest cap window,
    /// the lead's and its numbers' within [`RECIPIENT_SEND_HORIZON`].
    pub sends: Vec<gate::SendRecord>,
    /// The account's first send on the channel ever (warm-up), when it has a warm-up.
    pub first_send: Option<DateTime<Utc>>,
    /// The workspace's blackouts that have not ended.
    pub blackouts: Vec<gate::Blackout>,
}

impl Store {
    /// [`TouchFacts`] at `at`, outside any transaction (the dry run).
    pub async fn touch_facts(&self, key: FactsKey<'_>, at: DateTime<Utc>) -> Result<TouchFacts> {
        let mut conn = self.pool.acquire().await?;
        load_facts(&mut conn, &self.privacy, key, at).await
    }
}

/// Loads [`TouchFacts`] on `conn` (a pool connection, or the dispatch transaction).
pub(super) async fn load_facts(
    conn: &mut sqlx::AnyConnection,
    privacy: &PrivacyKey,
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
    let mut account = row
        .try_get::<Option<String>, _>("account")?
        .map(|json| parse_account(ws, key.account_id, &json))
        .transpose()?;
    // Sender health pauses email only (its rates are email's).
    if key.channel == gate::Channel::Email
        && let Some(a) = &mut account
    {
        for h in health_rows(conn, ws, key.account_id).await? {
            if let (Some(since), Ok(channel)) = (h.paused_since, h.channel.parse()) {
                a.facts.health_pauses.insert(
                    channel,
                    gate::HealthPause {
                        since,
                        why: h.why.unwrap_or_default(),
                    },
                );
            }
        }
    }
    let mut lead = row
        .try_get::<Option<String>, _>("lead")?
        .map(|json| parse_lead(ws, key.lead_id, &json))
        .transpose()?;
    let contacts: Vec<String> = lead
        .as_ref()
        .map(|l| l.facts.contact_keys().map(str::to_owned).collect())
        .unwrap_or_default();
    if let Some(l) = &mut lead {
        l.facts.last_inbound_whatsapp_at = row.try_get::<Option<i64>, _>("wa")?.map(from_ms);
        l.facts.consent_voids =
            consent_voids_for(conn, ws, &privacy.lookup_forms(&contacts)).await?;
    }
    let dnc = dnc_for_conn(conn, privacy, ws, key.lead_id, &contacts).await?;
    let limits = account
        .as_ref()
        .and_then(|a| a.facts.limits.get(&key.channel));
    let numbers: Vec<&str> = lead
        .as_ref()
        .map(|l| {
            [l.facts.phone.as_ref(), l.facts.whatsapp.as_ref()]
                .into_iter()
                .flatten()
                .map(gate::Phone::as_str)
                .collect()
        })
        .unwrap_or_default();
    let sends = sends_within(
        conn,
        privacy,
        &SendsWanted {
            workspace: ws,
            account_id: key.account_id,
            channel: key.channel,
            account_horizon: account_send_horizon(limits),
            lead_id: key.lead_id,
            numbers: &numbers,
            recipient_horizon: RECIPIENT_SEND_HORIZON,
        },
        at,
    )
    .await?;
    let first_send = match limits.and_then(|l| l.warmup) {
        Some(_) => first_send(conn, ws, key.account_id, key.channel).await?,
        None => None,
    };
    let blackouts = active_blackouts(conn, ws, at).await?;
    Ok(TouchFacts {
        account,
        lead,
        dnc,
        sends,
        first_send,
        blackouts,
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

/// How far back the sends to the lead and to its numbers are loaded: the cross-campaign
/// recipient cap counts a trailing week (the legal per-number caps a day at most).
pub const RECIPIENT_SEND_HORIZON: chrono::Duration = chrono::Duration::days(7);

/// Which sends to load.
pub(super) struct SendsWanted<'a> {
    pub workspace: &'a str,
    pub account_id: &'a str,
    pub channel: gate::Channel,
    pub account_horizon: chrono::Duration,
    pub lead_id: &'a str,
    /// The lead's numbers (E.164): sends to them count whichever lead they went through.
    pub numbers: &'a [&'a str],
    pub recipient_horizon: chrono::Duration,
}

/// Sends of the account on the channel in the account horizon before `at`, and to the lead
/// or its numbers in the recipient horizon before it.
pub(super) async fn sends_within(
    conn: &mut sqlx::AnyConnection,
    privacy: &PrivacyKey,
    w: &SendsWanted<'_>,
    at: DateTime<Utc>,
) -> Result<Vec<gate::SendRecord>> {
    // Sends to an erased lead's number are stored under the number's keyed hash: they still
    // count toward the number's caps, under the plain number.
    let numbers: Vec<String> = w.numbers.iter().map(|n| (*n).to_owned()).collect();
    let forms = privacy.lookup_forms(&numbers);
    let number = |i: usize| forms.get(i).map(|(stored, _)| stored.as_str());
    // One branch per index, joined by UNION ALL: SQLite keeps no statistics of `sends` and
    // planned the OR of the three as a scan of the workspace's sends (12 ms at 40,000 sends).
    let account_after = ms(before(at, w.account_horizon));
    let recipient_after = ms(before(at, w.recipient_horizon));
    let rows = sqlx::query(
        "SELECT touch_id, account_id, lead_id, recipient, channel, purpose, action, at FROM sends \
         WHERE workspace = $1 AND account_id = $2 AND channel = $3 AND at > $4 \
         UNION ALL SELECT touch_id, account_id, lead_id, recipient, channel, purpose, action, at FROM sends \
         WHERE workspace = $1 AND lead_id = $5 AND at > $6 \
         UNION ALL SELECT touch_id, account_id, lead_id, recipient, channel, purpose, action, at FROM sends \
         WHERE workspace = $1 AND recipient IN ($7, $8, $9, $10) AND at > $6",
    )
    .bind(w.workspace)
    .bind(w.account_id)
    .bind(w.channel.as_str())
    .bind(account_after)
    .bind(w.lead_id)
    .bind(recipient_after)
    .bind(number(0))
    .bind(number(1))
    .bind(number(2))
    .bind(number(3))
    .fetch_all(&mut *conn)
    .await?;
    // A send two branches find is counted once.
    let mut found = std::collections::HashSet::new();
    let mut sends = Vec::with_capacity(rows.len());
    for r in rows {
        let touch: String = r.try_get("touch_id")?;
        if !found.insert(touch.clone()) {
            continue;
        }
        let action: String = r.try_get("action")?;
        sends.push(gate::SendRecord {
            at: from_ms(r.try_get("at")?),
            account_id: r.try_get("account_id")?,
            lead_id: r.try_get("lead_id")?,
            recipient: r
                .try_get::<Option<String>, _>("recipient")?
                .map(|stored| plain_form(&forms, stored)),
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

/// The account's first send on the channel ever.
async fn first_send(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    account_id: &str,
    channel: gate::Channel,
) -> Result<Option<DateTime<Utc>>> {
    let row = sqlx::query(
        "SELECT MIN(at) AS t FROM sends WHERE workspace = $1 AND account_id = $2 AND channel = $3",
    )
    .bind(ws)
    .bind(account_id)
    .bind(channel.as_str())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get::<Option<i64>, _>("t")?.map(from_ms))
}

/// The consent voids recorded for any of `forms` (stored form, plain contact), under the
/// plain contact.
async fn consent_voids_for(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    forms: &[(String, String)],
) -> Result<Vec<gate::ConsentVoid>> {
    if forms.is_empty() {
        return Ok(Vec::new());
    }
    let list = (0..forms.len())
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let mut q = sqlx::query(safe!(
        "SELECT contact, MAX(at) AS at FROM consent_voids WHERE workspace = $1 AND contact IN ({list}) GROUP BY contact"
    ))
    .bind(ws);
    for (stored, _) in forms {
        q = q.bind(stored.as_str());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(gate::ConsentVoid {
                contact: plain_form(forms, r.try_get("contact")?),
                at: from_ms(r.try_get("at")?),
            })
        })
        .collect()
}

/// The plain contact a stored form stands for (itself when it is not one of `forms`).
pub(super) fn plain_form(forms: &[(String, String)], stored: String) -> String {
    match forms.iter().find(|(s, _)| *s == stored) {
        Some((_, plain)) => plain.clone(),
        None => stored,
    }
}

/// `at - d`, saturating at the earliest instant instead of overflowing (a client may ask
/// about any instant chrono can hold).
pub(super) fn before(at: DateTime<Utc>, d: chrono::Duration) -> DateTime<Utc> {
    at.checked_sub_signed(d).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
