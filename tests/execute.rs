//! The executor against a wiremock Bugzilla: the marker check, no blind
//! retry of writes, the write cap, and honest dry-run.

mod support;

use chrono::{TimeZone, Utc};
use pushbot::bugzilla::{BugId, Client, CommentId};
use pushbot::execute::{ExecuteOptions, Executor};
use pushbot::plan::{Action, ActionKey};
use pushbot::store::{Outcome, Store};
use serde_json::json;
use support::{comment, comments_body, count, is_comment_path, requests, settings, BOT};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COMMENTS: &str = r"^/rest/bug/\d+/comment$";

fn action(bug: u64) -> Action {
    Action::comment(
        ActionKey::new(BugId(bug), "no-owner", "2026-W48"),
        "This push bug has no owner yet. Who will take it?",
    )
}

fn options(
    server: &MockServer,
    dir: &std::path::Path,
    max_writes: usize,
    dry_run: bool,
) -> (Client, ExecuteOptions) {
    let s = settings(server, &dir.join("state.sqlite"), max_writes, dry_run);
    let client = Client::new(&s).expect("client builds");
    let mut options = ExecuteOptions::from_settings(&s);
    options.settle_delay = std::time::Duration::ZERO;
    options.print_dry_run = false;
    (client, options)
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
}

fn marked(bug: u64, id: u64) -> serde_json::Value {
    let text = action(bug).comment_text().unwrap();
    comment(id, bug, 3, BOT, &text)
}

#[tokio::test]
async fn marker_already_in_bugzilla_means_no_post() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(
            7,
            vec![
                comment(1, 7, 0, "lead@example.test", "push please"),
                marked(7, 55),
            ],
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 99})))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();

    let report = Executor::new(&client, &store, opts)
        .execute(&[action(7)], now())
        .await;

    assert_eq!(report.writes, 0);
    assert!(report.taken.is_empty());
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(report.duplicates[0].comment_id, Some(CommentId(55)));
    // Recorded, so the next cycle does not even ask Bugzilla.
    assert!(store.is_done(&action(7).key).unwrap());
}

#[tokio::test]
async fn a_marker_written_by_a_person_does_not_count() {
    let server = MockServer::start().await;
    let text = action(7).comment_text().unwrap();
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(
            7,
            vec![comment(1, 7, 0, "prankster@example.test", &text)],
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 99})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();

    let report = Executor::new(&client, &store, opts)
        .execute(&[action(7)], now())
        .await;
    assert_eq!(report.taken.len(), 1, "{:?}", report.errors);
}

#[tokio::test]
async fn posts_the_comment_with_its_marker_once_even_after_losing_the_state() {
    let server = MockServer::start().await;
    // Before the post Bugzilla has no marker; after it, it has.
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(7, vec![])))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(comments_body(7, vec![marked(7, 77)])),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(support::fixture(
            "bugzilla-5.2/27-post-comment-bug1-by-dev.raw.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let (client, opts) = options(&server, dir.path(), 10, false);

    {
        let store = Store::open(&state).unwrap();
        let report = Executor::new(&client, &store, opts.clone())
            .execute(&[action(7)], now())
            .await;
        assert_eq!(report.taken.len(), 1, "{:?}", report.errors);
        assert_eq!(report.writes, 1);
        // Fixture 27 answers {"id":6}.
        assert_eq!(report.taken[0].comment_id, Some(CommentId(6)));
        let posts = requests(&server, "POST", is_comment_path).await;
        let body = String::from_utf8_lossy(&posts[0].body).to_string();
        assert!(body.contains("no owner yet"), "{body}");
        assert!(body.contains("[pushbot no-owner 2026-W48]"), "{body}");
        assert_eq!(posts[0].url.path(), "/rest/bug/7/comment");

        // Same plan again: the store knows, no request at all.
        let before = server.received_requests().await.unwrap().len();
        let again = Executor::new(&client, &store, opts.clone())
            .execute(&[action(7)], now())
            .await;
        assert_eq!(again.duplicates.len(), 1);
        assert_eq!(server.received_requests().await.unwrap().len(), before);
    }

    // The state file is lost: Bugzilla's marker prevents a duplicate.
    std::fs::remove_file(&state).unwrap();
    let _ = std::fs::remove_file(dir.path().join("state.sqlite-wal"));
    let _ = std::fs::remove_file(dir.path().join("state.sqlite-shm"));
    let store = Store::open(&state).unwrap();
    let report = Executor::new(&client, &store, opts)
        .execute(&[action(7)], now())
        .await;
    assert!(report.taken.is_empty());
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(report.duplicates[0].outcome, Outcome::FoundMarker);
    // `.expect(1)` on the POST mock is checked when the server drops.
}

#[tokio::test]
async fn unknown_outcome_settled_by_rereading_finds_the_marker() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(7, vec![])))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(comments_body(7, vec![marked(7, 88)])),
        )
        .mount(&server)
        .await;
    // The proxy lost the answer: the comment did land (see the re-read).
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();

    let report = Executor::new(&client, &store, opts)
        .execute(&[action(7)], now())
        .await;

    assert_eq!(report.writes, 1, "no second POST");
    assert_eq!(report.taken.len(), 1, "{:?}", report.errors);
    assert_eq!(report.taken[0].comment_id, Some(CommentId(88)));
    assert!(store.is_done(&action(7).key).unwrap());
    assert_eq!(count(&server, "POST", is_comment_path).await, 1);
}

#[tokio::test]
async fn unknown_outcome_with_no_marker_is_not_retried_until_the_next_cycle() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(7, vec![])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 90})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();

    // The write may still land after the re-read: no second POST now.
    let first = Executor::new(&client, &store, opts.clone())
        .execute(&[action(7)], now())
        .await;
    assert_eq!(first.writes, 1);
    assert!(first.taken.is_empty());
    assert_eq!(first.unsettled, vec![action(7).key]);
    assert_eq!(first.errors.len(), 1);
    assert!(first.errors[0].contains("bug 7"), "{:?}", first.errors);
    assert!(!store.is_done(&action(7).key).unwrap(), "not recorded");
    assert_eq!(count(&server, "POST", is_comment_path).await, 1);

    // The next cycle: the marker is still absent, so it never landed.
    let next = Executor::new(&client, &store, opts)
        .execute(&[action(7)], now())
        .await;
    assert_eq!(next.writes, 1);
    assert_eq!(next.taken.len(), 1, "{:?}", next.errors);
    assert_eq!(next.taken[0].comment_id, Some(CommentId(90)));
    assert!(next.unsettled.is_empty());
    assert_eq!(count(&server, "POST", is_comment_path).await, 2);
}

#[tokio::test]
async fn a_comment_that_lands_after_the_reread_is_found_by_the_next_cycle() {
    let server = MockServer::start().await;
    // Before the POST and at the settle re-read: no marker. The write
    // lands afterwards: the next cycle reads it.
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(7, vec![])))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(comments_body(7, vec![marked(7, 91)])),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(504).set_body_string("<html>Gateway Timeout</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();

    let first = Executor::new(&client, &store, opts.clone())
        .execute(&[action(7)], now())
        .await;
    assert_eq!(first.writes, 1);
    assert_eq!(first.unsettled, vec![action(7).key]);

    let next = Executor::new(&client, &store, opts)
        .execute(&[action(7)], now())
        .await;
    assert_eq!(next.writes, 0, "found, not posted again");
    assert_eq!(next.duplicates.len(), 1);
    assert_eq!(next.duplicates[0].comment_id, Some(CommentId(91)));
    assert!(store.is_done(&action(7).key).unwrap());
    assert_eq!(count(&server, "POST", is_comment_path).await, 1);
}

#[tokio::test]
async fn above_the_cap_nothing_is_written_and_an_alert_is_raised() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(1, vec![])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 3, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
    let plan: Vec<Action> = (1..=4).map(action).collect();

    let report = Executor::new(&client, &store, opts.clone())
        .execute(&plan, now())
        .await;

    let alert = report.alert.expect("an alert");
    assert!(alert.contains("poll.max_writes_per_cycle = 3"), "{alert}");
    assert_eq!(report.writes, 0);
    assert!(report.taken.is_empty());
    assert_eq!(count(&server, "POST", |_| true).await, 0);
    assert_eq!(count(&server, "PUT", |_| true).await, 0);

    // At the cap is fine; `no_limit` lifts it.
    let report = Executor::new(&client, &store, opts.clone())
        .execute(&plan[..3], now())
        .await;
    assert_eq!(report.taken.len(), 3, "{:?}", report.errors);
    let unlimited = ExecuteOptions {
        no_limit: true,
        ..opts
    };
    let plan: Vec<Action> = (10..=14).map(action).collect();
    let report = Executor::new(&client, &store, unlimited)
        .execute(&plan, now())
        .await;
    assert!(report.alert.is_none());
    assert_eq!(report.taken.len(), 5, "{:?}", report.errors);
}

#[tokio::test]
async fn dry_run_reads_prints_and_never_writes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(7, vec![])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})))
        .expect(0)
        .mount(&server)
        .await;
    // The bug as it is: no qa-signoff flag yet (read to decide the update).
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug(/\d+)?$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": [
            {"id": 8, "summary": "Push Bedrock", "status": "CONFIRMED", "resolution": "",
             "is_open": true, "assigned_to": "dev@example.test", "flags": []}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": []})))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, true);
    assert!(
        opts.dry_run,
        "dry_run = true in the settings reaches the executor"
    );
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
    let mut with_flag = action(8);
    with_flag.update.flags.push(pushbot::bugzilla::FlagChange {
        id: None,
        name: Some("qa-signoff".to_string()),
        status: "?".to_string(),
        requestee: Some("qa@example.test".to_string()),
    });

    let report = Executor::new(&client, &store, opts)
        .execute(&[action(7), with_flag], now())
        .await;

    assert_eq!(report.writes, 0);
    assert_eq!(report.taken.len(), 2, "{:?}", report.errors);
    let text = &report.dry_run_text;
    assert!(text.contains("bug 7"), "{text}");
    assert!(text.contains("bug 8"), "{text}");
    assert!(text.contains("This push bug has no owner yet"), "{text}");
    assert!(text.contains("[pushbot no-owner 2026-W48]"), "{text}");
    assert!(text.contains("qa-signoff? from qa@example.test"), "{text}");
    // The reads did happen (the marker check), the writes did not.
    assert_eq!(count(&server, "GET", is_comment_path).await, 2);
    assert_eq!(count(&server, "POST", |_| true).await, 0);
    // Recorded as dry-run, which does not count as done.
    assert!(!store.is_done(&action(7).key).unwrap());
    assert_eq!(
        store.actions_for_bug(BugId(7)).unwrap()[0].outcome,
        Outcome::DryRun
    );
}

#[tokio::test]
async fn update_goes_first_then_the_marked_comment_and_commands_are_recorded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(1, vec![])))
        .mount(&server)
        .await;
    // Bug 1 before the update: no qa-signoff flag.
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug(/\d+)?$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": [
            {"id": 1, "status": "CONFIRMED", "resolution": "", "is_open": true, "flags": []}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/rest/bug/1$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(support::fixture(
            "bugzilla-5.2/35-put-bug1-set-qa-signoff-requestee.raw.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 321})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
    // A reply to the command in comment 500 that also requests sign-off.
    let mut reply = Action::comment(
        ActionKey::new(BugId(1), "check", "c500"),
        "Requested QA sign-off.",
    );
    reply.update.flags.push(pushbot::bugzilla::FlagChange {
        id: None,
        name: Some("qa-signoff".to_string()),
        status: "?".to_string(),
        requestee: Some("qa@example.test".to_string()),
    });

    let report = Executor::new(&client, &store, opts)
        .execute(&[reply], now())
        .await;

    assert_eq!(report.taken.len(), 1, "{:?}", report.errors);
    assert_eq!(report.writes, 2);
    let writes: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(writes, vec!["PUT", "POST"], "update first, then the marker");
    let put = &requests(&server, "PUT", |_| true).await[0];
    let body = String::from_utf8_lossy(&put.body).to_string();
    assert!(body.contains("qa-signoff"), "{body}");
    let answered = store
        .command(CommentId(500))
        .unwrap()
        .expect("command recorded");
    assert_eq!(answered.reply_comment_id, Some(CommentId(321)));
    assert_eq!(
        store.nag_count(BugId(1), "check").unwrap().map(|n| n.count),
        Some(1)
    );
}

#[tokio::test]
async fn an_update_already_in_effect_is_not_made_again() {
    let server = MockServer::start().await;
    // The flag is already requested (e.g. made before the state was lost).
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug(/\d+)?$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": [
            {"id": 1, "status": "CONFIRMED", "resolution": "", "is_open": true, "flags": [
                {"id": 4, "name": "qa-signoff", "type_id": 2, "status": "?",
                 "requestee": "qa@example.test", "setter": "pushbot@example.test"}
            ]}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": []})))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
    let mut request = Action::comment(ActionKey::new(BugId(1), "signoff", "2026-W48"), "");
    request.comment = None;
    request.update.flags.push(pushbot::bugzilla::FlagChange {
        id: None,
        name: Some("qa-signoff".to_string()),
        status: "?".to_string(),
        requestee: Some("qa@example.test".to_string()),
    });

    let report = Executor::new(&client, &store, opts)
        .execute(&[request], now())
        .await;

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.writes, 0);
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(
        count(&server, "GET", is_comment_path).await,
        0,
        "no marker to look for"
    );
}

#[tokio::test]
async fn the_marker_check_reads_all_pending_bugs_in_one_request() {
    let server = MockServer::start().await;
    let mut body = comments_body(7, vec![marked(7, 55)]);
    body["bugs"]["8"] = json!({ "comments": [] });
    body["bugs"]["9"] = json!({ "comments": [] });
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 90})))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();

    let report = Executor::new(&client, &store, opts)
        .execute(&[action(7), action(8), action(9)], now())
        .await;

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.duplicates.len(), 1, "bug 7 is marked");
    assert_eq!(report.taken.len(), 2);
    let reads = requests(&server, "GET", is_comment_path).await;
    let urls: Vec<String> = reads.iter().map(|r| r.url.to_string()).collect();
    assert_eq!(
        reads.len(),
        1,
        "one marker read for three actions: {urls:?}"
    );
    assert_eq!(reads[0].url.path(), "/rest/bug/7/comment");
    let query = reads[0].url.query().unwrap_or_default().to_string();
    assert!(query.contains("ids=8%2C9"), "{query}");
    let posted: Vec<String> = requests(&server, "POST", is_comment_path)
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(posted, vec!["/rest/bug/8/comment", "/rest/bug/9/comment"]);
}

#[tokio::test]
async fn a_second_update_of_the_same_bug_reads_the_bug_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(1, vec![])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug(/\d+)?$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": [
            {"id": 1, "status": "CONFIRMED", "resolution": "", "is_open": true, "flags": []}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/rest/bug/1$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": []})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 91})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
    let needinfo = |rule: &str| {
        let mut a = Action::comment(ActionKey::new(BugId(1), rule, "2026-W48"), "Status?");
        a.update.flags.push(pushbot::bugzilla::FlagChange {
            id: None,
            name: Some("needinfo".to_string()),
            status: "?".to_string(),
            requestee: Some("dev@example.test".to_string()),
        });
        a
    };

    let report = Executor::new(&client, &store, opts)
        .execute(&[needinfo("signoff"), needinfo("overrun")], now())
        .await;

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.taken.len(), 2);
    // The batched read serves the first update; the second, which the
    // first may have made moot, reads the bug again.
    assert_eq!(
        count(&server, "GET", |p| p == "/rest/bug" || p == "/rest/bug/1").await,
        2
    );
    assert_eq!(count(&server, "GET", is_comment_path).await, 1);
}

#[tokio::test]
async fn an_update_of_unknown_outcome_holds_back_its_comment_until_the_next_cycle() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(1, vec![])))
        .mount(&server)
        .await;
    // Read before the update and at the settle re-read: no flag yet. The
    // update lands afterwards: the next cycle sees the flag.
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug(/\d+)?$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": [
            {"id": 1, "status": "CONFIRMED", "resolution": "", "is_open": true, "flags": []}
        ]})))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug(/\d+)?$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": [
            {"id": 1, "status": "CONFIRMED", "resolution": "", "is_open": true, "flags": [
                {"id": 4, "name": "qa-signoff", "type_id": 2, "status": "?",
                 "requestee": "qa@example.test", "setter": "pushbot@example.test"}
            ]}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(504).set_body_string("<html>Gateway Timeout</html>"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 322})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (client, opts) = options(&server, dir.path(), 10, false);
    let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
    let mut request = Action::comment(
        ActionKey::new(BugId(1), "signoff", "2026-W48"),
        "Please sign off.",
    );
    request.update.flags.push(pushbot::bugzilla::FlagChange {
        id: None,
        name: Some("qa-signoff".to_string()),
        status: "?".to_string(),
        requestee: Some("qa@example.test".to_string()),
    });

    let first = Executor::new(&client, &store, opts.clone())
        .execute(std::slice::from_ref(&request), now())
        .await;
    assert_eq!(first.writes, 1, "one PUT, no second PUT, no comment yet");
    assert_eq!(first.unsettled, vec![request.key.clone()]);
    assert_eq!(count(&server, "POST", |_| true).await, 0);
    assert!(!store.is_done(&request.key).unwrap());

    let next = Executor::new(&client, &store, opts)
        .execute(std::slice::from_ref(&request), now())
        .await;
    assert_eq!(next.writes, 1, "the comment only: the flag landed");
    assert_eq!(next.taken.len(), 1, "{:?}", next.errors);
    assert_eq!(next.taken[0].comment_id, Some(CommentId(322)));
    assert_eq!(count(&server, "PUT", |_| true).await, 1);
}
