//! Every recorded response to a call the client makes (tests/fixtures/,
//! copied from real Bugzilla 5.2 and bugzilla.mozilla.org) served through
//! wiremock to the real client method, with the parsed values checked.

mod support;

use chrono::{DateTime, Utc};
use pushbot::bugzilla::{
    BugId, BugUpdate, BugzillaError, Client, CommentId, FlagStatus, NewComment, SearchQuery,
    SearchResult,
};
use serde_json::json;
use support::client::{answering, bmo, client, received, recorded};
use wiremock::{MockServer, ResponseTemplate};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn serving(verb: &str, answer: ResponseTemplate) -> (MockServer, Client) {
    let server = answering(verb, answer).await;
    let c = client(&server);
    (server, c)
}

async fn search(answer: ResponseTemplate) -> SearchResult {
    let (_server, c) = serving("GET", answer).await;
    c.search(&SearchQuery::default()).await.unwrap()
}

async fn get_bugs(answer: ResponseTemplate, ids: &[u64]) -> SearchResult {
    let (_server, c) = serving("GET", answer).await;
    let ids: Vec<BugId> = ids.iter().copied().map(BugId).collect();
    c.get_bugs(&ids).await.unwrap()
}

fn ids(result: &SearchResult) -> Vec<u64> {
    result.bugs.iter().map(|b| b.id.0).collect()
}

// ---- Bugzilla 5.2: searches and bugs ----

#[tokio::test]
async fn searches_5_2_give_the_recorded_ids() {
    let cases: [(&str, &[u64]); 20] = [
        ("08", &[1, 2, 3, 4]),
        ("09", &[1, 2, 3]),
        ("10", &[1, 2, 3]),
        ("11", &[1, 2, 3, 4]),
        ("12", &[1, 3, 4]),
        ("13", &[1, 2, 3, 4]),
        ("14", &[1]),
        ("15", &[1, 2]),
        ("16", &[3, 4]),
        ("17", &[4, 3, 2, 1]),
        ("18", &[1, 2, 3, 4]),
        ("20", &[]),
        ("21", &[1]),
        ("44", &[1, 3]),
        ("45", &[1, 3]),
        ("46", &[1]),
        ("47", &[1, 3]),
        ("48", &[]),
        ("49", &[]),
        ("81", &[]),
    ];
    for (number, want) in cases {
        let result = search(recorded(number)).await;
        assert_eq!(ids(&result), want, "{number}");
        assert!(result.skipped.is_empty(), "{number}: {:?}", result.skipped);
        assert!(result.server_time.is_some(), "{number}");
    }
}

#[tokio::test]
async fn search_5_2_values() {
    let result = search(recorded("08")).await;
    assert_eq!(result.server_time, Some(at("2026-11-26T03:49:18Z")));
    let bug1 = &result.bugs[0];
    assert_eq!(
        bug1.summary,
        "Push addons.mozilla.org (AMO) 2026.11.26 to production"
    );
    assert_eq!(bug1.status, "CONFIRMED");
    assert_eq!(bug1.resolution, "");
    assert!(bug1.open());
    assert_eq!(bug1.product, "Websites");
    assert_eq!(bug1.component, "Push");
    assert_eq!(bug1.assigned_to, "nobody@example.test");
    assert_eq!(bug1.qa_contact, "qa@example.test");
    assert_eq!(bug1.whiteboard, "[push:amo]");
    assert_eq!(bug1.creation_time, Some(at("2026-11-26T03:49:10Z")));
    let flag = &bug1.flags[0];
    assert_eq!(flag.name, "webdev-signoff");
    assert_eq!(flag.status, FlagStatus::Requested);
    assert_eq!(flag.requestee.as_deref(), Some("dev@example.test"));
    assert_eq!(flag.setter.as_deref(), Some("lead@example.test"));
    assert_eq!(flag.type_id, Some(1));
    // Fields the type does not name are kept.
    assert_eq!(bug1.extra.get("severity"), Some(&json!("normal")));
    // The restricted bug 4, visible to lead.
    assert_eq!(result.bugs[3].groups, vec!["websites-security".to_string()]);
}

#[tokio::test]
async fn bugs_by_id_5_2_values() {
    let r = get_bugs(recorded("22"), &[1]).await;
    let bug = &r.bugs[0];
    assert_eq!(bug.target_milestone, "---");
    assert!(bug.alias.is_empty());
    assert_eq!(bug.is_open, Some(true));
    assert_eq!(
        bug.assigned_to_detail.as_ref().unwrap().name.as_deref(),
        Some("nobody@example.test")
    );
    assert_eq!(
        r.server_time.map(|t| t.date_naive().to_string()).as_deref(),
        Some("2026-11-26")
    );

    let r = get_bugs(recorded("23"), &[2]).await;
    let flags: Vec<(&str, FlagStatus, Option<&str>)> = r.bugs[0]
        .flags
        .iter()
        .map(|f| (f.name.as_str(), f.status, f.requestee.as_deref()))
        .collect();
    assert_eq!(flags[0], ("webdev-signoff", FlagStatus::Granted, None));
    assert_eq!(flags[1].0, "qa-signoff");
    assert_eq!(flags[1].2, Some("qa@example.test"));
    assert_eq!(r.bugs[0].assigned_to, "dev@example.test");

    let r = get_bugs(recorded("24"), &[1]).await;
    assert_eq!(r.bugs[0].whiteboard, "[push:amo]");

    let r = get_bugs(recorded("37"), &[1]).await;
    assert_eq!(r.bugs[0].last_change_time, Some(at("2026-11-26T03:49:28Z")));
    assert_eq!(r.bugs[0].flags[1].name, "qa-signoff");
    assert_eq!(
        r.bugs[0].flags[1].requestee.as_deref(),
        Some("qa@example.test")
    );

    let r = get_bugs(recorded("43"), &[1]).await;
    assert_eq!(r.bugs[0].whiteboard, "[push:amo] [ready]");
    assert_eq!(r.bugs[0].assigned_to, "dev@example.test");
    assert_eq!(r.bugs[0].status, "IN_PROGRESS");

    for number in ["62", "63"] {
        let r = get_bugs(recorded(number), &[4]).await;
        assert_eq!(
            r.bugs[0].summary, "Security: XSS on a Websites page",
            "{number}"
        );
        assert_eq!(r.bugs[0].groups, vec!["websites-security".to_string()]);
    }
    let r = get_bugs(recorded("19"), &[1, 2, 99999]).await;
    assert_eq!(ids(&r), vec![1, 2]);
}

// ---- Bugzilla 5.2: comments ----

#[tokio::test]
async fn comments_5_2_values() {
    let cases: [(&str, u64, &[u64]); 6] = [
        ("26", 1, &[1]),
        ("30", 1, &[6, 8]),
        ("31", 1, &[6, 8]),
        ("32", 1, &[8]),
        ("91", 2, &[2, 7]),
        ("92", 1, &[1, 6, 8]),
    ];
    for (number, bug, want) in cases {
        let (_server, c) = serving("GET", recorded(number)).await;
        let map = c.comments(&[BugId(bug)], None).await.unwrap();
        let got: Vec<u64> = map[&BugId(bug)].iter().map(|c| c.id.0).collect();
        assert_eq!(got, want, "{number}");
    }
    let (_server, c) = serving("GET", recorded("92")).await;
    let map = c.comments(&[BugId(1)], None).await.unwrap();
    let last = map[&BugId(1)].last().unwrap();
    assert_eq!(last.count, 2);
    assert_eq!(last.creator, "lead@example.test");
    assert_eq!(last.bug_id, Some(BugId(1)));
    assert_eq!(last.creation_time, at("2026-11-26T03:49:24Z"));
    assert_eq!(last.attachment_id, None);
    assert!(!last.is_private);
}

// ---- Bugzilla 5.2: writes ----

#[tokio::test]
async fn comment_posts_5_2_return_the_new_ids() {
    for (number, want) in [("27", 6), ("28", 7), ("29", 8)] {
        let (server, c) = serving("POST", recorded(number)).await;
        let comment = NewComment {
            text: "x".into(),
            is_private: false,
            is_markdown: false,
        };
        assert_eq!(
            c.post_comment(BugId(1), &comment).await.unwrap(),
            CommentId(want)
        );
        assert_eq!(received(&server).await, 1);
    }
}

#[tokio::test]
async fn bug_updates_5_2_succeed() {
    for number in ["35", "36", "38", "39", "40"] {
        let (server, c) = serving("PUT", recorded(number)).await;
        let update = BugUpdate {
            whiteboard: Some("[push:amo] [ready]".into()),
            ..BugUpdate::default()
        };
        c.update_bug(BugId(1), &update).await.unwrap();
        assert_eq!(received(&server).await, 1, "{number}");
    }
}

// ---- Bugzilla 5.2: users, version ----

#[tokio::test]
async fn users_5_2_values() {
    async fn users(number: &str) -> Vec<pushbot::bugzilla::User> {
        let (_server, c) = serving("GET", recorded(number)).await;
        c.users(&["lead@example.test".to_string()]).await.unwrap()
    }
    // 50: include_fields=groups only: no name at all.
    let u = users("50").await;
    assert_eq!(u[0].name, "");
    assert_eq!(u[0].groups.len(), 3);
    let u = users("51").await;
    assert_eq!(u[0].name, "lead@example.test");
    assert_eq!(u[0].groups[1].name, "editbugs");
    assert_eq!(u[0].groups[1].id, Some(8));
    let u = users("52").await;
    assert_eq!(u[0].email.as_deref(), Some("lead@example.test"));
    assert_eq!(u[0].can_login, Some(true));
    // 53 and 96: a non-admin caller sees no groups of others.
    for number in ["53", "96"] {
        let u = users(number).await;
        assert_eq!(u[0].name, "lead@example.test");
        assert!(u[0].groups.is_empty(), "{number}");
    }
    let u = users("54").await;
    assert_eq!(u[0].name, "qa@example.test");
    assert_eq!(u[0].real_name.as_deref(), Some("QA Person [:qa]"));
    // 55 and 65: the logged-out shape.
    for number in ["55", "65"] {
        let u = users(number).await;
        assert_eq!(u[0].id, Some(3));
        assert_eq!(u[0].email, None, "{number}");
        assert_eq!(u[0].can_login, None, "{number}");
    }
    let u = users("56").await;
    let names: Vec<&str> = u.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names.len(), 6);
    assert_eq!(names[0], "admin@example.test");
    let u = users("93").await;
    assert_eq!(
        (u[0].id, u[0].name.as_str()),
        (Some(3), "lead@example.test")
    );
    assert!(users("94").await.is_empty());
}

#[tokio::test]
async fn version_5_2() {
    for number in ["01", "02"] {
        let (_server, c) = serving("GET", recorded(number)).await;
        assert_eq!(c.version().await.unwrap(), "5.2");
    }
}

#[tokio::test]
async fn error_recordings_5_2_map_to_typed_errors() {
    // (recording, status, code) for reads not covered in client_faults.
    for (number, status, code) in [
        ("61", 401, 102),
        ("73", 404, 101),
        ("75", 401, 102),
        ("76", 401, 102),
        ("80", 400, 56),
    ] {
        let (server, c) = serving("GET", recorded(number)).await;
        let err = c.comments(&[BugId(4)], None).await.unwrap_err();
        match err {
            BugzillaError::Api {
                status: s, code: k, ..
            } => {
                assert_eq!((s, k), (status, code), "{number}")
            }
            other => panic!("{number}: {other:?}"),
        }
        assert_eq!(received(&server).await, 1);
    }
}

// ---- bugzilla.mozilla.org ----

#[tokio::test]
async fn bmo_searches() {
    let r = search(bmo("search-ids-12345-12346-12347-default-2016")).await;
    assert_eq!(ids(&r), vec![12345, 12346, 12347]);
    let b = &r.bugs[0];
    assert_eq!(b.status, "VERIFIED");
    assert_eq!(b.resolution, "FIXED");
    assert!(!b.open());
    assert!(b.alias.is_empty());
    assert_eq!(b.whiteboard, "[PDT+][PR1]");
    assert_eq!(b.qa_contact, "lchiang@formerly-netscape.com.tld");
    assert_eq!(b.last_change_time, Some(at("2015-09-23T18:36:19Z")));
    assert_eq!(
        b.custom_field("cf_last_resolved").as_deref(),
        Some("1999-11-04T19:50:21Z")
    );
    assert_eq!(b.assigned_to_detail.as_ref().unwrap().id, Some(4478));
    // cf_rank is null on 12346 and absent on the others.
    assert_eq!(
        r.bugs[1].extra.get("cf_rank"),
        Some(&serde_json::Value::Null)
    );
    assert!(!b.extra.contains_key("cf_rank"));

    let r = search(bmo("search-fixed-2-bugs-limit100-offset0")).await;
    assert_eq!(ids(&r), vec![12345, 12346]);
    assert_eq!(r.bugs[0].extra.get("type"), Some(&json!("defect")));
    assert_eq!(
        r.bugs[0]
            .assigned_to_detail
            .as_ref()
            .unwrap()
            .nick
            .as_deref(),
        Some("jefft")
    );

    let r = search(bmo("search-dupe-of-two-bugs")).await;
    assert_eq!(ids(&r), vec![890156, 1244129]);
    assert_eq!(r.bugs[1].resolution, "DUPLICATE");
    assert_eq!(r.bugs[1].extra.get("dupe_of"), Some(&json!(1240533)));
    assert_eq!(
        r.bugs[0].extra.get("dupe_of"),
        Some(&serde_json::Value::Null)
    );
}

#[tokio::test]
async fn bmo_count_only_is_not_a_bug_list() {
    let (server, c) = serving("GET", bmo("search-fixed-2-bugs-count-only")).await;
    let err = c.search(&SearchQuery::default()).await.unwrap_err();
    match err {
        BugzillaError::Unexpected { status, reason, .. } => {
            assert_eq!(status, 200);
            assert!(reason.contains("bugs"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn bmo_single_bugs() {
    let r = get_bugs(bmo("bug-1234567-alias-nobody-whiteboard"), &[1234567]).await;
    let b = &r.bugs[0];
    assert_eq!(
        b.alias,
        vec!["too-bad-this-was-not-an-awesome-bug".to_string()]
    );
    assert_eq!(b.assigned_to, "nobody@mozilla.org");
    assert_eq!(b.keywords, vec!["intermittent-failure".to_string()]);
    assert_eq!(b.whiteboard, "[btpp-backlog][test disabled]");
    assert_eq!(
        b.custom_field("cf_status_firefox46").as_deref(),
        Some("affected")
    );
    assert_eq!(b.custom_field("cf_last_resolved"), None);
    assert_eq!(b.qa_contact, "");
    assert!(b.open());

    let r = get_bugs(bmo("bug-547914-default-with-flag"), &[547914]).await;
    let f = &r.bugs[0].flags[0];
    assert_eq!(
        (f.name.as_str(), f.status, f.id),
        ("in-testsuite", FlagStatus::Denied, 365326)
    );
    assert_eq!(f.type_id, Some(37));
    assert_eq!(f.modification_date, Some(at("2010-04-05T23:12:52Z")));

    let r = get_bugs(bmo("bug-843821-flag-with-requestee"), &[843821]).await;
    let f = &r.bugs[0].flags[0];
    assert_eq!(f.name, "in-moztrap");
    assert_eq!(f.status, FlagStatus::Requested);
    assert_eq!(f.requestee.as_deref(), Some("kbrosnan@mozilla.com"));
    assert_eq!(f.setter.as_deref(), Some("kbrosnan@mozilla.com"));
    assert_eq!(f.id, 617654);

    let r = get_bugs(bmo("bug-1211871-security-keywords-flags"), &[1211871]).await;
    let b = &r.bugs[0];
    assert_eq!(
        b.keywords,
        vec!["regression".to_string(), "sec-low".to_string()]
    );
    assert_eq!(b.flags[0].name, "sec-bounty");
    assert_eq!(b.flags[0].status, FlagStatus::Denied);
    assert_eq!(b.whiteboard, "[post-critsmash-triage][adv-main42+]");
    assert_eq!(
        b.assigned_to_detail.as_ref().unwrap().real_name.as_deref(),
        Some("Valentin Gosu [:valentin]")
    );
}

#[tokio::test]
async fn bmo_comments() {
    let (_s, c) = serving("GET", bmo("comments-bug-12345-full")).await;
    let map = c.comments(&[BugId(12345)], None).await.unwrap();
    let list = &map[&BugId(12345)];
    assert_eq!(list.len(), 19);
    assert_eq!(list[0].id, CommentId(92463));
    assert_eq!(list[0].creator, "marina@formerly-netscape.com.tld");
    let last = list.last().unwrap();
    assert_eq!((last.id, last.count), (CommentId(10767548), 18));
    assert_eq!(last.creator, "continuation@gmail.com");
    assert_eq!(last.creation_time, at("2015-09-23T18:36:19Z"));
    assert_eq!(last.attachment_id, Some(8665038));

    let (_s, c) = serving("GET", bmo("comments-bug-1270686-tags-attachments")).await;
    let map = c.comments(&[BugId(1270686)], None).await.unwrap();
    let list = &map[&BugId(1270686)];
    assert_eq!(list.len(), 81);
    assert_eq!(list[0].id, CommentId(11387121));
    let tagged = list.iter().find(|c| c.id == CommentId(11451126)).unwrap();
    assert_eq!(
        tagged.tags,
        vec!["bugherder".to_string(), "uplift".to_string()]
    );

    // include_fields=author,id,text,time: the other names of creator and
    // creation_time.
    let (_s, c) = serving("GET", bmo("comments-bug-859425-include-fields")).await;
    let map = c.comments(&[BugId(859425)], None).await.unwrap();
    let first = &map[&BugId(859425)][0];
    assert_eq!(first.id, CommentId(7290013));
    assert_eq!(first.creator, "mark.finkle@gmail.com");
    assert_eq!(first.creation_time, at("2013-04-08T18:19:00Z"));
    assert!(first.text.starts_with("Created attachment 734729"));
    assert_eq!(map[&BugId(859425)].len(), 8);
}

#[tokio::test]
async fn bmo_users() {
    async fn users(stem: &str) -> Vec<pushbot::bugzilla::User> {
        let (_s, c) = serving("GET", bmo(stem)).await;
        c.users(&["x@example.test".to_string()]).await.unwrap()
    }
    let u = users("user-nobody-and-bugbot-default").await;
    let names: Vec<&str> = u.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, vec!["nobody@mozilla.org", "bugbot@bugzilla.org"]);
    assert_eq!(u[1].id, Some(208267));
    assert_eq!(u[0].can_login, Some(true));

    let u = users("user-with-groups").await;
    assert_eq!(u[0].groups[0].name, "mozilla-next-driver-queries");
    assert_eq!(u[0].groups[0].id, Some(33));

    let u = users("user-permissive-with-faults").await;
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].nick.as_deref(), Some("nobody"));
    assert_eq!(u[0].groups.len(), 7);
    assert_eq!(u[0].groups[0].name, "everyone");

    let u = users("user-default-reduced-fields-2017").await;
    assert_eq!(u[0].name, "abillings@mozilla.com");
    assert_eq!(u[0].email, None);

    assert!(users("user-match-no-results").await.is_empty());

    let u = users("user-activity-bugbot-2022").await;
    assert_eq!(u.len(), 5);
    assert_eq!(u[0].name, "u709243@disabled.tld");
    assert_eq!(u[0].can_login, Some(false));
    assert_eq!(u[1].nick.as_deref(), Some("suhaib"));
}

#[tokio::test]
async fn bmo_non_json_answers_are_clear_errors() {
    let (server, c) = serving("GET", bmo("error-401-user-match-empty-body")).await;
    let err = c.users(&["Boris Zbarsky".to_string()]).await.unwrap_err();
    match &err {
        BugzillaError::Unexpected {
            status,
            reason,
            what,
        } => {
            assert_eq!(*status, 401);
            assert!(reason.contains("empty body"), "{reason}");
            assert_eq!(what, "GET /rest/user");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(received(&server).await, 1);

    let (server, c) = serving("GET", bmo("error-html-200-overlong-url")).await;
    let err = c.get_bugs(&[BugId(1800000)]).await.unwrap_err();
    match &err {
        BugzillaError::Unexpected { status, reason, .. } => {
            assert_eq!(*status, 200);
            assert!(reason.contains("HTML page"), "{reason}");
            assert!(reason.contains("over-long URL"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(received(&server).await, 1);
}
