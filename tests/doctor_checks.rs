//! `pushbot doctor` against the sandbox (the demo's Bugzilla): every check
//! passes on the demo's settings, and each failing check fails with what
//! to do: an unreachable URL, not a Bugzilla, a bad key, the key of
//! another account, a missing flag type, the bot outside a group the
//! settings name, an unknown lead, a missing, closed or restricted
//! tracking bug.

use std::path::Path;
use std::process::Output;

use pushbot::demo::{self, DATA};
use pushbot::sandbox::SandboxHandle;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `pushbot doctor` with the demo's settings for `url` (edited by `edit`)
/// and `env` overrides, run from the repository (its `rules/`).
fn doctor(url: &str, edit: impl Fn(String) -> String, env: &[(&str, &str)]) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pushbot.toml");
    let text = edit(demo::settings_text(url, &dir.path().join("state.sqlite")));
    std::fs::write(&config, text).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pushbot"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config", config.to_str().unwrap(), "doctor"])
        .env("RUST_LOG", "off");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

fn same(text: String) -> String {
    text
}

async fn sandbox() -> SandboxHandle {
    demo::start_sandbox(DATA, demo::start_time().unwrap())
        .await
        .unwrap()
}

fn failed(out: &Output, stdout: &str, line: &str) {
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL") && l.contains(line)),
        "no FAIL line with `{line}`:\n{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_check_passes_on_the_demo_settings() {
    let sandbox = sandbox().await;
    let (out, stdout) = doctor(&sandbox.base_url(), same, &[]);
    assert!(out.status.success(), "{stdout}");
    for line in [
        "PASS rules: 6 rule files",
        "PASS server: Bugzilla 5.2",
        "PASS key: valid, acts as pushbot@example.test",
        "PASS push query: finds push bugs the bot can see",
        "PASS flag types: `webdev-signoff` on Websites/Push",
        "PASS flag types: `needinfo` on Websites/Push",
        "PASS groups: the bot is in `editbugs`",
        "PASS accounts:",
        "PASS webhooks: not available on this server",
        "0 failed",
    ] {
        assert!(stdout.contains(line), "`{line}` missing:\n{stdout}");
    }
    assert!(!stdout.contains(demo::BOT_LOGIN.replace('@', "-key").as_str()));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_url_and_a_server_that_is_not_a_bugzilla_fail_the_server_check() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (out, stdout) = doctor(&format!("http://127.0.0.1:{port}"), same, &[]);
    failed(&out, &stdout, "server: http://127.0.0.1:");
    assert!(stdout.contains("check `bugzilla.url`"), "{stdout}");
    // Nothing else is asked without a server.
    assert!(!stdout.contains("key:"), "{stdout}");

    let web = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/version"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body>Welcome to our intranet</body></html>"),
        )
        .mount(&web)
        .await;
    let (out, stdout) = doctor(&web.uri(), same, &[]);
    failed(&out, &stdout, "does not answer as a Bugzilla");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_key_and_another_accounts_key_fail_the_key_check() {
    let sandbox = sandbox().await;
    let bot_key = sandbox.api_key(demo::BOT_LOGIN).unwrap();
    let wrong = |text: String| text.replace(&bot_key, "0000000000000000000000000000000000000000");
    let (out, stdout) = doctor(&sandbox.base_url(), wrong, &[]);
    failed(&out, &stdout, "key:");
    assert!(!stdout.contains("push query"), "{stdout}");

    let lead_key = sandbox.api_key("amo-lead@example.test").unwrap();
    let other = |text: String| text.replace(&bot_key, &lead_key);
    let (out, stdout) = doctor(&sandbox.base_url(), other, &[]);
    failed(&out, &stdout, "bugzilla.bot_login");
    assert!(!stdout.contains(&lead_key), "{stdout}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_flag_type_fails_and_names_the_setting() {
    let sandbox = sandbox().await;
    let (out, stdout) = doctor(
        &sandbox.base_url(),
        same,
        &[("PUSHBOT__PUSH__SIGNOFF_FLAGS__WEBDEV", "release-signoff")],
    );
    failed(
        &out,
        &stdout,
        "`release-signoff` ([push] signoff_flags.webdev) is not a flag type of Websites/Push",
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_outside_a_group_the_settings_name_fails() {
    let sandbox = sandbox().await;
    let (out, stdout) = doctor(
        &sandbox.base_url(),
        same,
        &[("PUSHBOT__COMMANDS__ALLOW__GO", "group:admin")],
    );
    failed(
        &out,
        &stdout,
        "the bot is not in `admin`, which `commands.allow.go` names",
    );
    assert!(stdout.contains("400/804"), "{stdout}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_lead_login_fails_the_accounts_check() {
    let sandbox = sandbox().await;
    let ghost =
        |text: String| text.replace("[\"amo-lead@example.test\"]", "[\"amo-laed@example.test\"]");
    let (out, stdout) = doctor(&sandbox.base_url(), ghost, &[]);
    failed(
        &out,
        &stdout,
        "`amo-laed@example.test` (a lead of app AMO) is not a Bugzilla account",
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_closed_or_restricted_tracking_bug_fails() {
    let sandbox = sandbox().await;
    let url = sandbox.base_url();
    let (out, stdout) = doctor(&url, same, &[("PUSHBOT__SUMMARY__TRACKING_BUG", "9999")]);
    failed(
        &out,
        &stdout,
        "bug 9999 (`summary.tracking_bug`) does not exist",
    );

    let tracking = |groups: serde_json::Value| {
        sandbox
            .create_bug(
                "admin@example.test",
                &json!({
                    "product": "Websites",
                    "component": "Push",
                    "summary": "Push tracking 2026",
                    "version": "unspecified",
                    "description": "Weekly push summaries.",
                    "groups": groups,
                }),
            )
            .unwrap()
    };
    let open = tracking(json!([]));
    let (out, stdout) = doctor(
        &url,
        same,
        &[("PUSHBOT__SUMMARY__TRACKING_BUG", &open.to_string())],
    );
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("PASS tracking bug: bug {open} is open")),
        "{stdout}"
    );

    sandbox
        .update_bug(
            open,
            "admin@example.test",
            &json!({"status": "RESOLVED", "resolution": "FIXED"}),
        )
        .unwrap();
    let (out, stdout) = doctor(
        &url,
        same,
        &[("PUSHBOT__SUMMARY__TRACKING_BUG", &open.to_string())],
    );
    failed(
        &out,
        &stdout,
        &format!("bug {open} (`summary.tracking_bug`) is closed"),
    );

    // In a group the bot is not in: the bot cannot see it.
    let hidden = tracking(json!(["admin"]));
    let (out, stdout) = doctor(
        &url,
        same,
        &[("PUSHBOT__SUMMARY__TRACKING_BUG", &hidden.to_string())],
    );
    failed(&out, &stdout, "the bot cannot see it");
    sandbox.shutdown().await;
}

#[test]
fn the_repository_has_the_rules_the_checks_load() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    assert!(std::fs::read_dir(rules).unwrap().count() >= 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_on_against_a_server_without_them_is_a_warning() {
    let sandbox = sandbox().await;
    let (out, stdout) = doctor(
        &sandbox.base_url(),
        same,
        &[
            ("PUSHBOT__WEBHOOK__ENABLED", "true"),
            ("PUSHBOT__WEBHOOK__SECRET", "doctor-test-secret-0123456789"),
        ],
    );
    // A warning, not a failure: polling still carries everything.
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("WARN webhooks:")
            && l.contains("this server has no webhooks")
            && l.contains("webhook.enabled = false")),
        "{stdout}"
    );
    assert!(!stdout.contains("doctor-test-secret"), "{stdout}");
    sandbox.shutdown().await;
}
