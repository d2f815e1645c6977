//! A real browser loads the week view from a running port-0 server: headless
//! Chromium dumps the DOM (checked for the pushes and the conflict marks)
//! and saves a screenshot (`$CARGO_TARGET_TMPDIR/week-view.png`, or the
//! file named by `PUSHBOT_SCREENSHOT`). `.ci/run` installs Chromium.

mod week_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use pushbot::web::{self, CycleResult, WebData, WebState};
use week_support::*;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Only a guard against a hung browser, not a timed assertion.
const BROWSER_GIVE_UP: Duration = Duration::from_secs(120);

fn chromium(profile: &Path, args: &[&str]) -> Output {
    let profile_arg = format!("--user-data-dir={}", profile.display());
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1400,900",
            &profile_arg,
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMIUM} ({e}); install it: apt-get install -y chromium (.ci/run does)"));
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > BROWSER_GIVE_UP {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "chromium hung; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_the_week_view() {
    let mut data = WebData::default();
    let report = meeting_week();
    data.reports_by_week.insert(report.week, report);
    data.record_cycle(utc(2026, 12, 1, 19, 55), CycleResult::Ok);
    let state = WebState::new(
        Arc::new(RwLock::new(data)),
        chrono_tz::America::Los_Angeles,
        Duration::from_secs(300),
        // Tue 1 Dec 2026 12:00 PST.
        Arc::new(|| utc(2026, 12, 1, 20, 0)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let screenshot: PathBuf = std::env::var_os("PUSHBOT_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("week-view.png"));
    let _ = std::fs::remove_file(&screenshot);
    let (dom, shot) = tokio::task::spawn_blocking({
        let url = url.clone();
        let screenshot = screenshot.clone();
        move || {
            let profile = tempfile::tempdir().unwrap();
            let dom = chromium(profile.path(), &["--dump-dom", &url]);
            let profile = tempfile::tempdir().unwrap();
            let shot_arg = format!("--screenshot={}", screenshot.display());
            let shot = chromium(profile.path(), &[&shot_arg, &url]);
            (dom, shot)
        }
    })
    .await
    .unwrap();
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    assert!(
        dom.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Pushes · 2026-W49"), "{dom}");
    for bug in 1001..=1006 {
        assert!(
            dom.contains(&format!("id=\"bug-{bug}\"")),
            "bug {bug} not in the DOM"
        );
    }
    // The browser parsed the blocks as elements with the conflict marks.
    assert_eq!(
        dom.matches("class=\"push large flagged\"").count(),
        2,
        "{dom}"
    );
    assert_eq!(dom.matches("<li class=\"conflict\">").count(), 2, "{dom}");
    assert_eq!(dom.matches("<li class=\"warning\">").count(), 1, "{dom}");
    assert!(dom.contains("Tue · today"));

    assert!(
        shot.status.success(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 10_000,
        "suspiciously small screenshot ({} bytes)",
        png.len()
    );
}
