//! Back-off for retried reads: exponential, capped, with jitter so that
//! several bots restarted together do not retry in step.
//!
//! Pure apart from the random jitter; it never sleeps itself.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// The wait before retry number `attempt` (0 for the first retry): a random
/// duration between half and all of `min(cap, base * 2^attempt)`.
pub(crate) fn backoff(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(20));
    let full = base.saturating_mul(factor).min(cap);
    let half = full / 2;
    let extra_ms = u64::try_from((full - half).as_millis()).unwrap_or(u64::MAX);
    let jitter = if extra_ms == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis(rand::rng().random_range(0..=extra_ms))
    };
    half + jitter
}

/// Parses a `Retry-After` value: delay seconds (`120`) or an HTTP date
/// (RFC 7231 IMF-fixdate, `Wed, 21 Oct 2015 07:28:00 GMT`; the obsolete
/// RFC 850 and asctime forms are not accepted). A date is measured from
/// `now`, which the caller takes from the same answer's `Date` header when
/// it has one (the server's clock, so clock skew does not stretch or
/// shorten the wait); a date already past means "now" (zero). Anything
/// else is treated as absent.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // IMF-fixdate always names GMT; RFC 2822 parsing accepts it (and the
    // numeric zones some servers send instead).
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_the_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_millis(1000);
        for attempt in 0..10 {
            let wait = backoff(base, cap, attempt);
            let full = (base * 2u32.pow(attempt)).min(cap);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
        assert_eq!(backoff(Duration::ZERO, cap, 3), Duration::ZERO);
    }

    #[test]
    fn retry_after_seconds_or_http_date() {
        let now = DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        // A date in the past: retry now.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
