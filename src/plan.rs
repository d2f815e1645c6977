//! The actions the pure core decides on, and the marker line that makes each
//! of them findable in Bugzilla.
//!
//! Bugzilla is the ledger (DESIGN.md, invariant 1): every action's text
//! ends with a marker line such as `[pushbot no-owner 2026-W48]` built from
//! its [`ActionKey`]. The bot writes each bug once per cycle ([`merge`]), so
//! one comment holds a section per action, each with its own marker lines
//! ([`markers_in`] reads them all). Before writing, the executor looks for
//! each marker among the bug's comments, so losing the local state never
//! causes a duplicate.
//!
//! Pure: no I/O, no clock.

use std::fmt;

use crate::bugzilla::{BugId, BugUpdate};

pub mod merge;
pub mod reconcile;

pub use merge::{merge, Change};
pub use reconcile::reconcile;

/// Marker names the bot uses for something other than a rule: command
/// replies, snoozes, the weekly summary. A rule file named like one of them
/// (`snooze.toml`) would read or write the same ledger lines and, say,
/// silently cancel snoozes, so [`crate::rules`] refuses such names.
pub const RESERVED_NAMES: &[(&str, &str)] = &[
    (crate::commands::REPLY_RULE, "replies to commands"),
    (
        crate::push::SNOOZE_MARKER,
        "snoozes set by `snooze`/`unsnooze`",
    ),
    (crate::report::summary::RULE, "the weekly summary"),
];

/// What identifies one decision of the bot on one bug, stable across cycles
/// and restarts: the rule (or command) and a discriminator such as the ISO
/// week (`2026-W48`), a nag number (`nag-2`) or a command comment id
/// (`c1234`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionKey {
    pub bug: BugId,
    /// The rule's or command's name, e.g. `no-owner`. Letters, digits and `-`.
    pub rule: String,
    /// Letters, digits, `-`, `_`, `.`, `:` (no spaces, no `]`).
    pub discriminator: String,
}

impl ActionKey {
    pub fn new(bug: BugId, rule: impl Into<String>, discriminator: impl Into<String>) -> Self {
        ActionKey {
            bug,
            rule: sanitize(&rule.into()),
            discriminator: sanitize(&discriminator.into()),
        }
    }

    /// The marker line that ends the bot's comment for this action.
    pub fn marker(&self) -> String {
        format!("[pushbot {} {}]", self.rule, self.discriminator)
    }

    /// Whether a comment's text carries this action's marker. The marker
    /// must stand on a line of its own, so a person quoting it (`> [pushbot
    /// …]`) does not count.
    pub fn is_marked_in(&self, comment_text: &str) -> bool {
        let marker = self.marker();
        comment_text.lines().any(|line| line.trim() == marker)
    }
}

impl fmt::Display for ActionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bug {} {}", self.bug, self.marker())
    }
}

/// Keeps marker parts to a safe alphabet so that a marker can never span
/// lines or close early.
fn sanitize(part: &str) -> String {
    let cleaned: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "-".to_string()
    } else {
        cleaned
    }
}

/// Every marker found in a comment (lines of the form `[pushbot RULE DISC]`),
/// as `(rule, discriminator)` pairs.
pub fn markers_in(comment_text: &str) -> Vec<(String, String)> {
    comment_text
        .lines()
        .filter_map(|line| {
            let inner = line.trim().strip_prefix("[pushbot ")?.strip_suffix(']')?;
            let (rule, disc) = inner.split_once(' ')?;
            if disc.contains(' ') {
                return None;
            }
            Some((rule.to_string(), disc.to_string()))
        })
        .collect()
}

/// One write the bot wants to make on one bug: a comment (ending with the
/// key's marker), field and flag changes, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub key: ActionKey,
    /// The comment body without the marker lines; the executor appends them.
    pub comment: Option<String>,
    /// Other markers the comment carries besides its own key, on the same
    /// bug: the signoff rule's request answered by the `signoff` command,
    /// a snooze set by `snooze`. Posting the comment settles them too, and
    /// [`reconcile`] drops any other action of the cycle that would post
    /// one of them again.
    pub also: Vec<ActionKey>,
    /// Post the comment as private (a reply to a private comment is private).
    pub private: bool,
    /// Flag and field changes made together with the comment.
    pub update: BugUpdate,
    /// The bug is in a security group (its `groups` are not empty): logs
    /// at info level and above and the cycle's errors leave its id and
    /// marker out ([`crate::redact::LogBug`]). Set by the planner from the
    /// bug as read.
    pub restricted: bool,
}

impl Action {
    /// A comment-only action.
    pub fn comment(key: ActionKey, text: impl Into<String>) -> Self {
        Action {
            key,
            comment: Some(text.into()),
            also: Vec::new(),
            private: false,
            update: BugUpdate::default(),
            restricted: false,
        }
    }

    /// The action's bug as logs at info level and above and errors may
    /// name it.
    pub fn log_bug(&self) -> crate::redact::LogBug {
        crate::redact::LogBug {
            id: self.key.bug,
            restricted: self.restricted,
        }
    }

    /// The action's section of the comment: the body, a blank line, the
    /// carried markers (`also`), a blank line, then the action's own
    /// marker ([`merge::Change::comment_text`] joins the sections).
    pub fn comment_text(&self) -> Option<String> {
        self.comment.as_ref().map(|body| {
            let mut text = body.trim_end().to_string();
            if !self.also.is_empty() {
                text.push('\n');
            }
            for key in &self.also {
                text.push('\n');
                text.push_str(&key.marker());
            }
            text.push_str("\n\n");
            text.push_str(&self.key.marker());
            text
        })
    }

    /// Every marker key the comment carries: its own, then `also`.
    pub fn keys(&self) -> impl Iterator<Item = &ActionKey> {
        std::iter::once(&self.key).chain(&self.also)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips() {
        let key = ActionKey::new(BugId(7), "no-owner", "2026-W48");
        assert_eq!(key.marker(), "[pushbot no-owner 2026-W48]");
        let action = Action::comment(key.clone(), "Who owns this push?\n");
        let text = action.comment_text().unwrap();
        assert!(key.is_marked_in(&text));
        assert_eq!(
            markers_in(&text),
            vec![("no-owner".to_string(), "2026-W48".to_string())]
        );
    }

    #[test]
    fn quoted_marker_does_not_count() {
        let key = ActionKey::new(BugId(7), "no-owner", "2026-W48");
        assert!(!key.is_marked_in("> [pushbot no-owner 2026-W48]"));
        assert!(!key.is_marked_in("see [pushbot no-owner 2026-W48] above"));
    }

    #[test]
    fn odd_characters_cannot_break_a_marker() {
        let key = ActionKey::new(BugId(1), "cmd]\nx", "a b");
        assert_eq!(key.marker(), "[pushbot cmd--x a-b]");
    }
}
