//! The weekly summary comment: the `[summary]` settings, when a summary is
//! due, and the action that posts it on the tracking bug.
//!
//! Once per week: the action's key is `[pushbot summary 2026-W49]` on the
//! tracking bug (`[pushbot summary 2026-W50-next]` for the optional preview
//! of next week), and the executor checks the store, then the tracking
//! bug's comments for that marker, before posting. So the planner may plan
//! the summary in every cycle once its time has passed: after the first
//! post the store answers without a request; with the state file deleted
//! the executor reads the tracking bug's comments once, finds the marker
//! and records it. The tracking bug need not be in the push query.
//!
//! Pure: no I/O, no clock (`now` is an argument).

use chrono::{DateTime, NaiveDateTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

use super::markdown;
use super::model::{IsoWeekId, WeekReport};
use crate::bugzilla::BugId;
use crate::clock;
use crate::config_error::ConfigError;
use crate::plan::{Action, ActionKey, Marker};
use crate::push::HhMm;

/// `[summary]`: the weekly summary comment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummarySettings {
    /// The bug the summary is posted on. Default: none, and then no summary
    /// is posted (`pushbot summary` still prints one).
    #[serde(default)]
    pub tracking_bug: Option<u64>,
    /// The day this week's summary is posted. Default: `Mon`.
    #[serde(default = "default_post_on")]
    pub post_on: Weekday,
    /// Team-local time of day it is posted (also for the preview).
    /// Default: `09:00`.
    #[serde(default = "default_post_at")]
    pub post_at: HhMm,
    /// Also post next week's summary on this day (e.g. `Fri`), as a
    /// preview. Default: none.
    #[serde(default)]
    pub next_week_on: Option<Weekday>,
}

impl Default for SummarySettings {
    fn default() -> Self {
        SummarySettings {
            tracking_bug: None,
            post_on: default_post_on(),
            post_at: default_post_at(),
            next_week_on: None,
        }
    }
}

fn default_post_on() -> Weekday {
    Weekday::Mon
}
fn default_post_at() -> HhMm {
    HhMm(chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(chrono::NaiveTime::MIN))
}

impl SummarySettings {
    /// Checks what serde cannot; errors name the setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.tracking_bug == Some(0) {
            return Err(ConfigError::Invalid {
                setting: "summary.tracking_bug".to_string(),
                problem: "0 is not a bug id; give the tracking bug's number, or leave it out to post no summary".to_string(),
            });
        }
        Ok(())
    }
}

/// One summary that is due: which week, and whether it is the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The week the summary is about.
    pub week: IsoWeekId,
    /// The preview posted the week before (`[pushbot summary
    /// 2026-W50-next]`), not the week's own summary (`[pushbot summary
    /// 2026-W49]`).
    pub next: bool,
}

impl Due {
    /// The summary's marker.
    pub fn marker(&self) -> Marker {
        Marker::Summary {
            week: self.week,
            next: self.next,
        }
    }
}

/// The instant of `day` at `time` (team-local) in `week`; `None` only if
/// that local time does not exist (a DST gap).
fn scheduled(week: IsoWeekId, day: Weekday, time: HhMm, tz: Tz) -> Option<DateTime<Utc>> {
    let date = week.days()[day.num_days_from_monday() as usize];
    clock::local_to_utc(NaiveDateTime::new(date, time.0), tz)
        .ok()
        .map(|(at, _)| at)
}

/// The summaries whose time has passed in the week of `now` (team-local).
/// Empty without a tracking bug. The executor's marker check makes each
/// one post once, so "due" may hold for the rest of the week.
pub fn due(settings: &SummarySettings, tz: Tz, now: DateTime<Utc>) -> Vec<Due> {
    if settings.tracking_bug.is_none() {
        return Vec::new();
    }
    let week = IsoWeekId::of_instant(now, tz);
    let mut out = Vec::new();
    if scheduled(week, settings.post_on, settings.post_at, tz).is_some_and(|at| at <= now) {
        out.push(Due { week, next: false });
    }
    if let Some(day) = settings.next_week_on {
        if scheduled(week, day, settings.post_at, tz).is_some_and(|at| at <= now) {
            out.push(Due {
                week: week.next(),
                next: true,
            });
        }
    }
    out
}

/// The comment action posting `report` on the tracking bug; `None` without
/// a tracking bug. The executor appends the marker line.
pub fn action(settings: &SummarySettings, due: &Due, report: &WeekReport) -> Option<Action> {
    let bug = BugId(settings.tracking_bug?);
    Some(Action::comment(
        ActionKey::of(bug, due.marker()),
        markdown::render(report),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const LA: Tz = chrono_tz::America::Los_Angeles;

    fn settings() -> SummarySettings {
        SummarySettings {
            tracking_bug: Some(900),
            ..SummarySettings::default()
        }
    }

    #[test]
    fn due_from_monday_nine_local_for_the_rest_of_the_week() {
        // Mon 30 Nov 2026 09:00 PST = 17:00Z.
        let before = Utc.with_ymd_and_hms(2026, 11, 30, 16, 59, 0).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap();
        let sunday = Utc.with_ymd_and_hms(2026, 12, 7, 7, 59, 0).unwrap();
        assert_eq!(due(&settings(), LA, before), vec![]);
        let week: IsoWeekId = "2026-W49".parse().unwrap();
        let expected = vec![Due { week, next: false }];
        assert_eq!(due(&settings(), LA, at), expected);
        assert_eq!(due(&settings(), LA, sunday), expected);
        assert_eq!(due(&SummarySettings::default(), LA, at), vec![]);
    }

    #[test]
    fn the_preview_of_next_week_has_its_own_marker() {
        let s = SummarySettings {
            next_week_on: Some(Weekday::Fri),
            ..settings()
        };
        // Fri 4 Dec 2026 09:00 PST = 17:00Z.
        let friday = Utc.with_ymd_and_hms(2026, 12, 4, 17, 0, 0).unwrap();
        let found = due(&s, LA, friday);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].week.to_string(), "2026-W50");
        assert!(found[1].next);
        assert_eq!(found[1].marker().discriminator(), "2026-W50-next");
        let report = WeekReport::empty(found[1].week, LA, friday);
        let action = action(&s, &found[1], &report).unwrap();
        assert_eq!(action.key.marker(), "[pushbot summary 2026-W50-next]");
        assert_eq!(action.key.bug, BugId(900));
    }

    #[test]
    fn the_example_settings_are_the_defaults() {
        let text = include_str!("../../../../pushbot.example.toml");
        let table: toml::Table = toml::from_str(text).unwrap();
        let summary: SummarySettings = table["summary"].clone().try_into().unwrap();
        assert_eq!(summary, SummarySettings::default());
        // (`[web]`: `web::settings` checks its own.)
    }

    #[test]
    fn dst_moves_the_utc_time_not_the_local_one() {
        // Mon 2 Nov 2026 is the first Monday of PST (UTC-8): 09:00 = 17:00Z;
        // Mon 26 Oct is still PDT (UTC-7): 09:00 = 16:00Z.
        let pdt = Utc.with_ymd_and_hms(2026, 10, 26, 16, 0, 0).unwrap();
        let pst_early = Utc.with_ymd_and_hms(2026, 11, 2, 16, 30, 0).unwrap();
        assert_eq!(due(&settings(), LA, pdt).len(), 1);
        assert_eq!(due(&settings(), LA, pst_early).len(), 0);
    }
}
