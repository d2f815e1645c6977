//! The polling cycle against a wiremock Bugzilla answering with recorded
//! Bugzilla 5.2 responses: cold start (with its search for shipped pushes),
//! incremental cycles, closures (shipped bugs kept, cancelled ones
//! dropped), outages, and no duplicate across cycles.

mod support;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use pushbot::bugzilla::{BugId, Client};
use pushbot::plan::{Action, ActionKey};
use pushbot::poll::{Planner, Poller, PollerOptions, Snapshot};
use pushbot::store::Store;
use serde_json::json;
use support::{comment, comments_body, count, fixture, is_comment_path, requests, settings};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The `Date` header of recorded response 08 (the server's clock).
const SEARCH_DATE: &str = "Thu, 26 Nov 2026 03:49:18 GMT";

fn server_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 3, 49, 18).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 4, 0, 0).unwrap()
}

fn param(r: &Request, key: &str) -> Option<String> {
    r.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The full load's second search: push bugs resolved FIXED lately.
fn shipped_search(r: &Request) -> bool {
    param(r, "resolution").as_deref() == Some("FIXED")
}

fn incremental(r: &Request) -> bool {
    param(r, "last_change_time").is_some() && !shipped_search(r)
}

fn full(r: &Request) -> bool {
    param(r, "last_change_time").is_none()
}

/// The shipped search's bound at [`now`] (Wed 25 Nov 20:00 PST): Monday
/// 23 Nov 00:00 PST minus the default 7 days.
const SHIPPED_SINCE: &str = "2026-11-16T08:00:00Z";

/// A planner that remembers which bugs it saw each cycle and plans `plan`.
fn recording_planner(plan: Vec<Action>) -> (Planner, Arc<Mutex<Vec<Vec<BugId>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let planner: Planner = Box::new(move |snapshot: &Snapshot, _now| {
        log.lock()
            .unwrap()
            .push(snapshot.bugs.keys().copied().collect());
        plan.clone()
    });
    (planner, seen)
}

async fn mount_cold_start(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .and(full)
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", SEARCH_DATE)
                .set_body_json(fixture(
                    "bugzilla-5.2/08-search-websites-include_fields-as-lead.raw.json",
                )),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug/\d+/comment$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "bugzilla-5.2/34-get-comments-multiple-bugs.raw.json",
        )))
        .up_to_n_times(1)
        .mount(server)
        .await;
    mount_shipped(server, json!({"bugs": []})).await;
}

/// The full load's search for shipped push bugs answers `body`, a second
/// after the first search (whose time the watermark keeps).
async fn mount_shipped(server: &MockServer, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .and(shipped_search)
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", "Thu, 26 Nov 2026 03:49:19 GMT")
                .set_body_json(body),
        )
        .mount(server)
        .await;
}

/// Incremental searches find nothing changed.
async fn mount_quiet_incremental(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .and(incremental)
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", "Thu, 26 Nov 2026 03:54:18 GMT")
                .set_body_json(json!({"bugs": []})),
        )
        .mount(server)
        .await;
}

/// Moves a comment after the recorded ones (03:49:24).
fn later(mut comment: serde_json::Value) -> serde_json::Value {
    comment["creation_time"] = json!("2026-11-26T03:52:00Z");
    comment["time"] = json!("2026-11-26T03:52:00Z");
    comment
}

fn poller(server: &MockServer, dir: &std::path::Path, planner: Planner) -> Poller {
    poller_with(server, dir, planner, |_| {})
}

/// [`poller`] with its options adjusted.
fn poller_with(
    server: &MockServer,
    dir: &std::path::Path,
    planner: Planner,
    adjust: impl FnOnce(&mut PollerOptions),
) -> Poller {
    let s = settings(server, &dir.join("state.sqlite"), 10, false);
    let client = Client::new(&s).expect("client builds");
    let store = Store::open(&s.state.path).expect("store opens");
    let mut options = PollerOptions::from_settings(&s);
    options.execute.settle_delay = std::time::Duration::ZERO;
    adjust(&mut options);
    Poller::new(client, store, planner, options)
}

#[tokio::test]
async fn cold_start_then_a_quiet_cycle_plans_on_the_full_set() {
    let server = MockServer::start().await;
    mount_cold_start(&server).await;
    mount_quiet_incremental(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let (planner, seen) = recording_planner(Vec::new());
    let mut poller = poller(&server, dir.path(), planner);

    let first = poller.run_once(now()).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert!(first.full_load);
    assert_eq!(first.tracked_bugs, 4);
    let searches = requests(&server, "GET", |p| p == "/rest/bug").await;
    assert_eq!(
        searches.len(),
        2,
        "the open push bugs, then the shipped ones"
    );
    assert!(full(&searches[0]));
    assert_eq!(param(&searches[0], "status").as_deref(), Some("__open__"));
    assert!(shipped_search(&searches[1]));
    assert_eq!(
        count(&server, "GET", is_comment_path).await,
        1,
        "one comments batch"
    );
    let bug1 = &poller.snapshot().bugs[&BugId(1)];
    assert_eq!(bug1.comments.len(), 3);
    assert_eq!(bug1.bug.whiteboard, "[push:amo]");
    assert_eq!(
        first.watermark,
        Some(server_time()),
        "the server's clock, not ours"
    );
    assert_eq!(poller.store().watermark().unwrap(), Some(server_time()));

    let second = poller.run_once(now() + chrono::Duration::minutes(5)).await;
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert!(!second.full_load);
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 4, "the second cycle made exactly one request");
    let last = &all[3];
    assert!(incremental(last), "{}", last.url);
    let since: String = last
        .url
        .query_pairs()
        .find(|(k, _)| k == "last_change_time")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    // Watermark 03:49:18 minus the 300 s overlap.
    assert!(since.contains("03:44:18"), "{since}");
    assert_eq!(
        poller.store().watermark().unwrap(),
        Some(Utc.with_ymd_and_hms(2026, 11, 26, 3, 54, 18).unwrap())
    );

    let seen = seen.lock().unwrap();
    let all_four: Vec<BugId> = [1, 2, 3, 4].into_iter().map(BugId).collect();
    assert_eq!(*seen, vec![all_four.clone(), all_four]);
    let m = poller.metrics();
    assert_eq!(m.cycles(), 2);
    assert_eq!(m.last_success(), Some(now() + chrono::Duration::minutes(5)));
    assert_eq!(poller.store().recent_cycles(10).unwrap().len(), 2);
}

#[tokio::test]
async fn changes_are_merged_and_cancelled_bugs_dropped() {
    let server = MockServer::start().await;
    mount_cold_start(&server).await;
    // Bug 2 was cancelled (WONTFIX); bug 1 got a new comment (plus an old
    // one again, because of the overlap).
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .and(incremental)
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", "Thu, 26 Nov 2026 03:54:18 GMT")
                .set_body_json(json!({"bugs": [
                    {"id": 1, "summary": "AMO push", "status": "CONFIRMED", "resolution": "",
                     "is_open": true, "product": "Websites", "component": "Push",
                     "assigned_to": "dev@example.test", "whiteboard": "[push:amo]"},
                    {"id": 2, "summary": "Bedrock push", "status": "RESOLVED",
                     "resolution": "WONTFIX", "is_open": false, "product": "Websites"}
                ]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug/\d+/comment$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(
            1,
            vec![
                comment(8, 1, 2, "lead@example.test", "already known"),
                later(comment(20, 1, 3, "qa@example.test", "QA done")),
            ],
        )))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (planner, seen) = recording_planner(Vec::new());
    let mut poller = poller(&server, dir.path(), planner);

    poller.run_once(now()).await;
    let report = poller.run_once(now() + chrono::Duration::minutes(5)).await;

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.changed_bugs, 2);
    let snapshot = poller.snapshot();
    assert!(
        !snapshot.bugs.contains_key(&BugId(2)),
        "cancelled bug dropped"
    );
    let bug1 = &snapshot.bugs[&BugId(1)];
    assert_eq!(bug1.bug.assigned_to, "dev@example.test");
    let ids: Vec<u64> = bug1.comments.iter().map(|c| c.id.0).collect();
    assert_eq!(ids, vec![1, 6, 8, 20], "deduplicated by id, in order");
    let comment_reads = requests(&server, "GET", is_comment_path).await;
    assert_eq!(comment_reads.len(), 2);
    assert!(
        comment_reads[1]
            .url
            .query_pairs()
            .any(|(k, _)| k == "new_since"),
        "{}",
        comment_reads[1].url
    );
    assert_eq!(seen.lock().unwrap()[1], vec![BugId(1), BugId(3), BugId(4)]);
}

/// Every bug id a comment read asked for: the path's and every `ids`
/// value (repeated or comma-joined).
fn comment_ids(r: &Request) -> Vec<u64> {
    let mut ids: Vec<u64> = r
        .url
        .path()
        .trim_start_matches("/rest/bug/")
        .trim_end_matches("/comment")
        .parse()
        .into_iter()
        .collect();
    for (k, v) in r.url.query_pairs() {
        if k == "ids" {
            ids.extend(v.split(',').filter_map(|id| id.parse::<u64>().ok()));
        }
    }
    ids
}

#[tokio::test]
async fn shipped_pushes_are_loaded_kept_while_their_week_is_current_and_cancelled_ones_dropped() {
    let server = MockServer::start().await;
    // Cold start: the open search (recording 08: bugs 1-4), then the
    // search for shipped push bugs, which finds bug 5 (shape of recording
    // 124: RESOLVED FIXED, found by `resolution` and `last_change_time`).
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .and(full)
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", SEARCH_DATE)
                .set_body_json(fixture(
                    "bugzilla-5.2/08-search-websites-include_fields-as-lead.raw.json",
                )),
        )
        .mount(&server)
        .await;
    mount_shipped(
        &server,
        json!({"bugs": [
            {"id": 5, "summary": "Push SUMO 2026.11.24", "status": "RESOLVED",
             "resolution": "FIXED", "is_open": false, "product": "Websites",
             "component": "Push", "whiteboard": "[push:sumo]",
             "last_change_time": "2026-11-24T20:00:00Z"}
        ]}),
    )
    .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug/\d+/comment$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "bugzilla-5.2/34-get-comments-multiple-bugs.raw.json",
        )))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // Next cycle: bug 1 was just resolved FIXED (and commented on), bug 2
    // resolved WONTFIX.
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .and(incremental)
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", "Thu, 26 Nov 2026 03:54:18 GMT")
                .set_body_json(json!({"bugs": [
                    {"id": 1, "summary": "AMO push", "status": "RESOLVED",
                     "resolution": "FIXED", "is_open": false, "product": "Websites",
                     "component": "Push", "whiteboard": "[push:amo]",
                     "last_change_time": "2026-11-26T03:53:00Z"},
                    {"id": 2, "summary": "Bedrock push", "status": "RESOLVED",
                     "resolution": "WONTFIX", "is_open": false, "product": "Websites",
                     "last_change_time": "2026-11-26T03:53:30Z"}
                ]})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug/\d+/comment$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(
            1,
            vec![later(comment(
                20,
                1,
                3,
                "amo-dev@example.test",
                "Pushed to production.",
            ))],
        )))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_quiet_incremental(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let (planner, seen) = recording_planner(Vec::new());
    // No daily resync in this test: the weeks turn within one load.
    let mut poller = poller_with(&server, dir.path(), planner, |o| {
        o.full_sync_every = chrono::Duration::days(60);
    });

    let cold = poller.run_once(now()).await;
    assert!(cold.errors.is_empty(), "{:?}", cold.errors);
    assert!(cold.full_load);
    let searches = requests(&server, "GET", |p| p == "/rest/bug").await;
    assert_eq!(searches.len(), 2);
    let extra = &searches[1];
    assert_eq!(param(extra, "resolution").as_deref(), Some("FIXED"));
    assert_eq!(
        param(extra, "last_change_time").as_deref(),
        Some(SHIPPED_SINCE)
    );
    assert_eq!(param(extra, "status"), None, "RESOLVED and VERIFIED alike");
    assert_eq!(param(extra, "product").as_deref(), Some("Websites"));
    let reads = requests(&server, "GET", is_comment_path).await;
    assert_eq!(reads.len(), 1, "one comment batch for all five");
    let mut asked = comment_ids(&reads[0]);
    asked.sort_unstable();
    asked.dedup();
    assert_eq!(asked, vec![1, 2, 3, 4, 5]);
    assert_eq!(
        poller.store().watermark().unwrap(),
        Some(server_time()),
        "the first search's clock"
    );
    let tracked: Vec<u64> = poller.snapshot().bugs.keys().map(|b| b.0).collect();
    assert_eq!(tracked, vec![1, 2, 3, 4, 5]);

    let next = poller.run_once(now() + chrono::Duration::minutes(5)).await;
    assert!(next.errors.is_empty(), "{:?}", next.errors);
    assert!(!next.full_load);
    let searches = requests(&server, "GET", |p| p == "/rest/bug").await;
    assert_eq!(searches.len(), 3);
    assert_eq!(param(&searches[2], "status"), None, "closed bugs come back");
    let snapshot = poller.snapshot();
    assert!(!snapshot.bugs.contains_key(&BugId(2)), "cancelled: dropped");
    let shipped = &snapshot.bugs[&BugId(1)];
    assert_eq!(shipped.bug.resolution, "FIXED", "just shipped: kept");
    let ids: Vec<u64> = shipped.comments.iter().map(|c| c.id.0).collect();
    assert_eq!(ids, vec![1, 6, 8, 20], "its comments read like any other's");
    let reads = requests(&server, "GET", is_comment_path).await;
    assert_eq!(reads.len(), 2);
    assert_eq!(comment_ids(&reads[1]), vec![1]);
    assert!(param(&reads[1], "new_since").is_some());
    assert_eq!(
        seen.lock().unwrap()[1],
        vec![BugId(1), BugId(3), BugId(4), BugId(5)]
    );

    // Still this week's on Sunday night (W48, Sun 29 Nov 23:00 PST).
    let sunday = Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap();
    let quiet = poller.run_once(sunday).await;
    assert!(!quiet.full_load);
    assert_eq!(quiet.tracked_bugs, 4);
    // Two weeks on (W50): the bound is Mon 30 Nov 00:00 PST; both shipped
    // bugs last changed before it, so their weeks are past: dropped from
    // memory without a request of their own.
    let later_week = Utc.with_ymd_and_hms(2026, 12, 8, 18, 0, 0).unwrap();
    let turned = poller.run_once(later_week).await;
    assert!(turned.errors.is_empty(), "{:?}", turned.errors);
    assert!(!turned.full_load);
    let tracked: Vec<u64> = poller.snapshot().bugs.keys().map(|b| b.0).collect();
    assert_eq!(tracked, vec![3, 4]);
    assert_eq!(seen.lock().unwrap()[3], vec![BugId(3), BugId(4)]);
    assert_eq!(requests(&server, "GET", is_comment_path).await.len(), 2);
}

#[tokio::test]
async fn another_status_tracks_what_the_query_returns_as_before() {
    let server = MockServer::start().await;
    mount_cold_start(&server).await;
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .and(incremental)
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", "Thu, 26 Nov 2026 03:54:18 GMT")
                .set_body_json(json!({"bugs": [
                    {"id": 2, "summary": "Bedrock push", "status": "RESOLVED",
                     "resolution": "WONTFIX", "is_open": false, "product": "Websites"}
                ]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug/\d+/comment$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(2, vec![])))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (planner, _) = recording_planner(Vec::new());
    let mut poller = poller_with(&server, dir.path(), planner, |o| {
        o.query.status = "RESOLVED".to_string();
    });

    poller.run_once(now()).await;
    let searches = requests(&server, "GET", |p| p == "/rest/bug").await;
    assert_eq!(searches.len(), 1, "no search for shipped pushes");
    let next = poller.run_once(now() + chrono::Duration::minutes(5)).await;
    assert!(next.errors.is_empty(), "{:?}", next.errors);
    let searches = requests(&server, "GET", |p| p == "/rest/bug").await;
    assert_eq!(param(&searches[1], "status").as_deref(), Some("RESOLVED"));
    assert_eq!(
        poller.snapshot().bugs[&BugId(2)].bug.resolution,
        "WONTFIX",
        "the query's status decides alone"
    );
}

#[tokio::test]
async fn an_outage_keeps_state_and_plans_nothing() {
    let server = MockServer::start().await;
    mount_cold_start(&server).await;
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .and(incremental)
        .respond_with(ResponseTemplate::new(500).set_body_string("<html>Internal error</html>"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (planner, seen) = recording_planner(Vec::new());
    let mut poller = poller(&server, dir.path(), planner);

    poller.run_once(now()).await;
    let report = poller.run_once(now() + chrono::Duration::minutes(5)).await;

    assert!(report.outage);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(poller.snapshot().bugs.len(), 4, "memory kept");
    assert_eq!(
        poller.store().watermark().unwrap(),
        Some(server_time()),
        "watermark kept"
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "no planning without data");
    let m = poller.metrics();
    assert_eq!(m.outages(), 1);
    assert_eq!(m.last_success(), Some(now()));
}

#[tokio::test]
async fn an_action_planned_every_cycle_is_posted_once() {
    let server = MockServer::start().await;
    mount_cold_start(&server).await;
    mount_quiet_incremental(&server).await;
    // The executor's marker check on bug 1 before posting, made once.
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(1, vec![])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/bug/1/comment"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 100})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let nag = Action::comment(
        ActionKey::new(BugId(1), "no-owner", "2026-W48"),
        "Who owns this push?",
    );
    let (planner, _) = recording_planner(vec![nag]);
    let mut poller = poller(&server, dir.path(), planner);

    let first = poller.run_once(now()).await;
    assert_eq!(first.taken, 1, "{:?}", first.errors);
    assert_eq!(first.taken_by_rule.get("no-owner"), Some(&1));
    // Bug 1 has not changed since (the incremental query finds nothing), so
    // the poller still remembers the action as taken: it is dropped from the
    // plan before the executor, which makes no marker check for it.
    let second = poller.run_once(now() + chrono::Duration::minutes(5)).await;
    assert_eq!(second.taken, 0);
    assert_eq!(second.duplicates, 0);
    assert_eq!(second.writes, 0);
    assert_eq!(poller.metrics().actions("no-owner"), 1);
}

#[tokio::test]
async fn the_daemon_stops_when_told() {
    let server = MockServer::start().await;
    mount_cold_start(&server).await;
    mount_quiet_incremental(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let (planner, seen) = recording_planner(Vec::new());
    let mut poller = poller(&server, dir.path(), planner);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // Stop as soon as the first cycle has planned.
    let watcher = Arc::clone(&seen);
    let trigger = tokio::spawn(async move {
        loop {
            if !watcher.lock().unwrap().is_empty() {
                let _ = tx.send(());
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    });
    poller
        .run(
            async {
                let _ = rx.await;
            },
            |_| {},
        )
        .await;
    trigger.await.unwrap();
    assert!(!seen.lock().unwrap().is_empty());
    assert!(poller.metrics().cycles() >= 1);
}

#[tokio::test]
async fn a_dry_run_cycle_reads_and_prints_but_never_writes() {
    let server = MockServer::start().await;
    mount_cold_start(&server).await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments_body(1, vec![])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": []})))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let s = settings(&server, &dir.path().join("state.sqlite"), 10, true);
    let client = Client::new(&s).expect("client builds");
    let store = Store::open(&s.state.path).expect("store opens");
    let options = PollerOptions::from_settings(&s);
    let nag = Action::comment(
        ActionKey::new(BugId(1), "no-owner", "2026-W48"),
        "Who owns this push?",
    );
    let (planner, _) = recording_planner(vec![nag]);
    let mut poller = Poller::new(client, store, planner, options);

    let report = poller.run_once(now()).await;

    assert_eq!(report.writes, 0);
    assert_eq!(report.taken, 1, "{:?}", report.errors);
    assert!(report.dry_run_text.contains("Who owns this push?"));
    assert!(report.dry_run_text.contains("[pushbot no-owner 2026-W48]"));
}

#[tokio::test]
async fn a_bug_that_cannot_be_read_is_skipped_and_named() {
    let server = MockServer::start().await;
    let mut bugs = fixture("bugzilla-5.2/08-search-websites-include_fields-as-lead.raw.json");
    bugs["bugs"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": 9, "flags": "not a list", "creation_time": "yesterday"}));
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", SEARCH_DATE)
                .set_body_json(bugs),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/bug/\d+/comment$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "bugzilla-5.2/34-get-comments-multiple-bugs.raw.json",
        )))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (planner, seen) = recording_planner(Vec::new());
    let mut poller = poller(&server, dir.path(), planner);

    let report = poller.run_once(now()).await;

    assert!(!report.outage);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].contains("bug 9"), "{:?}", report.errors);
    assert_eq!(
        seen.lock().unwrap()[0].len(),
        4,
        "the others are planned on"
    );
}
