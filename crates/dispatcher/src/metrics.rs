//! What `/metrics` exports, on `prometheus-client`: gate decisions by outcome, reason and
//! channel; what happened after the gate (by lifecycle event); pickup latency (due →
//! decision), gate time and provider call time as histograms; touches by status and database
//! health read at each scrape. Every label value comes from a closed set (reason codes,
//! channels, events, statuses), so the series stay bounded.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::touch::{Event, TouchStatus, transitions::event_label};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    /// `allowed` | `snoozed` | `blocked` | `expired`.
    outcome: &'static str,
    /// The reason code, or `none` for an allowed decision.
    reason: &'static str,
    channel: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabels {
    channel: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

/// The daemon's metrics; cheap to clone (every handle shares its series).
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Arc<Registry>,
    decisions: Family<DecisionLabels, Counter>,
    events: Family<EventLabels, Counter>,
    claim_lost: Counter,
    pickup: Histogram,
    gate_time: Histogram,
    provider_time: Family<ChannelLabels, Histogram>,
    touches: Family<StatusLabels, Gauge>,
    database_up: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Seconds, from 100 µs to ~6.5 s (gate time, pickup latency).
fn fast_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.0001, 2.0, 17)
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("touchgate");
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "decisions",
            "Gate decisions made by the dispatcher, by outcome, reason and channel",
            decisions.clone(),
        );
        let events = Family::<EventLabels, Counter>::default();
        registry.register(
            "touch_events",
            "Status changes after the gate (provider answers, last checks, recovery), by event",
            events.clone(),
        );
        let claim_lost = Counter::default();
        registry.register(
            "claim_lost",
            "Due touches another dispatcher had claimed",
            claim_lost.clone(),
        );
        let pickup = Histogram::new(fast_buckets());
        registry.register(
            "pickup_latency_seconds",
            "From the instant a touch fell due to its gate decision",
            pickup.clone(),
        );
        let gate_time = Histogram::new(fast_buckets());
        registry.register(
            "gate_seconds",
            "Time spent in the gate's evaluate_send",
            gate_time.clone(),
        );
        let provider_time =
            Family::<ChannelLabels, Histogram>::new_with_constructor(|| -> Histogram {
                Histogram::new(exponential_buckets(0.001, 2.0, 16))
            });
        registry.register(
            "provider_call_seconds",
            "Time from handing a touch to its transport to the provider's answer",
            provider_time.clone(),
        );
        let touches = Family::<StatusLabels, Gauge>::default();
        registry.register(
            "touches",
            "Touches by status (all workspaces), read at each scrape",
            touches.clone(),
        );
        let database_up = Gauge::default();
        registry.register(
            "database_up",
            "Whether the database answered this scrape",
            database_up.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            decisions,
            events,
            claim_lost,
            pickup,
            gate_time,
            provider_time,
            touches,
            database_up,
        }
    }

    /// One gate decision: `outcome` is `allowed`, `snoozed`, `blocked` or `expired`.
    pub fn decision(
        &self,
        outcome: &'static str,
        reason: Option<gate::Reason>,
        channel: gate::Channel,
    ) {
        self.decisions
            .get_or_create(&DecisionLabels {
                outcome,
                reason: reason.map_or("none", gate::Reason::as_str),
                channel: channel.as_str(),
            })
            .inc();
    }

    /// A status change after the gate.
    pub fn event(&self, event: Event) {
        self.events
            .get_or_create(&EventLabels {
                event: event_label(event),
            })
            .inc();
    }

    pub fn claim_lost(&self) {
        self.claim_lost.inc();
    }

    pub fn pickup_latency(&self, d: chrono::Duration) {
        self.pickup
            .observe(d.to_std().unwrap_or(Duration::ZERO).as_secs_f64());
    }

    pub fn gate_time(&self, d: Duration) {
        self.gate_time.observe(d.as_secs_f64());
    }

    pub fn provider_time(&self, channel: gate::Channel, d: Duration) {
        self.provider_time
            .get_or_create(&ChannelLabels {
                channel: channel.as_str(),
            })
            .observe(d.as_secs_f64());
    }

    /// The text exposition, with the scrape-time gauges set from `counts` (`None`: the
    /// database did not answer).
    pub fn render(&self, counts: Option<&[(TouchStatus, i64)]>) -> String {
        self.database_up.set(i64::from(counts.is_some()));
        if let Some(counts) = counts {
            for s in TouchStatus::ALL {
                let n = counts
                    .iter()
                    .find(|(status, _)| *status == s)
                    .map_or(0, |(_, n)| *n);
                self.touches
                    .get_or_create(&StatusLabels { status: s.as_str() })
                    .set(n);
            }
        }
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "metrics: encoding failed");
        }
        out
    }
}
