//! The actions the pure core decides on, and the marker line that makes each
//! of them findable in Bugzilla.
//!
//! Bugzilla is the ledger (DESIGN.md, invariant 1): every action's text
//! ends with a marker line such as `[pushbot no-owner nag-2]`: its
//! [`ActionKey`]'s [`Marker`], printed and parsed only in [`marker`]. The
//! bot writes each bug once per cycle ([`merge`]), so one comment holds a
//! section per action, each with its own marker lines ([`markers_in`]
//! reads them all). Before writing, the executor looks for
//! each marker among the bug's comments, so losing the local state never
//! causes a duplicate.
//!
//! Pure: no I/O, no clock.

use std::fmt;

use crate::bugzilla::{BugId, BugUpdate};

pub mod marker;
pub mod merge;
pub mod reconcile;

pub use marker::{markers_in, Marker, RuleMark, RuleName};
pub use merge::{merge, Change};
pub use reconcile::reconcile;

use marker::Text;

/// What identifies one decision of the bot on one bug, stable across cycles
/// and restarts: the bug and the [`Marker`] that ends its section of the
/// comment, such as a rule's `[pushbot no-owner nag-2]` or a command
/// reply's `[pushbot command c1234]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionKey {
    pub bug: BugId,
    /// What the marker says.
    pub mark: Marker,
}

impl ActionKey {
    /// The key of `mark` on `bug`.
    pub fn of(bug: BugId, mark: Marker) -> Self {
        ActionKey { bug, mark }
    }

    /// The key a marker line with this name and discriminator reads as
    /// (the store's two columns; tests). Characters a marker cannot hold
    /// become `-`, as they always did.
    pub fn new(bug: BugId, name: impl Into<String>, discriminator: impl Into<String>) -> Self {
        let (name, discriminator) = (
            Text::sanitized(&name.into()),
            Text::sanitized(&discriminator.into()),
        );
        ActionKey {
            bug,
            mark: Marker::from_parts(name.as_str(), discriminator.as_str()),
        }
    }

    /// The marker's name part: the rule's, or `command`, `snooze`,
    /// `summary`.
    pub fn name(&self) -> &str {
        self.mark.name()
    }

    /// The marker line that ends the bot's comment for this action.
    pub fn marker(&self) -> String {
        self.mark.line()
    }

    /// Whether a comment's text carries this action's marker. The marker
    /// must stand on a line of its own, so a person quoting it (`> [pushbot
    /// …]`) does not count.
    pub fn is_marked_in(&self, comment_text: &str) -> bool {
        self.mark.is_in(comment_text)
    }
}

impl fmt::Display for ActionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bug {} {}", self.bug, self.mark)
    }
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
        assert_eq!(markers_in(&text), vec![key.mark.clone()]);
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
