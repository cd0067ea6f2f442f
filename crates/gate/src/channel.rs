//! The five outreach channels and the scope of a DNC entry or opt-out (`*` or one channel).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ParseError;

/// One outreach channel. Serialised as the lower-case names of the API contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Sms,
    Call,
    Linkedin,
    Whatsapp,
}

impl Channel {
    /// Every channel, in contract order.
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::Sms,
        Channel::Call,
        Channel::Linkedin,
        Channel::Whatsapp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Call => "call",
            Channel::Linkedin => "linkedin",
            Channel::Whatsapp => "whatsapp",
        }
    }

    /// Channels that reach a telephone number; marketing on these is a "telephone
    /// solicitation" for the TCPA and the state rule packs.
    pub fn is_telephone(self) -> bool {
        matches!(self, Channel::Sms | Channel::Call | Channel::Whatsapp)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseError::UnknownChannel(s.to_owned()))
    }
}

impl Serialize for Channel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Channel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which channels a DNC entry or an opt-out covers: `*` (all) or exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelScope {
    All,
    Only(Channel),
}

impl ChannelScope {
    pub fn covers(self, channel: Channel) -> bool {
        match self {
            ChannelScope::All => true,
            ChannelScope::Only(c) => c == channel,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelScope::All => "*",
            ChannelScope::Only(c) => c.as_str(),
        }
    }
}

impl fmt::Display for ChannelScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelScope {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "*" {
            Ok(ChannelScope::All)
        } else {
            s.parse().map(ChannelScope::Only)
        }
    }
}

impl Serialize for ChannelScope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ChannelScope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().ok(), Some(c));
        }
        assert!("fax".parse::<Channel>().is_err());
        assert!(
            "SMS".parse::<Channel>().is_err(),
            "names are exact, lower-case"
        );
    }

    #[test]
    fn scope_star_covers_every_channel() {
        let all: ChannelScope = "*".parse().unwrap_or(ChannelScope::Only(Channel::Email));
        assert!(Channel::ALL.iter().all(|c| all.covers(*c)));
        let sms: ChannelScope = "sms".parse().unwrap_or(ChannelScope::All);
        assert!(sms.covers(Channel::Sms) && !sms.covers(Channel::Call));
    }
}
