//! Every command shown in the README, `docs/` and SECURITY.md (fenced
//! shell blocks) is accounted for: run here, run by the test named for it,
//! run by `.ci/run`, or marked in its own file as not runnable here. A new
//! command in the docs without a line in [`TABLE`] fails this test, and so
//! does a line of the table whose test no longer mentions it.
//!
//! Run here: the synopsis lines (every flag they show exists: `--help`
//! lists it), and the sandbox example of docs/sandbox.md with its `curl`
//! calls (made as plain HTTP requests to the port the sandbox picked).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// How a documented command is run.
#[derive(Debug, Clone, Copy)]
enum Coverage {
    /// By this file.
    Here,
    /// By that test file, which must contain the given text.
    Test(&'static str, &'static str),
    /// By `.ci/run`, which must contain the command.
    Ci,
    /// Not runnable on these machines; the file says so with this text.
    NotHere(&'static str),
}

/// Command lines (as they start) and how each is run.
const TABLE: &[(&str, Coverage)] = &[
    (
        "cargo run --release -- demo",
        Coverage::Test("tests/cli_demo.rs", "\"demo\""),
    ),
    ("cargo test", Coverage::Ci),
    ("pushbot --config pushbot.toml once [", Coverage::Here),
    ("pushbot --config pushbot.toml run [", Coverage::Here),
    ("cargo bench --bench", Coverage::Ci),
    ("pip install libmozdata", Coverage::Ci),
    (
        "pushbot sandbox  ",
        Coverage::Test("tests/cli_init.rs", "\"sandbox\", \"--port\", \"0\""),
    ),
    (
        "pushbot init mybot",
        Coverage::Test("tests/cli_init.rs", "\"init\""),
    ),
    (
        "cd mybot && echo",
        Coverage::Test("tests/cli_init.rs", "pushbot.key"),
    ),
    (
        "pushbot doctor && pushbot once --dry-run",
        Coverage::Test("tests/cli_init.rs", "\"--dry-run\""),
    ),
    (
        "pushbot sandbox --data tests/fixtures/sandbox/example.toml",
        Coverage::Here,
    ),
    ("curl ", Coverage::Here),
    ("-d '{\"comment\": \"@pushbot check\"}'", Coverage::Here),
    ("'http://127.0.0.1:8088/rest/bug/1/comment", Coverage::Here),
    (
        "pushbot --config tests/fixtures/meeting-week/pushbot.toml explain",
        Coverage::Test("tests/meeting_week.rs", "\"explain\""),
    ),
    (
        "--file tests/fixtures/meeting-week",
        Coverage::Test("tests/meeting_week.rs", "\"--file\""),
    ),
    (
        "pushbot summary",
        Coverage::Test("tests/weekly.rs", ".arg(\"summary\")"),
    ),
    (
        "pushbot serve",
        Coverage::Test("tests/week_view_browser.rs", "--print-addr"),
    ),
    (
        "install -m 600 -o pushbot",
        Coverage::NotHere("not run here"),
    ),
    ("printf '%s\\n' \"$KEY\"", Coverage::NotHere("not run here")),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// (file, command line) of every command in a fenced shell block.
fn documented() -> Vec<(String, String)> {
    let mut files = vec!["README.md".to_string(), "SECURITY.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    assert!(!docs.is_empty(), "docs/ holds the reference pages");
    files.extend(docs);
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        let (mut in_fence, mut shell) = (false, false);
        for line in text.lines() {
            let trimmed = line.trim();
            if let Some(lang) = trimmed.strip_prefix("```") {
                if in_fence {
                    (in_fence, shell) = (false, false);
                } else {
                    in_fence = true;
                    shell = matches!(lang, "sh" | "bash" | "shell" | "console" | "");
                }
                continue;
            }
            if in_fence && shell && !trimmed.is_empty() && !trimmed.starts_with('#') {
                out.push((file.clone(), trimmed.to_string()));
            }
        }
    }
    out
}

fn coverage(line: &str) -> Option<Coverage> {
    TABLE
        .iter()
        .find(|(start, _)| {
            line.starts_with(start.trim_end())
                && (!start.ends_with("  ")
                    || line.len() > start.trim_end().len()
                        && line[start.trim_end().len()..].starts_with("  "))
        })
        .map(|(_, c)| *c)
}

#[test]
fn every_documented_command_is_run_somewhere() {
    let commands = documented();
    assert!(commands.len() > 10, "{commands:?}");
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    for (file, line) in &commands {
        // Unlabelled blocks hold output and examples too: only command
        // lines count there.
        let Some(how) = coverage(line) else {
            let looks_like_command = ["pushbot ", "cargo ", "curl ", "docker ", "systemctl "]
                .iter()
                .any(|c| line.starts_with(c));
            assert!(
                !looks_like_command,
                "{file}: `{line}` is not in tests/docs_commands.rs's TABLE: run it somewhere and add it"
            );
            continue;
        };
        match how {
            Coverage::Here => {}
            Coverage::Test(test, mention) => {
                let text = std::fs::read_to_string(root().join(test)).unwrap();
                assert!(
                    text.contains(mention),
                    "{test} no longer runs `{line}` ({file})"
                );
            }
            Coverage::Ci => {
                let command = line.split('#').next().unwrap_or_default().trim();
                assert!(
                    ci.contains(command),
                    ".ci/run does not run `{command}` ({file})"
                );
            }
            Coverage::NotHere(mark) => {
                let text = std::fs::read_to_string(root().join(file)).unwrap();
                assert!(
                    text.contains(mark),
                    "{file} shows `{line}` without saying it is {mark}"
                );
            }
        }
    }
}

/// The synopsis lines of docs/operations.md: every flag they show exists.
#[test]
fn the_synopsis_flags_exist() {
    for (file, line) in documented() {
        if !matches!(coverage(&line), Some(Coverage::Here)) || !line.contains(" [") {
            continue;
        }
        let words: Vec<&str> = line
            .split('#')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let sub = words
            .iter()
            .skip(1)
            .find(|w| !w.starts_with('-') && !w.ends_with(".toml"))
            .unwrap();
        let help = Command::new(env!("CARGO_BIN_EXE_pushbot"))
            .args([sub, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        for flag in words
            .iter()
            .filter_map(|w| w.trim_start_matches('[').strip_prefix("--"))
        {
            let flag = flag.trim_end_matches(']');
            assert!(
                help.contains(&format!("--{flag}")),
                "{file}: `pushbot {sub} --{flag}` does not exist"
            );
        }
    }
}

/// docs/sandbox.md's example, on the port the sandbox picks: its URL, a
/// search, a bug's comments, and a comment posted with a key.
#[test]
fn the_sandbox_example_runs() {
    let text = std::fs::read_to_string(root().join("docs/sandbox.md")).unwrap();
    assert!(text.contains("pushbot sandbox --data tests/fixtures/sandbox/example.toml --port 8088"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .current_dir(root())
        .args([
            "sandbox",
            "--data",
            "tests/fixtures/sandbox/example.toml",
            "--port",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first
        .strip_prefix("sandbox Bugzilla 5.2 listening on ")
        .unwrap()
        .to_string();
    let keys: Vec<String> = lines
        .by_ref()
        .map(|l| l.unwrap())
        .take_while(|l| !l.starts_with("Ctrl-C"))
        .collect();
    let key_of = |login: &str| {
        keys.iter()
            .find_map(|l| l.strip_prefix(&format!("api key for {login}: ")))
            .unwrap()
            .to_string()
    };
    // The keys the docs use are the data file's.
    assert!(text.contains(&key_of("lead@example.test")));
    assert!(text.contains(&key_of("dev@example.test")));
    let addr = base.trim_start_matches("http://").to_string();
    let search = http(
        &addr,
        "GET",
        "/rest/bug?whiteboard=push:&include_fields=id,summary,assigned_to",
        None,
    );
    let comments = http(
        &addr,
        "GET",
        &format!(
            "/rest/bug/1/comment?api_key={}",
            key_of("lead@example.test")
        ),
        None,
    );
    let posted = http(
        &addr,
        "POST",
        &format!("/rest/bug/1/comment?api_key={}", key_of("dev@example.test")),
        Some(r#"{"comment": "@pushbot check"}"#),
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(search.starts_with("HTTP/1.1 200"), "{search}");
    assert!(search.contains("\"bugs\""), "{search}");
    assert!(comments.starts_with("HTTP/1.1 200"), "{comments}");
    assert!(posted.starts_with("HTTP/1.1 201"), "{posted}");
}

/// One HTTP/1.1 request on loopback, `Connection: close`; the whole answer.
fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let body = body.unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}
