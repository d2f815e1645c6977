//! The whole cycle end to end against the in-process sandbox seeded with the
//! demo's week (`src/demo/meeting-week.toml`): exactly the expected comments
//! and flags on the first cycle, nothing on quiet cycles (and one request),
//! people's changes picked up, a lost state file, closed bugs (cancelled
//! ones dropped, shipped ones kept), dry-run,
//! the metrics, and convergence under a high rate of injected faults.
//!
//! No fault races a timeout: a request that must outlast the client's
//! timeout is held by the sandbox until the bot's next request
//! (`Landing::BeforeNextRequest`), so the timeout always fires and a
//! held write has always landed when the bot re-reads the bug.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pushbot::bugzilla::{BugId, Client, ClientTuning};
use pushbot::demo::{self, Demo};
use pushbot::metrics::Metrics;
use pushbot::poll::{CycleReport, Poller, PollerOptions};
use pushbot::rules::RuleSet;
use pushbot::sandbox::{FaultKind, FaultPlan, FaultRule, Landing, LateAnswer, LostAnswer};
use pushbot::store::Store;
use serde_json::json;

mod support;
use support::ledger::{ledger, writes_per_bug};
use support::prometheus::parse_prometheus;

const ZONE: chrono_tz::Tz = chrono_tz::America::Los_Angeles;

fn at(local: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(local, ZONE).unwrap()
}

fn expected(rows: &[(u64, &[&str])]) -> BTreeMap<u64, Vec<String>> {
    rows.iter()
        .map(|(id, lines)| (*id, lines.iter().map(|s| s.to_string()).collect()))
        .collect()
}

/// The ledger after the first cycle on Monday 30 November, 09:00.
fn after_first_cycle() -> BTreeMap<u64, Vec<String>> {
    expected(&[
        (
            801,
            &[
                // The reply to the developer's `@pushbot check` (comment 2).
                "[pushbot command c2]",
                "[pushbot release-conflict 2026-W49.large]",
                "[pushbot release-conflict 2026-W49.total]",
                "assignee amo-dev@example.test",
            ],
        ),
        (
            802,
            &[
                "[pushbot release-conflict 2026-W49.large]",
                "[pushbot release-conflict 2026-W49.total]",
                "assignee sumo-dev@example.test",
            ],
        ),
        (
            803,
            &[
                "[pushbot no-owner nag-1]",
                "[pushbot release-conflict 2026-W49.total]",
                "assignee nobody@example.test",
            ],
        ),
        (
            804,
            &[
                "[pushbot push-window 2026-11-30T14:00]",
                "[pushbot release-conflict 2026-W49.total]",
                "[pushbot signoff request-2026-11-30]",
                "flag qa-signoff?(webqa@example.test)",
                "flag webdev-signoff?(input-lead@example.test)",
                "assignee input-dev@example.test",
            ],
        ),
        (805, &["assignee sumo-dev@example.test"]),
    ])
}

/// `pushbot_actions_total` by rule, as `/metrics` shows it, sorted.
fn actions_by_rule(metrics: &Metrics) -> Vec<(String, u64)> {
    let mut by_rule: Vec<(String, u64)> = parse_prometheus(&metrics.encode())
        .into_iter()
        .filter(|(name, _, _)| name == "pushbot_actions_total")
        .map(|(_, labels, n)| (labels["rule"].clone(), n as u64))
        .collect();
    by_rule.sort();
    by_rule
}

fn writes_in(log: &[pushbot::sandbox::LoggedRequest]) -> usize {
    log.iter()
        .filter(|r| r.method == "POST" || r.method == "PUT")
        .count()
}

/// Runs a cycle and returns it with the sandbox requests it made.
async fn cycle(demo: &mut Demo, now: DateTime<Utc>) -> (CycleReport, Vec<String>) {
    let before = demo.sandbox.request_log().len();
    let report = demo.cycle_at(now).await;
    let routes = demo.sandbox.request_log()[before..]
        .iter()
        .map(|r| r.route.clone())
        .collect();
    (report, routes)
}

#[tokio::test]
async fn first_cycle_writes_exactly_the_plan_then_quiet_cycles_cost_one_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(dir.path()).await.unwrap();
    let start_log = demo.sandbox.request_log().len();

    let (first, routes) = cycle(&mut demo, at("2026-11-30 09:00")).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert!(first.full_load);
    assert_eq!(ledger(&demo.sandbox), after_first_cycle());
    // 8 marked sections (7 from rules, 1 command reply) on 4 bugs: one
    // write per bug. 804's two flag requests travel in the PUT of its
    // comment; the others are comments alone (POST).
    assert_eq!(first.taken, 8);
    assert_eq!(first.writes, 4);
    let posted = routes
        .iter()
        .filter(|r| *r == "POST /rest/bug/{id}/comment")
        .count();
    let put = routes.iter().filter(|r| *r == "PUT /rest/bug/{id}").count();
    assert_eq!((posted, put), (3, 1), "{routes:?}");
    assert_eq!(
        writes_per_bug(&demo.sandbox.request_log()[start_log..]),
        BTreeMap::from([(801, 1), (802, 1), (803, 1), (804, 1)])
    );
    assert_eq!(
        first.requests,
        routes.len() as u64,
        "metrics count every request"
    );

    // Right after its own writes the bot re-reads the bugs it changed
    // (their last_change_time moved), and writes nothing.
    let (second, routes) = cycle(&mut demo, at("2026-11-30 09:05")).await;
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(second.writes, 0);
    assert_eq!(second.taken, 0);
    assert!(routes.iter().all(|r| r.starts_with("GET ")), "{routes:?}");
    assert_eq!(ledger(&demo.sandbox), after_first_cycle());

    // The cycle after that: exactly one request, the search.
    let (third, routes) = cycle(&mut demo, at("2026-11-30 09:10")).await;
    assert!(third.errors.is_empty(), "{:?}", third.errors);
    assert_eq!(routes, vec!["GET /rest/bug".to_string()]);
    assert_eq!(third.requests, 1);
    assert_eq!(third.writes, 0);
    assert_eq!(ledger(&demo.sandbox), after_first_cycle());

    // Metrics after three real cycles.
    let m = demo.poller.metrics();
    assert_eq!(m.cycles(), 3);
    assert_eq!(m.outages(), 0);
    assert_eq!(m.errors(), 0);
    assert_eq!(m.writes(), 4, "one write per bug");
    assert_eq!(
        m.bugzilla_requests(),
        (demo.sandbox.request_log().len() - start_log) as u64,
        "every request the sandbox saw after start-up, counted once"
    );
    assert_eq!(
        actions_by_rule(&m),
        vec![
            ("command".to_string(), 1),
            ("no-owner".to_string(), 1),
            ("push-window".to_string(), 1),
            ("release-conflict".to_string(), 4),
            ("signoff".to_string(), 1),
        ]
    );
    assert_eq!(m.last_success(), Some(at("2026-11-30 09:10")));
    // The same three cycles in the state file, durations included.
    let mut cycles = demo.poller.store().recent_cycles(10).unwrap();
    cycles.sort_by_key(|c| c.started_at);
    let reports = [&first, &second, &third];
    assert_eq!(cycles.len(), 3);
    for (record, report) in cycles.iter().zip(reports) {
        assert_eq!(record.started_at, report.started_at);
        assert_eq!(record.requests, report.requests);
        assert_eq!(record.taken, report.taken as u64);
        assert_eq!(record.errors, 0);
        assert_eq!(
            record.duration_ms,
            u64::try_from(report.duration.as_millis()).unwrap()
        );
    }
    assert_eq!(cycles[0].taken, 8);
    demo.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_nag_addresses_the_triage_owner_from_the_setting_with_one_needinfo() {
    // Stock 5.2 (the sandbox) has no `triage_owner` field: the setting
    // names the component's triage owner.
    let data = format!(
        "{}\n[[users]]\nid = 99\nlogin = \"webops-triage@example.test\"\nreal_name = \"WebOps triage\"\n",
        demo::DATA
    );
    let settings =
        "\n[push.component_triage_owners]\n\"Websites/Push\" = \"webops-triage@example.test\"\n";
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start_with(dir.path(), &data, settings).await.unwrap();
    let (first, routes) = cycle(&mut demo, at("2026-11-30 09:00")).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    // The same comments as without a triage owner, plus one flag request
    // on 803 (an update made just before its nag comment).
    let mut expected = after_first_cycle();
    let personas = expected.get_mut(&803).unwrap();
    personas.insert(2, "flag needinfo?(webops-triage@example.test)".to_string());
    assert_eq!(ledger(&demo.sandbox), expected);
    assert_eq!(first.taken, 8);
    let put = routes.iter().filter(|r| *r == "PUT /rest/bug/{id}").count();
    assert_eq!(
        put, 2,
        "804's sign-off requests and 803's needinfo: {routes:?}"
    );

    let nag = demo
        .sandbox
        .comments(803)
        .into_iter()
        .find(|c| c.text.contains("[pushbot no-owner nag-1]"))
        .unwrap();
    assert!(
        nag.text.starts_with(
            "webops-triage@example.test: please find an owner for this Personas push (planned for Wed 2026-12-02 17:00 PST); it is still assigned to nobody@example.test."
        ),
        "{}",
        nag.text
    );

    // Nag 2 (the push is near: 12 hours later) names them again and asks
    // nothing new.
    let (second, _) = cycle(&mut demo, at("2026-11-30 21:05")).await;
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    let nag2 = demo
        .sandbox
        .comments(803)
        .into_iter()
        .find(|c| c.text.contains("[pushbot no-owner nag-2]"))
        .unwrap();
    assert!(nag2
        .text
        .starts_with("webops-triage@example.test: please find an owner"));
    let needinfos = demo
        .sandbox
        .flags(803)
        .into_iter()
        .filter(|f| f.name == "needinfo")
        .count();
    assert_eq!(needinfos, 1);
    demo.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_persons_change_is_picked_up_on_the_next_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(dir.path()).await.unwrap();
    demo.cycle_at(at("2026-11-30 09:00")).await;
    demo.cycle_at(at("2026-11-30 09:05")).await;

    // The SUMO lead turns 805 from a copy change into a code push on
    // Thursday evening (whiteboard), and 801 loses its owner (assignee).
    demo.sandbox.clock().set(at("2026-11-30 09:20"));
    demo.sandbox
        .update_bug(
            805,
            "sumo-lead@example.test",
            &json!({"whiteboard": "[push:sumo] [push 2026-12-03 18:00]"}),
        )
        .unwrap();
    demo.sandbox
        .update_bug(
            801,
            "amo-lead@example.test",
            &json!({"assigned_to": "nobody@example.test"}),
        )
        .unwrap();
    let (report, _) = cycle(&mut demo, at("2026-11-30 09:30")).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(!report.full_load);
    let tracked = &demo.poller.snapshot().bugs;
    assert_eq!(
        tracked[&BugId(805)].bug.whiteboard,
        "[push:sumo] [push 2026-12-03 18:00]"
    );
    assert_eq!(tracked[&BugId(801)].bug.assigned_to, "nobody@example.test");
    let want = after_change();
    // 805 joined the week's conflict: it alone hears of it (one comment);
    // the bugs already told about those problems hear nothing new. 801
    // lost its owner, but its developer commented an hour ago: no
    // reminder while a person is on it.
    assert_eq!(ledger(&demo.sandbox), want);
    assert_eq!(report.taken, 1, "{:?}", report.taken_by_rule);

    // And nothing more on the next cycles.
    let (again, _) = cycle(&mut demo, at("2026-11-30 09:35")).await;
    assert_eq!(again.writes, 0);
    let (quiet, routes) = cycle(&mut demo, at("2026-11-30 09:40")).await;
    assert_eq!(quiet.writes, 0);
    assert_eq!(routes, vec!["GET /rest/bug".to_string()]);
    assert_eq!(ledger(&demo.sandbox), want);
    demo.sandbox.shutdown().await;
}

fn remove_state(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        if Path::new(&file).exists() {
            std::fs::remove_file(&file).unwrap();
        }
    }
}

#[tokio::test]
async fn losing_the_state_file_posts_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(dir.path()).await.unwrap();
    let first = demo.cycle_at(at("2026-11-30 09:00")).await;
    assert_eq!(first.taken, 8);

    let state = demo.settings.state.path.clone();
    remove_state(&state);
    demo.restart().await.unwrap();
    assert_eq!(demo.poller.store().watermark().unwrap(), None);

    let before = demo.sandbox.request_log();
    let report = demo.cycle_at(at("2026-11-30 09:10")).await;
    let log = demo.sandbox.request_log();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.full_load);
    assert_eq!(writes_in(&log[before.len()..]), 0, "no POST or PUT");
    // The rules read the bot's markers in the bugs' comments: nothing
    // they said is planned again, whatever the state file knows.
    assert_eq!(report.taken, 0);
    assert_eq!(report.planned, 0);
    assert_eq!(ledger(&demo.sandbox), after_first_cycle());
    demo.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_cancelled_bug_stops_being_tracked_a_shipped_one_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(dir.path()).await.unwrap();
    demo.cycle_at(at("2026-11-30 09:00")).await;
    demo.cycle_at(at("2026-11-30 09:05")).await;
    assert!(demo.poller.snapshot().bugs.contains_key(&BugId(805)));

    // The copy change is dropped (WONTFIX); the Input push goes out early
    // (FIXED).
    demo.sandbox.clock().set(at("2026-11-30 09:20"));
    demo.sandbox
        .update_bug(
            805,
            "admin@example.test",
            &json!({"status": "RESOLVED", "resolution": "WONTFIX"}),
        )
        .unwrap();
    demo.sandbox
        .update_bug(
            804,
            "input-dev@example.test",
            &json!({"status": "RESOLVED", "resolution": "FIXED"}),
        )
        .unwrap();
    let report = demo.cycle_at(at("2026-11-30 09:30")).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(!report.full_load, "noticed by the incremental search");
    assert_eq!(report.tracked_bugs, 4);
    let ids: Vec<u64> = demo.poller.snapshot().bugs.keys().map(|b| b.0).collect();
    assert_eq!(ids, vec![801, 802, 803, 804]);
    // 804 still counts in the week's conflict (the same bugs as before:
    // nothing new to say) and gets no comment of its own.
    assert_eq!(report.writes, 0);
    assert_eq!(ledger(&demo.sandbox), after_first_cycle());
    demo.sandbox.shutdown().await;
}

/// A bot of its own on the demo's sandbox, with `options` adjusted.
fn bot_on(
    demo: &Demo,
    state: &Path,
    tuning: Option<ClientTuning>,
    adjust: impl FnOnce(&mut PollerOptions),
) -> Poller {
    let rules = RuleSet::from_sources(demo::SHIPPED_RULES).unwrap();
    let decider = pushbot::bot::decider(&demo.settings, rules).unwrap();
    let client = match tuning {
        Some(t) => Client::with_tuning(&demo.settings, t).unwrap(),
        None => Client::new(&demo.settings).unwrap(),
    };
    let store = Store::open(state).unwrap();
    let mut options = PollerOptions::from_settings(&demo.settings);
    options.execute.settle_delay = Duration::ZERO;
    adjust(&mut options);
    Poller::new(client, store, decider.into_planner(), options)
}

#[tokio::test]
async fn dry_run_reads_everything_writes_nothing_and_shows_the_writes() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(dir.path()).await.unwrap();
    let mut poller = bot_on(&demo, &dir.path().join("dry.sqlite"), None, |o| {
        o.execute.dry_run = true;
    });
    let before = demo.sandbox.request_log().len();
    let report = poller.run_once(at("2026-11-30 09:00")).await;
    let log = demo.sandbox.request_log();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(writes_in(&log[before..]), 0, "no POST or PUT in dry-run");
    assert_eq!(report.writes, 0);
    assert_eq!(report.taken, 8, "each write rendered");
    for lines in after_first_cycle().values() {
        for line in lines.iter().filter(|l| l.starts_with("[pushbot")) {
            assert!(
                report.dry_run_text.contains(line.as_str()),
                "{line} missing from:\n{}",
                report.dry_run_text
            );
        }
    }
    assert!(report.dry_run_text.contains("webdev-signoff"));
    assert!(report.dry_run_text.contains("input-lead@example.test"));
    // Nothing changed in Bugzilla.
    for (bug, lines) in ledger(&demo.sandbox) {
        assert_eq!(lines.len(), 1, "bug {bug}: {lines:?}");
    }
    demo.sandbox.shutdown().await;
}

/// The moments both runs of the fault test go through.
const MOMENTS: &[&str] = &["2026-11-30 09:00", "2026-12-01 09:00", "2026-12-01 18:30"];

/// Runs the demo's week on a fresh sandbox with `faults`, repeating each
/// moment's cycle until one completes cleanly; returns the final ledger and
/// the number of cycles run.
async fn run_week(faults: FaultPlan, seed_dir: &Path) -> (BTreeMap<u64, Vec<String>>, usize) {
    let demo = Demo::start(seed_dir).await.unwrap();
    let tuning = ClientTuning {
        // What a held request costs the run: it fires on every held
        // request by construction (nothing answers one before the bot's
        // next request), and on nothing else even on a loaded machine.
        timeout: Duration::from_secs(1),
        max_retries: 2,
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(20),
        retry_after_cap: Duration::from_secs(2),
        ..ClientTuning::from_settings(&demo.settings)
    };
    // No settle wait (`bot_on`'s default) is needed: a held write lands
    // before the bot's next request (its re-read) by construction, a lost
    // answer's write before the answer is lost.
    let mut poller = bot_on(&demo, &seed_dir.join("faults.sqlite"), Some(tuning), |_| {});
    let sandbox = demo.sandbox;
    sandbox.set_faults(faults);
    let mut cycles = 0;
    let mut reports = Vec::new();
    for moment in MOMENTS {
        let now = at(moment);
        sandbox.clock().set(now);
        let mut clean = false;
        for _ in 0..40 {
            let report = poller.run_once(now).await;
            reports.push(report.clone());
            cycles += 1;
            if !report.outage && report.errors.is_empty() && report.alert.is_none() {
                clean = true;
                break;
            }
        }
        assert!(clean, "no clean cycle at {moment} in 40 tries");
    }
    sandbox.set_faults(FaultPlan::none());
    // One more fault-free cycle: it must find nothing left to do.
    let report = poller.run_once(at(MOMENTS[MOMENTS.len() - 1])).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.writes, 0, "converged: nothing left to write");
    reports.push(report);
    // The metrics add up the cycles' own reports, faults and all.
    let m = poller.metrics();
    assert_eq!(m.cycles(), reports.len() as u64);
    let sum = |f: fn(&CycleReport) -> u64| reports.iter().map(f).sum::<u64>();
    assert_eq!(m.bugzilla_requests(), sum(|r| r.requests));
    assert_eq!(m.errors(), sum(|r| r.errors.len() as u64));
    assert_eq!(m.writes(), sum(|r| r.writes as u64));
    assert_eq!(m.outages(), sum(|r| u64::from(r.outage)));
    let taken: u64 = actions_by_rule(&m).iter().map(|(_, n)| n).sum();
    assert_eq!(taken, sum(|r| r.taken as u64));
    assert_eq!(
        poller.store().recent_cycles(1000).unwrap().len(),
        reports.len()
    );
    let out = ledger(&sandbox);
    let faults = sandbox
        .request_log()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    eprintln!(
        "{cycles} cycles, {} requests, {faults} with a fault",
        sandbox.request_log().len()
    );
    sandbox.shutdown().await;
    (out, cycles)
}

fn noisy_plan(seed: u64) -> FaultPlan {
    let share = 0.08;
    FaultPlan {
        seed,
        rules: vec![
            // `Retry-After: 1` is waited out: keep it rare to stay fast.
            FaultRule::share(
                0.02,
                FaultKind::TooManyRequests {
                    retry_after_secs: 1,
                },
            ),
            FaultRule::share(
                share,
                FaultKind::TooManyRequests {
                    retry_after_secs: 0,
                },
            ),
            FaultRule::share(share, FaultKind::ServerError { status: 503 }),
            // Past the client's timeout: held until the bot's next
            // request, a write lands just before that is answered.
            FaultRule::share(
                share,
                FaultKind::LateWrite {
                    land: Landing::BeforeNextRequest,
                    answer: LateAnswer::Hold,
                },
            ),
            FaultRule::share(share, FaultKind::DropConnection),
            FaultRule::share(share, FaultKind::TruncateBody),
            FaultRule::share(
                share,
                FaultKind::LostResponse {
                    then: LostAnswer::Drop,
                },
            ),
            FaultRule::share(
                share,
                FaultKind::LostResponse {
                    then: LostAnswer::BadGateway,
                },
            ),
        ],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_heavy_faults_cycles_converge_to_the_fault_free_result() {
    let dir = tempfile::tempdir().unwrap();
    let clean_dir = dir.path().join("clean");
    std::fs::create_dir_all(&clean_dir).unwrap();
    let (clean, clean_cycles) = run_week(FaultPlan::none(), &clean_dir).await;
    assert_eq!(clean_cycles, MOMENTS.len(), "the fault-free run is clean");
    assert_eq!(clean, fault_free_week(), "{clean:#?}");

    // About 44% of requests fail one way or another (7 rules of 8%).
    for seed in [1_u64, 2] {
        let faulty_dir = dir.path().join(format!("faulty-{seed}"));
        std::fs::create_dir_all(&faulty_dir).unwrap();
        let (faulty, cycles) = run_week(noisy_plan(seed), &faulty_dir).await;
        assert!(cycles > MOMENTS.len(), "seed {seed}: the faults bit");
        assert_eq!(faulty, clean, "seed {seed}");
    }
}

/// The ledger after the three moments without faults.
fn fault_free_week() -> BTreeMap<u64, Vec<String>> {
    expected(&[
        (
            801,
            &[
                "[pushbot command c2]",
                "[pushbot overrun 2026-12-01]",
                "[pushbot release-conflict 2026-W49.large]",
                "[pushbot release-conflict 2026-W49.total]",
                "[pushbot signoff missed-2026-12-01]",
                "[pushbot signoff request-2026-12-01]",
                "flag needinfo?(amo-dev@example.test)",
                "flag qa-signoff?(webqa@example.test)",
                "flag webdev-signoff?(amo-lead@example.test)",
                "assignee amo-dev@example.test",
            ],
        ),
        (
            802,
            &[
                "[pushbot release-conflict 2026-W49.large]",
                "[pushbot release-conflict 2026-W49.total]",
                "assignee sumo-dev@example.test",
            ],
        ),
        (
            803,
            &[
                "[pushbot no-owner nag-1]",
                "[pushbot no-owner nag-2]",
                "[pushbot release-conflict 2026-W49.total]",
                "[pushbot signoff request-2026-12-02]",
                "flag qa-signoff?(webqa@example.test)",
                "flag webdev-signoff?(personas-lead@example.test)",
                "assignee nobody@example.test",
            ],
        ),
        (
            804,
            &[
                "[pushbot overrun 2026-11-30]",
                "[pushbot push-window 2026-11-30T14:00]",
                "[pushbot release-conflict 2026-W49.total]",
                "[pushbot signoff missed-2026-11-30]",
                "[pushbot signoff request-2026-11-30]",
                "flag needinfo?(input-dev@example.test)",
                "flag qa-signoff?(webqa@example.test)",
                "flag webdev-signoff?(input-lead@example.test)",
                "assignee input-dev@example.test",
            ],
        ),
        (805, &["assignee sumo-dev@example.test"]),
    ])
}

/// The ledger after 805 became a code push and 801 lost its owner.
fn after_change() -> BTreeMap<u64, Vec<String>> {
    let mut want = after_first_cycle();
    // No no-owner reminder on 801: amo-dev commented at 08:30 (the
    // `@pushbot check`), inside the nag cadence, so a person is on it.
    // 805 (SUMO, large) joins problems the week already had: it alone is
    // told, one marker per problem it counts in.
    let lines = want.get_mut(&805).unwrap();
    let assignee = lines.pop().unwrap();
    lines.push("[pushbot release-conflict 2026-W49.large]".to_string());
    lines.push("[pushbot release-conflict 2026-W49.total]".to_string());
    lines.push(assignee);
    let l801 = want.get_mut(&801).unwrap();
    *l801.last_mut().unwrap() = "assignee nobody@example.test".to_string();
    want
}
