//! The touchgate daemon: storage, dispatcher, HTTP API, audit.

pub mod app;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod dispatch;
pub mod domain;
pub mod facts;
pub mod store;
pub mod transports;
