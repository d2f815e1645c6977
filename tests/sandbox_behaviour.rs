//! Sandbox behaviour beyond the recorded calls: the clock and `Date`
//! header, caching, searches the bot relies on, simulated people, the
//! request log, and errors for what is not implemented.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use pushbot::sandbox::{Sandbox, SandboxClock, SandboxData, SandboxHandle, SandboxOptions};
use serde_json::{json, Value};

const LEAD_KEY: &str = "sandbox-lead-key-0000000000000000000000000";
const OUTSIDER_KEY: &str = "sandbox-outsider-key-00000000000000000000";

fn start_time() -> DateTime<Utc> {
    "2026-11-30T16:00:00Z".parse().expect("time")
}

async fn start() -> SandboxHandle {
    let data = SandboxData::from_path(Path::new("tests/fixtures/sandbox/example.toml"))
        .expect("example data loads");
    Sandbox::start(
        data,
        SandboxOptions {
            clock: SandboxClock::fixed(start_time()),
            ..SandboxOptions::default()
        },
    )
    .await
    .expect("sandbox starts")
}

async fn get(sandbox: &SandboxHandle, path_and_query: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path_and_query}", sandbox.base_url()))
        .await
        .expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

fn ids(body: &Value) -> Vec<u64> {
    body["bugs"]
        .as_array()
        .map(|bugs| bugs.iter().filter_map(|b| b["id"].as_u64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn date_header_and_write_times_follow_the_sandbox_clock() {
    let sandbox = start().await;
    sandbox.clock().advance(Duration::minutes(5));
    let response = reqwest::get(format!("{}/rest/version", sandbox.base_url()))
        .await
        .expect("answer");
    assert_eq!(
        response.headers().get("date").and_then(|v| v.to_str().ok()),
        Some("Mon, 30 Nov 2026 16:05:00 GMT")
    );
    let id = sandbox
        .add_comment(1, "qa@example.test", "@pushbot status")
        .expect("comment added");
    let bug = sandbox.bug(1).expect("bug 1");
    let comment = bug.comments.iter().find(|c| c.id == id).expect("comment");
    assert_eq!(comment.time, start_time() + Duration::minutes(5));
    assert_eq!(bug.last_change_time, start_time() + Duration::minutes(5));
    let (_, since) = get(
        &sandbox,
        &format!(
            "/rest/bug?last_change_time=2026-11-30T16:05:00Z&include_fields=id&api_key={LEAD_KEY}"
        ),
    )
    .await;
    assert_eq!(ids(&since), vec![1]);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn if_none_match_gives_304_until_the_bug_changes() {
    let sandbox = start().await;
    let client = reqwest::Client::new();
    let url = format!("{}/rest/bug/1?api_key={LEAD_KEY}", sandbox.base_url());
    let first = client.get(&url).send().await.expect("answer");
    let etag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    assert!(!etag.starts_with('"'), "Bugzilla's ETag is unquoted");
    let again = client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("answer");
    assert_eq!(again.status().as_u16(), 304);
    assert!(again.bytes().await.expect("body").is_empty());
    sandbox.clock().advance(Duration::seconds(1));
    sandbox
        .update_bug(
            1,
            "dev@example.test",
            &json!({ "whiteboard": "[push:amo] [ready]" }),
        )
        .expect("update");
    let changed = client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("answer");
    assert_eq!(changed.status().as_u16(), 200);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn searches_by_status_keywords_component_and_flags() {
    let sandbox = start().await;
    sandbox
        .update_bug(
            3,
            "lead@example.test",
            &json!({
                "status": "RESOLVED",
                "resolution": "FIXED",
                "keywords": { "add": ["regression"] },
            }),
        )
        .expect("close bug 3");
    let key = format!("api_key={LEAD_KEY}");
    let (_, open) = get(
        &sandbox,
        &format!("/rest/bug?status=__open__&include_fields=id&{key}"),
    )
    .await;
    assert_eq!(ids(&open), vec![1, 2, 4, 5]);
    let (_, closed) = get(
        &sandbox,
        &format!("/rest/bug?status=__closed__&include_fields=id,resolution&{key}"),
    )
    .await;
    assert_eq!(ids(&closed), vec![3]);
    assert_eq!(closed["bugs"][0]["resolution"], "FIXED");
    let (_, keyword) = get(&sandbox, &format!("/rest/bug?keywords=regression&{key}")).await;
    assert_eq!(ids(&keyword), vec![3]);
    let (_, general) = get(
        &sandbox,
        &format!("/rest/bug?component=General&include_fields=id&{key}"),
    )
    .await;
    assert_eq!(ids(&general), vec![5]);
    let (_, flagged) = get(
        &sandbox,
        &format!("/rest/bug?f1=flagtypes.name&o1=substring&v1=qa-signoff&include_fields=id&{key}"),
    )
    .await;
    assert_eq!(ids(&flagged), vec![2]);
    let (_, outsider) = get(
        &sandbox,
        &format!("/rest/bug?include_fields=id&api_key={OUTSIDER_KEY}"),
    )
    .await;
    assert_eq!(
        ids(&outsider),
        vec![1, 2, 3, 4],
        "restricted bug 5 is hidden"
    );
    let (status, cgi) = get(
        &sandbox,
        &format!("/rest.cgi/bug?id=2,4&include_fields=id&{key}"),
    )
    .await;
    assert_eq!((status, ids(&cgi)), (200, vec![2, 4]));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn unknown_include_fields_names_are_ignored_like_5_2() {
    // The bot asks for `_default,triage_owner` everywhere: BMO's extra
    // field, which stock 5.2 does not have and silently ignores (REST.pm
    // `rest_include_exclude`); the sandbox must answer the same, not refuse.
    let sandbox = start().await;
    let key = format!("api_key={LEAD_KEY}");
    let (plain_status, plain) = get(&sandbox, &format!("/rest/bug?product=Websites&{key}")).await;
    let (status, asked) = get(
        &sandbox,
        &format!("/rest/bug?product=Websites&include_fields=_default,triage_owner&{key}"),
    )
    .await;
    assert_eq!((plain_status, status), (200, 200));
    assert!(!ids(&asked).is_empty());
    assert_eq!(
        asked, plain,
        "_default plus an unknown name is just _default"
    );
    assert!(asked["bugs"][0].get("triage_owner").is_none());

    let (_, one_plain) = get(&sandbox, &format!("/rest/bug/1?{key}")).await;
    let (status, one) = get(
        &sandbox,
        &format!("/rest/bug?id=1&include_fields=_default,triage_owner&{key}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        one["bugs"][0]["assigned_to"],
        one_plain["bugs"][0]["assigned_to"]
    );
    assert_eq!(one["bugs"][0]["flags"], one_plain["bugs"][0]["flags"]);

    let (status, only) = get(
        &sandbox,
        &format!("/rest/bug/1?include_fields=id,triage_owner,no_such_field&{key}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(only["bugs"], json!([{ "id": 1 }]));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn flags_can_be_cleared_and_history_is_kept() {
    let sandbox = start().await;
    let flag = sandbox
        .flags(1)
        .into_iter()
        .find(|f| f.name == "webdev-signoff")
        .expect("seeded flag");
    sandbox.clock().advance(Duration::minutes(1));
    let changed = sandbox
        .update_bug(
            1,
            "lead@example.test",
            &json!({ "flags": [{ "id": flag.id, "status": "X" }] }),
        )
        .expect("clear flag");
    assert_eq!(changed, vec!["flagtypes.name"]);
    assert!(sandbox.flags(1).is_empty());
    let (_, history) = get(
        &sandbox,
        &format!("/rest/bug/1/history?new_since=2026-11-30T16:00:00Z&api_key={LEAD_KEY}"),
    )
    .await;
    let entries = history["bugs"][0]["history"].as_array().expect("history");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["changes"][0],
        json!({ "field_name": "flagtypes.name", "removed": "webdev-signoff?(dev@example.test)", "added": "" })
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn errors_for_bad_input_and_unimplemented_methods() {
    let sandbox = start().await;
    let client = reqwest::Client::new();
    let base = sandbox.base_url();
    let bad_status = client
        .put(format!("{base}/rest/bug/1?api_key={LEAD_KEY}"))
        .json(&json!({ "status": "PUSHED" }))
        .send()
        .await
        .expect("answer");
    assert_eq!(bad_status.status().as_u16(), 404);
    let body: Value = bad_status.json().await.expect("JSON");
    assert_eq!(body["code"], 51);
    let delete = client
        .delete(format!("{base}/rest/bug/1?api_key={LEAD_KEY}"))
        .send()
        .await
        .expect("answer");
    assert_eq!(delete.status().as_u16(), 404);
    let body: Value = delete.json().await.expect("JSON");
    assert_eq!(body["code"], 32614);
    // What the sandbox does not implement is refused, never ignored.
    let (status, body) = get(
        &sandbox,
        &format!("/rest/bug?quicksearch=amo&api_key={LEAD_KEY}"),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (404, Some(32614)));
    let (status, body) = get(
        &sandbox,
        &format!("/rest/bug?f1=cf_due_date&o1=equals&v1=x&api_key={LEAD_KEY}"),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (404, Some(32614)));
    let err = sandbox
        .update_bug(1, "lead@example.test", &json!({ "blocks": { "add": [2] } }))
        .expect_err("blocks is not implemented");
    assert_eq!((err.status, err.code), (404, 32614));
    let (status, body) = get(&sandbox, "/rest/whoami").await;
    assert_eq!((status, body["code"].as_i64()), (404, Some(32614)));
    assert_eq!(sandbox.request_count("PUT /rest/bug/{id}"), 1);
    assert_eq!(sandbox.request_count("GET /rest/whoami"), 1);
    assert_eq!(
        sandbox.bug(1).map(|b| b.status),
        Some("CONFIRMED".to_owned())
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_request_log_keeps_no_api_keys() {
    let sandbox = start().await;
    let _ = get(&sandbox, &format!("/rest/bug/1/comment?api_key={LEAD_KEY}")).await;
    let log = sandbox.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].route, "GET /rest/bug/{id}/comment");
    assert_eq!(log[0].status, Some(200));
    assert!(!format!("{log:?}").contains(LEAD_KEY));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sandbox = start().await;
    let url = format!("{}/rest/version", sandbox.base_url());
    let (status, _) = get(&sandbox, "/rest/version").await;
    assert_eq!(status, 200);
    sandbox.shutdown().await;
    let client = reqwest::Client::new();
    assert!(
        client.get(&url).send().await.is_err(),
        "nobody listens any more"
    );
}

#[tokio::test]
async fn batched_reads_take_one_bug_per_ids_value() {
    let sandbox = start().await;
    let key = format!("api_key={LEAD_KEY}");
    // A comma list is one bad bug id, as on 5.2 (recording 102).
    let (status, body) = get(&sandbox, &format!("/rest/bug/1/comment?ids=2,3&{key}")).await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(100)));
    assert_eq!(
        body["message"],
        "'2,3' is not a valid bug number nor an alias to a bug."
    );
    let (status, body) = get(&sandbox, &format!("/rest/bug/1?ids=2,3&{key}")).await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(100)));
    let (status, body) = get(
        &sandbox,
        &format!("/rest/bug/1/comment?ids=2&ids=3&ids=1&{key}"),
    )
    .await;
    assert_eq!(status, 200);
    let bugs: Vec<&String> = body["bugs"]
        .as_object()
        .map(|b| b.keys().collect())
        .unwrap_or_default();
    assert_eq!(bugs, ["1", "2", "3"]);
    // One bug the caller may not see fails the whole batch.
    let qa_key = "api_key=sandbox-qa-key-00000000000000000000000000";
    let (status, body) = get(&sandbox, &format!("/rest/bug/1/comment?ids=5&{qa_key}")).await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(102)));
    // A search takes a comma list (recording 107) ...
    let (status, body) = get(
        &sandbox,
        &format!("/rest/bug?id=1,2&include_fields=id&{key}"),
    )
    .await;
    assert_eq!((status, ids(&body)), (200, vec![1, 2]));
    // ... a user lookup one name per value.
    let (status, body) = get(
        &sandbox,
        &format!("/rest/user?names=lead@example.test,qa@example.test&{key}"),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (404, Some(51)));
    let (status, body) = get(
        &sandbox,
        &format!("/rest/bug/1/comment?include_fields=text&{key}"),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (404, Some(32614)));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn flags_by_name_reach_the_one_flag_of_their_type() {
    let sandbox = start().await;
    let lead = "lead@example.test";
    let ask = |requestee: &str, new: bool| json!({ "flags": [{ "name": "needinfo", "status": "?", "requestee": requestee, "new": new }] });
    let needinfos = |sandbox: &SandboxHandle| -> Vec<Option<String>> {
        sandbox
            .flags(1)
            .into_iter()
            .filter(|f| f.name == "needinfo")
            .map(|f| f.requestee)
            .collect()
    };
    sandbox
        .update_bug(1, lead, &ask("dev@example.test", false))
        .expect("first needinfo");
    // By name again: 5.2 changes the one needinfo there is, even though
    // the type is multiplicable.
    sandbox
        .update_bug(1, lead, &ask("qa@example.test", false))
        .expect("needinfo by name again");
    assert_eq!(
        needinfos(&sandbox),
        vec![Some("qa@example.test".to_owned())]
    );
    sandbox
        .update_bug(1, lead, &ask("lead@example.test", true))
        .expect("a second needinfo with new");
    assert_eq!(needinfos(&sandbox).len(), 2);
    let err = sandbox
        .update_bug(1, lead, &ask("dev@example.test", false))
        .expect_err("two needinfos: which one?");
    assert_eq!((err.status, err.code), (400, 132));
    // A second flag of a type that is not multiplicable is refused.
    let before = sandbox.bug(2);
    let err = sandbox
        .update_bug(
            2,
            lead,
            &json!({ "flags": [{ "name": "webdev-signoff", "status": "?", "new": true }] }),
        )
        .expect_err("webdev-signoff is set already");
    assert_eq!((err.status, err.code), (400, 32000));
    assert_eq!(sandbox.bug(2), before);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn comments_private_or_markdown_and_products_by_field() {
    let sandbox = start().await;
    let client = reqwest::Client::new();
    let url = format!(
        "{}/rest/bug/1/comment?api_key={LEAD_KEY}",
        sandbox.base_url()
    );
    let post = |body: Value| client.post(&url).json(&body).send();
    // Stock 5.2 has no insider group: nobody may mark a comment private.
    let private = post(json!({ "comment": "secret", "is_private": true }))
        .await
        .expect("answer");
    assert_eq!(private.status().as_u16(), 401);
    let body: Value = private.json().await.expect("JSON");
    assert_eq!(body["code"], 113);
    let markdown = post(json!({ "comment": "**go**", "is_markdown": true }))
        .await
        .expect("answer");
    assert_eq!(markdown.status().as_u16(), 201, "is_markdown is ignored");
    let unknown = post(json!({ "comment": "x", "work_time": 1.5 }))
        .await
        .expect("answer");
    assert_eq!(unknown.status().as_u16(), 404);
    let (status, body) = get(
        &sandbox,
        &format!(
            "/rest/product?names=Websites&include_fields=name,components.name,components.default_assigned_to&api_key={LEAD_KEY}"
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["products"][0],
        json!({ "name": "Websites", "components": [
            { "name": "General", "default_assigned_to": "lead@example.test" },
            { "name": "Push", "default_assigned_to": "nobody@example.test" },
        ]})
    );
    let (status, body) = get(
        &sandbox,
        &format!("/rest/flag_type/NoSuchProduct/Push?api_key={LEAD_KEY}"),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(106)));
    sandbox.shutdown().await;
}

const ADMIN_KEY: &str = "sandbox-admin-key-000000000000000000000000";
const BOT_KEY: &str = "sandbox-pushbot-key-000000000000000000000";

/// Counts the comments of bug 1 the caller with `key` sees, and whether
/// any of them is private.
async fn visible_comments(sandbox: &SandboxHandle, key: &str) -> (usize, bool) {
    let (status, body) = get(sandbox, &format!("/rest/bug/1/comment?api_key={key}")).await;
    assert_eq!(status, 200);
    let comments = body["bugs"]["1"]["comments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let private = comments.iter().any(|c| c["is_private"] == json!(true));
    (comments.len(), private)
}

/// The `insidergroup` parameter set while the sandbox runs, and an
/// administrator's group changes (`PUT /rest/user/NAME`), take effect at
/// once and both ways: joining the group shows private comments and the
/// group's bugs, leaving it hides them again (the recordings only show the
/// joining, 163-165).
#[tokio::test]
async fn insider_group_and_group_changes_apply_at_once() {
    let sandbox = start().await;
    let client = reqwest::Client::new();
    let comment_url =
        |key: &str| format!("{}/rest/bug/1/comment?api_key={key}", sandbox.base_url());
    let user_url = |key: &str| {
        format!(
            "{}/rest/user/pushbot@example.test?api_key={key}",
            sandbox.base_url()
        )
    };
    assert!(sandbox.set_insider_group(Some("no-such-group")).is_err());
    sandbox
        .set_insider_group(Some("websites-security"))
        .expect("the group exists");
    let lead = client
        .post(comment_url(LEAD_KEY))
        .json(&json!({ "comment": "Internal note.", "is_private": true }))
        .send()
        .await
        .expect("answer");
    assert_eq!(lead.status().as_u16(), 201, "the lead is in the group");
    let (before, private) = visible_comments(&sandbox, BOT_KEY).await;
    assert!(!private, "the bot outside the group does not see it");
    let (status, _) = get(&sandbox, &format!("/rest/bug/5?api_key={BOT_KEY}")).await;
    assert_eq!(status, 401, "nor the group's bug");

    // Only an administrator changes accounts.
    let add = json!({ "groups": { "add": ["websites-security"] } });
    let refused = client
        .put(user_url(BOT_KEY))
        .json(&add)
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status().as_u16(), 401);
    let added: Value = client
        .put(user_url(ADMIN_KEY))
        .json(&add)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        added["users"][0]["changes"]["groups"],
        json!({ "added": "websites-security", "removed": "" })
    );
    assert_eq!(
        visible_comments(&sandbox, BOT_KEY).await,
        (before + 1, true)
    );
    let (status, _) = get(&sandbox, &format!("/rest/bug/5?api_key={BOT_KEY}")).await;
    assert_eq!(status, 200, "a member sees the group's bug");

    let removed: Value = client
        .put(user_url(ADMIN_KEY))
        .json(&json!({ "groups": { "remove": ["websites-security"] } }))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        removed["users"][0]["changes"]["groups"],
        json!({ "added": "", "removed": "websites-security" })
    );
    assert_eq!(visible_comments(&sandbox, BOT_KEY).await, (before, false));

    // Back to the stock default: nobody sees private comments, not even
    // the group's members.
    sandbox.set_insider_group(None).expect("none is allowed");
    assert_eq!(visible_comments(&sandbox, LEAD_KEY).await, (before, false));
    sandbox.shutdown().await;
}
