//! The report's view model: a week, its pushes and what the rules found
//! about them, as plain data that every renderer reads.
//!
//! Pure: no I/O and no clock. The types are plain data, independent of the
//! push model's bugs and markers so the renderers can be built and tested on
//! their own; the cycle fills them. They share the bot's vocabulary: one
//! size class ([`SizeClass`], the push model's) and one week ([`IsoWeekId`],
//! the clock's). Times are UTC instants; the team's time zone turns them
//! into local days and clock times here, DST-correct, so the renderers never
//! do time-zone arithmetic themselves.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::bugzilla::types::BugId;

/// The week: the clock's own type (a report is about one).
pub use crate::clock::{local_midnight, IsoWeekId, ParseWeekError};

/// How big a release is: the push model's own type.
pub use crate::push::SizeClass;

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
    use chrono::TimeZone;
    use chrono_tz::America::Los_Angeles;

    fn week(s: &str) -> IsoWeekId {
        s.parse().unwrap()
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
