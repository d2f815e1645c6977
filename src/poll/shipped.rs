//! Which closed push bugs the snapshot keeps: the shipped ones (resolved
//! FIXED) whose push week may still be current or ahead.
//!
//! A push that went out used its slot: the conflict rule counts it for its
//! week (and never comments on it), the reports show it as shipped. So
//! besides every open push bug, the snapshot holds the bugs of `[query]`
//! resolved FIXED whose `last_change_time` is at or after
//! [`Shipped::since`]: the start of the current ISO week in the team's zone
//! (Monday 00:00) minus `poll.shipped_lookback_days`. A full load finds
//! them with a search of their own (`resolution=FIXED` and that
//! `last_change_time` bound, as recording 124 shows on 5.2); incremental
//! cycles see them come back from the search without status; a bug that
//! falls behind the bound as the weeks turn is dropped from memory.
//!
//! Why a bound on `last_change_time` and not on the push date: the poller
//! stays free of push-model decisions (which field holds the date, which
//! week it falls in), and the planner already treats a done push right
//! wherever it lands: counted for its own week, never commented on, and
//! the rules stay quiet about weeks in the past. A push bug is resolved
//! after the push, so one whose last change is older than this week has its
//! push week behind it; the lookback keeps last week's shipped pushes (its
//! week view) and those closed before their week began. Any later change
//! (a comment) only keeps a bug longer, never shorter.
//!
//! Cancelled pushes (every other resolution: WONTFIX, INVALID, DUPLICATE,
//! …) count for nothing and are never kept.
//!
//! All of this applies to the default `query.status = "__open__"` only.
//! With another status the query alone says which bugs are tracked, as it
//! always did: no extra search, nothing dropped for being closed.
//!
//! Pure: `now` is an argument.

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;

use super::OPEN_STATUS;
use crate::bugzilla::{Bug, SearchQuery};
use crate::clock::{local_midnight, IsoWeekId};
use crate::config::Settings;

/// The resolution of a push that went out.
const FIXED: &str = "FIXED";

/// How long shipped push bugs stay in the snapshot (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shipped {
    /// `poll.shipped_lookback_days`: days before the start of the current
    /// ISO week. Default: 7.
    pub lookback_days: u32,
    /// The team's zone (`team.time_zone`): where the week starts.
    pub tz: Tz,
}

impl Shipped {
    /// From `[poll]` and `[team]` (validated settings).
    pub fn from_settings(settings: &Settings) -> Shipped {
        Shipped {
            lookback_days: settings.poll.shipped_lookback_days,
            // Validated at start-up; UTC only if a caller skipped that.
            tz: settings.team.tz().unwrap_or(chrono_tz::UTC),
        }
    }

    /// The oldest `last_change_time` a shipped bug may have at `now`:
    /// Monday 00:00 of `now`'s ISO week in the team's zone, minus the
    /// lookback in local days (DST-correct).
    pub fn since(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let monday = IsoWeekId::of_instant(now, self.tz).monday();
        let first = monday
            .checked_sub_days(Days::new(u64::from(self.lookback_days)))
            .unwrap_or(monday);
        local_midnight(first, self.tz)
    }

    /// Whether `query`'s status is the default one this applies to.
    pub fn applies(query: &SearchQuery) -> bool {
        query.status == OPEN_STATUS
    }

    /// The full load's second search: the bugs of `query` resolved FIXED
    /// and changed since [`Shipped::since`]; `None` with another status.
    pub fn search(&self, query: &SearchQuery, now: DateTime<Utc>) -> Option<SearchQuery> {
        if !Shipped::applies(query) {
            return None;
        }
        let mut shipped = query.clone();
        shipped.status = String::new();
        shipped
            .params
            .insert("resolution".to_string(), FIXED.to_string());
        shipped.changed_since = Some(self.since(now));
        Some(shipped)
    }

    /// Whether the snapshot keeps `bug` at `now`: open, or shipped recently
    /// enough (a bug without `last_change_time` is kept: the next full
    /// load's search decides). Every bug, with another status.
    pub fn keeps(&self, query: &SearchQuery, bug: &Bug, now: DateTime<Utc>) -> bool {
        if !Shipped::applies(query) || bug.open() {
            return true;
        }
        bug.resolution.eq_ignore_ascii_case(FIXED)
            && bug
                .last_change_time
                .is_none_or(|changed| changed >= self.since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const LA: Tz = chrono_tz::America::Los_Angeles;

    fn shipped(days: u32) -> Shipped {
        Shipped {
            lookback_days: days,
            tz: LA,
        }
    }

    fn query() -> SearchQuery {
        SearchQuery {
            product: vec!["Websites".to_string()],
            status: OPEN_STATUS.to_string(),
            ..SearchQuery::default()
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn bug(resolution: &str, changed: Option<DateTime<Utc>>) -> Bug {
        Bug {
            status: if resolution.is_empty() {
                "CONFIRMED"
            } else {
                "RESOLVED"
            }
            .to_string(),
            resolution: resolution.to_string(),
            is_open: Some(resolution.is_empty()),
            last_change_time: changed,
            ..Bug::default()
        }
    }

    #[test]
    fn the_bound_is_the_local_monday_minus_the_lookback() {
        // Wed 2 Dec 2026 10:00 PST; the week began Mon 30 Nov 00:00 PST.
        let now = utc(2026, 12, 2, 18, 0);
        assert_eq!(shipped(0).since(now), utc(2026, 11, 30, 8, 0));
        assert_eq!(shipped(7).since(now), utc(2026, 11, 23, 8, 0));
        // Sunday 6 Dec 23:30 PST is still W49; Monday 00:30 is W50.
        assert_eq!(
            shipped(0).since(utc(2026, 12, 7, 7, 30)),
            utc(2026, 11, 30, 8, 0)
        );
        assert_eq!(
            shipped(0).since(utc(2026, 12, 7, 8, 30)),
            utc(2026, 12, 7, 8, 0)
        );
    }

    #[test]
    fn the_lookback_counts_local_days_across_a_dst_change() {
        // Mon 9 Nov 2026 00:00 PST minus 7 days is Mon 2 Nov 00:00 PST;
        // Sun 1 Nov 02:00 PDT became 01:00 PST in between (169 h).
        let now = utc(2026, 11, 10, 12, 0);
        assert_eq!(shipped(7).since(now), utc(2026, 11, 2, 8, 0));
        // One more day reaches back into PDT: Sun 1 Nov 00:00 PDT.
        assert_eq!(shipped(8).since(now), utc(2026, 11, 1, 7, 0));
    }

    #[test]
    fn open_and_recently_fixed_bugs_are_kept_cancelled_ones_never() {
        let now = utc(2026, 12, 2, 18, 0);
        let s = shipped(7);
        let q = query();
        assert!(s.keeps(&q, &bug("", Some(utc(2020, 1, 1, 0, 0))), now));
        assert!(s.keeps(&q, &bug("FIXED", Some(utc(2026, 11, 30, 19, 0))), now));
        assert!(
            s.keeps(&q, &bug("FIXED", Some(utc(2026, 11, 23, 8, 0))), now),
            "inclusive"
        );
        assert!(!s.keeps(&q, &bug("FIXED", Some(utc(2026, 11, 23, 7, 59))), now));
        assert!(s.keeps(&q, &bug("FIXED", None), now));
        for cancelled in ["WONTFIX", "INVALID", "DUPLICATE"] {
            assert!(!s.keeps(&q, &bug(cancelled, Some(now)), now), "{cancelled}");
        }
        // A week later the same shipped bug is behind the bound.
        let later = now + chrono::Duration::days(14);
        assert!(!s.keeps(&q, &bug("FIXED", Some(utc(2026, 11, 30, 19, 0))), later));
    }

    #[test]
    fn the_extra_search_asks_for_fixed_bugs_changed_since_the_bound() {
        let now = utc(2026, 12, 2, 18, 0);
        let search = shipped(7).search(&query(), now).unwrap();
        assert_eq!(
            search.status, "",
            "no status criterion: RESOLVED and VERIFIED alike"
        );
        assert_eq!(
            search.params.get("resolution").map(String::as_str),
            Some("FIXED")
        );
        assert_eq!(search.changed_since, Some(utc(2026, 11, 23, 8, 0)));
        assert_eq!(
            search.product,
            query().product,
            "the same push-bug criteria"
        );
    }

    #[test]
    fn another_status_keeps_todays_behaviour() {
        let now = utc(2026, 12, 2, 18, 0);
        let q = SearchQuery {
            status: "CONFIRMED".to_string(),
            ..query()
        };
        assert_eq!(shipped(7).search(&q, now), None);
        assert!(shipped(7).keeps(&q, &bug("WONTFIX", Some(utc(2020, 1, 1, 0, 0))), now));
        let any = SearchQuery {
            status: String::new(),
            ..query()
        };
        assert_eq!(shipped(7).search(&any, now), None);
    }
}
