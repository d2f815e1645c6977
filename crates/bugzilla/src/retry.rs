//! The retry policy of reads: which failures are tried again, and how long
//! to wait first. The waits come from `backon`'s exponential back-off with
//! jitter, so that several bots restarted together do not retry in step; a
//! `Retry-After` the server sent replaces the back-off's wait.
//!
//! Writes never come here: their outcome may be unknown, and the caller
//! re-reads the bug instead (see the client). Pure apart from the random
//! jitter; it never sleeps or sends itself.

use std::time::Duration;

use backon::ExponentialBuilder;
use chrono::{DateTime, Utc};

/// Whether a failed read is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Again {
    /// No: the answer will not change (a 4xx, an unreadable body, a block,
    /// a `Retry-After` longer than the client waits inside one call).
    No,
    /// Yes, after the back-off's wait (connection error, timeout, 5xx).
    AfterBackoff,
    /// Yes, after the server's `Retry-After` (a 429 or 503 that sent one).
    After(Duration),
}

/// The back-off of reads: retry number `n` (0 for the first) waits a random
/// duration between half and all of `min(cap, base * 2^n)`, and there are
/// at most `max_retries` retries.
///
/// backon's jitter adds a random part of the wait to it (`d` becomes
/// between `d` and `2d`) after the cap, so the builder is given half the
/// base and half the cap.
pub(crate) fn read_backoff(base: Duration, cap: Duration, max_retries: u32) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(base / 2)
        .with_max_delay(cap / 2)
        .with_factor(2.0)
        .with_max_times(usize::try_from(max_retries).unwrap_or(usize::MAX))
        .with_jitter()
}

/// The wait before the next try of a read that failed this way, given the
/// back-off's next wait (`None`: retries used up, and then none either way).
pub(crate) fn next_wait(again: Again, backoff: Option<Duration>) -> Option<Duration> {
    match (again, backoff) {
        (_, None) | (Again::No, _) => None,
        (Again::AfterBackoff, Some(wait)) => Some(wait),
        (Again::After(retry_after), Some(_)) => Some(retry_after),
    }
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
    use backon::BackoffBuilder;

    use super::*;

    #[test]
    fn backoff_grows_with_jitter_stays_under_the_cap_and_stops() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_millis(1000);
        // backon multiplies in f32: a wait may be a few nanoseconds off.
        let slack = Duration::from_micros(1);
        // Many runs: the jitter is random.
        for _ in 0..200 {
            let waits: Vec<Duration> = read_backoff(base, cap, 10).build().collect();
            assert_eq!(waits.len(), 10, "max_retries retries, then none");
            for (n, wait) in waits.iter().enumerate() {
                let full = (base * 2u32.pow(n as u32)).min(cap);
                assert!(
                    *wait + slack >= full / 2 && *wait <= full + slack,
                    "retry {n}: {wait:?} not in [{:?}, {full:?}]",
                    full / 2
                );
            }
        }
        assert!(read_backoff(Duration::ZERO, cap, 3)
            .build()
            .all(|wait| wait == Duration::ZERO));
        assert_eq!(read_backoff(base, cap, 0).build().count(), 0);
    }

    #[test]
    fn retry_after_replaces_the_backoff_but_not_its_count() {
        let backoff = Some(Duration::from_millis(300));
        let five = Duration::from_secs(5);
        assert_eq!(next_wait(Again::AfterBackoff, backoff), backoff);
        assert_eq!(next_wait(Again::After(five), backoff), Some(five));
        assert_eq!(next_wait(Again::No, backoff), None);
        // Retries used up: no more, even when the server named a wait.
        assert_eq!(next_wait(Again::After(five), None), None);
        assert_eq!(next_wait(Again::AfterBackoff, None), None);
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
