//! The bot's ledger in the sandbox: what it has left on the demo's push
//! bugs (its comments by marker, its flags, the assignee), for tests that
//! compare the end state of runs.

use std::collections::BTreeMap;

use pushbot::demo::BOT_LOGIN;
use pushbot::sandbox::{LoggedRequest, SandboxHandle};

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
