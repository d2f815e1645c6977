//! Abuse at the wire: answers that are not Bugzilla's, and redirects that
//! would carry the key elsewhere. Each test fails when its protection is
//! removed (noted on each).

mod support;

use std::path::Path;

use chrono::{TimeZone, Utc};
use pushbot::bugzilla::{BugId, NewComment};
use pushbot::execute::{ExecuteOptions, Executor};
use pushbot::plan::{Action, ActionKey};
use pushbot::poll::{Planner, Poller, PollerOptions};
use pushbot::store::Store;
use serde_json::json;
use support::client::{client_with, tuning, KEY};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOGIN_PAGE: &str = "<!DOCTYPE html><html><head><title>Log in to Bugzilla</title></head>\
<body><form action=\"index.cgi\" method=\"POST\"><input name=\"Bugzilla_login\"></form></body></html>";

/// A planner that always wants to write: if a cycle ever reached the
/// executor on a bad answer, a write would show.
fn eager_planner() -> Planner {
    Box::new(|_snapshot: &pushbot::poll::Snapshot, _now| {
        vec![Action::comment(
            ActionKey::new(BugId(1), "no-owner", "nag-1"),
            "Who owns this push?",
        )]
    })
}

fn poller(server: &MockServer, state: &Path) -> Poller {
    let settings = support::settings(server, state, 50, false);
    let client = pushbot::bugzilla::Client::with_tuning(&settings, tuning()).unwrap();
    let store = Store::open(state).unwrap();
    let mut options = PollerOptions::from_settings(&settings);
    options.execute.settle_delay = std::time::Duration::ZERO;
    Poller::new(client, store, eager_planner(), options)
}

async fn writes(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .count()
}

/// Protection: `Client::decode` refuses a body that is not JSON (a proxy's
/// or SSO's login page at 200). Without it the page would be an error only
/// by luck of the parser, or worse, an empty search.
#[tokio::test]
async fn a_login_page_instead_of_json_is_an_outage_and_nothing_is_written() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Type", "text/html")
                .set_body_string(LOGIN_PAGE),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let mut poller = poller(&server, &state);
    let report = poller
        .run_once(Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap())
        .await;
    assert!(report.outage, "{report:?}");
    assert!(
        report.errors.iter().any(|e| e.contains("HTML page")),
        "{:?}",
        report.errors
    );
    assert_eq!(report.writes, 0);
    assert_eq!(writes(&server).await, 0);
    assert_eq!(report.watermark, None);
    assert_eq!(Store::open(&state).unwrap().watermark().unwrap(), None);
}

/// Protection: the error envelope is read at any status. A 200 carrying
/// `{"error": true}` is a failure: for a search (an outage, nothing
/// planned) and for a write (not recorded as done, tried again later).
#[tokio::test]
async fn a_200_with_an_error_object_is_never_a_success() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "error": true, "code": 32000, "message": "The database is read-only."
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let mut poller = poller(&server, &state);
    let report = poller
        .run_once(Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap())
        .await;
    assert!(report.outage, "{report:?}");
    assert_eq!(report.planned, 0);
    assert_eq!(writes(&server).await, 0);

    // A write answered 200 + error object: an error, not a posted comment.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"bugs": {"1": {"comments": []}}, "comments": {}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/bug/1/comment"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "error": true, "code": 114, "message": "The text of your comment is too long."
        })))
        .mount(&server)
        .await;
    let settings = support::settings(&server, &state, 50, false);
    let client = pushbot::bugzilla::Client::with_tuning(&settings, tuning()).unwrap();
    let store = Store::open(&dir.path().join("other.sqlite")).unwrap();
    let options = ExecuteOptions {
        settle_delay: std::time::Duration::ZERO,
        ..ExecuteOptions::from_settings(&settings)
    };
    let action = Action::comment(ActionKey::new(BugId(1), "no-owner", "nag-1"), "Who?");
    let done = Executor::new(&client, &store, options)
        .execute(std::slice::from_ref(&action), Utc::now())
        .await;
    assert!(done.taken.is_empty(), "{done:?}");
    assert_eq!(done.errors.len(), 1, "{:?}", done.errors);
    assert!(done.errors[0].contains("too long"), "{:?}", done.errors);
    assert!(!store.is_done(&action.key).unwrap());
}

/// Protection: the client follows no redirect (`Policy::none`). reqwest's
/// default would follow a `Location` to another host, carrying the custom
/// key header (`header` auth) or, for a same-path redirect that keeps the
/// query, the `api_key` parameter.
#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_with_the_key() {
    for auth in ["query", "header"] {
        let elsewhere = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": "5.2"})))
            .mount(&elsewhere)
            .await;
        let server = MockServer::start().await;
        let target = format!("{}/rest/version?api_key={KEY}", elsewhere.uri());
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(302).insert_header("Location", target.as_str()))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(307).insert_header("Location", target.as_str()))
            .mount(&server)
            .await;
        let client = client_with(&server, auth, "pushbot@example.test", tuning());
        let err = client.version().await.unwrap_err().to_string();
        assert!(err.contains("redirect"), "{auth}: {err}");
        assert!(err.contains("bugzilla.url"), "{auth}: {err}");
        assert!(!err.contains(KEY), "{auth}: {err}");
        let comment = NewComment {
            text: "hello".into(),
            is_private: false,
            is_markdown: false,
        };
        assert!(client.post_comment(BugId(1), &comment).await.is_err());
        let reached = elsewhere.received_requests().await.unwrap_or_default();
        assert!(reached.is_empty(), "{auth}: followed to {reached:?}");
    }
}
