//! A sign-off counts only from who may give it, end to end on the sandbox
//! (the demo's week): anyone may set a flag whose type has no grant group
//! (recordings 117–118), so an outsider's `qa-signoff+` is read as missing,
//! said once on the bug, shown as such in the week report and by
//! `pushbot explain`, and left exactly as the outsider set it.

use std::process::Command;

use chrono::{DateTime, Utc};
use pushbot::demo::{Demo, DATA};
use serde_json::json;

const BOT: &str = "pushbot@example.test";
const OUTSIDER: &str = "sumo-dev@example.test";

fn t(local: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(local, "America/Los_Angeles".parse().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsiders_signoff_is_missing_said_once_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start_with(dir.path(), DATA, "").await.unwrap();
    demo.cycle_at(t("2026-11-30 09:00")).await;

    // A SUMO developer (not AMO's QA) grants AMO's qa-signoff.
    demo.sandbox.clock().set(t("2026-11-30 10:00"));
    demo.sandbox
        .update_bug(
            801,
            OUTSIDER,
            &json!({"flags": [{"name": "qa-signoff", "status": "+"}]}),
        )
        .unwrap();
    let report = demo.cycle_at(t("2026-11-30 10:05")).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let marker = "[pushbot signoff not-allowed-qa-signoff.sumo-dev-example.test]";
    let said: Vec<String> = demo
        .sandbox
        .comments(801)
        .into_iter()
        .filter(|c| c.creator == BOT && c.text.lines().any(|l| l.trim() == marker))
        .map(|c| c.text)
        .collect();
    assert_eq!(said.len(), 1);
    assert!(
        said[0].contains("qa-signoff set + by sumo-dev@example.test, who may not sign off for AMO"),
        "{}",
        said[0]
    );
    assert!(
        said[0].contains("webqa@example.test: please set it yourself"),
        "{}",
        said[0]
    );

    // The week report shows it missing, with why.
    let rules = pushbot::rules::RuleSet::from_sources(pushbot::demo::SHIPPED_RULES).unwrap();
    let decider = pushbot::bot::decider(&demo.settings, rules).unwrap();
    let week = pushbot::report::IsoWeekId::of_instant(t("2026-12-01 16:00"), decider.tz);
    let week = decider.week_report(demo.poller.snapshot(), week, t("2026-11-30 10:05"));
    let amo = week.pushes.iter().find(|p| p.bug.0 == 801).unwrap();
    let qa = amo
        .signoffs
        .iter()
        .find(|s| s.flag == "qa-signoff")
        .unwrap();
    assert_eq!(qa.state.to_string(), "missing");
    assert_eq!(
        qa.note.as_deref(),
        Some("set + by sumo-dev@example.test, who may not sign off for AMO")
    );
    let page = pushbot::report::html::render(&week, Some(t("2026-11-30 10:05"))).unwrap();
    assert!(
        page.contains("set + by sumo-dev@example.test, who may not sign off for AMO"),
        "the week view says why"
    );
    let markdown = pushbot::report::markdown::render(&week);
    assert!(
        markdown.contains(
            "qa-signoff missing (set + by sumo-dev@example.test, who may not sign off for AMO)"
        ),
        "{markdown}"
    );

    // Later cycles: not said again; the signoff request a day before asks
    // only the lead, and the outsider's flag stays as it is.
    let later = demo.cycle_at(t("2026-11-30 16:05")).await;
    assert!(later.errors.is_empty(), "{:?}", later.errors);
    let flags: Vec<(String, String, String)> = demo
        .sandbox
        .flags(801)
        .into_iter()
        .map(|f| (f.name, f.status.to_string(), f.setter))
        .collect();
    assert!(flags.contains(&(
        "qa-signoff".to_string(),
        "+".to_string(),
        OUTSIDER.to_string()
    )));
    assert!(flags.contains(&(
        "webdev-signoff".to_string(),
        "?".to_string(),
        BOT.to_string()
    )));
    assert_eq!(flags.len(), 2, "{flags:?}");
    let again = demo.cycle_at(t("2026-11-30 16:10")).await;
    assert_eq!(again.writes, 0);

    // `pushbot explain 801` says so too.
    let config = dir.path().join("pushbot.toml");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_pushbot"))
            .arg("--config")
            .arg(&config)
            .args(["explain", "801", "--now", "2026-11-30 16:10"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("QA missing: set + by sumo-dev@example.test, who may not sign off for AMO"),
        "{stdout}"
    );
}
