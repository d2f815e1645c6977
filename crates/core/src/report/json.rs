//! The week as JSON (`/week/2026-W49.json`), for scripts and dashboards.
//!
//! The field names below are a public interface: add fields, never rename or
//! remove one. Instants are RFC 3339 UTC; `local_time` is the same instant
//! with the team's offset, so clients need no time-zone database.
//! Pure: no I/O.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::model::{IsoWeekId, PushEntry, SignoffState, SizeClass, WeekReport};

/// The whole document.
#[derive(Debug, Clone, Serialize)]
pub struct WeekJson {
    /// `"2026-W49"`.
    pub week: IsoWeekId,
    /// IANA name, e.g. `"America/Los_Angeles"`.
    pub time_zone: String,
    /// How many of the week's scheduled pushes already shipped.
    pub shipped: usize,
    /// Local Monday 00:00, as UTC.
    pub starts_at: DateTime<Utc>,
    /// Next local Monday 00:00 (exclusive), as UTC.
    pub ends_at: DateTime<Utc>,
    /// When the data was read.
    pub generated_at: DateTime<Utc>,
    /// Monday..Sunday.
    pub days: Vec<DayJson>,
    /// Pushes without a date.
    pub unscheduled: Vec<PushJson>,
    /// Pushes given with the week but scheduled in another one.
    pub other_weeks: Vec<PushJson>,
    /// Distinct conflict sentences and the bugs carrying each.
    pub conflicts: Vec<FindingJson>,
    /// Distinct warning sentences and the bugs carrying each.
    pub warnings: Vec<FindingJson>,
}

/// One local day.
#[derive(Debug, Clone, Serialize)]
pub struct DayJson {
    /// `"2026-11-30"`.
    pub date: NaiveDate,
    /// `"Mon"`..`"Sun"`.
    pub weekday: String,
    /// In time order.
    pub pushes: Vec<PushJson>,
}

/// One push.
#[derive(Debug, Clone, Serialize)]
pub struct PushJson {
    /// The bug id.
    pub bug: u64,
    /// Link to the bug.
    pub url: String,
    /// The bug's summary, as typed.
    pub summary: String,
    /// The application, e.g. `"AMO"`.
    pub app: String,
    /// `"large"`, `"small"` or `"content_only"`.
    #[serde(serialize_with = "size_name")]
    pub size: SizeClass,
    /// UTC; `null` when unscheduled.
    pub when: Option<DateTime<Utc>>,
    /// The same instant with the team's offset, e.g.
    /// `"2026-12-01T16:00:00-08:00"`; `null` when unscheduled.
    pub local_time: Option<String>,
    /// `null` when nobody owns the push.
    pub owner: Option<String>,
    /// `{flag, state, who}`; `state` is `requested`, `granted`, `denied`
    /// or `missing`.
    pub signoffs: Vec<SignoffState>,
    /// Conflict sentences on this push.
    pub conflicts: Vec<String>,
    /// Warning sentences (e.g. outside the push window).
    pub warnings: Vec<String>,
    /// `true` when the push already went out (resolved FIXED); it still
    /// counts toward the week's limits. Cancelled pushes are never listed.
    pub shipped: bool,
}

/// One conflict or warning sentence.
#[derive(Debug, Clone, Serialize)]
pub struct FindingJson {
    /// The sentence.
    pub text: String,
    /// The bugs that carry it, ascending.
    pub bugs: Vec<u64>,
}

/// A size as this document has always written it: snake case,
/// `content_only` (settings, comments and the week view write
/// `content-only`).
fn size_name<S: serde::Serializer>(size: &SizeClass, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match size {
        SizeClass::Large => "large",
        SizeClass::Small => "small",
        SizeClass::ContentOnly => "content_only",
    })
}

/// Builds the document.
pub fn to_document(report: &WeekReport) -> WeekJson {
    let push = |e: &PushEntry| PushJson {
        bug: e.bug.0,
        url: e.url.clone(),
        summary: e.summary.clone(),
        app: e.app.clone(),
        size: e.size,
        when: e.when,
        local_time: e.when.map(|w| report.local(w).to_rfc3339()),
        owner: e.owner.clone(),
        signoffs: e.signoffs.clone(),
        conflicts: e.conflicts.clone(),
        warnings: e.warnings.clone(),
        shipped: e.shipped,
    };
    let finding = |(text, bugs): (String, Vec<crate::bugzilla::types::BugId>)| FindingJson {
        text,
        bugs: bugs.into_iter().map(|b| b.0).collect(),
    };
    let (starts_at, ends_at) = report.week.bounds(report.time_zone);
    WeekJson {
        week: report.week,
        time_zone: report.time_zone.name().to_string(),
        shipped: report.shipped(),
        starts_at,
        ends_at,
        generated_at: report.generated_at,
        days: report
            .days()
            .into_iter()
            .map(|d| DayJson {
                date: d.date,
                weekday: d.date.format("%a").to_string(),
                pushes: d.pushes.into_iter().map(push).collect(),
            })
            .collect(),
        unscheduled: report.unscheduled().into_iter().map(push).collect(),
        other_weeks: report.other_weeks().into_iter().map(push).collect(),
        conflicts: report.conflicts().into_iter().map(finding).collect(),
        warnings: report.warnings().into_iter().map(finding).collect(),
    }
}

/// The document as pretty-printed JSON.
pub fn render(report: &WeekReport) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&to_document(report))
}
