//! At most one bot change per bug per cycle, end to end against the
//! sandbox: the meeting's week (the demo's bugs 801–805) in its first cycle
//! with commands on every bug and the rules firing.
//!
//! Before the Monday 09:00 cycle people write:
//!
//! - 801 (AMO): the demo's `@pushbot check`, and a developer's
//!   `@pushbot signoff` (flag requests);
//! - 802 (SUMO): the lead's `@pushbot check` in a **private** comment;
//! - 803 (Personas, nobody owns it): the lead's `@pushbot owner` (assignee);
//! - 804 (Input): a developer's `@pushbot check`;
//! - 805 (content only): a developer's `@pushbot check`.
//!
//! With the rules (the week's release conflict on 801–804, sign-off and
//! push window on 804) that is 13 things to say. The cycle must make
//! exactly one write request (POST or PUT, counted in the sandbox's request
//! log) per bug, each one comment with a section per reply and rule and
//! every marker, the flags and assignee in the same PUT (one history entry
//! by the bot per bug). 802's private reply cannot share a comment with
//! its public conflict report: the first section's kind (the reply,
//! private) is written, the conflict report in the next cycle, again one
//! write. Then a cycle writes nothing, and a cycle after deleting the
//! state file writes nothing.
//!
//! How this was checked to fail without the merge: with the executor
//! writing each action on its own (`plan::merge` called per action), the
//! first cycle made 11 writes, `{801: 3, 802: 2, 803: 2, 804: 4, 805: 1}`,
//! and the first assertion failed.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use pushbot::demo::{Demo, BOT_LOGIN, DATA};
use pushbot::plan::markers_in;
use pushbot::sandbox::model::Comment;

mod support;
use support::ledger::{ledger, writes_per_bug};

/// Local time in the demo's team zone.
fn t(local: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(local, "America/Los_Angeles".parse().unwrap()).unwrap()
}

/// The demo's week, with private comments for `editbugs` (the bot is in).
fn data() -> String {
    DATA.replacen(
        "version = \"5.2\"",
        "version = \"5.2\"\ninsider_group = \"editbugs\"",
        1,
    )
}

fn remove_state(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file).unwrap();
        }
    }
}

/// The bot's comments on `bug` with an id above `after`.
fn bot_comments(demo: &Demo, bug: u64, after: u64) -> Vec<Comment> {
    demo.sandbox
        .comments(bug)
        .into_iter()
        .filter(|c| c.creator == BOT_LOGIN && c.id > after)
        .collect()
}

/// The rules named by the markers of `comment`, in order.
fn rules_of(comment: &Comment) -> Vec<String> {
    markers_in(&comment.text)
        .into_iter()
        .map(|marker| marker.name().to_string())
        .collect()
}

/// Runs a cycle at `at` and returns the writes it made, per bug.
async fn cycle(demo: &mut Demo, at: &str) -> BTreeMap<u64, usize> {
    let before = demo.sandbox.request_log().len();
    demo.sandbox.clock().set(t(at));
    let report = demo.cycle_at(t(at)).await;
    assert!(report.errors.is_empty(), "{at}: {:?}", report.errors);
    let writes = writes_per_bug(&demo.sandbox.request_log()[before..]);
    assert_eq!(
        report.writes,
        writes.values().sum::<usize>(),
        "{at}: the report counts the writes the sandbox saw"
    );
    writes
}

#[tokio::test]
async fn the_meeting_week_is_one_write_per_bug_per_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start_with(dir.path(), &data(), "").await.unwrap();
    let sandbox = &demo.sandbox;
    let last_seed = (801..=805)
        .flat_map(|bug| sandbox.comments(bug))
        .map(|c| c.id)
        .max()
        .unwrap_or(0);
    let say = |bug: u64, login: &str, text: &str, at: &str| {
        sandbox.clock().set(t(at));
        sandbox.add_comment(bug, login, text).unwrap()
    };
    say(
        801,
        "amo-dev@example.test",
        "@pushbot signoff",
        "2026-11-30 08:40",
    );
    sandbox.clock().set(t("2026-11-30 08:41"));
    let private = sandbox
        .add_private_comment(
            802,
            "sumo-lead@example.test",
            "Before we go:\n@pushbot check",
        )
        .unwrap();
    say(
        803,
        "personas-lead@example.test",
        "@pushbot owner personas-dev@example.test",
        "2026-11-30 08:42",
    );
    say(
        804,
        "input-dev@example.test",
        "@pushbot check",
        "2026-11-30 08:43",
    );
    say(
        805,
        "sumo-dev@example.test",
        "@pushbot check",
        "2026-11-30 08:44",
    );

    // Monday 09:00: everything at once, one write per bug.
    let writes = cycle(&mut demo, "2026-11-30 09:00").await;
    assert_eq!(
        writes,
        BTreeMap::from([(801, 1), (802, 1), (803, 1), (804, 1), (805, 1)]),
        "one write per bug"
    );
    let routes = demo.sandbox.request_counts();
    assert_eq!(
        (
            routes.get("PUT /rest/bug/{id}").copied(),
            routes.get("POST /rest/bug/{id}/comment").copied()
        ),
        (Some(3), Some(2)),
        "801, 803, 804 change flags or the assignee (PUT with the comment); 802 and 805 only comment: {routes:?}"
    );
    let mut first = BTreeMap::new();
    for bug in 801..=805 {
        let comments = bot_comments(&demo, bug, last_seed);
        assert_eq!(comments.len(), 1, "bug {bug}: one comment\n{comments:#?}");
        first.insert(bug, comments[0].clone());
        // The bot's one change is one history entry (or none: a comment
        // alone is not a field change).
        let bot_entries = demo
            .sandbox
            .bug(bug)
            .unwrap()
            .history
            .iter()
            .filter(|h| h.who == BOT_LOGIN)
            .count();
        assert!(bot_entries <= 1, "bug {bug}: {bot_entries} history entries");
    }
    // A section per reply and rule, replies first (oldest first), each
    // with its marker; the signoff reply carries the signoff rule's marker.
    assert_eq!(
        rules_of(&first[&801]),
        // The conflict section tells two problems (large, total): a
        // marker for each.
        [
            "command",
            "signoff",
            "command",
            "release-conflict",
            "release-conflict",
        ]
        .map(String::from)
    );
    let text_801 = &first[&801].text;
    assert_eq!(
        text_801.matches("(In reply to comment #").count(),
        2,
        "each reply keeps its own reference\n{text_801}"
    );
    let flags_801: Vec<String> = demo
        .sandbox
        .flags(801)
        .into_iter()
        .filter(|f| f.setter == BOT_LOGIN)
        .map(|f| format!("{}{}", f.name, f.status))
        .collect();
    assert_eq!(
        flags_801.len(),
        2,
        "the signoff reply's requests: {flags_801:?}"
    );

    assert!(
        first[&802].is_private,
        "a reply to a private comment is private"
    );
    assert_eq!(rules_of(&first[&802]), vec!["command".to_string()]);
    assert!(first[&802]
        .text
        .contains(&format!("[pushbot command c{private}]")));

    assert_eq!(
        rules_of(&first[&803]),
        vec!["command".to_string(), "release-conflict".to_string()],
        "the owner reply hands the bug over, so no-owner stays quiet"
    );
    assert_eq!(
        demo.sandbox.bug(803).unwrap().assigned_to,
        "personas-dev@example.test"
    );

    let rules_804 = rules_of(&first[&804]);
    assert_eq!(rules_804.first().map(String::as_str), Some("command"));
    for rule in ["release-conflict", "signoff", "push-window"] {
        assert!(rules_804.contains(&rule.to_string()), "{rules_804:?}");
    }
    assert_eq!(rules_of(&first[&805]), vec!["command".to_string()]);
    // Sections are separated by a blank line and split back one per key.
    let sections = pushbot::plan::merge::sections(&first[&804].text);
    assert_eq!(sections.len(), 4, "{sections:#?}");
    for bug in [801, 803, 804] {
        assert!(
            !first[&bug].is_private,
            "bug {bug}: public sections, a public comment"
        );
    }

    // 09:05: 802's public conflict report, which could not share the
    // private comment, is the one write of this cycle.
    let writes = cycle(&mut demo, "2026-11-30 09:05").await;
    assert_eq!(writes, BTreeMap::from([(802, 1)]));
    let later = bot_comments(&demo, 802, first[&802].id);
    assert_eq!(later.len(), 1);
    assert!(!later[0].is_private);
    // 802 counts in two problems of the week (large, total): a marker each.
    assert_eq!(
        rules_of(&later[0]),
        vec![
            "release-conflict".to_string(),
            "release-conflict".to_string()
        ]
    );

    // Again: nothing. Then without the state file: nothing.
    let settled = ledger(&demo.sandbox);
    let writes = cycle(&mut demo, "2026-11-30 09:10").await;
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(ledger(&demo.sandbox), settled);

    remove_state(&demo.settings.state.path.clone());
    demo.restart().await.unwrap();
    let writes = cycle(&mut demo, "2026-11-30 09:15").await;
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(ledger(&demo.sandbox), settled);
    // Every marker once on its bug.
    for (bug, lines) in &settled {
        let markers: Vec<&String> = lines.iter().filter(|l| l.starts_with("[pushbot")).collect();
        let mut unique = markers.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(markers.len(), unique.len(), "bug {bug}: {lines:?}");
    }
}
