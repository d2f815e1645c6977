//! `no_owner`: a push bug whose assignee is still a default account gets a
//! nag after a grace period, addressed to the component's triage owner when
//! one is known (the first nag can also request `needinfo?` from them),
//! re-nags with back-off, then one escalation (a needinfo flag to the app's
//! lead). Stops as soon as an owner is set. When the push is near, the grace
//! period is skipped and waits are shortened.
//!
//! The nag count and the time of the last nag come from the bot's markers on
//! the bug (`nag-1`, `nag-2`, …, `escalate`), never from local state.
//!
//! A person already on it is not nagged: while someone commented more
//! recently than the nag cadence (the wait before the next nag), the nag
//! waits until that much time has passed since their comment. Pure.

use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{already_said, Ctx, Decision, ParamError, Post};
use crate::bugzilla::{FlagChange, FlagChangeStatus};
use crate::plan::{RuleMark, RuleName};
use crate::push::{PushBug, PushStatus};

/// Templates: `nag` (variables: `nag`, the nag's number; `nags_before_escalation`)
/// and `escalate` (variables: `nags`, the nags already posted).
pub const TEMPLATES: &[&str] = &["nag", "escalate"];

/// `[params]` of a `no_owner` rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Hours after the bug was filed before the first nag. Default: 24.
    pub grace_hours: u32,
    /// Hours between the first and the second nag. Default: 48.
    pub renag_hours: u32,
    /// Each later wait is this many times the one before. Default: 2.
    pub backoff_factor: u32,
    /// Nags before escalating to the app's lead. Default: 3.
    pub escalate_after_nags: u32,
    /// A push within this many hours is "near". Default: 72.
    pub near_push_hours: u32,
    /// When near: no grace period, and no wait longer than this. Hours;
    /// default: 12.
    pub near_push_renag_hours: u32,
    /// The flag requested from the lead on escalation, and from the triage
    /// owner with the first nag when `needinfo_triage_owner` is on.
    /// Default: `needinfo`.
    pub escalate_flag: String,
    /// Whether the first nag also requests `escalate_flag` from the
    /// component's triage owner (when one is known): a request stays in
    /// their request queue until answered, while a comment reaches only
    /// those who watch the bug. Later nags are comments only. Default: true.
    pub needinfo_triage_owner: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            grace_hours: 24,
            renag_hours: 48,
            backoff_factor: 2,
            escalate_after_nags: 3,
            near_push_hours: 72,
            near_push_renag_hours: 12,
            escalate_flag: "needinfo".to_string(),
            needinfo_triage_owner: true,
        }
    }
}

pub fn validate(p: &Params) -> Result<(), ParamError> {
    if p.renag_hours == 0 {
        return Err(ParamError::new("renag_hours", "must be at least 1 hour"));
    }
    if p.backoff_factor == 0 {
        return Err(ParamError::new(
            "backoff_factor",
            "must be at least 1 (1 = no back-off)",
        ));
    }
    if p.escalate_after_nags == 0 {
        return Err(ParamError::new("escalate_after_nags", "must be at least 1"));
    }
    if p.near_push_renag_hours == 0 {
        return Err(ParamError::new(
            "near_push_renag_hours",
            "must be at least 1 hour",
        ));
    }
    if p.escalate_flag.trim().is_empty() {
        return Err(ParamError::new(
            "escalate_flag",
            "must name a flag, e.g. needinfo",
        ));
    }
    Ok(())
}

/// The wait after nag number `n` (1-based), before back-off capping.
fn wait_after(p: &Params, n: u32) -> Duration {
    let factor = u64::from(p.backoff_factor).saturating_pow(n.saturating_sub(1));
    let hours = u64::from(p.renag_hours)
        .saturating_mul(factor)
        .min(24 * 365);
    Duration::hours(i64::try_from(hours).unwrap_or(24 * 365))
}

pub(crate) fn sample_extras(template: &str) -> Value {
    match template {
        "nag" => json!({"nag": 1, "nags_before_escalation": 2}),
        _ => json!({"nags": 3}),
    }
}

pub(crate) fn decide(p: &Params, rule: &RuleName, ctx: &Ctx<'_>, push: &PushBug) -> Decision {
    let quiet = |reason: String| Decision::quiet(push.id, reason);
    match &push.status {
        PushStatus::Done => return quiet("the push is done".to_string()),
        PushStatus::Cancelled { resolution } => {
            return quiet(format!("the push is cancelled ({resolution})"))
        }
        PushStatus::Open { .. } => {}
    }
    if let Some(owner) = &push.owner {
        return quiet(format!("owned by {owner}"));
    }
    if push.opted_out {
        return quiet(format!("opted out ({})", ctx.settings.opt_out_tag));
    }
    if let Some(said) = already_said(push, rule, &RuleMark::Escalate) {
        return quiet(format!(
            "escalated to the lead; waiting for an owner: {said}"
        ));
    }
    let nags: Vec<_> = push
        .said_by(rule)
        .filter(|(mark, _)| matches!(mark, RuleMark::Nag(_)))
        .map(|(_, m)| m)
        .collect();
    let n = u32::try_from(nags.len()).unwrap_or(u32::MAX);
    let near = push.at().is_some_and(|at| {
        ctx.now
            .is_at_or_after(at - Duration::hours(i64::from(p.near_push_hours)))
    });
    let cap = Duration::hours(i64::from(p.near_push_renag_hours));
    let due = match nags.last() {
        None if near => ctx.now.get(),
        None => match push.created {
            Some(created) => created + Duration::hours(i64::from(p.grace_hours)),
            None => ctx.now.get(),
        },
        Some(last) => {
            let wait = wait_after(p, n);
            last.at + if near { wait.min(cap) } else { wait }
        }
    };
    let near_note = if near { " (the push is near)" } else { "" };
    // The cadence is the wait the next nag would follow; a person's comment
    // inside it means someone is on the bug, so the nag starts over from it.
    let cadence = {
        let wait = wait_after(p, n.max(1));
        if near {
            wait.min(cap)
        } else {
            wait
        }
    };
    if let Some(human) = push.last_human_comment {
        if ctx.now.is_before(human + cadence) && ctx.now.is_at_or_after(due) {
            return quiet(format!(
                "no owner ({}), but a person commented {} (within the {} h nag cadence); next nag not before {}{near_note}",
                push.assignee,
                crate::clock::format_local(human, ctx.tz),
                cadence.num_hours(),
                crate::clock::format_local(human + cadence, ctx.tz)
            ));
        }
    }
    if ctx.now.is_before(due) {
        return quiet(format!(
            "no owner ({}), {} nag(s) so far; next one due {}{near_note}",
            push.assignee,
            n,
            crate::clock::format_local(due, ctx.tz)
        ));
    }
    if n >= p.escalate_after_nags {
        let flags: Vec<FlagChange> = push
            .leads
            .iter()
            .map(|lead| FlagChange {
                id: None,
                name: Some(p.escalate_flag.clone()),
                status: FlagChangeStatus::Requested,
                requestee: Some(lead.clone()),
                new: true,
            })
            .collect();
        let to = if push.leads.is_empty() {
            "no lead in the app table, so no needinfo".to_string()
        } else {
            format!("{}? to {}", p.escalate_flag, push.leads.join(", "))
        };
        return Decision::fire(
            push.id,
            format!("no owner after {n} nags: escalating ({to}){near_note}"),
            Post {
                extras: json!({ "nags": n }),
                flags,
                ..Post::new("escalate", RuleMark::Escalate)
            },
        );
    }
    let next = n + 1;
    // Only the first nag asks: one pending request is enough, and asking
    // again after they answered would reopen a question they closed.
    let asked = push
        .triage_owner
        .as_ref()
        .filter(|_| p.needinfo_triage_owner && next == 1);
    let flags: Vec<FlagChange> = asked
        .map(|owner| FlagChange {
            id: None,
            name: Some(p.escalate_flag.clone()),
            status: FlagChangeStatus::Requested,
            requestee: Some(owner.clone()),
            new: true,
        })
        .into_iter()
        .collect();
    let to = match (&push.triage_owner, asked) {
        (Some(owner), Some(_)) => format!(" to triage owner {owner}, {}?", p.escalate_flag),
        (Some(owner), None) => format!(" to triage owner {owner}"),
        (None, _) => String::new(),
    };
    Decision::fire(
        push.id,
        format!("no owner ({}): nag {next}{to}{near_note}", push.assignee),
        Post {
            extras: json!({
                "nag": next,
                "nags_before_escalation": p.escalate_after_nags.saturating_sub(next),
            }),
            flags,
            ..Post::new("nag", RuleMark::Nag(next))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn rules() -> crate::rules::RuleSet {
        rule_set("no-owner", "no_owner", "[templates]\nnag = \"Who owns bug {{ bug.id }}? (nag {{ nag }})\"\nescalate = \"{{ bug.lead }}: no owner after {{ nags }} nags\"")
    }

    #[test]
    fn fires_after_the_grace_period_and_not_before() {
        // Filed Nov 20 18:00 UTC, push far away (Dec 15).
        let push = PushBuilder::new(1).unowned().at("2026-12-15 16:00").build();
        let v = one(
            &rules(),
            std::slice::from_ref(&push),
            "2026-11-21T17:00:00Z",
        );
        assert!(!v.fires, "{}", v.reason);
        assert!(v.reason.contains("next one due"));
        let v = one(&rules(), &[push], "2026-11-21T18:00:00Z");
        assert!(v.fires);
        let action = v.action.unwrap();
        assert_eq!(action.key.marker(), "[pushbot no-owner nag-1]");
        assert_eq!(action.comment.as_deref(), Some("Who owns bug 1? (nag 1)"));
    }

    #[test]
    fn a_person_on_the_bug_holds_the_nag_for_one_cadence() {
        // Nag 1 on Nov 22; nag 2 would be due Nov 24 00:00 (48 h cadence),
        // but someone commented on Nov 23 12:00: someone is on it.
        let push = PushBuilder::new(1)
            .unowned()
            .at("2026-12-15 16:00")
            .marker("no-owner", "nag-1", "2026-11-22T00:00:00Z")
            .human_comment("2026-11-23T12:00:00Z")
            .build();
        let v = one(
            &rules(),
            std::slice::from_ref(&push),
            "2026-11-24T00:00:00Z",
        );
        assert!(!v.fires, "{}", v.reason);
        assert!(v.reason.contains("a person commented"), "{}", v.reason);
        assert!(v.reason.contains("48 h nag cadence"), "{}", v.reason);
        // One cadence after the person's comment, the nag comes.
        let v = one(
            &rules(),
            std::slice::from_ref(&push),
            "2026-11-25T12:00:00Z",
        );
        assert!(v.fires, "{}", v.reason);
        assert_eq!(v.action.unwrap().key.mark.discriminator(), "nag-2");
        // An old comment (before the cadence window) does not hold anything.
        let old = PushBuilder::new(1)
            .unowned()
            .at("2026-12-15 16:00")
            .marker("no-owner", "nag-1", "2026-11-22T00:00:00Z")
            .human_comment("2026-11-21T00:00:00Z")
            .build();
        assert!(one(&rules(), &[old], "2026-11-24T00:00:00Z").fires);
    }

    #[test]
    fn fires_once_then_backs_off() {
        let push = PushBuilder::new(1)
            .unowned()
            .at("2026-12-15 16:00")
            .marker("no-owner", "nag-1", "2026-11-22T00:00:00Z")
            .build();
        // Same cycle again: the marker is there, the next nag waits 48 h.
        let v = one(
            &rules(),
            std::slice::from_ref(&push),
            "2026-11-22T00:05:00Z",
        );
        assert!(!v.fires);
        let v = one(
            &rules(),
            std::slice::from_ref(&push),
            "2026-11-24T00:00:00Z",
        );
        assert!(v.fires);
        assert_eq!(v.action.unwrap().key.mark.discriminator(), "nag-2");
        // After nag 2 the wait doubles to 96 h.
        let push = PushBuilder::from(push)
            .marker("no-owner", "nag-2", "2026-11-24T00:00:00Z")
            .build();
        assert!(
            !one(
                &rules(),
                std::slice::from_ref(&push),
                "2026-11-27T23:00:00Z"
            )
            .fires
        );
        assert!(one(&rules(), &[push], "2026-11-28T00:00:00Z").fires);
    }

    #[test]
    fn escalates_to_the_lead_with_needinfo_then_stops() {
        let push = PushBuilder::new(1)
            .unowned()
            .leads(&["lead@example.test"])
            .at("2027-01-15 16:00")
            .marker("no-owner", "nag-1", "2026-11-22T00:00:00Z")
            .marker("no-owner", "nag-2", "2026-11-24T00:00:00Z")
            .marker("no-owner", "nag-3", "2026-11-28T00:00:00Z")
            .build();
        let v = one(
            &rules(),
            std::slice::from_ref(&push),
            "2026-12-06T00:00:00Z",
        );
        assert!(v.fires, "{}", v.reason);
        let action = v.action.unwrap();
        assert_eq!(action.key.mark.discriminator(), "escalate");
        assert_eq!(action.update.flags.len(), 1);
        assert_eq!(action.update.flags[0].name.as_deref(), Some("needinfo"));
        assert_eq!(
            action.update.flags[0].requestee.as_deref(),
            Some("lead@example.test")
        );
        assert_eq!(
            action.comment.as_deref(),
            Some("lead@example.test: no owner after 3 nags")
        );
        let push = PushBuilder::from(push)
            .marker("no-owner", "escalate", "2026-12-06T00:00:00Z")
            .build();
        assert!(!one(&rules(), &[push], "2027-01-01T00:00:00Z").fires);
    }

    fn triage_rules(params: &str) -> crate::rules::RuleSet {
        rule_set(
            "no-owner",
            "no_owner",
            &format!("[params]\n{params}\n[templates]\nnag = \"{{% if bug.triage_owner %}}{{{{ bug.triage_owner }}}}: please find an owner{{% else %}}Who owns this?{{% endif %}} (nag {{{{ nag }}}})\"\nescalate = \"{{{{ bug.lead }}}}\""),
        )
    }

    #[test]
    fn the_first_nag_addresses_the_triage_owner_with_needinfo_later_ones_do_not() {
        let push = PushBuilder::new(1)
            .unowned()
            .triage_owner("triage@example.test")
            .at("2026-12-15 16:00")
            .build();
        let v = one(
            &triage_rules(""),
            std::slice::from_ref(&push),
            "2026-11-22T00:00:00Z",
        );
        assert!(v.fires, "{}", v.reason);
        assert!(
            v.reason
                .contains("nag 1 to triage owner triage@example.test, needinfo?"),
            "{}",
            v.reason
        );
        let action = v.action.unwrap();
        assert_eq!(
            action.comment.as_deref(),
            Some("triage@example.test: please find an owner (nag 1)")
        );
        assert_eq!(action.update.flags.len(), 1);
        assert_eq!(action.update.flags[0].name.as_deref(), Some("needinfo"));
        assert_eq!(action.update.flags[0].status, FlagChangeStatus::Requested);
        assert_eq!(
            action.update.flags[0].requestee.as_deref(),
            Some("triage@example.test")
        );

        // Nag 2 names them again but asks nothing new.
        let push = PushBuilder::from(push)
            .marker("no-owner", "nag-1", "2026-11-22T00:00:00Z")
            .build();
        let v = one(&triage_rules(""), &[push], "2026-11-24T00:00:00Z");
        assert!(v.fires, "{}", v.reason);
        assert!(
            v.reason
                .contains("nag 2 to triage owner triage@example.test"),
            "{}",
            v.reason
        );
        let action = v.action.unwrap();
        assert_eq!(
            action.comment.as_deref(),
            Some("triage@example.test: please find an owner (nag 2)")
        );
        assert!(action.update.flags.is_empty());
    }

    #[test]
    fn needinfo_to_the_triage_owner_can_be_turned_off_and_needs_a_triage_owner() {
        let named = PushBuilder::new(1)
            .unowned()
            .triage_owner("triage@example.test")
            .at("2026-12-15 16:00")
            .build();
        let v = one(
            &triage_rules("needinfo_triage_owner = false"),
            &[named],
            "2026-11-22T00:00:00Z",
        );
        let action = v.action.unwrap();
        assert!(action.update.flags.is_empty());
        assert_eq!(
            action.comment.as_deref(),
            Some("triage@example.test: please find an owner (nag 1)")
        );

        let nobody = PushBuilder::new(1).unowned().at("2026-12-15 16:00").build();
        let v = one(&triage_rules(""), &[nobody], "2026-11-22T00:00:00Z");
        assert_eq!(v.reason, "no owner (nobody@mozilla.org): nag 1");
        let action = v.action.unwrap();
        assert!(action.update.flags.is_empty());
        assert_eq!(action.comment.as_deref(), Some("Who owns this? (nag 1)"));
    }

    #[test]
    fn clears_as_soon_as_an_owner_is_set() {
        let push = PushBuilder::new(1)
            .at("2026-12-15 16:00")
            .marker("no-owner", "nag-1", "2026-11-22T00:00:00Z")
            .build();
        let v = one(&rules(), &[push], "2026-12-01T00:00:00Z");
        assert!(!v.fires);
        assert_eq!(v.reason, "owned by dev@example.test");
    }

    #[test]
    fn nags_sooner_when_the_push_is_near() {
        // Filed an hour ago, push in two days: no grace period.
        let push = PushBuilder::new(1)
            .unowned()
            .created("2026-11-30T17:00:00Z")
            .at("2026-12-01 16:00")
            .build();
        let v = one(
            &rules(),
            std::slice::from_ref(&push),
            "2026-11-30T18:00:00Z",
        );
        assert!(v.fires);
        assert!(v.reason.contains("near"));
        // And re-nags after 12 hours instead of 48.
        let push = PushBuilder::from(push)
            .marker("no-owner", "nag-1", "2026-11-30T18:00:00Z")
            .build();
        assert!(
            !one(
                &rules(),
                std::slice::from_ref(&push),
                "2026-12-01T05:59:00Z"
            )
            .fires
        );
        assert!(one(&rules(), &[push], "2026-12-01T06:00:00Z").fires);
    }

    #[test]
    fn silent_on_resolved_cancelled_and_opted_out_bugs() {
        let now = "2026-12-10T00:00:00Z";
        let done = PushBuilder::new(1).unowned().done().build();
        assert_eq!(one(&rules(), &[done], now).reason, "the push is done");
        let cancelled = PushBuilder::new(1).unowned().cancelled().build();
        assert!(one(&rules(), &[cancelled], now)
            .reason
            .contains("cancelled (WONTFIX)"));
        let opted = PushBuilder::new(1).unowned().opted_out().build();
        assert!(one(&rules(), &[opted], now).reason.contains("[no-nag]"));
    }

    #[test]
    fn unscheduled_pushes_are_still_nagged_after_the_grace_period() {
        let push = PushBuilder::new(1).unowned().unscheduled().build();
        assert!(one(&rules(), &[push], "2026-11-22T00:00:00Z").fires);
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert_eq!(
            validate(&Params {
                backoff_factor: 0,
                ..Params::default()
            })
            .unwrap_err()
            .key,
            "backoff_factor"
        );
    }
}
