//! Every client call over wiremock: what it sends (path, parameters, body,
//! key placement, User-Agent) and what it makes of the answer.

mod support;

use chrono::{TimeZone, Utc};
use pushbot::bugzilla::{
    BugId, BugUpdate, BugzillaError, CommentId, FlagChange, FlagChangeStatus, NewComment,
    SearchQuery,
};
use serde_json::json;
use support::client::{client, client_with, login_answers, received, recorded, tuning, KEY};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[tokio::test]
async fn version_sends_key_in_query_and_names_pushbot() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/version"))
        .and(query_param("api_key", KEY))
        .respond_with(recorded("01"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    assert_eq!(c.version().await.unwrap(), "5.2");
    let requests = server.received_requests().await.unwrap();
    let agent = requests[0]
        .headers
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        agent.starts_with(&format!("pushbot/{}", env!("CARGO_PKG_VERSION"))),
        "{agent}"
    );
    assert_eq!(c.request_count(), 1);
}

#[tokio::test]
async fn header_and_bearer_keys_stay_out_of_the_url() {
    for (auth, name, value) in [
        ("header", "X-BUGZILLA-API-KEY", KEY.to_string()),
        ("bearer", "Authorization", format!("Bearer {KEY}")),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/rest/version"))
            .and(header(name, value.as_str()))
            .and(query_param_is_missing("api_key"))
            .respond_with(recorded("01"))
            .expect(1)
            .mount(&server)
            .await;
        let c = client_with(&server, auth, "pushbot@example.test", tuning());
        assert_eq!(c.version().await.unwrap(), "5.2", "{auth}");
    }
}

#[tokio::test]
async fn rest_path_is_a_setting() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/bugzilla/rest.cgi/version"))
        .respond_with(recorded("02"))
        .expect(1)
        .mount(&server)
        .await;
    let mut settings = support::client::settings(
        &format!("{}/bugzilla", server.uri()),
        "query",
        "pushbot@example.test",
    );
    settings.bugzilla.rest_path = "/rest.cgi".to_string();
    let c = pushbot::bugzilla::Client::with_tuning(&settings, tuning()).unwrap();
    assert_eq!(c.version().await.unwrap(), "5.2");
}

#[tokio::test]
async fn search_pages_until_a_short_page() {
    let server = MockServer::start().await;
    let page = |offset: &str| {
        Mock::given(method("GET"))
            .and(path("/rest/bug"))
            .and(query_param("product", "Websites"))
            .and(query_param("status", "__open__"))
            .and(query_param("include_fields", "id"))
            .and(query_param("limit", "2"))
            .and(query_param("order", "bug_id"))
            .and(query_param("last_change_time", "2026-11-26T03:49:00Z"))
            .and(query_param("offset", offset.to_string()))
    };
    page("0")
        .respond_with(recorded("15"))
        .expect(1)
        .mount(&server)
        .await;
    page("2")
        .respond_with(recorded("16"))
        .expect(1)
        .mount(&server)
        .await;
    page("4")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs":[{"id":5}]})))
        .expect(1)
        .mount(&server)
        .await;
    let mut t = tuning();
    t.page_size = 2;
    let c = client_with(&server, "query", "pushbot@example.test", t);
    let query = SearchQuery {
        product: vec!["Websites".into()],
        status: "__open__".into(),
        include_fields: vec!["id".into()],
        changed_since: Some(Utc.with_ymd_and_hms(2026, 11, 26, 3, 49, 0).unwrap()),
        ..SearchQuery::default()
    };
    let result = c.search(&query).await.unwrap();
    let ids: Vec<u64> = result.bugs.iter().map(|b| b.id.0).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    assert!(result.skipped.is_empty());
    // The first page's Date header (recording 15).
    assert_eq!(
        result.server_time,
        Some(Utc.with_ymd_and_hms(2026, 11, 26, 3, 49, 18).unwrap())
    );
    assert_eq!(c.request_count(), 3);
}

#[tokio::test]
async fn search_skips_bad_bugs_and_keeps_unknown_fields() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs":[
            {"id": 1, "summary": "ok", "cf_push_date": "2026-12-01", "brand_new_field": [1]},
            {"id": 2, "flags": "not a list"},
            {"summary": "no id at all"},
            {"id": 3},
            {"id": 4, "groups": ["websites-security"], "flags": "not a list"}
        ]})))
        .mount(&server)
        .await;
    let result = client(&server)
        .search(&SearchQuery::default())
        .await
        .unwrap();
    let ids: Vec<u64> = result.bugs.iter().map(|b| b.id.0).collect();
    assert_eq!(ids, vec![1, 3]);
    assert_eq!(
        result.bugs[0].custom_field("cf_push_date").as_deref(),
        Some("2026-12-01")
    );
    assert_eq!(
        result.bugs[0].extra.get("brand_new_field"),
        Some(&json!([1]))
    );
    // Missing fields get their defaults.
    assert_eq!(result.bugs[1].summary, "");
    assert!(result.bugs[1].flags.is_empty());
    assert_eq!(result.skipped.len(), 3);
    assert_eq!(result.skipped[0].0, Some(BugId(2)));
    // A restricted bug that does not parse is skipped without its id.
    assert_eq!(result.skipped[2].0, None);
    assert!(
        result.skipped[2].1.starts_with("a restricted bug: "),
        "{}",
        result.skipped[2].1
    );
    assert!(
        result.skipped[0].1.contains("flags"),
        "{}",
        result.skipped[0].1
    );
    assert_eq!(result.skipped[1].0, None);
}

/// Answers `/bug?id=…` with one bug per requested id.
struct EchoIds;

impl Respond for EchoIds {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ids: Vec<serde_json::Value> = request
            .url
            .query_pairs()
            .filter(|(k, _)| k == "id")
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|id| json!({"id": id.parse::<u64>().unwrap()}))
                    .collect::<Vec<_>>()
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({ "bugs": ids }))
    }
}

#[tokio::test]
async fn get_bugs_batches_under_the_url_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .respond_with(EchoIds)
        .mount(&server)
        .await;
    let mut t = tuning();
    t.max_url_len = 300;
    let c = client_with(&server, "query", "pushbot@example.test", t);
    let ids: Vec<BugId> = (1_000_000..1_000_100).map(BugId).collect();
    let result = c.get_bugs(&ids).await.unwrap();
    let got: Vec<BugId> = result.bugs.iter().map(|b| b.id).collect();
    assert_eq!(got, ids);
    let requests = server.received_requests().await.unwrap();
    assert!(requests.len() > 3, "{} requests", requests.len());
    for r in &requests {
        assert!(sent_len(&server, r) <= 300, "{}", sent_len(&server, r));
    }
    // No ids, no request.
    assert!(c.get_bugs(&[]).await.unwrap().bugs.is_empty());
    assert_eq!(received(&server).await, requests.len());
}

#[tokio::test]
async fn get_bugs_leaves_out_missing_ids() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .and(query_param("id", "1,2,99999"))
        .respond_with(recorded("19"))
        .expect(1)
        .mount(&server)
        .await;
    let result = client(&server)
        .get_bugs(&[BugId(1), BugId(2), BugId(99999)])
        .await
        .unwrap();
    let ids: Vec<u64> = result.bugs.iter().map(|b| b.id.0).collect();
    assert_eq!(ids, vec![1, 2]);
}

#[tokio::test]
async fn comments_of_many_bugs_in_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .and(query_param("ids", "2"))
        .and(query_param("new_since", "2026-11-26T03:49:00Z"))
        .respond_with(recorded("34"))
        .expect(1)
        .mount(&server)
        .await;
    let since = Utc.with_ymd_and_hms(2026, 11, 26, 3, 49, 0).unwrap();
    let map = client(&server)
        .comments(&[BugId(1), BugId(2)], Some(since))
        .await
        .unwrap();
    let ids = |bug: u64| -> Vec<u64> { map[&BugId(bug)].iter().map(|c| c.id.0).collect() };
    assert_eq!(ids(1), vec![1, 6, 8]);
    assert_eq!(ids(2), vec![2, 7]);
    let c7 = &map[&BugId(2)][1];
    assert_eq!(c7.creator, "qa@example.test");
    assert_eq!(c7.count, 1);
    assert_eq!(c7.text, "QA is verifying on stage.");
    assert_eq!(
        c7.creation_time,
        Utc.with_ymd_and_hms(2026, 11, 26, 3, 49, 23).unwrap()
    );
}

/// The values of every `ids` parameter of a request, in order.
fn ids_params(request: &Request) -> Vec<String> {
    request
        .url
        .query_pairs()
        .filter(|(k, _)| k == "ids")
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The bugs a comment read asked for: the path's, then every `ids`.
fn asked_bugs(request: &Request) -> Vec<u64> {
    let first = request
        .url
        .path()
        .trim_start_matches("/rest/bug/")
        .trim_end_matches("/comment");
    std::iter::once(first.to_string())
        .chain(ids_params(request))
        .map(|id| id.parse::<u64>().expect("a numeric bug id"))
        .collect()
}

#[tokio::test]
async fn comments_send_repeated_ids_like_stock_5_2_wants() {
    // 5.2 refuses a comma list (recording 102) and answers repeated `ids`
    // (103; 104 with `new_since`).
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .and(query_param("ids", "2,3"))
        .respond_with(recorded("102"))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .and(query_param_is_missing("new_since"))
        .respond_with(recorded("103"))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .and(query_param("new_since", "2000-01-01T00:00:00Z"))
        .respond_with(recorded("104"))
        .with_priority(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let bugs = [BugId(1), BugId(2), BugId(3)];
    let all = c.comments(&bugs, None).await.unwrap();
    let since = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    let newer = c.comments(&bugs, Some(since)).await.unwrap();
    for map in [&all, &newer] {
        let ids = |bug: u64| -> Vec<u64> { map[&BugId(bug)].iter().map(|c| c.id.0).collect() };
        assert_eq!(ids(1), vec![1, 4]);
        assert_eq!(ids(2), vec![2, 5]);
        assert_eq!(ids(3), vec![3]);
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "one request per read");
    for r in &requests {
        assert_eq!(r.url.path(), "/rest/bug/1/comment");
        assert_eq!(ids_params(r), vec!["2", "3"], "{}", r.url);
        assert!(!r.url.as_str().contains("%2C"), "no comma list: {}", r.url);
    }
}

#[tokio::test]
async fn comments_ask_each_bug_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .respond_with(recorded("103"))
        .expect(1)
        .mount(&server)
        .await;
    let map = client(&server)
        .comments(&[BugId(1), BugId(2), BugId(1), BugId(3), BugId(2)], None)
        .await
        .unwrap();
    assert_eq!(map.len(), 3);
    assert_eq!(map[&BugId(1)].len(), 2, "comments are not doubled");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(ids_params(&requests[0]), vec!["2", "3"]);
}

/// The length of the URL the client sent (wiremock rebuilds the host part
/// from the `Host` header).
fn sent_len(server: &MockServer, request: &Request) -> usize {
    let query = request.url.query().map_or(0, |q| 1 + q.len());
    server.uri().len() + request.url.path().len() + query
}

/// Stock 5.2's batched comment read: the path's bug and each `ids` value
/// in order; a comma list is one bad value (400/100, recording 102); the
/// first missing or hidden bug fails the whole batch (404/101, 401/102,
/// recordings 106, 157); else one comment per bug (id = bug × 10).
struct FiveTwoComments {
    missing: Vec<u64>,
    hidden: Vec<u64>,
}

impl Respond for FiveTwoComments {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let first = request
            .url
            .path()
            .trim_start_matches("/rest/bug/")
            .trim_end_matches("/comment")
            .to_string();
        let values: Vec<String> = std::iter::once(first).chain(ids_params(request)).collect();
        let error = |status: u16, code: i64, message: String| {
            ResponseTemplate::new(status).set_body_json(
                json!({"error": true, "code": code, "message": message, "documentation": "https://bugzilla.readthedocs.org/en/5.0/api/"}),
            )
        };
        let mut bugs = serde_json::Map::new();
        for value in values {
            let Ok(bug) = value.parse::<u64>() else {
                return error(
                    400,
                    100,
                    format!("'{value}' is not a valid bug number nor an alias to a bug."),
                );
            };
            if self.missing.contains(&bug) {
                return error(404, 101, format!("Bug #{bug} does not exist."));
            }
            if self.hidden.contains(&bug) {
                return error(
                    401,
                    102,
                    format!("You are not authorized to access bug #{bug}."),
                );
            }
            bugs.insert(
                bug.to_string(),
                json!({ "comments": [support::comment(bug * 10, bug, 0, "dev@example.test", "Description.")] }),
            );
        }
        ResponseTemplate::new(200).set_body_json(json!({ "bugs": bugs, "comments": {} }))
    }
}

async fn five_two(missing: &[u64], hidden: &[u64]) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(FiveTwoComments {
            missing: missing.to_vec(),
            hidden: hidden.to_vec(),
        })
        .mount(&server)
        .await;
    server
}

/// Each bug's comment ids, by bug.
fn comment_ids(
    map: &std::collections::BTreeMap<BugId, Vec<pushbot::bugzilla::Comment>>,
) -> Vec<(u64, Vec<u64>)> {
    map.iter()
        .map(|(bug, list)| (bug.0, list.iter().map(|c| c.id.0).collect()))
        .collect()
}

#[tokio::test]
async fn comment_batches_are_the_largest_that_fit_under_the_url_limit() {
    for (auth, limit, width) in [
        ("query", 250, 7),
        ("query", 600, 4),
        ("header", 600, 4),
        ("query", 8000, 4),
        ("query", 8000, 7),
    ] {
        let server = five_two(&[], &[]).await;
        let mut t = tuning();
        t.max_url_len = limit;
        let c = client_with(&server, auth, "pushbot@example.test", t);
        let b = c.comment_batch_size(width, None);
        let low = 10u64.pow(width as u32 - 1);
        let n = 2 * b + 3;
        let ids: Vec<BugId> = (low..low + n as u64).map(BugId).collect();
        let map = c.comments(&ids, None).await.unwrap();
        assert_eq!(map.len(), n, "{auth} {limit} {width}: every bug answered");
        let requests = server.received_requests().await.unwrap();
        assert_eq!(
            requests.len(),
            n.div_ceil(b),
            "{auth} {limit} {width}: ⌈N/B⌉ requests"
        );
        let mut asked = Vec::new();
        for r in &requests {
            let len = sent_len(&server, r);
            let bugs = asked_bugs(r);
            assert!(len <= limit, "{auth}: {len} > {limit}");
            if bugs.len() == b && b < 1000 {
                // The largest that fits: one more `&ids=N` would not.
                assert!(
                    len + "&ids=".len() + width > limit,
                    "{auth} {limit} {width}: {len} leaves room"
                );
            }
            assert!(bugs.len() <= b);
            asked.extend(bugs);
        }
        asked.sort();
        assert_eq!(asked, ids.iter().map(|b| b.0).collect::<Vec<_>>());
        let full = requests.iter().filter(|r| asked_bugs(r).len() == b).count();
        assert_eq!(
            full,
            n / b,
            "{auth} {limit} {width}: every batch but the last is full"
        );
    }
}

#[tokio::test]
async fn the_api_key_is_reserved_in_the_batch_size_only_for_query_auth() {
    let server = five_two(&[], &[]).await;
    let mut t = tuning();
    t.max_url_len = 600;
    let query = client_with(&server, "query", "pushbot@example.test", t.clone());
    let header = client_with(&server, "header", "pushbot@example.test", t);
    // `&api_key=` and the key: 9 + 33 characters, 4 ids of 9 + 1 digits.
    assert!(query.comment_batch_size(4, None) < header.comment_batch_size(4, None));
    // The default limit: the sizes docs/performance.md names.
    let c = client(&server);
    assert!(
        (850..=900).contains(&c.comment_batch_size(4, None)),
        "{}",
        c.comment_batch_size(4, None)
    );
    assert!(
        (600..=700).contains(&c.comment_batch_size(7, None)),
        "{}",
        c.comment_batch_size(7, None)
    );
    // `new_since` takes room too.
    assert!(c.comment_batch_size(7, Some(Utc::now())) < c.comment_batch_size(7, None));
}

#[tokio::test]
async fn a_missing_bug_costs_its_batch_one_request_not_one_per_bug() {
    let server = five_two(&[1_000_004], &[]).await;
    let ids: Vec<BugId> = (1_000_000..1_000_010).map(BugId).collect();
    let map = client(&server).comments(&ids, None).await.unwrap();
    let expected: Vec<(u64, Vec<u64>)> = ids
        .iter()
        .filter(|b| b.0 != 1_000_004)
        .map(|b| (b.0, vec![b.0 * 10]))
        .collect();
    assert_eq!(
        comment_ids(&map),
        expected,
        "the neighbours' comments come back"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests.len(),
        2,
        "the batch, then the batch without the missing bug"
    );
    assert!(asked_bugs(&requests[1]).iter().all(|b| *b != 1_000_004));
    assert_eq!(asked_bugs(&requests[1]).len(), 9);
}

#[tokio::test]
async fn each_missing_or_hidden_bug_costs_one_request() {
    // The path's bug missing, one hidden, one missing at the end.
    let server = five_two(&[100, 109], &[105]).await;
    let ids: Vec<BugId> = (100..110).map(BugId).collect();
    let map = client(&server).comments(&ids, None).await.unwrap();
    let got: Vec<u64> = map.keys().map(|b| b.0).collect();
    assert_eq!(got, vec![101, 102, 103, 104, 106, 107, 108]);
    assert_eq!(received(&server).await, 4);
}

#[tokio::test]
async fn a_missing_bug_only_costs_its_own_batch() {
    let server = five_two(&[1_000_030], &[]).await;
    let mut t = tuning();
    t.max_url_len = 250;
    let c = client_with(&server, "query", "pushbot@example.test", t);
    let b = c.comment_batch_size(7, None);
    let ids: Vec<BugId> = (1_000_000..1_000_060).map(BugId).collect();
    let map = c.comments(&ids, None).await.unwrap();
    assert_eq!(map.len(), 59);
    assert!(!map.contains_key(&BugId(1_000_030)));
    assert_eq!(received(&server).await, ids.len().div_ceil(b) + 1);
}

/// A server whose missing-bug error names a bug the client never asked
/// for (as if by alias), whenever `culprit` is in the batch.
struct NamesAnotherBug {
    culprit: u64,
}

impl Respond for NamesAnotherBug {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let bugs = asked_bugs(request);
        if bugs.contains(&self.culprit) {
            return ResponseTemplate::new(404).set_body_json(
                json!({"error": true, "code": 101, "message": "Bug #31337 does not exist."}),
            );
        }
        let body: serde_json::Map<String, serde_json::Value> = bugs
            .iter()
            .map(|b| (b.to_string(), json!({ "comments": [] })))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({ "bugs": body, "comments": {} }))
    }
}

#[tokio::test]
async fn an_error_naming_no_bug_of_the_batch_halves_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(NamesAnotherBug { culprit: 41 })
        .mount(&server)
        .await;
    let ids: Vec<BugId> = (1..=64).map(BugId).collect();
    let map = client(&server).comments(&ids, None).await.unwrap();
    let got: Vec<u64> = map.keys().map(|b| b.0).collect();
    assert_eq!(got, (1..=64).filter(|b| *b != 41).collect::<Vec<_>>());
    // 64 → 32 + 32 → … → 1 + 1: one request, then two per halving.
    assert_eq!(received(&server).await, 1 + 2 * 6);
}

#[tokio::test]
async fn the_recorded_missing_bug_error_names_the_bug_to_leave_out() {
    // Recording 106: `?ids=2&ids=99999` → 404/101 "Bug #99999 does not
    // exist."; the batch without it is answered like recording 105.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .and(query_param("ids", "99999"))
        .respond_with(recorded("106"))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .and(query_param("ids", "2"))
        .respond_with(recorded("105"))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let map = client(&server)
        .comments(&[BugId(1), BugId(2), BugId(99999)], None)
        .await
        .unwrap();
    assert_eq!(comment_ids(&map), vec![(1, vec![1, 4]), (2, vec![2, 5])]);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(ids_params(&requests[0]), vec!["2", "99999"]);
    assert_eq!(ids_params(&requests[1]), vec!["2"]);
}

#[tokio::test]
async fn a_hidden_bug_is_left_out_without_reading_it_alone() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .and(query_param("ids", "4"))
        .respond_with(recorded("76"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .and(query_param_is_missing("ids"))
        .respond_with(recorded("26"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/4/comment"))
        .respond_with(recorded("76"))
        .expect(0)
        .mount(&server)
        .await;
    let map = client(&server)
        .comments(&[BugId(1), BugId(4)], None)
        .await
        .unwrap();
    assert_eq!(map.keys().copied().collect::<Vec<_>>(), vec![BugId(1)]);
    assert_eq!(map[&BugId(1)][0].id, CommentId(1));
}

#[tokio::test]
async fn post_comment_returns_the_new_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/bug/1/comment"))
        .and(query_param("api_key", KEY))
        .and(body_json(
            json!({"comment": "Tag is ready.", "is_private": false}),
        ))
        .respond_with(recorded("27"))
        .expect(1)
        .mount(&server)
        .await;
    let comment = NewComment {
        text: "Tag is ready.".into(),
        is_private: false,
        // Asked for, but this server has not shown markdown support.
        is_markdown: true,
    };
    let id = client(&server)
        .post_comment(BugId(1), &comment)
        .await
        .unwrap();
    assert_eq!(id, CommentId(6));
}

#[tokio::test]
async fn markdown_is_sent_where_supported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/bug/2/comment"))
        .and(body_json(
            json!({"comment": "**go**", "is_private": false, "is_markdown": true}),
        ))
        .respond_with(recorded("28"))
        .expect(1)
        .mount(&server)
        .await;
    let mut t = tuning();
    t.markdown = Some(true);
    let c = client_with(&server, "header", "pushbot@example.test", t);
    let comment = NewComment {
        text: "**go**".into(),
        is_private: false,
        is_markdown: true,
    };
    assert_eq!(
        c.post_comment(BugId(2), &comment).await.unwrap(),
        CommentId(7)
    );
}

#[tokio::test]
async fn update_bug_sends_flags_assignee_and_whiteboard() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/rest/bug/1"))
        .and(body_json(json!({"flags":[
            {"name":"qa-signoff","status":"?","requestee":"qa@example.test"}
        ]})))
        .respond_with(recorded("35"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/rest/bug/3"))
        .and(body_json(json!({
            "flags":[{"name":"needinfo","status":"?","requestee":"dev@example.test","new":true},
                     {"id": 4, "status": "X"}],
            "assigned_to":"dev@example.test",
            "whiteboard":"[push:amo] [ready]"
        })))
        .respond_with(recorded("39"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let signoff = BugUpdate {
        flags: vec![FlagChange {
            id: None,
            name: Some("qa-signoff".into()),
            status: FlagChangeStatus::Requested,
            requestee: Some("qa@example.test".into()),
            new: false,
        }],
        ..BugUpdate::default()
    };
    c.update_bug(BugId(1), &signoff).await.unwrap();
    let several = BugUpdate {
        flags: vec![
            FlagChange {
                id: None,
                name: Some("needinfo".into()),
                status: FlagChangeStatus::Requested,
                requestee: Some("dev@example.test".into()),
                // A needinfo is always a new flag (`"new": true` on the wire).
                new: true,
            },
            FlagChange {
                id: Some(4),
                name: None,
                status: FlagChangeStatus::Clear,
                requestee: None,
                new: false,
            },
        ],
        assigned_to: Some("dev@example.test".into()),
        whiteboard: Some("[push:amo] [ready]".into()),
    };
    c.update_bug(BugId(3), &several).await.unwrap();
    // An empty update makes no request.
    c.update_bug(BugId(1), &BugUpdate::default()).await.unwrap();
    assert_eq!(received(&server).await, 2);
}

#[tokio::test]
async fn users_by_login_with_groups() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/user"))
        .and(query_param("names", "lead@example.test"))
        .respond_with(recorded("52"))
        .expect(1)
        .mount(&server)
        .await;
    let users = client(&server)
        .users(&["lead@example.test".to_string()])
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].name, "lead@example.test");
    assert_eq!(users[0].id, Some(3));
    let groups: Vec<&str> = users[0].groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        groups,
        vec!["bz_canusewhines", "editbugs", "websites-security"]
    );
    assert_eq!(users[0].groups[2].id, Some(15));
}

#[tokio::test]
async fn users_sends_every_login() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users":[]})))
        .mount(&server)
        .await;
    let logins = vec!["a@example.test".to_string(), "b@example.test".to_string()];
    assert!(client(&server).users(&logins).await.unwrap().is_empty());
    let requests = server.received_requests().await.unwrap();
    let names: Vec<String> = requests[0]
        .url
        .query_pairs()
        .filter(|(k, _)| k == "names")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(names, logins);
}

#[tokio::test]
async fn is_member_asks_with_names_and_groups() {
    let server = MockServer::start().await;
    let ask = |login: &str| {
        Mock::given(method("GET"))
            .and(path("/rest/user"))
            .and(query_param("names", login.to_string()))
            .and(query_param("groups", "editbugs"))
    };
    ask("lead@example.test")
        .respond_with(recorded("93"))
        .mount(&server)
        .await;
    ask("outsider@example.test")
        .respond_with(recorded("94"))
        .mount(&server)
        .await;
    let c = client(&server);
    assert!(c.is_member("lead@example.test", "editbugs").await.unwrap());
    assert!(!c
        .is_member("outsider@example.test", "editbugs")
        .await
        .unwrap());
}

#[tokio::test]
async fn is_member_is_an_error_when_the_bot_is_not_in_the_group() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/user"))
        .respond_with(recorded("95"))
        .mount(&server)
        .await;
    let err = client(&server)
        .is_member("lead@example.test", "editbugs")
        .await
        .unwrap_err();
    match err {
        BugzillaError::Api { status, code, .. } => {
            assert_eq!((status, code), (400, 804));
        }
        other => panic!("expected Api 804, got {other:?}"),
    }
    assert_eq!(received(&server).await, 1);
}

// ---- verify_login ----

fn whoami_missing() -> ResponseTemplate {
    recorded("88")
}

#[tokio::test]
async fn verify_login_on_bmo_uses_whoami() {
    let server = MockServer::start().await;
    // Shape from BMO's User.pm `whoami` (REST.md §1); not recorded.
    Mock::given(method("GET"))
        .and(path("/rest/whoami"))
        .and(header("X-BUGZILLA-API-KEY", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 42, "name": "pushbot@example.test", "real_name": "Push Bot [:pushbot]",
            "nick": "pushbot", "groups": ["editbugs", "everyone"], "mfa_status": false
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client_with(&server, "header", "pushbot@example.test", tuning());
    assert!(!c.supports_markdown());
    let user = c.verify_login().await.unwrap();
    assert_eq!(user.id, Some(42));
    assert_eq!(user.groups[0].name, "editbugs");
    assert!(
        c.supports_markdown(),
        "a whoami server gets markdown comments"
    );
}

#[tokio::test]
async fn verify_login_on_bmo_refuses_another_account() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/whoami"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 7, "name": "someone@example.test", "real_name": "Someone"
        })))
        .mount(&server)
        .await;
    let err = client_with(&server, "header", "pushbot@example.test", tuning())
        .verify_login()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("someone@example.test"), "{err}");
    assert!(err.contains("bugzilla.bot_login"), "{err}");
}

#[tokio::test]
async fn verify_login_on_stock_5_2_with_query_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/whoami"))
        .respond_with(whoami_missing())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/user"))
        .and(query_param("names", "qa@example.test"))
        .and(query_param("api_key", KEY))
        .respond_with(recorded("54"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/valid_login"))
        .and(query_param("login", "qa@example.test"))
        .respond_with(recorded("57"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client_with(&server, "query", "qa@example.test", tuning());
    let user = c.verify_login().await.unwrap();
    assert_eq!(user.name, "qa@example.test");
    assert_eq!(user.email.as_deref(), Some("qa@example.test"));
    assert!(!c.supports_markdown());
}

#[tokio::test]
async fn verify_login_detects_the_ignored_header_on_stock_5_2() {
    for auth in ["header", "bearer"] {
        let server = MockServer::start().await;
        // Recording 65: the header was ignored, the answer is the
        // logged-out user shape (id, name, real_name only); valid_login for
        // an anonymous caller (not recorded: 57 is the logged-in `true`).
        login_answers(
            &server,
            whoami_missing(),
            recorded("65"),
            ResponseTemplate::new(200).set_body_json(json!({"result": false})),
        )
        .await;
        let err = client_with(&server, auth, "lead@example.test", tuning())
            .verify_login()
            .await
            .unwrap_err();
        assert!(matches!(err, BugzillaError::Login { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("bugzilla.auth = \"query\""), "{auth}: {text}");
        assert!(text.contains("anonymous"), "{text}");
    }
}

#[tokio::test]
async fn verify_login_refuses_a_key_of_another_account_on_stock() {
    let server = MockServer::start().await;
    login_answers(
        &server,
        whoami_missing(),
        recorded("52"),
        ResponseTemplate::new(200).set_body_json(json!({"result": false})),
    )
    .await;
    let text = client_with(&server, "query", "lead@example.test", tuning())
        .verify_login()
        .await
        .unwrap_err()
        .to_string();
    assert!(text.contains("does not belong"), "{text}");
    assert!(!text.contains("bugzilla.auth"), "{text}");
}

#[tokio::test]
async fn verify_login_with_a_bad_key_makes_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(recorded("70"))
        .mount(&server)
        .await;
    let err = client(&server).verify_login().await.unwrap_err();
    assert!(matches!(err, BugzillaError::BadApiKey { .. }), "{err:?}");
    assert_eq!(err.code(), Some(306));
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn verify_login_unknown_bot_account() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/whoami"))
        .respond_with(whoami_missing())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users": []})))
        .mount(&server)
        .await;
    let text = client(&server)
        .verify_login()
        .await
        .unwrap_err()
        .to_string();
    assert!(text.contains("no account `pushbot@example.test`"), "{text}");
}

/// Stock 5.2 answers an unknown login with 404/51 (recording 129), not an
/// empty list: the same "no account" error that says what to fix.
#[tokio::test]
async fn verify_login_unknown_bot_account_on_stock_5_2() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/whoami"))
        .respond_with(whoami_missing())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/user"))
        .respond_with(recorded("129"))
        .mount(&server)
        .await;
    let text = client(&server)
        .verify_login()
        .await
        .unwrap_err()
        .to_string();
    assert!(text.contains("no account `pushbot@example.test`"), "{text}");
    assert!(text.contains("fix `bugzilla.bot_login`"), "{text}");
}

#[test]
fn tuning_from_settings_uses_the_settings() {
    let s = support::client::settings("https://bugzilla.example.org", "query", "b@example.test");
    let t = pushbot::bugzilla::ClientTuning::from_settings(&s);
    assert_eq!(t.timeout.as_secs(), s.bugzilla.timeout_secs);
    assert_eq!(t.block.as_secs(), s.bugzilla.block_minutes * 60);
    assert_eq!(t.max_retries, s.bugzilla.max_retries);
    assert_eq!(t.rate_limit_per_minute, 60);
}

#[tokio::test]
async fn verify_login_treats_a_bare_404_whoami_as_stock() {
    let server = MockServer::start().await;
    login_answers(
        &server,
        ResponseTemplate::new(404).set_body_string("Not Found"),
        recorded("54"),
        recorded("57"),
    )
    .await;
    let c = client_with(&server, "query", "qa@example.test", tuning());
    assert_eq!(c.verify_login().await.unwrap().id, Some(4));
    assert_eq!(c.request_count(), 3);
}
