//! The executor against a wiremock Bugzilla: the marker check, no blind
//! retry of writes, the write cap, and honest dry-run.

mod support;

use chrono::{TimeZone, Utc};
use pushbot::bugzilla::{BugId, Client, CommentId, FlagChange, FlagChangeStatus};
use pushbot::execute::{ExecuteOptions, ExecutionReport, Executor};
use pushbot::plan::{Action, ActionKey};
use pushbot::store::{ActionRecord, Outcome, Store};
use serde_json::{json, Value};
use support::{comment, comments_body, count, is_comment_path, requests, settings, BOT};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COMMENTS: &str = r"^/rest/bug/\d+/comment$";
const BUGS: &str = r"^/rest/bug(/\d+)?$";

fn action(bug: u64) -> Action {
    Action::comment(
        ActionKey::new(BugId(bug), "no-owner", "2026-W48"),
        "This push bug has no owner yet. Who will take it?",
    )
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
}

fn marked(bug: u64, id: u64) -> serde_json::Value {
    let text = action(bug).comment_text().unwrap();
    comment(id, bug, 3, BOT, &text)
}

/// The executor under test: a client for the wiremock server, its options
/// (no settle delay, nothing printed) and a store in a temporary directory.
struct Bench {
    dir: tempfile::TempDir,
    client: Client,
    opts: ExecuteOptions,
    store: Store,
}

impl Bench {
    fn new(server: &MockServer, max_writes: usize, dry_run: bool) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(
            server,
            &dir.path().join("state.sqlite"),
            max_writes,
            dry_run,
        );
        let client = Client::new(&s).expect("client builds");
        let mut opts = ExecuteOptions::from_settings(&s);
        opts.settle_delay = std::time::Duration::ZERO;
        let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
        Bench {
            dir,
            client,
            opts,
            store,
        }
    }

    /// A bench writing at most 10 times a cycle, for real.
    fn writing(server: &MockServer) -> Bench {
        Bench::new(server, 10, false)
    }

    /// One cycle of the executor over `plan`.
    async fn execute(&self, plan: &[Action]) -> ExecutionReport {
        Executor::new(&self.client, &self.store, self.opts.clone())
            .execute(plan, now())
            .await
    }

    /// The state file and its journals deleted, then opened afresh.
    fn lose_state(self) -> Bench {
        let Bench {
            dir,
            client,
            opts,
            store,
        } = self;
        drop(store);
        let state = dir.path().join("state.sqlite");
        std::fs::remove_file(&state).unwrap();
        let _ = std::fs::remove_file(dir.path().join("state.sqlite-wal"));
        let _ = std::fs::remove_file(dir.path().join("state.sqlite-shm"));
        let store = Store::open(&state).unwrap();
        Bench {
            dir,
            client,
            opts,
            store,
        }
    }
}

/// `GET /rest/bug/ID/comment`, answered with `body`.
fn comment_read(body: Value) -> Mock {
    Mock::given(method("GET"))
        .and(path_regex(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
}

/// `POST /rest/bug/ID/comment`, answered with `answer`.
fn comment_post(answer: ResponseTemplate) -> Mock {
    Mock::given(method("POST"))
        .and(path_regex(COMMENTS))
        .respond_with(answer)
}

/// `GET /rest/bug` or `/rest/bug/ID`, answered with this one bug.
fn bug_read(bug: Value) -> Mock {
    Mock::given(method("GET"))
        .and(path_regex(BUGS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "bugs": [bug] })))
}

/// Any request with this method, answered with `answer`.
fn any(verb: &str, answer: ResponseTemplate) -> Mock {
    Mock::given(method(verb)).respond_with(answer)
}

/// A created comment: `201 {"id": id}`.
fn created(id: u64) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({ "id": id }))
}

/// A proxy's HTML error page: the answer is lost, the write may have landed.
fn gateway_error(status: u16, title: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_string(format!("<html>{title}</html>"))
}

/// An empty update answer (`{"bugs": []}`).
fn updated() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"bugs": []}))
}

/// Open bug 1 with these flags.
fn bug_1(flags: Value) -> Value {
    json!({"id": 1, "status": "CONFIRMED", "resolution": "", "is_open": true, "flags": flags})
}

/// The qa-signoff flag already requested of qa@ by the bot.
fn qa_signoff_requested() -> Value {
    json!([
        {"id": 4, "name": "qa-signoff", "type_id": 2, "status": "?",
         "requestee": "qa@example.test", "setter": "pushbot@example.test"}
    ])
}

/// A request of flag `name` of `requestee`.
fn flag_request(name: &str, requestee: &str) -> FlagChange {
    FlagChange {
        id: None,
        name: Some(name.to_string()),
        status: FlagChangeStatus::Requested,
        requestee: Some(requestee.to_string()),
        new: false,
    }
}

#[tokio::test]
async fn marker_already_in_bugzilla_means_no_post() {
    let server = MockServer::start().await;
    let comments = vec![
        comment(1, 7, 0, "lead@example.test", "push please"),
        marked(7, 55),
    ];
    comment_read(comments_body(7, comments))
        .mount(&server)
        .await;
    any("POST", created(99)).expect(0).mount(&server).await;
    let bench = Bench::writing(&server);

    let report = bench.execute(&[action(7)]).await;

    assert_eq!(report.writes, 0);
    assert!(report.taken.is_empty());
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(report.duplicates[0].comment_id, Some(CommentId(55)));
    // Recorded, so the next cycle does not even ask Bugzilla.
    assert!(bench.store.is_done(&action(7).key).unwrap());
}

#[tokio::test]
async fn a_marker_written_by_a_person_does_not_count() {
    let server = MockServer::start().await;
    let text = action(7).comment_text().unwrap();
    let prank = comment(1, 7, 0, "prankster@example.test", &text);
    comment_read(comments_body(7, vec![prank]))
        .mount(&server)
        .await;
    comment_post(created(99)).expect(1).mount(&server).await;
    let bench = Bench::writing(&server);

    let report = bench.execute(&[action(7)]).await;
    assert_eq!(report.taken.len(), 1, "{:?}", report.errors);
}

#[tokio::test]
async fn posts_the_comment_with_its_marker_once_even_after_losing_the_state() {
    let server = MockServer::start().await;
    // Before the post Bugzilla has no marker; after it, it has.
    comment_read(comments_body(7, vec![]))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    comment_read(comments_body(7, vec![marked(7, 77)]))
        .mount(&server)
        .await;
    let fixture_27 = support::fixture("bugzilla-5.2/27-post-comment-bug1-by-dev.raw.json");
    comment_post(ResponseTemplate::new(201).set_body_json(fixture_27))
        .expect(1)
        .mount(&server)
        .await;
    let bench = Bench::writing(&server);

    let report = bench.execute(&[action(7)]).await;
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
    let again = bench.execute(&[action(7)]).await;
    assert_eq!(again.duplicates.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), before);

    // The state file is lost: Bugzilla's marker prevents a duplicate.
    let bench = bench.lose_state();
    let report = bench.execute(&[action(7)]).await;
    assert!(report.taken.is_empty());
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(report.duplicates[0].outcome, Outcome::FoundMarker);
    // `.expect(1)` on the POST mock is checked when the server drops.
}

#[tokio::test]
async fn unknown_outcome_settled_by_rereading_finds_the_marker() {
    let server = MockServer::start().await;
    comment_read(comments_body(7, vec![]))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    comment_read(comments_body(7, vec![marked(7, 88)]))
        .mount(&server)
        .await;
    // The proxy lost the answer: the comment did land (see the re-read).
    comment_post(gateway_error(502, "Bad Gateway"))
        .expect(1)
        .mount(&server)
        .await;
    let bench = Bench::writing(&server);

    let report = bench.execute(&[action(7)]).await;

    assert_eq!(report.writes, 1, "no second POST");
    assert_eq!(report.taken.len(), 1, "{:?}", report.errors);
    assert_eq!(report.taken[0].comment_id, Some(CommentId(88)));
    assert!(bench.store.is_done(&action(7).key).unwrap());
    assert_eq!(count(&server, "POST", is_comment_path).await, 1);
}

#[tokio::test]
async fn unknown_outcome_with_no_marker_is_not_retried_until_the_next_cycle() {
    let server = MockServer::start().await;
    comment_read(comments_body(7, vec![])).mount(&server).await;
    comment_post(gateway_error(502, "Bad Gateway"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    comment_post(created(90)).expect(1).mount(&server).await;
    let bench = Bench::writing(&server);

    // The write may still land after the re-read: no second POST now.
    let first = bench.execute(&[action(7)]).await;
    assert_eq!(first.writes, 1);
    assert!(first.taken.is_empty());
    assert_eq!(first.unsettled, vec![action(7).key]);
    assert_eq!(first.errors.len(), 1);
    assert!(first.errors[0].contains("bug 7"), "{:?}", first.errors);
    assert!(
        !bench.store.is_done(&action(7).key).unwrap(),
        "not recorded"
    );
    assert_eq!(count(&server, "POST", is_comment_path).await, 1);

    // The next cycle: the marker is still absent, so it never landed.
    let next = bench.execute(&[action(7)]).await;
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
    comment_read(comments_body(7, vec![]))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    comment_read(comments_body(7, vec![marked(7, 91)]))
        .mount(&server)
        .await;
    comment_post(gateway_error(504, "Gateway Timeout"))
        .expect(1)
        .mount(&server)
        .await;
    let bench = Bench::writing(&server);

    let first = bench.execute(&[action(7)]).await;
    assert_eq!(first.writes, 1);
    assert_eq!(first.unsettled, vec![action(7).key]);

    let next = bench.execute(&[action(7)]).await;
    assert_eq!(next.writes, 0, "found, not posted again");
    assert_eq!(next.duplicates.len(), 1);
    assert_eq!(next.duplicates[0].comment_id, Some(CommentId(91)));
    assert!(bench.store.is_done(&action(7).key).unwrap());
    assert_eq!(count(&server, "POST", is_comment_path).await, 1);
}

#[tokio::test]
async fn above_the_cap_nothing_is_written_and_an_alert_is_raised() {
    let server = MockServer::start().await;
    comment_read(comments_body(1, vec![])).mount(&server).await;
    any("POST", created(1)).mount(&server).await;
    let mut bench = Bench::new(&server, 3, false);
    let plan: Vec<Action> = (1..=4).map(action).collect();

    let report = bench.execute(&plan).await;

    let alert = report.alert.expect("an alert");
    assert!(alert.contains("poll.max_writes_per_cycle = 3"), "{alert}");
    assert_eq!(report.writes, 0);
    assert!(report.taken.is_empty());
    assert_eq!(count(&server, "POST", |_| true).await, 0);
    assert_eq!(count(&server, "PUT", |_| true).await, 0);

    // At the cap is fine; `no_limit` lifts it.
    let report = bench.execute(&plan[..3]).await;
    assert_eq!(report.taken.len(), 3, "{:?}", report.errors);
    bench.opts.no_limit = true;
    let plan: Vec<Action> = (10..=14).map(action).collect();
    let report = bench.execute(&plan).await;
    assert!(report.alert.is_none());
    assert_eq!(report.taken.len(), 5, "{:?}", report.errors);
}

#[tokio::test]
async fn dry_run_reads_prints_and_never_writes() {
    let server = MockServer::start().await;
    comment_read(comments_body(7, vec![])).mount(&server).await;
    any("POST", created(1)).expect(0).mount(&server).await;
    // The bug as it is: no qa-signoff flag yet (read to decide the update).
    bug_read(json!(
        {"id": 8, "summary": "Push Bedrock", "status": "CONFIRMED", "resolution": "",
         "is_open": true, "assigned_to": "dev@example.test", "flags": []}
    ))
    .mount(&server)
    .await;
    any("PUT", updated()).expect(0).mount(&server).await;
    let bench = Bench::new(&server, 10, true);
    assert!(
        bench.opts.dry_run,
        "dry_run = true in the settings reaches the executor"
    );
    let mut with_flag = action(8);
    with_flag
        .update
        .flags
        .push(flag_request("qa-signoff", "qa@example.test"));

    let overrun = Action::comment(ActionKey::new(BugId(8), "overrun", "2026-W48"), "Status?");

    let report = bench.execute(&[action(7), with_flag, overrun]).await;

    assert_eq!(report.writes, 0);
    assert_eq!(report.taken.len(), 3, "{:?}", report.errors);
    let text = &report.dry_run_text;
    assert!(text.contains("bug 7"), "{text}");
    // Bug 8's two actions are one write: one block, every marker.
    assert_eq!(
        text.matches("DRY RUN: would write to bug 8 (no-owner 2026-W48, overrun 2026-W48)")
            .count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("    | [pushbot no-owner 2026-W48]\n    | \n    | Status?\n    | \n    | [pushbot overrun 2026-W48]"),
        "{text}"
    );
    assert!(text.contains("This push bug has no owner yet"), "{text}");
    assert!(text.contains("[pushbot no-owner 2026-W48]"), "{text}");
    assert!(text.contains("qa-signoff? from qa@example.test"), "{text}");
    // The reads did happen (the marker check), the writes did not.
    assert_eq!(count(&server, "GET", is_comment_path).await, 2);
    assert_eq!(count(&server, "POST", |_| true).await, 0);
    // Recorded as dry-run, which does not count as done.
    assert!(!bench.store.is_done(&action(7).key).unwrap());
    assert_eq!(
        bench.store.actions_for_bug(BugId(7)).unwrap()[0].outcome,
        Outcome::DryRun
    );
}

/// The JSON body of a recorded request (`NN-….request.txt`: the request
/// line, a comment, a blank line, then the body).
fn recorded_body(name: &str) -> Value {
    let path = support::fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path).expect("recording exists");
    let json = &text[text.find('{').expect("a JSON body")..];
    serde_json::from_str(json).expect("the body is JSON")
}

/// The body of the `n`th request with `verb`, as JSON.
async fn body_of(server: &MockServer, verb: &str, n: usize) -> Value {
    let sent = requests(server, verb, |_| true).await;
    serde_json::from_slice(&sent[n].body).expect("a JSON body")
}

#[tokio::test]
async fn a_reply_and_a_rule_on_one_bug_are_the_one_put_of_recording_147() {
    let server = MockServer::start().await;
    comment_read(comments_body(
        1,
        vec![comment(
            2,
            1,
            1,
            "lead@example.test",
            "@pushbot owner dev@example.test",
        )],
    ))
    .expect(1)
    .mount(&server)
    .await;
    bug_read(
        json!({"id": 1, "status": "CONFIRMED", "resolution": "", "is_open": true,
                    "assigned_to": "nobody@example.test", "flags": []}),
    )
    .expect(1)
    .mount(&server)
    .await;
    let answer =
        support::fixture("bugzilla-5.2/147-s4-bot-one-put-assignee-flags-comment.raw.json");
    Mock::given(method("PUT"))
        .and(path_regex(r"^/rest/bug/1$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
        .mount(&server)
        .await;
    any("POST", created(1)).expect(0).mount(&server).await;
    let bench = Bench::writing(&server);
    // The command reply of comment 2 (which also hands the bug over), then
    // the signoff rule's request with its two flags.
    let mut reply = Action::comment(
        ActionKey::new(BugId(1), "command", "c2"),
        "(In reply to comment #1)\n\nDone: dev@example.test now owns this push bug.",
    );
    reply.update.assigned_to = Some("dev@example.test".to_string());
    let mut signoff = Action::comment(
        ActionKey::new(BugId(1), "signoff", "request-2026-12-10"),
        "This Input push is planned for Thu 2026-12-10 16:00 PST. Please sign off.",
    );
    signoff.update.flags = vec![
        flag_request("webdev-signoff", "lead@example.test"),
        flag_request("qa-signoff", "qa@example.test"),
    ];

    let report = bench.execute(&[reply, signoff.clone()]).await;

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.writes, 1, "one write for the bug");
    assert_eq!(report.taken.len(), 2, "both keys taken");
    assert!(
        report.taken.iter().all(|s| s.comment_id.is_none()),
        "a PUT does not say the comment's id"
    );
    // Exactly the body Bugzilla 5.2 took as one change, one history entry.
    assert_eq!(
        body_of(&server, "PUT", 0).await,
        recorded_body("bugzilla-5.2/147-s4-bot-one-put-assignee-flags-comment.request.txt")
    );
    // Every key recorded on its own: the command's reply, each rule's
    // action, each posted once.
    assert!(bench.store.is_done(&signoff.key).unwrap());
    let log = bench.store.actions_for_bug(BugId(1)).unwrap();
    let posted = |rule: &str| -> Vec<&ActionRecord> {
        log.iter()
            .filter(|r| r.key.name() == rule && r.outcome == Outcome::Posted)
            .collect()
    };
    let answered = posted("command");
    assert_eq!(answered.len(), 1, "{log:?}");
    assert_eq!(answered[0].key, ActionKey::new(BugId(1), "command", "c2"));
    assert_eq!(answered[0].comment_id, None);
    assert_eq!(posted("signoff").len(), 1, "{log:?}");
}

#[tokio::test]
async fn a_comment_alone_is_a_post_whose_answer_gives_its_id() {
    let server = MockServer::start().await;
    comment_read(comments_body(1, vec![])).mount(&server).await;
    // The flag the reply asks for is already requested: only the comment
    // is left to write.
    bug_read(bug_1(qa_signoff_requested())).mount(&server).await;
    any("PUT", updated()).expect(0).mount(&server).await;
    comment_post(created(321)).expect(1).mount(&server).await;
    let bench = Bench::writing(&server);
    let mut reply = Action::comment(
        ActionKey::new(BugId(1), "command", "c500"),
        "Requested QA sign-off.",
    );
    reply
        .update
        .flags
        .push(flag_request("qa-signoff", "qa@example.test"));

    let report = bench.execute(&[reply, action(1)]).await;

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.writes, 1);
    assert_eq!(report.taken.len(), 2);
    let body = body_of(&server, "POST", 0).await;
    let text = body["comment"].as_str().unwrap_or_default();
    assert_eq!(
        text,
        "Requested QA sign-off.\n\n[pushbot command c500]\n\n\
         This push bug has no owner yet. Who will take it?\n\n[pushbot no-owner 2026-W48]"
    );
    assert_eq!(body["is_private"], json!(false));
    let answered = bench
        .store
        .actions_for_bug(BugId(1))
        .unwrap()
        .into_iter()
        .find(|r| r.key == ActionKey::new(BugId(1), "command", "c500"))
        .expect("the reply recorded");
    assert_eq!(answered.outcome, Outcome::Posted);
    assert_eq!(answered.comment_id, Some(CommentId(321)));
}

#[tokio::test]
async fn an_update_already_in_effect_is_not_made_again() {
    let server = MockServer::start().await;
    // The flag is already requested (e.g. made before the state was lost).
    bug_read(bug_1(qa_signoff_requested())).mount(&server).await;
    any("PUT", updated()).expect(0).mount(&server).await;
    let bench = Bench::writing(&server);
    let mut request = Action::comment(ActionKey::new(BugId(1), "signoff", "2026-W48"), "");
    request.comment = None;
    request
        .update
        .flags
        .push(flag_request("qa-signoff", "qa@example.test"));

    let report = bench.execute(&[request]).await;

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
    comment_read(body).expect(1).mount(&server).await;
    comment_post(created(90)).expect(2).mount(&server).await;
    let bench = Bench::writing(&server);

    let report = bench.execute(&[action(7), action(8), action(9)]).await;

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
    assert!(
        query.contains("ids=8&ids=9"),
        "repeated `ids`, as 5.2 wants: {query}"
    );
    let posted: Vec<String> = requests(&server, "POST", is_comment_path)
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(posted, vec!["/rest/bug/8/comment", "/rest/bug/9/comment"]);
}

#[tokio::test]
async fn two_actions_on_one_bug_read_it_once_and_write_it_once() {
    let server = MockServer::start().await;
    comment_read(comments_body(1, vec![]))
        .expect(1)
        .mount(&server)
        .await;
    bug_read(bug_1(json!([]))).expect(1).mount(&server).await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/rest/bug/1$"))
        .respond_with(updated())
        .expect(1)
        .mount(&server)
        .await;
    any("POST", created(1)).expect(0).mount(&server).await;
    let bench = Bench::writing(&server);
    let needinfo = |rule: &str| {
        let mut a = Action::comment(ActionKey::new(BugId(1), rule, "2026-W48"), "Status?");
        a.update
            .flags
            .push(flag_request("needinfo", "dev@example.test"));
        a
    };

    let report = bench
        .execute(&[needinfo("signoff"), needinfo("overrun")])
        .await;

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.taken.len(), 2);
    assert_eq!(report.writes, 1);
    // The same request of the same flag from both: asked once.
    let body = body_of(&server, "PUT", 0).await;
    assert_eq!(
        body["flags"],
        json!([{"name": "needinfo", "status": "?", "requestee": "dev@example.test"}])
    );
    assert_eq!(
        body["comment"],
        json!({"body": "Status?\n\n[pushbot signoff 2026-W48]\n\nStatus?\n\n[pushbot overrun 2026-W48]"})
    );
}

#[tokio::test]
async fn a_section_already_marked_is_left_out_of_the_change() {
    let server = MockServer::start().await;
    // The no-owner comment is there (the state file was lost after it).
    comment_read(comments_body(1, vec![marked(1, 40)]))
        .expect(1)
        .mount(&server)
        .await;
    bug_read(bug_1(json!([]))).mount(&server).await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/rest/bug/1$"))
        .respond_with(updated())
        .expect(1)
        .mount(&server)
        .await;
    let bench = Bench::writing(&server);
    let mut signoff = Action::comment(
        ActionKey::new(BugId(1), "signoff", "2026-W48"),
        "Please sign off.",
    );
    signoff
        .update
        .flags
        .push(flag_request("qa-signoff", "qa@example.test"));

    let report = bench.execute(&[action(1), signoff.clone()]).await;

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(report.duplicates[0].key, action(1).key);
    assert_eq!(report.duplicates[0].comment_id, Some(CommentId(40)));
    assert_eq!(report.taken.len(), 1);
    assert_eq!(report.taken[0].key, signoff.key);
    let body = body_of(&server, "PUT", 0).await;
    assert_eq!(
        body["comment"],
        json!({"body": "Please sign off.\n\n[pushbot signoff 2026-W48]"}),
        "only the section not yet said"
    );
    assert!(bench.store.is_done(&action(1).key).unwrap());
    assert!(bench.store.is_done(&signoff.key).unwrap());
}

#[tokio::test]
async fn a_private_reply_waits_for_the_next_cycle_beside_a_public_change() {
    let server = MockServer::start().await;
    comment_read(comments_body(1, vec![])).mount(&server).await;
    comment_post(created(50))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    comment_post(created(51)).expect(1).mount(&server).await;
    let bench = Bench::writing(&server);
    let mut private = Action::comment(
        ActionKey::new(BugId(1), "command", "c9"),
        "(In reply to comment #4)\n\nNoted.",
    );
    private.private = true;

    let first = bench.execute(&[action(1), private.clone()]).await;

    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.writes, 1);
    assert_eq!(first.waiting, vec![private.key.clone()]);
    assert!(!bench.store.is_done(&private.key).unwrap(), "planned again");
    let body = body_of(&server, "POST", 0).await;
    assert_eq!(body["is_private"], json!(false));
    assert!(!body["comment"]
        .as_str()
        .unwrap_or_default()
        .contains("Noted"));

    // The next cycle plans both again: the public one is done, the private
    // one is its bug's one write.
    let next = bench.execute(&[action(1), private.clone()]).await;
    assert_eq!(next.writes, 1);
    assert!(next.waiting.is_empty());
    assert_eq!(next.taken.len(), 1);
    assert_eq!(next.taken[0].key, private.key);
    let body = body_of(&server, "POST", 1).await;
    assert_eq!(body["is_private"], json!(true));
}

#[tokio::test]
async fn the_cap_counts_writes_one_per_bug() {
    let server = MockServer::start().await;
    comment_read(comments_body(1, vec![])).mount(&server).await;
    comment_post(created(60)).expect(2).mount(&server).await;
    let bench = Bench::new(&server, 2, false);
    let plan = vec![
        action(1),
        Action::comment(ActionKey::new(BugId(1), "overrun", "2026-W48"), "Status?"),
        action(2),
        Action::comment(ActionKey::new(BugId(2), "overrun", "2026-W48"), "Status?"),
    ];

    let report = bench.execute(&plan).await;

    assert!(
        report.alert.is_none(),
        "4 actions, 2 bugs, 2 writes: within the cap"
    );
    assert_eq!(report.writes, 2);
    assert_eq!(report.taken.len(), 4, "{:?}", report.errors);
}

#[tokio::test]
async fn a_put_of_unknown_outcome_settles_all_its_keys_together() {
    let server = MockServer::start().await;
    let two = |bug: u64| {
        let mut signoff = Action::comment(
            ActionKey::new(BugId(bug), "signoff", "2026-W48"),
            "Please sign off.",
        );
        signoff
            .update
            .flags
            .push(flag_request("qa-signoff", "qa@example.test"));
        vec![action(bug), signoff]
    };
    let plan = two(1);
    let change_text = format!(
        "{}\n\n{}",
        plan[0].comment_text().unwrap(),
        plan[1].comment_text().unwrap()
    );
    // Before the write and at the settle re-read: nothing. The PUT lands
    // afterwards: the next cycle reads the one comment with both markers.
    comment_read(comments_body(1, vec![]))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    comment_read(comments_body(1, vec![comment(70, 1, 3, BOT, &change_text)]))
        .mount(&server)
        .await;
    bug_read(bug_1(json!([]))).mount(&server).await;
    any("PUT", gateway_error(504, "Gateway Timeout"))
        .expect(1)
        .mount(&server)
        .await;
    any("POST", created(1)).expect(0).mount(&server).await;
    let bench = Bench::writing(&server);

    let first = bench.execute(&plan).await;
    assert_eq!(first.writes, 1, "one PUT, not repeated");
    let keys: Vec<ActionKey> = plan.iter().map(|a| a.key.clone()).collect();
    assert_eq!(first.unsettled, keys, "every key of the write");
    assert_eq!(first.errors.len(), 1, "{:?}", first.errors);
    assert!(first.errors[0].contains("bug 1"), "{:?}", first.errors);
    assert!(
        first.errors[0].contains("[pushbot no-owner 2026-W48] [pushbot signoff 2026-W48]"),
        "{:?}",
        first.errors
    );
    assert!(keys.iter().all(|k| !bench.store.is_done(k).unwrap()));

    let next = bench.execute(&plan).await;
    assert_eq!(next.writes, 0, "found, not written again");
    assert_eq!(next.duplicates.len(), 2);
    assert!(next
        .duplicates
        .iter()
        .all(|s| s.comment_id == Some(CommentId(70))));
    assert!(keys.iter().all(|k| bench.store.is_done(k).unwrap()));
    assert_eq!(count(&server, "PUT", |_| true).await, 1);
}

#[tokio::test]
async fn a_put_of_unknown_outcome_found_at_the_reread_records_every_key() {
    let server = MockServer::start().await;
    let mut signoff = Action::comment(
        ActionKey::new(BugId(1), "signoff", "2026-W48"),
        "Please sign off.",
    );
    signoff
        .update
        .flags
        .push(flag_request("qa-signoff", "qa@example.test"));
    let plan = vec![action(1), signoff];
    let change_text = format!(
        "{}\n\n{}",
        plan[0].comment_text().unwrap(),
        plan[1].comment_text().unwrap()
    );
    comment_read(comments_body(1, vec![]))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    comment_read(comments_body(1, vec![comment(71, 1, 3, BOT, &change_text)]))
        .mount(&server)
        .await;
    bug_read(bug_1(json!([]))).mount(&server).await;
    any("PUT", gateway_error(502, "Bad Gateway"))
        .expect(1)
        .mount(&server)
        .await;
    let bench = Bench::writing(&server);

    let report = bench.execute(&plan).await;

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.unsettled.is_empty());
    assert_eq!(report.writes, 1);
    assert_eq!(report.taken.len(), 2);
    assert!(report
        .taken
        .iter()
        .all(|s| s.comment_id == Some(CommentId(71)) && s.outcome == Outcome::Posted));
    assert!(plan.iter().all(|a| bench.store.is_done(&a.key).unwrap()));
}
