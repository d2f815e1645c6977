//! Back-off for retried reads: exponential, capped, with jitter so that
//! several bots restarted together do not retry in step.
//!
//! Pure apart from the random jitter; it never sleeps itself.

use std::time::Duration;

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

/// Parses a `Retry-After` value given in seconds. (The HTTP-date form is
/// not used by Bugzilla; it is treated as absent.)
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
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
    fn retry_after_seconds_only() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
