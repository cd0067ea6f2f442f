//! Registries in force on this node: every list's view ([`registry::Registry`], base plus
//! deltas) held in memory behind an [`ArcSwap`], so a lookup never waits and never sees half
//! an import. The database is what the nodes share ([`crate::store::Store::registries`]):
//! every node polls the registries' rows ([`Registries::refresh`], every
//! [`REFRESH_EVERY`] in the daemon) and loads what moved — only the new deltas when the base
//! is the same. Imports ([`import`]) and merges ([`merge`]) run under the installation-wide
//! lease, build the new segment off to the side, write it in chunks, and move the row in one
//! short transaction.

mod import;
mod merge;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, NaiveDate, Utc};

use crate::store::{RegistryRow, Store, StoreError};

pub use import::{ImportError, ImportRequest, ImportSummary};

/// How often a daemon looks for imports made on other nodes.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// A list older than this (by its `as_of`) is stale (47 CFR 64.1200(c)(2)(i)(D): registry
/// data at most 31 days old).
pub const STALE_AFTER_DAYS: i64 = 31;

/// Merge a registry's deltas into a new base once it has this many.
pub const MAX_DELTAS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error("registry {name} segment {seq} is unreadable")]
    Segment {
        name: String,
        seq: i64,
        #[source]
        source: registry::SegmentError,
    },
}

/// One list as this node holds it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub row: RegistryRow,
    pub view: registry::Registry,
}

impl Loaded {
    /// Whether the list is older than [`STALE_AFTER_DAYS`] at `now` (or has no date).
    pub fn stale(&self, now: DateTime<Utc>) -> bool {
        is_stale(self.row.as_of, now)
    }
}

/// Whether a list current to `as_of` is stale at `now`: more than [`STALE_AFTER_DAYS`] after
/// the start (UTC) of its `as_of` day, the instant the gate's `registry_stale` uses — so a list
/// shown fresh never blocks, and one shown stale always does.
pub fn is_stale(as_of: Option<NaiveDate>, now: DateTime<Utc>) -> bool {
    as_of
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| {
            t.and_utc()
                .checked_add_signed(chrono::Duration::days(STALE_AFTER_DAYS))
        })
        .is_none_or(|fresh_until| now > fresh_until)
}

/// Every list in force, by name.
#[derive(Debug, Clone, Default)]
pub struct RegistrySet {
    pub lists: BTreeMap<String, Loaded>,
}

impl RegistrySet {
    /// Every listing of `number` (E.164), as the gate takes them. A number the registries
    /// cannot hold (not E.164 digits) is on none.
    pub fn listings(&self, number: &str) -> Vec<gate::RegistryListing> {
        let Ok(n) = number.parse::<registry::Number>() else {
            return Vec::new();
        };
        self.lists
            .iter()
            .filter_map(|(name, list)| {
                let hit = list.view.lookup(n)?;
                Some(gate::RegistryListing {
                    registry: name.parse().ok()?,
                    number: number.to_owned(),
                    listed_on: hit.date,
                })
            })
            .collect()
    }

    /// The date the national list is current to (`None`: none imported).
    pub fn national_as_of(&self) -> Option<NaiveDate> {
        self.lists.get("national").and_then(|l| l.row.as_of)
    }
}

/// The registries of this node, kept in step with the database.
#[derive(Debug, Clone)]
pub struct Registries {
    store: Store,
    current: Arc<ArcSwap<RegistrySet>>,
    /// Names this node's lease is taken as.
    node: String,
}

impl Registries {
    /// Loads every list in force.
    pub async fn load(store: Store, node: &str) -> Result<Registries, RegistryError> {
        let r = Registries::empty(store, node);
        r.refresh().await?;
        Ok(r)
    }

    /// None loaded yet (the next [`Registries::refresh`] loads them).
    pub fn empty(store: Store, node: &str) -> Registries {
        Registries {
            store,
            current: Arc::new(ArcSwap::from_pointee(RegistrySet::default())),
            node: node.to_owned(),
        }
    }

    /// What is in force now (cheap: an `Arc`).
    pub fn snapshot(&self) -> Arc<RegistrySet> {
        self.current.load_full()
    }

    /// Loads whatever moved since the last look; true when something did.
    pub async fn refresh(&self) -> Result<bool, RegistryError> {
        let rows = self.store.registries().await?;
        let old = self.snapshot();
        let same = rows.len() == old.lists.len()
            && rows.iter().all(|r| {
                old.lists
                    .get(&r.name)
                    .is_some_and(|l| l.row.version == r.version)
            });
        if same {
            return Ok(false);
        }
        let mut next = RegistrySet::default();
        for row in rows {
            let loaded = match old.lists.get(&row.name) {
                Some(l) if l.row.version == row.version => l.clone(),
                Some(l) if l.row.base_seq == row.base_seq && row.head_seq >= l.row.head_seq => {
                    let view = self
                        .extend(&row.name, l.view.clone(), l.row.head_seq, row.head_seq)
                        .await?;
                    Loaded { row, view }
                }
                _ => {
                    let view = self
                        .extend(
                            &row.name,
                            registry::Registry::empty(),
                            row.base_seq - 1,
                            row.head_seq,
                        )
                        .await?;
                    Loaded { row, view }
                }
            };
            next.lists.insert(loaded.row.name.clone(), loaded);
        }
        self.current.store(Arc::new(next));
        Ok(true)
    }

    /// `view` with the segments after `after` up to `head` applied.
    async fn extend(
        &self,
        name: &str,
        mut view: registry::Registry,
        after: i64,
        head: i64,
    ) -> Result<registry::Registry, RegistryError> {
        for seg in self.store.registry_segments(name, after, head).await? {
            let bytes = self.store.read_segment(name, &seg).await?;
            let bad = |source| RegistryError::Segment {
                name: name.to_owned(),
                seq: seg.seq,
                source,
            };
            let segment = registry::Segment::from_bytes(bytes).map_err(bad)?;
            view = view.apply(Arc::new(segment)).map_err(bad)?;
        }
        Ok(view)
    }

    /// Puts `list` in force on this node at once (the node that imported it).
    fn install(&self, list: Loaded) {
        let mut next = (*self.snapshot()).clone();
        next.lists.insert(list.row.name.clone(), list);
        self.current.store(Arc::new(next));
    }
}
