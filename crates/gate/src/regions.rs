//! Places the gate knows by name: countries (ISO 3166-1 alpha-2) and the US states, DC, US
//! territories and Canadian provinces (ISO 3166-2 subdivision codes without the country), each
//! with the IANA zones people there keep.
//!
//! A subdivision's zones are every zone in official use in some part of it (Florida's
//! panhandle keeps Central time, Idaho's north Pacific time): a lead whose stored state is
//! Florida is judged in both, because the state alone does not say which part.

use std::sync::OnceLock;

use chrono_tz::Tz;

use crate::fnv::FnvMap;

/// A US state, DC, a US territory or a Canadian province or territory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subdivision {
    /// Two-letter code (`FL`, `PR`, `ON`).
    pub code: &'static str,
    /// ISO 3166-1 alpha-2 of the country it belongs to, for the rule packs (`US` for the
    /// territories: the TCPA and 47 CFR 64.1200 apply there).
    pub country: &'static str,
    /// English names as libphonenumber's geocoder or a CRM writes them.
    pub names: &'static [&'static str],
    /// Every zone in official use in it.
    pub zones: &'static [Tz],
}

/// The five inhabited US territories: ISO 3166-1 countries of their own that are the United
/// States for the federal telemarketing rules (and `US-XX` subdivisions for blackouts).
pub const US_TERRITORIES: [&str; 5] = ["PR", "VI", "GU", "AS", "MP"];

/// Whether `code` is one of [`US_TERRITORIES`].
pub fn is_us_territory(code: &str) -> bool {
    US_TERRITORIES.contains(&code)
}

macro_rules! sub {
    ($code:literal, $country:literal, [$($name:literal),+], [$($zone:expr),+]) => {
        Subdivision { code: $code, country: $country, names: &[$($name),+], zones: &[$($zone),+] }
    };
}

use chrono_tz::America as Am;
use chrono_tz::Pacific as Pa;

/// The table. Order: US states and DC alphabetically by name, the territories, then Canada.
pub const SUBDIVISIONS: &[Subdivision] = &[
    sub!("AL", "US", ["Alabama"], [Am::Chicago]),
    sub!("AK", "US", ["Alaska"], [Am::Anchorage, Am::Adak]),
    // The Navajo Nation keeps daylight time; the rest of Arizona does not.
    sub!("AZ", "US", ["Arizona"], [Am::Phoenix, Am::Denver]),
    sub!("AR", "US", ["Arkansas"], [Am::Chicago]),
    sub!("CA", "US", ["California"], [Am::Los_Angeles]),
    sub!("CO", "US", ["Colorado"], [Am::Denver]),
    sub!("CT", "US", ["Connecticut"], [Am::New_York]),
    sub!("DE", "US", ["Delaware"], [Am::New_York]),
    sub!(
        "DC",
        "US",
        ["District of Columbia", "Washington D.C."],
        [Am::New_York]
    ),
    sub!("FL", "US", ["Florida"], [Am::New_York, Am::Chicago]),
    sub!("GA", "US", ["Georgia"], [Am::New_York]),
    sub!("HI", "US", ["Hawaii"], [Pa::Honolulu]),
    sub!("ID", "US", ["Idaho"], [Am::Boise, Am::Los_Angeles]),
    sub!("IL", "US", ["Illinois"], [Am::Chicago]),
    sub!(
        "IN",
        "US",
        ["Indiana"],
        [Am::Indiana::Indianapolis, Am::Chicago]
    ),
    sub!("IA", "US", ["Iowa"], [Am::Chicago]),
    sub!("KS", "US", ["Kansas"], [Am::Chicago, Am::Denver]),
    sub!("KY", "US", ["Kentucky"], [Am::New_York, Am::Chicago]),
    sub!("LA", "US", ["Louisiana"], [Am::Chicago]),
    sub!("ME", "US", ["Maine"], [Am::New_York]),
    sub!("MD", "US", ["Maryland"], [Am::New_York]),
    sub!("MA", "US", ["Massachusetts"], [Am::New_York]),
    sub!("MI", "US", ["Michigan"], [Am::Detroit, Am::Menominee]),
    sub!("MN", "US", ["Minnesota"], [Am::Chicago]),
    sub!("MS", "US", ["Mississippi"], [Am::Chicago]),
    sub!("MO", "US", ["Missouri"], [Am::Chicago]),
    sub!("MT", "US", ["Montana"], [Am::Denver]),
    sub!("NE", "US", ["Nebraska"], [Am::Chicago, Am::Denver]),
    // West Wendover keeps Mountain time.
    sub!("NV", "US", ["Nevada"], [Am::Los_Angeles, Am::Denver]),
    sub!("NH", "US", ["New Hampshire"], [Am::New_York]),
    sub!("NJ", "US", ["New Jersey"], [Am::New_York]),
    sub!("NM", "US", ["New Mexico"], [Am::Denver]),
    sub!("NY", "US", ["New York"], [Am::New_York]),
    sub!("NC", "US", ["North Carolina"], [Am::New_York]),
    sub!("ND", "US", ["North Dakota"], [Am::Chicago, Am::Denver]),
    sub!("OH", "US", ["Ohio"], [Am::New_York]),
    sub!("OK", "US", ["Oklahoma"], [Am::Chicago]),
    // Most of Malheur County keeps Mountain time.
    sub!("OR", "US", ["Oregon"], [Am::Los_Angeles, Am::Boise]),
    sub!("PA", "US", ["Pennsylvania"], [Am::New_York]),
    sub!("RI", "US", ["Rhode Island"], [Am::New_York]),
    sub!("SC", "US", ["South Carolina"], [Am::New_York]),
    sub!("SD", "US", ["South Dakota"], [Am::Chicago, Am::Denver]),
    sub!("TN", "US", ["Tennessee"], [Am::Chicago, Am::New_York]),
    // El Paso and Hudspeth counties keep Mountain time.
    sub!("TX", "US", ["Texas"], [Am::Chicago, Am::Denver]),
    sub!("UT", "US", ["Utah"], [Am::Denver]),
    sub!("VT", "US", ["Vermont"], [Am::New_York]),
    sub!("VA", "US", ["Virginia"], [Am::New_York]),
    sub!(
        "WA",
        "US",
        ["Washington State", "Washington"],
        [Am::Los_Angeles]
    ),
    sub!("WV", "US", ["West Virginia"], [Am::New_York]),
    sub!("WI", "US", ["Wisconsin"], [Am::Chicago]),
    sub!("WY", "US", ["Wyoming"], [Am::Denver]),
    sub!("PR", "US", ["Puerto Rico"], [Am::Puerto_Rico]),
    sub!(
        "VI",
        "US",
        ["U.S. Virgin Islands", "US Virgin Islands", "Virgin Islands"],
        [Am::St_Thomas]
    ),
    sub!("GU", "US", ["Guam"], [Pa::Guam]),
    sub!("AS", "US", ["American Samoa"], [Pa::Pago_Pago]),
    sub!(
        "MP",
        "US",
        ["Northern Mariana Islands", "Northern Marianas"],
        [Pa::Saipan]
    ),
    sub!("AB", "CA", ["Alberta"], [Am::Edmonton]),
    sub!(
        "BC",
        "CA",
        ["British Columbia", "British Colombia"],
        [Am::Vancouver, Am::Edmonton]
    ),
    sub!("MB", "CA", ["Manitoba"], [Am::Winnipeg]),
    sub!("NB", "CA", ["New Brunswick"], [Am::Moncton]),
    sub!(
        "NL",
        "CA",
        ["Newfoundland and Labrador", "Newfoundland"],
        [Am::St_Johns, Am::Goose_Bay]
    ),
    sub!(
        "NS",
        "CA",
        ["Nova Scotia", "Nova Scotia/Prince Edward Island"],
        [Am::Halifax]
    ),
    sub!("PE", "CA", ["Prince Edward Island"], [Am::Halifax]),
    sub!(
        "NT",
        "CA",
        [
            "Northwest Territories",
            "Northwest Territories/Nunavut/Yukon"
        ],
        [Am::Edmonton]
    ),
    sub!(
        "NU",
        "CA",
        ["Nunavut"],
        [Am::Iqaluit, Am::Winnipeg, Am::Edmonton]
    ),
    sub!("YT", "CA", ["Yukon"], [Am::Whitehorse]),
    sub!("ON", "CA", ["Ontario"], [Am::Toronto, Am::Winnipeg]),
    // The Magdalen Islands keep Atlantic time.
    sub!("QC", "CA", ["Quebec", "Québec"], [Am::Toronto, Am::Halifax]),
    sub!("SK", "CA", ["Saskatchewan"], [Am::Regina]),
];

/// The subdivision with this two-letter code (any case).
pub fn subdivision(code: &str) -> Option<&'static Subdivision> {
    static BY_CODE: OnceLock<FnvMap<[u8; 2], &'static Subdivision>> = OnceLock::new();
    let bytes = match code.as_bytes() {
        two @ [_, _] => two,
        _ => code.trim().as_bytes(),
    };
    let [a, b] = <[u8; 2]>::try_from(bytes).ok()?;
    let index = BY_CODE.get_or_init(|| {
        SUBDIVISIONS
            .iter()
            .filter_map(|s| <[u8; 2]>::try_from(s.code.as_bytes()).ok().map(|k| (k, s)))
            .collect()
    });
    index
        .get(&[a.to_ascii_uppercase(), b.to_ascii_uppercase()])
        .copied()
}

/// The subdivision a stored value or a geocoder place names: a code (`fl`), a name
/// (`Florida`) or libphonenumber's `Palm Beach, FL`.
pub fn subdivision_named(place: &str) -> Option<&'static Subdivision> {
    let place = place.trim();
    if let Some(s) = subdivision(place) {
        return Some(s);
    }
    if let Some((_, suffix)) = place.rsplit_once(", ") {
        return subdivision(suffix);
    }
    SUBDIVISIONS
        .iter()
        .find(|s| s.names.iter().any(|n| n.eq_ignore_ascii_case(place)))
}

/// Maps libphonenumber's English place names (`Florida`, `Palm Beach, FL`, `Washington
/// State`) or a name or code stored on a lead to a two-letter code.
pub fn subdivision_code(place: &str) -> Option<&'static str> {
    subdivision_named(place).map(|s| s.code)
}

/// Zones that stand for a whole country when nothing finer is known. For countries spanning
/// several zones, the populated mainland zones are all candidates (the intersection of their
/// windows is still a usable window for 08:00–21:00-style rules).
pub fn country_zones(country: &str) -> Option<&'static [Tz]> {
    use chrono_tz::Asia;
    use chrono_tz::Australia as Au;
    use chrono_tz::Europe as Eu;
    if let Some(t) = subdivision(country).filter(|s| is_us_territory(s.code)) {
        return Some(t.zones);
    }
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
        "NZ" => &[Pa::Auckland],
        _ => return None,
    };
    Some(zones)
}

/// Interns a region code so location data can be `&'static`.
pub fn static_region(code: &str) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "US", "CA", "IN", "GB", "IE", "DE", "FR", "ES", "IT", "NL", "BE", "PT", "CH", "AT", "SE",
        "NO", "DK", "FI", "PL", "MX", "BR", "AU", "NZ", "SG", "JP", "AE", "ZA", "PR", "GU", "VI",
        "AS", "MP", "JM", "BS", "BB", "TT", "DO", "BM", "KY", "AG", "AI", "VG", "DM", "GD", "KN",
        "LC", "VC", "MS", "TC", "SX",
    ];
    let code = code.trim();
    KNOWN.iter().copied().find(|k| k.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_dc_and_territory_is_in_the_table() {
        let us = SUBDIVISIONS.iter().filter(|s| s.country == "US").count();
        assert_eq!(us, 50 + 1 + 5);
        let ca = SUBDIVISIONS.iter().filter(|s| s.country == "CA").count();
        assert_eq!(ca, 13);
        for (i, s) in SUBDIVISIONS.iter().enumerate() {
            assert!(!s.zones.is_empty(), "{}", s.code);
            assert!(
                SUBDIVISIONS.iter().skip(i + 1).all(|o| o.code != s.code),
                "duplicate {}",
                s.code
            );
        }
    }

    #[test]
    fn names_codes_and_geocoder_places() {
        assert_eq!(subdivision_code("fl"), Some("FL"));
        assert_eq!(subdivision_code("Florida"), Some("FL"));
        assert_eq!(subdivision_code("Windsor North, Orem, UT"), Some("UT"));
        assert_eq!(subdivision_code("Washington State"), Some("WA"));
        assert_eq!(subdivision_code("Puerto Rico"), Some("PR"));
        assert_eq!(subdivision_code("Atlantis"), None);
        assert_eq!(
            subdivision("TX").map(|s| s.zones),
            Some(&[Am::Chicago, Am::Denver][..])
        );
    }

    #[test]
    fn territories_are_us_for_the_federal_rules() {
        for t in US_TERRITORIES {
            assert_eq!(subdivision(t).map(|s| s.country), Some("US"), "{t}");
            assert!(country_zones(t).is_some(), "{t}");
            assert_eq!(static_region(t), Some(t));
        }
    }
}
