//! The one storage seam: every read and write of Touchgate's own tables, on SQLite or
//! PostgreSQL through sqlx's `Any` driver. SQL is written once in the subset both speak
//! (`$N` placeholders, `ON CONFLICT`, `RETURNING`); instants are integer milliseconds (UTC) and
//! JSON documents are text, so the two databases store the same values.
//!
//! Concurrency: the dispatch transaction starts with writes — the conditional claim of the
//! touch, then the (account, channel) row of `cap_locks` — so on PostgreSQL two dispatchers
//! serialise on a sender's caps by row lock, and on SQLite the transaction holds the write lock
//! before it reads (no lock upgrade, no `SQLITE_BUSY_SNAPSHOT`).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::domain::{AccountBody, DncBody, LeadBody, LeadContacts, TouchBody};

/// Dynamic SQL here only ever splices constants, `$N` placeholders and clamped integers; every
/// value travels as a bind parameter.
macro_rules! safe {
    ($($t:tt)*) => { sqlx::AssertSqlSafe(format!($($t)*)) };
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Our migrations table (apalis-sqlite uses sqlx's default `_sqlx_migrations`).
const MIGRATIONS_TABLE: &str = "touchgate_migrations";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error")]
    Db(#[from] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored document {what} is unreadable")]
    Corrupt {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// A conditional write lost every retry to concurrent writers.
    #[error("{what} kept changing; the update was not applied")]
    Contended { what: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Attempts of a conditional document write before it gives up.
pub const TEMPLATE_UPDATE_TRIES: u32 = 5;

/// Called between a read and its conditional write (tests): workspace, id, attempt (1-based).
pub type BetweenHook<'a> =
    dyn Fn(&str, &str, u32) -> futures::future::BoxFuture<'static, ()> + Send + Sync + 'a;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// Milliseconds since the epoch, the storage form of an instant.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn opt_time(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(from_ms)
}

/// The life of a touch. See the README's state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TouchStatus {
    /// Accepted, not yet decided by the gate.
    Queued,
    /// Decided "not yet" (or a provider asked to wait): waits for `next_attempt_at`. A
    /// policy snooze uses no attempt.
    Scheduled,
    /// Allowed by the gate, cap reserved, handed to the channel worker. Never re-sent on its
    /// own: a crash here ends in `needs_review`.
    Sending,
    /// The provider accepted it (`sent_at`, `provider_message_id`).
    Sent,
    /// The gate blocked it for good, or the next chance falls after the deadline.
    Blocked,
    /// The provider refused it for good, or transient errors used up the attempts.
    Failed,
    /// The deadline passed before it could be decided.
    Expired,
    /// Cancelled by a client before it was sent.
    Cancelled,
    /// Outcome unknown (the process died mid-send, a timeout after the request left): a person
    /// must look; never resent automatically.
    NeedsReview,
}

impl TouchStatus {
    pub const ALL: [TouchStatus; 9] = [
        TouchStatus::Queued,
        TouchStatus::Scheduled,
        TouchStatus::Sending,
        TouchStatus::Sent,
        TouchStatus::Blocked,
        TouchStatus::Failed,
        TouchStatus::Expired,
        TouchStatus::Cancelled,
        TouchStatus::NeedsReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TouchStatus::Queued => "queued",
            TouchStatus::Scheduled => "scheduled",
            TouchStatus::Sending => "sending",
            TouchStatus::Sent => "sent",
            TouchStatus::Blocked => "blocked",
            TouchStatus::Failed => "failed",
            TouchStatus::Expired => "expired",
            TouchStatus::Cancelled => "cancelled",
            TouchStatus::NeedsReview => "needs_review",
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(
            self,
            TouchStatus::Queued | TouchStatus::Scheduled | TouchStatus::Sending
        )
    }
}

impl FromStr for TouchStatus {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        TouchStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown status `{s}`"))
    }
}

/// A touch as stored.
#[derive(Clone, Debug, Serialize)]
pub struct TouchRow {
    #[serde(skip)]
    pub workspace: String,
    pub id: String,
    pub idempotency_key: String,
    pub account_id: String,
    pub lead_id: String,
    pub channel: String,
    pub purpose: String,
    #[serde(skip)]
    pub request: TouchBody,
    pub status: TouchStatus,
    pub reason: Option<String>,
    pub retry_after: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub deadline: DateTime<Utc>,
    pub attempts: i64,
    pub campaign_id: Option<String>,
    pub step: Option<i64>,
    pub sent_at: Option<DateTime<Utc>>,
    pub provider_message_id: Option<String>,
    /// The contact the touch went to (the lead's address for its channel when the gate allowed
    /// it); null until then. Later edits of the lead do not change it.
    pub recipient: Option<String>,
    pub sandbox_message: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const TOUCH_COLUMNS: &str = "workspace, id, idempotency_key, account_id, lead_id, channel, purpose, request, status, reason, retry_after, decided_at, next_attempt_at, deadline, attempts, campaign_id, step, sent_at, provider_message_id, recipient, sandbox_message, error, created_at, updated_at";

fn touch_from_row(r: &AnyRow) -> Result<TouchRow> {
    let id: String = r.try_get("id")?;
    let request: String = r.try_get("request")?;
    let request = serde_json::from_str(&request).map_err(|source| StoreError::Corrupt {
        what: format!("touch {id} request"),
        source,
    })?;
    let status: String = r.try_get("status")?;
    let sandbox: Option<String> = r.try_get("sandbox_message")?;
    let st: TouchStatus = status.parse().unwrap_or(TouchStatus::NeedsReview);
    Ok(TouchRow {
        workspace: r.try_get("workspace")?,
        idempotency_key: r.try_get("idempotency_key")?,
        account_id: r.try_get("account_id")?,
        lead_id: r.try_get("lead_id")?,
        channel: r.try_get("channel")?,
        purpose: r.try_get("purpose")?,
        request,
        status: st,
        reason: r.try_get("reason")?,
        retry_after: opt_time(r.try_get("retry_after")?),
        decided_at: opt_time(r.try_get("decided_at")?),
        next_attempt_at: if matches!(st, TouchStatus::Queued | TouchStatus::Scheduled) {
            Some(from_ms(r.try_get("next_attempt_at")?))
        } else {
            None
        },
        deadline: from_ms(r.try_get("deadline")?),
        attempts: r.try_get("attempts")?,
        campaign_id: r.try_get("campaign_id")?,
        step: r.try_get("step")?,
        sent_at: opt_time(r.try_get("sent_at")?),
        provider_message_id: r.try_get("provider_message_id")?,
        recipient: r.try_get("recipient")?,
        sandbox_message: sandbox.and_then(|s| serde_json::from_str(&s).ok()),
        error: r.try_get("error")?,
        created_at: from_ms(r.try_get("created_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
        id,
    })
}

/// One entry of a touch's timeline.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionRow {
    pub at: DateTime<Utc>,
    /// `gate` for a gate decision; `dnc_recheck`, `provider`, `recovery`, `cancel` for the
    /// other events that changed the touch.
    pub kind: String,
    pub allowed: bool,
    pub reason: Option<String>,
    pub retry_after: Option<DateTime<Utc>>,
    pub checks: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A DNC row as stored.
#[derive(Clone, Debug, Serialize)]
pub struct DncRow {
    pub id: String,
    pub contact: Option<String>,
    pub lead_id: Option<String>,
    pub channel: String,
    pub reason: String,
    pub source: Option<String>,
    pub added_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_reason: Option<String>,
}

impl DncRow {
    /// The gate's view; `None` for a row whose scope or reason no longer parses.
    pub fn to_facts(&self) -> Option<gate::DncEntry> {
        Some(gate::DncEntry {
            id: self.id.clone(),
            contact: self.contact.clone(),
            lead_id: self.lead_id.clone(),
            channel: self.channel.parse().ok()?,
            reason: self.reason.parse().ok()?,
            expires_at: self.expires_at,
        })
    }
}

fn dnc_from_row(r: &AnyRow) -> Result<DncRow> {
    Ok(DncRow {
        id: r.try_get("id")?,
        contact: r.try_get("contact")?,
        lead_id: r.try_get("lead_id")?,
        channel: r.try_get("channel")?,
        reason: r.try_get("reason")?,
        source: r.try_get("source")?,
        added_by: r.try_get("added_by")?,
        created_at: from_ms(r.try_get("created_at")?),
        expires_at: opt_time(r.try_get("expires_at")?),
        removed_at: opt_time(r.try_get("removed_at")?),
        removed_by: r.try_get("removed_by")?,
        removed_reason: r.try_get("removed_reason")?,
    })
}

const DNC_COLUMNS: &str = "id, contact, lead_id, channel, reason, source, added_by, created_at, expires_at, removed_at, removed_by, removed_reason";

/// The predicate of the partial unique index `dnc_open_contact_reason` (migration
/// 20261125000004): at most one such row per (workspace, contact, channel, reason). An
/// `ON CONFLICT` target must repeat it for both databases to pick the index.
const DNC_UNIQUE_OPEN: &str = "removed_at IS NULL AND expires_at IS NULL AND lead_id IS NULL \
     AND reason IN ('opt_out_reply', 'provider_unsubscribed', 'customer_request')";

/// Filters of `GET /v1/touches`.
#[derive(Clone, Debug, Default)]
pub struct TouchFilter {
    pub status: Option<TouchStatus>,
    pub reason: Option<String>,
    pub channel: Option<String>,
    pub account_id: Option<String>,
    pub lead_id: Option<String>,
    pub campaign_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What a new touch needs besides its request.
#[derive(Clone, Debug)]
pub struct NewTouch {
    pub workspace: String,
    pub id: String,
    pub idempotency_key: String,
    pub request: TouchBody,
    pub next_attempt_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// The facts of one touch, loaded inside the dispatch transaction.
#[derive(Debug)]
pub struct LoadedFacts {
    pub account: Option<AccountBody>,
    pub lead: Option<LeadBody>,
    pub last_inbound_whatsapp_at: Option<DateTime<Utc>>,
    pub dnc: Vec<gate::DncEntry>,
    pub sends: Vec<gate::SendRecord>,
}

/// How a dispatch transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextState {
    Sending,
    Scheduled { at: DateTime<Utc> },
    Blocked,
    Expired,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    kind: DbKind,
}

impl Store {
    /// Opens (creating a SQLite file if missing) and migrates.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (kind, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            let sep = if rest.contains('?') { '&' } else { '?' };
            let url = if rest.contains("mode=") {
                url.to_owned()
            } else {
                format!("{url}{sep}mode=rwc")
            };
            (DbKind::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (DbKind::Postgres, url.to_owned())
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let max = if kind == DbKind::Sqlite && url.contains(":memory:") {
            1
        } else {
            max_connections
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if kind == DbKind::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Store { pool, kind };
        store.migrate().await?;
        Ok(store)
    }

    /// A transaction that will write. On SQLite it takes the write lock at `BEGIN IMMEDIATE`
    /// (waiting up to `busy_timeout`), so it never has to upgrade a read snapshot that another
    /// writer has made stale (`SQLITE_BUSY_SNAPSHOT`, which no timeout retries).
    pub async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.kind {
            DbKind::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            DbKind::Postgres => self.pool.begin().await?,
        })
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn migrate(&self) -> Result<()> {
        let mut m = match self.kind {
            DbKind::Sqlite => clone_migrator(&SQLITE_MIGRATIONS),
            DbKind::Postgres => clone_migrator(&POSTGRES_MIGRATIONS),
        };
        m.dangerous_set_table_name(MIGRATIONS_TABLE);
        m.run(&self.pool).await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // ---- accounts ----

    /// Creates or replaces; returns true when it was created. `updated_at` doubles as the
    /// document's version: every write makes it strictly larger (even at the same millisecond),
    /// so a conditional write ([`Store::update_whatsapp_template_status`]) sees any edit made
    /// since it read the document.
    pub async fn put_account(
        &self,
        ws: &str,
        id: &str,
        body: &AccountBody,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let json = to_json(body);
        let existed = sqlx::query("SELECT 1 AS one FROM accounts WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        sqlx::query(
            "INSERT INTO accounts (workspace, id, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace, id) DO UPDATE SET body = excluded.body, updated_at = \
             CASE WHEN excluded.updated_at > accounts.updated_at THEN excluded.updated_at ELSE accounts.updated_at + 1 END",
        )
        .bind(ws)
        .bind(id)
        .bind(json)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(!existed)
    }

    pub async fn get_account(&self, ws: &str, id: &str) -> Result<Option<AccountBody>> {
        let row = sqlx::query("SELECT body FROM accounts WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse_doc(&r, &format!("account {id}")))
            .transpose()
    }

    // ---- leads ----

    pub async fn put_lead(
        &self,
        ws: &str,
        id: &str,
        body: &LeadBody,
        contacts: &LeadContacts,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let existed = sqlx::query("SELECT 1 AS one FROM leads WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        sqlx::query(
            "INSERT INTO leads (workspace, id, body, phone, email, linkedin, whatsapp, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (workspace, id) DO UPDATE SET body = excluded.body, phone = excluded.phone, \
             email = excluded.email, linkedin = excluded.linkedin, whatsapp = excluded.whatsapp, \
             updated_at = excluded.updated_at",
        )
        .bind(ws)
        .bind(id)
        .bind(to_json(body))
        .bind(contacts.phone.clone())
        .bind(contacts.email.clone())
        .bind(contacts.linkedin.clone())
        .bind(contacts.whatsapp.clone())
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(!existed)
    }

    pub async fn get_lead(&self, ws: &str, id: &str) -> Result<Option<LeadBody>> {
        let row = sqlx::query("SELECT body FROM leads WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse_doc(&r, &format!("lead {id}")))
            .transpose()
    }

    /// Ids of the leads that have `contact` (canonical) as any of their contacts.
    pub async fn leads_with_contact(&self, ws: &str, contact: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM leads WHERE workspace = $1 AND (phone = $2 OR email = $2 OR linkedin = $2 OR whatsapp = $2) ORDER BY id",
        )
        .bind(ws)
        .bind(contact)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Every workspace that has a lead with `contact` (canonical) as any of its contacts, in
    /// name order: where a provider webhook (which names no workspace) belongs.
    pub async fn workspaces_with_contact(&self, contact: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT workspace FROM leads WHERE phone = $1 UNION SELECT workspace FROM leads WHERE email = $1 \
             UNION SELECT workspace FROM leads WHERE linkedin = $1 UNION SELECT workspace FROM leads WHERE whatsapp = $1 \
             ORDER BY workspace",
        )
        .bind(contact)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("workspace")?)).collect()
    }

    pub async fn record_inbound(
        &self,
        ws: &str,
        lead_ids: &[String],
        channel: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for lead in lead_ids {
            sqlx::query(
                "INSERT INTO lead_inbound (workspace, lead_id, channel, last_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace, lead_id, channel) DO UPDATE SET last_at = \
                 CASE WHEN excluded.last_at > lead_inbound.last_at THEN excluded.last_at ELSE lead_inbound.last_at END",
            )
            .bind(ws)
            .bind(lead.as_str())
            .bind(channel)
            .bind(ms(at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn log_inbound(
        &self,
        ws: &str,
        at: DateTime<Utc>,
        channel: &str,
        sender: &str,
        body: &str,
        intent: &str,
        matched: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO inbound_messages (workspace, received_at, channel, sender, body, intent, matched) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(ws)
        .bind(ms(at))
        .bind(channel)
        .bind(sender)
        .bind(body)
        .bind(intent)
        .bind(matched)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ---- touches ----

    /// Inserts a touch unless its idempotency key exists; returns the stored touch and whether
    /// this call created it. The unique key decides, so concurrent duplicates create one.
    pub async fn create_touch(&self, t: &NewTouch) -> Result<(TouchRow, bool)> {
        let r = &t.request;
        let inserted = sqlx::query(
            "INSERT INTO touches (workspace, id, idempotency_key, account_id, lead_id, channel, purpose, request, \
             status, next_attempt_at, deadline, attempts, campaign_id, step, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, 0, $11, $12, $13, $13) \
             ON CONFLICT (workspace, idempotency_key) DO NOTHING",
        )
        .bind(t.workspace.as_str())
        .bind(t.id.as_str())
        .bind(t.idempotency_key.as_str())
        .bind(r.account_id.as_str())
        .bind(r.lead_id.as_str())
        .bind(r.channel.as_str())
        .bind(match r.purpose.unwrap_or_default() {
            gate::Purpose::Marketing => "marketing",
            gate::Purpose::Transactional => "transactional",
        })
        .bind(to_json(r))
        .bind(ms(t.next_attempt_at))
        .bind(ms(t.deadline))
        .bind(r.campaign_id.clone())
        .bind(r.step)
        .bind(ms(t.now))
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND idempotency_key = $2"
        ))
        .bind(t.workspace.as_str())
        .bind(t.idempotency_key.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok((touch_from_row(&row)?, inserted))
    }

    pub async fn get_touch(&self, ws: &str, id: &str) -> Result<Option<TouchRow>> {
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND id = $2"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    /// The touch stored under an idempotency key in the workspace.
    pub async fn touch_by_idempotency_key(&self, ws: &str, key: &str) -> Result<Option<TouchRow>> {
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND idempotency_key = $2"
        ))
        .bind(ws)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    /// A touch by id whatever its workspace (the dispatcher's view).
    pub async fn touch_by_id(&self, id: &str) -> Result<Option<TouchRow>> {
        let row = sqlx::query(safe!("SELECT {TOUCH_COLUMNS} FROM touches WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    pub async fn decisions(&self, touch_id: &str) -> Result<Vec<DecisionRow>> {
        let rows = sqlx::query(
            "SELECT at, kind, allowed, reason, retry_after, checks, detail FROM decisions WHERE touch_id = $1 ORDER BY seq",
        )
        .bind(touch_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let checks: String = r.try_get("checks")?;
                let allowed: i64 = r.try_get("allowed")?;
                Ok(DecisionRow {
                    at: from_ms(r.try_get("at")?),
                    kind: r.try_get("kind")?,
                    allowed: allowed != 0,
                    reason: r.try_get("reason")?,
                    retry_after: opt_time(r.try_get("retry_after")?),
                    checks: serde_json::from_str(&checks).unwrap_or(serde_json::Value::Null),
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    fn filter_sql(f: &TouchFilter, first: usize) -> (String, Vec<String>, Vec<i64>) {
        // Text binds come first, then integer binds, each numbered in order of appearance.
        let mut sql = String::new();
        let mut texts = Vec::new();
        let mut ints = Vec::new();
        let mut n = first;
        let mut text = |col: &str, v: &Option<String>, sql: &mut String| {
            if let Some(v) = v {
                sql.push_str(&format!(" AND {col} = ${n}"));
                n += 1;
                texts.push(v.clone());
            }
        };
        text("status", &f.status.map(|s| s.as_str().to_owned()), &mut sql);
        text("reason", &f.reason, &mut sql);
        text("channel", &f.channel, &mut sql);
        text("account_id", &f.account_id, &mut sql);
        text("lead_id", &f.lead_id, &mut sql);
        text("campaign_id", &f.campaign_id, &mut sql);
        if let Some(from) = f.from {
            sql.push_str(&format!(" AND created_at >= ${n}"));
            n += 1;
            ints.push(ms(from));
        }
        if let Some(to) = f.to {
            sql.push_str(&format!(" AND created_at < ${n}"));
            ints.push(ms(to));
        }
        (sql, texts, ints)
    }

    /// One page of touches, newest first; `cursor` is the last id of the previous page.
    pub async fn list_touches(
        &self,
        ws: &str,
        f: &TouchFilter,
        limit: i64,
        cursor: Option<&str>,
    ) -> Result<Vec<TouchRow>> {
        let cursor_sql = if cursor.is_some() { " AND id < $2" } else { "" };
        let first = if cursor.is_some() { 3 } else { 2 };
        let (where_sql, texts, ints) = Self::filter_sql(f, first);
        let sql = format!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1{cursor_sql}{where_sql} ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 1000)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws);
        if let Some(c) = cursor {
            q = q.bind(c);
        }
        for t in texts {
            q = q.bind(t);
        }
        for i in ints {
            q = q.bind(i);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(touch_from_row).collect()
    }

    pub async fn cancel_touch(
        &self,
        ws: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TouchRow>> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE touches SET status = 'cancelled', updated_at = $1 WHERE workspace = $2 AND id = $3 \
             AND status IN ('queued', 'scheduled')",
        )
        .bind(ms(now))
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            insert_event(
                &mut tx,
                ws,
                id,
                now,
                "cancel",
                false,
                None,
                Some("cancelled by client"),
            )
            .await?;
        }
        tx.commit().await?;
        self.get_touch(ws, id).await
    }

    // ---- DNC ----

    /// Adds an entry, unless an open entry of the same shape exists: for a contact-level,
    /// open-ended entry (no `lead_id`, no `expires_at`) with reason `opt_out_reply`,
    /// `provider_unsubscribed` or `customer_request`, the database keeps one open row per
    /// (workspace, contact, channel, reason) (index `dnc_open_contact_reason`), and the existing
    /// one is returned instead. See [`Store::ensure_dnc`].
    pub async fn add_dnc(
        &self,
        ws: &str,
        id: &str,
        body: &DncBody,
        contact: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<DncRow> {
        Ok(self.ensure_dnc(ws, id, body, contact, now).await?.0)
    }

    /// Inserts the entry as `id` unless the unique open entry of its shape exists (then nothing
    /// is written); returns the stored row and whether this call created it. The database
    /// decides, so concurrent calls (two daemons taking the same STOP) create one row. Entries
    /// outside the unique shape (tied to a lead, expiring, other reasons) are always inserted.
    pub async fn ensure_dnc(
        &self,
        ws: &str,
        id: &str,
        body: &DncBody,
        contact: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(DncRow, bool)> {
        // The existing row may be removed between the insert and the re-select (an operator's
        // DELETE); then the insert is tried again.
        for _ in 0..5 {
            sqlx::query(safe!(
                "INSERT INTO dnc (workspace, id, contact, lead_id, channel, reason, source, added_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (workspace, contact, channel, reason) WHERE {DNC_UNIQUE_OPEN} DO NOTHING"
            ))
            .bind(ws)
            .bind(id)
            .bind(contact)
            .bind(body.lead_id.clone())
            .bind(body.channel.as_str())
            .bind(body.reason.as_str())
            .bind(body.source.clone())
            .bind(body.added_by.clone())
            .bind(ms(now))
            .bind(body.expires_at.map(ms))
            .execute(&self.pool)
            .await?;
            if let Some(row) = self.get_dnc(ws, id).await? {
                return Ok((row, true));
            }
            let existing = sqlx::query(safe!(
                "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND contact = $2 AND channel = $3 AND reason = $4 \
                 AND {DNC_UNIQUE_OPEN}"
            ))
            .bind(ws)
            .bind(contact)
            .bind(body.channel.as_str())
            .bind(body.reason.as_str())
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = existing {
                return Ok((dnc_from_row(&r)?, false));
            }
        }
        Err(StoreError::Db(sqlx::Error::RowNotFound))
    }

    pub async fn get_dnc(&self, ws: &str, id: &str) -> Result<Option<DncRow>> {
        let row = sqlx::query(safe!(
            "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND id = $2"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| dnc_from_row(&r)).transpose()
    }

    /// Entries (not removed) for a contact, or all of the workspace's when `contact` is None.
    pub async fn list_dnc(
        &self,
        ws: &str,
        contact: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DncRow>> {
        let rows = match contact {
            Some(c) => {
                sqlx::query(safe!(
                    "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND contact = $2 AND removed_at IS NULL ORDER BY created_at, id LIMIT {}",
                    limit.clamp(1, 10_000)
                ))
                .bind(ws)
                .bind(c)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(safe!(
                    "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND removed_at IS NULL ORDER BY created_at, id LIMIT {}",
                    limit.clamp(1, 10_000)
                ))
                .bind(ws)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(dnc_from_row).collect()
    }

    /// Soft-removes an entry and audits who and why; false when there was none to remove.
    pub async fn remove_dnc(
        &self,
        ws: &str,
        id: &str,
        by: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE dnc SET removed_at = $1, removed_by = $2, removed_reason = $3 WHERE workspace = $4 AND id = $5 AND removed_at IS NULL",
        )
        .bind(ms(now))
        .bind(by)
        .bind(reason)
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            sqlx::query(
                "INSERT INTO audit_log (workspace, at, actor, action, subject, detail) VALUES ($1, $2, $3, 'dnc_remove', $4, $5)",
            )
            .bind(ws)
            .bind(ms(now))
            .bind(by)
            .bind(id)
            .bind(serde_json::json!({ "reason": reason }).to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }

    /// Active-or-expiring DNC rows that name any of `contacts` or the lead.
    pub async fn dnc_for(
        &self,
        ws: &str,
        lead_id: &str,
        contacts: &[String],
    ) -> Result<Vec<gate::DncEntry>> {
        let mut conn = self.pool.acquire().await?;
        dnc_for_conn(&mut conn, ws, lead_id, contacts).await
    }

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

    /// Marks a touch that was `sending` as sent.
    pub async fn mark_sent(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        provider_message_id: &str,
        sandbox_message: Option<&serde_json::Value>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // A late acceptance (the stale-sending sweep already declared the outcome unknown) is
        // still the truth: record it, so nobody resends a message the provider has.
        let mut late = false;
        let mut ws: Option<String> = None;
        for from in ["sending", "needs_review"] {
            let row = sqlx::query(
                "UPDATE touches SET status = 'sent', sent_at = $1, provider_message_id = $2, sandbox_message = $3, \
                 updated_at = $1 WHERE id = $4 AND status = $5 RETURNING workspace",
            )
            .bind(ms(now))
            .bind(provider_message_id)
            .bind(sandbox_message.map(|v| v.to_string()))
            .bind(touch_id)
            .bind(from)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = row {
                ws = Some(r.try_get("workspace")?);
                late = from == "needs_review";
                break;
            }
        }
        if let Some(ws) = ws {
            let detail = if late {
                format!(
                    "sent (late: the provider accepted it after the touch was marked needs_review), provider message id {provider_message_id}"
                )
            } else {
                format!("sent, provider message id {provider_message_id}")
            };
            insert_event(
                &mut tx,
                &ws,
                touch_id,
                now,
                "provider",
                false,
                None,
                Some(&detail),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends or reschedules a touch that was `sending` after something other than success.
    /// `release_reservation`: the message did not go out, so its cap slot is given back.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_unsent(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        status: TouchStatus,
        next_attempt_at: Option<DateTime<Utc>>,
        reason: Option<&str>,
        kind: &str,
        detail: &str,
        count_attempt: bool,
        release_reservation: bool,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE touches SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), reason = COALESCE($3, reason), \
             error = $4, attempts = attempts + $5, updated_at = $6 WHERE id = $7 AND status = 'sending' RETURNING workspace",
        )
        .bind(status.as_str())
        .bind(next_attempt_at.map(ms))
        .bind(reason)
        .bind(detail)
        .bind(i64::from(count_attempt))
        .bind(ms(now))
        .bind(touch_id)
        .fetch_optional(&mut *tx)
        .await?;
        // Nothing changed (the touch was recovered or cancelled meanwhile): keep its
        // reservation and its timeline as they are.
        let Some(changed) = changed else {
            tx.rollback().await?;
            return Ok(());
        };
        let ws: String = changed.try_get("workspace")?;
        if release_reservation {
            sqlx::query("DELETE FROM sends WHERE touch_id = $1")
                .bind(touch_id)
                .execute(&mut *tx)
                .await?;
        }
        insert_event(
            &mut tx,
            &ws,
            touch_id,
            now,
            kind,
            false,
            reason,
            Some(detail),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

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
            self.finish_unsent(
                &id,
                now,
                TouchStatus::NeedsReview,
                None,
                None,
                "recovery",
                "the dispatcher stopped while this touch was being sent; the provider may or may not have it. Not resent automatically.",
                false,
                false,
            )
            .await?;
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
            self.finish_unsent(
                &id,
                now,
                TouchStatus::NeedsReview,
                None,
                None,
                "recovery",
                "this touch stayed in sending past the provider timeout (its dispatcher stopped or hung); the provider may or may not have it. Not resent automatically.",
                false,
                false,
            )
            .await?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// When the lead last wrote to us on `channel`.
    pub async fn last_inbound(
        &self,
        ws: &str,
        lead_id: &str,
        channel: &str,
    ) -> Result<Option<DateTime<Utc>>> {
        let row = sqlx::query("SELECT last_at FROM lead_inbound WHERE workspace = $1 AND lead_id = $2 AND channel = $3")
            .bind(ws)
            .bind(lead_id)
            .bind(channel)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(from_ms(r.try_get("last_at")?))).transpose()
    }

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
    pub async fn status_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM touches GROUP BY status ORDER BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }

    // ---- inbound webhooks and the opt-out confirmation ----

    /// The touch a provider knows by `provider_message_id` (any workspace; newest if several).
    pub async fn touch_by_provider_message_id(
        &self,
        provider_message_id: &str,
    ) -> Result<Option<TouchRow>> {
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE provider_message_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(provider_message_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    /// Adds one entry to a touch's timeline (`delivery` for a provider's delivery status,
    /// `opt_out_confirmation` for the confirmation's permit) without changing the touch.
    pub async fn record_touch_event(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        kind: &str,
        allowed: bool,
        reason: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let ws = workspace_of(&mut tx, touch_id).await?;
        insert_event(
            &mut tx,
            &ws,
            touch_id,
            now,
            kind,
            allowed,
            reason,
            Some(detail),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the status of WhatsApp template `name` (in `language`, or every language when
    /// None) in every account of the workspace whose `whatsapp_templates` lists it; returns the
    /// ids of the accounts changed. See [`Store::update_whatsapp_template_status_everywhere`].
    pub async fn update_whatsapp_template_status(
        &self,
        ws: &str,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let changed = self
            .template_status_update(Some(ws), name, language, status, now, None)
            .await?;
        Ok(changed.into_iter().map(|(_, id)| id).collect())
    }

    /// The same in every workspace (Meta's template webhook names no workspace); returns the
    /// (workspace, account id) pairs changed.
    ///
    /// Each document is rewritten as a JSON value (nothing else in it changes) by a conditional
    /// write: `UPDATE … WHERE workspace AND id AND updated_at = <as read>`. When an edit landed
    /// in between (0 rows changed), the document is read again and the change re-applied to
    /// the new version (up to [`TEMPLATE_UPDATE_TRIES`] times), so a concurrent
    /// `PUT /v1/accounts/{id}` is never overwritten.
    pub async fn update_whatsapp_template_status_everywhere(
        &self,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>> {
        self.template_status_update(None, name, language, status, now, None)
            .await
    }

    /// [`Store::update_whatsapp_template_status`] with `between` run after each read of a
    /// document and before its conditional write: lets tests land a concurrent edit exactly
    /// in the window the condition guards.
    #[doc(hidden)]
    pub async fn update_whatsapp_template_status_interleaved(
        &self,
        ws: &str,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
        between: &BetweenHook<'_>,
    ) -> Result<Vec<String>> {
        let changed = self
            .template_status_update(Some(ws), name, language, status, now, Some(between))
            .await?;
        Ok(changed.into_iter().map(|(_, id)| id).collect())
    }

    async fn template_status_update(
        &self,
        ws: Option<&str>,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
        between: Option<&BetweenHook<'_>>,
    ) -> Result<Vec<(String, String)>> {
        // Candidates: accounts whose document mentions the name at all (the exact match is
        // decided on the parsed document; `%` and `_` in a name only widen the net). A
        // backslash is an escape in PostgreSQL's LIKE: such a name takes every account.
        let quoted = serde_json::Value::String(name.to_owned()).to_string();
        let pattern = if quoted.contains('\\') {
            "%".to_owned()
        } else {
            format!("%{quoted}%")
        };
        let rows = match ws {
            Some(ws) => {
                sqlx::query(
                    "SELECT workspace, id FROM accounts WHERE workspace = $1 AND body LIKE $2 ORDER BY workspace, id",
                )
                .bind(ws)
                .bind(pattern)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT workspace, id FROM accounts WHERE body LIKE $1 ORDER BY workspace, id",
                )
                .bind(pattern)
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut changed = Vec::new();
        for r in &rows {
            let ws: String = r.try_get("workspace")?;
            let id: String = r.try_get("id")?;
            if self
                .set_template_status(&ws, &id, name, language, status, now, between)
                .await?
            {
                changed.push((ws, id));
            }
        }
        Ok(changed)
    }

    /// One account: read, edit, conditional write; again on a lost race. True when written.
    #[allow(clippy::too_many_arguments)]
    async fn set_template_status(
        &self,
        ws: &str,
        id: &str,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
        between: Option<&BetweenHook<'_>>,
    ) -> Result<bool> {
        let new = serde_json::Value::String(status.as_str().to_owned());
        for attempt in 1..=TEMPLATE_UPDATE_TRIES {
            let Some(r) = sqlx::query(
                "SELECT body, updated_at FROM accounts WHERE workspace = $1 AND id = $2",
            )
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            else {
                return Ok(false);
            };
            let body: String = r.try_get("body")?;
            let read_at: i64 = r.try_get("updated_at")?;
            let mut doc: serde_json::Value =
                serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
                    what: format!("account {id}"),
                    source,
                })?;
            let Some(list) = doc
                .get_mut("whatsapp_templates")
                .and_then(serde_json::Value::as_array_mut)
            else {
                return Ok(false);
            };
            let mut touched = false;
            for t in list.iter_mut() {
                let same_name = t.get("name").and_then(serde_json::Value::as_str) == Some(name);
                let same_language = language.is_none_or(|l| {
                    t.get("language").and_then(serde_json::Value::as_str) == Some(l)
                });
                if same_name
                    && same_language
                    && let Some(map) = t.as_object_mut()
                    && map.get("status") != Some(&new)
                {
                    map.insert("status".to_owned(), new.clone());
                    touched = true;
                }
            }
            if !touched {
                return Ok(false);
            }
            if let Some(hook) = between {
                hook(ws, id, attempt).await;
            }
            // The version moves forward even within one millisecond.
            let written = sqlx::query(
                "UPDATE accounts SET body = $1, updated_at = $2 WHERE workspace = $3 AND id = $4 AND updated_at = $5",
            )
            .bind(doc.to_string())
            .bind(ms(now).max(read_at + 1))
            .bind(ws)
            .bind(id)
            .bind(read_at)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if written == 1 {
                return Ok(true);
            }
            tracing::debug!(
                workspace = ws,
                account_id = id,
                attempt,
                "account edited while its template status was being updated; reading it again"
            );
        }
        tracing::warn!(
            workspace = ws,
            account_id = id,
            template = name,
            "template status not applied: the account kept changing under {TEMPLATE_UPDATE_TRIES} attempts"
        );
        Err(StoreError::Contended {
            what: format!("account {id}"),
        })
    }

    /// The (account, lead) of the most recent touch to any of `lead_ids`, preferring touches on
    /// `channel`: who an opt-out confirmation comes from.
    pub async fn latest_touch_sender(
        &self,
        ws: &str,
        lead_ids: &[String],
        channel: &str,
    ) -> Result<Option<(String, String)>> {
        if lead_ids.is_empty() {
            return Ok(None);
        }
        let mut sql = String::from(
            "SELECT account_id, lead_id FROM touches WHERE workspace = $1 AND lead_id IN (",
        );
        for i in 0..lead_ids.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i + 3));
        }
        sql.push_str(
            ") ORDER BY CASE WHEN channel = $2 THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1",
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws).bind(channel);
        for l in lead_ids {
            q = q.bind(l.as_str());
        }
        let row = q.fetch_optional(&self.pool).await?;
        row.map(|r| Ok((r.try_get("account_id")?, r.try_get("lead_id")?)))
            .transpose()
    }

    /// Records the opt-out confirmation as a touch already `sending` (it never passes through
    /// the queue or the ordinary gate: the opt-out's DNC row would block it), with its send row,
    /// unless its idempotency key exists. Returns the stored touch and whether this call
    /// created it: the unique key makes a second confirmation of the same opt-out impossible.
    /// `recipient` is the person confirmed to (recorded on the touch).
    pub async fn create_confirmation_touch(
        &self,
        t: &NewTouch,
        recipient: &str,
    ) -> Result<(TouchRow, bool)> {
        let r = &t.request;
        let purpose = match r.purpose.unwrap_or_default() {
            gate::Purpose::Marketing => "marketing",
            gate::Purpose::Transactional => "transactional",
        };
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query(
            "INSERT INTO touches (workspace, id, idempotency_key, account_id, lead_id, channel, purpose, request, \
             status, decided_at, next_attempt_at, deadline, attempts, campaign_id, step, recipient, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sending', $9, $9, $10, 0, $11, $12, $13, $9, $9) \
             ON CONFLICT (workspace, idempotency_key) DO NOTHING",
        )
        .bind(t.workspace.as_str())
        .bind(t.id.as_str())
        .bind(t.idempotency_key.as_str())
        .bind(r.account_id.as_str())
        .bind(r.lead_id.as_str())
        .bind(r.channel.as_str())
        .bind(purpose)
        .bind(to_json(r))
        .bind(ms(t.now))
        .bind(ms(t.deadline))
        .bind(r.campaign_id.clone())
        .bind(r.step)
        .bind(recipient)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            sqlx::query(
                "INSERT INTO sends (workspace, touch_id, account_id, lead_id, channel, purpose, action, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'message', $7) ON CONFLICT (touch_id) DO NOTHING",
            )
            .bind(t.workspace.as_str())
            .bind(t.id.as_str())
            .bind(r.account_id.as_str())
            .bind(r.lead_id.as_str())
            .bind(r.channel.as_str())
            .bind(purpose)
            .bind(ms(t.now))
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND idempotency_key = $2"
        ))
        .bind(t.workspace.as_str())
        .bind(t.idempotency_key.as_str())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((touch_from_row(&row)?, inserted))
    }
}

fn clone_migrator(m: &sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    sqlx::migrate::Migrator {
        migrations: m.migrations.clone(),
        ignore_missing: m.ignore_missing,
        locking: m.locking,
        no_tx: m.no_tx,
        table_name: m.table_name.clone(),
        create_schemas: m.create_schemas.clone(),
    }
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

fn parse_doc<T: serde::de::DeserializeOwned>(r: &AnyRow, what: &str) -> Result<T> {
    let s: String = r.try_get("body")?;
    serde_json::from_str(&s).map_err(|source| StoreError::Corrupt {
        what: what.to_owned(),
        source,
    })
}

async fn workspace_of(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    touch_id: &str,
) -> Result<String> {
    let r = sqlx::query("SELECT workspace FROM touches WHERE id = $1")
        .bind(touch_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(r.try_get("workspace")?)
}

/// Adds a non-gate entry (provider answer, recovery, cancel, delivery …) to a touch's timeline.
#[allow(clippy::too_many_arguments)]
async fn insert_event(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ws: &str,
    touch_id: &str,
    now: DateTime<Utc>,
    kind: &str,
    allowed: bool,
    reason: Option<&str>,
    detail: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO decisions (workspace, touch_id, at, kind, allowed, reason, retry_after, checks, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, '[]', $7)",
    )
    .bind(ws)
    .bind(touch_id)
    .bind(ms(now))
    .bind(kind)
    .bind(i64::from(allowed))
    .bind(reason)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn dnc_for_conn(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    lead_id: &str,
    contacts: &[String],
) -> Result<Vec<gate::DncEntry>> {
    let mut sql = format!(
        "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND removed_at IS NULL AND (lead_id = $2"
    );
    for i in 0..contacts.len() {
        sql.push_str(&format!(" OR contact = ${}", i + 3));
    }
    sql.push(')');
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws).bind(lead_id);
    for c in contacts {
        q = q.bind(c.as_str());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(e) = dnc_from_row(r)?.to_facts() {
            out.push(e);
        }
    }
    Ok(out)
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

async fn sends_for_conn(
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
async fn sends_within(
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
