//! A real browser loads the week view from a running port-0 server: headless
//! Chromium dumps the DOM (checked for the pushes and the conflict marks)
//! and saves a screenshot (`$CARGO_TARGET_TMPDIR/week-view.png`, or the
//! file named by `PUSHBOT_SCREENSHOT`). Both tests need `/usr/bin/chromium`, so they are
//! ignored by the README's test command and run when asked:
//! `cargo test --test week_view_browser -- --ignored` (`.ci/run` installs
//! Chromium and runs them).
//!
//! The second test runs the real thing: a `pushbot serve` process (the
//! binary) against a sandbox seeded with the meeting's week, port 0 learnt
//! from `--print-addr`; its screenshot goes to
//! `$CARGO_TARGET_TMPDIR/week-view-serve.png` or `PUSHBOT_SERVE_SCREENSHOT`
//! (that is `docs/week-view.png`).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use pushbot::web::{self, CycleResult, WebData, WebState};
use support::binary::{sigterm, write_shipped_rules};
use support::week::*;

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

/// Where the screenshot goes: the file named by `$var`, else `name` in
/// `$CARGO_TARGET_TMPDIR`. Any old one is removed first.
fn screenshot_path(var: &str, name: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join(name));
    let _ = std::fs::remove_file(&path);
    path
}

/// Loads `url` twice, each in a fresh profile: once dumping the DOM, once
/// saving a screenshot to `screenshot`.
async fn dom_and_screenshot(url: String, screenshot: PathBuf) -> (Output, Output) {
    tokio::task::spawn_blocking(move || {
        let profile = tempfile::tempdir().unwrap();
        let dom = chromium(profile.path(), &["--dump-dom", &url]);
        let profile = tempfile::tempdir().unwrap();
        let shot_arg = format!("--screenshot={}", screenshot.display());
        let shot = chromium(profile.path(), &[&shot_arg, &url]);
        (dom, shot)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium; run with: cargo test --test week_view_browser -- --ignored (.ci/run does)"]
async fn chromium_renders_the_week_view() {
    let mut data = WebData::default();
    data.insert_report(meeting_week());
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

    let screenshot = screenshot_path("PUSHBOT_SCREENSHOT", "week-view.png");
    let (dom, shot) = dom_and_screenshot(url, screenshot.clone()).await;
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

/// Settings for a `pushbot serve` process against the test's sandbox.
fn serve_settings(dir: &Path, base_url: &str, key: &str) -> PathBuf {
    let rules = write_shipped_rules(dir);
    let settings = format!(
        r#"
[bugzilla]
url = "{base_url}"
api_key = "{key}"
bot_login = "{bot}"
rate_limit_per_minute = 60000

[query]
product = ["Websites"]
component = ["Push"]

[team]
time_zone = "America/Los_Angeles"

[state]
path = "{state}"

[rules]
dir = "{rules}"

[web]
listen = "127.0.0.1:0"

[push]
default_accounts = ["nobody@example.test"]
"#,
        bot = pushbot::demo::BOT_LOGIN,
        state = dir.join("pushbot.sqlite").display(),
        rules = rules.display(),
    );
    let path = dir.join("pushbot.toml");
    std::fs::write(&path, settings).unwrap();
    path
}

/// Stops the `pushbot serve` process (our own child) with SIGTERM, the way
/// a service manager does, and waits for it.
struct ServeProcess(std::process::Child);

impl Drop for ServeProcess {
    fn drop(&mut self) {
        sigterm(&self.0);
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium; run with: cargo test --test week_view_browser -- --ignored (.ci/run does)"]
async fn chromium_renders_the_week_view_of_a_running_pushbot_serve() {
    use std::io::BufRead;

    // Tue 1 Dec 2026 12:00 PST.
    let now = utc(2026, 12, 1, 20, 0);
    let sandbox = pushbot::demo::start_sandbox(pushbot::demo::DATA, now)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = sandbox.api_key(pushbot::demo::BOT_LOGIN).unwrap();
    let config = serve_settings(dir.path(), &sandbox.base_url(), &key);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("--config")
        .arg(&config)
        .args(["serve", "--print-addr", "--now", "2026-12-01T20:00:00Z"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let process = ServeProcess(child);
    let addr = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        line
    })
    .await
    .unwrap();
    let base = addr
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| {
            panic!(
                "no address line from pushbot serve: {addr:?}; its log:\n{}",
                std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default()
            )
        })
        .to_string();

    // Wait for the first read-only cycle to fill the page.
    let started = Instant::now();
    loop {
        let week = reqwest::get(format!("{base}/week/2026-W49.json"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if week.contains("\"bug\":801") || week.contains("\"bug\": 801") {
            break;
        }
        assert!(
            started.elapsed() < BROWSER_GIVE_UP,
            "pushbot serve never showed the pushes: {week}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let screenshot = screenshot_path("PUSHBOT_SERVE_SCREENSHOT", "week-view-serve.png");
    let (dom, shot) = dom_and_screenshot(format!("{base}/"), screenshot.clone()).await;
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    drop(process);
    // Read-only: the serve process never wrote to Bugzilla.
    for bug in 801..=805 {
        assert!(
            sandbox
                .comments(bug)
                .iter()
                .all(|c| !c.text.contains("[pushbot ")),
            "bug {bug} got a bot comment from a read-only server"
        );
    }
    sandbox.shutdown().await;

    assert!(
        dom.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Pushes · 2026-W49"), "{dom}");
    for bug in 801..=805 {
        assert!(
            dom.contains(&format!("id=\"bug-{bug}\"")),
            "bug {bug} not in the DOM"
        );
    }
    // AMO and SUMO collide (2 large), and four releases exceed the week's
    // three; Input on Monday 14:00 is outside the window.
    assert_eq!(dom.matches("class=\"push large flagged\"").count(), 2);
    assert_eq!(dom.matches("class=\"push small flagged\"").count(), 2);
    assert_eq!(dom.matches("class=\"push content-only\"").count(), 1);
    assert_eq!(dom.matches("<li class=\"conflict\">").count(), 6, "{dom}");
    assert_eq!(dom.matches("<li class=\"warning\">").count(), 1, "{dom}");
    assert!(dom.contains("2 large releases in 2026-W49 (limit 1): bug 801, bug 802"));
    assert!(dom.contains("Tue · today"));
    assert!(
        metrics.contains("pushbot_cycles_total 1") || metrics.contains("pushbot_cycles_total 2")
    );

    assert!(
        shot.status.success(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
}
