//! The nodes of a multi-node (PostgreSQL) installation as the database holds them: which node
//! claimed a touch (`touches.claimed_by`) and each node's lease (`nodes.lease_until`). The API
//! does not name nodes, so the node-failure suite reads these rows directly — only to learn
//! which node is which and when a lease was renewed, never to change anything. Also the
//! instants the suite moves the daemons' fake clocks to ([`at`], [`ms`]).

use std::collections::BTreeMap;

use sqlx::{PgPool, Row};

use crate::daemon::{Daemon, poll};
use crate::{Backend, Database};

/// [`crate::START`] in milliseconds since the Unix epoch (how the daemon stores instants).
pub const START_MS: i64 = 1_795_629_600_000;

/// How long a node's lease lasts past its last renewal (the daemon's `LEASE`, 15 s).
pub const LEASE_SECS: u32 = 15;

/// The instant `secs` seconds after [`crate::START`] (less than an hour), RFC 3339.
pub fn at(secs: u32) -> String {
    assert!(secs < 3600, "within the hour after START");
    format!("2026-11-25T18:{:02}:{:02}Z", secs / 60, secs % 60)
}

/// [`at`] in milliseconds since the Unix epoch.
pub fn ms(secs: u32) -> i64 {
    START_MS + i64::from(secs) * 1000
}

/// A read-only view of the node rows of one PostgreSQL test database.
#[derive(Debug)]
pub struct Nodes {
    pool: PgPool,
}

impl Nodes {
    pub async fn connect(db: &Database) -> Nodes {
        assert_eq!(db.backend(), Backend::Postgres, "nodes share PostgreSQL");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(db.url())
            .await
            .expect("connecting to the test database");
        Nodes { pool }
    }

    /// The node that claimed `touch` (`None` before any did).
    pub async fn claimed_by(&self, touch: &str) -> Option<String> {
        sqlx::query("SELECT claimed_by FROM touches WHERE id = $1")
            .bind(touch)
            .fetch_one(&self.pool)
            .await
            .expect("the touch's row")
            .try_get("claimed_by")
            .expect("claimed_by")
    }

    /// Every node's `lease_until` (ms since the epoch), by node id.
    pub async fn leases(&self) -> BTreeMap<String, i64> {
        sqlx::query("SELECT id, lease_until FROM nodes")
            .fetch_all(&self.pool)
            .await
            .expect("the node rows")
            .into_iter()
            .map(|r| {
                (
                    r.try_get("id").expect("id"),
                    r.try_get("lease_until").expect("lease_until"),
                )
            })
            .collect()
    }

    /// Waits (bounded) until `node` renewed its lease on a clock at or past `secs` after
    /// START (its lease then lasts to at least `secs` + [`LEASE_SECS`]).
    pub async fn wait_renewed(&self, node: &str, secs: u32) {
        let want = ms(secs + LEASE_SECS);
        poll(
            &format!("node {node} renews its lease at {}", at(secs)),
            || async {
                match self.leases().await.get(node) {
                    Some(&until) if until >= want => Ok(()),
                    other => Err(format!("lease_until {other:?}, want ≥ {want}")),
                }
            },
        )
        .await;
    }

    /// The ids of the nodes other than `except`, waiting (bounded) until there are `n`.
    pub async fn others(&self, except: &str, n: usize) -> Vec<String> {
        poll(&format!("{n} nodes besides {except}"), || async {
            let others: Vec<String> = self
                .leases()
                .await
                .into_keys()
                .filter(|id| id != except)
                .collect();
            if others.len() == n {
                Ok(others)
            } else {
                Err(format!("{others:?}"))
            }
        })
        .await
    }
}

/// Moves the fake clock of every daemon in `daemons` to `secs` after START, then waits until
/// each of `nodes` (their node ids) has renewed its lease at that instant. Moving live nodes
/// by less than a lease at a time, and only once all renewed, keeps any of them from seeing
/// another's lease as expired (the daemons' clocks are separate; in production they move
/// together).
pub async fn advance(daemons: &[&Daemon], db: &Nodes, nodes: &[String], secs: u32) {
    for d in daemons {
        d.set_clock(&at(secs)).await;
    }
    for n in nodes {
        db.wait_renewed(n, secs).await;
    }
}
