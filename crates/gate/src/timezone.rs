//! Where a recipient is, in time: the candidate time zones of a lead, and the countries and
//! US states / Canadian provinces that the rule packs and blackouts key on.
//!
//! Every piece of evidence counts (Contract v2): the lead's stored time zone, the zones of its
//! stored state, and the zones of its phone number's prefix (area-code level for +1, from
//! libphonenumber's data through `namba`) — and of its WhatsApp number for WhatsApp touches.
//! A send is allowed only when every candidate is inside its window: a stored zone never hides
//! the number's own zone. The lead's country and then the workspace default are fallbacks when
//! nothing else locates the lead. US territories (PR, VI, GU, AS, MP) are also the US.

use chrono_tz::Tz;
use serde::Serialize;

use crate::channel::Channel;
use crate::contact::Phone;
use crate::facts::Lead;
pub use crate::regions::{country_zones, subdivision_code};
use crate::regions::{is_us_territory, static_region, subdivision_named};

/// A prefix that maps to more zones than this is a whole-country answer (libphonenumber maps
/// bare `+1` to 43 zones), not evidence of where the recipient is.
const MAX_PREFIX_ZONES: usize = 6;

/// What a phone number's prefix says about where it rings.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PhoneLocation {
    /// Candidate zones from the prefix; empty when the prefix gives only a country.
    pub zones: Vec<Tz>,
    /// ISO 3166 alpha-2 region of the numbering plan (`US`, `CA`, `IN`, …).
    pub country: Option<&'static str>,
    /// Two-letter US state or Canadian province of the area code, where known.
    pub subdivision: Option<&'static str>,
}

impl PhoneLocation {
    pub(crate) fn of(number: &namba::PhoneNumber) -> PhoneLocation {
        let zones: Vec<Tz> = namba::TimeZones::for_number(number)
            .map(|z| z.iter().filter_map(|name| name.parse().ok()).collect())
            .unwrap_or_default();
        let zones = if zones.len() > MAX_PREFIX_ZONES {
            Vec::new()
        } else {
            zones
        };
        let country = number.region().and_then(|r| static_region(r.as_str()));
        let subdivision = if country.is_some_and(is_us_territory) {
            country
        } else if number.calling_code().value() == 1 {
            namba::Location::for_number(number).and_then(|l| subdivision_code(l.as_str()))
        } else {
            None
        };
        PhoneLocation {
            zones,
            country,
            subdivision,
        }
    }
}

impl PhoneLocation {
    /// The countries whose rules may apply to the number: its own, and `US` for a US
    /// territory.
    fn countries(&self) -> impl Iterator<Item = &'static str> {
        let us = self.country.filter(|c| is_us_territory(c)).map(|_| "US");
        self.country.into_iter().chain(us)
    }
}

/// Where a candidate zone came from; reported in the quiet-hours check detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    LeadTimezone,
    LeadState,
    PhonePrefix,
    WhatsappPrefix,
    Country,
    WorkspaceDefault,
}

impl ZoneSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneSource::LeadTimezone => "lead timezone",
            ZoneSource::LeadState => "lead state",
            ZoneSource::PhonePrefix => "phone prefix",
            ZoneSource::WhatsappPrefix => "WhatsApp number prefix",
            ZoneSource::Country => "lead country",
            ZoneSource::WorkspaceDefault => "workspace default",
        }
    }
}

/// The recipient's candidate zones and the jurisdictions the rule packs consider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientPlace {
    /// Every candidate zone, once each, in order of evidence.
    pub zones: Vec<Tz>,
    /// Where each zone of `zones` came from (same length, same order).
    pub zone_sources: Vec<ZoneSource>,
    /// Countries whose rules may apply (stored country, the numbers' plans, the countries of
    /// the candidate subdivisions; `US` for a territory).
    pub countries: Vec<&'static str>,
    /// US states, DC, territories, Canadian provinces whose rules may apply (stored state and
    /// the numbers' area codes).
    pub subdivisions: Vec<&'static str>,
}

impl RecipientPlace {
    /// A place in one zone (for tests and callers that know exactly where a recipient is).
    pub fn in_zone(
        zone: Tz,
        countries: Vec<&'static str>,
        subdivisions: Vec<&'static str>,
    ) -> RecipientPlace {
        RecipientPlace {
            zones: vec![zone],
            zone_sources: vec![ZoneSource::LeadTimezone],
            countries,
            subdivisions,
        }
    }

    fn add_zone(&mut self, zone: Tz, source: ZoneSource) {
        if !self.zones.contains(&zone) {
            self.zones.push(zone);
            self.zone_sources.push(source);
        }
    }

    fn add_country(&mut self, c: &'static str) {
        if !self.countries.contains(&c) {
            self.countries.push(c);
        }
    }

    fn add_subdivision(&mut self, s: &'static str) {
        if !self.subdivisions.contains(&s) {
            self.subdivisions.push(s);
        }
    }

    /// The zones considered, for a check detail: `America/New_York (phone prefix),
    /// America/Chicago (lead timezone)`.
    pub fn describe_zones(&self) -> String {
        let mut out = String::new();
        for (i, (z, s)) in self.zones.iter().zip(&self.zone_sources).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(z.name());
            out.push_str(" (");
            out.push_str(s.as_str());
            out.push(')');
        }
        out
    }
}

/// Resolves the recipient's place for a touch on `channel`.
pub fn resolve_place(lead: &Lead, channel: Channel, default_zone: Tz) -> RecipientPlace {
    let mut place = RecipientPlace {
        zones: Vec::with_capacity(4),
        zone_sources: Vec::with_capacity(4),
        countries: Vec::with_capacity(2),
        subdivisions: Vec::with_capacity(2),
    };
    let lead_country = lead.country.as_deref().and_then(static_region);
    if let Some(c) = lead_country {
        place.add_country(c);
        if is_us_territory(c) {
            place.add_country("US");
        }
    }
    if let Some(tz) = lead.timezone {
        place.add_zone(tz, ZoneSource::LeadTimezone);
    }
    if let Some(state) = lead.state.as_deref().and_then(subdivision_named) {
        for z in state.zones {
            place.add_zone(*z, ZoneSource::LeadState);
        }
        place.add_subdivision(state.code);
        place.add_country(state.country);
    }
    let whatsapp = (channel == Channel::Whatsapp)
        .then_some(lead.whatsapp.as_ref())
        .flatten();
    let numbers = [
        (lead.phone.as_ref(), ZoneSource::PhonePrefix),
        (whatsapp, ZoneSource::WhatsappPrefix),
    ];
    for (phone, source) in numbers {
        let Some(loc) = phone.map(Phone::location) else {
            continue;
        };
        for z in &loc.zones {
            place.add_zone(*z, source);
        }
        for c in loc.countries() {
            place.add_country(c);
        }
        if let Some(s) = loc.subdivision {
            place.add_subdivision(s);
            // The number's own plan gives the country (+1: US or CA; a territory also adds
            // US above); look the subdivision up only when it does not.
            if loc.country.is_none()
                && let Some(sub) = crate::regions::subdivision(s)
            {
                place.add_country(sub.country);
            }
        }
    }
    if place.zones.is_empty() {
        let phone_country = lead.phone.as_ref().and_then(|p| p.location().country);
        match lead_country.or(phone_country).and_then(country_zones) {
            Some(zones) => {
                for z in zones {
                    place.add_zone(*z, ZoneSource::Country);
                }
            }
            None => place.add_zone(default_zone, ZoneSource::WorkspaceDefault),
        }
    }
    place
}
