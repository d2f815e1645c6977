//! What the planner keeps between cycles so that a steady cycle costs
//! little: each bug read as a push, and until when each rule's last quiet
//! decision about it holds.
//!
//! Every cycle plans over the whole snapshot, but most bugs did not change
//! since the last one, and a quiet decision about an unchanged push
//! changes only when the time crosses an instant the rule compared "now"
//! with ([`rules::Now`], [`Horizon`]). So a bug is read as a push again
//! only when its Bugzilla change stamp moved (its `last_change_time`, its
//! comment count or last comment: Bugzilla moves the stamp on every change
//! of a field, flag or group, and the poller re-reads a bug by it), or the
//! group lookups the pushes were read with changed; and a rule decides
//! again about a push only when the push changed or the decision's horizon
//! passed. A rule that compares pushes with each other
//! ([`rules::compares_pushes`], the conflict rule) decides about all of
//! them again when any push changed. Firing decisions are never kept: they
//! are acted on, and decided again next cycle until their marker is read
//! back.
//!
//! Only speed: a plan made with a memo is the plan made without one (the
//! tests check it cycle by cycle). Pure data, no clock.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::bugzilla::{BugId, CommentId};
use crate::commands::handle::Memberships;
use crate::push::PushBug;
use crate::rules::{self, Decided, Horizon, RuleSet, Verdict};
use crate::snapshot::TrackedBug;

/// What identifies one version of a bug as read: Bugzilla's change time,
/// the number of its comments and the last one's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    changed: Option<DateTime<Utc>>,
    comments: usize,
    last_comment: Option<CommentId>,
}

impl Stamp {
    pub(crate) fn of(tracked: &TrackedBug) -> Stamp {
        Stamp {
            changed: tracked.bug.last_change_time,
            comments: tracked.comments.len(),
            last_comment: tracked.comments.last().map(|c| c.id),
        }
    }
}

/// The planner's memory between cycles (see the module doc). Start with
/// `Memo::default()`; one per planner.
#[derive(Debug, Default)]
pub struct Memo {
    /// The tracked pushes in snapshot order, with the stamp each was read
    /// at.
    ids: Vec<BugId>,
    stamps: Vec<Stamp>,
    pushes: Vec<PushBug>,
    /// The group lookups the pushes were read with.
    memberships: Memberships,
    /// `[rule][push]`: until when the rule's last decision about the push
    /// holds; `None`: decide.
    horizons: Vec<Vec<Option<Horizon>>>,
    /// True when a push was added, removed or read again this cycle.
    changed: bool,
    /// Bugs found with no command waiting, at the stamp they had then.
    /// Commands only age out (`commands.max_age_hours`), so none stays
    /// none until the bug changes.
    no_commands: BTreeMap<BugId, Stamp>,
}

impl Memo {
    /// Brings the pushes up to `bugs` (the snapshot's tracked pushes, in
    /// order), reading again only the bugs whose stamp moved; everything
    /// is read again when `memberships` changed, if the pushes depend on
    /// them (`[push] signoff_groups`; else pass an empty map). `read`
    /// reads one bug as a push.
    pub(crate) fn refresh<'a>(
        &mut self,
        rules: &RuleSet,
        bugs: impl Iterator<Item = &'a TrackedBug> + Clone,
        memberships: &Memberships,
        read: impl Fn(&TrackedBug) -> PushBug,
    ) {
        let rule_count = rules.rules.len();
        if self.memberships != *memberships || self.horizons.len() != rule_count {
            *self = Memo {
                memberships: memberships.clone(),
                horizons: vec![Vec::new(); rule_count],
                ..Memo::default()
            };
        }
        self.changed = false;
        let same_bugs = bugs.clone().map(|t| t.bug.id).eq(self.ids.iter().copied());
        if same_bugs {
            for (i, tracked) in bugs.enumerate() {
                let stamp = Stamp::of(tracked);
                if stamp != self.stamps[i] {
                    self.stamps[i] = stamp;
                    self.pushes[i] = read(tracked);
                    for rule in &mut self.horizons {
                        rule[i] = None;
                    }
                    self.changed = true;
                }
            }
            return;
        }
        // Bugs came or went: keep what still holds, by id.
        let old: HashMap<BugId, usize> = self
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i))
            .collect();
        let mut old_pushes: Vec<Option<PushBug>> = std::mem::take(&mut self.pushes)
            .into_iter()
            .map(Some)
            .collect();
        let old_stamps = std::mem::take(&mut self.stamps);
        let old_horizons = std::mem::take(&mut self.horizons);
        self.ids.clear();
        self.horizons = vec![Vec::new(); rule_count];
        for tracked in bugs {
            let id = tracked.bug.id;
            let stamp = Stamp::of(tracked);
            let kept = old
                .get(&id)
                .filter(|&&i| old_stamps[i] == stamp)
                .and_then(|&i| old_pushes[i].take().map(|push| (i, push)));
            match kept {
                Some((i, push)) => {
                    self.pushes.push(push);
                    for (r, rule) in self.horizons.iter_mut().enumerate() {
                        rule.push(old_horizons[r][i]);
                    }
                }
                None => {
                    self.pushes.push(read(tracked));
                    for rule in &mut self.horizons {
                        rule.push(None);
                    }
                }
            }
            self.ids.push(id);
            self.stamps.push(stamp);
        }
        self.changed = true;
        self.no_commands.retain(|id, _| old.contains_key(id));
    }

    /// The pushes as last refreshed.
    pub(crate) fn pushes(&self) -> &[PushBug] {
        &self.pushes
    }

    /// Whether rule `r` must decide about push `i` at `now`.
    pub(crate) fn due(&self, rules: &RuleSet, r: usize, i: usize, now: DateTime<Utc>) -> bool {
        if self.changed
            && rules
                .rules
                .get(r)
                .is_some_and(|rule| rules::compares_pushes(&rule.kind))
        {
            return true;
        }
        self.horizons
            .get(r)
            .and_then(|rule| rule.get(i))
            .copied()
            .flatten()
            .is_none_or(|h| !h.holds_at(now))
    }

    /// Keeps the horizons of this cycle's decisions and returns their
    /// verdicts.
    pub(crate) fn remember(&mut self, decided: Vec<Decided>) -> Vec<Verdict> {
        decided
            .into_iter()
            .map(|(r, i, verdict, horizon)| {
                if let Some(slot) = self.horizons.get_mut(r).and_then(|rule| rule.get_mut(i)) {
                    *slot = Some(horizon);
                }
                verdict
            })
            .collect()
    }

    /// Whether `tracked` was found with no command waiting and has not
    /// changed since.
    pub(crate) fn no_commands(&self, tracked: &TrackedBug) -> bool {
        self.no_commands.get(&tracked.bug.id) == Some(&Stamp::of(tracked))
    }

    /// Notes that `tracked` has no command waiting.
    pub(crate) fn set_no_commands(&mut self, tracked: &TrackedBug) {
        self.no_commands.insert(tracked.bug.id, Stamp::of(tracked));
    }
}
