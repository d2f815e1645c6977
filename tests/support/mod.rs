//! Helpers shared by the integration tests, one module per purpose. Here:
//! the executor and poller tests' settings pointing at a wiremock server on
//! 127.0.0.1, recorded fixtures, and request counting. [`client`]: the
//! client tests' settings, tuning and recorded responses; [`week`]: the
//! report fixtures of the report, web and browser tests; [`prometheus`]:
//! reads `/metrics` (web, weekly); [`binary`]: for the tests that run the
//! `pushbot` binary; [`ledger`]: what the bot left on the demo's bugs,
//! what the first cycle leaves and the held-writes fault (cycle,
//! late-write, crash and replica tests); [`logs`]: the test binary's
//! captured log lines (secrets, redaction); [`output`]: a child process's
//! output read as it comes, to wait for a line instead of sleeping, and
//! its JSON log lines' times and addresses; [`net`]: loopback addresses
//! that refuse connections; [`pg`]: a PostgreSQL of the test's own
//! (replica tests).
//!
//! How the tests wait: for an event (a line the bot prints, a request the
//! sandbox logs, a write the sandbox holds, a condition polled), never for
//! a fixed time; a fault that must outlast a client's timeout is held until
//! the test (or the next request) releases it, not delayed by a guessed
//! number of milliseconds. Every wait that could hang has a generous guard
//! that fails the test with what it saw; no assertion is about speed.

// `allow`, not `expect`: each test crate uses a different subset, so the
// lint fires in some crates and not in others.
#![allow(dead_code, reason = "each test crate uses a different part")]

pub mod binary;
pub mod client;
pub mod ledger;
pub mod logs;
pub mod net;
pub mod output;
pub mod pg;
pub mod prometheus;
pub mod week;

use std::path::PathBuf;

use std::path::Path;

use pushbot::config::Settings;
use serde_json::{json, Value};
use wiremock::{MockServer, Request};

/// The bot's account in every test.
pub const BOT: &str = "pushbot@example.test";

/// Settings for a bot talking to `server`, with its state in `state`:
/// no retries and no rate limit to speak of, so the suite stays fast.
pub fn settings(server: &MockServer, state: &Path, max_writes: usize, dry_run: bool) -> Settings {
    let text = format!(
        r#"
dry_run = {dry_run}
[bugzilla]
url = "{uri}"
rest_path = "/rest"
api_key = "test-key"
bot_login = "{BOT}"
timeout_secs = 5
rate_limit_per_minute = 60000
max_retries = 0
[query]
product = ["Websites"]
[state]
path = "{state}"
[poll]
interval_secs = 1
overlap_secs = 300
max_writes_per_cycle = {max_writes}
"#,
        uri = server.uri(),
        state = state.display(),
    );
    let raw: Settings = toml::from_str(&text).expect("test settings parse");
    raw.validate(Path::new("."))
        .expect("test settings are valid")
}

/// `tests/fixtures/`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A recorded response from `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// One comment as Bugzilla 5.2 sends it (shape of fixture 34).
pub fn comment(id: u64, bug: u64, count: u32, who: &str, text: &str) -> Value {
    json!({
        "id": id, "bug_id": bug, "count": count, "attachment_id": null,
        "creator": who, "text": text, "is_private": false, "tags": [],
        "creation_time": "2026-11-26T03:49:22Z", "time": "2026-11-26T03:49:22Z"
    })
}

/// The body of `GET /rest/bug/ID/comment` for one bug.
pub fn comments_body(bug: u64, comments: Vec<Value>) -> Value {
    json!({ "comments": {}, "bugs": { bug.to_string(): { "comments": comments } } })
}

/// Requests the server received with this method whose path matches.
pub async fn count(
    server: &MockServer,
    method: &str,
    path_matches: impl Fn(&str) -> bool,
) -> usize {
    requests(server, method, path_matches).await.len()
}

pub async fn requests(
    server: &MockServer,
    method: &str,
    path_matches: impl Fn(&str) -> bool,
) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == method && path_matches(r.url.path()))
        .collect()
}

/// `/rest/bug/ID/comment`.
pub fn is_comment_path(path: &str) -> bool {
    path.starts_with("/rest/bug/") && path.ends_with("/comment")
}
