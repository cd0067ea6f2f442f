//! The touchgate daemon: storage, dispatcher, HTTP API, audit.

pub mod alerts;
pub mod api;
pub mod app;
pub mod check;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod decide;
pub mod deliverability;
pub mod dispatch;
pub mod dmarc;
pub mod domain;
pub mod email_parse;
pub mod email_report;
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
pub mod touch;
pub mod unsubscribe;
