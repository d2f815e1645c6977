//! The bot's ledger in the sandbox: what it has left on the demo's push
//! bugs (its comments by marker, its flags, the assignee), for tests that
//! compare the end state of runs.

use std::collections::BTreeMap;

use pushbot::demo::BOT_LOGIN;
use pushbot::sandbox::SandboxHandle;

/// What the bot has left in Bugzilla, per bug: its comments (by marker),
/// its flags (name, status, requestee) and the assignee, sorted.
pub fn ledger(sandbox: &SandboxHandle) -> BTreeMap<u64, Vec<String>> {
    let mut out = BTreeMap::new();
    for id in 801..=805 {
        let mut lines = Vec::new();
        for c in sandbox.comments(id) {
            if c.creator != BOT_LOGIN {
                continue;
            }
            // One line per marker: a comment may carry several (a
            // conflict comment, one per problem it tells).
            let markers = pushbot::plan::markers_in(&c.text);
            assert!(
                !markers.is_empty(),
                "bug {id}: a bot comment without a marker"
            );
            for (rule, discriminator) in markers {
                lines.push(format!("[pushbot {rule} {discriminator}]"));
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
