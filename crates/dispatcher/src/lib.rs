//! The touchgate daemon: storage, dispatcher, HTTP API, audit.

pub mod api;
pub mod app;
pub mod clock;
pub mod config;
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
pub mod server;
pub mod signing;
pub mod store;
pub mod touch;
pub mod unsubscribe;
