//! `cargo bench --bench failover`: two `pushbot run` replicas on one
//! PostgreSQL and one sandbox; the writer is SIGKILLed while the sandbox
//! holds its first write; reported: the time from the kill to the new
//! writer taking the lease and to its first write (median and worst of
//! 20 rounds), next to the configured bounds. Prints a Markdown table for
//! docs/performance.md. Needs Debian's PostgreSQL 15 (as
//! `tests/failover.rs`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pushbot::demo;
use pushbot::sandbox::{
    FaultPlan, Sandbox, SandboxClock, SandboxData, SandboxHandle, SandboxOptions,
};

#[allow(dead_code, reason = "the tests use the rest")]
#[path = "../tests/support/ledger.rs"]
mod ledger;
#[allow(dead_code, reason = "the tests use the rest")]
#[path = "../tests/support/output.rs"]
mod output;
#[allow(dead_code, reason = "the tests use the rest")]
#[path = "../tests/support/pg.rs"]
mod pg;

#[allow(dead_code, reason = "the other benches use the rest")]
mod support;

use output::Lines;

/// Rounds of a full run; a quick run (`PUSHBOT_BENCH_QUICK`, as CI runs
/// it) makes 3.
const ROUNDS: usize = 20;
const NOW: &str = "2026-11-30 09:00";

/// The timing: the defaults but for a 3 s write timeout and 6,000
/// requests a minute (stop bound 3 s, grace 7 s).
const ENV: &[(&str, &str)] = &[
    ("PUSHBOT__POLL__INTERVAL_SECS", "1"),
    ("PUSHBOT__BUGZILLA__TIMEOUT_SECS", "3"),
    ("PUSHBOT__BUGZILLA__RATE_LIMIT_PER_MINUTE", "6000"),
    ("PUSHBOT__WEB__ENABLED", "false"),
];

fn now() -> DateTime<Utc> {
    pushbot::clock::parse_now(NOW, chrono_tz::America::Los_Angeles).unwrap()
}

fn settings_file(base_url: &str, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        demo::settings_text(base_url, &dir.join(format!("{name}.sqlite"))),
    )
    .unwrap();
    path
}

fn replica(config: &Path, url: &str) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("--config")
        .arg(config)
        .args(["--log-format", "json", "run", "--now", NOW])
        .env("PUSHBOT__STATE__BACKEND", "postgres")
        .env("PUSHBOT__STATE__URL", url)
        .env("RUST_LOG", "info")
        .envs(ENV.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

async fn sandbox() -> SandboxHandle {
    let sandbox = Sandbox::start(
        SandboxData::from_toml_str(demo::DATA).unwrap(),
        SandboxOptions {
            clock: SandboxClock::fixed(now()),
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap();
    sandbox.set_faults(FaultPlan::with_rules(ledger::held_writes()));
    sandbox
}

/// One round: seconds from the kill to the lease taken and to the first
/// write.
async fn round(pg: &pg::Postgres, n: usize) -> (f64, f64) {
    pg.psql(&format!("CREATE DATABASE round{n}"));
    let url = format!("postgres://postgres@127.0.0.1:{}/round{n}", pg.port);
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = replica(&settings_file(&sandbox.base_url(), dir.path(), "a"), &url);
    let a_log = Lines::read(a.stderr.take().unwrap());
    a_log.wait_for("took the lease").await;
    let mut b = replica(&settings_file(&sandbox.base_url(), dir.path(), "b"), &url);
    let b_log = Lines::read(b.stderr.take().unwrap());
    b_log.wait_for("cycle").await;
    sandbox.wait_late_writes_accepted(1).await;
    let killed = Utc::now();
    a.start_kill().unwrap();
    let _ = a.wait().await;
    sandbox.set_faults(FaultPlan::none());
    sandbox.land_late_writes().await;
    b_log.wait_for("lease confirmed; writing").await;
    let text = b_log.text();
    // The first of each line (the new writer's first write).
    let secs =
        |t: Option<DateTime<Utc>>| (t.expect("logged") - killed).num_milliseconds() as f64 / 1000.0;
    let took = secs(output::times_of(&text, "took the lease").first().copied());
    let wrote = secs(
        output::times_of(&text, "lease confirmed; writing")
            .first()
            .copied(),
    );
    b.start_kill().unwrap();
    let _ = b.wait().await;
    sandbox.shutdown().await;
    (took, wrote)
}

fn median_and_worst(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let median = if v.len().is_multiple_of(2) {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    } else {
        v[v.len() / 2]
    };
    (median, v[v.len() - 1])
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pg = pg::Postgres::start("127.0.0.1");
        let mut took = Vec::new();
        let mut wrote = Vec::new();
        let rounds = support::sized(ROUNDS, 3);
        for n in 0..rounds {
            let (t, w) = round(&pg, n).await;
            eprintln!("round {n}: lease taken {t:.2} s, first write {w:.2} s after the kill");
            took.push(t);
            wrote.push(w);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let lease = pushbot::lease::LeaseSettings::default();
        let bugzilla: pushbot::bugzilla::BugzillaSettings = toml::from_str(
            "url = \"http://127.0.0.1\"\nbot_login = \"b@example.test\"\ntimeout_secs = 3\nrate_limit_per_minute = 6000",
        )
        .unwrap();
        let b = lease.bounds(&bugzilla);
        let (tm, tw) = median_and_worst(took);
        let (wm, ww) = median_and_worst(wrote);
        println!(
            "Writer SIGKILLed mid-write, {rounds} rounds (seconds after the kill; {}):\n",
            support::build()
        );
        support::quick_notice();
        println!("| | median | worst | bound |");
        println!("|---|---:|---:|---:|");
        println!("| standby takes the lease | {tm:.2} | {tw:.2} | ≤ {} (retry + confirm; a killed session is freed at once) |", lease.retry_secs + lease.confirm_timeout_secs);
        println!("| new writer's first write | {wm:.2} | {ww:.2} | ≥ {} (grace), ≤ {} (takeover bound) |", b.grace, b.takeover);
        println!("\nBounds: stop {} s (confirm {} + pacing {}), write timeout {} s, grace {} s, detection {} s, takeover {} s.", b.stop, lease.confirm_timeout_secs, b.pacing, b.write, b.grace, b.detection, b.takeover);
    });
}
