//! Shipped pushes count, end to end: the sandbox, the shipped rules, the
//! push model and the poller. An AMO push goes out on Tuesday (its bug
//! resolved FIXED) and an Input push is cancelled (WONTFIX); then a SUMO
//! push is planned for Thursday. The shipped AMO push still uses the week's
//! one large slot: the SUMO push's conflict comment counts and names it
//! (the small Personas push counts in no broken limit and hears nothing),
//! it gets no comment itself, the summary and the week view show it as
//! shipped, and the cancelled push counts for nothing. A bot started cold
//! afterwards finds the shipped push by its own search and says nothing
//! new.

mod support;

use chrono::{DateTime, Utc};
use pushbot::bot::Decider;
use pushbot::bugzilla::{BugId, Client};
use pushbot::demo::{self, Demo, BOT_LOGIN, SHIPPED_RULES};
use pushbot::poll::{Poller, PollerOptions};
use pushbot::report::{html, json, markdown, IsoWeekId};
use pushbot::rules::RuleSet;
use pushbot::sandbox::SandboxHandle;
use pushbot::store::Store;
use serde_json::json;

const LA: chrono_tz::Tz = chrono_tz::America::Los_Angeles;

/// Team-local time in Los Angeles.
fn local(text: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(text, LA).unwrap()
}

fn w49() -> IsoWeekId {
    "2026-W49".parse().unwrap()
}

/// The demo's instance (people, groups, product, flag types) with three
/// push bugs of 2026-W49, all open and owned: AMO (large) on Tuesday,
/// Personas (small) on Wednesday, Input (small) on Thursday. Within the
/// limits: one large, two small, three in all.
fn data() -> String {
    let instance = demo::DATA
        .split("\n[[bugs]]")
        .next()
        .expect("the demo data has an instance part");
    format!(
        r#"{instance}
[[bugs]]
id = 901
product = "Websites"
component = "Push"
summary = "Push AMO 2026.12.01 to production"
creator = "amo-lead@example.test"
assigned_to = "amo-dev@example.test"
description = "AMO release 2026.12.01."
whiteboard = "[push:amo] [push 2026-12-01 16:00]"
creation_time = "2026-11-23T18:00:00Z"

[[bugs]]
id = 903
product = "Websites"
component = "Push"
summary = "Push Personas 2026.12.02 to production"
creator = "personas-lead@example.test"
assigned_to = "personas-dev@example.test"
description = "Personas gallery update."
whiteboard = "[push:personas] [push 2026-12-02 17:00]"
creation_time = "2026-11-24T18:00:00Z"

[[bugs]]
id = 904
product = "Websites"
component = "Push"
summary = "Push Input 2026.12.03 to production"
creator = "input-lead@example.test"
assigned_to = "input-dev@example.test"
description = "Input dashboard fixes."
whiteboard = "[push:input] [push 2026-12-03 16:00]"
creation_time = "2026-11-24T19:00:00Z"
"#
    )
}

/// The bot's comments on `bug`, oldest first, with their time.
fn bot_comments(sandbox: &SandboxHandle, bug: u64) -> Vec<(DateTime<Utc>, String)> {
    sandbox
        .comments(bug)
        .into_iter()
        .filter(|c| c.creator == BOT_LOGIN)
        .map(|c| (c.time, c.text))
        .collect()
}

/// The release-conflict comments on `bug`.
fn conflict_comments(sandbox: &SandboxHandle, bug: u64) -> Vec<String> {
    bot_comments(sandbox, bug)
        .into_iter()
        .map(|(_, text)| text)
        .filter(|t| t.contains("[pushbot release-conflict "))
        .collect()
}

async fn cycle(demo: &mut Demo, at: &str) -> pushbot::poll::CycleReport {
    let report = demo.cycle_at(local(at)).await;
    assert!(!report.outage, "{at}: {:?}", report.errors);
    assert!(report.errors.is_empty(), "{at}: {:?}", report.errors);
    report
}

fn decider(demo: &Demo) -> Decider {
    pushbot::bot::decider(
        &demo.settings,
        RuleSet::from_sources(SHIPPED_RULES).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_shipped_push_counts_toward_its_week_and_a_cancelled_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start_with(dir.path(), &data(), "").await.unwrap();

    // Monday: three pushes, within the limits.
    cycle(&mut demo, "2026-11-30 09:00").await;
    // Tuesday morning: the daily full resync.
    let resync = cycle(&mut demo, "2026-12-01 09:00").await;
    assert!(resync.full_load);
    for bug in [901, 903, 904] {
        assert!(
            conflict_comments(&demo.sandbox, bug).is_empty(),
            "bug {bug}"
        );
    }

    // Tuesday 16:00 the AMO push goes out; the Input push is called off.
    let shipped_at = local("2026-12-01 16:45");
    demo.sandbox.clock().set(shipped_at);
    demo.sandbox
        .update_bug(
            901,
            "amo-dev@example.test",
            &json!({"status": "RESOLVED", "resolution": "FIXED"}),
        )
        .unwrap();
    demo.sandbox.clock().set(local("2026-12-01 16:50"));
    demo.sandbox
        .update_bug(
            904,
            "input-lead@example.test",
            &json!({"status": "RESOLVED", "resolution": "WONTFIX"}),
        )
        .unwrap();
    let closed = cycle(&mut demo, "2026-12-01 17:00").await;
    assert!(!closed.full_load, "seen by the incremental search");
    let tracked: Vec<u64> = demo.poller.snapshot().bugs.keys().map(|b| b.0).collect();
    assert_eq!(tracked, vec![901, 903], "shipped kept, cancelled dropped");

    // Tuesday 17:30 the SUMO lead plans a SUMO push for Thursday.
    demo.sandbox.clock().set(local("2026-12-01 17:30"));
    let sumo = demo
        .sandbox
        .create_bug(
            "sumo-lead@example.test",
            &json!({
                "product": "Websites",
                "component": "Push",
                "summary": "Push SUMO 2026.12.03 to production",
                "version": "unspecified",
                "description": "SUMO release 2026.12.03.",
                "whiteboard": "[push:sumo] [push 2026-12-03 16:00]",
                "assigned_to": "sumo-dev@example.test"
            }),
        )
        .unwrap();
    let planned = cycle(&mut demo, "2026-12-01 17:35").await;
    assert!(!planned.full_load);
    assert_eq!(planned.taken_by_rule.get("release-conflict"), Some(&1));

    // The open large push hears of the conflict, counting and naming the
    // shipped push; the cancelled one is not counted anywhere. The small
    // Personas push counts in no broken limit (three releases in the
    // week, limit 3): it is told nothing about the large releases.
    let comments = conflict_comments(&demo.sandbox, sumo);
    assert_eq!(comments.len(), 1, "bug {sumo}: {comments:?}");
    let text = &comments[0];
    assert!(
        text.contains("- 2 large releases in 2026-W49 (limit 1)"),
        "{text}"
    );
    assert!(
        text.contains("- bug 901: AMO (large), Tue 2026-12-01 16:00 PST (shipped)"),
        "{text}"
    );
    assert!(!text.contains("904"), "{text}");
    assert!(!text.contains("903"), "{text}");
    assert!(!text.contains("(limit 3)"), "{text}");
    assert!(!text.contains("same day"), "{text}");
    assert!(text.contains("[pushbot release-conflict 2026-W49.large]"));
    assert!(conflict_comments(&demo.sandbox, 903).is_empty());
    // The shipped push gets nothing: no conflict comment, no comment at all
    // since it shipped.
    assert!(conflict_comments(&demo.sandbox, 901).is_empty());
    let after_shipping: Vec<String> = bot_comments(&demo.sandbox, 901)
        .into_iter()
        .filter(|(at, _)| *at >= shipped_at)
        .map(|(_, text)| text)
        .collect();
    assert_eq!(after_shipping, Vec::<String>::new());
    assert!(conflict_comments(&demo.sandbox, 904).is_empty());

    // Nothing more on the next cycle.
    let quiet = cycle(&mut demo, "2026-12-01 17:40").await;
    assert_eq!(quiet.writes, 0);

    // The week's summary and view show the push as shipped, in the
    // conflict; the cancelled push is not there.
    let now = local("2026-12-01 17:40");
    let decider = decider(&demo);
    let report = decider.week_report(demo.poller.snapshot(), w49(), now);
    let shown: Vec<(u64, bool)> = {
        let mut v: Vec<(u64, bool)> = report.pushes.iter().map(|e| (e.bug.0, e.shipped)).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(shown, vec![(901, true), (903, false), (sumo, false)]);
    let text = markdown::render(&report);
    assert!(
        text.contains("3 pushes scheduled (1 shipped), 0 unscheduled; 1 conflict, 0 warnings."),
        "{text}"
    );
    assert!(
        text.contains(
            "- 16:00 PST bug 901 (AMO, large, shipped): Push AMO 2026.12.01 to production"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "- 2 large releases in 2026-W49 (limit 1): bug 901, bug {sumo}\n"
        )),
        "{text}"
    );
    assert!(!text.contains("bug 904"), "{text}");
    let weeks = decider.week_reports(demo.poller.snapshot(), now);
    assert_eq!(weeks[&w49()], report, "the web view's week is the same");
    let page = html::render(&weeks[&w49()], Some(now)).unwrap();
    let card_at = page.find("data-bug=\"901\"").unwrap();
    let card = &page[card_at..card_at + page[card_at..].find("</article>").unwrap()];
    assert!(card.contains("data-shipped=\"true\""), "{card}");
    assert!(
        card.contains("⚠ Conflict: 2 large releases in 2026-W49"),
        "{card}"
    );
    assert!(!page.contains("data-bug=\"904\""));
    let doc: serde_json::Value = serde_json::from_str(&json::render(&report).unwrap()).unwrap();
    assert_eq!(doc["shipped"], 1);
    assert_eq!(doc["days"][1]["pushes"][0]["bug"], 901);
    assert_eq!(doc["days"][1]["pushes"][0]["shipped"], true);

    // A bot started cold (no state file) finds the shipped push by its own
    // search, not the cancelled one, and has nothing new to say.
    let state = dir.path().join("cold.sqlite");
    let mut cold = Poller::new(
        Client::new(&demo.settings).unwrap(),
        Store::open(&state).unwrap(),
        decider.clone().into_planner(),
        PollerOptions::from_settings(&demo.settings),
    );
    let at = local("2026-12-01 17:45");
    demo.sandbox.clock().set(at);
    let first = cold.run_once(at).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert!(first.full_load);
    let tracked: Vec<u64> = cold.snapshot().bugs.keys().map(|b| b.0).collect();
    assert_eq!(tracked, vec![901, 903, sumo]);
    assert_eq!(first.writes, 0);
    assert_eq!(first.taken, 0);
    assert_eq!(
        decider.week_report(cold.snapshot(), w49(), at),
        decider.week_report(demo.poller.snapshot(), w49(), at)
    );

    // Two weeks on, the shipped push's week is long past: no longer
    // tracked (found by neither search).
    let later = local("2026-12-14 09:00");
    demo.sandbox.clock().set(later);
    let report = cold.run_once(later).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.full_load, "the daily resync");
    assert!(!cold.snapshot().bugs.contains_key(&BugId(901)));
    demo.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_command_on_a_just_shipped_bug_is_still_answered() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start_with(dir.path(), &data(), "").await.unwrap();
    cycle(&mut demo, "2026-11-30 09:00").await;
    demo.sandbox.clock().set(local("2026-12-01 16:45"));
    demo.sandbox
        .update_bug(
            901,
            "amo-dev@example.test",
            &json!({"status": "RESOLVED", "resolution": "FIXED"}),
        )
        .unwrap();
    demo.sandbox.clock().set(local("2026-12-01 16:50"));
    let asked = demo
        .sandbox
        .add_comment(901, "amo-dev@example.test", "Pushed.\n@pushbot check")
        .unwrap();
    cycle(&mut demo, "2026-12-01 17:00").await;

    let replies: Vec<String> = bot_comments(&demo.sandbox, 901)
        .into_iter()
        .map(|(_, text)| text)
        .filter(|t| t.contains("[pushbot command c"))
        .collect();
    assert_eq!(replies.len(), 1, "{replies:?}");
    let reply = &replies[0];
    assert!(
        reply.contains(&format!("[pushbot command c{asked}]")),
        "{reply}"
    );
    assert!(
        reply.contains("`release-conflict` (nothing to do): done; still counted for 2026-W49"),
        "{reply}"
    );
    assert!(!reply.contains("acting now"), "{reply}");
    // And only that reply: the rules say nothing on a shipped push.
    let since_shipped = bot_comments(&demo.sandbox, 901)
        .into_iter()
        .filter(|(at, _)| *at >= local("2026-12-01 16:45"))
        .count();
    assert_eq!(since_shipped, 1);
    demo.sandbox.shutdown().await;
}
