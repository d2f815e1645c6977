//! `unscheduled`: asks once for a push date when none can be read (the
//! reason says what was wrong, e.g. a date that is not a date). Skips done,
//! cancelled and opted-out bugs. Pure.

use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{already_said, Ctx, Decision, ParamError, Post};
use crate::plan::{RuleMark, RuleName};
use crate::push::{PushBug, PushStatus, Schedule};

/// Template: `comment` (variables: `reason`, why no date could be read;
/// `example`, a whiteboard tag to copy).
pub const TEMPLATES: &[&str] = &["comment"];

/// `[params]` of an `unscheduled` rule.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Hours after the bug was filed before asking, so the filer can finish
    /// editing. Default: 0.
    pub after_hours: u32,
}

pub fn validate(p: &Params) -> Result<(), ParamError> {
    if p.after_hours > 24 * 30 {
        return Err(ParamError::new("after_hours", "at most 720 (30 days)"));
    }
    Ok(())
}

pub(crate) fn sample_extras() -> Value {
    json!({"reason": "no push date found", "example": "[push 2026-12-01 16:00]"})
}

pub(crate) fn decide(p: &Params, rule: &RuleName, ctx: &Ctx<'_>, push: &PushBug) -> Decision {
    let quiet = |reason: String| Decision::quiet(push.id, reason);
    if !matches!(push.status, PushStatus::Open { .. }) {
        return quiet("the push is done or cancelled".to_string());
    }
    let Schedule::Unscheduled { reason } = &push.schedule else {
        return quiet("scheduled".to_string());
    };
    if push.opted_out {
        return quiet(format!("opted out ({})", ctx.settings.opt_out_tag));
    }
    if let Some(created) = push.created {
        let due = created + Duration::hours(i64::from(p.after_hours));
        if ctx.now.is_before(due) {
            return quiet(format!("unscheduled; will ask after {}", due.to_rfc3339()));
        }
    }
    if let Some(said) = already_said(push, rule, &RuleMark::Unscheduled) {
        return quiet(said);
    }
    let example = format!("[{} 2026-12-01 16:00]", ctx.settings.whiteboard_date_word);
    Decision::fire(
        push.id,
        format!("unscheduled: {reason}"),
        Post {
            extras: json!({ "reason": reason, "example": example }),
            ..Post::new("comment", RuleMark::Unscheduled)
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    fn rules() -> crate::rules::RuleSet {
        rule_set(
            "unscheduled",
            "unscheduled",
            "[templates]\ncomment = \"When? {{ reason }}; e.g. {{ example }}\"",
        )
    }
    const NOW: &str = "2026-11-26T12:00:00Z";

    #[test]
    fn asks_once_with_the_reason() {
        let push = PushBuilder::new(1).unscheduled().build();
        let v = one(&rules(), std::slice::from_ref(&push), NOW);
        let action = v.action.unwrap();
        assert_eq!(action.key.marker(), "[pushbot unscheduled ask]");
        assert_eq!(
            action.comment.as_deref(),
            Some("When? no push date found; e.g. [push 2026-12-01 16:00]")
        );
        let push = PushBuilder::from(push)
            .marker("unscheduled", "ask", NOW)
            .build();
        assert!(!one(&rules(), &[push], NOW).fires);
    }

    #[test]
    fn quiet_when_scheduled_resolved_or_opted_out() {
        assert_eq!(
            one(&rules(), &[PushBuilder::new(1).build()], NOW).reason,
            "scheduled"
        );
        let done = PushBuilder::new(1).unscheduled().done().build();
        assert!(!one(&rules(), &[done], NOW).fires);
        let opted = PushBuilder::new(1).unscheduled().opted_out().build();
        assert!(!one(&rules(), &[opted], NOW).fires);
    }

    #[test]
    fn waits_after_hours() {
        let rules = rule_set(
            "unscheduled",
            "unscheduled",
            "[params]\nafter_hours = 4\n[templates]\ncomment = \"When?\"",
        );
        let push = PushBuilder::new(1)
            .unscheduled()
            .created("2026-11-26T10:00:00Z")
            .build();
        assert!(!one(&rules, std::slice::from_ref(&push), NOW).fires);
        assert!(one(&rules, &[push], "2026-11-26T14:00:00Z").fires);
    }
}
