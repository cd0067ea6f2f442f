//! The daemon's clock, injected: the system clock in production, a settable one for tests
//! (`TOUCHGATE_FAKE_CLOCK=<RFC 3339>` starts the daemon on it, and `POST /v1/test/clock` moves it).

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Fake(Arc<RwLock<DateTime<Utc>>>),
}

impl Clock {
    pub fn fake(at: DateTime<Utc>) -> Clock {
        Clock::Fake(Arc::new(RwLock::new(at)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fake(t) => t.read().map(|t| *t).unwrap_or_else(|p| *p.into_inner()),
        }
    }

    /// Sets a fake clock; false on the system clock.
    pub fn set(&self, at: DateTime<Utc>) -> bool {
        match self {
            Clock::System => false,
            Clock::Fake(t) => {
                match t.write() {
                    Ok(mut g) => *g = at,
                    Err(p) => *p.into_inner() = at,
                }
                true
            }
        }
    }

    pub fn is_fake(&self) -> bool {
        matches!(self, Clock::Fake(_))
    }
}
