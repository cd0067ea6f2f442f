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
    /// Wakes the dispatch loop when a touch becomes due now (created, or a clock jump).
    pub wake: Arc<Notify>,
}
