//! The API key in no page, metric or log line of the running bot: `pushbot
//! run` (debug logging) against the demo's sandbox serves every page after
//! a real cycle, and neither the pages nor `/metrics` nor the log nor
//! `pushbot doctor`'s output holds the key. (The client's errors and debug
//! output are covered by `tests/client_secrets.rs`.)

mod support;

use support::binary::{start_run, terminate};

use pushbot::demo::Demo;

const DEMO_KEY: &str = "demo-pushbot-key-000000000000000000000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_in_no_page_metric_or_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(dir.path()).await.unwrap();
    let demo_settings = std::fs::read_to_string(dir.path().join("pushbot.toml")).unwrap();
    assert!(
        demo_settings.contains(DEMO_KEY),
        "the bot really has the key"
    );
    let bot = start_run(dir.path(), &[("RUST_LOG", "debug")]).await;
    let (base, config, log) = (bot.base.clone(), bot.config.clone(), bot.log.clone());
    let client = reqwest::Client::new();
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
    let status = terminate(bot.child);
    assert!(status.success(), "{status}");
    texts.push((
        "run.log".to_string(),
        std::fs::read_to_string(&log).unwrap(),
    ));
    texts.push((
        "run.out".to_string(),
        std::fs::read_to_string(&bot.out).unwrap(),
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
