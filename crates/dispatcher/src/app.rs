//! Shared state of the running daemon, handed to the HTTP API.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::{Config, Role};
use crate::dispatch::Dispatcher;
use crate::metrics::Metrics;
use crate::store::Store;

/// One bearer token's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub workspace: String,
    pub role: Role,
    /// The token's id (`tok_…` in the database, `cfg_…` from the config file, `env_…` from
    /// the environment): recorded with every audited action.
    pub token_id: String,
    /// The token's name, as given at `touchgate token create --name` or in the config.
    pub token_name: String,
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub metrics: Metrics,
    pub dispatcher: Dispatcher,
    /// Bearer token → identity (from the config, the environment, or generated at start).
    pub tokens: Arc<Vec<(String, Principal)>>,
    /// The shared webhook secret (`[webhooks] secret_env`), read once at start.
    pub webhook_secret: Option<workers::Secret>,
    /// The registries in force on this node (kept in step with the database).
    pub registries: crate::registries::Registries,
    /// Records every check-API answer, in batches.
    pub check_log: crate::check::CheckLog,
    /// Work a request started and did not wait for (the opt-out confirmation).
    pub background: Background,
    /// Wakes the dispatch loop when a touch becomes due now (created, or a clock jump).
    pub wake: Arc<Notify>,
}

/// Tasks a request starts without waiting for them (the opt-out confirmation goes out after
/// the inbound answer). `settle` waits until none is in flight: `POST /v1/dispatch/drain`
/// answers only then, so a client (or a test) that drains sees their outcome, and a
/// duplicate could not slip in after it looked.
#[derive(Debug, Clone)]
pub struct Background {
    in_flight: Arc<tokio::sync::watch::Sender<usize>>,
}

impl Default for Background {
    fn default() -> Self {
        Background {
            in_flight: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }
}

impl Background {
    pub fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.in_flight.send_modify(|n| *n += 1);
        let in_flight = self.in_flight.clone();
        tokio::spawn(async move {
            task.await;
            in_flight.send_modify(|n| *n = n.saturating_sub(1));
        });
    }

    /// Waits until no task is in flight.
    pub async fn settle(&self) {
        let mut rx = self.in_flight.subscribe();
        // The sender lives as long as `self`: this cannot fail.
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}
