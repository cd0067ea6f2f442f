use super::*;

pub async fn connect_sqlite(url: &str, max_connections: u32) -> Result<SqlitePool, QueueError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    let max = max_connections.max(1);
    // Migrate on a connection of its own, closed before the working pool opens. A connection
    // that read the schema before a migration changed it could keep preparing against the old
    // one: reproduced by killing a daemon midway through apalis' migrations, the next start
    // finished them and then pushed with a pooled connection that still saw 13 columns in
    // `Jobs` ("table Jobs has 13 columns but 14 values were supplied"), and later a cached
    // statement read past its row (a panic in sqlx's SQLite worker, holding the write lock).
    // (An in-memory database lives and dies with its one connection: migrated in place.)
    if url.contains(":memory:") {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        SqliteStorage::setup(&pool).await?;
        plan_jobs_statements(&pool).await?;
        return Ok(pool);
    }
    let setup = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options.clone())
        .await?;
    let migrated = match SqliteStorage::setup(&setup).await {
        Ok(()) => plan_jobs_statements(&setup).await,
        Err(e) => Err(e.into()),
    };
    setup.close().await;
    migrated?;
    let pool = SqlitePoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // A SQLite connection is a file of this process: nothing can hang it up, and the ping
        // sqlx sends on every acquire would be a round trip to the connection's thread.
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Statistics that tell SQLite's planner what apalis' `Jobs` table is like: ids unique, few
/// workers (`lock_by`), many jobs per status. apalis acknowledges a job with `UPDATE Jobs … FROM
/// json_each(?1) … WHERE Jobs.id = j.task_id AND Jobs.lock_by = ?2`; with no statistics SQLite
/// plans that as a scan of every job this worker locked, parsing the JSON again for each row, so
/// an acknowledgement grew with the finished jobs kept (in the end-to-end bench JSON parsing was
/// about an eighth of the SQLite thread's time). With these it probes the id index once per job.
/// Fixed rather than `ANALYZE`d: the table is small and changes fast, and the shape is what
/// matters. New connections read them when they open (the working pool opens after this).
async fn plan_jobs_statements(pool: &SqlitePool) -> Result<(), QueueError> {
    // `ANALYZE Jobs` creates `sqlite_stat1` if needed (and is cheap: finished jobs are purged).
    sqlx::query("ANALYZE Jobs").execute(pool).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM sqlite_stat1 WHERE tbl = 'Jobs'")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES \
         ('Jobs', 'sqlite_autoindex_Jobs_1', '10000 1'), \
         ('Jobs', 'LIdx', '10000 2500'), \
         ('Jobs', 'idx_jobs_status_run_at', '10000 2000 1'), \
         ('Jobs', 'idx_jobs_job_type_status_run_at', '10000 10000 2000 1'), \
         ('Jobs', 'idx_jobs_idempotency_key', '10000 10000 1')",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("ANALYZE sqlite_schema").execute(pool).await?;
    Ok(())
}

/// A pool for apalis-postgres on the daemon's database, migrated.
pub async fn connect_postgres(url: &str, max_connections: u32) -> Result<PgPool, QueueError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections.max(2))
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await?;
    PostgresStorage::setup(&pool).await?;
    Ok(pool)
}

#[derive(Clone)]
pub(super) enum JobStore {
    Sqlite {
        pool: SqlitePool,
        storage: SqliteStorage<DispatchDue>,
    },
    Postgres {
        pool: PgPool,
        storage: PostgresStorage<DispatchDue>,
    },
}

impl std::fmt::Debug for JobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JobStore::Sqlite { .. } => "apalis-sqlite",
            JobStore::Postgres { .. } => "apalis-postgres",
        })
    }
}

/// Where the queue keeps its jobs for the daemon's `database_url`. PostgreSQL: the same
/// database (the `apalis` schema). A SQLite file: a file of its own beside it, `<file>-queue`
/// (as SQLite names its `-wal` and `-shm` files). SQLite lets one connection write a file at a
/// time; sharing the file, the queue's writes (a job pushed, fetched, acknowledged) and the
/// dispatcher's waited for each other in SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms
/// between tries: measured in the end-to-end bench (its leads being put, then its burst), a
/// push took 36 ms and a fetch 15 ms on average against 0.1–0.4 ms in a file of their own, and
/// the dispatch loop waits for each job. A job only says when to look
/// at the touches (which stay in the daemon's file), so the queue's file holds nothing that
/// must commit together with them: a lost queue file costs a poll interval, not a touch. An
/// in-memory database is already the queue's own.
pub fn queue_database_url(database_url: &str) -> String {
    let Some(rest) = database_url.strip_prefix("sqlite:") else {
        return database_url.to_owned();
    };
    if rest.contains(":memory:") || rest.contains("mode=memory") {
        return database_url.to_owned();
    }
    match database_url.split_once('?') {
        Some((file, query)) => format!("{file}-queue?{query}"),
        None => format!("{database_url}-queue"),
    }
}

impl JobStore {
    /// Jobs are not marked `Running` when they start (`lock_tasks(false)`): one write less per
    /// job; a fetched job stays `Queued` until acknowledged, which apalis' orphan recovery
    /// covers just the same.
    pub(super) async fn connect(url: &str, pool_size: u32) -> Result<JobStore, QueueError> {
        if url.starts_with("sqlite:") {
            let pool = connect_sqlite(&queue_database_url(url), pool_size).await?;
            let storage = SqliteStorage::new(&pool).with_config(
                apalis_sqlite::Config::default()
                    .queue(QUEUE)
                    .batch_size(FETCH_BATCH)
                    .lock_tasks(false),
            );
            Ok(JobStore::Sqlite { pool, storage })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = connect_postgres(url, pool_size).await?;
            let storage = PostgresStorage::new(&pool).with_config(
                apalis_postgres::Config::default()
                    .queue(QUEUE)
                    .batch_size(FETCH_BATCH)
                    .lock_tasks(false),
            );
            Ok(JobStore::Postgres { pool, storage })
        } else {
            Err(QueueError::UnsupportedUrl)
        }
    }

    pub(super) async fn push(
        &self,
        job: DispatchDue,
        id: &str,
        run_at_secs: Option<u64>,
    ) -> Result<(), QueueError> {
        let mut task = TaskBuilder::new(job)
            .task_id(TaskId::from_string(id))
            .max_attempts(3);
        if let Some(secs) = run_at_secs {
            task = task.run_at_timestamp(secs);
        }
        let task = task.build();
        match self {
            JobStore::Sqlite { storage, .. } => storage
                .clone()
                .push_task(task)
                .await
                .map_err(|e| QueueError::Push(e.to_string())),
            JobStore::Postgres { storage, .. } => storage
                .clone()
                .push_task(task)
                .await
                .map_err(|e| QueueError::Push(e.to_string())),
        }
    }

    /// Whether the job is still waiting to be fetched by a worker.
    pub(super) async fn is_pending(&self, id: &str) -> Result<bool, QueueError> {
        let status: Option<String> = match self {
            JobStore::Sqlite { pool, .. } => {
                sqlx::query_scalar("SELECT status FROM Jobs WHERE id = ?1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
            }
            JobStore::Postgres { pool, .. } => {
                sqlx::query_scalar("SELECT status FROM apalis.jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
            }
        };
        Ok(status.as_deref() == Some("Pending"))
    }

    /// Deletes this queue's finished jobs older than `keep`; returns how many.
    pub(super) async fn purge(&self, keep: Duration) -> Result<u64, QueueError> {
        let n = match self {
            JobStore::Sqlite { pool, .. } => {
                let before = Utc::now().timestamp() - i64::try_from(keep.as_secs()).unwrap_or(0);
                sqlx::query(
                    "DELETE FROM Jobs WHERE job_type = ?1 AND (status IN ('Done', 'Killed') \
                     OR (status = 'Failed' AND attempts >= max_attempts)) AND done_at < ?2",
                )
                .bind(QUEUE)
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
            }
            JobStore::Postgres { pool, .. } => sqlx::query(
                "DELETE FROM apalis.jobs WHERE job_type = $1 AND (status IN ('Done', 'Killed') \
                 OR (status = 'Failed' AND attempts >= max_attempts)) \
                 AND done_at < now() - make_interval(secs => $2)",
            )
            .bind(QUEUE)
            .bind(keep.as_secs_f64())
            .execute(pool)
            .await?
            .rows_affected(),
        };
        Ok(n)
    }
}

pub(super) async fn purge_loop(jobs: JobStore, every: Duration, keep: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match jobs.purge(keep).await {
            Ok(0) => {}
            Ok(n) => debug!(jobs = n, "purged finished dispatch jobs"),
            Err(e) => {
                warn!(error = %crate::logging::chain(&e), "purging finished dispatch jobs failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::queue_database_url;

    #[test]
    fn a_sqlite_file_queues_in_a_file_beside_it_and_the_rest_in_the_same_database() {
        assert_eq!(
            queue_database_url("sqlite://var/touchgate.db"),
            "sqlite://var/touchgate.db-queue"
        );
        assert_eq!(
            queue_database_url("sqlite:touchgate.db?mode=rwc"),
            "sqlite:touchgate.db-queue?mode=rwc"
        );
        assert_eq!(queue_database_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            queue_database_url("postgres://postgres@127.0.0.1/tg"),
            "postgres://postgres@127.0.0.1/tg"
        );
    }
}
