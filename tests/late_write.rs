//! Writes that land late, through the real poller against the sandbox
//! seeded with the demo's week: a comment POST and a flag PUT that the
//! sandbox applies only after the bot's settle re-read end up in Bugzilla
//! exactly once after the following cycles, and a comment that never
//! landed is posted exactly once, a cycle later (invariant 3).
//!
//! The late writes are held by the sandbox until the test lands them
//! (`Landing::WhenLanded`), so they land after the re-read by construction,
//! not after a delay chosen to be long enough.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pushbot::bugzilla::{Client, ClientTuning};
use pushbot::demo::{self, Demo};
use pushbot::poll::{Poller, PollerOptions};
use pushbot::rules::RuleSet;
use pushbot::sandbox::{FaultKind, FaultPlan, FaultRule, Landing, LateAnswer, SandboxHandle};
use pushbot::store::Store;

mod support;
use support::ledger::ledger;

const ZONE: chrono_tz::Tz = chrono_tz::America::Los_Angeles;
const COMMENT: &str = "POST /rest/bug/{id}/comment";
const UPDATE: &str = "PUT /rest/bug/{id}";

fn at(local: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(local, ZONE).unwrap()
}

/// A bot of its own on the demo's sandbox, with no settle wait (the
/// re-read comes right away). The held write lands only when the test
/// says, so its client's timeout fires whatever its length; it is kept
/// short only so that the test does not wait long for it, and long enough
/// that no other request of a loaded machine reaches it.
fn bot_on(demo: &Demo, state: &Path) -> Poller {
    let rules = RuleSet::from_sources(demo::SHIPPED_RULES).unwrap();
    let decider = pushbot::bot::decider(&demo.settings, rules).unwrap();
    let tuning = ClientTuning {
        timeout: Duration::from_secs(2),
        ..ClientTuning::from_settings(&demo.settings)
    };
    let client = Client::with_tuning(&demo.settings, tuning).unwrap();
    let store = Store::open(state).unwrap();
    let mut options = PollerOptions::from_settings(&demo.settings);
    options.execute.settle_delay = Duration::ZERO;
    Poller::new(client, store, decider.into_planner(), options)
}

/// The writes one fault-free first cycle makes, by route, and its ledger.
async fn fault_free(dir: &Path) -> (BTreeMap<String, usize>, BTreeMap<u64, Vec<String>>) {
    let demo = Demo::start(dir).await.unwrap();
    let mut poller = bot_on(&demo, &dir.join("clean.sqlite"));
    let now = at("2026-11-30 09:00");
    demo.sandbox.clock().set(now);
    let report = poller.run_once(now).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let out = (writes(&demo.sandbox), ledger(&demo.sandbox));
    demo.sandbox.shutdown().await;
    out
}

fn writes(sandbox: &SandboxHandle) -> BTreeMap<String, usize> {
    sandbox
        .request_counts()
        .into_iter()
        .filter(|(route, _)| route.starts_with("POST") || route.starts_with("PUT"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_that_land_after_the_reread_end_up_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let clean_dir = dir.path().join("clean");
    std::fs::create_dir_all(&clean_dir).unwrap();
    let (clean_writes, clean_ledger) = fault_free(&clean_dir).await;
    assert!(clean_writes.get(COMMENT).is_some_and(|n| *n > 1));
    assert!(clean_writes.get(UPDATE).is_some_and(|n| *n >= 1));
    assert!(
        clean_ledger.values().any(|lines| lines.len() > 2),
        "some write carries several markers: {clean_ledger:?}"
    );

    let late_dir = dir.path().join("late");
    std::fs::create_dir_all(&late_dir).unwrap();
    let demo = Demo::start(&late_dir).await.unwrap();
    let mut poller = bot_on(&demo, &late_dir.join("late.sqlite"));
    let sandbox = &demo.sandbox;
    // The first comment and the first update are accepted but applied
    // only when the test says so: after the bot's re-read, by construction.
    sandbox.set_faults(FaultPlan::with_rules(vec![
        FaultRule::next(
            1,
            COMMENT,
            FaultKind::LateWrite {
                land: Landing::WhenLanded,
                answer: LateAnswer::Hold,
            },
        ),
        FaultRule::next(
            1,
            UPDATE,
            FaultKind::LateWrite {
                land: Landing::WhenLanded,
                answer: LateAnswer::GatewayTimeout,
            },
        ),
    ]));
    let first = at("2026-11-30 09:00");
    sandbox.clock().set(first);
    let report = poller.run_once(first).await;
    assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.contains("may or may not") && e.contains("next cycle")),
        "{:?}",
        report.errors
    );
    // Neither was written a second time in this cycle: every bug got its
    // one write, once (the update carries its bug's comment).
    assert_eq!(sandbox.late_writes_pending(), 2);
    assert_eq!(writes(sandbox), clean_writes);

    // Now they land, long after the client gave up.
    sandbox.land_late_writes().await;

    // The next cycle, minutes later, finds every marker of both writes
    // (each settles all its sections together) and writes nothing.
    let next = at("2026-11-30 09:05");
    sandbox.clock().set(next);
    let report = poller.run_once(next).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.writes, 0, "found, not written again");
    assert_eq!(ledger(sandbox), clean_ledger);
    assert_eq!(writes(sandbox), clean_writes, "no write was made twice");

    let report = poller.run_once(at("2026-11-30 09:10")).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.writes, 0, "converged");
    assert_eq!(ledger(sandbox), clean_ledger);
    demo.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_never_landed_is_posted_exactly_once_a_cycle_later() {
    let dir = tempfile::tempdir().unwrap();
    let clean_dir = dir.path().join("clean");
    std::fs::create_dir_all(&clean_dir).unwrap();
    let (clean_writes, clean_ledger) = fault_free(&clean_dir).await;

    let lost_dir = dir.path().join("lost");
    std::fs::create_dir_all(&lost_dir).unwrap();
    let demo = Demo::start(&lost_dir).await.unwrap();
    let mut poller = bot_on(&demo, &lost_dir.join("lost.sqlite"));
    let sandbox = &demo.sandbox;
    // The connection drops before the comment is applied.
    sandbox.set_faults(FaultPlan::with_rules(vec![FaultRule::next(
        1,
        COMMENT,
        FaultKind::DropConnection,
    )]));
    let first = at("2026-11-30 09:00");
    sandbox.clock().set(first);
    let report = poller.run_once(first).await;
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let comments_first = writes(sandbox).get(COMMENT).copied().unwrap_or(0);
    assert_eq!(
        Some(&comments_first),
        clean_writes.get(COMMENT),
        "every comment sent once, the lost one not again"
    );
    assert_ne!(ledger(sandbox), clean_ledger, "one comment missing");

    let next = at("2026-11-30 09:05");
    sandbox.clock().set(next);
    let report = poller.run_once(next).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.writes, 1, "the lost comment, once");
    assert_eq!(ledger(sandbox), clean_ledger);
    assert_eq!(
        writes(sandbox).get(COMMENT).copied(),
        clean_writes.get(COMMENT).map(|n| n + 1)
    );

    let report = poller.run_once(at("2026-11-30 09:10")).await;
    assert_eq!(report.writes, 0, "converged");
    assert_eq!(ledger(sandbox), clean_ledger);
    demo.sandbox.shutdown().await;
}
