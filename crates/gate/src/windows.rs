//! Allowed windows in the recipient's local time: a time of day, a window, and the account's
//! quiet-hours setting.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::channel::Channel;
use crate::error::ParseError;

/// A time of day as minutes after local midnight, 0..=1440 (`24:00` ends a day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(1440);

    pub const fn hm(hour: u16, minute: u16) -> TimeOfDay {
        TimeOfDay(hour * 60 + minute)
    }

    pub fn minutes(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl FromStr for TimeOfDay {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError::InvalidTimeOfDay(s.to_owned());
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(TimeOfDay::hm(h, m))
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An allowed window in the recipient's local time, `[start, end)`. `start > end` wraps past
/// midnight (22:00–06:00); `start == end` is rejected at parse time by the API layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

impl Window {
    pub const fn new(start: TimeOfDay, end: TimeOfDay) -> Window {
        Window { start, end }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// The account's quiet-hours setting, as in the contract: absent means the built-in
/// defaults (08:00–21:00 on call, sms and whatsapp; none on email and linkedin); a `default`
/// key sets unlisted channels (`null`: none); a channel key sets that channel (`null`: none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuietHours {
    /// `None`: key absent (built-in defaults); `Some(None)`: no window; `Some(Some(w))`: `w`.
    pub default: Option<Option<Window>>,
    pub channels: BTreeMap<Channel, Option<Window>>,
}

/// 47 CFR 64.1200(c)(1): no telephone solicitation before 8 a.m. or after 9 p.m. local time.
pub const BUILT_IN_TELEPHONE_WINDOW: Window =
    Window::new(TimeOfDay::hm(8, 0), TimeOfDay::hm(21, 0));

impl QuietHours {
    /// The account's allowed window for `channel`, or `None` when the channel has none.
    pub fn window_for(&self, channel: Channel) -> Option<Window> {
        if let Some(w) = self.channels.get(&channel) {
            return *w;
        }
        match self.default {
            Some(w) => w,
            None if channel.is_telephone() => Some(BUILT_IN_TELEPHONE_WINDOW),
            None => None,
        }
    }
}
