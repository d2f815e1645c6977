//! The report's view model: a week, its pushes and what the rules found
//! about them, as plain data that every renderer reads.
//!
//! Pure: no I/O and no clock. The types are deliberately independent of the
//! push model so the renderers can be built and tested on their own; the
//! cycle fills them. Times are UTC instants; the team's time zone turns them
//! into local days and clock times here, DST-correct, so the renderers never
//! do time-zone arithmetic themselves.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::bugzilla::types::BugId;

/// An ISO 8601 week: `2026-W49`. Weeks start on Monday; week 1 is the week
/// with the year's first Thursday, so 29 Dec 2025 is in `2026-W01` and
/// 1 Jan 2027 is in `2026-W53`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeekId {
    /// The ISO week-numbering year (not always the calendar year).
    year: i32,
    /// 1..=52 or 53.
    week: u32,
}

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
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).map(|_| IsoWeekId { year, week })
    }

    /// The ISO week-numbering year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The week number, 1..=53.
    pub fn week(&self) -> u32 {
        self.week
    }

    /// The week that contains local date `date`.
    pub fn of_date(date: NaiveDate) -> IsoWeekId {
        let iso = date.iso_week();
        IsoWeekId {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The week that `instant` falls in, as seen on a wall clock in `tz`.
    pub fn of_instant(instant: DateTime<Utc>, tz: Tz) -> IsoWeekId {
        IsoWeekId::of_date(instant.with_timezone(&tz).date_naive())
    }

    /// The week's Monday.
    pub fn monday(&self) -> NaiveDate {
        // The constructor checked that the week exists; fall back to the
        // first week of the year rather than panic if that ever changes.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
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
        write!(f, "{:04}-W{:02}", self.year, self.week)
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

/// How big a release is; the conflict limits count these per week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    /// A large release (AMO, SUMO in the seed meeting).
    Large,
    /// A small release (Personas, Input).
    Small,
    /// A small content change: may go whenever, exempt from the window.
    ContentOnly,
}

impl SizeClass {
    /// Every class, largest first (legend order).
    pub const ALL: [SizeClass; 3] = [SizeClass::Large, SizeClass::Small, SizeClass::ContentOnly];

    /// The stable lower-case name used in text, JSON and CSS classes.
    pub fn as_str(&self) -> &'static str {
        match self {
            SizeClass::Large => "large",
            SizeClass::Small => "small",
            SizeClass::ContentOnly => "content-only",
        }
    }
}

impl fmt::Display for SizeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one sign-off flag stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignoffStatus {
    /// `?`: asked, no answer yet.
    Requested,
    /// `+`: go.
    Granted,
    /// `-`: no-go.
    Denied,
    /// Not set at all: nobody has asked yet.
    Missing,
}

impl SignoffStatus {
    /// The stable lower-case name used in text, JSON and CSS classes.
    pub fn as_str(&self) -> &'static str {
        match self {
            SignoffStatus::Requested => "requested",
            SignoffStatus::Granted => "granted",
            SignoffStatus::Denied => "denied",
            SignoffStatus::Missing => "missing",
        }
    }
}

impl fmt::Display for SignoffStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One sign-off flag on a push bug, e.g. `webdev-signoff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignoffState {
    /// The flag's name as Bugzilla spells it.
    pub flag: String,
    /// Where it stands.
    pub state: SignoffStatus,
    /// Who was asked (requested) or who answered (granted/denied), if known.
    pub who: Option<String>,
    /// Why a flag that is set still counts as missing, e.g. "set + by
    /// outsider@example.test, who may not give it".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One push bug as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEntry {
    /// The push bug.
    pub bug: BugId,
    /// Link to the bug (`…/show_bug.cgi?id=N`).
    pub url: String,
    /// The bug's summary: user text, escaped by every renderer.
    pub summary: String,
    /// The application being pushed (e.g. `AMO`).
    pub app: String,
    /// How big the release is.
    pub size: SizeClass,
    /// When the push is scheduled; `None` = not scheduled yet.
    pub when: Option<DateTime<Utc>>,
    /// The owner's login or name; `None` = nobody owns it yet.
    pub owner: Option<String>,
    /// Sign-off flags, in the order to show them.
    pub signoffs: Vec<SignoffState>,
    /// Conflicts the rules found, as sentences, e.g. "2 large releases in
    /// 2026-W49 (limit 1): bug 2, bug 3". The same sentence may sit on
    /// every bug it names.
    pub conflicts: Vec<String>,
    /// Other warnings, e.g. a push outside the push window.
    pub warnings: Vec<String>,
    /// The push went out (the bug is resolved FIXED): shown as shipped,
    /// still counted in its week's conflicts.
    pub shipped: bool,
}

impl PushEntry {
    /// True when the entry has a conflict or a warning to show.
    pub fn is_flagged(&self) -> bool {
        !self.conflicts.is_empty() || !self.warnings.is_empty()
    }
}

/// One ISO week's pushes, in the team's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekReport {
    /// The week shown.
    pub week: IsoWeekId,
    /// The team's time zone: it decides local days and clock times.
    pub time_zone: Tz,
    /// The pushes scheduled in the week, plus unscheduled ones to show
    /// beside it. Order does not matter: the renderers sort.
    pub pushes: Vec<PushEntry>,
    /// When the data was read (shown so stale pages are recognisable).
    pub generated_at: DateTime<Utc>,
}

/// One local day of a week and the pushes on it, in time order.
#[derive(Debug, Clone)]
pub struct DayPushes<'a> {
    /// The local date.
    pub date: NaiveDate,
    /// Its pushes, sorted by time then bug id.
    pub pushes: Vec<&'a PushEntry>,
}

impl WeekReport {
    /// An empty report for `week`: the "no pushes scheduled" view.
    pub fn empty(week: IsoWeekId, time_zone: Tz, generated_at: DateTime<Utc>) -> WeekReport {
        WeekReport {
            week,
            time_zone,
            pushes: Vec::new(),
            generated_at,
        }
    }

    /// The local wall-clock time of an instant in the team's zone.
    pub fn local(&self, instant: DateTime<Utc>) -> DateTime<Tz> {
        instant.with_timezone(&self.time_zone)
    }

    /// Monday..Sunday, each with the scheduled pushes whose local date is
    /// that day, sorted by time then bug id.
    pub fn days(&self) -> Vec<DayPushes<'_>> {
        let mut days: Vec<DayPushes<'_>> = self
            .week
            .days()
            .into_iter()
            .map(|date| DayPushes {
                date,
                pushes: Vec::new(),
            })
            .collect();
        for entry in &self.pushes {
            let Some(when) = entry.when else { continue };
            let date = self.local(when).date_naive();
            if let Some(day) = days.iter_mut().find(|d| d.date == date) {
                day.pushes.push(entry);
            }
        }
        for day in &mut days {
            day.pushes.sort_by_key(|e| (e.when, e.bug));
        }
        days
    }

    /// How many of the week's scheduled pushes already shipped.
    pub fn shipped(&self) -> usize {
        self.days()
            .iter()
            .flat_map(|d| d.pushes.iter())
            .filter(|e| e.shipped)
            .count()
    }

    /// Pushes without a date, by bug id.
    pub fn unscheduled(&self) -> Vec<&PushEntry> {
        let mut list: Vec<&PushEntry> = self.pushes.iter().filter(|e| e.when.is_none()).collect();
        list.sort_by_key(|e| e.bug);
        list
    }

    /// Pushes scheduled outside this week (the caller included them, so
    /// they are shown rather than silently dropped), by time then bug.
    pub fn other_weeks(&self) -> Vec<&PushEntry> {
        let mut list: Vec<&PushEntry> = self
            .pushes
            .iter()
            .filter(|e| {
                e.when
                    .is_some_and(|w| IsoWeekId::of_instant(w, self.time_zone) != self.week)
            })
            .collect();
        list.sort_by_key(|e| (e.when, e.bug));
        list
    }

    /// Every distinct conflict sentence with the bugs that carry it, in
    /// first-seen order over the pushes sorted by bug id.
    pub fn conflicts(&self) -> Vec<(String, Vec<BugId>)> {
        collect_findings(&self.pushes, |e| &e.conflicts)
    }

    /// Every distinct warning sentence with the bugs that carry it.
    pub fn warnings(&self) -> Vec<(String, Vec<BugId>)> {
        collect_findings(&self.pushes, |e| &e.warnings)
    }
}

fn collect_findings(
    pushes: &[PushEntry],
    field: impl Fn(&PushEntry) -> &Vec<String>,
) -> Vec<(String, Vec<BugId>)> {
    let mut sorted: Vec<&PushEntry> = pushes.iter().collect();
    sorted.sort_by_key(|e| e.bug);
    let mut found: Vec<(String, Vec<BugId>)> = Vec::new();
    for entry in sorted {
        for text in field(entry) {
            match found.iter_mut().find(|(t, _)| t == text) {
                Some((_, bugs)) => {
                    if !bugs.contains(&entry.bug) {
                        bugs.push(entry.bug);
                    }
                }
                None => found.push((text.clone(), vec![entry.bug])),
            }
        }
    }
    found
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

    #[test]
    fn entries_land_on_their_local_day() {
        let entry = |bug, when| PushEntry {
            bug: BugId(bug),
            url: String::new(),
            summary: String::new(),
            app: "AMO".into(),
            size: SizeClass::Large,
            when,
            owner: None,
            signoffs: vec![],
            conflicts: vec![],
            warnings: vec![],
            shipped: false,
        };
        let report = WeekReport {
            week: week("2026-W49"),
            time_zone: Los_Angeles,
            // Tue 1 Dec 16:00 PST = Wed 00:00Z; Sun 6 Dec 23:00 PST = Mon 07:00Z.
            pushes: vec![
                entry(3, Some(Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap())),
                entry(4, Some(Utc.with_ymd_and_hms(2026, 12, 7, 7, 0, 0).unwrap())),
                entry(5, None),
                entry(6, Some(Utc.with_ymd_and_hms(2026, 12, 8, 0, 0, 0).unwrap())),
            ],
            generated_at: Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap(),
        };
        let days = report.days();
        assert_eq!(days[1].pushes.len(), 1);
        assert_eq!(days[1].pushes[0].bug, BugId(3));
        assert_eq!(days[6].pushes[0].bug, BugId(4));
        assert_eq!(days.iter().map(|d| d.pushes.len()).sum::<usize>(), 2);
        assert_eq!(report.unscheduled()[0].bug, BugId(5));
        assert_eq!(report.other_weeks()[0].bug, BugId(6));
    }
}
