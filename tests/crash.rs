//! The bot process killed (SIGKILL) at many points of a cycle with pending
//! writes, then restarted: in the end every expected comment exists exactly
//! once and each flag is requested once. Also `once --dry-run` through the
//! binary: the writes on stdout, none in the sandbox.
//!
//! The sandbox runs in this test's process; the bot is the real `pushbot`
//! binary (`once`) with a settings file in a temporary directory.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pushbot::demo::{self, BOT_LOGIN};
use pushbot::sandbox::{
    FaultKind, FaultPlan, FaultRule, LostAnswer, Sandbox, SandboxData, SandboxHandle,
    SandboxOptions, Trigger,
};
use pushbot::store::{Outcome, Store};

const NOW: &str = "2026-11-30 09:00";

fn now() -> DateTime<Utc> {
    pushbot::clock::parse_now(NOW, chrono_tz::America::Los_Angeles).unwrap()
}

async fn sandbox() -> SandboxHandle {
    demo::start_sandbox(demo::DATA, now()).await.unwrap()
}

/// Writes the settings file for a bot on `sandbox` with its state in `dir`.
fn settings_file(sandbox: &SandboxHandle, dir: &Path) -> std::path::PathBuf {
    let path = dir.join("pushbot.toml");
    let text = demo::settings_text(&sandbox.base_url(), &dir.join("state.sqlite"));
    std::fs::write(&path, text).unwrap();
    path
}

fn once(config: &Path, extra: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pushbot"));
    cmd.arg("--config")
        .arg(config)
        .arg("once")
        .arg("--now")
        .arg(NOW)
        .args(extra)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// The marker lines (`[pushbot RULE DISC]`) of the bot's comments on `id`,
/// one entry per marker found.
fn bot_markers(sandbox: &SandboxHandle, id: u64) -> Vec<String> {
    sandbox
        .comments(id)
        .into_iter()
        .filter(|c| c.creator == BOT_LOGIN)
        .flat_map(|c| pushbot::plan::markers_in(&c.text))
        .map(|marker| marker.line())
        .collect()
}

/// The bot's comments (by marker, with how many times each exists) and
/// flags (with how many times each was requested), per bug.
fn written(sandbox: &SandboxHandle) -> BTreeMap<u64, BTreeMap<String, usize>> {
    let mut out = BTreeMap::new();
    for id in 801..=805 {
        let mut things: BTreeMap<String, usize> = BTreeMap::new();
        for marker in bot_markers(sandbox, id) {
            *things.entry(marker).or_default() += 1;
        }
        for f in sandbox.flags(id) {
            if f.setter == BOT_LOGIN {
                let requestee = f.requestee.unwrap_or_default();
                *things
                    .entry(format!("flag {}{}({requestee})", f.name, f.status))
                    .or_default() += 1;
            }
        }
        out.insert(id, things);
    }
    out
}

/// Each expected comment and flag exactly once.
fn expected() -> BTreeMap<u64, BTreeMap<String, usize>> {
    let rows: &[(u64, &[&str])] = &[
        (
            801,
            &[
                // The reply to the developer's `@pushbot check` (comment 2).
                "[pushbot command c2]",
                "[pushbot release-conflict 2026-W49.large]",
                "[pushbot release-conflict 2026-W49.total]",
            ],
        ),
        (
            802,
            &[
                "[pushbot release-conflict 2026-W49.large]",
                "[pushbot release-conflict 2026-W49.total]",
            ],
        ),
        (
            803,
            &[
                "[pushbot no-owner nag-1]",
                "[pushbot release-conflict 2026-W49.total]",
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
            ],
        ),
        (805, &[]),
    ];
    rows.iter()
        .map(|(id, lines)| (*id, lines.iter().map(|l| (l.to_string(), 1)).collect()))
        .collect()
}

fn marked_comments(sandbox: &SandboxHandle) -> usize {
    (801..=805)
        .flat_map(|id| sandbox.comments(id))
        .filter(|c| c.creator == BOT_LOGIN)
        .count()
}

/// Actions the state file says were posted.
fn recorded_posts(state: &Path) -> usize {
    if !state.exists() {
        return 0;
    }
    let Ok(store) = Store::open(state) else {
        return 0;
    };
    store
        .recent_actions(1000)
        .map(|all| {
            all.iter()
                .filter(|a| a.outcome == Outcome::Posted && a.comment_id.is_some())
                .count()
        })
        .unwrap_or(0)
}

const WRITE_ROUTES: [&str; 2] = ["POST /rest/bug/{id}/comment", "PUT /rest/bug/{id}"];

/// Every write waits `millis` before it is applied.
fn slow_writes(millis: u64) -> Vec<FaultRule> {
    WRITE_ROUTES
        .iter()
        .map(|route| FaultRule {
            route: Some((*route).to_string()),
            kind: FaultKind::Delay { millis },
            trigger: Trigger::Share(1.0),
        })
        .collect()
}

/// A share of writes is applied and its answer lost.
fn lost_answers(share: f64) -> Vec<FaultRule> {
    WRITE_ROUTES
        .iter()
        .map(|route| FaultRule {
            route: Some((*route).to_string()),
            kind: FaultKind::LostResponse {
                then: LostAnswer::Drop,
            },
            trigger: Trigger::Share(share),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_any_point_and_restarted_every_write_happens_once() {
    // (delay of each write in ms, when to kill the process in ms)
    let runs: &[(u64, u64)] = &[
        (0, 5),
        (0, 40),
        (20, 60),
        (20, 100),
        (40, 80),
        (40, 150),
        (40, 220),
        (60, 120),
        (60, 200),
        (60, 300),
        (80, 160),
        (80, 260),
        (80, 400),
        (120, 200),
        (120, 330),
        (120, 500),
        (150, 700),
        (30, 130),
    ];
    let mut killed_mid_write = 0;
    let mut killed = 0;
    for (round, &(delay, kill_at)) in runs.iter().enumerate() {
        let sandbox = sandbox().await;
        let dir = tempfile::tempdir().unwrap();
        let config = settings_file(&sandbox, dir.path());
        // Every write is slow; in the first run some also lose their
        // answer after being applied, so the bot sits in its settle wait
        // (10 s) with a write made and not yet recorded when it is killed.
        sandbox.set_faults(FaultPlan {
            seed: round as u64,
            rules: [lost_answers(0.3), slow_writes(delay)].concat(),
        });
        let mut child = once(&config, &[]).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(kill_at)).await;
        if child.try_wait().unwrap().is_none() {
            child.start_kill().unwrap();
            killed += 1;
        }
        let status = child.wait().await.unwrap();
        // Let a write the dead process left in flight land (or not) before
        // the restart reads the bugs.
        tokio::time::sleep(Duration::from_millis(delay + 30)).await;
        let (landed, recorded) = (
            marked_comments(&sandbox),
            recorded_posts(&dir.path().join("state.sqlite")),
        );
        if landed > recorded {
            killed_mid_write += 1;
        }

        // Restart (still with slow writes) until a run completes.
        sandbox.set_faults(FaultPlan::with_rules(slow_writes(delay)));
        let mut finished = false;
        for _ in 0..3 {
            let out = once(&config, &[]).output().await.unwrap();
            if out.status.success() {
                finished = true;
                break;
            }
        }
        assert!(finished, "round {round}: the restarted bot never completed");
        assert_eq!(
            written(&sandbox),
            expected(),
            "round {round} (delay {delay} ms, killed at {kill_at} ms, first run {status})"
        );
        sandbox.shutdown().await;
    }
    eprintln!(
        "{} runs, {killed} killed, {killed_mid_write} with a write the state file missed",
        runs.len()
    );
    assert!(killed >= runs.len() / 2, "only {killed} runs were killed");
    assert!(
        killed_mid_write > 0,
        "no kill fell between a write and the state update"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_dry_run_prints_the_writes_and_makes_none() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let config = settings_file(&sandbox, dir.path());
    let out = once(&config, &["--dry-run"]).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for lines in expected().values() {
        for line in lines.keys().filter(|l| l.starts_with("[pushbot")) {
            assert!(stdout.contains(line.as_str()), "{line} missing:\n{stdout}");
        }
    }
    let writes = sandbox
        .request_log()
        .iter()
        .filter(|r| r.method == "POST" || r.method == "PUT")
        .count();
    assert_eq!(writes, 0, "dry-run made a write");
    assert!(written(&sandbox).values().all(BTreeMap::is_empty));
    sandbox.shutdown().await;
}

/// The bot's markers on `bugs`, with how many comments carry each.
fn markers_on(sandbox: &SandboxHandle, bugs: &[u64]) -> BTreeMap<(u64, String), usize> {
    let mut out = BTreeMap::new();
    for &id in bugs {
        for marker in bot_markers(sandbox, id) {
            *out.entry((id, marker)).or_default() += 1;
        }
    }
    out
}

/// `pushbot run` on SIGTERM in the middle of a cycle's writes: it finishes
/// the write in progress, exits 0, and a later start completes the rest with
/// nothing written twice.
///
/// `run` decides at the machine's time, so this test files its own push
/// bugs two days ahead of it (unowned and that close: each is nagged at
/// once) on a sandbox running on real time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_stops_cleanly_on_sigterm_and_the_next_start_completes() {
    let data = SandboxData::from_toml_str(demo::DATA).unwrap();
    let sandbox = Sandbox::start(data, SandboxOptions::default())
        .await
        .unwrap();
    let day = (Utc::now() + chrono::Duration::days(2))
        .with_timezone(&chrono_tz::America::Los_Angeles)
        .format("%Y-%m-%d");
    let mut bugs: Vec<u64> = (801..=805).collect();
    for n in 0..6 {
        let body = serde_json::json!({
            "product": "Websites",
            "component": "Push",
            "summary": format!("Push Personas part {n}"),
            "version": "unspecified",
            "description": "Gallery update.",
            "whiteboard": format!("[push:personas] [push {day} 17:00]"),
        });
        bugs.push(
            sandbox
                .create_bug("personas-lead@example.test", &body)
                .unwrap(),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let config = settings_file(&sandbox, dir.path());
    sandbox.set_faults(FaultPlan::with_rules(slow_writes(150)));
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait for the first write to reach the sandbox.
    let mut waited = 0;
    while !sandbox.request_log().iter().any(|r| r.method == "POST") {
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
        assert!(waited < 3000, "the bot never wrote");
    }
    let pid = child.id().unwrap().to_string();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(term.success());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", out.status);
    assert!(stderr.contains("SIGTERM: shutting down"), "{stderr}");
    assert!(stderr.contains("shutdown: stopped"), "{stderr}");
    let partial = markers_on(&sandbox, &bugs);
    let nagged = |m: &BTreeMap<(u64, String), usize>| {
        bugs[5..]
            .iter()
            .filter(|id| m.contains_key(&(**id, "[pushbot no-owner nag-1]".to_string())))
            .count()
    };
    assert!(nagged(&partial) < 6, "stopped part-way: {partial:?}");

    sandbox.set_faults(FaultPlan::none());
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("--config")
        .arg(&config)
        .arg("once")
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let done = markers_on(&sandbox, &bugs);
    assert_eq!(nagged(&done), 6, "{done:?}");
    assert!(
        done.values().all(|n| *n == 1),
        "a marker posted twice: {done:?}"
    );
    assert!(partial.keys().all(|k| done.contains_key(k)));
    sandbox.shutdown().await;
}

/// `once` exit codes: 3 and no write when the cap stops the cycle, 0 with
/// `--no-limit`, 1 when Bugzilla cannot be read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_exit_codes_follow_the_readme() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let config = settings_file(&sandbox, dir.path());

    let capped = once(&config, &[])
        .env("PUSHBOT__POLL__MAX_WRITES_PER_CYCLE", "2")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&capped.stdout);
    assert_eq!(capped.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("ALERT: 4 writes planned in one cycle (one per bug)"),
        "{stdout}"
    );
    assert!(written(&sandbox).values().all(BTreeMap::is_empty));

    let lifted = once(&config, &["--no-limit"])
        .env("PUSHBOT__POLL__MAX_WRITES_PER_CYCLE", "2")
        .output()
        .await
        .unwrap();
    assert_eq!(
        lifted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&lifted.stdout)
    );
    assert_eq!(written(&sandbox), expected());

    // Every search fails: an outage.
    sandbox.set_faults(FaultPlan::with_rules(vec![FaultRule {
        route: Some("GET /rest/bug".to_string()),
        kind: FaultKind::ServerError { status: 503 },
        trigger: Trigger::Share(1.0),
    }]));
    let outage = once(&config, &[])
        .env("PUSHBOT__BUGZILLA__MAX_RETRIES", "0")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&outage.stdout);
    assert_eq!(outage.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("retrying next cycle"), "{stdout}");
    sandbox.shutdown().await;
}
