//! Instant arithmetic that cannot panic. Facts come from outside (a send dated at the end of
//! time, a DNC entry expiring in year 262143): the gate saturates at chrono's bounds instead of
//! overflowing, and a search that would leave the representable range simply finds nothing.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

/// `t + d`, saturating at the latest representable instant.
pub(crate) fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t - d`, saturating at the earliest representable instant.
pub(crate) fn minus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_sub_signed(d).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The wall-clock time of `t` in `zone`; `None` when it falls outside chrono's range (an instant
/// at the very ends of time in a zone east or west of UTC).
pub(crate) fn wall(zone: chrono_tz::Tz, t: DateTime<Utc>) -> Option<NaiveDateTime> {
    use chrono::{Offset, TimeZone};
    let offset = zone.offset_from_utc_datetime(&t.naive_utc()).fix();
    naive_plus(
        t.naive_utc(),
        Duration::seconds(i64::from(offset.local_minus_utc())),
    )
}

/// `t + d` on a naive wall clock, `None` past the representable range.
pub(crate) fn naive_plus(t: NaiveDateTime, d: Duration) -> Option<NaiveDateTime> {
    t.checked_add_signed(d)
}
