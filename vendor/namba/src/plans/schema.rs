use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct Plan {
    pub(crate) region: String,
    pub(crate) calling_code: u16,
    pub(crate) international_prefix_pattern: String,
    pub(crate) preferred_international_prefix: String,
    pub(crate) national_prefix: String,
    pub(crate) preferred_extension_prefix: String,
    pub(crate) national_prefix_pattern: String,
    pub(crate) national_prefix_transform: String,
    pub(crate) primary: bool,
    pub(crate) leading_digits: String,
    pub(crate) general: Rule,
    pub(crate) fixed_line: Rule,
    pub(crate) mobile: Rule,
    pub(crate) toll_free: Rule,
    pub(crate) premium_rate: Rule,
    pub(crate) shared_cost: Rule,
    pub(crate) personal: Rule,
    pub(crate) voip: Rule,
    pub(crate) pager: Rule,
    pub(crate) universal_access: Rule,
    pub(crate) voicemail: Rule,
    pub(crate) no_international_dialing: Rule,
    pub(crate) formats: Vec<FormatRule>,
    pub(crate) international_formats: Vec<FormatRule>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct Rule {
    pub(crate) pattern: String,
    pub(crate) possible_lengths: Vec<u8>,
    pub(crate) local_only_lengths: Vec<u8>,
    pub(crate) example: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct FormatRule {
    pub(crate) pattern: String,
    pub(crate) template: String,
    pub(crate) leading_digits: Vec<String>,
    pub(crate) national_prefix_template: String,
    pub(crate) carrier_code_template: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct ShortPlan {
    pub(crate) region: String,
    pub(crate) general: Rule,
    pub(crate) short_code: Rule,
    pub(crate) emergency: Rule,
    pub(crate) carrier_specific: Rule,
    pub(crate) sms_services: Rule,
}
