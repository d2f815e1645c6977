//! The sandbox's own clock: every time the sandbox stamps (bug changes,
//! comments, flags, the `Date` response header) comes from here.
//!
//! Tests need deterministic times, so besides real time the clock can start
//! "as of" a given instant and then either stand still until told to move
//! ([`SandboxClock::fixed`]) or run on with real elapsed time
//! ([`SandboxClock::starting_at`]). It owns no I/O besides reading the
//! system clock in the real and running modes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// A cheap-to-clone handle on the sandbox's clock; clones share the time.
#[derive(Debug, Clone)]
pub struct SandboxClock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Debug)]
enum ClockState {
    /// The system clock, plus any explicit advance.
    Real { offset: Duration },
    /// A time that moves only by [`SandboxClock::advance`] / [`SandboxClock::set`].
    Fixed { now: DateTime<Utc> },
    /// A start instant that advances with real elapsed time.
    Running {
        start: DateTime<Utc>,
        since: Instant,
    },
}

impl SandboxClock {
    /// Real time (the default for `pushbot sandbox`).
    pub fn real() -> Self {
        Self::from_state(ClockState::Real {
            offset: Duration::zero(),
        })
    }

    /// A clock frozen at `start`; it moves only when told to.
    pub fn fixed(start: DateTime<Utc>) -> Self {
        Self::from_state(ClockState::Fixed { now: start })
    }

    /// A clock that reads `start` now and then runs with real elapsed time.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self::from_state(ClockState::Running {
            start,
            since: Instant::now(),
        })
    }

    fn from_state(state: ClockState) -> Self {
        Self {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    /// The current sandbox time, truncated to whole seconds like Bugzilla's
    /// timestamps.
    pub fn now(&self) -> DateTime<Utc> {
        let state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let now = match &*state {
            ClockState::Real { offset } => Utc::now() + *offset,
            ClockState::Fixed { now } => *now,
            ClockState::Running { start, since } => {
                *start + Duration::from_std(since.elapsed()).unwrap_or_else(|_| Duration::zero())
            }
        };
        now.trunc_subsecs(0)
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *state {
            ClockState::Real { offset } => *offset += by,
            ClockState::Fixed { now } => *now += by,
            ClockState::Running { start, .. } => *start += by,
        }
    }

    /// Jumps to `at`. A running clock keeps running from there; a real
    /// clock becomes a running one.
    pub fn set(&self, at: DateTime<Utc>) {
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        *state = match &*state {
            ClockState::Fixed { .. } => ClockState::Fixed { now: at },
            ClockState::Real { .. } | ClockState::Running { .. } => ClockState::Running {
                start: at,
                since: Instant::now(),
            },
        };
    }
}

impl Default for SandboxClock {
    fn default() -> Self {
        Self::real()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start = Utc
            .with_ymd_and_hms(2026, 11, 26, 3, 49, 10)
            .single()
            .unwrap();
        let clock = SandboxClock::fixed(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::seconds(5));
        assert_eq!(clock.now(), start + Duration::seconds(5));
        let later = start + Duration::hours(2);
        clock.set(later);
        assert_eq!(clock.clone().now(), later);
    }

    #[test]
    fn running_clock_starts_at_the_given_instant() {
        let start = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single().unwrap();
        let clock = SandboxClock::starting_at(start);
        assert!(clock.now() >= start);
        assert!(clock.now() < start + Duration::hours(1));
    }
}
