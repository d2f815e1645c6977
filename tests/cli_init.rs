//! From nothing to a first dry run, as a new user goes: `pushbot init`
//! into an empty directory, the key in place, then `doctor` and `once
//! --dry-run` against the sandbox with that directory's files; and
//! `pushbot sandbox` without a data file, which serves the demo's week and
//! prints a settings file for it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use pushbot::demo::{self, DATA};

fn pushbot(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn init_then_doctor_then_a_dry_run_against_the_sandbox() {
    let sandbox = demo::start_sandbox(DATA, demo::start_time().unwrap())
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("bot");
    let url = sandbox.base_url();
    let dir_arg = dir.to_str().unwrap();
    let init = [
        "init",
        dir_arg,
        "--url",
        url.as_str(),
        "--bot-login",
        demo::BOT_LOGIN,
    ];
    let out = pushbot(work.path(), &init);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    for next in ["pushbot doctor", "pushbot once --dry-run", "pushbot run"] {
        assert!(said.contains(next), "{said}");
    }
    let settings = std::fs::read_to_string(dir.join("pushbot.toml")).unwrap();
    assert!(settings.contains(&format!("url = \"{url}\"")), "{settings}");
    assert!(settings.contains("bot_login = \"pushbot@example.test\""));
    // Commented: the example's explanations come along.
    assert!(settings.lines().filter(|l| l.starts_with('#')).count() > 20);
    let rules: Vec<_> = std::fs::read_dir(dir.join("rules")).unwrap().collect();
    assert_eq!(rules.len(), demo::SHIPPED_RULES.len());

    // A second init refuses and changes nothing.
    std::fs::write(dir.join("pushbot.toml"), "# mine\n").unwrap();
    let out = pushbot(work.path(), &init);
    assert!(!out.status.success());
    assert!(text(&out).contains("not overwriting"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("pushbot.toml")).unwrap(),
        "# mine\n"
    );
    std::fs::write(dir.join("pushbot.toml"), &settings).unwrap();

    // Without the key, doctor says what to do.
    let out = pushbot(&dir, &["doctor"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("pushbot.key"), "{}", text(&out));

    let key = sandbox.api_key(demo::BOT_LOGIN).unwrap();
    std::fs::write(dir.join("pushbot.key"), format!("{key}\n")).unwrap();
    let out = pushbot(&dir, &["doctor"]);
    assert!(out.status.success(), "{}", text(&out));

    let out = pushbot(&dir, &["once", "--dry-run", "--now", "2026-11-30 09:05"]);
    let said = text(&out);
    assert!(said.contains("cycle at 2026-11-30 17:05:00Z"), "{said}");
    assert!(said.contains("DRY RUN: would write to bug 80"), "{said}");
    // Dry run: the sandbox got no write.
    let writes = sandbox
        .request_log()
        .iter()
        .filter(|r| r.method == "PUT" || r.method == "POST")
        .count();
    assert_eq!(writes, 0);
    sandbox.shutdown().await;
}

#[test]
fn sandbox_without_data_serves_the_demo_week_and_prints_settings_for_it() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .args(["sandbox", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Ctrl-C stops it.");
        lines.push(line);
        if done {
            break;
        }
    }
    let printed = lines.join("\n");
    let url = lines[0]
        .strip_prefix("sandbox Bugzilla 5.2 listening on ")
        .unwrap_or_else(|| panic!("{printed}"))
        .to_string();
    assert!(printed.contains("clock: 2026-11-30T17:00:00Z"), "{printed}");
    assert!(printed.contains(&format!("url = \"{url}\"")), "{printed}");
    assert!(printed.contains("bot_login = \"pushbot@example.test\""));
    // The snippet is a settings file the bot accepts.
    let dir = tempfile::tempdir().unwrap();
    let start = lines
        .iter()
        .position(|l| l.starts_with("# A pushbot.toml"))
        .unwrap();
    let snippet: Vec<&str> = lines[start..lines.len() - 1]
        .iter()
        .map(String::as_str)
        .collect();
    let path = dir.path().join("pushbot.toml");
    std::fs::write(&path, snippet.join("\n")).unwrap();
    assert!(pushbot::config::Settings::load_with_env(&path, Vec::new()).is_ok());
    // And it serves the demo's push bugs.
    let body = get(&url, "/rest/bug?id=801&include_fields=id,summary");
    let _ = child.kill();
    let _ = child.wait();
    assert!(body.contains("Push AMO 2026.12.01 to production"), "{body}");
}

/// A plain HTTP/1.0 GET on loopback; the whole answer.
fn get(base: &str, path: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}
