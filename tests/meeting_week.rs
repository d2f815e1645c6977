//! The seed meeting's week (ISO 2026-W49, Nov 30 – Dec 6 2026, Los Angeles):
//! AMO and SUMO (large) in one week, a Personas push without an owner, an
//! Input push on a Monday at 2pm, and a content-only SUMO change on a Friday.
//! The bugs are 5.2-shaped `GET /rest/bug/ID` responses (with comments) in
//! `tests/fixtures/meeting-week/`; the expected verdicts are written out.

use std::path::{Path, PathBuf};
use std::process::Command;

use pushbot::clock::parse_now;
use pushbot::config::Settings;
use pushbot::explain::parse_bug_json;
use pushbot::push::{extract, PushBug};
use pushbot::rules::{evaluate, Verdict};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/meeting-week")
}

fn verdicts_at(now: &str) -> (Vec<PushBug>, Vec<Verdict>) {
    let settings = Settings::load_with_env(&fixtures().join("pushbot.toml"), Vec::new()).unwrap();
    let tz = settings.team.tz().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no bug JSON in {}", fixtures().display());
    let mut pushes = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (bug, comments) in parse_bug_json(&text).unwrap() {
            pushes.push(extract(
                &bug,
                &comments,
                &settings.push,
                &settings.bugzilla.bot_login,
                tz,
            ));
        }
    }
    let rules = pushbot::rule_files::load(&root().join("rules")).unwrap();
    let now = parse_now(now, tz).unwrap();
    let verdicts = evaluate(&rules, &pushes, &settings.push, tz, now);
    (pushes, verdicts)
}

fn find<'a>(verdicts: &'a [Verdict], bug: u64, rule: &str) -> &'a Verdict {
    verdicts
        .iter()
        .find(|v| v.bug.0 == bug && v.rule == rule)
        .unwrap_or_else(|| panic!("no verdict for bug {bug} rule {rule}"))
}

const CONFLICT: &str = "2 large releases in 2026-W49 (limit 1); 4 releases in 2026-W49 (limit 3)";
/// What the small pushes are told: they count in the week's total, not
/// in its large releases.
const TOTAL: &str = "4 releases in 2026-W49 (limit 3)";

/// (bug, rule, fires, reason) for Monday 2026-11-30 09:00 in Los Angeles.
fn expected_monday_morning() -> Vec<(u64, &'static str, bool, String)> {
    let slot = "proposed slot: Tue 2026-12-08 16:00 PST";
    vec![
        // AMO: owned, in the window, in conflict with SUMO (and the week is
        // over the combined limit).
        (801, "no-owner", false, "owned by amo-dev@example.test".into()),
        (801, "overrun", false, "the outage window ends Tue 2026-12-01 18:00 PST".into()),
        (801, "push-window", false, "inside the push window".into()),
        (801, "release-conflict", true, format!("{CONFLICT} (with bug 802, bug 803, bug 804); {slot}")),
        (801, "signoff", false, "sign-off will be requested from Mon 2026-11-30 16:00 PST".into()),
        (801, "unscheduled", false, "scheduled".into()),
        // SUMO: the date is the target milestone (default time 16:00).
        (802, "no-owner", false, "owned by sumo-dev@example.test".into()),
        (802, "overrun", false, "the outage window ends Thu 2026-12-03 18:00 PST".into()),
        (802, "push-window", false, "inside the push window".into()),
        (802, "release-conflict", true, format!("{CONFLICT} (with bug 801, bug 803, bug 804); {slot}")),
        (802, "signoff", false, "sign-off will be requested from Wed 2026-12-02 16:00 PST".into()),
        (802, "unscheduled", false, "scheduled".into()),
        // Personas: no owner; the bot nagged once on Friday (a marker in
        // Bugzilla), the push is near, so nag 2 is due.
        (803, "no-owner", true, "no owner (nobody@mozilla.org): nag 2 (the push is near)".into()),
        (803, "overrun", false, "the outage window ends Wed 2026-12-02 19:00 PST".into()),
        (803, "push-window", false, "inside the push window".into()),
        (803, "release-conflict", true, format!("{TOTAL} (with bug 801, bug 802, bug 804); {slot}")),
        (803, "signoff", false, "sign-off will be requested from Tue 2026-12-01 17:00 PST".into()),
        (803, "unscheduled", false, "scheduled".into()),
        // Input: Monday 14:00 is outside the window, and within a day.
        (804, "no-owner", false, "owned by input-dev@example.test".into()),
        (804, "overrun", false, "the outage window ends Mon 2026-11-30 16:00 PST".into()),
        (804, "push-window", true, "outside the push window: Monday is not a push day; 14:00 is before 16:00".into()),
        (804, "release-conflict", true, format!("{TOTAL} (with bug 801, bug 802, bug 803); {slot}")),
        (804, "signoff", true, "the push is within 24 hours; still missing: webdev-signoff (not requested); qa-signoff (not requested); checklist: User data backed up (confirm with [backup-done]); checklist: Prod and staging schemas compared (confirm with [schemas-diffed]); checklist: New infrastructure tested by QA (confirm with [infra-tested])".into()),
        (804, "unscheduled", false, "scheduled".into()),
        // The content-only change on Friday morning: exempt from everything
        // but ownership.
        (805, "no-owner", false, "owned by sumo-dev@example.test".into()),
        (805, "overrun", false, "the outage window ends Fri 2026-12-04 12:00 PST".into()),
        (805, "push-window", false, "content-only changes are exempt".into()),
        (805, "release-conflict", false, "content-only changes are exempt and not counted".into()),
        (805, "signoff", false, "content-only changes are exempt".into()),
        (805, "unscheduled", false, "scheduled".into()),
    ]
}

/// (bug, app, size, push time in UTC, owner)
type ModelRow = (u64, Option<String>, String, Option<String>, Option<String>);

#[test]
fn the_push_model_of_the_meeting_week() {
    let (pushes, _) = verdicts_at("2026-11-30 09:00");
    let summary: Vec<ModelRow> = pushes
        .iter()
        .map(|p| {
            (
                p.id.0,
                p.app.clone(),
                p.size.to_string(),
                p.at().map(|t| t.to_rfc3339()),
                p.owner.clone(),
            )
        })
        .collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        summary,
        vec![
            (
                801,
                s("AMO"),
                "large".into(),
                s("2026-12-02T00:00:00+00:00"),
                s("amo-dev@example.test")
            ),
            (
                802,
                s("SUMO"),
                "large".into(),
                s("2026-12-04T00:00:00+00:00"),
                s("sumo-dev@example.test")
            ),
            (
                803,
                s("Personas"),
                "small".into(),
                s("2026-12-03T01:00:00+00:00"),
                None
            ),
            (
                804,
                s("Input"),
                "small".into(),
                s("2026-11-30T22:00:00+00:00"),
                s("input-dev@example.test")
            ),
            (
                805,
                s("SUMO"),
                "content-only".into(),
                s("2026-12-04T18:00:00+00:00"),
                s("sumo-dev@example.test")
            ),
        ]
    );
    // The AMO developer confirmed one checklist item in a comment.
    let amo = &pushes[0];
    assert_eq!(
        amo.checklist[1].confirmed_by.as_deref(),
        Some("amo-dev@example.test")
    );
    // The bot's earlier nag on Personas is read back from Bugzilla.
    assert_eq!(pushes[2].markers.len(), 1);
    assert_eq!(pushes[2].markers[0].marker.discriminator(), "nag-1");
}

#[test]
fn verdicts_on_monday_morning() {
    let (_, verdicts) = verdicts_at("2026-11-30 09:00");
    let got: Vec<(u64, String, bool, String)> = verdicts
        .iter()
        .map(|v| (v.bug.0, v.rule.clone(), v.fires, v.reason.clone()))
        .collect();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let want: Vec<(u64, String, bool, String)> = expected_monday_morning()
        .into_iter()
        .map(|(b, r, f, reason)| (b, r.to_string(), f, reason))
        .collect();
    assert_eq!(got_sorted, want);
    // Every firing verdict carries an action; quiet ones none.
    for v in &verdicts {
        assert_eq!(v.fires, v.action.is_some(), "{} {}", v.bug, v.rule);
    }
}

#[test]
fn the_actions_on_monday_morning() {
    let (_, verdicts) = verdicts_at("2026-11-30 09:00");
    let conflict = find(&verdicts, 801, "release-conflict")
        .action
        .as_ref()
        .unwrap();
    // One marker per problem the bug counts in.
    let markers: Vec<String> = conflict.keys().map(|k| k.marker()).collect();
    assert_eq!(
        markers,
        vec![
            "[pushbot release-conflict 2026-W49.large]",
            "[pushbot release-conflict 2026-W49.total]"
        ]
    );
    let text = conflict.comment.as_deref().unwrap();
    assert!(
        text.contains("- bug 802: SUMO (large), Thu 2026-12-03 16:00 PST"),
        "{text}"
    );
    assert!(text.contains("Tue 2026-12-08 16:00 PST"), "{text}");
    // The Personas push is small: told the week's total, not its large
    // releases.
    let small = find(&verdicts, 803, "release-conflict")
        .action
        .as_ref()
        .unwrap();
    assert_eq!(
        small.keys().map(|k| k.marker()).collect::<Vec<_>>(),
        vec!["[pushbot release-conflict 2026-W49.total]"]
    );
    let text = small.comment.as_deref().unwrap();
    assert!(
        text.contains("- 4 releases in 2026-W49 (limit 3)"),
        "{text}"
    );
    assert!(!text.contains("large releases"), "{text}");

    let nag = find(&verdicts, 803, "no-owner").action.as_ref().unwrap();
    assert_eq!(nag.key.marker(), "[pushbot no-owner nag-2]");
    assert!(nag
        .comment
        .as_deref()
        .unwrap()
        .contains("(Reminder 2; after 1 more"));

    let window = find(&verdicts, 804, "push-window").action.as_ref().unwrap();
    assert_eq!(
        window.key.marker(),
        "[pushbot push-window 2026-11-30T14:00]"
    );

    let signoff = find(&verdicts, 804, "signoff").action.as_ref().unwrap();
    let flags: Vec<String> = signoff
        .update
        .flags
        .iter()
        .map(|f| {
            format!(
                "{}{}({})",
                f.name.as_deref().unwrap_or(""),
                f.status,
                f.requestee.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        flags,
        vec![
            "webdev-signoff?(input-lead@example.test)",
            "qa-signoff?(webqa@example.test)"
        ]
    );
    assert!(signoff
        .comment
        .as_deref()
        .unwrap()
        .contains("- [ ] User data backed up [backup-done]"));
}

#[test]
fn later_in_the_week() {
    // Tuesday 17:00: the Input push (Monday 14:00) overran its outage
    // window, AMO's sign-off time came without sign-off, SUMO's request is
    // not due yet. Past pushes are no longer flagged as conflicts.
    let (_, verdicts) = verdicts_at("2026-12-01 17:00");
    let overrun = find(&verdicts, 804, "overrun");
    assert!(overrun.fires);
    let action = overrun.action.as_ref().unwrap();
    assert_eq!(action.key.marker(), "[pushbot overrun 2026-11-30]");
    assert_eq!(
        action.update.flags[0].requestee.as_deref(),
        Some("input-dev@example.test")
    );
    assert_eq!(
        find(&verdicts, 804, "release-conflict").reason,
        "the push time has passed"
    );
    let amo = find(&verdicts, 801, "signoff");
    assert!(amo.fires);
    assert_eq!(
        amo.action.as_ref().unwrap().key.marker(),
        "[pushbot signoff missed-2026-12-01]"
    );
    assert_eq!(
        find(&verdicts, 802, "signoff").reason,
        "sign-off will be requested from Wed 2026-12-02 16:00 PST"
    );
}

#[test]
fn the_explain_command_prints_the_same() {
    let out = Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .current_dir(root())
        .args([
            "--config",
            "tests/fixtures/meeting-week/pushbot.toml",
            "explain",
            "--file",
            "tests/fixtures/meeting-week",
            "--now",
            "2026-11-30 09:00",
            "--rules",
            "rules",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("now: Mon 2026-11-30 09:00 PST (2026-11-30T17:00:00+00:00)"));
    assert!(text.contains("bug 803: Push Personas to production 2026-12-02 17:00"));
    assert!(text.contains("  owner:     none (assignee `nobody@mozilla.org` is a default account)"));
    assert!(text.contains(
        "  FIRES push-window: outside the push window: Monday is not a push day; 14:00 is before 16:00"
    ));
    assert!(text.contains("        flag:   qa-signoff?(webqa@example.test)"));
    assert_eq!(text.matches("FIRES").count(), 7);
}

#[test]
fn explain_file_needs_no_settings() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .current_dir(dir.path())
        .args([
            "--config",
            "absent.toml",
            "explain",
            "--now",
            "2026-11-30T17:00:00Z",
        ])
        .arg("--rules")
        .arg(root().join("rules"))
        .arg("--file")
        .arg(fixtures().join("804-input.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // Default settings: Input is a small app without a configured lead.
    assert!(text.contains("lead(s):   none configured"), "{text}");
    assert!(text.contains("FIRES push-window"), "{text}");
}

#[test]
fn every_fixture_parses() {
    let mut parsed = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                parse_bug_json(&text).is_ok(),
                "{}",
                Path::new(&path).display()
            );
            parsed += 1;
        }
    }
    assert!(parsed > 0, "no bug JSON in {}", fixtures().display());
}
