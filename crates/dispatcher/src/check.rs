//! `GET /v1/check` for other systems (dialers, CRMs): the gate's answer for a contact alone —
//! its DNC rows, the registries (national, its states', litigators; no consent is known, so a
//! listing blocks), the number's zones and rule packs, the caller's blackouts; no caps (there
//! is no account). Every answer is recorded by [`CheckLog`], in batches, off the answer's path.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::config::WorkspaceSettings;
use crate::decide::{Context, decide};
use crate::domain::{StoredAccount, StoredLead};
use crate::registries::RegistrySet;
use crate::store::{CheckRecord, FactsKey, Store, StoreError, TouchFacts};

/// What is asked.
#[derive(Debug, Clone)]
pub struct CheckQuery {
    pub contact: gate::Contact,
    pub channel: gate::Channel,
    pub purpose: gate::Purpose,
    pub at: DateTime<Utc>,
    pub automated: bool,
}

/// One listing of the contact, as answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingAnswer {
    pub registry: String,
    /// `National (USA) 2021-01-01`.
    pub label: String,
}

/// The answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckAnswer {
    pub contact: String,
    pub allowed: bool,
    pub reason: Option<String>,
    #[schema(value_type = Option<String>)]
    pub retry_after: Option<DateTime<Utc>>,
    pub listings: Vec<ListingAnswer>,
    #[schema(value_type = Vec<Object>)]
    pub checks: serde_json::Value,
}

/// The gate's decision for the contact alone.
pub async fn check(
    store: &Store,
    workspace: &str,
    settings: &WorkspaceSettings,
    registries: &RegistrySet,
    q: &CheckQuery,
) -> Result<(CheckAnswer, gate::Decision), StoreError> {
    let mut lead = gate::Lead {
        id: String::new(),
        ..gate::Lead::default()
    };
    match &q.contact {
        gate::Contact::Phone(p) => {
            lead.phone = Some(p.clone());
            lead.whatsapp = Some(p.clone());
        }
        gate::Contact::Email(e) => lead.email = Some(e.clone()),
        gate::Contact::LinkedIn(l) => lead.linkedin = Some(l.clone()),
    }
    let contacts = vec![q.contact.as_str().to_owned()];
    let mut facts: TouchFacts = store
        .touch_facts(
            FactsKey {
                workspace,
                account_id: "",
                lead_id: "",
                channel: q.channel,
            },
            q.at,
        )
        .await?;
    // Only what the contact tells: its DNC rows, no sends (no account, no lead).
    facts.dnc = store.dnc_for(workspace, "", &contacts).await?;
    facts.sends.clear();
    facts.first_send = None;
    facts.account = Some(StoredAccount {
        body: crate::domain::AccountBody::default(),
        facts: gate::Account {
            id: "check".to_owned(),
            ..gate::Account::default()
        },
    });
    facts.lead = Some(StoredLead {
        body: crate::domain::LeadBody::default(),
        facts: lead,
    });
    // No consent is known: a registry listing blocks (a consent check would only add noise).
    let mut settings = settings.clone();
    settings.policy.require_consent = false;
    let touch = gate::Touch {
        id: "check".to_owned(),
        account_id: "check".to_owned(),
        lead_id: String::new(),
        channel: q.channel,
        purpose: q.purpose,
        template: None,
        body: None,
        action: gate::LinkedInAction::Message,
        automated: q.automated,
    };
    let cx = Context {
        settings: &settings,
        registries,
        sender: &gate::SenderAuth::NotRequired,
        waivers: gate::Waivers::NONE,
    };
    let (decision, _) = decide(&touch, &facts, cx, q.at);
    let listings = facts
        .lead
        .as_ref()
        .map(|l| crate::decide::listings(&l.facts, registries))
        .unwrap_or_default()
        .iter()
        .map(|l| ListingAnswer {
            registry: l.registry.to_string(),
            label: l.label(),
        })
        .collect();
    let answer = CheckAnswer {
        contact: q.contact.as_str().to_owned(),
        allowed: decision.allowed,
        reason: decision.reason.map(|r| r.as_str().to_owned()),
        retry_after: decision.retry_after,
        listings,
        checks: serde_json::to_value(&decision.checks).unwrap_or_default(),
    };
    Ok((answer, decision))
}

/// The check log's writer: answers queue here and a task writes them in batches (up to
/// [`BATCH`] rows or every [`FLUSH_EVERY`]), so recording costs the answer nothing. A record
/// still queued when the process stops is lost (the answer was given).
#[derive(Debug, Clone)]
pub struct CheckLog {
    tx: mpsc::Sender<CheckRecord>,
}

/// Rows written per statement at most.
pub const BATCH: usize = 500;
/// How long a record waits for companions at most.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Records queued at most; past it an answer waits for room (back-pressure, nothing dropped).
const QUEUE: usize = 10_000;

impl CheckLog {
    /// Starts the writer on `store`.
    pub fn start(store: Store) -> CheckLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(store, rx));
        CheckLog { tx }
    }

    pub async fn record(&self, r: CheckRecord) {
        if self.tx.send(r).await.is_err() {
            tracing::warn!("check log writer stopped; a check answer was not recorded");
        }
    }
}

async fn write_batches(store: Store, mut rx: mpsc::Receiver<CheckRecord>) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        if let Err(e) = store.log_checks(&batch).await {
            tracing::warn!(error = %crate::logging::chain(&e), rows = batch.len(), "check log batch not written");
        }
        batch.clear();
    }
}
