use super::*;

/// Counters of the queue's movement.
#[derive(Debug, Default)]
pub struct QueueStats {
    /// Jobs pushed.
    pub pushed: AtomicU64,
    /// Kicks that found a job already pending.
    pub deduplicated: AtomicU64,
    /// Jobs the handler ran.
    pub ran: AtomicU64,
    /// Worker (re)starts.
    pub worker_starts: AtomicU64,
}

pub(super) struct KickerInner {
    pub(super) jobs: JobStore,
    pub(super) batch: i64,
    /// Fake clock: apalis runs on the system clock, so every kick is for "now".
    pub(super) fake_clock: bool,
    /// This node's pending jobs: instant (ms) → job id.
    pub(super) pending: Mutex<BTreeMap<i64, String>>,
    /// Serialises kicks, so a burst of them pushes one job.
    pub(super) kicking: tokio::sync::Mutex<()>,
    /// Wakes this node's worker right after a due job is pushed.
    pub(super) wake: Mutex<Option<mpsc::Sender<()>>>,
    pub(super) stats: QueueStats,
}

/// Pushes dispatch jobs, deduplicated. Cheap to clone.
#[derive(Clone)]
pub struct Kicker {
    pub(super) inner: Arc<KickerInner>,
}

impl std::fmt::Debug for Kicker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kicker")
            .field("jobs", &self.inner.jobs)
            .field("batch", &self.inner.batch)
            .field("stats", &self.inner.stats)
            .finish_non_exhaustive()
    }
}

impl Kicker {
    /// Makes sure a job runs at `at` (or as soon after as the queue gets to it): pushes one
    /// unless a job at or before `at` is pending. Returns whether it pushed.
    pub async fn kick(&self, at: DateTime<Utc>) -> Result<bool, QueueError> {
        let inner = &self.inner;
        let _turn = inner.kicking.lock().await;
        let now = Utc::now();
        // apalis runs a future job at a whole second: that, not `at`, is when it looks.
        let run_at = (!inner.fake_clock && at > now).then(|| ceil_secs(ms(at)));
        let at_ms = run_at.map_or(ms(now), |secs| secs * 1000);

        // Pending jobs at or before `at`, latest first.
        let candidates: Vec<(i64, String)> = {
            let pending = lock(&inner.pending);
            pending
                .range(..=at_ms)
                .rev()
                .map(|(k, v)| (*k, v.clone()))
                .collect()
        };
        for (when, id) in candidates {
            if from_ms(when) > now + CONFIRM_WITHIN {
                // Not yet due: nobody can have fetched it.
                debug!(job = %id, "dispatch job already pending");
                inner.stats.deduplicated.fetch_add(1, Ordering::Relaxed);
                return Ok(false);
            }
            if inner.jobs.is_pending(&id).await? {
                debug!(job = %id, "dispatch job already pending (confirmed)");
                inner.stats.deduplicated.fetch_add(1, Ordering::Relaxed);
                return Ok(false);
            }
            // Fetched already (here or by another node): it may have looked before the touch
            // we are kicked for existed, so it does not count.
            lock(&inner.pending).remove(&when);
        }

        // apalis' storages parse job ids as ULIDs.
        let id = ulid::Ulid::generate().to_string();
        let run_at = run_at.map(|secs| u64::try_from(secs).unwrap_or(0));
        lock(&inner.pending).insert(at_ms, id.clone());
        let job = DispatchDue {
            batch: inner.batch,
            at_ms,
        };
        if let Err(e) = inner.jobs.push(job, &id, run_at).await {
            lock(&inner.pending).remove(&at_ms);
            return Err(e);
        }
        inner.stats.pushed.fetch_add(1, Ordering::Relaxed);
        debug!(job = %id, run_at = %from_ms(at_ms), "dispatch job pushed");
        if run_at.is_none()
            && let Some(tx) = lock(&inner.wake).as_mut()
        {
            // Full means a wake-up is already queued.
            let _ = tx.try_send(());
        }
        Ok(true)
    }

    /// `kick(now)`.
    pub async fn kick_now(&self) -> Result<bool, QueueError> {
        self.kick(Utc::now()).await
    }

    pub fn stats(&self) -> &QueueStats {
        &self.inner.stats
    }

    /// The handler took the job pushed for `at_ms`: it is no longer pending.
    pub(super) fn started(&self, at_ms: i64) {
        lock(&self.inner.pending).remove(&at_ms);
        self.inner.stats.ran.fetch_add(1, Ordering::Relaxed);
    }

    /// A new worker starts: jobs held by the previous one wait for apalis' orphan recovery,
    /// so none of them counts as pending.
    pub(super) fn reset(&self, wake: mpsc::Sender<()>) {
        lock(&self.inner.pending).clear();
        *lock(&self.inner.wake) = Some(wake);
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn ceil_secs(at_ms: i64) -> i64 {
    at_ms.div_euclid(1000) + i64::from(at_ms.rem_euclid(1000) != 0)
}
