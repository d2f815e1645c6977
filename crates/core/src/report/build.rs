//! Fills the report's view model from the push model and the rules'
//! findings: the bridge between the bot's pushes and the renderers.
//!
//! Pure: no I/O, no clock ("now" is an argument and only stamps the
//! report). It decides nothing itself: conflicts and window warnings come
//! from [`crate::rules::findings`], which holds whether or not the bot
//! already commented.
//!
//! Which pushes a week shows: every push scheduled in the week (in the
//! team's zone; open, or done and marked shipped; never cancelled), plus
//! every open push without a date, so an unscheduled push is visible
//! wherever someone looks. A shipped push keeps its conflicts: it still
//! counts toward its week's limits.
//!
//! Every report is built for one audience ([`ReportContext::audience`]:
//! the tracking bug's readers for the weekly summary, the bug's for a
//! `summary` reply, the web's for the page and feeds). A push that
//! audience may not see ([`crate::redact`]) is left out of the report,
//! and the conflicts still count it, named only as "and 1 restricted
//! push": the findings are put in words here, for the audience, so the
//! renderers only ever see what it may read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::model::{IsoWeekId, PushEntry, SignoffState, SignoffStatus, WeekReport};
use crate::bugzilla::BugId;
use crate::push::{self, PushBug, PushStatus, Signoff, SignoffFlags};
use crate::redact::{Audience, Restrictions};
use crate::rules::Findings;

/// What every week's report needs besides the pushes and findings.
#[derive(Debug, Clone)]
pub struct ReportContext {
    /// The team's zone: local days and which week a push is in.
    pub tz: Tz,
    /// When the data was read; shown on the report.
    pub now: DateTime<Utc>,
    /// Bugzilla's base URL (`bugzilla.url`), without a trailing slash or
    /// with one; bug links are `{url}/show_bug.cgi?id=N`.
    pub bugzilla_url: String,
    /// The sign-off flag names (`push.signoff_flags`), shown per push.
    pub signoff_flags: SignoffFlags,
    /// Who will read the report: it shows only the pushes they may see
    /// and names only those in its sentences.
    pub audience: Audience,
}

impl ReportContext {
    /// The link to one bug.
    pub fn bug_url(&self, bug: BugId) -> String {
        format!(
            "{}/show_bug.cgi?id={bug}",
            self.bugzilla_url.trim_end_matches('/')
        )
    }
}

fn signoff_state(flag: &str, signoff: &Signoff, app: &str) -> SignoffState {
    let mut note = None;
    let (state, who) = match signoff {
        Signoff::Missing => (SignoffStatus::Missing, None),
        Signoff::Requested { requestee } => (SignoffStatus::Requested, requestee.clone()),
        Signoff::Granted { by } => (SignoffStatus::Granted, by.clone()),
        Signoff::Denied { by } => (SignoffStatus::Denied, by.clone()),
        Signoff::NotAllowed { granted, by } => {
            note = Some(push::not_allowed_words(*granted, by.as_deref(), app));
            (SignoffStatus::Missing, None)
        }
    };
    SignoffState {
        flag: flag.to_string(),
        state,
        who,
        note,
    }
}

/// One push as the report shows it; its conflict sentences name only the
/// bugs `ctx.audience` may see (the caller checked that it may see `push`).
pub fn entry(
    push: &PushBug,
    findings: &Findings,
    restrictions: &Restrictions,
    ctx: &ReportContext,
) -> PushEntry {
    let app = push.app.as_deref().unwrap_or("this app");
    PushEntry {
        bug: push.id,
        url: ctx.bug_url(push.id),
        summary: push.summary.clone(),
        app: push
            .app
            .clone()
            .unwrap_or_else(|| "unknown app".to_string()),
        size: push.size,
        when: push.at(),
        owner: push.owner.clone(),
        signoffs: vec![
            signoff_state(&ctx.signoff_flags.webdev, &push.webdev_signoff, app),
            signoff_state(&ctx.signoff_flags.qa, &push.qa_signoff, app),
        ],
        conflicts: findings
            .conflicts_of(push.id)
            .iter()
            .map(|f| f.words(&ctx.audience, restrictions))
            .collect(),
        warnings: findings.warnings_of(push.id).to_vec(),
        shipped: push.status == PushStatus::Done,
    }
}

fn shown(push: &PushBug) -> bool {
    !matches!(push.status, PushStatus::Cancelled { .. })
}

/// The report of `week`: its scheduled pushes and every open unscheduled
/// push that `ctx.audience` may see. An empty report when nothing is
/// planned.
pub fn week_report(
    pushes: &[PushBug],
    findings: &Findings,
    week: IsoWeekId,
    ctx: &ReportContext,
) -> WeekReport {
    week_report_with(pushes, findings, &Restrictions::of(pushes), week, ctx)
}

fn week_report_with(
    pushes: &[PushBug],
    findings: &Findings,
    restrictions: &Restrictions,
    week: IsoWeekId,
    ctx: &ReportContext,
) -> WeekReport {
    let mut report = WeekReport::empty(week, ctx.tz, ctx.now);
    let visible = pushes
        .iter()
        .filter(|p| shown(p) && ctx.audience.may_see(&p.groups));
    for push in visible {
        let include = match push.at() {
            Some(at) => IsoWeekId::of_instant(at, ctx.tz) == week,
            None => push.is_open(),
        };
        if include {
            report.pushes.push(entry(push, findings, restrictions, ctx));
        }
    }
    report
}

/// A report for every week that has a scheduled (not cancelled) push
/// `ctx.audience` may see, plus the week of `ctx.now` (so "this week"
/// always exists, maybe empty).
pub fn all_week_reports(
    pushes: &[PushBug],
    findings: &Findings,
    ctx: &ReportContext,
) -> BTreeMap<IsoWeekId, WeekReport> {
    let restrictions = Restrictions::of(pushes);
    let mut weeks: Vec<IsoWeekId> = pushes
        .iter()
        .filter(|p| shown(p) && ctx.audience.may_see(&p.groups))
        .filter_map(|p| p.at())
        .map(|at| IsoWeekId::of_instant(at, ctx.tz))
        .collect();
    weeks.push(IsoWeekId::of_instant(ctx.now, ctx.tz));
    weeks.sort();
    weeks.dedup();
    weeks
        .into_iter()
        .map(|week| {
            let report = week_report_with(pushes, findings, &restrictions, week, ctx);
            (week, report)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::PushBuilder;
    use chrono::TimeZone;

    fn ctx() -> ReportContext {
        ReportContext {
            tz: chrono_tz::America::Los_Angeles,
            now: Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
            bugzilla_url: "https://bugzilla.example/".to_string(),
            signoff_flags: SignoffFlags::default(),
            audience: Audience::public(),
        }
    }

    #[test]
    fn weeks_hold_their_pushes_and_every_open_unscheduled_one() {
        let pushes = vec![
            PushBuilder::new(1).at("2026-12-01 16:00").build(),
            PushBuilder::new(2).at("2026-12-08 16:00").build(),
            PushBuilder::new(3).unscheduled().build(),
            PushBuilder::new(4)
                .at("2026-12-02 16:00")
                .cancelled()
                .build(),
        ];
        let all = all_week_reports(&pushes, &Findings::default(), &ctx());
        let weeks: Vec<String> = all.keys().map(|w| w.to_string()).collect();
        assert_eq!(weeks, ["2026-W48", "2026-W49", "2026-W50"]);
        let w49 = &all[&"2026-W49".parse().unwrap()];
        let bugs: Vec<u64> = w49.pushes.iter().map(|e| e.bug.0).collect();
        assert_eq!(bugs, [1, 3]);
        assert_eq!(
            w49.pushes[0].url,
            "https://bugzilla.example/show_bug.cgi?id=1"
        );
        assert_eq!(w49.pushes[0].signoffs[0].flag, "webdev-signoff");
        assert_eq!(all[&"2026-W48".parse().unwrap()].pushes.len(), 1);
    }

    #[test]
    fn findings_show_whether_or_not_the_bot_already_commented() {
        let rules = crate::rules::RuleSet::from_sources(&[
            (
                "release-conflict.toml",
                "kind = \"release_conflict\"\n[templates]\ncomment = \"x\"\nresolved = \"y\"\n",
            ),
            (
                "push-window.toml",
                "kind = \"push_window\"\n[templates]\ncomment = \"x\"\n",
            ),
        ])
        .unwrap();
        let pushes = vec![
            PushBuilder::new(1)
                .at("2026-12-01 16:00")
                .marker("release-conflict", "2026-W49:2", "2026-11-25T10:00:00Z")
                .build(),
            PushBuilder::new(2).at("2026-12-03 16:00").build(),
            PushBuilder::new(3)
                .at("2026-12-07 14:00")
                .size(push::SizeClass::Small)
                .marker("push-window", "2026-12-07T14:00", "2026-11-25T10:00:00Z")
                .build(),
        ];
        let settings = crate::push::PushSettings::default();
        let verdicts = crate::rules::evaluate(&rules, &pushes, &settings, ctx().tz, ctx().now);
        let firing: Vec<_> = verdicts
            .iter()
            .filter(|v| v.fires)
            .map(|v| (v.bug, v.reason.clone()))
            .collect();
        assert!(firing.iter().all(|(b, _)| *b == BugId(2)), "{firing:?}");
        let findings = crate::rules::findings(&rules, &pushes, &settings, ctx().tz);
        let report = week_report(&pushes, &findings, "2026-W49".parse().unwrap(), &ctx());
        let conflicts = report.conflicts();
        assert_eq!(
            conflicts[0],
            (
                "2 large releases in 2026-W49 (limit 1): bug 1, bug 2".to_string(),
                vec![BugId(1), BugId(2)]
            )
        );
        assert!(report.warnings().is_empty());
        let w50 = week_report(&pushes, &findings, "2026-W50".parse().unwrap(), &ctx());
        assert_eq!(
            w50.warnings(),
            vec![(
                "outside the push window: Monday is not a push day; 14:00 is before 16:00"
                    .to_string(),
                vec![BugId(3)]
            )]
        );
    }

    #[test]
    fn a_shipped_push_is_shown_as_shipped_with_its_conflicts_a_cancelled_one_not_at_all() {
        let rules = crate::rules::RuleSet::from_sources(&[(
            "release-conflict.toml",
            "kind = \"release_conflict\"\n[templates]\ncomment = \"x\"\nresolved = \"y\"\n",
        )])
        .unwrap();
        let pushes = vec![
            PushBuilder::new(1).at("2026-12-01 16:00").done().build(),
            PushBuilder::new(2).at("2026-12-03 16:00").build(),
            PushBuilder::new(3)
                .at("2026-12-02 16:00")
                .size(push::SizeClass::Small)
                .cancelled()
                .build(),
            PushBuilder::new(4).unscheduled().done().build(),
        ];
        let settings = crate::push::PushSettings::default();
        let findings = crate::rules::findings(&rules, &pushes, &settings, ctx().tz);
        let report = week_report(&pushes, &findings, "2026-W49".parse().unwrap(), &ctx());
        let shown: Vec<(u64, bool)> = report.pushes.iter().map(|e| (e.bug.0, e.shipped)).collect();
        assert_eq!(
            shown,
            [(1, true), (2, false)],
            "no cancelled, no shipped without a date"
        );
        assert_eq!(report.shipped(), 1);
        assert_eq!(
            report.conflicts(),
            vec![(
                "2 large releases in 2026-W49 (limit 1): bug 1, bug 2".to_string(),
                vec![BugId(1), BugId(2)]
            )],
            "the shipped push still counts; the cancelled one counts for nothing"
        );
    }
    #[test]
    fn a_report_shows_only_what_its_audience_may_see_and_still_counts_the_rest() {
        let rules = crate::rules::RuleSet::from_sources(&[(
            "release-conflict.toml",
            "kind = \"release_conflict\"\n[templates]\ncomment = \"x\"\nresolved = \"y\"\n",
        )])
        .unwrap();
        let pushes = vec![
            PushBuilder::new(1).at("2026-12-01 16:00").build(),
            PushBuilder::new(2).at("2026-12-03 16:00").build(),
            PushBuilder::new(3)
                .at("2026-12-02 16:00")
                .groups(&["security"])
                .build(),
            PushBuilder::new(4)
                .unscheduled()
                .groups(&["security"])
                .build(),
            PushBuilder::new(5)
                .at("2026-12-15 16:00")
                .groups(&["security"])
                .build(),
        ];
        let settings = crate::push::PushSettings::default();
        let findings = crate::rules::findings(&rules, &pushes, &settings, ctx().tz);
        let week: IsoWeekId = "2026-W49".parse().unwrap();
        let bugs = |r: &WeekReport| r.pushes.iter().map(|e| e.bug.0).collect::<Vec<_>>();

        let public = week_report(&pushes, &findings, week, &ctx());
        assert_eq!(bugs(&public), [1, 2]);
        assert_eq!(
            public.conflicts(),
            vec![(
                "3 large releases in 2026-W49 (limit 1): bug 1, bug 2 and 1 restricted push"
                    .to_string(),
                vec![BugId(1), BugId(2)]
            )]
        );
        // Week 51 holds only a restricted push: no such week for the public.
        let weeks: Vec<String> = all_week_reports(&pushes, &findings, &ctx())
            .keys()
            .map(|w| w.to_string())
            .collect();
        assert_eq!(weeks, ["2026-W48", "2026-W49"]);

        for audience in [
            Audience::trusted(),
            Audience::of_bug(&["security".to_string()]),
        ] {
            let ctx = ReportContext { audience, ..ctx() };
            let all = week_report(&pushes, &findings, week, &ctx);
            assert_eq!(bugs(&all), [1, 2, 3, 4]);
            assert_eq!(
                all.conflicts()[0].0,
                "3 large releases in 2026-W49 (limit 1): bug 1, bug 2, bug 3"
            );
        }
    }
}
