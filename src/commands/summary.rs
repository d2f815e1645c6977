//! The `summary` command's text: the week of a push (or the week after)
//! as the report's Markdown summary ([`crate::report::markdown`]).
//!
//! A minimal mapping of pushes and rule verdicts to the report's view
//! model: pushes scheduled in the week, their owner and sign-offs, and as
//! conflicts the reasons of the release-conflict rules that find one
//! (other rules that find something are warnings). The rules are asked
//! what they find now, whether or not the bot already said it: they are
//! evaluated on the pushes without the bot's markers (snoozes kept).
//!
//! Pure: no I/O, no clock.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::push::{self, PushBug, Signoff};
use crate::report::markdown;
use crate::report::model::{
    IsoWeekId, PushEntry, SignoffState, SignoffStatus, SizeClass, WeekReport,
};
use crate::rules::{self, RuleKind, RuleSet, Verdict};

/// The Markdown summary (`base_url`: Bugzilla's, for the bug links) of
/// the week holding `push` (its push time, or `now` when it has none), or
/// of the week after when `next`. It names its week itself.
#[expect(clippy::too_many_arguments, reason = "plain inputs of one pure view")]
pub fn week(
    push: &PushBug,
    next: bool,
    pushes: &[PushBug],
    rules: &RuleSet,
    settings: &push::PushSettings,
    base_url: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> String {
    let mut week = IsoWeekId::of_instant(push.at().unwrap_or(now), tz);
    if next {
        week = week.next();
    }
    let (start, end) = week.bounds(tz);
    let fresh: Vec<PushBug> = pushes
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.markers.retain(|m| m.rule == push::SNOOZE_MARKER);
            p
        })
        .collect();
    let verdicts = rules::evaluate(rules, &fresh, settings, tz, now);
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
    markdown::render(&report)
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
