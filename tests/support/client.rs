//! Shared helpers for the client tests: settings and a fast-tuned client
//! pointed at a wiremock server on 127.0.0.1, and the recorded responses in
//! `tests/fixtures/` served as they were recorded (status, body, `Date`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use pushbot::bugzilla::{Client, ClientTuning};
use pushbot::config::Settings;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The key every test client sends; no log line, error or debug output may
/// contain it.
pub const KEY: &str = "K3y-SeCrEt-0123456789abcdefABCDEF";

pub fn settings(base: &str, auth: &str, bot_login: &str) -> Settings {
    let text = format!(
        r#"
[bugzilla]
url = "{base}"
api_key = "{KEY}"
auth = "{auth}"
bot_login = "{bot_login}"
"#
    );
    let settings: Settings = toml::from_str(&text).expect("test settings parse");
    settings
        .validate(Path::new("."))
        .expect("test settings are valid")
}

/// Millisecond waits, a generous timeout, no rate limit in the way.
pub fn tuning() -> ClientTuning {
    ClientTuning {
        timeout: Duration::from_secs(5),
        max_retries: 3,
        backoff_base: Duration::from_millis(1),
        backoff_cap: Duration::from_millis(5),
        retry_after_cap: Duration::from_secs(1),
        block: Duration::from_secs(3600),
        rate_limit_per_minute: 60_000,
        page_size: 500,
        max_url_len: 8000,
        markdown: None,
    }
}

pub fn client_with(server: &MockServer, auth: &str, bot: &str, tuning: ClientTuning) -> Client {
    Client::with_tuning(&settings(&server.uri(), auth, bot), tuning).expect("client builds")
}

/// A query-auth client for `pushbot@example.test`.
pub fn client(server: &MockServer) -> Client {
    client_with(server, "query", "pushbot@example.test", tuning())
}

fn find(dir: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let mut hits: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(prefix) && name.ends_with(suffix)
        })
        .collect();
    hits.sort();
    assert_eq!(
        hits.len(),
        1,
        "exactly one fixture {prefix}*{suffix}: {hits:?}"
    );
    hits.remove(0)
}

/// A Bugzilla 5.2 recording (`NN` prefix), as status, raw body and `Date`.
pub fn recorded_parts(number: &str) -> (u16, Vec<u8>, Option<String>) {
    let dir = super::fixtures_dir().join("bugzilla-5.2");
    let prefix = format!("{number}-");
    let status: u16 = std::fs::read_to_string(find(&dir, &prefix, ".status"))
        .expect("status file")
        .trim()
        .parse()
        .expect("status number");
    let body = std::fs::read(find(&dir, &prefix, ".raw.json")).expect("body");
    let headers = std::fs::read_to_string(find(&dir, &prefix, ".headers.txt")).expect("headers");
    let date = headers
        .lines()
        .find_map(|l| l.strip_prefix("Date: ").map(str::to_string));
    (status, body, date)
}

/// A Bugzilla 5.2 recording as a wiremock response.
pub fn recorded(number: &str) -> ResponseTemplate {
    let (status, body, date) = recorded_parts(number);
    let mut template =
        ResponseTemplate::new(status).set_body_raw(body, "application/json; charset=UTF-8");
    if let Some(date) = date {
        template = template.insert_header("Date", date.as_str());
    }
    template
}

/// A BMO recording (file stem) as a wiremock response, with the status
/// from its `.meta.json`.
pub fn bmo(stem: &str) -> ResponseTemplate {
    let dir = super::fixtures_dir().join("bmo");
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{stem}.meta.json"))).expect("meta file"),
    )
    .expect("meta json");
    let status = meta["status"].as_u64().expect("status in meta") as u16;
    let body_path = if dir.join(format!("{stem}.json")).exists() {
        dir.join(format!("{stem}.json"))
    } else {
        dir.join(format!("{stem}.html"))
    };
    let body = std::fs::read(body_path).expect("bmo body");
    let mime = if stem.starts_with("error-html") {
        "text/html; charset=UTF-8"
    } else {
        "application/json; charset=UTF-8"
    };
    ResponseTemplate::new(status).set_body_raw(body, mime)
}

/// A server on 127.0.0.1 answering every `verb` request with `answer`.
pub async fn answering(verb: &str, answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// How many requests the server received.
pub async fn received(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map(|r| r.len())
        .unwrap_or(0)
}

/// Mounts the three GETs of the login check on stock 5.2 and BMO
/// (`/rest/whoami`, `/rest/user`, `/rest/valid_login`), each answered with
/// its response as often as asked.
pub async fn login_answers(
    server: &MockServer,
    whoami: ResponseTemplate,
    user: ResponseTemplate,
    valid_login: ResponseTemplate,
) {
    for (route, answer) in [
        ("/rest/whoami", whoami),
        ("/rest/user", user),
        ("/rest/valid_login", valid_login),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(answer)
            .mount(server)
            .await;
    }
}
