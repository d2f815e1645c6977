//! The `summary` command's text: the week of a push (or the week after)
//! as the report's Markdown summary ([`crate::report::markdown`]).
//!
//! A minimal mapping of pushes and rule verdicts to the report's view
//! model: pushes scheduled in the week, their owner and sign-offs, and as
//! conflicts the reasons of the release-conflict rules that fire (other
//! firing rules as warnings). The weekly summary posted by the bot uses
//! the same renderer.
//!
//! Pure: no I/O, no clock.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::push::{self, PushBug, Signoff};
use crate::report::markdown;
use crate::report::model::{
    IsoWeekId, PushEntry, SignoffState, SignoffStatus, SizeClass, WeekReport,
};
use crate::rules::{RuleKind, RuleSet, Verdict};

/// `(week label, Markdown body)` (`base_url`: Bugzilla's, for the bug
/// links) of the week holding `push` (its push
/// time, or `now` when it has none), or the week after when `next`.
#[expect(clippy::too_many_arguments, reason = "plain inputs of one pure view")]
pub fn week(
    push: &PushBug,
    next: bool,
    pushes: &[PushBug],
    verdicts: &[Verdict],
    rules: &RuleSet,
    settings: &push::PushSettings,
    base_url: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> (String, String) {
    let mut week = IsoWeekId::of_instant(push.at().unwrap_or(now), tz);
    if next {
        week = week.next();
    }
    let (start, end) = week.bounds(tz);
    let conflict_rules: Vec<&str> = rules
        .rules
        .iter()
        .filter(|r| matches!(r.kind, RuleKind::ReleaseConflict(_)))
        .map(|r| r.name.as_str())
        .collect();
    let entries = pushes
        .iter()
        .filter(|p| p.is_open() && p.at().is_some_and(|at| at >= start && at < end))
        .map(|p| {
            let firing = verdicts.iter().filter(|v| v.bug == p.id && v.fires);
            let (conflicts, warnings): (Vec<&Verdict>, Vec<&Verdict>) =
                firing.partition(|v| conflict_rules.contains(&v.rule.as_str()));
            PushEntry {
                bug: p.id,
                url: format!(
                    "{}/show_bug.cgi?id={}",
                    base_url.trim_end_matches('/'),
                    p.id
                ),
                summary: p.summary.clone(),
                app: p.app.clone().unwrap_or_else(|| "(unknown app)".to_string()),
                size: match p.size {
                    push::SizeClass::Large => SizeClass::Large,
                    push::SizeClass::Small => SizeClass::Small,
                    push::SizeClass::ContentOnly => SizeClass::ContentOnly,
                },
                when: p.at(),
                owner: p.owner.clone(),
                signoffs: vec![
                    signoff_state(&settings.signoff_flags.webdev, &p.webdev_signoff),
                    signoff_state(&settings.signoff_flags.qa, &p.qa_signoff),
                ],
                conflicts: conflicts.iter().map(|v| v.reason.clone()).collect(),
                warnings: warnings
                    .iter()
                    .map(|v| format!("{}: {}", v.rule, v.reason))
                    .collect(),
            }
        })
        .collect();
    let report = WeekReport {
        week,
        time_zone: tz,
        pushes: entries,
        generated_at: now,
    };
    (week.to_string(), markdown::render(&report))
}

fn signoff_state(flag: &str, signoff: &Signoff) -> SignoffState {
    let (state, who) = match signoff {
        Signoff::Missing => (SignoffStatus::Missing, None),
        Signoff::Requested { requestee } => (SignoffStatus::Requested, requestee.clone()),
        Signoff::Granted { by } => (SignoffStatus::Granted, by.clone()),
        Signoff::Denied { by } => (SignoffStatus::Denied, by.clone()),
    };
    SignoffState {
        flag: flag.to_string(),
        state,
        who,
    }
}
