//! Features meeting on one bug in one cycle, end to end against the
//! sandbox (the demo's meeting week plus two pushes):
//!
//! - the AMO lead says `@pushbot go` on the AMO push (bug 801);
//! - a developer asks `@pushbot signoff` on the same bug, which the
//!   signoff rule is about to do anyway;
//! - that rule comes due in the same cycle (the push is Tuesday 16:00, the
//!   request is due 24 hours before);
//! - a SUMO hotfix (bug 806) shipped earlier that week (resolved FIXED on
//!   Monday afternoon) still counts toward the week's large-release limit;
//! - a new AMO push (bug 807) joins the week;
//! - the Input lead's needinfo meets the overrun rule's on bug 804.
//!
//! The cycle must make one write per bug and leave exactly: one reply per
//! command (sections of 801's one comment), the signoff
//! marker once (in the `signoff` reply), `webdev-signoff+` as the lead's go
//! left it (never turned back into `?`), `qa-signoff?` from QA, no comment
//! on the shipped push, and the conflict (told only to the push that
//! joins it) naming the shipped push. A second
//! cycle, and a cycle after deleting the state file, change nothing.
//!
//! How this was checked to fail without the reconciliation: with
//! `Decider::decide` planning the rules on the snapshot as read (no
//! projection of the replies) and handing the executor the unreconciled
//! actions, bug 801 got `[pushbot signoff request-2026-12-01]` twice (the
//! `signoff` reply's and the rule's own comment) and the marker assertion
//! failed. With the executor's flag guard (`execute::guarded`, the bug read
//! just before writing) also removed, the rule's request by name turned
//! the lead's `webdev-signoff+` back into `?` from amo-lead, as on the real
//! server (recordings 112–115), and the flag assertion failed too. With
//! the overrun rule's needinfo sent without `"new": true`, the lead's
//! needinfo on bug 804 swallowed it (reconciled out as "already
//! requested"; Bugzilla itself would have moved the lead's to the bot's
//! requestee) and the needinfo assertion failed.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use pushbot::demo::{Demo, DATA};
use serde_json::json;

const BOT: &str = "pushbot@example.test";
const AMO_LEAD: &str = "amo-lead@example.test";
const AMO_DEV: &str = "amo-dev@example.test";
const SUMO_LEAD: &str = "sumo-lead@example.test";
const WEBQA: &str = "webqa@example.test";

/// Local time in the demo's team zone.
fn t(local: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(local, "America/Los_Angeles".parse().unwrap()).unwrap()
}

/// The demo's week plus a SUMO hotfix planned for Monday 16:00 (the test
/// resolves it FIXED on Monday 15:30).
fn data() -> String {
    format!(
        r#"{DATA}
[[bugs]]
id = 806
product = "Websites"
component = "Push"
summary = "Push SUMO hotfix 2026.11.30 to production"
creator = "sumo-lead@example.test"
assigned_to = "sumo-dev@example.test"
description = "SUMO hotfix for the search page."
whiteboard = "[push:sumo] [push 2026-11-30 16:00]"
creation_time = "2026-11-27T18:00:00Z"
"#
    )
}

/// The bot's markers per bug (one line per marker, in posting order), and
/// its flags on the bug (name, status, requestee), sorted.
fn ledger(demo: &Demo, bugs: &[u64]) -> BTreeMap<u64, Vec<String>> {
    let mut out = BTreeMap::new();
    for &id in bugs {
        let mut lines = Vec::new();
        for c in demo.sandbox.comments(id) {
            if c.creator != BOT {
                continue;
            }
            for marker in pushbot::plan::markers_in(&c.text) {
                lines.push(marker.line());
            }
        }
        let mut flags: Vec<String> = demo
            .sandbox
            .flags(id)
            .into_iter()
            .map(|f| {
                format!(
                    "flag {}{} set by {} ({})",
                    f.name,
                    f.status,
                    f.setter,
                    f.requestee.unwrap_or_default()
                )
            })
            .collect();
        flags.sort();
        lines.extend(flags);
        out.insert(id, lines);
    }
    out
}

fn remove_state(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file).unwrap();
        }
    }
}

/// Only the markers added since `before`, per bug.
fn added(
    before: &BTreeMap<u64, Vec<String>>,
    after: &BTreeMap<u64, Vec<String>>,
) -> BTreeMap<u64, Vec<String>> {
    after
        .iter()
        .map(|(id, lines)| {
            let old = before.get(id).cloned().unwrap_or_default();
            let new: Vec<String> = lines
                .iter()
                .filter(|l| l.starts_with("[pushbot"))
                .skip(old.iter().filter(|l| l.starts_with("[pushbot")).count())
                .cloned()
                .collect();
            (*id, new)
        })
        .collect()
}

#[tokio::test]
async fn the_whole_week_in_one_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start_with(dir.path(), &data(), "").await.unwrap();
    let first = demo.cycle_at(t("2026-11-30 09:00")).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);

    // Monday 15:30: the hotfix shipped (half an hour early). The cycle
    // after it changes no conflict (the shipped push still counts); only
    // the Input push of 14:00 is told it went without sign-off.
    demo.sandbox.clock().set(t("2026-11-30 15:30"));
    demo.sandbox
        .update_bug(
            806,
            SUMO_LEAD,
            &json!({ "status": "RESOLVED", "resolution": "FIXED" }),
        )
        .unwrap();
    let bugs = [801, 802, 803, 804, 805, 806, 807];
    let before_ship = ledger(&demo, &bugs);
    let quiet = demo.cycle_at(t("2026-11-30 15:31")).await;
    assert!(quiet.errors.is_empty(), "{:?}", quiet.errors);
    let mut expected: BTreeMap<u64, Vec<String>> = bugs.iter().map(|id| (*id, vec![])).collect();
    expected.insert(804, vec!["[pushbot signoff missed-2026-11-30]".to_string()]);
    assert_eq!(added(&before_ship, &ledger(&demo, &bugs)), expected);

    // Monday afternoon, before the 16:05 cycle (the first one in which the
    // signoff rule is due for AMO): the lead's go, a developer's signoff
    // request, a new AMO push joining the week.
    demo.sandbox.clock().set(t("2026-11-30 15:50"));
    let go = demo
        .sandbox
        .add_comment(801, AMO_LEAD, "Tag verified on stage.\n@pushbot go")
        .unwrap();
    demo.sandbox.clock().set(t("2026-11-30 15:52"));
    let signoff = demo
        .sandbox
        .add_comment(801, AMO_DEV, "@pushbot signoff")
        .unwrap();
    // The Input lead asks QA something on the (overdue) Input push: a
    // person's needinfo, which the overrun rule's own needinfo must join,
    // not move.
    demo.sandbox.clock().set(t("2026-11-30 15:53"));
    demo.sandbox
        .update_bug(
            804,
            "input-lead@example.test",
            &json!({"flags": [{"name": "needinfo", "status": "?", "requestee": WEBQA, "new": true}]}),
        )
        .unwrap();
    demo.sandbox.clock().set(t("2026-11-30 15:54"));
    let joined = demo
        .sandbox
        .create_bug(
            AMO_LEAD,
            &json!({
                "product": "Websites",
                "component": "Push",
                "summary": "Push AMO 2026.12.03 hotfix to production",
                "version": "unspecified",
                "description": "AMO hotfix for the review queue.",
                "assigned_to": AMO_DEV,
                "whiteboard": "[push:amo] [push 2026-12-03 17:00]",
            }),
        )
        .unwrap();
    assert_eq!(joined, 807);

    let before = ledger(&demo, &bugs);
    let log_before = demo.sandbox.request_log().len();
    let report = demo.cycle_at(t("2026-11-30 16:05")).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let after = ledger(&demo, &bugs);
    // Two replies, the signoff request they carry, the conflict and the
    // flags on 801: still one write per bug (PUT or POST).
    let mut writes: BTreeMap<String, usize> = BTreeMap::new();
    for r in &demo.sandbox.request_log()[log_before..] {
        if r.method == "PUT" || r.method == "POST" {
            let bug = r.path.trim_end_matches("/comment").to_string();
            *writes.entry(bug).or_default() += 1;
        }
    }
    assert!(writes.values().all(|n| *n == 1), "{writes:?}");
    // 802 and 803 were told the week's problems already: nothing new.
    assert_eq!(writes.len(), 3, "801, 804, 807: {writes:?}");

    // The week's conflict now counts six pushes, the shipped one among
    // them; the limits it breaks (large, total) were broken before, so
    // only the newcomer is told (one marker per problem it counts in);
    // the pushes already told hear nothing new.
    let conflict = "[pushbot release-conflict 2026-W49.large]";
    let mut expected: BTreeMap<u64, Vec<String>> = bugs.iter().map(|id| (*id, vec![])).collect();
    expected.insert(
        801,
        vec![
            format!("[pushbot command c{go}]"),
            "[pushbot signoff request-2026-12-01]".to_string(),
            format!("[pushbot command c{signoff}]"),
        ],
    );
    expected.insert(
        807,
        vec![
            "[pushbot release-conflict 2026-W49.total]".to_string(),
            conflict.to_string(),
        ],
    );
    // The Input push of 14:00 is past (no conflict news for it) and still
    // open two hours later: the overrun rule says so.
    expected.insert(804, vec!["[pushbot overrun 2026-11-30]".to_string()]);
    assert_eq!(added(&before, &after), expected, "{after:#?}");
    // The overrun rule's needinfo stands beside the lead's (a needinfo is
    // always a new flag: by name, Bugzilla would move the lead's).
    let needinfos: Vec<&String> = after[&804]
        .iter()
        .filter(|l| l.starts_with("flag needinfo"))
        .collect();
    assert_eq!(
        needinfos,
        vec![
            &format!("flag needinfo? set by input-lead@example.test ({WEBQA})"),
            &format!("flag needinfo? set by {BOT} (input-dev@example.test)"),
        ]
    );

    // The signoff marker once on the bug, in the reply to `signoff`.
    let signoff_marker = "[pushbot signoff request-2026-12-01]";
    let carrying: Vec<_> = demo
        .sandbox
        .comments(801)
        .into_iter()
        .filter(|c| c.creator == BOT && c.text.lines().any(|l| l.trim() == signoff_marker))
        .collect();
    assert_eq!(carrying.len(), 1);
    assert!(carrying[0]
        .text
        .contains(&format!("[pushbot command c{signoff}]")));
    assert!(
        !carrying[0].text.contains("webdev-signoff from"),
        "the go was given: the signoff reply asks only QA\n{}",
        carrying[0].text
    );

    // The go stands; QA is asked.
    let flags: Vec<String> = after[&801]
        .iter()
        .filter(|l| l.starts_with("flag"))
        .cloned()
        .collect();
    assert_eq!(
        flags,
        vec![
            format!("flag qa-signoff? set by {BOT} ({WEBQA})"),
            format!("flag webdev-signoff+ set by {BOT} ()"),
        ]
    );

    // The conflict comment on the new push names the shipped one.
    let told = demo
        .sandbox
        .comments(807)
        .into_iter()
        .find(|c| c.creator == BOT && c.text.contains(conflict))
        .unwrap();
    assert!(told.text.contains("bug 806"), "{}", told.text);
    assert!(told.text.contains("4 large releases"), "{}", told.text);

    // Again: nothing. Then without the state file: nothing.
    let again = demo.cycle_at(t("2026-11-30 16:10")).await;
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(again.writes, 0);
    assert_eq!(ledger(&demo, &bugs), after);

    remove_state(&demo.settings.state.path.clone());
    demo.restart().await.unwrap();
    let cold = demo.cycle_at(t("2026-11-30 16:15")).await;
    assert!(cold.errors.is_empty(), "{:?}", cold.errors);
    assert_eq!(cold.writes, 0, "{}", cold.dry_run_text);
    assert_eq!(ledger(&demo, &bugs), after);
}
