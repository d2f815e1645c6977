//! The client's calls against the sandbox, not only against wiremock: the
//! two must agree on every shape, or the end-to-end tests prove nothing.

mod support;

use std::path::Path;

use chrono::{Duration, Utc};
use pushbot::bugzilla::{
    BugId, BugUpdate, BugzillaError, Client, FlagChange, FlagChangeStatus, FlagStatus, NewComment,
    SearchQuery,
};
use pushbot::config::Settings;
use pushbot::sandbox::{Sandbox, SandboxClock, SandboxData, SandboxHandle, SandboxOptions};
use support::client::tuning;

const BOT: &str = "pushbot@example.test";
const BOT_KEY: &str = "sandbox-pushbot-key-000000000000000000000";

async fn sandbox() -> SandboxHandle {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sandbox/example.toml");
    let data = SandboxData::from_path(&path).unwrap();
    Sandbox::start(
        data,
        SandboxOptions {
            clock: SandboxClock::fixed("2026-11-30T17:00:00Z".parse().unwrap()),
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap()
}

fn settings(sandbox: &SandboxHandle, auth: &str, key: &str) -> Settings {
    let text = format!(
        r#"
[bugzilla]
url = "{}"
api_key = "{key}"
auth = "{auth}"
bot_login = "{BOT}"
"#,
        sandbox.base_url()
    );
    let settings: Settings = toml::from_str(&text).unwrap();
    settings.validate(Path::new(".")).unwrap()
}

fn client(sandbox: &SandboxHandle) -> Client {
    Client::with_tuning(&settings(sandbox, "query", BOT_KEY), tuning()).unwrap()
}

fn websites() -> SearchQuery {
    SearchQuery {
        product: vec!["Websites".to_string()],
        status: "__open__".to_string(),
        ..SearchQuery::default()
    }
}

#[tokio::test]
async fn version_and_login_check_pass_with_query_auth() {
    let sb = sandbox().await;
    let c = client(&sb);
    assert_eq!(c.version().await.unwrap(), "5.2");
    let me = c.verify_login().await.unwrap();
    assert_eq!(me.name, BOT);
}

#[tokio::test]
async fn login_check_catches_the_ignored_header_like_on_real_5_2() {
    let sb = sandbox().await;
    let c = Client::with_tuning(&settings(&sb, "header", BOT_KEY), tuning()).unwrap();
    let err = c.verify_login().await.unwrap_err().to_string();
    assert!(err.contains("auth = \"query\""), "{err}");
    assert!(!err.contains(BOT_KEY), "{err}");
}

#[tokio::test]
async fn a_bad_key_is_refused_and_not_retried() {
    let sb = sandbox().await;
    let c = Client::with_tuning(&settings(&sb, "query", "not-a-key"), tuning()).unwrap();
    let err = c.search(&websites()).await.unwrap_err();
    assert!(matches!(err, BugzillaError::BadApiKey { .. }), "{err:?}");
    assert_eq!(sb.request_count("GET /rest/bug"), 1);
}

#[tokio::test]
async fn search_pages_until_exhausted_and_hides_restricted_bugs() {
    let sb = sandbox().await;
    let mut t = tuning();
    t.page_size = 2;
    let c = Client::with_tuning(&settings(&sb, "query", BOT_KEY), t).unwrap();
    let found = c.search(&websites()).await.unwrap();
    let ids: Vec<u64> = found.bugs.iter().map(|b| b.id.0).collect();
    // Bug 5 is in websites-security, which the bot is not in.
    assert_eq!(ids, vec![1, 2, 3, 4]);
    // Pages of 2: [1,2], [3,4], [] — the last short page ends the search.
    assert_eq!(sb.request_count("GET /rest/bug"), 3);
    assert_eq!(
        found.server_time,
        Some("2026-11-30T17:00:00Z".parse().unwrap())
    );
    let amo = &found.bugs[0];
    assert_eq!(amo.whiteboard, "[push:amo]");
    assert_eq!(amo.assigned_to, "nobody@example.test");
    assert_eq!(amo.flags[0].name, "webdev-signoff");
    assert_eq!(amo.flags[0].status, FlagStatus::Requested);
    assert_eq!(amo.flags[0].requestee.as_deref(), Some("dev@example.test"));
}

#[tokio::test]
async fn incremental_search_sees_only_changed_bugs() {
    let sb = sandbox().await;
    let c = client(&sb);
    sb.clock().advance(Duration::hours(1));
    let since = sb.clock().now();
    sb.add_comment(3, "dev@example.test", "Personas is on stage.")
        .unwrap();
    let mut q = websites();
    q.changed_since = Some(since);
    let found = c.search(&q).await.unwrap();
    let ids: Vec<u64> = found.bugs.iter().map(|b| b.id.0).collect();
    assert_eq!(ids, vec![3]);
}

#[tokio::test]
async fn get_bugs_skips_missing_ids() {
    let sb = sandbox().await;
    let c = client(&sb);
    let got = c
        .get_bugs(&[BugId(2), BugId(99999), BugId(4)])
        .await
        .unwrap();
    let ids: Vec<u64> = got.bugs.iter().map(|b| b.id.0).collect();
    assert_eq!(ids, vec![2, 4]);
    assert_eq!(got.bugs[0].status, "IN_PROGRESS");
}

#[tokio::test]
async fn comments_of_several_bugs_in_one_request_and_new_since_is_strict() {
    let sb = sandbox().await;
    let c = client(&sb);
    let all = c.comments(&[BugId(1), BugId(2)], None).await.unwrap();
    assert_eq!(sb.request_count("GET /rest/bug/{id}/comment"), 1);
    let bug1 = &all[&BugId(1)];
    assert_eq!(bug1.len(), 2);
    assert_eq!(bug1[0].count, 0);
    assert_eq!(bug1[1].text, "Tag is on stage. @pushbot check");
    assert_eq!(bug1[1].creator, "dev@example.test");
    let since = bug1[1].creation_time;
    let newer = c.comments(&[BugId(1)], Some(since)).await.unwrap();
    assert!(newer.get(&BugId(1)).is_none_or(|c| c.is_empty()));
}

#[tokio::test]
async fn the_sandbox_refuses_comma_joined_ids_like_5_2() {
    // Recording 102: a comma list is one value, and not a bug number.
    let sb = sandbox().await;
    let url = format!(
        "{}/rest/bug/1/comment?ids=2,3&api_key={BOT_KEY}",
        sb.base_url()
    );
    let answer = reqwest::get(&url).await.unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["code"], 100);
    assert_eq!(
        body["message"],
        "'2,3' is not a valid bug number nor an alias to a bug."
    );
}

#[tokio::test]
async fn batched_comment_reads_leave_out_hidden_and_missing_bugs_one_request_each() {
    let sb = sandbox().await;
    let c = client(&sb);
    let ids = [1, 2, 3, 4, 5, 99999].map(BugId);
    let all = c.comments(&ids, None).await.unwrap();
    // Bug 5 is in websites-security (hidden from the bot); 99999 does not
    // exist. Each fails the batch once (401/102, then 404/101), and is left
    // out: three requests, not one per bug.
    let got: Vec<u64> = all.keys().map(|b| b.0).collect();
    assert_eq!(got, vec![1, 2, 3, 4]);
    assert!(all.values().all(|list| !list.is_empty()));
    assert_eq!(sb.request_count("GET /rest/bug/{id}/comment"), 3);
    let statuses: Vec<Option<u16>> = sb
        .request_log()
        .iter()
        .filter(|r| r.route == "GET /rest/bug/{id}/comment")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![Some(401), Some(404), Some(200)]);
}

#[tokio::test]
async fn post_comment_and_update_bug_land_in_the_sandbox() {
    let sb = sandbox().await;
    let c = client(&sb);
    let id = c
        .post_comment(
            BugId(3),
            &NewComment {
                text: "Who owns this push?\n\n[pushbot no-owner nag-1]".to_string(),
                is_private: false,
                is_markdown: false,
            },
        )
        .await
        .unwrap();
    let posted = sb.comments(3).into_iter().find(|c| c.id == id.0).unwrap();
    assert_eq!(posted.creator, BOT);
    assert!(posted.text.ends_with("[pushbot no-owner nag-1]"));

    c.update_bug(
        BugId(3),
        &BugUpdate {
            flags: vec![
                FlagChange {
                    id: None,
                    name: Some("webdev-signoff".to_string()),
                    status: FlagChangeStatus::Requested,
                    requestee: Some("lead@example.test".to_string()),
                    new: false,
                },
                FlagChange {
                    id: None,
                    name: Some("needinfo".to_string()),
                    status: FlagChangeStatus::Requested,
                    requestee: Some("qa@example.test".to_string()),
                    new: false,
                },
            ],
            assigned_to: Some("dev@example.test".to_string()),
            whiteboard: Some("[push:personas] [push 2026-12-02 17:00]".to_string()),
        },
    )
    .await
    .unwrap();
    let bug = sb.bug(3).unwrap();
    assert_eq!(bug.assigned_to, "dev@example.test");
    assert_eq!(bug.whiteboard, "[push:personas] [push 2026-12-02 17:00]");
    let flags: Vec<(String, String, Option<String>)> = sb
        .flags(3)
        .into_iter()
        .map(|f| (f.name, f.status.to_string(), f.requestee))
        .collect();
    assert!(flags.contains(&(
        "webdev-signoff".to_string(),
        "?".to_string(),
        Some("lead@example.test".to_string())
    )));
    assert!(flags.contains(&(
        "needinfo".to_string(),
        "?".to_string(),
        Some("qa@example.test".to_string())
    )));

    let history = sb.bug(3).unwrap().history;
    let fields: Vec<&str> = history
        .iter()
        .flat_map(|h| h.changes.iter().map(|c| c.field_name.as_str()))
        .collect();
    assert!(fields.contains(&"assigned_to"), "{fields:?}");
    assert!(fields.contains(&"flagtypes.name"), "{fields:?}");
    assert!(history.iter().all(|h| h.who == BOT));
}

#[tokio::test]
async fn a_bad_flag_name_is_a_typed_error() {
    let sb = sandbox().await;
    let c = client(&sb);
    let err = c
        .update_bug(
            BugId(3),
            &BugUpdate {
                flags: vec![FlagChange {
                    id: None,
                    name: Some("no-such-flag".to_string()),
                    status: FlagChangeStatus::Requested,
                    requestee: None,
                    new: false,
                }],
                ..BugUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(51), "{err:?}");
}

#[tokio::test]
async fn users_and_group_membership_as_a_non_admin_bot() {
    let sb = sandbox().await;
    let c = client(&sb);
    let users = c.users(&["lead@example.test".to_string()]).await.unwrap();
    assert_eq!(users[0].name, "lead@example.test");
    // A non-admin caller sees no groups for others: that says nothing.
    assert!(users[0].groups.is_empty());
    assert!(c.is_member("lead@example.test", "editbugs").await.unwrap());
    assert!(!c
        .is_member("outsider@example.test", "editbugs")
        .await
        .unwrap());
    // The bot is not in websites-security: asking is an error, not a "no".
    let err = c
        .is_member("lead@example.test", "websites-security")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(804), "{err:?}");
}

#[tokio::test]
async fn server_time_follows_the_sandbox_clock() {
    let sb = sandbox().await;
    let c = client(&sb);
    let later = Utc::now() + Duration::days(400);
    sb.clock().set(later);
    let found = c.search(&websites()).await.unwrap();
    let server = found.server_time.unwrap();
    assert!(
        (server - later).num_seconds().abs() <= 1,
        "{server} vs {later}"
    );
}

#[tokio::test]
async fn one_put_carries_flags_assignee_and_a_comment_with_several_markers() {
    let sb = sandbox().await;
    let c = client(&sb);
    let history_before = sb.bug(3).unwrap().history.len();
    let comments_before = sb.comments(3).len();
    let update = BugUpdate {
        flags: vec![FlagChange {
            id: None,
            name: Some("webdev-signoff".to_string()),
            status: FlagChangeStatus::Requested,
            requestee: Some("lead@example.test".to_string()),
            new: false,
        }],
        assigned_to: Some("dev@example.test".to_string()),
        whiteboard: None,
    };
    let text = "Done: dev@example.test owns it.\n\n[pushbot command c2]\n\n\
                Please sign off.\n\n[pushbot signoff 2026-W49]";
    c.update_bug_with_comment(
        BugId(3),
        &update,
        &NewComment {
            text: text.to_string(),
            is_private: false,
            is_markdown: false,
        },
    )
    .await
    .unwrap();

    let comments = sb.comments(3);
    assert_eq!(comments.len(), comments_before + 1, "one comment");
    let posted = comments.last().unwrap();
    assert_eq!((posted.creator.as_str(), posted.text.as_str()), (BOT, text));
    assert!(!posted.is_private);
    assert_eq!(pushbot::plan::markers_in(&posted.text).len(), 2);
    assert_eq!(sb.bug(3).unwrap().assigned_to, "dev@example.test");
    let history = sb.bug(3).unwrap().history;
    assert_eq!(history.len(), history_before + 1, "one change: {history:?}");

    // A private comment without the insider group: refused whole, the
    // flags and the assignee untouched (recording 149).
    let err = c
        .update_bug_with_comment(
            BugId(3),
            &BugUpdate {
                assigned_to: Some("lead@example.test".to_string()),
                ..BugUpdate::default()
            },
            &NewComment {
                text: "Noted.\n\n[pushbot command c9]".to_string(),
                is_private: true,
                is_markdown: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(113), "{err:?}");
    assert_eq!(sb.bug(3).unwrap().assigned_to, "dev@example.test");
    assert_eq!(sb.comments(3).len(), comments_before + 1);
}
