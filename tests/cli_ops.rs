//! The operations commands as a user runs them: `pushbot --version`,
//! `pushbot completions SHELL`, `pushbot healthcheck` (the container's
//! health check) against a `/healthz` that answers 200, 503 or nothing.

use std::process::{Command, Output};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn pushbot(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pushbot"));
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let out = pushbot(&["--version"], &[]);
    assert!(out.status.success());
    let text = stdout(&out);
    let commit = text
        .trim()
        .strip_prefix(concat!("pushbot ", env!("CARGO_PKG_VERSION"), " (commit "))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected version line: {text}"));
    assert!(!commit.is_empty(), "{text}");
    // Built from a git checkout (as here and in CI): a real hash.
    if std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".git")
        .exists()
    {
        assert!(
            commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
            "{text}"
        );
    }
}

#[test]
fn completions_cover_every_subcommand_in_each_shell() {
    let subcommands = [
        "doctor",
        "sandbox",
        "rules",
        "explain",
        "once",
        "demo",
        "run",
        "summary",
        "serve",
        "healthcheck",
        "completions",
    ];
    for (shell, marker) in [
        ("bash", "complete -F _pushbot"),
        ("zsh", "#compdef pushbot"),
        ("fish", "complete -c pushbot"),
    ] {
        let out = pushbot(&["completions", shell], &[]);
        assert!(out.status.success(), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        for sub in subcommands {
            assert!(script.contains(sub), "{shell}: `{sub}` missing");
        }
    }
    let out = pushbot(&["completions", "tcsh"], &[]);
    assert!(!out.status.success());
}

#[tokio::test]
async fn healthcheck_exits_zero_only_when_healthz_answers_200() {
    let healthy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/healthz"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"status":"ok"}"#))
        .mount(&healthy)
        .await;
    let sick = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/healthz"))
        .respond_with(
            ResponseTemplate::new(503).set_body_string(r#"{"status":"failing","reason":"outage"}"#),
        )
        .mount(&sick)
        .await;
    let url = |server: &MockServer| format!("{}/healthz", server.uri());

    let out = pushbot(&["healthcheck", "--url", &url(&healthy)], &[]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("healthy:"));

    let out = pushbot(&["healthcheck", "--url", &url(&sick)], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("503"), "{}", stdout(&out));
    assert!(stdout(&out).contains("outage"), "{}", stdout(&out));

    // Nothing listening: unhealthy, and the message says what to check.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = pushbot(
        &[
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{port}/healthz"),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("web.listen"), "{}", stdout(&out));
}

#[tokio::test]
async fn healthcheck_asks_web_listen_from_the_settings() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/healthz"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pushbot.toml");
    std::fs::write(
        &config,
        pushbot::demo::settings_text("http://127.0.0.1:9", &dir.path().join("state.sqlite")),
    )
    .unwrap();
    let listen = server.address().to_string();
    let config = config.to_str().unwrap();
    let out = pushbot(
        &["--config", config, "healthcheck"],
        &[("PUSHBOT__WEB__LISTEN", &listen)],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains(&listen), "{}", stdout(&out));

    let out = pushbot(
        &["--config", config, "healthcheck"],
        &[("PUSHBOT__WEB__ENABLED", "false")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("web.enabled = false"));
}
