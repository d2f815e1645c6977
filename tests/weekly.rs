//! The weekly summary, week view and calendar fed by the REAL pipeline: the
//! demo's sandbox (the seed meeting's week), the shipped rules, the push
//! model and the poller. Covers the summary text, posting it once per week
//! (across restarts and with the state file deleted, never before its
//! time), the calendar feed (parsed, DST-correct) and `/metrics` after real
//! cycles.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, TimeZone, Utc};
use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
use pushbot::bot::Decider;
use pushbot::bugzilla::Client;
use pushbot::config::Settings;
use pushbot::demo::{Demo, SHIPPED_RULES};
use pushbot::live;
use pushbot::poll::{Poller, PollerOptions};
use pushbot::report::ics::{self, IcsOptions};
use pushbot::report::{markdown, IsoWeekId};
use pushbot::rules::RuleSet;
use pushbot::store::Store;
use pushbot::web::WebData;
use support::binary::{start_run, terminate, write_shipped_rules};
use support::prometheus::{parse_prometheus, value};

const LA: chrono_tz::Tz = chrono_tz::America::Los_Angeles;

/// Team-local time in Los Angeles.
fn local(text: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(text, LA).unwrap()
}

fn w49() -> IsoWeekId {
    "2026-W49".parse().unwrap()
}

fn decider(settings: &Settings) -> Decider {
    pushbot::bot::decider(settings, RuleSet::from_sources(SHIPPED_RULES).unwrap()).unwrap()
}

/// A bot on the demo's sandbox with `settings` and the state file `state`.
fn poller(settings: &Settings, state: &Path) -> Poller {
    let client = Client::new(settings).unwrap();
    let store = Store::open(state).unwrap();
    let mut options = PollerOptions::from_settings(settings);
    options.execute.settle_delay = std::time::Duration::from_millis(10);
    Poller::new(client, store, decider(settings).into_planner(), options)
}

async fn cycle(demo: &Demo, poller: &mut Poller, at: DateTime<Utc>) {
    demo.sandbox.clock().set(at);
    let report = poller.run_once(at).await;
    assert!(!report.outage, "{:?}", report.errors);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[tokio::test]
async fn the_meeting_weeks_summary_from_the_real_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(dir.path()).await.unwrap();
    // Monday morning: the bot comments (conflict, window, no owner), so
    // the markers are there; the summary must still show every finding.
    let now = local("2026-11-30 09:05");
    demo.cycle_at(now).await;
    let decider = decider(&demo.settings);
    let report = decider.week_report(demo.poller.snapshot(), w49(), now);
    let text = markdown::render(&report).replace(&demo.sandbox.base_url(), "BUGZILLA");
    assert_eq!(text, EXPECTED_SUMMARY, "got:\n{text}");
}

/// The summary of the seed meeting's week, as posted (bug links start
/// with the sandbox's URL, written `BUGZILLA` here).
const EXPECTED_SUMMARY: &str = r#"## Push summary for 2026-W49 (Mon 30 Nov – Sun 6 Dec 2026, times in America/Los_Angeles)

5 pushes scheduled, 0 unscheduled; 2 conflicts, 1 warning.

### Conflicts

- 2 large releases in 2026-W49 (limit 1): bug 801, bug 802
- 4 releases in 2026-W49 (limit 3): bug 801, bug 802, bug 803, bug 804

### Warnings

- outside the push window: Monday is not a push day; 14:00 is before 16:00 — bug 804

### Monday 30 Nov

- 14:00 PST bug 804 (Input, small): Push Input 2026.11.30 to production
  - BUGZILLA/show_bug.cgi?id=804
  - owner: input-dev@example.test
  - sign-off: webdev-signoff missing, qa-signoff missing
  - CONFLICT: 4 releases in 2026-W49 (limit 3): bug 801, bug 802, bug 803, bug 804
  - WARNING: outside the push window: Monday is not a push day; 14:00 is before 16:00

### Tuesday 1 Dec

- 16:00 PST bug 801 (AMO, large): Push AMO 2026.12.01 to production
  - BUGZILLA/show_bug.cgi?id=801
  - owner: amo-dev@example.test
  - sign-off: webdev-signoff missing, qa-signoff missing
  - CONFLICT: 2 large releases in 2026-W49 (limit 1): bug 801, bug 802
  - CONFLICT: 4 releases in 2026-W49 (limit 3): bug 801, bug 802, bug 803, bug 804

### Wednesday 2 Dec

- 17:00 PST bug 803 (Personas, small): Push Personas to production 2026-12-02 17:00
  - BUGZILLA/show_bug.cgi?id=803
  - owner: NONE (needs an owner)
  - sign-off: webdev-signoff missing, qa-signoff missing
  - CONFLICT: 4 releases in 2026-W49 (limit 3): bug 801, bug 802, bug 803, bug 804

### Thursday 3 Dec

- 16:00 PST bug 802 (SUMO, large): Push SUMO 2026.12.03 to production
  - BUGZILLA/show_bug.cgi?id=802
  - owner: sumo-dev@example.test
  - sign-off: webdev-signoff missing, qa-signoff missing
  - CONFLICT: 2 large releases in 2026-W49 (limit 1): bug 801, bug 802
  - CONFLICT: 4 releases in 2026-W49 (limit 3): bug 801, bug 802, bug 803, bug 804

### Friday 4 Dec

- 10:00 PST bug 805 (SUMO, content-only): Update SUMO outage page copy
  - BUGZILLA/show_bug.cgi?id=805
  - owner: sumo-dev@example.test
  - sign-off: webdev-signoff missing, qa-signoff missing
"#;

/// The comments on `bug` that carry a summary marker.
fn summaries_on(demo: &Demo, bug: u64) -> Vec<String> {
    demo.sandbox
        .comments(bug)
        .into_iter()
        .map(|c| c.text)
        .filter(|t| t.contains("[pushbot summary "))
        .collect()
}

#[tokio::test]
async fn the_summary_is_posted_once_per_week_not_before_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(dir.path()).await.unwrap();
    // The tracking bug sits in the push component on purpose: it must not
    // be read as a push.
    let tracking = demo
        .sandbox
        .create_bug(
            "admin@example.test",
            &serde_json::json!({
                "product": "Websites",
                "component": "Push",
                "summary": "Weekly push summaries",
                "version": "unspecified",
                "description": "The bot posts the week's pushes here every Monday."
            }),
        )
        .unwrap();
    let mut settings = demo.settings.clone();
    settings.summary.tracking_bug = Some(tracking);
    let state = dir.path().join("summary.sqlite");

    let mut bot = poller(&settings, &state);
    // Monday 08:59: not yet (the push rules do act).
    cycle(&demo, &mut bot, local("2026-11-30 08:59")).await;
    assert_eq!(summaries_on(&demo, tracking), Vec::<String>::new());
    // 09:00: posted, with its marker.
    cycle(&demo, &mut bot, local("2026-11-30 09:00")).await;
    let posted = summaries_on(&demo, tracking);
    assert_eq!(posted.len(), 1);
    assert!(
        posted[0].starts_with("## Push summary for 2026-W49"),
        "{}",
        posted[0]
    );
    assert!(posted[0]
        .trim_end()
        .ends_with("\n\n[pushbot summary 2026-W49]"));
    assert!(posted[0].contains("bug 801 (AMO, large)"));
    assert!(
        !posted[0].contains(&format!("bug {tracking} ")),
        "{}",
        posted[0]
    );
    // Later the same week, and after a restart on the same state: not again.
    cycle(&demo, &mut bot, local("2026-11-30 10:00")).await;
    let mut bot = poller(&settings, &state);
    cycle(&demo, &mut bot, local("2026-12-01 09:00")).await;
    assert_eq!(summaries_on(&demo, tracking).len(), 1);
    // State file gone: the marker on the tracking bug is the ledger.
    drop(bot);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", state.display()));
    }
    let mut bot = poller(&settings, &state);
    cycle(&demo, &mut bot, local("2026-12-02 09:00")).await;
    assert_eq!(summaries_on(&demo, tracking).len(), 1);
    // Next Monday: the new week's summary.
    cycle(&demo, &mut bot, local("2026-12-07 09:00")).await;
    let posted = summaries_on(&demo, tracking);
    assert_eq!(posted.len(), 2);
    assert!(posted[1].contains("[pushbot summary 2026-W50]"));
}

fn parse_ics(text: &str) -> BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)> {
    let calendar: Calendar = text.parse().unwrap();
    let utc = |t: Option<DatePerhapsTime>| match t {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t,
        other => panic!("not a UTC time: {other:?}"),
    };
    calendar
        .components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .map(|e| {
            let summary = e.get_summary().unwrap().to_string();
            (summary, (utc(e.get_start()), utc(e.get_end())))
        })
        .collect()
}

#[tokio::test]
async fn the_calendar_from_the_real_pipeline_is_dst_correct() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(dir.path()).await.unwrap();
    // One push after the spring change: 16:00 PDT is 23:00Z, not 00:00Z.
    let spring = demo
        .sandbox
        .create_bug(
            "admin@example.test",
            &serde_json::json!({
                "product": "Websites",
                "component": "Push",
                "summary": "Push AMO 2027.03.16 to production",
                "version": "unspecified",
                "whiteboard": "[push:amo] [push 2027-03-16 16:00]",
                "assigned_to": "amo-dev@example.test"
            }),
        )
        .unwrap();
    let now = local("2026-11-30 09:05");
    demo.cycle_at(now).await;
    let reports = decider(&demo.settings).week_reports(demo.poller.snapshot(), now);
    let weeks: Vec<String> = reports.keys().map(|w| w.to_string()).collect();
    assert_eq!(weeks, ["2026-W49", "2027-W11"]);
    let text = ics::render(reports.values(), now, &IcsOptions::default());
    let events = parse_ics(&text);
    let z = |y, mo, d, h| Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap();
    let starts: BTreeMap<&str, DateTime<Utc>> = events
        .iter()
        .map(|(summary, (start, end))| {
            assert_eq!(*end - *start, chrono::Duration::hours(1), "{summary}");
            (summary.as_str(), *start)
        })
        .collect();
    let expected: BTreeMap<&str, DateTime<Utc>> = [
        // Mon 30 Nov 14:00 PST.
        ("804", z(2026, 11, 30, 22)),
        // Tue 1 Dec 16:00 PST.
        ("801", z(2026, 12, 2, 0)),
        // Wed 2 Dec 17:00 PST.
        ("803", z(2026, 12, 3, 1)),
        // Thu 3 Dec (milestone, default 16:00) PST.
        ("802", z(2026, 12, 4, 0)),
        // Fri 4 Dec 10:00 PST.
        ("805", z(2026, 12, 4, 18)),
        // Tue 16 Mar 2027 16:00 PDT.
        ("spring", z(2027, 3, 16, 23)),
    ]
    .into_iter()
    .collect();
    assert_eq!(starts.len(), expected.len(), "{starts:?}");
    for (bug, at) in expected {
        let bug = if bug == "spring" {
            spring.to_string()
        } else {
            bug.to_string()
        };
        let found = starts
            .iter()
            .find(|(summary, _)| summary.contains(&format!("bug {bug} ")))
            .unwrap_or_else(|| panic!("no event for bug {bug}: {starts:?}"));
        assert_eq!(*found.1, at, "bug {bug}");
    }
}

#[tokio::test]
async fn metrics_after_real_cycles_parse_as_prometheus_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(dir.path()).await.unwrap();
    let data = Arc::new(RwLock::new(WebData::default()));
    let now = local("2026-11-30 09:06");
    let state = live::web_state(&demo.settings, Arc::clone(&data), live::clock(Some(now))).unwrap();
    demo.poller
        .set_after_cycle(live::feed(decider(&demo.settings), &state));
    demo.poller.set_metrics(state.metrics().clone());
    let first = demo.cycle_at(local("2026-11-30 09:00")).await;
    let second = demo.cycle_at(local("2026-11-30 09:05")).await;
    assert!(
        first.taken > 0,
        "the first cycle acts on the meeting's week"
    );
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for report in [&first, &second] {
        for (rule, n) in &report.taken_by_rule {
            *by_rule.entry(rule.clone()).or_default() += n;
        }
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) = live::spawn_server(listener, state, async {
        let _ = stopped.await;
    })
    .unwrap();
    let get = |path: &str| reqwest::get(format!("http://{addr}{path}"));
    let text = get("/metrics").await.unwrap().text().await.unwrap();
    let week = get("/week/2026-W49.json")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let health = get("/healthz").await.unwrap();
    let health_status = health.status().as_u16();
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    let samples = parse_prometheus(&text);
    assert_eq!(value(&samples, "pushbot_cycles_total", &[]), Some(2.0));
    assert_eq!(
        value(&samples, "pushbot_bugzilla_requests_total", &[]),
        Some((first.requests + second.requests) as f64)
    );
    for (rule, n) in &by_rule {
        assert_eq!(
            value(&samples, "pushbot_actions_total", &[("rule", rule)]),
            Some(*n as f64),
            "{rule}"
        );
    }
    assert!(by_rule.contains_key("release-conflict"));
    assert_eq!(value(&samples, "pushbot_errors_total", &[]), Some(0.0));
    assert_eq!(value(&samples, "pushbot_write_cap_alert", &[]), Some(0.0));
    assert!(value(&samples, "pushbot_last_success_timestamp_seconds", &[]).unwrap() > 0.0);
    assert_eq!(health_status, 200);
    // The week view's data came from the same cycles.
    let doc: serde_json::Value = serde_json::from_str(&week).unwrap();
    assert_eq!(doc["conflicts"][0]["bugs"], serde_json::json!([801, 802]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushbot_summary_prints_the_week_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(dir.path()).await.unwrap();
    let rules = write_shipped_rules(dir.path());
    let demo_settings = std::fs::read_to_string(dir.path().join("pushbot.toml")).unwrap();
    let config = dir.path().join("summary.toml");
    std::fs::write(
        &config,
        format!("{demo_settings}\n[rules]\ndir = \"{}\"\n", rules.display()),
    )
    .unwrap();
    let before = demo.sandbox.request_log().len();
    let run = |args: &'static [&'static str]| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_pushbot"))
                .arg("--config")
                .arg(&config)
                .arg("summary")
                .args(args)
                .output()
                .unwrap()
        })
    };
    let md = run(&["--week", "2026-W49", "--now", "2026-11-30 09:05"])
        .await
        .unwrap();
    assert!(
        md.status.success(),
        "{}",
        String::from_utf8_lossy(&md.stderr)
    );
    let text = String::from_utf8(md.stdout)
        .unwrap()
        .replace(&demo.sandbox.base_url(), "BUGZILLA");
    // Nothing was posted yet, so no marker sits on the bugs; the text is the
    // same as with markers.
    assert_eq!(text, EXPECTED_SUMMARY);
    let json = run(&[
        "--week",
        "next",
        "--format",
        "json",
        "--now",
        "2026-11-24T12:00:00Z",
    ])
    .await
    .unwrap();
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["week"], "2026-W49");
    let html = run(&[
        "--week",
        "2026-W49",
        "--format",
        "html",
        "--now",
        "2026-11-30 09:05",
    ])
    .await
    .unwrap();
    assert!(
        html.status.success(),
        "{}",
        String::from_utf8_lossy(&html.stderr)
    );
    let page = String::from_utf8(html.stdout).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    for bug in 801..=805 {
        assert!(page.contains(&format!("bug {bug}")), "bug {bug} missing");
    }
    assert!(page.contains("2 large releases in 2026-W49 (limit 1)"));
    let bad = run(&["--week", "2026-W54"]).await.unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("2026-W49"));
    let writes: Vec<_> = demo.sandbox.request_log()[before..]
        .iter()
        .filter(|r| r.method != "GET")
        .cloned()
        .collect();
    assert!(writes.is_empty(), "pushbot summary wrote: {writes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushbot_run_also_serves_the_week_view() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(dir.path()).await.unwrap();
    let bot = start_run(dir.path(), &[]).await;
    let base = bot.base.clone();
    let client = reqwest::Client::new();
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let week: serde_json::Value = client
        .get(format!("{base}/week/2026-W49.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status = terminate(bot.child);
    assert!(
        status.success(),
        "pushbot run did not stop cleanly: {status}"
    );
    let samples = parse_prometheus(&metrics);
    assert_eq!(value(&samples, "pushbot_cycles_total", &[]), Some(1.0));
    assert!(
        value(
            &samples,
            "pushbot_actions_total",
            &[("rule", "release-conflict")]
        )
        .unwrap()
            >= 2.0
    );
    assert_eq!(week["conflicts"][0]["bugs"], serde_json::json!([801, 802]));
    // The real bot wrote: its markers are in Bugzilla.
    assert!(demo
        .sandbox
        .comments(801)
        .iter()
        .any(|c| c.text.contains("[pushbot release-conflict 2026-W49")));
}
