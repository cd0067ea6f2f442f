//! Background merge: a registry with [`super::MAX_DELTAS`] deltas gets a new base (its view
//! merged), written and put in force like an import, under the same lease. Lookups go through
//! one segment again; readers never wait (the old view serves until the new one is swapped in).

use std::sync::Arc;

use super::{ImportError, Loaded, Registries, RegistryError};
use crate::clock::Clock;

impl Registries {
    /// Merges `name`'s view into a new base; false when there was nothing to merge.
    pub async fn merge(&self, name: &str, clock: &Clock) -> Result<bool, ImportError> {
        self.lease(clock).await?;
        let result = self.merge_leased(name, clock).await;
        let released = self.store.release_registry_lock(&self.node).await;
        let merged = result?;
        released?;
        Ok(merged)
    }

    async fn merge_leased(&self, name: &str, clock: &Clock) -> Result<bool, ImportError> {
        self.refresh().await?;
        let Some(current) = self.snapshot().lists.get(name).cloned() else {
            return Ok(false);
        };
        if current.view.delta_count() == 0 {
            return Ok(false);
        }
        let view = current.view.clone();
        let segment = tokio::task::spawn_blocking(move || view.merge())
            .await
            .map_err(|e| ImportError::Input(format!("the merge stopped: {e}")))?;
        let segment = Arc::new(segment);
        let bad = |source| RegistryError::Segment {
            name: name.to_owned(),
            seq: 0,
            source,
        };
        let view = registry::Registry::empty()
            .apply(segment.clone())
            .map_err(bad)?;
        let seq = self.store.next_segment_seq(name).await?;
        let now = clock.now();
        self.store
            .write_segment(name, seq, true, segment.as_bytes(), now)
            .await?;
        self.store
            .commit_registry(
                name,
                Some(current.row.head_seq),
                seq,
                true,
                current.row.entries,
                None,
                None,
                current.row.imported_at,
            )
            .await?;
        let mut row = current.row.clone();
        row.version += 1;
        row.base_seq = seq;
        row.head_seq = seq;
        self.install(Loaded { row, view });
        self.store.sweep_segments(name).await?;
        tracing::info!(
            registry = name,
            deltas = current.view.delta_count(),
            "registry merged into a new base"
        );
        Ok(true)
    }
}
