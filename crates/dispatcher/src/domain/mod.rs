//! The API's documents (accounts, leads, touches, DNC entries) and their parsing into the
//! gate's facts. Parsing happens at the edge: a document that is stored has been parsed once
//! already, so turning it back into facts cannot fail for reasons the client could fix. One
//! file per document; [`time`] is how every client-supplied instant is read.

mod account;
mod blackout;
mod dnc;
mod lead;
pub mod time;
mod touch;

pub use account::{AccountBody, StoredAccount, normalise_sender, subdivision_code};
pub use blackout::BlackoutBody;
pub use dnc::{DncBody, canonical_contact};
pub use lead::{ConsentBody, LeadBody, LeadContacts, StoredLead};
pub use touch::{Content, TouchBody};

/// A client error that names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}
