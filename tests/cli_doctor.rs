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
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pushbot.toml");
    std::fs::write(
        &config,
        format!(
            "[bugzilla]\nurl = \"{}\"\napi_key = \"{KEY}\"\nauth = \"{auth}\"\nbot_login = \"{bot}\"\n",
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
    assert!(stdout.contains("server version: 5.2"), "{stdout}");
    assert!(
        stdout.contains("login: ok, the key acts as qa@example.test"),
        "{stdout}"
    );
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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("bugzilla.auth = \"query\""), "{stderr}");
    assert!(!stderr.contains(KEY));
}
