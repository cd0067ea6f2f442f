//! The touchgate daemon: storage, dispatcher, HTTP API, audit.

pub mod alerts;
pub mod api;
pub mod app;
pub mod check;
pub mod clock;
pub mod config;
pub mod console;
pub mod daemon;
pub mod decide;
pub mod dispatch;
pub mod domain;
pub mod email_parse;
pub mod export;
pub mod inbound;
pub mod logging;
pub mod metrics;
pub mod queue;
pub mod registries;
pub mod scrub;
pub mod server;
pub mod signing;
pub mod store;
pub mod tokens;
pub mod touch;
pub mod unsubscribe;
