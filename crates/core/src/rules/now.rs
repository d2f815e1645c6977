//! "Now" as the rules see it: an instant that remembers what it was
//! compared with, so that a decision knows until when it holds.
//!
//! A rule decides from a push and the time. When the push does not change,
//! its decision can change only when the time crosses an instant the rule
//! compared it with ("sign-off is requested from Tue 09:00": nothing
//! happens before Tue 09:00). [`Now`] records the earliest such instant
//! still ahead: the decision's *horizon*. The planner keeps a quiet
//! decision until its horizon instead of deciding again every cycle
//! (`bot::memo`), which is what makes a steady cycle over 10,000 bugs cheap.
//!
//! Safe by construction: a rule cannot read the time without it being
//! recorded. Reading the instant itself ([`Now::get`]) sets the horizon to
//! now (decide again next time), so a rule that does arithmetic on "now"
//! is never kept. Deciding again early is always correct, only slower.
//!
//! Pure: the instant is given, never read from a clock.

use std::cell::Cell;

use chrono::{DateTime, Utc};

/// The evaluation's instant, recording the horizon of the decision being
/// made.
#[derive(Debug)]
pub struct Now {
    at: DateTime<Utc>,
    horizon: Cell<Horizon>,
}

/// Until when a decision holds if its push does not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizon {
    /// Until the given instant (exclusive): decide again at or after it.
    Until(DateTime<Utc>),
    /// As long as the push does not change.
    Forever,
}

impl Horizon {
    /// Whether a decision with this horizon still holds at `now`.
    pub fn holds_at(self, now: DateTime<Utc>) -> bool {
        match self {
            Horizon::Until(t) => now < t,
            Horizon::Forever => true,
        }
    }

    /// The earlier of the two.
    pub fn min(self, other: Horizon) -> Horizon {
        match (self, other) {
            (Horizon::Forever, h) | (h, Horizon::Forever) => h,
            (Horizon::Until(a), Horizon::Until(b)) => Horizon::Until(a.min(b)),
        }
    }
}

impl Now {
    pub fn new(at: DateTime<Utc>) -> Now {
        Now {
            at,
            horizon: Cell::new(Horizon::Forever),
        }
    }

    /// The instant itself. The decision reading it may change at any
    /// moment, so its horizon becomes now.
    pub fn get(&self) -> DateTime<Utc> {
        self.note(Horizon::Until(self.at));
        self.at
    }

    /// `now < t`. Its answer changes when now reaches `t`.
    pub fn is_before(&self, t: DateTime<Utc>) -> bool {
        if t > self.at {
            self.note(Horizon::Until(t));
        }
        self.at < t
    }

    /// `now >= t`.
    pub fn is_at_or_after(&self, t: DateTime<Utc>) -> bool {
        !self.is_before(t)
    }

    /// `now > t`. Its answer changes just after `t`; deciding again at `t`
    /// is early, which is safe.
    pub fn is_after(&self, t: DateTime<Utc>) -> bool {
        if t >= self.at {
            self.note(Horizon::Until(t));
        }
        self.at > t
    }

    /// Today's date in `tz`. It changes at the next local midnight.
    pub fn today(&self, tz: chrono_tz::Tz) -> chrono::NaiveDate {
        let today = crate::clock::local_date(self.at, tz);
        let midnight = today
            .succ_opt()
            .and_then(|tomorrow| tomorrow.and_hms_opt(0, 0, 0))
            .and_then(|local| crate::clock::local_to_utc(local, tz).ok())
            .map(|(t, _)| t);
        match midnight {
            Some(t) => self.depends_on(t),
            // No such midnight (the end of time): decide again next time.
            None => self.note(Horizon::Until(self.at)),
        }
        today
    }

    /// Records an instant the decision depends on some other way (a snooze
    /// that ends then).
    pub fn depends_on(&self, t: DateTime<Utc>) {
        if t > self.at {
            self.note(Horizon::Until(t));
        }
    }

    /// Starts recording a new decision.
    pub(crate) fn start(&self) {
        self.horizon.set(Horizon::Forever);
    }

    /// The horizon of the decision recorded since [`Now::start`].
    pub(crate) fn horizon(&self) -> Horizon {
        self.horizon.get()
    }

    fn note(&self, h: Horizon) {
        self.horizon.set(self.horizon.get().min(h));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn the_horizon_is_the_nearest_instant_ahead_that_was_compared() {
        let now = Now::new(t(10));
        now.start();
        assert!(now.is_before(t(12)));
        assert!(now.is_at_or_after(t(9)));
        assert!(!now.is_after(t(11)));
        assert_eq!(now.horizon(), Horizon::Until(t(11)));
        assert!(Horizon::Until(t(11)).holds_at(t(10)));
        assert!(!Horizon::Until(t(11)).holds_at(t(11)));
    }

    #[test]
    fn today_holds_until_the_next_local_midnight() {
        let tz = chrono_tz::America::Los_Angeles;
        let now = Now::new(t(10)); // 02:00 in Los Angeles
        now.start();
        assert_eq!(
            now.today(tz),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        assert_eq!(
            now.horizon(),
            Horizon::Until(Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap())
        );
    }

    #[test]
    fn instants_behind_never_expire_and_reading_now_expires_at_once() {
        let now = Now::new(t(10));
        now.start();
        assert!(!now.is_before(t(8)));
        assert_eq!(now.horizon(), Horizon::Forever);
        assert_eq!(now.get(), t(10));
        assert_eq!(now.horizon(), Horizon::Until(t(10)));
        assert!(!now.horizon().holds_at(t(10)));
        now.start();
        assert_eq!(now.horizon(), Horizon::Forever);
    }
}
