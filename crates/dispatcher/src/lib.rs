//! The touchgate daemon: storage, dispatcher, HTTP API, audit.

pub mod app;
pub mod clock;
pub mod config;
pub mod dispatch;
pub mod domain;
pub mod store;
pub mod transports;
