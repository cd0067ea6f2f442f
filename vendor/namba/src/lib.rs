#![doc = include_str!("../README.md")]

mod assessment;
mod error;
mod examples;
mod finding;
mod formatting;
mod interactive;
mod matching;
mod parse;
mod pattern;
mod phone_number;
mod plans;
mod region;
mod short_number;

#[cfg(any(feature = "geocoding", feature = "carrier", feature = "timezone"))]
mod enrichment;

pub use assessment::{Assessment, NumberKind, Possibility};
pub use error::{Error, ErrorKind, Result};
pub use examples::{example_number, example_number_for_kind};
pub use finding::{Confidence, FindOptions, FoundNumber, FoundNumbers};
pub use formatting::{DialOptions, Format, Formatted};
pub use interactive::{AsYouType, FormattedEdit};
pub use matching::{Match, MatchOptions};
pub use parse::{
    ParseOptions, parse, parse_in, parse_in_with_options, parse_strict, parse_with_options,
};
pub use phone_number::{CallingCode, Extension, ParsedNumber, PhoneNumber};
pub use region::Region;
pub use short_number::{EmergencyMatch, ShortNumber};

#[cfg(feature = "carrier")]
pub use enrichment::CarrierName;
#[cfg(feature = "geocoding")]
pub use enrichment::Location;
#[cfg(feature = "timezone")]
pub use enrichment::TimeZones;

/// Version of the bundled numbering data.
pub const DATA_VERSION: &str = "libphonenumber-9.0.36";
