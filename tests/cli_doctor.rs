//! `pushbot doctor` against a wiremock Bugzilla: prints the version and the
//! login on success; on failure prints the error that says what to fix and
//! exits non-zero.

mod support;

use std::process::Output;

use serde_json::json;
use support::client::{login_answers, recorded, KEY};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn doctor(server: &MockServer, auth: &str, bot: &str) -> Output {
    doctor_with(server, auth, bot, "").await
}

async fn doctor_with(server: &MockServer, auth: &str, bot: &str, extra: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pushbot.toml");
    std::fs::write(
        &config,
        format!(
            "[bugzilla]\nurl = \"{}\"\napi_key = \"{KEY}\"\nauth = \"{auth}\"\nbot_login = \"{bot}\"\n{extra}",
            server.uri()
        ),
    )
    .unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("--config")
        .arg(&config)
        .arg("doctor")
        .env("RUST_LOG", "off")
        .output()
        .await
        .unwrap()
}

async fn stock_5_2(user: ResponseTemplate, valid: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/version"))
        .respond_with(recorded("01"))
        .mount(&server)
        .await;
    login_answers(&server, recorded("88"), user, valid).await;
    // The push query's cheap search (recording 144: no bug).
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .respond_with(recorded("144"))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn doctor_reports_version_and_login() {
    let server = stock_5_2(recorded("54"), recorded("57")).await;
    let out = doctor(&server, "query", "qa@example.test").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("PASS server: Bugzilla 5.2"), "{stdout}");
    assert!(
        stdout.contains("PASS key: valid, acts as qa@example.test"),
        "{stdout}"
    );
    // No push bug yet is a warning, not a failure.
    assert!(stdout.contains("WARN push query: finds no bug"), "{stdout}");
    assert!(!stdout.contains(KEY));
}

#[tokio::test]
async fn doctor_fails_with_what_to_fix() {
    let server = stock_5_2(
        recorded("65"),
        ResponseTemplate::new(200).set_body_json(json!({"result": false})),
    )
    .await;
    let out = doctor(&server, "header", "lead@example.test").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("FAIL key:"), "{stdout}");
    assert!(stdout.contains("bugzilla.auth = \"query\""), "{stdout}");
    assert!(!stdout.contains(KEY));
}

/// The bot's own groups (recording 54 lists them, as 138 does for the bot)
/// against `commands.insider_group`: a warning that says what private
/// commands need, never a failure.
#[tokio::test]
async fn doctor_says_whether_the_bot_is_an_insider() {
    let server = stock_5_2(recorded("54"), recorded("57")).await;
    let out = doctor(&server, "query", "qa@example.test").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("insider: not checked; the bot is in: bz_canusewhines, editbugs."),
        "{stdout}"
    );

    let out = doctor_with(
        &server,
        "query",
        "qa@example.test",
        "[commands]\ninsider_group = \"websites-security\"\n",
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "a warning does not fail: {stdout}");
    assert!(
        stdout.contains("insider: NO, warning: the bot is not in `websites-security`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("never answers commands written in them"),
        "{stdout}"
    );

    let out = doctor_with(
        &server,
        "query",
        "qa@example.test",
        "[commands]\ninsider_group = \"editbugs\"\n",
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("insider: yes (in `editbugs`)"), "{stdout}");
}

/// BMO's `GET /rest/webhooks/list` (REST.md §10): an enabled webhook
/// passes while `[webhook]` is on (and warns while it is off), a disabled one (BMO disables a webhook whose deliveries keep
/// failing) is a warning that says polling carries everything meanwhile.
#[tokio::test]
async fn doctor_warns_about_a_disabled_webhook() {
    let server = stock_5_2(recorded("54"), recorded("57")).await;
    Mock::given(method("GET"))
        .and(path("/rest/webhooks/list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"webhooks": [
            {"id": 7, "creator": "qa@example.test", "name": "pushbot", "url": "https://pushbot.example.org/bugzilla/webhook",
             "event": "create,change,comment", "product": "Websites", "component": "Push", "enabled": false, "errors": 100},
            {"id": 8, "creator": "qa@example.test", "name": "pushbot-other", "url": "https://pushbot.example.org/bugzilla/webhook",
             "event": "comment", "product": "Websites", "component": "Any", "enabled": true, "errors": 0}
        ]})))
        .mount(&server)
        .await;
    let on = "[webhook]\nenabled = true\nsecret = \"a-secret-of-sixteen-or-more\"\n";
    let out = doctor_with(&server, "query", "qa@example.test", on).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "a warning does not fail: {stdout}");
    assert!(
        stdout.contains("WARN webhooks: `pushbot` is disabled"),
        "{stdout}"
    );
    assert!(
        stdout.contains("polling still carries everything"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PASS webhooks: `pushbot-other` enabled"),
        "{stdout}"
    );

    // With `[webhook]` off, the enabled one's deliveries find no endpoint.
    let out = doctor(&server, "query", "qa@example.test").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "a warning does not fail: {stdout}");
    assert!(
        stdout.contains("WARN webhooks: `pushbot-other` is enabled but `webhook.enabled` is off"),
        "{stdout}"
    );
}
