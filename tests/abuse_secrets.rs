//! The API key in no page, metric or log line of the running bot: `pushbot
//! run` (debug logging) against the demo's sandbox serves every page after
//! a real cycle, and neither the pages nor `/metrics` nor the log nor
//! `pushbot doctor`'s output holds the key. (The client's errors and debug
//! output are covered by `tests/client_secrets.rs`.)

mod support;

use support::binary::{terminate, write_shipped_rules};

use pushbot::demo::Demo;

const DEMO_KEY: &str = "demo-pushbot-key-000000000000000000000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_in_no_page_metric_or_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(dir.path()).await.unwrap();
    let rules = write_shipped_rules(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let demo_settings = std::fs::read_to_string(dir.path().join("pushbot.toml")).unwrap();
    assert!(
        demo_settings.contains(DEMO_KEY),
        "the bot really has the key"
    );
    let config = dir.path().join("run.toml");
    std::fs::write(
        &config,
        format!(
            "{demo_settings}\n[rules]\ndir = \"{}\"\n\n[web]\nlisten = \"127.0.0.1:{port}\"\n",
            rules.display()
        ),
    )
    .unwrap();
    let log = dir.path().join("run.log");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("RUST_LOG", "debug")
        .stdout(std::fs::File::create(dir.path().join("run.out")).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    // Wait for the first cycle (a guard against a hang, not a timing).
    let started = std::time::Instant::now();
    loop {
        if let Ok(answer) = client.get(format!("{base}/metrics")).send().await {
            if !answer
                .text()
                .await
                .unwrap()
                .contains("pushbot_cycles_total 0")
            {
                break;
            }
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "pushbot run never served a cycle"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut texts = Vec::new();
    for page in [
        "/",
        "/week/2026-W49",
        "/week/2026-W49.json",
        "/week/2026-W49.md",
        "/calendar.ics",
        "/healthz",
        "/metrics",
        "/no-such-page",
    ] {
        let answer = client.get(format!("{base}{page}")).send().await.unwrap();
        texts.push((page.to_string(), answer.text().await.unwrap()));
    }
    let status = terminate(child);
    assert!(status.success(), "{status}");
    texts.push((
        "run.log".to_string(),
        std::fs::read_to_string(&log).unwrap(),
    ));
    texts.push((
        "run.out".to_string(),
        std::fs::read_to_string(dir.path().join("run.out")).unwrap(),
    ));
    let doctor = std::process::Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("--config")
        .arg(&config)
        .arg("doctor")
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    texts.push((
        "doctor".to_string(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&doctor.stdout),
            String::from_utf8_lossy(&doctor.stderr)
        ),
    ));
    assert!(
        texts[0].1.contains("2026-W49") && texts[8].1.contains("DEBUG"),
        "the pages and the debug log were really read"
    );
    for (what, text) in &texts {
        assert!(!text.contains(DEMO_KEY), "the key is in {what}");
        assert!(
            !text.contains("demo-pushbot-key"),
            "part of the key is in {what}"
        );
    }
    drop(demo);
}
