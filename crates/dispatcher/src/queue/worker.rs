use super::*;

/// When the worker looks at the jobs table: every poll interval, right after this node pushed
/// a due job (and once more [`ECHO`] later), and on PostgreSQL when any node pushed one
/// (apalis' `LISTEN/NOTIFY`).
///
/// One strategy rather than apalis' `Strategy` of several: that combinator stops at the first
/// ready member, and `IntervalStrategy` arms its next delay without polling it, so a tick that
/// lands in the same poll as the end of a fetch leaves no timer registered and the worker
/// sleeps until its 30 s heartbeat. Here every source is polled on every call, and the
/// interval is polled until it registers its next tick.
pub(super) struct Wakeups {
    interval: tokio::time::Interval,
    kicks: mpsc::Receiver<()>,
    echo: Option<Pin<Box<tokio::time::Sleep>>>,
    notify: Option<apalis_postgres::Pubsub>,
}

impl Wakeups {
    fn new(
        poll: Duration,
        kicks: mpsc::Receiver<()>,
        notify: Option<apalis_postgres::Pubsub>,
    ) -> Wakeups {
        let mut interval = tokio::time::interval(poll);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Wakeups {
            interval,
            kicks,
            echo: None,
            notify,
        }
    }
}

impl PollStrategy for Wakeups {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut ready = false;
        while self.interval.poll_tick(cx).is_ready() {
            ready = true;
        }
        let mut kicked = false;
        while let Poll::Ready(Some(())) = self.kicks.poll_next_unpin(cx) {
            kicked = true;
        }
        if kicked {
            ready = true;
            self.echo = Some(Box::pin(tokio::time::sleep(ECHO)));
        }
        if let Some(echo) = self.echo.as_mut()
            && echo.as_mut().poll(cx).is_ready()
        {
            self.echo = None;
            ready = true;
        }
        if let Some(notify) = self.notify.as_mut() {
            loop {
                match notify.poll_next_unpin(cx) {
                    Poll::Ready(Some(_)) => ready = true,
                    Poll::Ready(None) => {
                        warn!("job notifications stopped; polling only");
                        self.notify = None;
                        break;
                    }
                    Poll::Pending => break,
                }
            }
        }
        if ready {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}

/// Runs one apalis worker until it stops or fails.
pub(super) async fn run_worker(
    jobs: JobStore,
    name: String,
    wake: mpsc::Receiver<()>,
    shared: Arc<Shared>,
) -> Result<(), BoxDynError> {
    match jobs {
        JobStore::Sqlite { storage, .. } => {
            let wakeups = Wakeups::new(shared.poll, wake, None);
            WorkerBuilder::new(name.as_str())
                .backend(storage.poll_with_strategy(wakeups))
                .concurrency(1)
                .data(shared)
                .build(dispatch_due)
                .run()
                .await?;
        }
        JobStore::Postgres { pool, storage } => {
            // Jobs pushed by other nodes arrive by NOTIFY.
            let notify = apalis_postgres::Pubsub::new(pool, QUEUE.to_owned());
            let wakeups = Wakeups::new(shared.poll, wake, Some(notify));
            WorkerBuilder::new(name.as_str())
                .backend(storage.poll_with_strategy(wakeups))
                .concurrency(1)
                .data(shared)
                .build(dispatch_due)
                .run()
                .await?;
        }
    }
    Ok(())
}

/// Aborts the task when dropped.
#[derive(Debug)]
pub(super) struct AbortOnDrop<T>(pub(super) JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Keeps a worker running: restarts it, with exponential backoff, whenever it stops.
pub(super) async fn supervise(jobs: JobStore, shared: Arc<Shared>) {
    let mut backoff = RESTART_MIN;
    let mut generation: u64 = 0;
    loop {
        generation += 1;
        let (tx, rx) = mpsc::channel(1);
        shared.kicker.reset(tx);
        shared
            .kicker
            .inner
            .stats
            .worker_starts
            .fetch_add(1, Ordering::Relaxed);
        let name = format!("touchgate-{}-{generation}", shared.dispatcher.node_id);
        // Whatever is due now (a backlog, or jobs stranded on the previous worker).
        if let Err(e) = shared.kicker.kick_now().await {
            warn!(error = %crate::logging::chain(&e), "cannot push the start-up dispatch job");
        }
        info!(worker = %name, queue = QUEUE, "dispatch worker starting");
        let started = Instant::now();
        // Aborted with this task (when the queue is dropped).
        let mut run = AbortOnDrop(tokio::spawn(run_worker(
            jobs.clone(),
            name.clone(),
            rx,
            shared.clone(),
        )));
        let outcome = (&mut run.0).await;
        match outcome {
            Ok(Ok(())) => warn!(worker = %name, "dispatch worker stopped; restarting"),
            Ok(Err(e)) => {
                error!(worker = %name, error = %crate::logging::chain(e.as_ref()), "dispatch worker failed; restarting")
            }
            Err(e) => error!(worker = %name, error = %e, "dispatch worker panicked; restarting"),
        }
        if started.elapsed() > Duration::from_secs(60) {
            backoff = RESTART_MIN;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(RESTART_MAX);
    }
}
