//! Where a recipient is, in time: the candidate time zones of a lead, and the country and
//! US state / Canadian province that the rule packs key on.
//!
//! Order of evidence (first that answers wins): the lead's stored time zone; the phone
//! number's prefix (area-code level for +1, from libphonenumber's data through `namba`); the
//! lead's country; the workspace default. When a prefix maps to several zones, every one of
//! them is a candidate: a send is allowed only when all candidates are inside their windows.

use chrono_tz::Tz;
use serde::Serialize;

use crate::facts::Lead;

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
        let subdivision = if number.calling_code().value() == 1 {
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

/// Where the candidate zones came from; reported in the quiet-hours check detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    LeadTimezone,
    PhonePrefix,
    Country,
    WorkspaceDefault,
}

impl ZoneSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneSource::LeadTimezone => "lead timezone",
            ZoneSource::PhonePrefix => "phone prefix",
            ZoneSource::Country => "lead country",
            ZoneSource::WorkspaceDefault => "workspace default",
        }
    }
}

/// The recipient's candidate zones and the jurisdictions the rule packs consider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientPlace {
    pub zones: Vec<Tz>,
    pub source: ZoneSource,
    /// Countries whose rules may apply (from the lead's stored country and the number's plan).
    pub countries: Vec<&'static str>,
    /// US states / Canadian provinces whose rules may apply (stored state and area code).
    pub subdivisions: Vec<&'static str>,
}

/// Resolves the recipient's place for a touch sent to `phone` (if the channel uses one).
pub fn resolve_place(
    lead: &Lead,
    phone: Option<&crate::contact::Phone>,
    default_zone: Tz,
) -> RecipientPlace {
    let phone = phone.or(lead.phone.as_ref());
    let loc = phone.map(|p| p.location());
    let lead_country = lead.country.as_deref().and_then(static_region);
    let (zones, source) = if let Some(tz) = lead.timezone {
        (vec![tz], ZoneSource::LeadTimezone)
    } else if let Some(l) = loc.filter(|l| !l.zones.is_empty()) {
        (l.zones.clone(), ZoneSource::PhonePrefix)
    } else if let Some(z) = lead_country
        .or(loc.and_then(|l| l.country))
        .and_then(country_zones)
    {
        (z.to_vec(), ZoneSource::Country)
    } else {
        (vec![default_zone], ZoneSource::WorkspaceDefault)
    };
    let mut countries: Vec<&'static str> = Vec::new();
    for c in [lead_country, loc.and_then(|l| l.country)]
        .into_iter()
        .flatten()
    {
        if !countries.contains(&c) {
            countries.push(c);
        }
    }
    let mut subdivisions: Vec<&'static str> = Vec::new();
    let stored = lead
        .state
        .as_deref()
        .and_then(|s| subdivision_code(s).or_else(|| static_subdivision(s)));
    for s in [stored, loc.and_then(|l| l.subdivision)]
        .into_iter()
        .flatten()
    {
        if !subdivisions.contains(&s) {
            subdivisions.push(s);
        }
    }
    RecipientPlace {
        zones,
        source,
        countries,
        subdivisions,
    }
}

/// Zones that stand for a whole country when nothing finer is known. For countries spanning
/// several zones, the populated mainland zones are all candidates (the intersection of their
/// windows is still a usable window for 08:00–21:00-style rules).
pub fn country_zones(country: &str) -> Option<&'static [Tz]> {
    use chrono_tz::America as Am;
    use chrono_tz::Asia;
    use chrono_tz::Australia as Au;
    use chrono_tz::Europe as Eu;
    let zones: &'static [Tz] = match country {
        "US" => &[
            Am::New_York,
            Am::Chicago,
            Am::Denver,
            Am::Phoenix,
            Am::Los_Angeles,
        ],
        "CA" => &[
            Am::Halifax,
            Am::Toronto,
            Am::Winnipeg,
            Am::Edmonton,
            Am::Vancouver,
        ],
        "MX" => &[Am::Mexico_City, Am::Tijuana],
        "BR" => &[Am::Sao_Paulo, Am::Manaus],
        "AU" => &[Au::Sydney, Au::Brisbane, Au::Adelaide, Au::Perth],
        "IN" => &[Asia::Kolkata],
        "GB" => &[Eu::London],
        "IE" => &[Eu::Dublin],
        "DE" => &[Eu::Berlin],
        "FR" => &[Eu::Paris],
        "ES" => &[Eu::Madrid],
        "IT" => &[Eu::Rome],
        "NL" => &[Eu::Amsterdam],
        "BE" => &[Eu::Brussels],
        "PT" => &[Eu::Lisbon],
        "CH" => &[Eu::Zurich],
        "AT" => &[Eu::Vienna],
        "SE" => &[Eu::Stockholm],
        "NO" => &[Eu::Oslo],
        "DK" => &[Eu::Copenhagen],
        "FI" => &[Eu::Helsinki],
        "PL" => &[Eu::Warsaw],
        "SG" => &[Asia::Singapore],
        "JP" => &[Asia::Tokyo],
        "AE" => &[Asia::Dubai],
        "ZA" => &[chrono_tz::Africa::Johannesburg],
        "NZ" => &[chrono_tz::Pacific::Auckland],
        _ => return None,
    };
    Some(zones)
}

/// Interns a region code so location data can be `&'static`.
fn static_region(code: &str) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "US", "CA", "IN", "GB", "IE", "DE", "FR", "ES", "IT", "NL", "BE", "PT", "CH", "AT", "SE",
        "NO", "DK", "FI", "PL", "MX", "BR", "AU", "NZ", "SG", "JP", "AE", "ZA", "PR", "GU", "VI",
        "AS", "MP", "JM", "BS", "BB", "TT", "DO", "BM", "KY", "AG", "AI", "VG", "DM", "GD", "KN",
        "LC", "VC", "MS", "TC", "SX",
    ];
    let code = code.trim();
    KNOWN.iter().copied().find(|k| k.eq_ignore_ascii_case(code))
}

/// Two-letter codes of US states (and DC) and Canadian provinces, as stored on a lead.
fn static_subdivision(code: &str) -> Option<&'static str> {
    let code = code.trim();
    SUBDIVISIONS
        .iter()
        .map(|(_, c)| *c)
        .find(|c| c.eq_ignore_ascii_case(code))
}

/// Maps libphonenumber's English place names (`Florida`, `Palm Beach, FL`, `Washington
/// State`) or a full name stored on a lead to a two-letter code.
pub fn subdivision_code(place: &str) -> Option<&'static str> {
    let place = place.trim();
    if let Some((_, suffix)) = place.rsplit_once(", ") {
        return static_subdivision(suffix);
    }
    SUBDIVISIONS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(place))
        .map(|(_, code)| *code)
}

const SUBDIVISIONS: &[(&str, &str)] = &[
    ("Alabama", "AL"),
    ("Alaska", "AK"),
    ("Arizona", "AZ"),
    ("Arkansas", "AR"),
    ("California", "CA"),
    ("Colorado", "CO"),
    ("Connecticut", "CT"),
    ("Delaware", "DE"),
    ("Washington D.C.", "DC"),
    ("District of Columbia", "DC"),
    ("Florida", "FL"),
    ("Georgia", "GA"),
    ("Hawaii", "HI"),
    ("Idaho", "ID"),
    ("Illinois", "IL"),
    ("Indiana", "IN"),
    ("Iowa", "IA"),
    ("Kansas", "KS"),
    ("Kentucky", "KY"),
    ("Louisiana", "LA"),
    ("Maine", "ME"),
    ("Maryland", "MD"),
    ("Massachusetts", "MA"),
    ("Michigan", "MI"),
    ("Minnesota", "MN"),
    ("Mississippi", "MS"),
    ("Missouri", "MO"),
    ("Montana", "MT"),
    ("Nebraska", "NE"),
    ("Nevada", "NV"),
    ("New Hampshire", "NH"),
    ("New Jersey", "NJ"),
    ("New Mexico", "NM"),
    ("New York", "NY"),
    ("North Carolina", "NC"),
    ("North Dakota", "ND"),
    ("Ohio", "OH"),
    ("Oklahoma", "OK"),
    ("Oregon", "OR"),
    ("Pennsylvania", "PA"),
    ("Rhode Island", "RI"),
    ("South Carolina", "SC"),
    ("South Dakota", "SD"),
    ("Tennessee", "TN"),
    ("Texas", "TX"),
    ("Utah", "UT"),
    ("Vermont", "VT"),
    ("Virginia", "VA"),
    ("Washington State", "WA"),
    ("Washington", "WA"),
    ("West Virginia", "WV"),
    ("Wisconsin", "WI"),
    ("Wyoming", "WY"),
    ("Alberta", "AB"),
    ("British Columbia", "BC"),
    ("British Colombia", "BC"),
    ("Manitoba", "MB"),
    ("New Brunswick", "NB"),
    ("Newfoundland and Labrador", "NL"),
    ("Nova Scotia/Prince Edward Island", "NS"),
    ("Nova Scotia", "NS"),
    ("Prince Edward Island", "PE"),
    ("Northwest Territories/Nunavut/Yukon", "NT"),
    ("Ontario", "ON"),
    ("Quebec", "QC"),
    ("Saskatchewan", "SK"),
];
