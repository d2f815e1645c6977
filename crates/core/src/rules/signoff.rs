//! `signoff`: when the push is within the lead time (default: a day before,
//! as at the pre-release meeting), requests `webdev-signoff` from the app's
//! lead and `qa-signoff` from QA as flags with requestees, with a comment
//! listing the checklist; if the push time arrives without both sign-offs
//! and a confirmed checklist, says so once.
//!
//! A sign-off set by someone who may not give it (Bugzilla lets anyone set
//! a flag whose type has no grant group, recordings 117–118) counts as
//! missing: the rule says so once (`not-allowed-…`, naming the flag and
//! the setter) and asks the lead or QA to set it themselves; the flag is
//! left exactly as it is.
//!
//! Keys carry the push's local date (`request-2026-12-01`,
//! `missed-2026-12-01`), so a rescheduled push is asked again. Opt-out does
//! not silence it: sign-off is a safety check, not a nag. Pure.

use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{already_said, Ctx, Decision, ParamError, Post};
use crate::bugzilla::{FlagChange, FlagChangeStatus};
use crate::clock;
use crate::plan::{RuleMark, RuleName};
use crate::push::{PushBug, PushStatus, Signoff, SizeClass};

/// Templates: `request` (variables: `requested`, a list of "flag from
/// person"; `lead_hours`), `missing` (variables: `missing`, a list of what
/// is not there) and `not_allowed` (variables: `not_allowed`, a list of
/// "flag set + by X, who may not sign off for APP"; `ask`, who may set it).
pub const TEMPLATES: &[&str] = &["request", "missing", "not_allowed"];

/// `[params]` of a `signoff` rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Request sign-off this many hours before the push. Default: 24.
    pub lead_hours: u32,
    /// Skip content-only changes ("small content changes can go
    /// whenever"). Default: true.
    pub exempt_content: bool,
    /// Say "not signed off" only within this many hours after the push
    /// time, so a bot started on a backlog of old bugs does not post about
    /// pushes long past. Default: 24.
    pub missed_within_hours: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            lead_hours: 24,
            exempt_content: true,
            missed_within_hours: 24,
        }
    }
}

pub fn validate(p: &Params) -> Result<(), ParamError> {
    if p.lead_hours == 0 || p.lead_hours > 24 * 14 {
        return Err(ParamError::new(
            "lead_hours",
            "must be between 1 and 336 (two weeks)",
        ));
    }
    Ok(())
}

pub(crate) fn sample_extras(template: &str) -> Value {
    match template {
        "request" => json!({
            "requested": ["webdev-signoff from lead@example.test", "qa-signoff from qa@example.test"],
            "lead_hours": 24,
        }),
        "not_allowed" => json!({
            "not_allowed": ["qa-signoff set + by outsider@example.test, who may not sign off for AMO"],
            "ask": ["qa@example.test"],
        }),
        _ => json!({"missing": ["webdev-signoff (missing)", "checklist: User data backed up"]}),
    }
}

/// What is still missing before the push is ready.
fn missing(push: &PushBug, ctx: &Ctx<'_>) -> Vec<String> {
    let flags = &ctx.settings.signoff_flags;
    let mut out = Vec::new();
    for (name, state) in [
        (&flags.webdev, &push.webdev_signoff),
        (&flags.qa, &push.qa_signoff),
    ] {
        if !state.is_granted() {
            let words = match state {
                Signoff::Missing => "not requested".to_string(),
                Signoff::Requested { requestee: Some(r) } => {
                    format!("requested from {r}, not given")
                }
                Signoff::Requested { requestee: None } => "requested, not given".to_string(),
                Signoff::Denied { by } => format!(
                    "denied (no-go) by {}",
                    by.clone().unwrap_or_else(|| "someone".to_string())
                ),
                Signoff::NotAllowed { granted, by } => crate::push::not_allowed_words(
                    *granted,
                    by.as_deref(),
                    push.app.as_deref().unwrap_or("this app"),
                ),
                Signoff::Granted { .. } => String::new(),
            };
            out.push(format!("{name} ({words})"));
        }
    }
    for item in push.checklist.iter().filter(|c| c.confirmed_by.is_none()) {
        out.push(format!(
            "checklist: {} (confirm with {})",
            item.text, item.tag
        ));
    }
    out
}

pub(crate) fn decide(p: &Params, rule: &RuleName, ctx: &Ctx<'_>, push: &PushBug) -> Decision {
    let quiet = |reason: String| Decision::quiet(push.id, reason);
    if !matches!(push.status, PushStatus::Open { .. }) {
        return quiet("the push is done or cancelled".to_string());
    }
    if p.exempt_content && push.size == SizeClass::ContentOnly {
        return quiet("content-only changes are exempt".to_string());
    }
    if let Some(d) = not_allowed(rule, ctx, push) {
        return d;
    }
    let Some(at) = push.at() else {
        return quiet("no push date".to_string());
    };
    let date = clock::local_date(at, ctx.tz);
    let missing = missing(push, ctx);
    if missing.is_empty() {
        return quiet("signed off and checklist confirmed".to_string());
    }
    if ctx.now.is_at_or_after(at) {
        let until = at + Duration::hours(i64::from(p.missed_within_hours));
        if ctx.now.is_at_or_after(until) {
            return quiet(format!(
                "the push time passed more than {} hours ago without sign-off; no longer reported",
                p.missed_within_hours
            ));
        }
        let mark = RuleMark::SignoffMissed(date);
        if let Some(said) = already_said(push, rule, &mark) {
            return quiet(said);
        }
        return Decision::fire(
            push.id,
            format!("the push time has arrived without: {}", missing.join("; ")),
            Post {
                extras: json!({ "missing": missing }),
                ..Post::new("missing", mark)
            },
        );
    }
    let from = at - Duration::hours(i64::from(p.lead_hours));
    if ctx.now.is_before(from) {
        return quiet(format!(
            "sign-off will be requested from {}",
            clock::format_local(from, ctx.tz)
        ));
    }
    if let Some(said) = already_said(push, rule, &RuleMark::SignoffRequest(Some(date))) {
        return quiet(said);
    }
    let mut d = request_now(p, ctx, push);
    d.reason = format!(
        "the push is within {} hours; still missing: {}",
        p.lead_hours,
        missing.join("; ")
    );
    d
}

/// Sign-offs set by someone who may not give them, said once (by marker
/// naming each flag and setter) with who may set them; `None` when there
/// are none, or they were already said.
fn not_allowed(rule: &RuleName, ctx: &Ctx<'_>, push: &PushBug) -> Option<Decision> {
    let flags = &ctx.settings.signoff_flags;
    let app = push.app.as_deref().unwrap_or("this app");
    let mut parts = Vec::new();
    let mut lines = Vec::new();
    let mut ask: Vec<String> = Vec::new();
    for (name, state, who) in [
        (&flags.webdev, &push.webdev_signoff, push.leads.clone()),
        (
            &flags.qa,
            &push.qa_signoff,
            push.qa.iter().cloned().collect(),
        ),
    ] {
        if let Signoff::NotAllowed { granted, by } = state {
            parts.push((name.as_str(), by.as_deref().unwrap_or("someone")));
            lines.push(format!(
                "{name} {}",
                crate::push::not_allowed_words(*granted, by.as_deref(), app)
            ));
            for person in who {
                if !ask.contains(&person) {
                    ask.push(person);
                }
            }
        }
    }
    if parts.is_empty() {
        return None;
    }
    let mark = RuleMark::signoff_not_allowed(parts);
    if already_said(push, rule, &mark).is_some() {
        return None;
    }
    Some(Decision::fire(
        push.id,
        format!(
            "sign-off set by someone who may not give it: {}",
            lines.join("; ")
        ),
        Post {
            extras: json!({ "not_allowed": lines, "ask": ask }),
            ..Post::new("not_allowed", mark)
        },
    ))
}

/// The sign-off request of this rule, made now whatever the lead time
/// (the `signoff` command): the flags nobody set yet, requested from the
/// lead and QA, and the `request` template's checklist. Its marker is the
/// one the rule would use (`request-<local date>`, or
/// `request-unscheduled`), so the rule does not ask again at lead time.
pub(crate) fn request_now(p: &Params, ctx: &Ctx<'_>, push: &PushBug) -> Decision {
    let mark = RuleMark::SignoffRequest(push.at().map(|at| clock::local_date(at, ctx.tz)));
    let flags_cfg = &ctx.settings.signoff_flags;
    let mut flags = Vec::new();
    let mut requested = Vec::new();
    let wanted = [
        (&flags_cfg.webdev, &push.webdev_signoff, push.leads.first()),
        (&flags_cfg.qa, &push.qa_signoff, push.qa.as_ref()),
    ];
    for (name, state, from) in wanted {
        // Only flags nobody set yet: re-requesting or overriding a no-go is
        // for people, not the bot.
        if *state == Signoff::Missing {
            flags.push(FlagChange {
                id: None,
                name: Some(name.clone()),
                status: FlagChangeStatus::Requested,
                requestee: from.cloned(),
                new: false,
            });
            requested.push(match from {
                Some(who) => format!("{name} from {who}"),
                None => format!("{name} from anyone (no one configured)"),
            });
        }
    }
    Decision::fire(
        push.id,
        format!("sign-off requested: {}", requested.join("; ")),
        Post {
            extras: json!({ "requested": requested, "lead_hours": p.lead_hours }),
            flags,
            ..Post::new("request", mark)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn rules() -> crate::rules::RuleSet {
        rule_set(
            "signoff",
            "signoff",
            "[templates]\nrequest = \"{{ requested | join(', ') }}{% for i in bug.unconfirmed %} [ ] {{ i.text }}{% endfor %}\"\nmissing = \"missing: {{ missing | join('; ') }}\"\nnot_allowed = \"not allowed: {{ not_allowed | join('; ') }}; ask {{ ask | join(', ') }}\"",
        )
    }

    fn push() -> PushBuilder {
        // Tue 2026-12-01 16:00 PST = 2026-12-02T00:00Z.
        PushBuilder::new(1).leads(&["lead@example.test"])
    }

    #[test]
    fn requests_both_flags_a_day_before_with_the_checklist() {
        assert!(!one(&rules(), &[push().build()], "2026-11-30T23:59:00Z").fires);
        let v = one(&rules(), &[push().build()], "2026-12-01T00:00:00Z");
        let action = v.action.unwrap();
        assert_eq!(action.key.marker(), "[pushbot signoff request-2026-12-01]");
        let flags: Vec<(Option<&str>, &str, Option<&str>)> = action
            .update
            .flags
            .iter()
            .map(|f| (f.name.as_deref(), f.status.as_str(), f.requestee.as_deref()))
            .collect();
        assert_eq!(
            flags,
            vec![
                (Some("webdev-signoff"), "?", Some("lead@example.test")),
                (Some("qa-signoff"), "?", Some("qa@example.test")),
            ]
        );
        assert_eq!(
            action.comment.as_deref(),
            Some("webdev-signoff from lead@example.test, qa-signoff from qa@example.test [ ] User data backed up [ ] Prod and staging schemas compared [ ] New infrastructure tested by QA")
        );
    }

    #[test]
    fn a_signoff_from_someone_who_may_not_give_it_is_said_once_and_left_alone() {
        let outsider = Signoff::NotAllowed {
            granted: true,
            by: Some("outsider@example.test".into()),
        };
        let p = push().signoffs(Signoff::Missing, outsider).build();
        // Days before the lead time: said at once.
        let v = one(&rules(), std::slice::from_ref(&p), "2026-11-25T12:00:00Z");
        let action = v.action.unwrap();
        assert_eq!(
            action.key.marker(),
            "[pushbot signoff not-allowed-qa-signoff.outsider-example.test]"
        );
        assert_eq!(
            action.comment.as_deref(),
            Some("not allowed: qa-signoff set + by outsider@example.test, who may not sign off for AMO; ask qa@example.test")
        );
        assert!(action.update.flags.is_empty(), "the flag is left as it is");
        // Said: quiet until the lead time, then only the missing flag is
        // requested (never the one the outsider set).
        let said = PushBuilder::from(p)
            .marker(
                "signoff",
                "not-allowed-qa-signoff.outsider-example.test",
                "2026-11-25T12:00:00Z",
            )
            .build();
        assert!(
            !one(
                &rules(),
                std::slice::from_ref(&said),
                "2026-11-26T12:00:00Z"
            )
            .fires
        );
        let v = one(&rules(), &[said], "2026-12-01T00:00:00Z");
        let flags: Vec<&str> = v
            .action
            .as_ref()
            .unwrap()
            .update
            .flags
            .iter()
            .filter_map(|f| f.name.as_deref())
            .collect();
        assert_eq!(flags, vec!["webdev-signoff"]);
        assert!(
            v.reason.contains("set + by outsider@example.test"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn requests_once_and_only_missing_flags() {
        let p = push()
            .signoffs(
                Signoff::Granted {
                    by: Some("lead@example.test".into()),
                },
                Signoff::Missing,
            )
            .build();
        let v = one(&rules(), std::slice::from_ref(&p), "2026-12-01T12:00:00Z");
        let flags = v.action.unwrap().update.flags;
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].name.as_deref(), Some("qa-signoff"));
        let p = PushBuilder::from(p)
            .marker("signoff", "request-2026-12-01", "2026-12-01T12:00:00Z")
            .build();
        assert!(!one(&rules(), std::slice::from_ref(&p), "2026-12-01T13:00:00Z").fires);
        // Rescheduled to Thursday: asked again for the new date.
        let moved = PushBuilder::from(p).at("2026-12-03 16:00").build();
        let v = one(&rules(), &[moved], "2026-12-03T01:00:00Z");
        assert_eq!(
            v.action.unwrap().key.mark.discriminator(),
            "request-2026-12-03"
        );
    }

    #[test]
    fn says_once_when_the_push_time_arrives_without_signoff() {
        let p = push()
            .signoffs(
                Signoff::Granted {
                    by: Some("lead@example.test".into()),
                },
                Signoff::Denied {
                    by: Some("qa@example.test".into()),
                },
            )
            .confirm_all()
            .build();
        let v = one(&rules(), std::slice::from_ref(&p), "2026-12-02T00:00:00Z");
        let action = v.action.unwrap();
        assert_eq!(action.key.mark.discriminator(), "missed-2026-12-01");
        assert_eq!(
            action.comment.as_deref(),
            Some("missing: qa-signoff (denied (no-go) by qa@example.test)")
        );
        let p = PushBuilder::from(p)
            .marker("signoff", "missed-2026-12-01", "2026-12-02T00:00:00Z")
            .build();
        assert!(!one(&rules(), std::slice::from_ref(&p), "2026-12-02T01:00:00Z").fires);
    }

    #[test]
    fn pushes_long_past_are_not_reported() {
        let p = push().build();
        let v = one(&rules(), &[p], "2026-12-03T00:00:00Z");
        assert!(!v.fires);
        assert!(v.reason.contains("more than 24 hours ago"), "{}", v.reason);
    }

    #[test]
    fn quiet_when_ready_resolved_or_unscheduled() {
        let ready = push()
            .signoffs(Signoff::Granted { by: None }, Signoff::Granted { by: None })
            .confirm_all()
            .build();
        let v = one(&rules(), &[ready], "2026-12-01T12:00:00Z");
        assert_eq!(v.reason, "signed off and checklist confirmed");
        assert!(!one(&rules(), &[push().done().build()], "2026-12-01T12:00:00Z").fires);
        assert!(
            !one(
                &rules(),
                &[push().cancelled().build()],
                "2026-12-01T12:00:00Z"
            )
            .fires
        );
        assert!(
            !one(
                &rules(),
                &[push().unscheduled().build()],
                "2026-12-01T12:00:00Z"
            )
            .fires
        );
    }

    #[test]
    fn content_only_changes_are_exempt() {
        let p = push().size(SizeClass::ContentOnly).build();
        let v = one(&rules(), &[p], "2026-12-01T12:00:00Z");
        assert_eq!(v.reason, "content-only changes are exempt");
    }

    #[test]
    fn lead_time_is_exact_across_the_dst_change() {
        // Sun 2027-03-14 clocks spring forward; a push Mon 2027-03-15 16:00 PDT
        // (23:00 UTC) is asked for 24 real hours earlier: 2027-03-14T23:00Z.
        let p = push().at("2027-03-15 16:00").build();
        assert!(!one(&rules(), std::slice::from_ref(&p), "2027-03-14T22:59:00Z").fires);
        assert!(one(&rules(), &[p], "2027-03-14T23:00:00Z").fires);
    }
}
