//! The facts of a whole dispatch batch, loaded in a handful of statements — one per kind of
//! fact for every touch of the batch — instead of one round of statements per touch. Each
//! touch's [`TouchFacts`] is then put together in memory, identical to what
//! [`super::facts::load_facts`] reads for it; the reservations the batch records are added as
//! it goes ([`BatchFacts::reserved`]), so a touch later in the batch sees the earlier ones'
//! exactly as the per-touch loader would (caps stay exact).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::bind_order::{in_bind_order, placeholders};
use super::dnc::{dnc_entries_for, dnc_rows_naming};
use super::facts::{
    FactsKey, RECIPIENT_SEND_HORIZON, TouchFacts, account_send_horizon, before, plain_form,
};
use super::*;

/// A send as stored: `recipient` in its stored form (an erased number's keyed hash), `at` in
/// the database's milliseconds.
#[derive(Debug, Clone)]
struct StoredSend {
    at_ms: i64,
    record: gate::SendRecord,
}

/// What one workspace's touches of the batch need.
#[derive(Debug, Default)]
struct WorkspaceFacts {
    accounts: HashMap<String, StoredAccount>,
    /// Health rows of the accounts with an email touch in the batch.
    health: HashMap<String, Vec<HealthRow>>,
    leads: HashMap<String, StoredLead>,
    /// The lead's last inbound WhatsApp message (ms).
    whatsapp_inbound: HashMap<String, i64>,
    /// The latest consent void per stored contact (ms).
    voids: HashMap<String, i64>,
    /// DNC rows (not removed) naming any of the batch's leads or their contacts.
    dnc: Vec<DncRow>,
    /// Sends of the batch's accounts, leads and numbers since the earliest horizon any of its
    /// touches needs, plus the reservations recorded by the batch so far.
    sends: Vec<StoredSend>,
    /// The first send ever per (account, channel), for the senders with a warm-up.
    first_sends: BTreeMap<(String, gate::Channel), Option<i64>>,
    blackouts: Vec<gate::Blackout>,
}

/// The facts of every touch of a dispatch batch, at one instant.
#[derive(Debug)]
pub struct BatchFacts {
    at: DateTime<Utc>,
    workspaces: HashMap<String, WorkspaceFacts>,
}

/// The numbers of a lead the sends query looks for (phone, WhatsApp), as in
/// [`super::facts::load_facts`].
fn lead_numbers(lead: Option<&StoredLead>) -> Vec<String> {
    lead.map(|l| {
        [l.facts.phone.as_ref(), l.facts.whatsapp.as_ref()]
            .into_iter()
            .flatten()
            .map(|p| p.as_str().to_owned())
            .collect()
    })
    .unwrap_or_default()
}

fn lead_contacts(lead: Option<&StoredLead>) -> Vec<String> {
    lead.map(|l| l.facts.contact_keys().map(str::to_owned).collect())
        .unwrap_or_default()
}

impl BatchFacts {
    /// Loads the facts of `keys` (the touches of one batch) at `at`, on `conn`.
    pub(super) async fn load(
        conn: &mut sqlx::AnyConnection,
        privacy: &PrivacyKey,
        keys: &[FactsKey<'_>],
        at: DateTime<Utc>,
    ) -> Result<BatchFacts> {
        let mut by_ws: BTreeMap<&str, Vec<&FactsKey<'_>>> = BTreeMap::new();
        for k in keys {
            by_ws.entry(k.workspace).or_default().push(k);
        }
        let mut workspaces = HashMap::new();
        for (ws, keys) in by_ws {
            let facts = load_workspace(conn, privacy, ws, &keys, at).await?;
            workspaces.insert(ws.to_owned(), facts);
        }
        Ok(BatchFacts { at, workspaces })
    }

    /// The instant the facts were loaded for.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The facts of one touch of the batch: what [`super::facts::load_facts`] would read for
    /// it now, including the reservations the batch has recorded so far. `None`: the touch was
    /// not among those loaded.
    pub fn facts(&self, privacy: &PrivacyKey, key: FactsKey<'_>) -> Option<Result<TouchFacts>> {
        let w = self.workspaces.get(key.workspace)?;
        Some(w.touch_facts(privacy, key, self.at))
    }

    /// Adds a reservation the batch wrote (a new row of `sends`, at `at`), so the touches
    /// after it count it.
    pub(super) fn reserved(&mut self, ws: &str, record: gate::SendRecord, at_ms: i64) {
        let Some(w) = self.workspaces.get_mut(ws) else {
            return;
        };
        if let Some(first) = w
            .first_sends
            .get_mut(&(record.account_id.clone(), record.channel))
        {
            *first = Some(first.map_or(at_ms, |f| f.min(at_ms)));
        }
        w.sends.push(StoredSend { at_ms, record });
    }
}

impl WorkspaceFacts {
    fn touch_facts(
        &self,
        privacy: &PrivacyKey,
        key: FactsKey<'_>,
        at: DateTime<Utc>,
    ) -> Result<TouchFacts> {
        let mut account = self.accounts.get(key.account_id).cloned();
        // Sender health pauses email only (its rates are email's).
        if key.channel == gate::Channel::Email
            && let Some(a) = &mut account
        {
            for h in self.health.get(key.account_id).into_iter().flatten() {
                if let (Some(since), Ok(channel)) = (h.paused_since, h.channel.parse()) {
                    a.facts.health_pauses.insert(
                        channel,
                        gate::HealthPause {
                            since,
                            why: h.why.clone().unwrap_or_default(),
                        },
                    );
                }
            }
        }
        let mut lead = self.leads.get(key.lead_id).cloned();
        let contacts = lead_contacts(lead.as_ref());
        let forms = privacy.lookup_forms(&contacts);
        if let Some(l) = &mut lead {
            l.facts.last_inbound_whatsapp_at =
                self.whatsapp_inbound.get(key.lead_id).copied().map(from_ms);
            let mut seen = HashSet::new();
            l.facts.consent_voids = forms
                .iter()
                .filter(|(stored, _)| seen.insert(stored.as_str()))
                .filter_map(|(stored, _)| {
                    self.voids.get(stored).map(|at| gate::ConsentVoid {
                        contact: plain_form(&forms, stored.clone()),
                        at: from_ms(*at),
                    })
                })
                .collect();
        }
        let dnc = dnc_entries_for(privacy, &self.dnc, key.lead_id, &contacts);
        let limits = account
            .as_ref()
            .and_then(|a| a.facts.limits.get(&key.channel));
        let account_after = ms(before(at, account_send_horizon(limits)));
        let recipient_after = ms(before(at, RECIPIENT_SEND_HORIZON));
        let number_forms = privacy.lookup_forms(&lead_numbers(lead.as_ref()));
        // The per-touch query binds the first four forms (two numbers, each plain and hashed).
        let wanted: Vec<&str> = number_forms
            .iter()
            .take(4)
            .map(|(s, _)| s.as_str())
            .collect();
        let sends = self
            .sends
            .iter()
            .filter(|s| {
                let r = &s.record;
                (r.account_id == key.account_id
                    && r.channel == key.channel
                    && s.at_ms > account_after)
                    || (r.lead_id == key.lead_id && s.at_ms > recipient_after)
                    || (r.recipient.as_deref().is_some_and(|n| wanted.contains(&n))
                        && s.at_ms > recipient_after)
            })
            .map(|s| {
                let mut r = s.record.clone();
                r.recipient = r.recipient.map(|stored| plain_form(&number_forms, stored));
                r
            })
            .collect();
        let first_send = match limits.and_then(|l| l.warmup) {
            Some(_) => self
                .first_sends
                .get(&(key.account_id.to_owned(), key.channel))
                .copied()
                .flatten()
                .map(from_ms),
            None => None,
        };
        Ok(TouchFacts {
            account,
            lead,
            dnc,
            sends,
            first_send,
            blackouts: self.blackouts.clone(),
        })
    }
}

/// `SELECT …` with `$1` the workspace and the list bound after it.
fn with_list<'q>(
    kind: DbKind,
    sql: String,
    ws: &'q str,
    list: impl IntoIterator<Item = &'q str>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(in_bind_order(kind, sql))).bind(ws);
    for v in list {
        q = q.bind(v);
    }
    q
}

async fn load_workspace(
    conn: &mut sqlx::AnyConnection,
    privacy: &PrivacyKey,
    ws: &str,
    keys: &[&FactsKey<'_>],
    at: DateTime<Utc>,
) -> Result<WorkspaceFacts> {
    let mut w = WorkspaceFacts::default();
    let account_ids: BTreeSet<&str> = keys.iter().map(|k| k.account_id).collect();
    let lead_ids: BTreeSet<&str> = keys.iter().map(|k| k.lead_id).collect();

    // Accounts.
    let rows = with_list(
        DbKind::of(conn),
        format!(
            "SELECT id, body FROM accounts WHERE workspace = $1 AND id IN ({})",
            placeholders(2, account_ids.len())
        ),
        ws,
        account_ids.iter().copied(),
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let id: String = r.try_get("id")?;
        let body: String = r.try_get("body")?;
        let account = parse_account(ws, &id, &body)?;
        w.accounts.insert(id, account);
    }

    // Sender health, for the accounts with an email touch.
    let email_accounts: BTreeSet<&str> = keys
        .iter()
        .filter(|k| k.channel == gate::Channel::Email && w.accounts.contains_key(k.account_id))
        .map(|k| k.account_id)
        .collect();
    if !email_accounts.is_empty() {
        let rows = with_list(
            DbKind::of(conn),
            format!(
                "SELECT account_id, channel, paused_since, why, resumed_at FROM account_health \
                 WHERE workspace = $1 AND account_id IN ({}) ORDER BY account_id, channel",
                placeholders(2, email_accounts.len())
            ),
            ws,
            email_accounts.iter().copied(),
        )
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            let account: String = r.try_get("account_id")?;
            w.health.entry(account).or_default().push(HealthRow {
                channel: r.try_get("channel")?,
                paused_since: opt_time(r.try_get("paused_since")?),
                why: r.try_get("why")?,
                resumed_at: opt_time(r.try_get("resumed_at")?),
            });
        }
    }

    // Leads, with their last inbound WhatsApp message.
    let rows = with_list(
        DbKind::of(conn),
        format!(
            "SELECT l.id, l.body, i.last_at AS wa FROM leads l LEFT JOIN lead_inbound i \
             ON i.workspace = l.workspace AND i.lead_id = l.id AND i.channel = 'whatsapp' \
             WHERE l.workspace = $1 AND l.id IN ({})",
            placeholders(2, lead_ids.len())
        ),
        ws,
        lead_ids.iter().copied(),
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let id: String = r.try_get("id")?;
        let body: String = r.try_get("body")?;
        if let Some(wa) = r.try_get::<Option<i64>, _>("wa")? {
            w.whatsapp_inbound.insert(id.clone(), wa);
        }
        let lead = parse_lead(ws, &id, &body)?;
        w.leads.insert(id, lead);
    }

    // Every stored form of every contact and number of the batch's leads.
    let mut contact_forms: BTreeSet<String> = BTreeSet::new();
    let mut number_forms: BTreeSet<String> = BTreeSet::new();
    for l in w.leads.values() {
        for (stored, _) in privacy.lookup_forms(&lead_contacts(Some(l))) {
            contact_forms.insert(stored);
        }
        for (stored, _) in privacy.lookup_forms(&lead_numbers(Some(l))) {
            number_forms.insert(stored);
        }
    }

    // Consent voids.
    if !contact_forms.is_empty() {
        let rows = with_list(
            DbKind::of(conn),
            format!(
                "SELECT contact, MAX(at) AS at FROM consent_voids WHERE workspace = $1 \
                 AND contact IN ({}) GROUP BY contact",
                placeholders(2, contact_forms.len())
            ),
            ws,
            contact_forms.iter().map(String::as_str),
        )
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            w.voids.insert(r.try_get("contact")?, r.try_get("at")?);
        }
    }

    // DNC rows naming a lead or any of its contacts.
    w.dnc = dnc_rows_naming(conn, ws, &lead_ids, &contact_forms).await?;

    // Sends: the accounts' since the longest horizon any touch needs, the leads' and the
    // numbers' within the recipient horizon.
    let account_after = keys
        .iter()
        .map(|k| {
            let limits = w
                .accounts
                .get(k.account_id)
                .and_then(|a| a.facts.limits.get(&k.channel));
            ms(before(at, account_send_horizon(limits)))
        })
        .min()
        .unwrap_or_else(|| ms(at));
    let recipient_after = ms(before(at, RECIPIENT_SEND_HORIZON));
    // One branch per index (sends_account, sends_lead, sends_recipient), joined by UNION ALL.
    // SQLite keeps no statistics of these tables, and it planned the three-way OR this was as
    // one scan of the workspace's sends (7 ms a batch with 20,000 sends, and growing with the
    // table); each branch alone searches its index. A send two branches find is kept once.
    let branches = [
        (
            "account_id",
            account_after,
            account_ids.iter().copied().collect(),
        ),
        (
            "lead_id",
            recipient_after,
            lead_ids.iter().copied().collect(),
        ),
        (
            "recipient",
            recipient_after,
            number_forms
                .iter()
                .map(String::as_str)
                .collect::<Vec<&str>>(),
        ),
    ];
    let mut sql = Vec::new();
    let mut next = 1;
    for (column, _, values) in branches.iter().filter(|b| !b.2.is_empty()) {
        sql.push(format!(
            "SELECT touch_id, account_id, lead_id, recipient, channel, purpose, action, at \
             FROM sends WHERE workspace = ${next} AND at > ${} AND {column} IN ({})",
            next + 1,
            placeholders(next + 2, values.len())
        ));
        next += 2 + values.len();
    }
    let sql = in_bind_order(DbKind::of(conn), sql.join(" UNION ALL "));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (_, after, values) in branches.iter().filter(|b| !b.2.is_empty()) {
        q = q.bind(ws).bind(*after);
        for v in values {
            q = q.bind(*v);
        }
    }
    let mut found = HashSet::new();
    for r in q.fetch_all(&mut *conn).await? {
        let touch: String = r.try_get("touch_id")?;
        if !found.insert(touch.clone()) {
            continue;
        }
        let action: String = r.try_get("action")?;
        let at_ms: i64 = r.try_get("at")?;
        w.sends.push(StoredSend {
            at_ms,
            record: gate::SendRecord {
                at: from_ms(at_ms),
                account_id: r.try_get("account_id")?,
                lead_id: r.try_get("lead_id")?,
                recipient: r.try_get("recipient")?,
                channel: parse_column(&r, "channel", || format!("send of touch {touch} channel"))?,
                purpose: parse_purpose(&r.try_get::<String, _>("purpose")?)
                    .map_err(|e| corrupt(format!("send of touch {touch} purpose"), e))?,
                action: if action == "invite" {
                    gate::LinkedInAction::Invite
                } else {
                    gate::LinkedInAction::Message
                },
            },
        });
    }

    // First sends, for the senders with a warm-up.
    let warmup: BTreeSet<(&str, gate::Channel)> = keys
        .iter()
        .filter(|k| {
            w.accounts
                .get(k.account_id)
                .and_then(|a| a.facts.limits.get(&k.channel))
                .and_then(|l| l.warmup)
                .is_some()
        })
        .map(|k| (k.account_id, k.channel))
        .collect();
    if !warmup.is_empty() {
        let ids: BTreeSet<&str> = warmup.iter().map(|(a, _)| *a).collect();
        let rows = with_list(
            DbKind::of(conn),
            format!(
                "SELECT account_id, channel, MIN(at) AS t FROM sends WHERE workspace = $1 \
                 AND account_id IN ({}) GROUP BY account_id, channel",
                placeholders(2, ids.len())
            ),
            ws,
            ids.iter().copied(),
        )
        .fetch_all(&mut *conn)
        .await?;
        for (a, c) in &warmup {
            w.first_sends.insert(((*a).to_owned(), *c), None);
        }
        for r in rows {
            let account: String = r.try_get("account_id")?;
            let channel: String = r.try_get("channel")?;
            let Ok(channel) = channel.parse::<gate::Channel>() else {
                continue;
            };
            if let Some(first) = w.first_sends.get_mut(&(account, channel)) {
                *first = r.try_get::<Option<i64>, _>("t")?;
            }
        }
    }

    w.blackouts = active_blackouts(conn, ws, at).await?;
    Ok(w)
}
