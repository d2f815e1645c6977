//! The ISO 8601 week, `2026-W49`: the one week type of the bot. Markers
//! (`[pushbot no-owner 2026-W48]`, `2026-W49.large`), the weekly summary,
//! the week view and its URLs, the conflict limits and `explain` all name a
//! week with it; its local days and bounds are DST-correct in the team's
//! zone.
//!
//! Pure: never reads the clock.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, IsoWeek, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An ISO 8601 week: `2026-W49`. Weeks start on Monday; week 1 is the week
/// with the year's first Thursday, so 29 Dec 2025 is in `2026-W01` and
/// 1 Jan 2027 is in `2026-W53`.
///
/// It wraps chrono's `IsoWeek` (4 bytes, ordered by year then week), so the
/// conflict rule's per-week tallies cost no more than chrono's own type; the
/// wrapper adds the text form, the team-zone days and bounds, and serde.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeekId(IsoWeek);

/// Why a week id did not parse; the message says how to write one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{input}` is not an ISO week: {problem}; write it as YYYY-Www, e.g. 2026-W49")]
pub struct ParseWeekError {
    /// What was given.
    pub input: String,
    /// What is wrong with it.
    pub problem: String,
}

impl IsoWeekId {
    /// The week, if `week` exists in ISO year `year` (52 or 53 weeks).
    pub fn new(year: i32, week: u32) -> Option<IsoWeekId> {
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).map(IsoWeekId::of_date)
    }

    /// The week that contains local date `date`.
    pub fn of_date(date: NaiveDate) -> IsoWeekId {
        IsoWeekId(date.iso_week())
    }

    /// The week that `instant` falls in, as seen on a wall clock in `tz`.
    pub fn of_instant(instant: DateTime<Utc>, tz: Tz) -> IsoWeekId {
        IsoWeekId::of_date(instant.with_timezone(&tz).date_naive())
    }

    /// The week's Monday.
    pub fn monday(&self) -> NaiveDate {
        // A week of a real date always has its Monday; fall back rather
        // than panic at the ends of chrono's range.
        NaiveDate::from_isoywd_opt(self.0.year(), self.0.week(), Weekday::Mon)
            .unwrap_or(NaiveDate::MIN)
    }

    /// The week's Sunday, its last local day.
    pub fn sunday(&self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.0.year(), self.0.week(), Weekday::Sun)
            .unwrap_or(NaiveDate::MAX)
    }

    /// Monday..Sunday as calendar dates.
    pub fn days(&self) -> [NaiveDate; 7] {
        let monday = self.monday();
        let mut days = [monday; 7];
        for (offset, day) in (0u64..).zip(days.iter_mut()) {
            *day = monday.checked_add_days(Days::new(offset)).unwrap_or(monday);
        }
        days
    }

    /// The week before.
    pub fn prev(&self) -> IsoWeekId {
        IsoWeekId::of_date(
            self.monday()
                .checked_sub_days(Days::new(7))
                .unwrap_or(self.monday()),
        )
    }

    /// The week after.
    pub fn next(&self) -> IsoWeekId {
        IsoWeekId::of_date(
            self.monday()
                .checked_add_days(Days::new(7))
                .unwrap_or(self.monday()),
        )
    }

    /// The instant the week starts in `tz` (local Monday 00:00) and the
    /// instant it ends (the next Monday 00:00), exclusive. A week that
    /// contains a DST change is 167 or 169 hours long.
    pub fn bounds(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            local_midnight(self.monday(), tz),
            local_midnight(self.next().monday(), tz),
        )
    }
}

/// The first instant of local date `date` in `tz`. Where midnight does not
/// exist (a DST jump at 00:00, as in some South American zones) the day
/// starts at the first wall-clock time that does.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight: NaiveDateTime = date.and_time(chrono::NaiveTime::MIN);
    for hour in 0..3 {
        let candidate = midnight + chrono::Duration::hours(hour);
        if let Some(t) = tz.from_local_datetime(&candidate).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&midnight)
}

impl fmt::Display for IsoWeekId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.0.year(), self.0.week())
    }
}

impl FromStr for IsoWeekId {
    type Err = ParseWeekError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |problem: &str| ParseWeekError {
            input: s.to_string(),
            problem: problem.to_string(),
        };
        let (year, week) = s
            .split_once("-W")
            .or_else(|| s.split_once("-w"))
            .ok_or_else(|| fail("missing `-W`"))?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("the year must be four digits"));
        }
        if week.len() != 2 || !week.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("the week must be two digits, 01 to 53"));
        }
        let year: i32 = year.parse().map_err(|_| fail("bad year"))?;
        let week: u32 = week.parse().map_err(|_| fail("bad week"))?;
        IsoWeekId::new(year, week).ok_or_else(|| fail(&format!("{year} has no ISO week {week}")))
    }
}

impl Serialize for IsoWeekId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoWeekId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Los_Angeles;

    fn week(s: &str) -> IsoWeekId {
        s.parse().unwrap()
    }

    #[test]
    fn week_ids_round_trip_and_refuse_nonsense() {
        assert_eq!(week("2026-W49").to_string(), "2026-W49");
        assert_eq!(week("2026-W53").to_string(), "2026-W53");
        for bad in [
            "2026-W54", "2025-W53", "2026W49", "26-W49", "2026-W4", "x", "",
        ] {
            let err = bad.parse::<IsoWeekId>().unwrap_err();
            assert!(err.to_string().contains("2026-W49"), "{err}");
        }
    }

    #[test]
    fn new_year_weeks() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(IsoWeekId::of_date(d(2025, 12, 29)), week("2026-W01"));
        assert_eq!(IsoWeekId::of_date(d(2027, 1, 1)), week("2026-W53"));
        assert_eq!(IsoWeekId::of_date(d(2027, 1, 4)), week("2027-W01"));
        assert_eq!(week("2026-W53").next(), week("2027-W01"));
        assert_eq!(week("2027-W01").prev(), week("2026-W53"));
        assert_eq!(week("2026-W01").prev(), week("2025-W52"));
        // 2027-01-04 07:30Z is still Sunday 3 Jan 23:30 in Los Angeles: W53.
        let t = Utc.with_ymd_and_hms(2027, 1, 4, 7, 30, 0).unwrap();
        assert_eq!(IsoWeekId::of_instant(t, Los_Angeles), week("2026-W53"));
        assert_eq!(IsoWeekId::of_instant(t, chrono_tz::UTC), week("2027-W01"));
    }

    #[test]
    fn days_run_monday_to_sunday() {
        let days = week("2026-W49").days();
        assert_eq!(days[0], NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(days[6], NaiveDate::from_ymd_opt(2026, 12, 6).unwrap());
        assert_eq!(days[0].weekday(), Weekday::Mon);
    }

    #[test]
    fn a_dst_week_is_169_hours_long() {
        // 1 Nov 2026, 02:00 PDT -> 01:00 PST: week 44 gains an hour.
        let (start, end) = week("2026-W44").bounds(Los_Angeles);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 10, 26, 7, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap());
        assert_eq!((end - start).num_hours(), 169);
    }
}
