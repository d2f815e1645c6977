//! Restricted stays restricted (DESIGN.md, invariant 10): the one step
//! that turns what the core knows about other bugs into what the readers of
//! a destination may see.
//!
//! The bot reads with a privileged account: it sees bugs in security
//! groups it belongs to, and private comments when it is in the insider
//! group. It writes into places other people read: comments on push bugs,
//! the weekly summary on the tracking bug, the week view, its `.json`,
//! `.md` and calendar feed, the logs. In Bugzilla a reader must be in
//! **every** group of a bug to see it, so a destination readable by the
//! members of groups `D` may show bug `b` only when `groups(b) ⊆ D`; a
//! public destination (`D = ∅`) shows only bugs without groups.
//!
//! The rules and reports keep counting on the full data (a restricted push
//! still uses its slot in the week): only the *naming* of bugs goes
//! through here. A bug the audience may not see becomes an anonymous count
//! ("and 1 restricted push"): never its id, summary, app, time, owner or
//! comment text.
//!
//! - [`Audience`]: who reads a destination (the groups of the bug a comment
//!   is posted on; public for the web page unless `[web] show_restricted`).
//! - [`Restrictions`]: the groups of every bug the core knows; a bug it
//!   does not know is never named.
//! - [`Named`]: the bugs a destination may name and how many it may only
//!   count, in words.
//! - [`LogBug`]: a bug id for logs at info level and above and for errors:
//!   the id, or "a restricted bug".
//!
//! Pure: no I/O, no clock.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::bugzilla::BugId;
use crate::push::PushBug;

/// Who can read a destination: the members of every one of its groups
/// (a comment on a bug), everyone (a public bug, the public web page), or
/// a trusted audience that sees everything (a web server only people in
/// those groups can reach: `[web] show_restricted = true`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience {
    /// `None`: sees everything. `Some(groups)`: the destination is
    /// restricted to these groups (empty: public).
    groups: Option<BTreeSet<String>>,
}

impl Audience {
    /// Everyone, logged in or not: may see only bugs without groups.
    pub fn public() -> Audience {
        Audience {
            groups: Some(BTreeSet::new()),
        }
    }

    /// The readers of a bug in `groups` (a comment posted on it): they are
    /// in all of them, so they see every bug whose groups are among these.
    pub fn of_bug(groups: &[String]) -> Audience {
        Audience {
            groups: Some(groups.iter().map(|g| g.trim().to_string()).collect()),
        }
    }

    /// Readers trusted with everything the bot sees. Only for places that
    /// people outside the groups cannot reach.
    pub fn trusted() -> Audience {
        Audience { groups: None }
    }

    /// Whether this audience may see a bug in `groups`: every one of them
    /// is among the destination's (a bug without groups is seen by all).
    pub fn may_see(&self, groups: &[String]) -> bool {
        match &self.groups {
            None => true,
            Some(mine) => groups.iter().all(|g| mine.contains(g.trim())),
        }
    }

    /// Whether anyone at all may read the destination.
    pub fn is_public(&self) -> bool {
        self.groups.as_ref().is_some_and(BTreeSet::is_empty)
    }
}

/// The groups of every bug the core knows (the tracked pushes). A bug not
/// in it is treated as restricted: what cannot be checked is not named.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Restrictions {
    groups: BTreeMap<BugId, Vec<String>>,
}

impl Restrictions {
    /// The groups of each push.
    pub fn of(pushes: &[PushBug]) -> Restrictions {
        Restrictions {
            groups: pushes.iter().map(|p| (p.id, p.groups.clone())).collect(),
        }
    }

    /// Whether `audience` may see `bug` (never when the bug is unknown).
    pub fn visible(&self, audience: &Audience, bug: BugId) -> bool {
        self.groups
            .get(&bug)
            .is_some_and(|groups| audience.may_see(groups))
    }

    /// What `audience` may know of `bugs`: the ones it may name (in the
    /// given order, each once) and how many others it may only count.
    pub fn name(&self, audience: &Audience, bugs: &[BugId]) -> Named {
        let mut named = Named::default();
        let mut seen = BTreeSet::new();
        for bug in bugs.iter().filter(|b| seen.insert(**b)) {
            if self.visible(audience, *bug) {
                named.shown.push(*bug);
            } else {
                named.hidden += 1;
            }
        }
        named
    }
}

/// Bugs as one destination may mention them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Named {
    /// The bugs it may name.
    pub shown: Vec<BugId>,
    /// How many more there are that it may only count.
    pub hidden: usize,
}

impl Named {
    /// `bug 801, bug 802 and 1 restricted push`; `bug 801, bug 802`
    /// without hidden ones; `2 restricted pushes` without shown ones.
    pub fn words(&self) -> String {
        let names: Vec<String> = self.shown.iter().map(|b| format!("bug {b}")).collect();
        match (names.is_empty(), self.hidden) {
            (_, 0) => names.join(", "),
            (true, n) => restricted_pushes(n),
            (false, n) => format!("{} and {}", names.join(", "), restricted_pushes(n)),
        }
    }
}

/// `1 restricted push`, `2 restricted pushes`.
pub fn restricted_pushes(n: usize) -> String {
    if n == 1 {
        "1 restricted push".to_string()
    } else {
        format!("{n} restricted pushes")
    }
}

/// A bug as logs at info level and above, and errors (shown on
/// `/healthz` and in the cycle log), may name it: its id, or "a restricted
/// bug". The id of a restricted bug goes to debug logs only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogBug {
    pub id: BugId,
    pub restricted: bool,
}

impl fmt::Display for LogBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.restricted {
            f.write_str("a restricted bug")
        } else {
            write!(f, "bug {}", self.id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::PushBuilder;

    fn groups(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_reader_must_be_in_every_group_of_a_bug() {
        let public = Audience::public();
        let security = Audience::of_bug(&groups(&["security"]));
        let both = Audience::of_bug(&groups(&["security", "legal"]));
        assert!(public.may_see(&[]));
        assert!(!public.may_see(&groups(&["security"])));
        assert!(security.may_see(&[]));
        assert!(security.may_see(&groups(&["security"])));
        assert!(!security.may_see(&groups(&["legal"])));
        assert!(!security.may_see(&groups(&["security", "legal"])));
        assert!(both.may_see(&groups(&["security", "legal"])));
        assert!(both.may_see(&groups(&["legal"])));
        assert!(Audience::trusted().may_see(&groups(&["security", "legal"])));
        assert!(public.is_public());
        assert!(Audience::of_bug(&[]).is_public());
        assert!(!security.is_public() && !Audience::trusted().is_public());
    }

    #[test]
    fn hidden_bugs_are_counted_never_named_and_unknown_bugs_are_hidden() {
        let pushes = [
            PushBuilder::new(801).build(),
            PushBuilder::new(802).build(),
            PushBuilder::new(806).groups(&["security"]).build(),
        ];
        let r = Restrictions::of(&pushes);
        let ids = |list: &[u64]| list.iter().map(|i| BugId(*i)).collect::<Vec<_>>();
        let named = r.name(&Audience::public(), &ids(&[801, 806, 802, 806, 999]));
        assert_eq!(named.shown, ids(&[801, 802]));
        assert_eq!(named.hidden, 2, "806 once, and 999 that nobody knows");
        assert_eq!(named.words(), "bug 801, bug 802 and 2 restricted pushes");
        let on_806 = Audience::of_bug(&groups(&["security"]));
        let named = r.name(&on_806, &ids(&[801, 806]));
        assert_eq!(named.words(), "bug 801, bug 806");
        let named = r.name(&Audience::public(), &ids(&[806]));
        assert_eq!(named.words(), "1 restricted push");
        assert_eq!(Named::default().words(), "");
    }

    #[test]
    fn logs_name_a_restricted_bug_without_its_id() {
        let open = LogBug {
            id: BugId(801),
            restricted: false,
        };
        let closed = LogBug {
            id: BugId(806),
            restricted: true,
        };
        assert_eq!(open.to_string(), "bug 801");
        assert_eq!(closed.to_string(), "a restricted bug");
    }
}
