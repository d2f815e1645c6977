//! `push_window`: warns once when a push is set outside the allowed days and
//! hours (`[push.window]`; the meeting's defaults: Tuesday and Thursday,
//! Wednesday only if needed, not before 16:00 local). Content-only changes
//! are exempt ("small content changes can go whenever"). Moving the push to
//! another bad time warns again (the marker names the local time); moving it
//! into the window clears the warning. Pure.

use chrono::{Datelike, Timelike};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{already_said, Ctx, Decision, ParamError, Post};
use crate::plan::{RuleMark, RuleName};
use crate::push::{PushBug, PushSettings, PushStatus, PushWindow, SizeClass};

/// Template: `comment` (variables: `problems`, a list of sentences;
/// `window`, the allowed window in words).
pub const TEMPLATES: &[&str] = &["comment"];

/// `[params]` of a `push_window` rule. The window itself is team policy and
/// lives in `[push.window]` of the settings, shared with `release_conflict`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Also warn about pushes on if-needed days (Wednesday). Default: false.
    pub warn_if_needed_days: bool,
}

pub fn validate(_p: &Params) -> Result<(), ParamError> {
    Ok(())
}

pub(crate) fn sample_extras(settings: &PushSettings) -> Value {
    json!({
        "problems": ["Monday is not a push day", "14:00 is before 16:00"],
        "window": settings.window.describe(),
    })
}

pub(crate) fn decide(p: &Params, rule: &RuleName, ctx: &Ctx<'_>, push: &PushBug) -> Decision {
    let quiet = |reason: &str| Decision::quiet(push.id, reason);
    if !matches!(push.status, PushStatus::Open { .. }) {
        return quiet("the push is done or cancelled");
    }
    if push.size == SizeClass::ContentOnly {
        return quiet("content-only changes are exempt");
    }
    let Some(at) = push.at() else {
        return quiet("no push date");
    };
    if ctx.now.is_after(at) {
        return quiet("the push time has passed");
    }
    let window = &ctx.settings.window;
    let local = at.with_timezone(&ctx.tz);
    let problems = problems(p, window, at, ctx.tz);
    if problems.is_empty() {
        return quiet("inside the push window");
    }
    let mark = RuleMark::push_window(local.naive_local());
    if let Some(said) = already_said(push, rule, &mark) {
        return quiet(&said);
    }
    Decision::fire(
        push.id,
        format!("outside the push window: {}", problems.join("; ")),
        Post {
            extras: json!({ "problems": problems, "window": window.describe() }),
            ..Post::new("comment", mark)
        },
    )
}

/// What is wrong with a push at `at` (team zone `tz`) for `window`, as
/// sentences ("Monday is not a push day", "14:00 is before 16:00"); empty
/// inside the window.
pub fn problems(
    p: &Params,
    window: &PushWindow,
    at: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> Vec<String> {
    let local = at.with_timezone(&tz);
    let day = local.weekday();
    let time = local.time().with_second(0).unwrap_or(local.time());
    let mut problems = Vec::new();
    let usual = window.days.contains(&day);
    let if_needed = window.if_needed_days.contains(&day);
    if !usual && !if_needed {
        problems.push(format!("{} is not a push day", weekday_name(day)));
    } else if if_needed && !usual && p.warn_if_needed_days {
        problems.push(format!(
            "{} is for pushes only if needed",
            weekday_name(day)
        ));
    }
    if time < window.not_before.0 {
        problems.push(format!(
            "{} is before {}",
            local.format("%H:%M"),
            window.not_before
        ));
    } else if time > window.not_after.0 {
        problems.push(format!(
            "{} is after {}",
            local.format("%H:%M"),
            window.not_after
        ));
    }
    problems
}

/// What the week report shows for a push: one sentence when it is set
/// outside the window ("outside the push window: Monday is not a push day;
/// 14:00 is before 16:00"), whether or not the bot already commented.
/// Open, scheduled, not content-only pushes only (done ones are history).
pub fn finding(
    p: &Params,
    settings: &PushSettings,
    push: &PushBug,
    tz: chrono_tz::Tz,
) -> Option<String> {
    if !matches!(push.status, PushStatus::Open { .. }) || push.size == SizeClass::ContentOnly {
        return None;
    }
    let problems = problems(p, &settings.window, push.at()?, tz);
    (!problems.is_empty()).then(|| format!("outside the push window: {}", problems.join("; ")))
}

fn weekday_name(day: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match day {
        Mon => "Monday",
        Tue => "Tuesday",
        Wed => "Wednesday",
        Thu => "Thursday",
        Fri => "Friday",
        Sat => "Saturday",
        Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn rules() -> crate::rules::RuleSet {
        rule_set(
            "push-window",
            "push_window",
            "[templates]\ncomment = \"{% for p in problems %}{{ p }}. {% endfor %}Allowed: {{ window }}\"",
        )
    }
    const NOW: &str = "2026-11-26T12:00:00Z";

    #[test]
    fn fires_on_a_monday_afternoon_once() {
        let push = PushBuilder::new(1).at("2026-11-30 14:00").build();
        let v = one(&rules(), std::slice::from_ref(&push), NOW);
        assert!(v.fires);
        let action = v.action.unwrap();
        assert_eq!(
            action.key.marker(),
            "[pushbot push-window 2026-11-30T14:00]"
        );
        assert_eq!(
            action.comment.as_deref(),
            Some("Monday is not a push day. 14:00 is before 16:00. Allowed: Tue, Thu (Wed if needed), 16:00–23:59 local time")
        );
        let push = PushBuilder::from(push)
            .marker("push-window", "2026-11-30T14:00", "2026-11-26T12:00:00Z")
            .build();
        assert!(one(&rules(), std::slice::from_ref(&push), NOW)
            .reason
            .starts_with("already said"));
        // Moved to another bad time: a new warning.
        let moved = PushBuilder::from(push).at("2026-12-01 10:00").build();
        let v = one(&rules(), &[moved], NOW);
        assert!(v.fires);
        assert_eq!(v.reason, "outside the push window: 10:00 is before 16:00");
    }

    #[test]
    fn quiet_inside_the_window_and_for_exempt_pushes() {
        let tue = PushBuilder::new(1).at("2026-12-01 16:00").build();
        assert_eq!(one(&rules(), &[tue], NOW).reason, "inside the push window");
        let wed = PushBuilder::new(1).at("2026-12-02 17:00").build();
        assert!(!one(&rules(), &[wed], NOW).fires);
        let content = PushBuilder::new(1)
            .size(SizeClass::ContentOnly)
            .at("2026-12-04 09:00")
            .build();
        assert_eq!(
            one(&rules(), &[content], NOW).reason,
            "content-only changes are exempt"
        );
        let cancelled = PushBuilder::new(1)
            .at("2026-11-30 14:00")
            .cancelled()
            .build();
        assert!(!one(&rules(), &[cancelled], NOW).fires);
        let unscheduled = PushBuilder::new(1).unscheduled().build();
        assert_eq!(one(&rules(), &[unscheduled], NOW).reason, "no push date");
    }

    #[test]
    fn the_day_is_the_team_zone_day() {
        // Tue 2026-12-01 16:00 in Los Angeles is Wednesday 00:00 UTC: fine.
        let push = PushBuilder::new(1).at("2026-12-01 16:00").build();
        assert!(!one(&rules(), &[push], NOW).fires);
        // Across the DST change: Tue 2027-03-16 16:00 PDT, still inside.
        let push = PushBuilder::new(1).at("2027-03-16 16:00").build();
        assert!(!one(&rules(), &[push], NOW).fires);
        let push = PushBuilder::new(1).at("2027-03-16 15:59").build();
        assert!(one(&rules(), &[push], NOW).fires);
    }

    #[test]
    fn if_needed_days_can_be_warned_about() {
        let rules = rule_set(
            "push-window",
            "push_window",
            "[params]\nwarn_if_needed_days = true\n[templates]\ncomment = \"{{ problems | join(', ') }}\"",
        );
        let wed = PushBuilder::new(1).at("2026-12-02 17:00").build();
        let v = one(&rules, &[wed], NOW);
        assert_eq!(
            v.action.unwrap().comment.as_deref(),
            Some("Wednesday is for pushes only if needed")
        );
    }
}
