//! One write per bug per cycle: the reconciled actions of a cycle grouped
//! into one [`Change`] per bug.
//!
//! Every change to a bug mails everyone on it, so the bot says everything
//! it has for a bug in one cycle in **one** comment, and makes the flag and
//! assignee changes of the same actions in the same request: one
//! `PUT /rest/bug/ID` carrying fields, flags and the comment is one change
//! and one history entry on Bugzilla 5.2 (recordings 130, 147).
//!
//! The comment is a **section** per action, in plan order (command replies
//! first, oldest first, then the rules and the summary): each section keeps
//! its own text (a reply its own "(In reply to comment #N)") followed by its
//! own marker lines ([`Action::comment_text`]), and sections are separated
//! by a blank line. The markers stay one per key, so the ledger reads each
//! section on its own ([`super::markers_in`] reads every marker of a
//! comment, [`sections`] splits a comment back into its sections).
//!
//! Two things cannot share one comment, and wait for the next cycle instead
//! (their markers are absent, so the planner plans them again then):
//!
//! - **Privacy.** A reply to a private comment is private
//!   ([`Action::private`]), and a comment is private or public as a whole.
//!   The change takes the privacy of its first section with a comment; the
//!   sections of the other privacy wait. So the promise stays strict (at
//!   most one change per bug per cycle) at the cost of a cycle's delay for
//!   the rare bug that has both kinds in one cycle.
//! - **Size.** A comment holds at most [`MAX_COMMENT_CHARS`] characters
//!   (Bugzilla refuses more, 400/114). Sections are taken in order while the
//!   comment stays within it; from the first that would push it over, every
//!   later section waits (the order of replies is kept). The first section
//!   is always taken, so a bug always makes progress. With the command cap
//!   (`commands.max_answers_per_bug`, oldest first) this bounds a comment,
//!   and together they answer each command exactly once: a reply that waits
//!   carries no marker yet and is planned again; one that was written is
//!   found by its marker and never planned again.
//!
//! Flag changes of several sections on the same flag (the same id, or the
//! same name for a change that is not a new flag) become the last of them,
//! at the place of the first: the state the sections would leave one after
//! the other. New flags (`"new": true`, a needinfo) are all kept; the
//! assignee and whiteboard are the last section's that sets them.
//!
//! Pure: no I/O, no clock.

use std::collections::BTreeMap;

use super::{markers_in, Action, ActionKey, Marker};
use crate::bugzilla::{BugId, BugUpdate, FlagChange, MAX_COMMENT_CHARS};

/// What the bot writes on one bug in one cycle: one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub bug: BugId,
    /// The actions written together, in plan order: each a section of the
    /// comment (when it has one) and part of the update.
    pub sections: Vec<Action>,
    /// The flag and field changes of every section ([`merge_updates`]).
    pub update: BugUpdate,
    /// The comment is private (all its sections are).
    pub private: bool,
    /// The bug is in a security group: logs and errors do not name it
    /// ([`Action::restricted`]).
    pub restricted: bool,
}

impl Change {
    /// A change of `sections`, all on one bug, written as they are (no
    /// privacy or size check: [`merge`] makes those).
    pub fn of(sections: Vec<Action>) -> Option<Change> {
        let first = sections.first()?;
        let bug = first.key.bug;
        debug_assert!(sections.iter().all(|a| a.key.bug == bug));
        let private = sections
            .iter()
            .find(|a| a.comment.is_some())
            .is_some_and(|a| a.private);
        let restricted = sections.iter().any(|a| a.restricted);
        let update = merge_updates(sections.iter().map(|a| &a.update));
        Some(Change {
            bug,
            sections,
            update,
            private,
            restricted,
        })
    }

    /// The whole comment: every section's text with its markers, separated
    /// by a blank line; `None` when no section has a comment.
    pub fn comment_text(&self) -> Option<String> {
        let parts: Vec<String> = self
            .sections
            .iter()
            .filter_map(Action::comment_text)
            .collect();
        (!parts.is_empty()).then(|| parts.join(SEPARATOR))
    }

    /// The keys of the sections (not their carried markers), in order.
    pub fn keys(&self) -> impl Iterator<Item = &ActionKey> {
        self.sections.iter().map(|a| &a.key)
    }

    /// Every marker the comment carries: each section's own, then its
    /// `also`. Empty when there is no comment.
    pub fn markers(&self) -> Vec<&ActionKey> {
        self.sections
            .iter()
            .filter(|a| a.comment.is_some())
            .flat_map(Action::keys)
            .collect()
    }

    /// The bug as logs at info level and above and errors may name it.
    pub fn log_bug(&self) -> crate::redact::LogBug {
        crate::redact::LogBug {
            id: self.bug,
            restricted: self.restricted,
        }
    }
}

/// Between two sections of a comment: a blank line.
const SEPARATOR: &str = "\n\n";

/// Why an action waits for the next cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// Its comment is private and the change's public, or the other way.
    Privacy,
    /// Its section would push the comment over [`MAX_COMMENT_CHARS`].
    Size,
}

impl WaitReason {
    /// For the log: why the section was not written now.
    pub fn describe(self) -> &'static str {
        match self {
            WaitReason::Privacy => {
                "a private and a public section cannot share a comment; written next cycle"
            }
            WaitReason::Size => {
                "the comment would exceed Bugzilla's 65,535 characters; written next cycle"
            }
        }
    }
}

/// An action left for the next cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub action: Action,
    pub reason: WaitReason,
}

/// The cycle's plan as writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// One per bug, in the order each bug first appears in the plan.
    pub changes: Vec<Change>,
    /// What waits for the next cycle, in plan order.
    pub waiting: Vec<Waiting>,
}

/// Groups `actions` (reconciled, in plan order) into one [`Change`] per
/// bug; see the module doc for what waits.
pub fn merge(actions: impl IntoIterator<Item = Action>) -> Merged {
    let mut order: Vec<BugId> = Vec::new();
    let mut by_bug: BTreeMap<BugId, Vec<Action>> = BTreeMap::new();
    for action in actions {
        let list = by_bug.entry(action.key.bug).or_default();
        if list.is_empty() {
            order.push(action.key.bug);
        }
        list.push(action);
    }
    let mut out = Merged::default();
    for bug in order {
        let Some(actions) = by_bug.remove(&bug) else {
            continue;
        };
        let private = actions
            .iter()
            .find(|a| a.comment.is_some())
            .is_some_and(|a| a.private);
        let mut sections = Vec::new();
        let mut length = 0usize;
        let mut full = false;
        for action in actions {
            let Some(text) = action.comment_text() else {
                // An update-only action: no section, nothing to size.
                if full {
                    out.waiting.push(Waiting {
                        action,
                        reason: WaitReason::Size,
                    });
                } else {
                    sections.push(action);
                }
                continue;
            };
            if action.private != private {
                out.waiting.push(Waiting {
                    action,
                    reason: WaitReason::Privacy,
                });
                continue;
            }
            let chars = text.chars().count();
            let grown = if length == 0 {
                chars
            } else {
                length + SEPARATOR.len() + chars
            };
            if full || (length > 0 && grown > MAX_COMMENT_CHARS) {
                full = true;
                out.waiting.push(Waiting {
                    action,
                    reason: WaitReason::Size,
                });
                continue;
            }
            length = grown;
            sections.push(action);
        }
        if let Some(change) = Change::of(sections) {
            out.changes.push(change);
        }
    }
    out
}

/// The updates of several sections as one: flag changes in order, a later
/// change of the same flag replacing the earlier one in its place; the last
/// assignee and whiteboard set.
pub fn merge_updates<'a>(updates: impl IntoIterator<Item = &'a BugUpdate>) -> BugUpdate {
    let mut merged = BugUpdate::default();
    for update in updates {
        for change in &update.flags {
            let target = flag_target(change);
            let earlier = target.as_ref().and_then(|t| {
                merged
                    .flags
                    .iter()
                    .position(|f| flag_target(f).as_ref() == Some(t))
            });
            match earlier {
                Some(i) => merged.flags[i] = change.clone(),
                None => merged.flags.push(change.clone()),
            }
        }
        if let Some(assignee) = &update.assigned_to {
            merged.assigned_to = Some(assignee.clone());
        }
        if let Some(whiteboard) = &update.whiteboard {
            merged.whiteboard = Some(whiteboard.clone());
        }
    }
    merged
}

/// Which flag a change is about, when two changes can be about the same
/// one: an existing flag by id, or the flag of a name (not a new flag).
#[derive(Debug, Clone, PartialEq, Eq)]
enum FlagTarget {
    Id(u64),
    Name(String),
}

fn flag_target(change: &FlagChange) -> Option<FlagTarget> {
    match (change.id, &change.name) {
        (Some(id), _) => Some(FlagTarget::Id(id)),
        (None, Some(name)) if !change.new => Some(FlagTarget::Name(name.clone())),
        _ => None,
    }
}

/// One section of a bot comment as read back: its text (markers left out,
/// trimmed) and its markers, the section's own key last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub text: String,
    pub markers: Vec<Marker>,
}

/// A bot comment split into its sections: a section ends with its run of
/// marker lines (blank lines between them allowed), and the next non-blank
/// line starts the next one. A comment without markers is one section.
pub fn sections(comment_text: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let mut text: Vec<&str> = Vec::new();
    let mut markers = Vec::new();
    for line in comment_text.lines() {
        let marker = markers_in(line);
        if !marker.is_empty() {
            markers.extend(marker);
            continue;
        }
        if line.trim().is_empty() {
            if markers.is_empty() {
                text.push(line);
            }
            continue;
        }
        if !markers.is_empty() {
            out.push(Section {
                text: text.join("\n").trim().to_string(),
                markers: std::mem::take(&mut markers),
            });
            text.clear();
        }
        text.push(line);
    }
    if !text.is_empty() || !markers.is_empty() {
        out.push(Section {
            text: text.join("\n").trim().to_string(),
            markers,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bugzilla::FlagChangeStatus;

    fn said(bug: u64, rule: &str, text: &str) -> Action {
        Action::comment(ActionKey::new(BugId(bug), rule, "2026-W49"), text)
    }

    fn request(name: &str, who: &str) -> FlagChange {
        FlagChange {
            id: None,
            name: Some(name.to_string()),
            status: FlagChangeStatus::Requested,
            requestee: Some(who.to_string()),
            new: false,
        }
    }

    #[test]
    fn one_change_per_bug_in_plan_order_with_every_update() {
        let mut reply = Action::comment(
            ActionKey::new(BugId(804), "command", "c9"),
            "(In reply to comment #2)\n\nDone: dev@example.test now owns this push bug.",
        );
        reply.update.assigned_to = Some("dev@example.test".to_string());
        let mut signoff = said(804, "signoff", "Please sign off.");
        signoff
            .update
            .flags
            .push(request("webdev-signoff", "lead@example.test"));
        signoff
            .update
            .flags
            .push(request("qa-signoff", "qa@example.test"));
        let plan = vec![
            reply.clone(),
            said(801, "no-owner", "Who owns this?"),
            signoff.clone(),
            said(804, "push-window", "Outside the window."),
        ];

        let merged = merge(plan);

        assert!(merged.waiting.is_empty());
        let bugs: Vec<BugId> = merged.changes.iter().map(|c| c.bug).collect();
        assert_eq!(bugs, vec![BugId(804), BugId(801)], "first appearance");
        let change = &merged.changes[0];
        let keys: Vec<&str> = change.keys().map(|k| k.name()).collect();
        assert_eq!(keys, vec!["command", "signoff", "push-window"]);
        assert_eq!(
            change.update.assigned_to.as_deref(),
            Some("dev@example.test")
        );
        assert_eq!(change.update.flags.len(), 2);
        let text = change.comment_text().unwrap();
        assert_eq!(
            text,
            "(In reply to comment #2)\n\nDone: dev@example.test now owns this push bug.\n\n\
             [pushbot command c9]\n\n\
             Please sign off.\n\n[pushbot signoff 2026-W49]\n\n\
             Outside the window.\n\n[pushbot push-window 2026-W49]"
        );
        // The ledger reads every marker of the one comment.
        assert_eq!(markers_in(&text).len(), 3);
        assert!(change.keys().all(|k| k.is_marked_in(&text)));
    }

    #[test]
    fn sections_split_a_merged_comment_back() {
        let mut reply = Action::comment(
            ActionKey::new(BugId(1), "command", "c2"),
            "(In reply to comment #1)\n\nRequested sign-off.\n\nSee:\n- a\n- b",
        );
        reply
            .also
            .push(ActionKey::new(BugId(1), "signoff", "request-2026-12-10"));
        let change = Change::of(vec![reply, said(1, "overrun", "Status?")]).unwrap();
        let text = change.comment_text().unwrap();

        let split = sections(&text);

        assert_eq!(split.len(), 2, "{split:?}");
        assert!(split[0].text.starts_with("(In reply to comment #1)"));
        assert!(split[0].text.ends_with("- b"));
        assert_eq!(
            split[0].markers,
            vec![
                Marker::from_parts("signoff", "request-2026-12-10"),
                Marker::Reply(crate::bugzilla::CommentId(2))
            ],
            "carried markers, then the section's own"
        );
        assert_eq!(split[1].text, "Status?");
        assert_eq!(
            split[1].markers,
            vec![Marker::from_parts("overrun", "2026-W49")]
        );
        assert_eq!(change.markers().len(), 3);
    }

    #[test]
    fn a_private_reply_waits_when_the_change_is_public() {
        let mut private = said(5, "command", "(In reply to comment #3)\n\nNoted.");
        private.private = true;
        let plan = vec![
            said(5, "no-owner", "Who owns this?"),
            private.clone(),
            said(5, "overrun", "Status?"),
        ];

        let merged = merge(plan);

        assert_eq!(merged.changes.len(), 1);
        let change = &merged.changes[0];
        assert!(!change.private);
        let keys: Vec<&str> = change.keys().map(|k| k.name()).collect();
        assert_eq!(keys, vec!["no-owner", "overrun"]);
        assert_eq!(
            merged.waiting,
            vec![Waiting {
                action: private.clone(),
                reason: WaitReason::Privacy
            }]
        );

        // The next cycle: only the private one is planned again, alone.
        let next = merge(vec![private]);
        assert!(next.changes[0].private);
        assert!(next.waiting.is_empty());
    }

    #[test]
    fn the_first_sections_privacy_decides() {
        let mut private = said(5, "command", "Noted.");
        private.private = true;
        let merged = merge(vec![private, said(5, "no-owner", "Who owns this?")]);
        assert!(merged.changes[0].private);
        assert_eq!(merged.waiting.len(), 1);
        assert_eq!(merged.waiting[0].action.key.name(), "no-owner");
    }

    #[test]
    fn sections_that_would_pass_the_size_limit_wait_in_order() {
        let big = "x".repeat(30_000);
        let plan = vec![
            said(9, "a", &big),
            said(9, "b", &big),
            said(9, "c", &big),
            said(9, "d", "small"),
        ];

        let merged = merge(plan);

        let change = &merged.changes[0];
        let keys: Vec<&str> = change.keys().map(|k| k.name()).collect();
        assert_eq!(keys, vec!["a", "b"]);
        let text = change.comment_text().unwrap();
        assert!(text.chars().count() <= MAX_COMMENT_CHARS);
        let waiting: Vec<(&str, WaitReason)> = merged
            .waiting
            .iter()
            .map(|w| (w.action.key.name(), w.reason))
            .collect();
        assert_eq!(
            waiting,
            vec![("c", WaitReason::Size), ("d", WaitReason::Size)],
            "a small section after a big one keeps its place in line"
        );
    }

    #[test]
    fn a_comment_of_exactly_the_limit_is_taken() {
        // Two sections whose texts with markers and the separator make
        // exactly 65,535 characters.
        let first = said(9, "a", "");
        let overhead_a = first.comment_text().unwrap().chars().count();
        let second = said(9, "b", "");
        let overhead_b = second.comment_text().unwrap().chars().count();
        let room = MAX_COMMENT_CHARS - overhead_a - overhead_b - SEPARATOR.len();
        let plan = vec![said(9, "a", ""), said(9, "b", &"y".repeat(room))];
        let merged = merge(plan);
        assert!(merged.waiting.is_empty());
        assert_eq!(
            merged.changes[0].comment_text().unwrap().chars().count(),
            MAX_COMMENT_CHARS
        );
        let plan = vec![said(9, "a", ""), said(9, "b", &"y".repeat(room + 1))];
        assert_eq!(merge(plan).waiting.len(), 1);
    }

    #[test]
    fn a_section_alone_is_always_taken() {
        let huge = "z".repeat(MAX_COMMENT_CHARS + 10);
        let merged = merge(vec![said(9, "a", &huge)]);
        assert_eq!(merged.changes.len(), 1);
        assert!(merged.waiting.is_empty());
    }

    #[test]
    fn changes_of_one_flag_become_the_last_in_place_of_the_first() {
        let grant = FlagChange {
            id: None,
            name: Some("webdev-signoff".to_string()),
            status: FlagChangeStatus::Granted,
            requestee: None,
            new: false,
        };
        let needinfo = |who: &str| FlagChange {
            new: true,
            ..request("needinfo", who)
        };
        let a = BugUpdate {
            flags: vec![
                request("webdev-signoff", "lead@example.test"),
                needinfo("dev@example.test"),
            ],
            assigned_to: Some("a@example.test".to_string()),
            whiteboard: None,
        };
        let b = BugUpdate {
            flags: vec![
                request("qa-signoff", "qa@example.test"),
                grant.clone(),
                needinfo("qa@example.test"),
            ],
            assigned_to: Some("b@example.test".to_string()),
            whiteboard: Some("[push]".to_string()),
        };

        let merged = merge_updates([&a, &b]);

        assert_eq!(
            merged.flags,
            vec![
                grant,
                needinfo("dev@example.test"),
                request("qa-signoff", "qa@example.test"),
                needinfo("qa@example.test"),
            ]
        );
        assert_eq!(merged.assigned_to.as_deref(), Some("b@example.test"));
        assert_eq!(merged.whiteboard.as_deref(), Some("[push]"));
    }

    #[test]
    fn an_update_only_action_joins_the_change_without_a_section() {
        let mut flag_only = said(3, "signoff", "");
        flag_only.comment = None;
        flag_only
            .update
            .flags
            .push(request("qa-signoff", "qa@example.test"));
        let merged = merge(vec![flag_only, said(3, "overrun", "Status?")]);
        let change = &merged.changes[0];
        assert_eq!(change.sections.len(), 2);
        assert_eq!(change.update.flags.len(), 1);
        assert_eq!(
            change.comment_text().unwrap(),
            "Status?\n\n[pushbot overrun 2026-W49]"
        );
        assert_eq!(change.markers().len(), 1, "only sections with a comment");
    }

    #[test]
    fn restricted_and_no_comment_at_all() {
        let mut quiet = said(4, "signoff", "");
        quiet.comment = None;
        quiet.restricted = true;
        quiet
            .update
            .flags
            .push(request("qa-signoff", "qa@example.test"));
        let change = Change::of(vec![quiet]).unwrap();
        assert!(change.restricted);
        assert!(change.comment_text().is_none());
        assert!(change.markers().is_empty());
        assert!(Change::of(Vec::new()).is_none());
    }
}
