//! Client-side pacing: a steady rate limit (`governor`) and the block gate
//! that stops every request after bugzilla.mozilla.org blocks our IP.
//!
//! Owns only timing state; it never sends a request and never sees the API
//! key.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Paces requests and remembers a block.
pub(crate) struct Pacer {
    /// At most `per_minute` requests a minute, with a small burst (a quarter
    /// of the rate): GCRA lets `burst + rate` through in any 60 s window, so
    /// a full-size burst at 60/minute could reach 120 and trip BMO's 75.
    limiter: DefaultDirectRateLimiter,
    /// Until when every request is refused without touching the network.
    /// A `Mutex` because all clones of the client share one block: each
    /// request made while BMO blocks us re-arms its one-hour block.
    blocked_until: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer allowing `per_minute` requests a minute (at least 1).
    pub(crate) fn new(per_minute: u32) -> Pacer {
        let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(per_minute / 4).unwrap_or(NonZeroU32::MIN);
        Pacer {
            limiter: RateLimiter::direct(Quota::per_minute(rate).allow_burst(burst)),
            blocked_until: Mutex::new(None),
        }
    }

    /// Waits for a slot in the rate limit.
    pub(crate) async fn ready(&self) {
        self.limiter.until_ready().await;
    }

    /// How long the block still lasts, if one is active.
    pub(crate) fn blocked_for(&self) -> Option<Duration> {
        let guard = match self.blocked_until.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let until = (*guard)?;
        let now = Instant::now();
        (until > now).then(|| until - now)
    }

    /// Starts (or extends) a block of `period` from now.
    pub(crate) fn block(&self, period: Duration) {
        let mut guard = match self.blocked_until.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Some(Instant::now() + period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_is_reported_until_it_ends() {
        let pacer = Pacer::new(60);
        assert_eq!(pacer.blocked_for(), None);
        pacer.block(Duration::from_secs(3600));
        let left = pacer.blocked_for().unwrap();
        assert!(left > Duration::from_secs(3500), "{left:?}");
        pacer.block(Duration::ZERO);
        assert_eq!(pacer.blocked_for(), None);
    }
}
