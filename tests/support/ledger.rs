//! The bot's ledger in the sandbox: what it has left on the demo's push
//! bugs (its comments by marker, its flags, the assignee), for tests that
//! compare the end state of runs; what the demo week's first cycle leaves
//! ([`first_cycle`]); and the fault that holds writes in flight
//! ([`held_writes`]) for the crash and replica tests. Included by path by
//! `benches/failover.rs`.

use std::collections::BTreeMap;

use pushbot::demo::BOT_LOGIN;
use pushbot::sandbox::{
    FaultKind, FaultRule, Landing, LateAnswer, LoggedRequest, SandboxHandle, Trigger,
};

/// What the bot has left in Bugzilla, per bug: every marker of its
/// comments (a comment carries one per section),
/// its flags (name, status, requestee) and the assignee, sorted.
pub fn ledger(sandbox: &SandboxHandle) -> BTreeMap<u64, Vec<String>> {
    let mut out = BTreeMap::new();
    for id in 801..=805 {
        let mut lines = Vec::new();
        for c in sandbox.comments(id) {
            if c.creator != BOT_LOGIN {
                continue;
            }
            // One comment carries a section per action, each with its
            // marker lines (a conflict section, one per problem it tells):
            // every marker counts.
            let markers = pushbot::plan::markers_in(&c.text);
            assert!(
                !markers.is_empty(),
                "bug {id}: a bot comment without a marker"
            );
            for marker in markers {
                lines.push(marker.line());
            }
        }
        for f in sandbox.flags(id) {
            if f.setter == BOT_LOGIN {
                lines.push(format!(
                    "flag {}{}({})",
                    f.name,
                    f.status,
                    f.requestee.unwrap_or_default()
                ));
            }
        }
        lines.sort();
        if let Some(bug) = sandbox.bug(id) {
            lines.push(format!("assignee {}", bug.assigned_to));
        }
        out.insert(id, lines);
    }
    out
}

/// The writes (POST and PUT) in `log`, counted per bug: the id in
/// `/rest/bug/ID` or `/rest/bug/ID/comment`.
pub fn writes_per_bug(log: &[LoggedRequest]) -> BTreeMap<u64, usize> {
    let mut out = BTreeMap::new();
    for request in log {
        if request.method != "POST" && request.method != "PUT" {
            continue;
        }
        let path = request
            .path
            .strip_prefix("/rest.cgi")
            .or_else(|| request.path.strip_prefix("/rest"))
            .unwrap_or(&request.path);
        let id = path
            .strip_prefix("/bug/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|id| id.parse::<u64>().ok());
        if let Some(id) = id {
            *out.entry(id).or_insert(0) += 1;
        }
    }
    out
}

/// The bot's comments (by marker, with how many times each exists) and
/// flags (with how many times each was requested), per bug.
pub fn counted(sandbox: &SandboxHandle) -> BTreeMap<u64, BTreeMap<String, usize>> {
    let mut out = BTreeMap::new();
    for id in 801..=805 {
        let mut things: BTreeMap<String, usize> = BTreeMap::new();
        for c in sandbox.comments(id) {
            if c.creator == BOT_LOGIN {
                for marker in pushbot::plan::markers_in(&c.text) {
                    *things.entry(marker.line()).or_default() += 1;
                }
            }
        }
        for f in sandbox.flags(id) {
            if f.setter == BOT_LOGIN {
                let requestee = f.requestee.unwrap_or_default();
                *things
                    .entry(format!("flag {}{}({requestee})", f.name, f.status))
                    .or_default() += 1;
            }
        }
        out.insert(id, things);
    }
    out
}

/// What the demo week's first cycle leaves, in [`counted`]'s form: each
/// comment and flag exactly once.
pub fn first_cycle() -> BTreeMap<u64, BTreeMap<String, usize>> {
    let rows: &[(u64, &[&str])] = &[
        (
            801,
            &[
                // The reply to the developer's `@pushbot check` (comment 2).
                "[pushbot command c2]",
                "[pushbot release-conflict 2026-W49.large]",
                "[pushbot release-conflict 2026-W49.total]",
            ],
        ),
        (
            802,
            &[
                "[pushbot release-conflict 2026-W49.large]",
                "[pushbot release-conflict 2026-W49.total]",
            ],
        ),
        (
            803,
            &[
                "[pushbot no-owner nag-1]",
                "[pushbot release-conflict 2026-W49.total]",
            ],
        ),
        (
            804,
            &[
                "[pushbot push-window 2026-11-30T14:00]",
                "[pushbot release-conflict 2026-W49.total]",
                "[pushbot signoff request-2026-11-30]",
                "flag qa-signoff?(webqa@example.test)",
                "flag webdev-signoff?(input-lead@example.test)",
            ],
        ),
        (805, &[]),
    ];
    rows.iter()
        .map(|(id, lines)| (*id, lines.iter().map(|l| (l.to_string(), 1)).collect()))
        .collect()
}

/// The sandbox's write routes: a comment alone, and an update (with or
/// without a comment).
pub const WRITE_ROUTES: [&str; 2] = ["POST /rest/bug/{id}/comment", "PUT /rest/bug/{id}"];

/// Every request to `route` is held by the sandbox (the client waits, the
/// test is told) until the test lands it.
pub fn held(route: &str) -> FaultRule {
    FaultRule {
        route: Some(route.to_string()),
        kind: FaultKind::LateWrite {
            land: Landing::WhenLanded,
            answer: LateAnswer::Hold,
        },
        trigger: Trigger::Share(1.0),
    }
}

/// Every write is held until the test lands it.
pub fn held_writes() -> Vec<FaultRule> {
    WRITE_ROUTES.iter().map(|route| held(route)).collect()
}
