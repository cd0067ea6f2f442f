//! The one storage seam: every read and write of Touchgate's own tables, on SQLite or
//! PostgreSQL through sqlx's `Any` driver. SQL is written once in the subset both speak
//! (`$N` placeholders, `ON CONFLICT`, `RETURNING`); instants are integer milliseconds (UTC) and
//! JSON documents are text, so the two databases store the same values.
//!
//! Concurrency: the dispatch transaction starts with writes — the conditional claim of the
//! touch, then the (account, channel) row of `cap_locks` — so on PostgreSQL two dispatchers
//! serialise on a sender's caps by row lock, and on SQLite the transaction holds the write lock
//! before it reads (no lock upgrade, no `SQLITE_BUSY_SNAPSHOT`).
//!
//! One file per concern: [`rows`] (how rows map to types), [`documents`] (accounts and leads),
//! [`templates`] (WhatsApp template status updates), [`touches`] (creating, reading, listing),
//! [`lifecycle`] (every status change after the gate), [`dispatch`] (the dispatch transaction),
//! [`facts`] (the gate's facts, one loader for dispatch and the dry run), [`dnc`],
//! [`inbound`], [`confirmation`] (the opt-out confirmation touch), [`recovery`] (touches
//! interrupted mid-send) and [`installation`] (secrets and counts shared by every node).

mod alerts;
mod audit;
mod batch_facts;
mod bind_order;
mod blackouts;
mod cap_locks;
mod chain;
mod confirmation;
mod console;
mod dispatch;
mod dnc;
mod documents;
mod enqueue;
mod erasure;
mod facts;
mod health;
mod inbound;
mod installation;
mod lifecycle;
mod recovery;
mod registries;
mod rows;
mod templates;
mod tokens;
mod touches;

pub use crate::touch::TouchStatus;
pub use alerts::{AlertRow, CheckRecord, NewAlert, ScrubRow};
pub use batch_facts::BatchFacts;
pub use blackouts::BlackoutRow;
pub use chain::{ChainHead, LinkRow};
pub use console::{AuditRow, BlockedCount, InboundRow, SessionRow};
pub use dispatch::{Commit, Dispatch, DispatchBatch, Lane};
pub use dnc::{LastCheckFacts, LastCheckKey};
pub use enqueue::{DocumentTable, Enqueued};
pub use erasure::{Erasure, redact_content};
pub use facts::{FactsKey, RECIPIENT_SEND_HORIZON, TouchFacts, account_send_horizon};
pub use health::{EmailEvent, EmailEventKind, HealthRow, SenderRates};
pub use inbound::{InboundRecord, SeenInbound};
pub use registries::{CHUNK_BYTES, ImportRecord, RegistryRow, SegmentRow};
pub use rows::{DecisionRow, DncRow, NewTouch, TouchFilter, TouchRow};
pub use templates::{BetweenHook, TEMPLATE_UPDATE_TRIES};
pub use tokens::TokenRecord;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};

use crate::domain::{
    AccountBody, DncBody, LeadBody, LeadContacts, StoredAccount, StoredLead, TouchBody,
};
use crate::privacy::PrivacyKey;
use alerts::raise_alert;
use blackouts::{active_blackouts, audit};
use dnc::dnc_for_conn;
use documents::{parse_account, parse_lead};
use health::health_rows;
pub use lifecycle::Applied;
use rows::*;
use touches::insert_event;

/// Dynamic SQL here only ever splices constants, `$N` placeholders and clamped integers; every
/// value travels as a bind parameter.
macro_rules! safe {
    ($($t:tt)*) => { sqlx::AssertSqlSafe(format!($($t)*)) };
}
use safe;

/// [`safe!`] for a database of the kind given first: on SQLite, placeholders in bind order
/// become anonymous ([`bind_order::in_bind_order`]), which SQLite binds at constant cost.
macro_rules! safe_for {
    ($kind:expr, $($t:tt)*) => {
        sqlx::AssertSqlSafe(bind_order::in_bind_order($kind, format!($($t)*)))
    };
}
use safe_for;

/// The installation secret (in `settings`) that signs unsubscribe links and keys the privacy
/// commitments ([`crate::privacy`]).
pub const SIGNING_SECRET: &str = "unsubscribe_key";

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
    /// A stored value that does not parse: names the row (`account acme/sdr-1`).
    #[error("stored {what} is unreadable")]
    Corrupt {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// A conditional write lost every retry to concurrent writers.
    #[error("{what} kept changing; the update was not applied")]
    Contended { what: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// SQLite (a file): the one connection this process writes through ([`Store::write_tx`]).
    writer: Option<AnyPool>,
    kind: DbKind,
    /// Keyed commitments of personal data ([`crate::privacy`]): erased contacts are stored
    /// hashed and looked up under both forms.
    privacy: PrivacyKey,
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
        let memory = kind == DbKind::Sqlite && url.contains(":memory:");
        let max = if memory { 1 } else { max_connections };
        let pool = open_pool(kind, &options, max).await?;
        let mut store = Store {
            pool,
            writer: None,
            kind,
            privacy: PrivacyKey::new(&[]),
        };
        store.migrate().await?;
        // SQLite takes one writer at a time. Writers on several connections wait for each
        // other in SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries (16
        // concurrent lead PUTs writing on the read pool slept ~1,800 times a second in the
        // bench), and each write by one connection empties the page cache of the others. So this process writes through one
        // connection of its own, opened after the migrations: its writers queue for it in
        // order, without sleeping, and its cache stays warm. (`BEGIN IMMEDIATE` still guards
        // against other processes: the queue's own pool, a CLI command.) An in-memory database
        // is its one connection.
        if kind == DbKind::Sqlite && !memory {
            store.writer = Some(open_pool(kind, &options, 1).await?);
        }
        store.privacy = PrivacyKey::new(&store.secret(SIGNING_SECRET).await?);
        Ok(store)
    }

    /// A transaction that will write. On SQLite it takes the write lock at `BEGIN IMMEDIATE`
    /// (waiting up to `busy_timeout`), so it never has to upgrade a read snapshot that another
    /// writer has made stale (`SQLITE_BUSY_SNAPSHOT`, which no timeout retries).
    pub async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.kind {
            DbKind::Sqlite => {
                let pool = self.writer.as_ref().unwrap_or(&self.pool);
                pool.begin_with("BEGIN IMMEDIATE").await?
            }
            DbKind::Postgres => self.pool.begin().await?,
        })
    }

    pub fn privacy(&self) -> &PrivacyKey {
        &self.privacy
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
}

/// A pool on `options`, every connection set up for `kind` (SQLite: WAL, a busy timeout,
/// foreign keys, a larger page cache; PostgreSQL: plans made with the parameters).
async fn open_pool(
    kind: DbKind,
    options: &AnyConnectOptions,
    max: u32,
) -> std::result::Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // sqlx pings a connection on every acquire by default: on SQLite a round trip to the
        // connection's thread before each statement outside a transaction, for a connection
        // that cannot be hung up (a file of this process). A PostgreSQL connection can be (a
        // restarted server, a terminated backend), and the ping is what replaces it unseen.
        .test_before_acquire(kind == DbKind::Postgres)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if kind == DbKind::Sqlite {
                    // A 32 MiB page cache (the default is 2 MiB, which the touches table and
                    // its indexes outgrow within thousands of touches) and the file read
                    // through a memory map rather than a `pread` per page.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                         PRAGMA cache_size = -32768; PRAGMA mmap_size = 268435456;",
                    )
                    .await?;
                } else {
                    // Plan each execution with its parameters. A cached generic plan of a
                    // long `IN ($2, …, $1001)` list (a batch's idempotency keys, the ids of a
                    // batch's facts) cannot see that the keys are few: measured with a
                    // million touches it scanned the workspace's whole index (8 s a
                    // statement) where the custom plan probes the unique key.
                    conn.execute("SET plan_cache_mode = force_custom_plan")
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await
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

/// A stored JSON value, parsed, or the error that names its row.
fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: impl FnOnce() -> String,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| corrupt(what(), e))
}

/// The error for a stored value that does not parse.
fn corrupt(
    what: String,
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> StoreError {
    StoreError::Corrupt {
        what,
        source: source.into(),
    }
}
