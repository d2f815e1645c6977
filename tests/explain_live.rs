//! `pushbot explain BUG-ID`: the binary fetches the bug (and the push bugs
//! of the query, so conflicts see the whole week) from a sandbox Bugzilla.

use std::path::Path;
use std::process::Command;

use pushbot::demo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_a_bug_fetched_from_bugzilla() {
    let sandbox = demo::start_sandbox(demo::DATA, "2026-11-30T17:00:00Z".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pushbot.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[bugzilla]
url = "{}"
api_key = "demo-pushbot-key-000000000000000000000000"
bot_login = "pushbot@example.test"
rate_limit_per_minute = 60000

[query]
product = ["Websites"]
component = ["Push"]

[rules]
dir = "{}"

[push]
default_accounts = ["nobody@example.test"]
"#,
            sandbox.base_url(),
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("rules")
                .display()
        ),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_pushbot"))
            .arg("--config")
            .arg(&config)
            .args(["explain", "803", "--now", "2026-11-30 09:00"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("bug 803: Push Personas to production 2026-12-02 17:00"),
        "{stdout}"
    );
    assert!(stdout.contains("owner:     none"), "{stdout}");
    assert!(stdout.contains("FIRES no-owner"), "{stdout}");
    // The other push bugs were fetched too: the conflict names them.
    assert!(stdout.contains("FIRES release-conflict"), "{stdout}");
    assert!(stdout.contains("bug 801"), "{stdout}");
    // explain only reads.
    assert_eq!(sandbox.request_count("POST /rest/bug/{id}/comment"), 0);
    assert_eq!(sandbox.request_count("PUT /rest/bug/{id}"), 0);
}
