//! Restricted stays restricted (DESIGN.md, invariant 10), end to end: the
//! demo's meeting week on the sandbox, plus an AMO push restricted to
//! `websites-security` (the bot is a member; its summary names a CVE and
//! its sign-off was set by someone who may not give it), private comments
//! (the insider group is `editbugs`, the bot's) with distinctive text, a
//! sign-off set on a public bug by someone who may not give it, and a
//! public tracking bug for the weekly summary. The real poller runs a few
//! cycles of the week (the summary falls due, people ask `@pushbot
//! summary` and `@pushbot check` on a public bug, sign-off requests go
//! out), feeding the web server as `pushbot run` does.
//!
//! Then every output is searched: every comment the bot posted on a public
//! bug (conflicts, nags, replies, the weekly summary), the week view, its
//! `.json` and `.md`, `/calendar.ics`, `/`, `/healthz`, and the logs at
//! info level and above. None holds the restricted bug's id (as `bug N`,
//! `bug=N`, `id=N`, `#N`, in a URL, or as a bare number anywhere), its
//! summary, or the private comments' text. And the restricted push still
//! counts: a public bug's conflict comment and the summary count three
//! large releases and say "and 1 restricted push".
//!
//! How we know it bites (each checked by hand when the test was written):
//! with the redaction removed (`Audience::may_see` answering `true` for
//! everyone) it fails at the first public conflict comment, on bug 801,
//! which then names bug 8069; with the web trusted whatever
//! `[web] show_restricted` says, it fails on the page `/`; with only the
//! executor's log redaction removed (`log_id` giving the id) it fails on
//! the `action taken` log line of the restricted bug.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use pushbot::demo::{Demo, BOT_LOGIN, DATA, SHIPPED_RULES};
use pushbot::live;
use pushbot::redact::Audience;
use pushbot::report::IsoWeekId;
use pushbot::rules::RuleSet;
use pushbot::web::WebData;
use serde_json::json;

/// The restricted push: an id that appears nowhere else (no time, count or
/// other id of this test contains it).
const RESTRICTED: u64 = 8069;
const RESTRICTED_SUMMARY: &str = "Push AMO security fix for CVE-2026-31337 to production";
/// Private comments: one on the restricted bug, one (with commands) on a
/// public bug.
const PRIVATE_ON_RESTRICTED: &str = "exploit path is the legacy upload form, keep quiet";
const PRIVATE_ON_PUBLIC: &str = "private: staging password rotates Thursday, zebra-falcon-4471";
/// The public tracking bug of the weekly summary.
const TRACKING: u64 = 900;
/// The public bugs: the meeting week's pushes and the tracking bug.
const PUBLIC: [u64; 6] = [801, 802, 803, 804, 805, TRACKING];

const LA: chrono_tz::Tz = chrono_tz::America::Los_Angeles;

fn local(text: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(text, LA).unwrap()
}

/// Replaces `from` once in `text`, which must hold it.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the demo data no longer holds {from:?}"
    );
    text.replacen(from, to, 1)
}

/// The demo's data with private comments for `editbugs` (the bot), the
/// bot and the AMO lead in `websites-security`, the restricted push and
/// the tracking bug.
fn data() -> String {
    let data = replace_once(
        DATA,
        "version = \"5.2\"",
        "version = \"5.2\"\ninsider_group = \"editbugs\"",
    );
    let data = replace_once(
        &data,
        "api_key = \"demo-pushbot-key-000000000000000000000000\"\ngroups = [\"editbugs\"]",
        "api_key = \"demo-pushbot-key-000000000000000000000000\"\ngroups = [\"editbugs\", \"websites-security\"]",
    );
    let data = replace_once(
        &data,
        "api_key = \"demo-amo-lead-key-00000000000000000000000\"\ngroups = [\"editbugs\"]",
        "api_key = \"demo-amo-lead-key-00000000000000000000000\"\ngroups = [\"editbugs\", \"websites-security\"]",
    );
    format!(
        r#"{data}
[[groups]]
id = 15
name = "websites-security"
description = "Security-sensitive Websites bugs"

# Wednesday 18:00: a third large release in 2026-W49, and a large one on
# the day of the Personas (small) push. Its webdev sign-off was set by the
# developer, who may not give it.
[[bugs]]
id = {RESTRICTED}
product = "Websites"
component = "Push"
summary = "{RESTRICTED_SUMMARY}"
creator = "amo-dev@example.test"
assigned_to = "amo-dev@example.test"
description = "Hotfix release for the advisory."
whiteboard = "[push:amo] [push 2026-12-02 18:00]"
groups = ["websites-security"]
creation_time = "2026-11-25T20:00:00Z"
flags = [{{ name = "webdev-signoff", status = "+" }}]

[[bugs.comments]]
creator = "amo-lead@example.test"
text = "{PRIVATE_ON_RESTRICTED}"
time = "2026-11-26T20:00:00Z"
is_private = true

[[bugs]]
id = {TRACKING}
product = "Websites"
component = "Push"
summary = "Weekly push summaries"
creator = "admin@example.test"
description = "The bot posts the week's pushes here every Monday."
creation_time = "2026-11-20T18:00:00Z"
"#
    )
}

/// Where `number` stands on its own in `text` (not inside a longer
/// number): as `bug N`, `bug=N`, `id=N`, `#N`, `/N`, `:N-`, or bare.
fn mentions_number(text: &str, number: u64) -> bool {
    let needle = number.to_string();
    let bytes = text.as_bytes();
    text.match_indices(&needle).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + needle.len()).copied();
        !before.is_some_and(|b| b.is_ascii_digit()) && !after.is_some_and(|b| b.is_ascii_digit())
    })
}

/// What must never appear in `text` (named `place`).
fn assert_clean(place: &str, text: &str) {
    assert!(
        !mentions_number(text, RESTRICTED),
        "{place} names restricted bug {RESTRICTED}:\n{text}"
    );
    for secret in [
        RESTRICTED_SUMMARY,
        "CVE-2026-31337",
        PRIVATE_ON_RESTRICTED,
        PRIVATE_ON_PUBLIC,
        "zebra-falcon",
    ] {
        assert!(!text.contains(secret), "{place} quotes {secret:?}:\n{text}");
    }
}

async fn cycle(demo: &mut Demo, at: &str) {
    let report = demo.cycle_at(local(at)).await;
    assert!(!report.outage, "{at}: {:?}", report.errors);
    assert!(report.errors.is_empty(), "{at}: {:?}", report.errors);
    assert_clean(
        &format!("the errors of the cycle at {at}"),
        &report.errors.join("\n"),
    );
}

async fn get(addr: SocketAddr, path: &str) -> String {
    let response = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    assert!(
        response.status().is_success() || path == "/healthz",
        "{path}: {}",
        response.status()
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn nothing_restricted_or_private_reaches_a_public_place() {
    // Every log line of this test binary at info level and above.
    let logs = support::logs::captured("info");
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start_with(
        dir.path(),
        &data(),
        &format!("\n[summary]\ntracking_bug = {TRACKING}\n"),
    )
    .await
    .unwrap();
    let decider = pushbot::bot::decider(
        &demo.settings,
        RuleSet::from_sources(SHIPPED_RULES).unwrap(),
    )
    .unwrap();
    let web = Arc::new(RwLock::new(WebData::default()));
    // The page is rendered once per cycle (as `pushbot run` does), at the
    // last cycle's time.
    let now = local("2026-12-01 18:31");
    let state = live::web_state(&demo.settings, Arc::clone(&web), live::clock(Some(now))).unwrap();
    demo.poller
        .set_after_cycle(live::feed(decider.clone(), &state));

    // Monday 09:00: conflicts, nags, the demo's `check`, the summary.
    cycle(&mut demo, "2026-11-30 09:00").await;
    // People ask on a public bug; one asks in a private comment; someone
    // who may not sign off sets a sign-off on a public bug.
    demo.sandbox.clock().set(local("2026-11-30 09:30"));
    let asked = demo
        .sandbox
        .add_comment(
            801,
            "amo-dev@example.test",
            "@pushbot summary\n@pushbot check",
        )
        .unwrap();
    let private = demo
        .sandbox
        .add_private_comment(
            802,
            "sumo-dev@example.test",
            &format!("{PRIVATE_ON_PUBLIC}\n@pushbot check"),
        )
        .unwrap();
    demo.sandbox
        .update_bug(
            803,
            "personas-dev@example.test",
            &json!({"flags": [{"name": "webdev-signoff", "status": "+"}]}),
        )
        .unwrap();
    cycle(&mut demo, "2026-11-30 09:35").await;
    // The day before the pushes (sign-off requests), the daily resync,
    // and the evening of the first push.
    cycle(&mut demo, "2026-11-30 17:00").await;
    cycle(&mut demo, "2026-12-01 09:00").await;
    cycle(&mut demo, "2026-12-01 18:30").await;

    // The restricted push was read and acted on (it is in the bot's
    // snapshot, and the bot wrote on it), so its absence below means
    // something.
    let snapshot = demo.poller.snapshot();
    assert!(snapshot
        .bugs
        .contains_key(&pushbot::bugzilla::BugId(RESTRICTED)));
    let on_restricted: Vec<String> = demo
        .sandbox
        .comments(RESTRICTED)
        .into_iter()
        .filter(|c| c.creator == BOT_LOGIN)
        .map(|c| c.text)
        .collect();
    assert!(
        on_restricted.iter().any(|t| t.contains("bug 801")),
        "on the restricted bug its readers see the public pushes: {on_restricted:?}"
    );
    let mut trusted = decider.clone();
    trusted.web_audience = Audience::trusted();
    let w49: IsoWeekId = "2026-W49".parse().unwrap();
    let everything = trusted.week_report(snapshot, w49, local("2026-12-01 18:31"));
    assert!(everything.pushes.iter().any(|e| e.bug.0 == RESTRICTED));

    // Every comment the bot posted where the public reads.
    let mut public_comments = Vec::new();
    for bug in PUBLIC {
        assert!(demo.sandbox.bug(bug).unwrap().groups.is_empty());
        for c in demo.sandbox.comments(bug) {
            if c.creator == BOT_LOGIN && !c.is_private {
                assert_clean(&format!("the bot's comment {} on bug {bug}", c.id), &c.text);
                public_comments.push((bug, c.text));
            }
        }
    }
    // The restricted push counts: a public bug's conflict comment and the
    // summary count three large releases and name it only as a count.
    let conflict_801 = public_comments
        .iter()
        .find(|(bug, text)| *bug == 801 && text.contains("[pushbot release-conflict "))
        .map(|(_, text)| text.clone())
        .expect("a conflict comment on bug 801");
    assert!(
        conflict_801.contains("3 large releases in 2026-W49 (limit 1)"),
        "{conflict_801}"
    );
    assert!(
        conflict_801.contains("and 1 restricted push"),
        "{conflict_801}"
    );
    assert!(conflict_801.contains("bug 802"), "{conflict_801}");
    let summary = public_comments
        .iter()
        .find(|(bug, text)| *bug == TRACKING && text.contains("[pushbot summary 2026-W49]"))
        .map(|(_, text)| text.clone())
        .expect("the weekly summary on the tracking bug");
    assert!(
        summary.contains(
            "3 large releases in 2026-W49 (limit 1): bug 801, bug 802 and 1 restricted push"
        ),
        "{summary}"
    );
    // The replies on the public bug: the summary and the check, redacted.
    let reply = public_comments
        .iter()
        .find(|(_, text)| text.contains(&format!("[pushbot command c{asked}]")))
        .map(|(_, text)| text.clone())
        .expect("the reply to `summary` and `check` on bug 801");
    assert!(reply.contains("## Push summary for 2026-W49"), "{reply}");
    assert!(reply.contains("and 1 restricted push"), "{reply}");
    // The reply to the private comment is private.
    let private_reply: Vec<_> = demo
        .sandbox
        .comments(802)
        .into_iter()
        .filter(|c| c.text.contains(&format!("[pushbot command c{private}]")))
        .collect();
    assert_eq!(private_reply.len(), 1);
    assert!(private_reply[0].is_private);

    // The web page, its feeds and the status, as `pushbot run` serves them.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) = live::spawn_server(listener, state, async {
        let _ = stopped.await;
    })
    .unwrap();
    let mut pages = Vec::new();
    for path in [
        "/",
        "/week/2026-W49",
        "/week/2026-W49.json",
        "/week/2026-W49.md",
        "/calendar.ics",
        "/healthz",
    ] {
        pages.push((path, get(addr, path).await));
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    for (path, text) in &pages {
        assert_clean(path, text);
    }
    let md = &pages[3].1;
    assert!(md.contains("bug 801"), "{md}");
    assert!(md.contains("and 1 restricted push"), "{md}");
    assert!(pages[4].1.contains("BEGIN:VEVENT"), "{}", pages[4].1);

    // The logs at info level and above.
    let logged = logs.text();
    assert!(logged.contains("action taken"), "{logged}");
    assert_clean("the logs", &logged);
}
