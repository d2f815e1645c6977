//! The bot process killed (SIGKILL) at every point of a cycle with pending
//! writes, then restarted: in the end every expected comment exists exactly
//! once and each flag is requested once. Also `once --dry-run` through the
//! binary: the writes on stdout, none in the sandbox.
//!
//! The sandbox runs in this test's process; the bot is the real `pushbot`
//! binary (`once`) with a settings file in a temporary directory.
//!
//! How the kills are timed: not at all. The sandbox holds a request
//! (`FaultKind::LateWrite` with `Landing::WhenLanded`) and tells the test
//! (`wait_late_writes_accepted`), so each kill lands while the search or
//! the n-th write is in flight by construction; the write lands after the
//! process is gone. The SIGTERM test holds the first write the same way
//! and lets it finish only after the bot's `SIGTERM: shutting down` line.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use chrono::{DateTime, Utc};
use pushbot::demo::{self, BOT_LOGIN};
use pushbot::sandbox::{
    FaultKind, FaultPlan, FaultRule, LostAnswer, Sandbox, SandboxData, SandboxHandle,
    SandboxOptions, Trigger,
};
use pushbot::store::{Outcome, Store};

mod support;
use support::ledger::{counted, first_cycle, held, held_writes, WRITE_ROUTES};
use support::output::Lines;

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

/// Every write is applied and its answer lost.
fn lost_answers() -> Vec<FaultRule> {
    WRITE_ROUTES
        .iter()
        .map(|route| FaultRule {
            route: Some((*route).to_string()),
            kind: FaultKind::LostResponse {
                then: LostAnswer::Drop,
            },
            trigger: Trigger::Share(1.0),
        })
        .collect()
}

/// Where the first run of a round is killed.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// While its first search is held: nothing is written yet.
    Reading,
    /// While its `n`-th write (from 1) is held by the sandbox: the writes
    /// before it are made and recorded, this one is accepted and lands
    /// after the process is gone, so the state file misses it.
    Writing(u64),
    /// Once its `n`-th write was applied and the answer lost: the bot is
    /// in its settle wait (10 s) before re-reading the bug.
    AnswerLost(u64),
}

/// The writes of the first cycle (one per bug that gets one).
const WRITES: u64 = 4;

/// Drives the sandbox until the bot of `child` is at `point`: lands the
/// writes before it one by one, each time waiting until the sandbox holds
/// the next one. Panics if the process ends first.
async fn reach(sandbox: &SandboxHandle, child: &mut tokio::process::Child, point: KillPoint) {
    let drive = async {
        match point {
            KillPoint::Reading => sandbox.wait_late_writes_accepted(1).await,
            KillPoint::Writing(n) => {
                for before in 1..n {
                    sandbox.wait_late_writes_accepted(before).await;
                    sandbox.land_late_writes().await;
                }
                sandbox.wait_late_writes_accepted(n).await;
            }
            KillPoint::AnswerLost(n) => {
                for before in 1..n {
                    sandbox.wait_late_writes_accepted(before).await;
                    if before == n - 1 {
                        // Decided before it lands: the next write is lost.
                        sandbox.set_faults(FaultPlan::with_rules(lost_answers()));
                    }
                    sandbox.land_late_writes().await;
                }
                sandbox
                    .wait_for_requests(|log| {
                        log.iter()
                            .any(|r| matches!(r.fault, Some(FaultKind::LostResponse { .. })))
                    })
                    .await;
            }
        }
    };
    tokio::select! {
        () = drive => {}
        status = child.wait() => panic!("{point:?}: the bot ended ({status:?}) before it got there"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_any_point_and_restarted_every_write_happens_once() {
    let mut runs = vec![KillPoint::Reading];
    runs.extend((1..=WRITES).map(KillPoint::Writing));
    runs.extend((1..=WRITES).map(KillPoint::AnswerLost));
    let mut killed_mid_write = 0;
    let mut killed = 0;
    for (round, &point) in runs.iter().enumerate() {
        let sandbox = sandbox().await;
        let dir = tempfile::tempdir().unwrap();
        let config = settings_file(&sandbox, dir.path());
        sandbox.set_faults(FaultPlan::with_rules(match point {
            KillPoint::Reading => vec![held("GET /rest/bug")],
            KillPoint::Writing(_) => held_writes(),
            KillPoint::AnswerLost(1) => lost_answers(),
            KillPoint::AnswerLost(_) => held_writes(),
        }));
        let mut child = once(&config, &[]).spawn().unwrap();
        reach(&sandbox, &mut child, point).await;
        if child.try_wait().unwrap().is_none() {
            child.start_kill().unwrap();
            killed += 1;
        }
        let status = child.wait().await.unwrap();
        // A request the dead process left held lands now, before the
        // restart reads the bugs.
        sandbox.set_faults(FaultPlan::none());
        sandbox.land_late_writes().await;
        let (landed, recorded) = (
            marked_comments(&sandbox),
            recorded_posts(&dir.path().join("state.sqlite")),
        );
        if landed > recorded {
            killed_mid_write += 1;
        }

        // Restart until a run completes.
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
            counted(&sandbox),
            first_cycle(),
            "round {round} (killed at {point:?}, first run {status})"
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
    for lines in first_cycle().values() {
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
    assert!(counted(&sandbox).values().all(BTreeMap::is_empty));
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
    sandbox.set_faults(FaultPlan::with_rules(held_writes()));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pushbot"))
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
    let stderr = Lines::read(child.stderr.take().unwrap());
    // The first write is held by the sandbox: the bot is mid-write.
    tokio::select! {
        () = sandbox.wait_late_writes_accepted(1) => {}
        status = child.wait() => panic!("the bot ended ({status:?}) before writing:\n{}", stderr.text()),
    }
    let pid = child.id().unwrap().to_string();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(term.success());
    // Only once it has taken the signal does the write in progress end;
    // any later write would go straight through.
    stderr.wait_for("SIGTERM: shutting down").await;
    sandbox.set_faults(FaultPlan::none());
    sandbox.land_late_writes().await;
    let status = child.wait().await.unwrap();
    let stderr = stderr.finish().await;
    assert!(status.success(), "{status}: {stderr}");
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
    assert!(counted(&sandbox).values().all(BTreeMap::is_empty));

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
    assert_eq!(counted(&sandbox), first_cycle());

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
