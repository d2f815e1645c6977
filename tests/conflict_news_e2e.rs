//! Conflict news per bug, end to end: the sandbox, the shipped rules and
//! the real poller, in weeks generated for the test.
//!
//! A week of AMO pushes (all large) is in conflict; then one more push
//! joins it. Whatever the number of pushes in the week (3, 5 or 20 once
//! it has joined), that cycle posts exactly one comment: on the push that
//! joined, which was never told. The next cycle, and a cycle after the
//! state file is deleted, post nothing. Then one push moves to another
//! week and, later, one is cancelled: every bug that was told a problem
//! and no longer counts in it gets one "resolved" note (one comment,
//! with a marker per problem it resolves), and nobody else anything; a
//! second cycle adds nothing.
//!
//! After every cycle, an oracle written here (counting the week's and
//! each day's pushes against the shipped limits, without the bot's code)
//! says which problems each open push counts in, and the bot's markers in
//! Bugzilla must say exactly those are told and not resolved.
//!
//! A second test mixes sizes and a restricted push: the small push is
//! told the week's total, never the large limit; the restricted push is
//! counted everywhere and named nowhere public; the comments, the week
//! view and the summary put the same problems on the same bugs.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use pushbot::demo::{self, Demo, BOT_LOGIN, SHIPPED_RULES};
use pushbot::poll::CycleReport;
use pushbot::report::{markdown, IsoWeekId};
use pushbot::rules::RuleSet;
use pushbot::sandbox::SandboxHandle;
use serde_json::json;

const LA: chrono_tz::Tz = chrono_tz::America::Los_Angeles;
const RULE: &str = "release-conflict";
const PUBLIC_URL: &str = "https://pushbot.example.test";

fn local(text: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(text, LA).unwrap()
}

/// The demo's instance (people, groups, product, flag types), without its
/// bugs.
fn instance() -> &'static str {
    demo::DATA
        .split("\n[[bugs]]")
        .next()
        .expect("the demo data has an instance part")
}

/// One push bug of the sandbox data: `app` is the whiteboard tag's name
/// (`amo`, `personas`), `when` the local push time.
fn bug(id: u64, app: &str, when: &str, groups: &[&str]) -> String {
    let groups: Vec<String> = groups.iter().map(|g| format!("{g:?}")).collect();
    format!(
        r#"
[[bugs]]
id = {id}
product = "Websites"
component = "Push"
summary = "Push {app} release {id} to production"
creator = "{app}-lead@example.test"
assigned_to = "{app}-dev@example.test"
description = "Release {id}."
whiteboard = "[push:{app}] [push {when}]"
groups = [{}]
creation_time = "2026-11-23T18:00:00Z"
"#,
        groups.join(", ")
    )
}

/// The bot's comments on `bug`, oldest first.
fn bot_comments(sandbox: &SandboxHandle, bug: u64) -> Vec<String> {
    sandbox
        .comments(bug)
        .into_iter()
        .filter(|c| c.creator == BOT_LOGIN)
        .map(|c| c.text)
        .collect()
}

/// The release-conflict markers of one comment.
fn conflict_markers(text: &str) -> BTreeSet<String> {
    pushbot::plan::markers_in(text)
        .into_iter()
        .filter(|marker| marker.name() == RULE)
        .map(|marker| marker.discriminator())
        .collect()
}

async fn cycle(demo: &mut Demo, at: &str) -> CycleReport {
    let report = demo.cycle_at(local(at)).await;
    assert!(!report.outage, "{at}: {:?}", report.errors);
    assert!(report.errors.is_empty(), "{at}: {:?}", report.errors);
    report
}

/// The bot's comments per bug, to tell what a cycle added.
fn snapshot(sandbox: &SandboxHandle, bugs: &[u64]) -> BTreeMap<u64, Vec<String>> {
    bugs.iter()
        .map(|b| (*b, bot_comments(sandbox, *b)))
        .collect()
}

/// The comments added since `before`, per bug (bugs with none left out).
fn added(
    before: &BTreeMap<u64, Vec<String>>,
    after: &BTreeMap<u64, Vec<String>>,
) -> BTreeMap<u64, Vec<String>> {
    after
        .iter()
        .filter_map(|(bug, now)| {
            let old = before.get(bug).map(Vec::len).unwrap_or(0);
            (now.len() > old).then(|| (*bug, now[old..].to_vec()))
        })
        .collect()
}

/// One push as the oracle sees it.
#[derive(Debug, Clone, Copy)]
struct Planned {
    date: NaiveDate,
    large: bool,
    open: bool,
}

/// The problems each counted push is in, by the shipped limits (1 large,
/// 2 small, 3 in all per week; 2 a day; no large and small on one day),
/// as marker keys.
fn oracle(plan: &BTreeMap<u64, Planned>) -> BTreeMap<u64, BTreeSet<String>> {
    let week = |d: NaiveDate| {
        let w = d.iso_week();
        format!("{}-W{:02}", w.year(), w.week())
    };
    let counted: Vec<(u64, Planned)> = plan.iter().map(|(b, p)| (*b, *p)).collect();
    let mut out: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for (bug, p) in &counted {
        let same_week: Vec<&Planned> = counted
            .iter()
            .map(|(_, o)| o)
            .filter(|o| week(o.date) == week(p.date))
            .collect();
        let same_day: Vec<&Planned> = same_week
            .iter()
            .copied()
            .filter(|o| o.date == p.date)
            .collect();
        let large = same_week.iter().filter(|o| o.large).count();
        let small = same_week.len() - large;
        let day_large = same_day.iter().filter(|o| o.large).count();
        let mut keys = BTreeSet::new();
        if p.large && large > 1 {
            keys.insert(format!("{}.large", week(p.date)));
        }
        if !p.large && small > 2 {
            keys.insert(format!("{}.small", week(p.date)));
        }
        if same_week.len() > 3 {
            keys.insert(format!("{}.total", week(p.date)));
        }
        if same_day.len() > 2 {
            keys.insert(format!("{}.day", p.date));
        }
        if day_large > 0 && day_large < same_day.len() {
            keys.insert(format!("{}.mixed", p.date));
        }
        out.insert(*bug, keys);
    }
    out
}

/// What the bot's markers on `bug` say it was told and has not resolved.
fn told(sandbox: &SandboxHandle, bug: u64) -> BTreeSet<String> {
    let mut told = BTreeSet::new();
    let mut resolved = BTreeSet::new();
    for text in bot_comments(sandbox, bug) {
        for m in conflict_markers(&text) {
            match m.strip_suffix(".resolved") {
                Some(key) => resolved.insert(key.to_string()),
                None => told.insert(m),
            };
        }
    }
    &told - &resolved
}

/// Every open push has been told exactly the problems it counts in.
fn assert_told_matches_oracle(sandbox: &SandboxHandle, plan: &BTreeMap<u64, Planned>, when: &str) {
    let counted: BTreeMap<u64, Planned> = plan
        .iter()
        .filter(|(_, p)| p.open)
        .map(|(b, p)| (*b, *p))
        .collect();
    let expected = oracle(&counted);
    for bug in counted.keys() {
        assert_eq!(
            told(sandbox, *bug),
            expected.get(bug).cloned().unwrap_or_default(),
            "{when}: bug {bug}"
        );
    }
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// A week of `n` AMO pushes in 2026-W50 once one has joined: `n - 1` on
/// Tuesday and Thursday, the last one joining on Wednesday (a day with no
/// other push, so that it joins only the week's problems: exactly the
/// case where the other pushes have nothing new to hear).
async fn a_push_joins_then_others_leave(n: u64) {
    assert!(n >= 3);
    let originals: Vec<u64> = (0..n - 1).map(|i| 2000 + i).collect();
    let mut plan: BTreeMap<u64, Planned> = BTreeMap::new();
    let mut text = instance().to_string();
    for (i, id) in originals.iter().enumerate() {
        let day = if i % 2 == 0 {
            "2026-12-08"
        } else {
            "2026-12-10"
        };
        text.push_str(&bug(*id, "amo", &format!("{day} 16:{i:02}"), &[]));
        plan.insert(
            *id,
            Planned {
                date: date(day),
                large: true,
                open: true,
            },
        );
    }
    let dir = tempfile::tempdir().unwrap();
    // The biggest week links its page for the pushes it cannot name.
    let extra = if n > 6 {
        format!("\n[web]\npublic_url = \"{PUBLIC_URL}\"\n")
    } else {
        String::new()
    };
    let mut demo = Demo::start_with(dir.path(), &text, &extra).await.unwrap();

    // Monday: the week is in conflict; every push hears of it once.
    let first = cycle(&mut demo, "2026-11-30 09:00").await;
    assert_eq!(first.taken, originals.len(), "n = {n}");
    for id in &originals {
        let comments = bot_comments(&demo.sandbox, *id);
        assert_eq!(comments.len(), 1, "n = {n}, bug {id}: {comments:?}");
    }
    assert_told_matches_oracle(&demo.sandbox, &plan, "first cycle");

    // One more push joins on Wednesday.
    demo.sandbox.clock().set(local("2026-11-30 09:05"));
    let joined = demo
        .sandbox
        .create_bug(
            "amo-lead@example.test",
            &json!({
                "product": "Websites",
                "component": "Push",
                "summary": "Push AMO hotfix to production",
                "version": "unspecified",
                "description": "A hotfix that cannot wait.",
                "whiteboard": "[push:amo] [push 2026-12-09 16:30]",
                "assigned_to": "amo-dev@example.test"
            }),
        )
        .unwrap();
    plan.insert(
        joined,
        Planned {
            date: date("2026-12-09"),
            large: true,
            open: true,
        },
    );
    let mut bugs: Vec<u64> = originals.clone();
    bugs.push(joined);
    let before = snapshot(&demo.sandbox, &bugs);
    let join = cycle(&mut demo, "2026-11-30 09:10").await;
    let new = added(&before, &snapshot(&demo.sandbox, &bugs));
    assert_eq!(
        new.keys().copied().collect::<Vec<_>>(),
        vec![joined],
        "n = {n}: {new:#?}"
    );
    assert_eq!(new[&joined].len(), 1, "n = {n}: exactly one comment");
    assert_eq!(join.writes, 1, "n = {n}");
    let comment = &new[&joined][0];
    assert_eq!(
        conflict_markers(comment),
        oracle(&plan)[&joined],
        "n = {n}: one marker per problem\n{comment}"
    );
    assert!(
        comment.contains(&format!("- {n} large releases in 2026-W50 (limit 1)")),
        "{comment}"
    );
    // At most five others named, the rest counted.
    let named = comment.matches("\n- bug ").count();
    let others = (n - 1) as usize;
    assert_eq!(named, others.min(5), "{comment}");
    if others > 5 {
        assert!(
            comment.contains(&format!(
                "- and {} more: {PUBLIC_URL}/week/2026-W50",
                others - 5
            )),
            "{comment}"
        );
    } else {
        assert!(!comment.contains(" more"), "{comment}");
    }
    assert_told_matches_oracle(&demo.sandbox, &plan, "after the join");

    // Again: nothing. Without the state file: nothing.
    let again = cycle(&mut demo, "2026-11-30 09:15").await;
    assert_eq!(again.writes, 0, "n = {n}");
    let mut removed = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("pushbot.sqlite") {
            std::fs::remove_file(path).unwrap();
            removed += 1;
        }
    }
    assert!(removed > 0, "no state file in {}", dir.path().display());
    demo.restart().await.unwrap();
    let cold = cycle(&mut demo, "2026-11-30 09:20").await;
    assert!(cold.full_load);
    assert_eq!(cold.writes, 0, "n = {n}: {}", cold.dry_run_text);
    assert_eq!(
        added(&before, &snapshot(&demo.sandbox, &bugs)).len(),
        1,
        "still only the joined push's comment"
    );

    // The first push moves to 2026-W52 (alone there).
    let leaver = originals[0];
    let told_before: BTreeMap<u64, BTreeSet<String>> =
        bugs.iter().map(|b| (*b, told(&demo.sandbox, *b))).collect();
    demo.sandbox.clock().set(local("2026-11-30 09:25"));
    demo.sandbox
        .update_bug(
            leaver,
            "amo-dev@example.test",
            &json!({"whiteboard": "[push:amo] [push 2026-12-22 16:00]"}),
        )
        .unwrap();
    plan.insert(
        leaver,
        Planned {
            date: date("2026-12-22"),
            large: true,
            open: true,
        },
    );
    resolved_once(&mut demo, &bugs, &plan, &told_before, "2026-11-30 09:30", n).await;

    // A push of Thursday is called off.
    let cancelled = originals[1];
    let told_before: BTreeMap<u64, BTreeSet<String>> =
        bugs.iter().map(|b| (*b, told(&demo.sandbox, *b))).collect();
    demo.sandbox.clock().set(local("2026-11-30 09:40"));
    demo.sandbox
        .update_bug(
            cancelled,
            "amo-lead@example.test",
            &json!({"status": "RESOLVED", "resolution": "WONTFIX"}),
        )
        .unwrap();
    plan.get_mut(&cancelled).unwrap().open = false;
    resolved_once(&mut demo, &bugs, &plan, &told_before, "2026-11-30 09:45", n).await;
    demo.sandbox.shutdown().await;
}

/// Runs a cycle at `at` and checks that every open bug told a problem it
/// no longer counts in got one comment, a resolved note carrying exactly
/// those problems' resolved markers, and no other bug anything; then that
/// another cycle adds nothing.
async fn resolved_once(
    demo: &mut Demo,
    bugs: &[u64],
    plan: &BTreeMap<u64, Planned>,
    told_before: &BTreeMap<u64, BTreeSet<String>>,
    at: &str,
    n: u64,
) {
    let counted: BTreeMap<u64, Planned> = plan
        .iter()
        .filter(|(_, p)| p.open)
        .map(|(b, p)| (*b, *p))
        .collect();
    let now = oracle(&counted);
    let expected: BTreeMap<u64, BTreeSet<String>> = bugs
        .iter()
        .filter(|b| plan[b].open)
        .filter_map(|b| {
            let gone: BTreeSet<String> = told_before[b]
                .difference(&now.get(b).cloned().unwrap_or_default())
                .map(|k| format!("{k}.resolved"))
                .collect();
            (!gone.is_empty()).then_some((*b, gone))
        })
        .collect();
    let before = snapshot(&demo.sandbox, bugs);
    let report = cycle(demo, at).await;
    let new = added(&before, &snapshot(&demo.sandbox, bugs));
    let got: BTreeMap<u64, BTreeSet<String>> = new
        .iter()
        .map(|(bug, comments)| {
            assert_eq!(comments.len(), 1, "n = {n}, {at}, bug {bug}: {comments:#?}");
            assert!(
                comments[0].starts_with("Release conflict resolved for this push"),
                "{}",
                comments[0]
            );
            (*bug, conflict_markers(&comments[0]))
        })
        .collect();
    assert_eq!(got, expected, "n = {n}, {at}");
    assert_eq!(report.writes, expected.len(), "n = {n}, {at}");
    assert_told_matches_oracle(&demo.sandbox, plan, at);
    let later = local(at) + chrono::Duration::minutes(3);
    let again = demo.cycle_at(later).await;
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(again.writes, 0, "n = {n}, after {at}: resolved once");
}

#[tokio::test]
async fn a_push_joining_a_week_of_three_is_the_only_one_told() {
    a_push_joins_then_others_leave(3).await;
}

#[tokio::test]
async fn a_push_joining_a_week_of_five_is_the_only_one_told() {
    a_push_joins_then_others_leave(5).await;
}

#[tokio::test]
async fn a_push_joining_a_week_of_twenty_is_the_only_one_told() {
    a_push_joins_then_others_leave(20).await;
}

/// A restricted push, id nowhere else in the test.
const RESTRICTED: u64 = 8069;

#[tokio::test]
async fn a_small_push_hears_only_of_its_limits_and_a_restricted_one_counts_unnamed() {
    // The bot is in the security group (it sees the restricted push).
    let instance = instance().replacen(
        "api_key = \"demo-pushbot-key-000000000000000000000000\"\ngroups = [\"editbugs\"]",
        "api_key = \"demo-pushbot-key-000000000000000000000000\"\ngroups = [\"editbugs\", \"websites-security\"]",
        1,
    );
    assert_ne!(instance, self::instance(), "the demo data changed");
    let mut text = format!(
        "{instance}\n[[groups]]\nid = 15\nname = \"websites-security\"\ndescription = \"Security-sensitive Websites bugs\"\n"
    );
    // 2026-W50: AMO (large) Tuesday, SUMO (large) Thursday, Personas
    // (small) Wednesday, and a restricted AMO (large) Thursday evening.
    // Three large releases (limit 1), four in all (limit 3); two on
    // Thursday (limit 2); no day with a large and a small one.
    text.push_str(&bug(2101, "amo", "2026-12-08 16:00", &[]));
    text.push_str(&bug(2102, "sumo", "2026-12-10 16:00", &[]));
    text.push_str(&bug(2103, "personas", "2026-12-09 17:00", &[]));
    text.push_str(&bug(
        RESTRICTED,
        "amo",
        "2026-12-10 18:00",
        &["websites-security"],
    ));
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start_with(dir.path(), &text, "").await.unwrap();
    cycle(&mut demo, "2026-11-30 09:00").await;

    let comment = |bug: u64| {
        let comments: Vec<String> = bot_comments(&demo.sandbox, bug)
            .into_iter()
            .filter(|t| !conflict_markers(t).is_empty())
            .collect();
        assert_eq!(comments.len(), 1, "bug {bug}: {comments:#?}");
        comments[0].clone()
    };
    let small = comment(2103);
    assert_eq!(
        conflict_markers(&small),
        BTreeSet::from(["2026-W50.total".to_string()])
    );
    assert!(
        small.contains("- 4 releases in 2026-W50 (limit 3)"),
        "{small}"
    );
    assert!(!small.contains("large releases"), "{small}");
    assert!(small.contains("- bug 2101: AMO (large)"), "{small}");
    assert!(small.contains("- bug 2102: SUMO (large)"), "{small}");
    assert!(small.contains("- and 1 restricted push"), "{small}");
    let large = comment(2101);
    assert_eq!(
        conflict_markers(&large),
        BTreeSet::from(["2026-W50.large".to_string(), "2026-W50.total".to_string()])
    );
    assert!(
        large.contains("- 3 large releases in 2026-W50 (limit 1)"),
        "{large}"
    );
    assert!(large.contains("- and 1 restricted push"), "{large}");
    for bug in [2101, 2102, 2103] {
        for text in bot_comments(&demo.sandbox, bug) {
            assert!(!text.contains(&RESTRICTED.to_string()), "bug {bug}: {text}");
        }
    }
    // On the restricted bug itself, its readers may see the public pushes.
    let own = comment(RESTRICTED);
    assert!(own.contains("- bug 2103: Personas (small)"), "{own}");

    // The week view and the summary put the same problems on the same
    // bugs as the comments told them.
    let now = local("2026-11-30 09:05");
    let decider = pushbot::bot::decider(
        &demo.settings,
        RuleSet::from_sources(SHIPPED_RULES).unwrap(),
    )
    .unwrap();
    let w50: IsoWeekId = "2026-W50".parse().unwrap();
    let report = decider.week_report(demo.poller.snapshot(), w50, now);
    for bug in [2101, 2102, 2103] {
        let entry = report.pushes.iter().find(|e| e.bug.0 == bug).unwrap();
        let shown: BTreeSet<String> = entry
            .conflicts
            .iter()
            .map(|c| c.split(": ").next().unwrap().to_string())
            .collect();
        let told: BTreeSet<String> = comment(bug)
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("- "))
            .map(|l| l[2..].to_string())
            .collect();
        assert_eq!(shown, told, "bug {bug}");
        for c in &entry.conflicts {
            assert!(c.ends_with("and 1 restricted push"), "{c}");
        }
    }
    assert!(report.pushes.iter().all(|e| e.bug.0 != RESTRICTED));
    let summary = markdown::render(&report);
    assert!(
        summary.contains(
            "- 3 large releases in 2026-W50 (limit 1): bug 2101, bug 2102 and 1 restricted push\n"
        ),
        "{summary}"
    );
    assert!(
        summary.contains(
            "- 4 releases in 2026-W50 (limit 3): bug 2101, bug 2102, bug 2103 and 1 restricted push\n"
        ),
        "{summary}"
    );
    assert!(!summary.contains(&RESTRICTED.to_string()), "{summary}");
    demo.sandbox.shutdown().await;
}
