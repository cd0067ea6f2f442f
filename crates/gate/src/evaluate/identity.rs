//! Who may be contacted at all: the account and its channel, the sender's authentication, the
//! recipient, litigation holds, DNC rows and registry listings, the registry's freshness, and
//! consent.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};

use super::{Evaluation, REGISTRY_STALE_SNOOZE, SENDER_LOOKUP_SNOOZE, rfc3339};
use crate::channel::Channel;
use crate::constraints::TimeConstraint;
use crate::decision::{Check, CheckOutcome};
use crate::dnc;
use crate::facts::{AccountStatus, DncEntry, SenderAuth};
use crate::instant::plus;
use crate::reason::Reason;
use crate::registry::{Registry, RegistryListing};

/// 47 CFR 64.1200(c)(2)(i)(D): the national registry must be no more than 31 days old.
const REGISTRY_MAX_AGE: Duration = Duration::days(31);

impl<'f> Evaluation<'_, 'f> {
    /// Account, channel, sender, recipient, litigation hold, DNC, registry freshness,
    /// consent. Returns the permit's recipient key.
    pub(super) fn identity_checks(&mut self) -> Option<&'f str> {
        let (touch, account, lead) = (self.touch, self.facts.account, self.facts.lead);
        let channel = touch.channel;

        match account.status {
            AccountStatus::Active => self.pass(Check::AccountStatus),
            other => self.push(CheckOutcome::fail(
                Check::AccountStatus,
                Reason::AccountPaused,
                format!("account {} is {}", account.id, status_name(other)),
            )),
        }

        if account.paused_channels.contains(&channel) {
            self.push(CheckOutcome::fail(
                Check::ChannelStatus,
                Reason::ChannelPaused,
                format!("{channel} is paused on account {}", account.id),
            ));
        } else if let Some(h) = account.health_pauses.get(&channel) {
            self.push(CheckOutcome::fail(
                Check::ChannelStatus,
                Reason::ChannelPaused,
                format!(
                    "{channel} on account {} paused by sender health since {}: {}",
                    account.id,
                    rfc3339(h.since),
                    h.why
                ),
            ));
        } else {
            self.pass(Check::ChannelStatus);
        }

        self.sender_authentication();

        let recipient = lead.contact_for(channel);
        if recipient.is_some() {
            self.pass(Check::Recipient);
        } else {
            self.push(CheckOutcome::fail(
                Check::Recipient,
                Reason::InvalidRecipient,
                format!("lead {} has no valid contact for {channel}", lead.id),
            ));
        }

        let listings = self.facts.registry.listings;
        let void_before = dnc::void_before(lead, recipient, listings);
        let (holds, others) = dnc::blocking(
            self.facts.dnc,
            lead,
            channel,
            touch.purpose,
            void_before,
            self.now,
        );
        self.litigation_hold(&holds, listings);
        self.dnc(&others, listings, void_before);
        self.registry_freshness();
        self.consent(void_before);
        recipient
    }

    fn sender_authentication(&mut self) {
        if self.touch.channel != Channel::Email {
            self.pass(Check::SenderAuthentication);
            return;
        }
        match self.facts.sender {
            SenderAuth::NotRequired | SenderAuth::Authenticated => {
                self.pass(Check::SenderAuthentication)
            }
            SenderAuth::Unauthenticated { detail } => self.push(CheckOutcome::fail(
                Check::SenderAuthentication,
                Reason::SenderUnauthenticated,
                if detail.trim().is_empty() {
                    "the sender's domain is not authenticated (DMARC, DKIM selector)".to_owned()
                } else {
                    detail.clone()
                },
            )),
            SenderAuth::LookupFailed { detail } => {
                let at = plus(self.now, SENDER_LOOKUP_SNOOZE);
                self.constrain(Check::SenderAuthentication, TimeConstraint::NotBefore(at));
                self.push(
                    CheckOutcome::fail(
                        Check::SenderAuthentication,
                        Reason::SenderUnauthenticated,
                        format!("sender authentication lookup failed ({detail}); deciding again in 5 minutes"),
                    )
                    .until(Some(at)),
                );
            }
        }
    }

    /// When a block by DNC `rows` lifts: when the last of them expires, if no registry listing
    /// holds too (a listing holds until the list changes). Joins the retry search.
    fn rows_expire(
        &mut self,
        check: Check,
        rows: &[&DncEntry],
        no_listing: bool,
    ) -> Option<DateTime<Utc>> {
        let until = if no_listing {
            dnc::lifted_at(rows)
        } else {
            None
        };
        if let Some(at) = until {
            self.constrain(check, TimeConstraint::NotBefore(at));
        }
        until
    }

    /// The lead's numbers a `litigators` listing may name (every channel is held).
    fn is_leads_number(&self, number: &str) -> bool {
        let lead = self.facts.lead;
        [lead.phone.as_ref(), lead.whatsapp.as_ref()]
            .into_iter()
            .flatten()
            .any(|p| p.as_str() == number)
    }

    fn litigation_hold(&mut self, holds: &[&DncEntry], listings: &[RegistryListing]) {
        let litigators: Vec<&RegistryListing> = listings
            .iter()
            .filter(|l| l.registry == Registry::Litigators && self.is_leads_number(&l.number))
            .collect();
        if holds.is_empty() && litigators.is_empty() {
            self.pass(Check::LitigationHold);
            return;
        }
        let until = self.rows_expire(Check::LitigationHold, holds, litigators.is_empty());
        let detail = match (holds.first(), litigators.first()) {
            (Some(row), _) => format!(
                "DNC entry {} ({}) holds this lead",
                row.id,
                describe_entry(row)
            ),
            (None, Some(l)) => format!("{} lists {}", l.label(), l.number),
            (None, None) => String::new(),
        };
        self.push(
            CheckOutcome::fail(Check::LitigationHold, Reason::LitigationHold, detail).until(until),
        );
    }

    /// Registry listings (national, the candidate states') of the touch's number that bind a
    /// marketing telephone touch and are not lifted by consent or a business relationship.
    fn binding_listings(
        &self,
        listings: &'f [RegistryListing],
        void_before: Option<DateTime<Utc>>,
    ) -> Vec<&'f RegistryListing> {
        let (touch, lead) = (self.touch, self.facts.lead);
        let Some(number) = self.phone.map(|p| p.as_str()) else {
            return Vec::new();
        };
        if !dnc::registries_bind(touch.channel, touch.purpose) {
            return Vec::new();
        }
        let listed: Vec<&RegistryListing> = listings
            .iter()
            .filter(|l| {
                l.number == number
                    && match l.registry {
                        Registry::National => true,
                        Registry::State(code) => self.place.subdivisions.contains(&code),
                        Registry::Litigators | Registry::Reassigned => false,
                    }
            })
            .collect();
        if listed.is_empty() || dnc::listing_lifted(lead, touch.channel, void_before, self.now) {
            Vec::new()
        } else {
            listed
        }
    }

    fn dnc(
        &mut self,
        rows: &[&DncEntry],
        listings: &'f [RegistryListing],
        void_before: Option<DateTime<Utc>>,
    ) {
        let listed = self.binding_listings(listings, void_before);
        if rows.is_empty() && listed.is_empty() {
            self.pass(Check::Dnc);
            return;
        }
        let until = self.rows_expire(Check::Dnc, rows, listed.is_empty());
        let mut detail = String::new();
        if let Some(first) = rows.first() {
            let _ = write!(
                detail,
                "DNC entry {} ({}, {})",
                first.id,
                describe_entry(first),
                first.reason.as_str()
            );
            if rows.len() > 1 {
                let _ = write!(detail, " and {} more", rows.len() - 1);
            }
        }
        for l in listed {
            if !detail.is_empty() {
                detail.push_str("; ");
            }
            detail.push_str(&l.label());
        }
        self.push(CheckOutcome::fail(Check::Dnc, Reason::DncListed, detail).until(until));
    }

    /// `require_registry`: a marketing call, text or WhatsApp to a US number needs a national
    /// registry no older than 31 days. Snoozed hourly (see the module documentation).
    fn registry_freshness(&mut self) {
        let touch = self.touch;
        let to_us = self.phone.is_some_and(|p| {
            let c = p.location().country;
            c == Some("US") || c.is_some_and(crate::regions::is_us_territory)
        });
        if !(self.facts.policy.require_registry
            && dnc::registries_bind(touch.channel, touch.purpose)
            && to_us)
        {
            self.pass(Check::RegistryFreshness);
            return;
        }
        let as_of = self.facts.registry.national_as_of;
        let stale = as_of
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .is_none_or(|t| self.now > plus(t.and_utc(), REGISTRY_MAX_AGE));
        if !stale {
            self.pass(Check::RegistryFreshness);
            return;
        }
        let detail = match as_of {
            None => "no national Do-Not-Call registry imported (require_registry is on)".to_owned(),
            Some(d) => format!(
                "national Do-Not-Call registry as of {} is more than 31 days old (47 CFR 64.1200(c)(2)(i)(D))",
                d.format("%Y-%m-%d")
            ),
        };
        let at = plus(self.now, REGISTRY_STALE_SNOOZE);
        self.constrain(Check::RegistryFreshness, TimeConstraint::NotBefore(at));
        self.push(
            CheckOutcome::fail(Check::RegistryFreshness, Reason::RegistryStale, detail)
                .until(Some(at)),
        );
    }

    fn consent(&mut self, void_before: Option<DateTime<Utc>>) {
        let (touch, lead, now) = (self.touch, self.facts.lead, self.now);
        let channel = touch.channel;
        let needs_consent =
            self.facts.policy.require_consent && self.is_marketing() && channel.is_telephone();
        if !needs_consent
            || dnc::has_consent(
                lead,
                channel,
                crate::facts::Purpose::Marketing,
                void_before,
                now,
            )
        {
            self.pass(Check::Consent);
            return;
        }
        let voided = void_before.filter(|v| {
            lead.consents
                .iter()
                .any(|c| c.channel == channel && c.granted_at < *v)
        });
        let detail = match voided {
            Some(v) => format!(
                "no valid marketing consent for {channel}: consent predates the number's reassignment or revocation on {}",
                v.format("%Y-%m-%d")
            ),
            None => format!(
                "no marketing consent for {channel} granted before {}",
                rfc3339(now)
            ),
        };
        self.push(CheckOutcome::fail(
            Check::Consent,
            Reason::ConsentMissing,
            detail,
        ));
    }
}

fn status_name(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => "active",
        AccountStatus::Paused => "paused",
        AccountStatus::Suspended => "suspended",
    }
}

fn describe_entry(e: &DncEntry) -> String {
    let who = match (&e.contact, &e.lead_id) {
        (Some(c), _) => c.clone(),
        (None, Some(l)) => format!("lead {l}"),
        (None, None) => "?".to_owned(),
    };
    match e.expires_at {
        Some(x) => format!("{who} on {} until {}", e.channel, rfc3339(x)),
        None => format!("{who} on {}", e.channel),
    }
}
