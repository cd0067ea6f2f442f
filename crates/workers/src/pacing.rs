//! Provider pacing: each sender (a mailbox, a phone number, a WhatsApp number id) stays under
//! its provider's rate. One keyed `governor` limiter per quota, keyed by sender, so a slow or
//! saturated sender never blocks the others; a send waits (`until_key_ready`) at most a
//! bounded time, then gives up with [`SendError::Throttled`] and the dispatcher snoozes it.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::SendError;

const fn nz(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(v) => v,
        None => NonZeroU32::MIN,
    }
}

/// Twilio long code (10DLC / local number): 1 message per second.
pub const SMS_LONG_CODE_PER_SECOND: NonZeroU32 = nz(1);
/// Twilio toll-free number (+1 800, 833, 844, 855, 866, 877, 888): 3 messages per second.
pub const SMS_TOLL_FREE_PER_SECOND: NonZeroU32 = nz(3);
/// Short code (5–6 digits): 100 messages per second.
pub const SMS_SHORT_CODE_PER_SECOND: NonZeroU32 = nz(100);
/// Twilio's default calls per second.
pub const CALLS_PER_SECOND: NonZeroU32 = nz(1);
/// WhatsApp Cloud API default throughput per business phone number.
pub const WHATSAPP_PER_SECOND: NonZeroU32 = nz(80);
/// Email per sending mailbox unless configured.
pub const EMAIL_PER_SECOND: NonZeroU32 = nz(10);

/// NANP toll-free area codes.
const TOLL_FREE: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

/// Whether an E.164 number is a North American toll-free number.
pub fn is_toll_free(number: &str) -> bool {
    number
        .strip_prefix("+1")
        .and_then(|rest| rest.get(..3))
        .is_some_and(|area| TOLL_FREE.contains(&area))
}

/// Whether a sender is a short code (5 or 6 digits, no `+`).
pub fn is_short_code(sender: &str) -> bool {
    (5..=6).contains(&sender.len()) && sender.bytes().all(|b| b.is_ascii_digit())
}

/// The default SMS rate of a sender: toll-free 3/s, short code 100/s, else (long code,
/// messaging service) 1/s.
pub fn sms_rate(sender: &str) -> NonZeroU32 {
    if is_toll_free(sender) {
        SMS_TOLL_FREE_PER_SECOND
    } else if is_short_code(sender) {
        SMS_SHORT_CODE_PER_SECOND
    } else {
        SMS_LONG_CODE_PER_SECOND
    }
}

type Limiter = DefaultKeyedRateLimiter<String>;

/// The keyed limiters of one transport: one per quota in use, each keyed by sender.
pub struct Pacer {
    limiters: Mutex<Vec<(Quota, Arc<Limiter>)>>,
    max_wait: Duration,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quotas: Vec<Quota> = self
            .limiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(q, _)| *q)
            .collect();
        f.debug_struct("Pacer")
            .field("quotas", &quotas)
            .field("max_wait", &self.max_wait)
            .finish()
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(crate::config::DEFAULT_MAX_PACING_WAIT)
    }
}

impl Pacer {
    /// A pacer whose sends wait at most `max_wait` for their sender's turn.
    pub fn new(max_wait: Duration) -> Pacer {
        Pacer {
            limiters: Mutex::new(Vec::new()),
            max_wait,
        }
    }

    /// `n` per second with a burst of `n`.
    pub fn per_second(n: NonZeroU32) -> Quota {
        Quota::per_second(n)
    }

    fn limiter(&self, quota: Quota) -> Arc<Limiter> {
        let mut all = self.limiters.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, l)) = all.iter().find(|(q, _)| *q == quota) {
            return Arc::clone(l);
        }
        let l = Arc::new(RateLimiter::keyed(quota));
        all.push((quota, Arc::clone(&l)));
        l
    }

    /// Takes one cell for `sender` now if there is one (no waiting).
    pub fn check(&self, sender: &str, quota: Quota) -> bool {
        self.limiter(quota).check_key(&sender.to_owned()).is_ok()
    }

    /// Waits for `sender`'s turn under `quota`, at most the pacer's `max_wait` and never past
    /// `deadline` (the permit's expiry, on the dispatcher's clock `now`). When the turn is
    /// further off, gives up at once with `Throttled { retry_at }` at the instant it comes.
    pub async fn acquire(
        &self,
        sender: &str,
        quota: Quota,
        now: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<(), SendError> {
        let limiter = self.limiter(quota);
        let key = sender.to_owned();
        let wait = match limiter.check_key(&key) {
            Ok(()) => return Ok(()),
            Err(not_until) => not_until.wait_time_from(limiter.clock().now()),
        };
        let until_deadline = (deadline - now).to_std().unwrap_or(Duration::ZERO);
        let budget = self.max_wait.min(until_deadline);
        let retry_at = |d: Duration| {
            Some(now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(1)))
        };
        if wait > budget {
            return Err(SendError::Throttled {
                retry_at: retry_at(wait),
            });
        }
        tokio::time::timeout(budget, limiter.until_key_ready(&key))
            .await
            .map_err(|_| SendError::Throttled {
                retry_at: retry_at(budget),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_classes() {
        assert!(is_toll_free("+18005550100"));
        assert!(is_toll_free("+18885550100"));
        assert!(!is_toll_free("+14155550100"));
        assert!(!is_toll_free("+448005550100"));
        assert!(is_short_code("12345") && is_short_code("123456"));
        assert!(!is_short_code("+12345") && !is_short_code("1234"));
        assert_eq!(sms_rate("+14155550100").get(), 1);
        assert_eq!(sms_rate("+18445550100").get(), 3);
        assert_eq!(sms_rate("55555").get(), 100);
        assert_eq!(sms_rate("MG0123").get(), 1);
    }

    #[test]
    fn long_code_allows_one_then_refuses() {
        let p = Pacer::default();
        let q = Pacer::per_second(sms_rate("+14155550100"));
        assert!(p.check("+14155550100", q));
        assert!(!p.check("+14155550100", q));
    }

    #[test]
    fn toll_free_bursts_three_then_refuses() {
        let p = Pacer::default();
        let q = Pacer::per_second(sms_rate("+18005550100"));
        assert!((0..3).all(|_| p.check("+18005550100", q)));
        assert!(!p.check("+18005550100", q));
    }

    #[test]
    fn one_saturated_sender_does_not_hold_back_another() {
        let p = Pacer::default();
        let q = Pacer::per_second(SMS_LONG_CODE_PER_SECOND);
        assert!(p.check("+14155550100", q));
        assert!(!p.check("+14155550100", q));
        assert!(
            p.check("+14155550101", q),
            "another sender has its own cell"
        );
        let wa = Pacer::per_second(WHATSAPP_PER_SECOND);
        assert!((0..80).all(|_| p.check("1234567890", wa)));
        assert!(!p.check("1234567890", wa));
    }

    #[tokio::test]
    async fn acquire_gives_up_with_the_instant_of_the_next_turn() {
        let p = Pacer::default();
        let hourly = Quota::per_hour(NonZeroU32::MIN);
        let now = DateTime::parse_from_rfc3339("2026-11-25T18:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let deadline = now + chrono::Duration::seconds(120);
        p.acquire("a@x.example", hourly, now, deadline)
            .await
            .unwrap();
        let err = p
            .acquire("a@x.example", hourly, now, deadline)
            .await
            .unwrap_err();
        let SendError::Throttled { retry_at: Some(at) } = err else {
            panic!("{err:?}")
        };
        assert!(at > now + chrono::Duration::minutes(59), "{at}");
        // another sender is not affected
        p.acquire("b@x.example", hourly, now, deadline)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn acquire_never_waits_past_the_permit() {
        let p = Pacer::default();
        let q = Quota::per_minute(NonZeroU32::MIN);
        let now = DateTime::parse_from_rfc3339("2026-11-25T18:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        p.acquire("s", q, now, now + chrono::Duration::seconds(120))
            .await
            .unwrap();
        // the next turn is ~60 s away, beyond the 10 s budget: refused at once
        let err = p
            .acquire("s", q, now, now + chrono::Duration::seconds(120))
            .await
            .unwrap_err();
        assert!(matches!(err, SendError::Throttled { retry_at: Some(_) }));
        // an already expired permit leaves no budget at all
        let err = p.acquire("s", q, now, now).await.unwrap_err();
        assert!(matches!(err, SendError::Throttled { .. }));
    }
}
