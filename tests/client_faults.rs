//! Faults: throttling, blocks, server errors, timeouts, resets, broken
//! bodies, Bugzilla's error envelope, and writes whose outcome is unknown.
//! Every test counts the requests the client made.
//!
//! A timeout is shown with an answer delayed by a minute ([`HELD`]) against
//! a one-second client timeout: it fires by construction, and no normal
//! answer on a loaded machine comes near it. The one sleep (the end of a
//! block) waits longer than the block, never shorter.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pushbot::bugzilla::{
    BugId, BugUpdate, BugzillaError, Client, ClientTuning, NewComment, SearchQuery,
};
use serde_json::json;
use support::client::{answering, client, client_with, received, recorded, tuning};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ok_version() -> ResponseTemplate {
    recorded("01")
}

/// A server answering `first` to the first `times` GETs, then the
/// recorded version answer.
async fn failing_then_ok(first: ResponseTemplate, times: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok_version())
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

/// A client for `server` with the test tuning changed by `change`.
fn tuned(server: &MockServer, change: impl FnOnce(&mut ClientTuning)) -> Client {
    let mut t = tuning();
    change(&mut t);
    client_with(server, "query", "pushbot@example.test", t)
}

/// A client that gives up on an answer after a second: only an answer
/// delayed by [`HELD`] reaches that, not a normal one on a loaded machine.
fn impatient(server: &MockServer) -> Client {
    tuned(server, |t| t.timeout = IMPATIENT)
}

/// The timeout of [`impatient`].
const IMPATIENT: Duration = Duration::from_secs(1);

/// The delay of an answer that must time out: far past [`IMPATIENT`], so
/// no scheduling on a loaded machine can bring it in time (the test does
/// not wait for it).
const HELD: Duration = Duration::from_secs(60);

/// `429 Too Many Requests` with this `Retry-After`.
fn throttled(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429).insert_header("Retry-After", retry_after)
}

/// The wait a `RateLimited` error asks for; panics on any other error.
fn rate_limited_wait(err: &BugzillaError) -> Duration {
    match err {
        BugzillaError::RateLimited { retry_after, .. } => *retry_after,
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

fn is_blocked<T>(result: Result<T, BugzillaError>) -> bool {
    matches!(result, Err(BugzillaError::Blocked { .. }))
}

fn is_outcome_unknown(err: &BugzillaError) -> bool {
    matches!(err, BugzillaError::OutcomeUnknown { .. })
}

fn comment() -> NewComment {
    NewComment {
        text: "hello".into(),
        is_private: false,
        is_markdown: false,
    }
}

fn update() -> BugUpdate {
    BugUpdate {
        whiteboard: Some("[push:amo]".into()),
        ..BugUpdate::default()
    }
}

#[tokio::test]
async fn too_many_requests_with_retry_after_is_waited_out() {
    let server = failing_then_ok(throttled("0"), 1).await;
    assert_eq!(client(&server).version().await.unwrap(), "5.2");
    assert_eq!(received(&server).await, 2);
}

#[tokio::test]
async fn a_long_retry_after_is_returned_not_slept() {
    let server = failing_then_ok(throttled("120"), 1).await;
    let err = client(&server).version().await.unwrap_err();
    assert_eq!(rate_limited_wait(&err), Duration::from_secs(120));
    assert!(err.is_retryable());
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn a_retry_after_http_date_counts_from_the_servers_date() {
    let server = failing_then_ok(
        throttled("Wed, 21 Oct 2015 07:30:00 GMT")
            .insert_header("Date", "Wed, 21 Oct 2015 07:28:00 GMT"),
        1,
    )
    .await;
    let err = client(&server).version().await.unwrap_err();
    assert_eq!(rate_limited_wait(&err), Duration::from_secs(120));
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn a_retry_after_http_date_already_reached_is_waited_out_at_once() {
    let server = failing_then_ok(
        ResponseTemplate::new(503)
            .insert_header("Date", "Wed, 21 Oct 2015 07:28:00 GMT")
            .insert_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
        1,
    )
    .await;
    assert_eq!(client(&server).version().await.unwrap(), "5.2");
    assert_eq!(received(&server).await, 2);
}

#[tokio::test]
async fn too_many_requests_without_retry_after_blocks_every_call() {
    let server = failing_then_ok(
        ResponseTemplate::new(429).set_body_string("<html>blocked</html>"),
        1,
    )
    .await;
    let c = client(&server);
    let err = c.version().await.unwrap_err();
    match &err {
        BugzillaError::Blocked { remaining, .. } => {
            assert_eq!(*remaining, Duration::from_secs(3600))
        }
        other => panic!("expected Blocked, got {other:?}"),
    }
    assert!(err.to_string().contains("rate_limit_per_minute"), "{err}");
    // Every further call, read or write, by this client or a clone, is
    // refused without a request: each request would re-arm BMO's block.
    let clone = c.clone();
    assert!(is_blocked(clone.version().await));
    assert!(is_blocked(c.search(&SearchQuery::default()).await));
    assert!(is_blocked(c.post_comment(BugId(1), &comment()).await));
    assert_eq!(received(&server).await, 1);
    assert_eq!(c.request_count(), 1);
}

#[tokio::test]
async fn the_block_ends_after_the_block_period() {
    let server = failing_then_ok(ResponseTemplate::new(429), 1).await;
    let c = tuned(&server, |t| t.block = Duration::from_millis(20));
    assert!(is_blocked(c.version().await));
    tokio::time::sleep(Duration::from_millis(40)).await;
    assert_eq!(c.version().await.unwrap(), "5.2");
    assert_eq!(received(&server).await, 2);
}

#[tokio::test]
async fn bmo_rate_limit_error_starts_the_block() {
    let server = failing_then_ok(
        ResponseTemplate::new(400).set_body_json(json!({
            "error": true, "code": 32000, "message": "You have exceeded the rate limit."
        })),
        1,
    )
    .await;
    let c = client(&server);
    assert!(is_blocked(c.version().await));
    assert!(is_blocked(c.version().await));
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    for status in [500u16, 502, 503] {
        let server = failing_then_ok(ResponseTemplate::new(status), 2).await;
        assert_eq!(client(&server).version().await.unwrap(), "5.2", "{status}");
        assert_eq!(received(&server).await, 3, "{status}");
    }
}

#[tokio::test]
async fn service_unavailable_with_retry_after_is_waited_out() {
    let server = failing_then_ok(
        ResponseTemplate::new(503).insert_header("Retry-After", "0"),
        1,
    )
    .await;
    assert_eq!(client(&server).version().await.unwrap(), "5.2");
    assert_eq!(received(&server).await, 2);
}

#[tokio::test]
async fn persistent_server_errors_give_up_after_max_retries() {
    let server = answering(
        "GET",
        ResponseTemplate::new(502).set_body_string("Bad Gateway"),
    )
    .await;
    let err = client(&server).version().await.unwrap_err();
    match &err {
        BugzillaError::Unexpected {
            status,
            reason,
            what,
        } => {
            assert_eq!(*status, 502);
            assert!(reason.contains("Bad Gateway"), "{reason}");
            assert_eq!(what, "GET /rest/version");
        }
        other => panic!("expected Unexpected, got {other:?}"),
    }
    assert!(err.is_retryable());
    // max_retries = 3: one try and three retries.
    assert_eq!(received(&server).await, 4);
}

#[tokio::test]
async fn a_timeout_is_retried_then_reported() {
    let server = answering("GET", ok_version().set_delay(HELD)).await;
    let c = tuned(&server, |t| {
        t.timeout = IMPATIENT;
        t.max_retries = 1;
    });
    let err = c.version().await.unwrap_err();
    match &err {
        BugzillaError::Transport { reason, .. } => {
            assert!(reason.contains("timed out"), "{reason}")
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(c.request_count(), 2);
}

#[tokio::test]
async fn a_timeout_then_success() {
    let server = failing_then_ok(ok_version().set_delay(HELD), 1).await;
    let c = impatient(&server);
    assert_eq!(c.version().await.unwrap(), "5.2");
    assert_eq!(c.request_count(), 2);
}

#[tokio::test]
async fn a_write_that_times_out_has_an_unknown_outcome_and_is_sent_once() {
    let server = answering("POST", recorded("27").set_delay(HELD)).await;
    Mock::given(method("PUT"))
        .respond_with(recorded("35").set_delay(HELD))
        .mount(&server)
        .await;
    let c = impatient(&server);
    let err = c.post_comment(BugId(1), &comment()).await.unwrap_err();
    assert!(is_outcome_unknown(&err), "{err:?}");
    assert!(err.to_string().contains("re-read the bug"), "{err}");
    assert!(!err.is_retryable());
    let err = c.update_bug(BugId(1), &update()).await.unwrap_err();
    assert!(is_outcome_unknown(&err), "{err:?}");
    assert_eq!(received(&server).await, 2);
}

#[tokio::test]
async fn a_write_answered_with_a_server_error_has_an_unknown_outcome() {
    for status in [500u16, 502, 503] {
        let server = answering("PUT", ResponseTemplate::new(status)).await;
        let err = client(&server)
            .update_bug(BugId(1), &update())
            .await
            .unwrap_err();
        assert!(is_outcome_unknown(&err), "{status}: {err:?}");
        assert_eq!(received(&server).await, 1, "{status}");
    }
}

#[tokio::test]
async fn a_write_with_an_unreadable_success_body_has_an_unknown_outcome() {
    let server = answering(
        "POST",
        ResponseTemplate::new(201).set_body_string("{\"id\":"),
    )
    .await;
    let err = client(&server)
        .post_comment(BugId(1), &comment())
        .await
        .unwrap_err();
    assert!(is_outcome_unknown(&err), "{err:?}");
    assert_eq!(received(&server).await, 1);
}

/// A server on 127.0.0.1 that accepts connections and drops them at once,
/// counting them.
async fn resetting_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            seen.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (format!("http://{addr}"), count)
}

fn client_for(base: &str) -> Client {
    Client::with_tuning(
        &support::client::settings(base, "query", "pushbot@example.test"),
        tuning(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_connection_reset_is_retried_for_reads() {
    let (base, count) = resetting_server().await;
    let c = client_for(&base);
    let err = c.version().await.unwrap_err();
    assert!(matches!(err, BugzillaError::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(c.request_count(), 4);
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_connection_reset_on_a_write_is_not_retried() {
    let (base, count) = resetting_server().await;
    let c = client_for(&base);
    let err = c.post_comment(BugId(1), &comment()).await.unwrap_err();
    assert!(is_outcome_unknown(&err), "{err:?}");
    assert_eq!(c.request_count(), 1);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let (_kept, addr) = support::net::refusing();
    assert!(support::net::is_refused(addr).await);
    let c = client_for(&format!("http://{addr}"));
    let err = c.version().await.unwrap_err();
    assert!(matches!(err, BugzillaError::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("GET /rest/version"), "{err}");
}

async fn unexpected_for(body: ResponseTemplate) -> (u16, String, usize) {
    let server = answering("GET", body).await;
    let err = client(&server)
        .search(&SearchQuery::default())
        .await
        .unwrap_err();
    let n = received(&server).await;
    match err {
        BugzillaError::Unexpected {
            status,
            reason,
            what,
        } => {
            assert_eq!(what, "GET /rest/bug");
            (status, reason, n)
        }
        other => panic!("expected Unexpected, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_truncated_and_non_json_bodies_are_clear_errors() {
    let (status, reason, n) =
        unexpected_for(ResponseTemplate::new(200).set_body_string("{\"bugs\":[{\"id\":1,")).await;
    assert_eq!((status, n), (200, 1));
    assert!(reason.contains("truncated or malformed JSON"), "{reason}");

    let (_, reason, _) =
        unexpected_for(ResponseTemplate::new(200).set_body_string("{bugs: nope}")).await;
    assert!(reason.contains("malformed JSON"), "{reason}");

    let (_, reason, _) = unexpected_for(
        ResponseTemplate::new(200).set_body_string("<!DOCTYPE html><html><title>Bugzilla</title>"),
    )
    .await;
    assert!(reason.contains("HTML page"), "{reason}");

    let (status, reason, _) = unexpected_for(ResponseTemplate::new(401)).await;
    assert_eq!(status, 401);
    assert!(reason.contains("empty body"), "{reason}");

    let (_, reason, _) =
        unexpected_for(ResponseTemplate::new(200).set_body_json(json!({"bug_count": 2}))).await;
    assert!(reason.contains("expected shape"), "{reason}");
    assert!(reason.contains("bugs"), "{reason}");

    let (status, reason, _) =
        unexpected_for(ResponseTemplate::new(414).set_body_string("URI Too Long")).await;
    assert_eq!(status, 414);
    assert!(reason.contains("URI Too Long"), "{reason}");
}

#[tokio::test]
async fn error_envelopes_keep_their_code_and_are_not_retried() {
    // (recording, HTTP status, Bugzilla code)
    let cases = [
        ("72", 404, 101),
        ("74", 401, 102),
        ("64", 401, 410),
        ("84", 404, 51),
        ("88", 404, 32614),
        ("77", 400, 100),
        ("78", 400, 50),
        ("79", 400, 56),
        ("83", 400, 129),
        ("90", 401, 115),
        ("95", 400, 804),
        ("89", 400, 32000),
    ];
    for (number, want_status, want_code) in cases {
        let server = answering("GET", recorded(number)).await;
        let err = client(&server).get_bugs(&[BugId(1)]).await.unwrap_err();
        match &err {
            BugzillaError::Api {
                status,
                code,
                message,
                ..
            } => {
                assert_eq!((*status, *code), (want_status, want_code), "{number}");
                assert!(!message.is_empty());
            }
            other => panic!("{number}: expected Api, got {other:?}"),
        }
        assert_eq!(err.code(), Some(want_code));
        assert!(!err.is_retryable(), "{number}");
        assert_eq!(received(&server).await, 1, "{number}");
    }
}

#[tokio::test]
async fn a_bad_api_key_is_never_retried() {
    for number in ["70", "71"] {
        let server = answering("GET", recorded(number)).await;
        let c = client(&server);
        let err = c.search(&SearchQuery::default()).await.unwrap_err();
        assert!(matches!(err, BugzillaError::BadApiKey { .. }), "{err:?}");
        assert!(err.to_string().contains("bugzilla.api_key"), "{err}");
        assert_eq!(received(&server).await, 1);
        // The same on a write.
        Mock::given(method("POST"))
            .respond_with(recorded(number))
            .mount(&server)
            .await;
        let err = c.post_comment(BugId(1), &comment()).await.unwrap_err();
        assert!(matches!(err, BugzillaError::BadApiKey { .. }), "{err:?}");
        assert_eq!(received(&server).await, 2);
    }
}

#[tokio::test]
async fn write_refusals_are_typed() {
    for (number, verb, want) in [
        ("86", "POST", (401, 410)),
        ("87", "POST", (400, 50)),
        ("89", "POST", (400, 32000)),
        ("83", "PUT", (400, 129)),
        ("84", "PUT", (404, 51)),
        ("85", "PUT", (404, 51)),
        ("90", "PUT", (401, 115)),
    ] {
        let server = MockServer::start().await;
        Mock::given(method(verb))
            .and(path(if verb == "POST" {
                "/rest/bug/1/comment"
            } else {
                "/rest/bug/1"
            }))
            .respond_with(recorded(number))
            .expect(1)
            .mount(&server)
            .await;
        let c = client(&server);
        let err = if verb == "POST" {
            c.post_comment(BugId(1), &comment()).await.unwrap_err()
        } else {
            c.update_bug(BugId(1), &update()).await.unwrap_err()
        };
        match err {
            BugzillaError::Api { status, code, .. } => assert_eq!((status, code), want, "{number}"),
            other => panic!("{number}: expected Api, got {other:?}"),
        }
    }
}

/// Answers a batched comment read with an empty comment list per bug asked
/// (the path's bug and every `ids`).
struct EmptyComments;

impl wiremock::Respond for EmptyComments {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let first = request
            .url
            .path()
            .trim_start_matches("/rest/bug/")
            .trim_end_matches("/comment")
            .to_string();
        let bugs: serde_json::Map<String, serde_json::Value> = std::iter::once(first)
            .chain(
                request
                    .url
                    .query_pairs()
                    .filter(|(k, _)| k == "ids")
                    .map(|(_, v)| v.into_owned()),
            )
            .map(|id| (id, json!({ "comments": [] })))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({ "bugs": bugs, "comments": {} }))
    }
}

/// Three comment batches (URL limit 250, 7-digit ids), the second answered
/// by `second` first.
async fn three_batches(second: ResponseTemplate, times: u64) -> (MockServer, Client, Vec<BugId>) {
    let server = MockServer::start().await;
    let c = tuned(&server, |t| t.max_url_len = 250);
    let b = c.comment_batch_size(7, None) as u64;
    let ids: Vec<BugId> = (1_000_000..1_000_000 + 2 * b + 1).map(BugId).collect();
    Mock::given(method("GET"))
        .and(path(format!("/rest/bug/{}/comment", 1_000_000 + b)))
        .respond_with(second)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(EmptyComments)
        .with_priority(2)
        .mount(&server)
        .await;
    (server, c, ids)
}

#[tokio::test]
async fn a_comment_batch_is_retried_on_its_own() {
    let (server, c, ids) = three_batches(ResponseTemplate::new(502), 2).await;
    let map = c.comments(&ids, None).await.unwrap();
    assert_eq!(map.len(), ids.len());
    assert_eq!(received(&server).await, 3 + 2, "three batches, two retries");
}

#[tokio::test]
async fn a_comment_batch_that_fails_otherwise_fails_the_read() {
    let (server, c, ids) = three_batches(recorded("80"), 100).await;
    let err = c.comments(&ids, None).await.unwrap_err();
    assert_eq!(err.code(), Some(56), "{err}");
    assert!(received(&server).await <= 3, "no retry of a refusal");
}
