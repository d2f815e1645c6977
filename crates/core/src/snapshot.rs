//! What the planner sees each cycle: every push bug the bot tracks, with
//! its comments, and the answers to the lookups known so far.
//!
//! Plain data. The poller (in the bot's crate) fills it from Bugzilla,
//! incrementally, and keeps it between cycles; the decider
//! ([`crate::decide`]) only reads it.

use std::collections::{BTreeMap, BTreeSet};

use crate::bugzilla::{Bug, BugId, Comment};
use crate::commands::handle::Memberships;

/// A push bug and all its comments, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedBug {
    pub bug: Bug,
    pub comments: Vec<Comment>,
}

impl TrackedBug {
    /// Adds comments not seen yet (by id) and keeps the list in order.
    pub fn merge_comments(&mut self, new: Vec<Comment>) {
        let known: BTreeSet<_> = self.comments.iter().map(|c| c.id).collect();
        self.comments
            .extend(new.into_iter().filter(|c| !known.contains(&c.id)));
        self.comments.sort_by_key(|c| (c.creation_time, c.id));
    }
}

/// Every push bug the bot tracks, by id: the open ones and those shipped
/// recently enough to count (the poller's `shipped`); what the planner
/// sees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub bugs: BTreeMap<BugId, TrackedBug>,
    /// The answers to the planner's lookups (group memberships, accounts)
    /// known this cycle: still trusted from earlier cycles, or asked now
    /// because the planner named them ([`crate::decide::CycleOutput::lookups`]).
    /// Missing means not looked up.
    pub memberships: Memberships,
}

impl Snapshot {
    /// Takes in a bug as just read, with the comments read with it (all of
    /// them for a bug new to memory, those since its last change for a
    /// known one): memory then holds the bug as read and each comment once.
    pub fn take_in(&mut self, bug: Bug, comments: Vec<Comment>) {
        let tracked = self.bugs.entry(bug.id).or_insert_with(|| TrackedBug {
            bug: bug.clone(),
            comments: Vec::new(),
        });
        tracked.bug = bug;
        tracked.merge_comments(comments);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bugzilla::CommentId;
    use chrono::{TimeZone, Utc};

    fn comment(id: u64, minute: u32, who: &str) -> Comment {
        Comment {
            id: CommentId(id),
            bug_id: Some(BugId(1)),
            count: 0,
            text: format!("comment {id}"),
            creator: who.to_string(),
            creation_time: Utc.with_ymd_and_hms(2026, 11, 24, 10, minute, 0).unwrap(),
            is_private: false,
            tags: Vec::new(),
            attachment_id: None,
        }
    }

    #[test]
    fn merging_dedupes_by_id_and_keeps_order() {
        let mut tracked = TrackedBug {
            bug: Bug::default(),
            comments: vec![comment(1, 0, "a@x"), comment(3, 5, "pushbot@x")],
        };
        tracked.merge_comments(vec![comment(3, 5, "pushbot@x"), comment(2, 2, "b@x")]);
        let ids: Vec<u64> = tracked.comments.iter().map(|c| c.id.0).collect();
        assert_eq!(ids, vec![1, 2, 3]);
    }

    #[test]
    fn taking_in_a_known_bug_keeps_its_comments_once() {
        let mut snapshot = Snapshot::default();
        let bug = Bug {
            id: BugId(1),
            ..Bug::default()
        };
        snapshot.take_in(bug.clone(), vec![comment(1, 0, "a@x")]);
        let changed = Bug {
            summary: "changed".to_string(),
            ..bug
        };
        snapshot.take_in(changed, vec![comment(1, 0, "a@x"), comment(2, 1, "b@x")]);
        let tracked = &snapshot.bugs[&BugId(1)];
        assert_eq!(tracked.bug.summary, "changed");
        assert_eq!(tracked.comments.len(), 2);
    }
}
