//! `pushbot run --now TIME --dry-run`: the daemon rehearses a moment (the
//! demo week's Monday morning) against a sandbox: it decides as of that
//! time, prints the writes it would make, and writes nothing.
//!
//! It waits for the bot's own `cycle done` log line before stopping it,
//! never for a fixed time.

#![cfg(unix)]

use std::process::Stdio;

use pushbot::demo;
use pushbot::sandbox::{Sandbox, SandboxClock, SandboxData, SandboxOptions};

mod support;
use support::output::Lines;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_rehearses_monday_morning_without_writing() {
    let monday =
        pushbot::clock::parse_now("2026-11-30 09:00", chrono_tz::America::Los_Angeles).unwrap();
    let data = SandboxData::from_toml_str(demo::DATA).unwrap();
    let sandbox = Sandbox::start(
        data,
        SandboxOptions {
            clock: SandboxClock::starting_at(monday),
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pushbot.toml");
    let text = demo::settings_text(&sandbox.base_url(), &dir.path().join("state.sqlite"));
    std::fs::write(&config, format!("{text}\n[web]\nenabled = false\n")).unwrap();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("--config")
        .arg(&config)
        .args(["run", "--dry-run", "--now", "2026-11-30 09:00"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = Lines::read(child.stdout.take().unwrap());
    let stderr = Lines::read(child.stderr.take().unwrap());
    // The first cycle is over (its dry-run writes printed) when it says so.
    stderr.wait_for("cycle done").await;
    let pid = child.id().unwrap().to_string();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().await.unwrap();
    let stdout = stdout.finish().await;
    let stderr = stderr.finish().await;
    assert!(status.success(), "{status}: {stderr}");
    // As of Monday 09:00 the day before Input's 14:00 push has begun: the
    // sign-off request is due (it is not due before Sunday 14:00).
    assert!(
        stdout.contains("[pushbot signoff request-2026-11-30]"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("[pushbot push-window 2026-11-30T14:00]"),
        "{stdout}"
    );
    let writes = sandbox
        .request_log()
        .iter()
        .filter(|r| r.method == "POST" || r.method == "PUT")
        .count();
    assert_eq!(writes, 0, "a dry-run rehearsal writes nothing");
    // `web.enabled = false`: no web server was started.
    assert!(!stderr.contains("web server listening"), "{stderr}");
}
