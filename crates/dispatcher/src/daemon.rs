//! Starting the daemon: configuration, storage, tokens, crash recovery, the dispatch loop and
//! the HTTP server, in one process.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::app::AppState;
use crate::clock::Clock;
use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::metrics::Metrics;
use crate::queue::{DispatchQueue, QueueOptions};
use crate::store::{Store, StoreError};
use crate::unsubscribe::Signer;
use workers::registry::Transports;

/// How long a touch may stay `sending` before the sweeper declares its outcome unknown
/// (a provider call is bounded well below this by the transports' timeouts).
pub const STALE_SENDING: chrono::Duration = chrono::Duration::seconds(300);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration")]
    Config(#[from] crate::config::ConfigError),
    #[error("storage")]
    Store(#[from] StoreError),
    #[error("TOUCHGATE_FAKE_CLOCK is not an RFC 3339 instant")]
    FakeClock(#[source] chrono::ParseError),
    #[error("tokens")]
    Tokens(#[from] crate::tokens::TokenError),
    #[error("channel transports")]
    Transports(#[from] workers::config::ConfigError),
    #[error("registries")]
    Registries(#[from] crate::registries::RegistryError),
    #[error("sender authentication")]
    Dmarc(#[from] crate::dmarc::DmarcError),
}

/// Everything `serve` needs, built from configuration and environment.
///
/// The second value is the operator token made on the installation's first start (no token
/// configured, none ever stored), to print once.
pub async fn build_state(
    config: Config,
) -> Result<(AppState, Option<crate::tokens::NewToken>), StartError> {
    let tokens = crate::tokens::configured(&config)?;
    let webhook_secret = config
        .webhooks
        .secret_env
        .as_deref()
        .and_then(|var| std::env::var(var).ok())
        .filter(|s| !s.trim().is_empty())
        .map(workers::Secret::new);
    let dispatcher = build_dispatcher(config).await?;
    let store = dispatcher.store.clone();
    let generated =
        crate::tokens::first_start_token(&tokens, &store, dispatcher.clock.now()).await?;
    let check_log = crate::check::CheckLog::start(store.clone());
    Ok((
        AppState {
            store,
            config: dispatcher.config.clone(),
            clock: dispatcher.clock.clone(),
            metrics: dispatcher.metrics.clone(),
            tokens: Arc::new(tokens),
            webhook_secret,
            background: crate::app::Background::default(),
            check_log,
            registries: dispatcher.registries.clone(),
            wake: Arc::new(Notify::new()),
            dispatcher,
        },
        generated,
    ))
}

/// The dispatcher a configuration describes: storage, clock (`TOUCHGATE_FAKE_CLOCK`),
/// transports, registries, sender authentication. What `serve` and the CLI's dry run share.
pub async fn build_dispatcher(config: Config) -> Result<Dispatcher, StartError> {
    let store = Store::connect(&config.database_url(), 16).await?;
    let clock = match std::env::var("TOUCHGATE_FAKE_CLOCK") {
        Ok(v) => Clock::fake(
            DateTime::parse_from_rfc3339(&v)
                .map_err(StartError::FakeClock)?
                .with_timezone(&Utc),
        ),
        Err(_) => Clock::System,
    };
    let node_id = uuid::Uuid::now_v7().to_string();
    let registries = crate::registries::Registries::load(store.clone(), &node_id).await?;
    let transports = Transports::from_config(&config.channels)?;
    let dmarc = if config.deliverability.require_dmarc {
        Some(crate::dmarc::Dmarc::new(
            config.deliverability.resolver,
            transports.email_dkim().cloned(),
        )?)
    } else {
        None
    };
    let unsubscribe = Signer::new(&store.secret(crate::store::SIGNING_SECRET).await?);
    Ok(Dispatcher {
        store,
        config: Arc::new(config),
        clock,
        transports: Arc::new(transports),
        metrics: Metrics::new(),
        node_id,
        unsubscribe,
        registries,
        dmarc,
        in_flight: Default::default(),
    })
}

/// Marks touches that were `sending` when a dispatcher died as `needs_review`.
pub async fn recover(state: &AppState, at_start: bool) -> Result<(), StoreError> {
    let now = state.clock.now();
    if at_start {
        // This node's lease first: its own claims must never look orphaned.
        state
            .store
            .renew_lease(&state.dispatcher.node_id, now, now + LEASE)
            .await?;
    }
    let ids = if at_start && state.store.kind() == crate::store::DbKind::Sqlite {
        // One process owns a SQLite file: whatever is `sending` now was interrupted.
        state.store.recover_sending(None, now).await?
    } else {
        state
            .store
            .recover_stale_sending(now - STALE_SENDING, now)
            .await?
    };
    if !ids.is_empty() {
        warn!(count = ids.len(), touches = ?ids, "touches interrupted mid-send moved to needs_review");
    }
    Ok(())
}

/// The dispatch loop. Dispatching itself runs in the apalis queue ([`crate::queue`]); this
/// loop starts it and kicks it: at start (the backlog after a restart), when `state.wake`
/// fires (a new touch), and on a backstop tick whenever something is due, so nothing waits
/// forever if a job is lost. The queue's handler schedules the job for the next due instant
/// itself. With the fake clock the backstop ticks at the poll interval and compares against
/// the fake clock (apalis' own `run_at` runs on the system clock). Every 30 s (by the daemon's
/// clock) touches stuck in `sending` are swept.
pub async fn dispatch_loop(state: AppState) {
    let cfg = &state.config.dispatcher;
    let poll = StdDuration::from_millis(cfg.poll_interval_ms.max(10));
    let url = state.config.database_url();
    let mut retry = StdDuration::from_secs(1);
    let queue = loop {
        let opts = QueueOptions::from_config(cfg);
        match DispatchQueue::start(state.dispatcher.clone(), &url, opts).await {
            Ok(q) => break q,
            Err(e) => {
                error!(error = %crate::logging::chain(&e), "cannot start the dispatch queue; retrying");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(StdDuration::from_secs(30));
            }
        }
    };
    let kicker = queue.kicker();
    let kick = |why: &'static str| {
        let kicker = kicker.clone();
        async move {
            if let Err(e) = kicker.kick_now().await {
                warn!(error = %crate::logging::chain(&e), why, "cannot push a dispatch job; the backstop will retry");
            }
        }
    };
    kick("start").await;
    let every = if state.clock.is_fake() {
        poll
    } else {
        BACKSTOP.max(poll)
    };
    let mut backstop = tokio::time::interval(every);
    backstop.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sweep = state.clock.now();
    loop {
        tokio::select! {
            () = state.wake.notified() => kick("wake").await,
            _ = backstop.tick() => {
                let now = state.clock.now();
                match state.store.next_due_at().await {
                    Ok(Some(t)) if t <= now => kick("backstop").await,
                    Ok(_) => {}
                    Err(e) => error!(error = %crate::logging::chain(&e), "cannot read the next due instant"),
                }
                if now - last_sweep > chrono::Duration::seconds(30) {
                    last_sweep = now;
                    if let Err(e) = recover(&state, false).await {
                        error!(error = %crate::logging::chain(&e), "stale-sending sweep failed");
                    }
                }
            }
        }
    }
}

/// How long a node's lease lasts without a renewal, and how often it is renewed (and expired
/// leases swept): a dead node's `sending` touches become `needs_review` within
/// `LEASE + LEASE_EVERY` on a surviving node.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(15);
pub const LEASE_EVERY: StdDuration = StdDuration::from_secs(3);

/// Renews this node's lease and sweeps the touches of nodes whose lease expired, forever.
/// Both run on the daemon's clock (a test moves it to expire a killed node's lease).
pub async fn lease_loop(state: AppState) {
    let mut tick = tokio::time::interval(LEASE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = state.clock.now();
        if let Err(e) = state
            .store
            .renew_lease(&state.dispatcher.node_id, now, now + LEASE)
            .await
        {
            warn!(error = %crate::logging::chain(&e), "cannot renew this node's lease");
            continue;
        }
        match state.store.recover_expired_leases(now).await {
            Ok(ids) if !ids.is_empty() => {
                warn!(count = ids.len(), touches = ?ids, "touches of a node whose lease expired moved to needs_review");
            }
            Ok(_) => {}
            Err(e) => warn!(error = %crate::logging::chain(&e), "expired-lease sweep failed"),
        }
    }
}

/// How often the sealer appends new decisions, DNC entries, audit rows and imports to their
/// audit chains ([`crate::chain`]): the longest a row stays unsealed.
pub const SEAL_EVERY: StdDuration = StdDuration::from_secs(1);

/// Seals unsealed rows into the audit chains, forever. Every node runs it; the chain's head
/// row serialises them, so a row is linked once.
pub async fn seal_loop(state: AppState) {
    let mut tick = tokio::time::interval(SEAL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state.store.seal_pending(state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "rows sealed into the audit chains"),
            Err(e) => {
                warn!(error = %crate::logging::chain(&e), "cannot seal the audit chains; retrying")
            }
        }
    }
}

/// How often retention runs ([`crate::config::RetentionConfig`]).
pub const RETENTION_EVERY: StdDuration = StdDuration::from_secs(3600);

/// Erases message content past its retention, every hour (and on `POST /v1/dispatch/drain`).
pub async fn retention_loop(state: AppState) {
    let mut tick = tokio::time::interval(RETENTION_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = apply_retention(&state).await {
            warn!(error = %crate::logging::chain(&e), "retention failed; retrying within the hour");
        }
    }
}

/// One retention pass at the daemon's clock.
pub async fn apply_retention(state: &AppState) -> Result<(), crate::store::StoreError> {
    let (touches, inbound) = state.config.retention.cutoffs(state.clock.now());
    if touches.is_none() && inbound.is_none() {
        return Ok(());
    }
    let (t, i) = state.store.apply_retention(touches, inbound).await?;
    if t + i > 0 {
        info!(
            touches = t,
            inbound = i,
            "message content past its retention erased"
        );
    }
    Ok(())
}

/// Keeps this node's registries in step with the database: an import on any node is in
/// force here within [`crate::registries::REFRESH_EVERY`] (plus the time to load it).
pub async fn registry_loop(registries: crate::registries::Registries) {
    let mut tick = tokio::time::interval(crate::registries::REFRESH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match registries.refresh().await {
            Ok(true) => info!("registries reloaded: an import or merge landed"),
            Ok(false) => {}
            Err(e) => {
                warn!(error = %crate::logging::chain(&e), "cannot reload the registries; the versions in force stay")
            }
        }
    }
}

/// How often the dispatch loop checks for due touches that no job picked up.
const BACKSTOP: StdDuration = StdDuration::from_secs(2);

/// Binds `listen` (port 0: any free port). The address actually bound becomes the config's
/// `listen`, and — when `[server] public_base_url` is not set — the public base URL
/// (`http://<bound address>`), so signed webhook URLs name the port really in use.
pub async fn bind(config: &mut Config) -> std::io::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(config.listen()).await?;
    let bound = listener.local_addr()?;
    config.listen = Some(bound.to_string());
    if config.server.public_base_url.is_none() {
        config.server.public_base_url = Some(format!("http://{bound}"));
    }
    Ok(listener)
}

/// Serves until SIGINT/SIGTERM. Once the server accepts connections, the bound address is
/// written to the file `TOUCHGATE_ADDRESS_FILE` names, when set (written whole, then renamed
/// into place: a reader never sees half an address) — how a supervisor or a test learns
/// which port a daemon started with `TOUCHGATE_LISTEN=127.0.0.1:0` took. `/metrics` is
/// served on `[metrics] listen` (its bound address in `TOUCHGATE_METRICS_ADDRESS_FILE`).
pub async fn serve(
    state: AppState,
    router: axum::Router,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let bound = listener.local_addr()?;
    info!(listen = %bound, database = ?state.store.kind(), "touchgate serving");
    if let Some((path, sha256)) = &state.config.source {
        let path = path.display().to_string();
        match state
            .store
            .record_config(&path, sha256, state.clock.now())
            .await
        {
            Ok(true) => {
                info!(config = %path, sha256 = %sha256, "configuration change recorded in the audit chain")
            }
            Ok(false) => {}
            Err(e) => {
                warn!(error = %crate::logging::chain(&e), "cannot record the configuration in the audit chain")
            }
        }
    }
    if state.config.dispatcher.enabled {
        tokio::spawn(dispatch_loop(state.clone()));
    }
    tokio::spawn(registry_loop(state.registries.clone()));
    tokio::spawn(lease_loop(state.clone()));
    tokio::spawn(seal_loop(state.clone()));
    tokio::spawn(retention_loop(state.clone()));
    tokio::spawn(crate::alerts::delivery_loop(state.clone()));
    if let Some(listen) = state.config.metrics.listen() {
        let metrics = tokio::net::TcpListener::bind(&listen).await?;
        let at = metrics.local_addr()?;
        info!(listen = %at, "metrics serving");
        let router = crate::api::health::metrics_router(state.clone());
        let limits = state.config.server.limits();
        tokio::spawn(async move {
            if let Err(e) =
                crate::server::serve(metrics, router, limits, std::future::pending()).await
            {
                error!(error = %e, "the metrics listener stopped");
            }
        });
        write_address("TOUCHGATE_METRICS_ADDRESS_FILE", at)?;
    }
    write_address("TOUCHGATE_ADDRESS_FILE", bound)?;
    crate::server::serve(
        listener,
        router,
        state.config.server.limits(),
        shutdown_signal(),
    )
    .await
}

/// Writes `address` to the file the variable `var` names, when set: whole, then renamed into
/// place, so a reader never sees half an address.
fn write_address(var: &str, address: std::net::SocketAddr) -> std::io::Result<()> {
    if let Some(path) = std::env::var_os(var) {
        let path = std::path::PathBuf::from(path);
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, address.to_string())?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
