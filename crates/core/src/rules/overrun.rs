//! `overrun`: when the push time plus the outage window has passed and the
//! bug is still open, asks the owner once for status and an ETA for users
//! ("we don't truly panic until the end of the outage window"). Skips
//! opted-out bugs. Pure.

use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{already_said, Ctx, Decision, ParamError, Post};
use crate::bugzilla::{FlagChange, FlagChangeStatus};
use crate::clock;
use crate::plan::{RuleMark, RuleName};
use crate::push::{PushBug, PushStatus};

/// Template: `comment` (variables: `window_minutes`; `window_end`, when the
/// outage window ended, in team time).
pub const TEMPLATES: &[&str] = &["comment"];

/// `[params]` of an `overrun` rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// The outage window after the push time, in minutes. Default: 120.
    pub outage_window_minutes: u32,
    /// Also request this flag from the owner (empty: comment only).
    /// Default: `needinfo`.
    pub needinfo_flag: String,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            outage_window_minutes: 120,
            needinfo_flag: "needinfo".to_string(),
        }
    }
}

pub fn validate(p: &Params) -> Result<(), ParamError> {
    if p.outage_window_minutes == 0 {
        return Err(ParamError::new(
            "outage_window_minutes",
            "must be at least 1 minute",
        ));
    }
    Ok(())
}

pub(crate) fn sample_extras() -> Value {
    json!({"window_minutes": 120, "window_end": "Tue 2026-12-01 18:00 PST"})
}

pub(crate) fn decide(p: &Params, rule: &RuleName, ctx: &Ctx<'_>, push: &PushBug) -> Decision {
    let quiet = |reason: String| Decision::quiet(push.id, reason);
    if !matches!(push.status, PushStatus::Open { .. }) {
        return quiet("the push is done or cancelled".to_string());
    }
    let Some(at) = push.at() else {
        return quiet("no push date".to_string());
    };
    if push.opted_out {
        return quiet(format!("opted out ({})", ctx.settings.opt_out_tag));
    }
    let end = at + Duration::minutes(i64::from(p.outage_window_minutes));
    if ctx.now.is_before(end) {
        return quiet(format!(
            "the outage window ends {}",
            clock::format_local(end, ctx.tz)
        ));
    }
    let mark = RuleMark::Overrun(clock::local_date(at, ctx.tz));
    if let Some(said) = already_said(push, rule, &mark) {
        return quiet(said);
    }
    let who = push.owner.clone().or_else(|| push.leads.first().cloned());
    let flags = match (&who, p.needinfo_flag.trim().is_empty()) {
        (Some(who), false) => vec![FlagChange {
            id: None,
            name: Some(p.needinfo_flag.clone()),
            status: FlagChangeStatus::Requested,
            requestee: Some(who.clone()),
            new: true,
        }],
        _ => Vec::new(),
    };
    Decision::fire(
        push.id,
        format!(
            "still open after the outage window ended {}",
            clock::format_local(end, ctx.tz)
        ),
        Post {
            extras: json!({
                "window_minutes": p.outage_window_minutes,
                "window_end": clock::format_local(end, ctx.tz),
            }),
            flags,
            ..Post::new("comment", mark)
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    fn rules() -> crate::rules::RuleSet {
        rule_set(
            "overrun",
            "overrun",
            "[templates]\ncomment = \"{{ bug.owner }}: status? window ended {{ window_end }}\"",
        )
    }

    #[test]
    fn asks_once_after_the_outage_window() {
        // Tue 16:00 PST = Wed 00:00 UTC; window ends 02:00 UTC.
        let push = PushBuilder::new(1).at("2026-12-01 16:00").build();
        assert!(
            !one(
                &rules(),
                std::slice::from_ref(&push),
                "2026-12-02T01:59:00Z"
            )
            .fires
        );
        let v = one(
            &rules(),
            std::slice::from_ref(&push),
            "2026-12-02T02:00:00Z",
        );
        let action = v.action.unwrap();
        assert_eq!(action.key.marker(), "[pushbot overrun 2026-12-01]");
        assert_eq!(
            action.comment.as_deref(),
            Some("dev@example.test: status? window ended Tue 2026-12-01 18:00 PST")
        );
        assert_eq!(
            action.update.flags[0].requestee.as_deref(),
            Some("dev@example.test")
        );
        let push = PushBuilder::from(push)
            .marker("overrun", "2026-12-01", "2026-12-02T02:00:00Z")
            .build();
        assert!(!one(&rules(), &[push], "2026-12-02T05:00:00Z").fires);
    }

    #[test]
    fn quiet_when_resolved_unscheduled_or_opted_out() {
        let now = "2026-12-05T00:00:00Z";
        assert!(!one(&rules(), &[PushBuilder::new(1).done().build()], now).fires);
        assert!(!one(&rules(), &[PushBuilder::new(1).cancelled().build()], now).fires);
        assert!(!one(&rules(), &[PushBuilder::new(1).unscheduled().build()], now).fires);
        assert!(!one(&rules(), &[PushBuilder::new(1).opted_out().build()], now).fires);
    }
}
