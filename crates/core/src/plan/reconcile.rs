//! One plan per cycle: every action the cycle planned for a bug (command
//! replies, the weekly summary, rule actions) is checked against the bug as
//! read this cycle and against the actions planned before it, before any
//! write is made.
//!
//! Why here, and why it cannot be bypassed: the planner ([`crate::decide::Decider`])
//! hands the executor exactly what [`reconcile`] returns, and the executor is
//! the only code that writes to Bugzilla. Rules and commands are planned by
//! separate code that cannot see each other's actions; on a real Bugzilla
//! 5.2 that let a rule undo a lead's `go` answered in the same cycle (a
//! request *by name* on a non-multiplicable flag turns its `+` back into
//! `?`, recordings 112–115) and let one marker be posted twice on one bug
//! (a `signoff` command's reply carries the signoff rule's marker).
//!
//! What it guarantees, per bug, with actions taken in plan order (command
//! replies first, so every command gets its reply):
//!
//! - **No marker twice.** An action whose own marker an earlier action of
//!   the cycle carries is dropped; a carried marker (`Action::also`) that the
//!   bot already posted on the bug, or that an earlier action carries, is
//!   taken off. An action whose own marker is already on the bug is passed
//!   through untouched: the executor finds the marker and records it.
//! - **A person's decision stands** (invariant 9). The bot never requests a
//!   flag that is granted or denied, whether a person set it or a command
//!   answered earlier in this cycle set it; a request already open from the
//!   same person is not made again.
//! - **Requests are answered through the flag's id.** A `+`/`-` by name on
//!   a flag the bug already has becomes a change of that flag's `id`
//!   (recordings 112, 116), so it never adds a second flag.
//!   Snooze markers are state, not events: one may be carried again in a
//!   later cycle (the latest says whether the bug is snoozed).
//! - An action left with nothing to write is dropped.
//!
//! [`apply`] is the same bookkeeping as a projection: the bug as it will be
//! once an action is written. The planner uses it to let the rules see
//! what this cycle's command replies do before they decide.
//!
//! Pure: no I/O, no clock.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::{markers_in, Action, ActionKey, Marker};
use crate::bugzilla::{
    Bug, BugId, Comment, CommentId, Flag, FlagChange, FlagChangeStatus, FlagStatus,
};

/// One bug as read this cycle: what reconciliation checks actions against.
#[derive(Debug, Clone, Copy)]
pub struct BugState<'a> {
    pub bug: &'a Bug,
    pub comments: &'a [Comment],
}

/// An action (or part of one) that reconciliation took out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub key: ActionKey,
    pub reason: String,
}

/// The plan after reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// What the executor gets, in plan order.
    pub actions: Vec<Action>,
    /// What was taken out (whole actions, carried markers, flag changes).
    pub dropped: Vec<Dropped>,
}

/// What the bot knows of one bug while walking the plan.
struct Projection {
    flags: Vec<Flag>,
    /// Markers already posted by the bot on the bug.
    posted: BTreeSet<Marker>,
    /// Markers carried by actions kept so far in this cycle.
    planned: BTreeSet<Marker>,
}

impl Projection {
    fn of(state: Option<&BugState<'_>>, bot_login: &str) -> Projection {
        let mut posted = BTreeSet::new();
        let mut flags = Vec::new();
        if let Some(state) = state {
            flags = state.bug.flags.clone();
            for comment in state.comments {
                if comment.creator.eq_ignore_ascii_case(bot_login) {
                    posted.extend(markers_in(&comment.text));
                }
            }
        }
        Projection {
            flags,
            posted,
            planned: BTreeSet::new(),
        }
    }
}

/// Reconciles the cycle's plan (see the module doc). `bugs` holds the bugs
/// as read this cycle; an action on a bug not in it (the tracking bug of
/// the summary, say) is checked against the other actions only.
pub fn reconcile(
    actions: Vec<Action>,
    bugs: &BTreeMap<BugId, BugState<'_>>,
    bot_login: &str,
) -> Reconciled {
    let mut out = Reconciled::default();
    let mut projections: BTreeMap<BugId, Projection> = BTreeMap::new();
    for mut action in actions {
        let bug = action.key.bug;
        let view = projections
            .entry(bug)
            .or_insert_with(|| Projection::of(bugs.get(&bug), bot_login));
        let own = action.key.mark.clone();
        if view.planned.contains(&own) {
            out.dropped.push(Dropped {
                key: action.key.clone(),
                reason: "an earlier action of this cycle already carries its marker".to_string(),
            });
            continue;
        }
        if view.posted.contains(&own) {
            // Done before: the executor finds the marker and records it.
            view.planned.insert(own);
            out.actions.push(action);
            continue;
        }
        let mut carried = Vec::new();
        for key in std::mem::take(&mut action.also) {
            let marker = &key.mark;
            // A snooze marker is state, not an event: `[pushbot snooze off]`
            // may be said again after a later snooze (the latest wins).
            let once = !matches!(marker, Marker::Snooze(_));
            if *marker == own
                || view.planned.contains(marker)
                || (once && view.posted.contains(marker))
            {
                out.dropped.push(Dropped {
                    key,
                    reason: format!(
                        "carried by {}, but already posted or planned on the bug",
                        action.key.marker()
                    ),
                });
            } else {
                carried.push(key);
            }
        }
        action.also = carried;
        let mut flags = Vec::new();
        for change in std::mem::take(&mut action.update.flags) {
            match check_flag(&view.flags, change) {
                Ok(change) => flags.push(change),
                Err(reason) => out.dropped.push(Dropped {
                    key: action.key.clone(),
                    reason,
                }),
            }
        }
        action.update.flags = flags;
        if action.comment.is_none() && action.update.is_empty() {
            out.dropped.push(Dropped {
                key: action.key.clone(),
                reason: "nothing left to write".to_string(),
            });
            continue;
        }
        for key in action.keys() {
            view.planned.insert(key.mark.clone());
        }
        for change in &action.update.flags {
            apply_flag(&mut view.flags, change, bot_login);
        }
        out.actions.push(action);
    }
    out
}

/// The flag changes of `flags` that may still be made on `bug` as it is
/// now, and why the others may not. The executor runs this on the bug it
/// reads just before writing, so a flag a person set after the cycle's
/// search still stands.
pub fn allowed_flags(bug: &Bug, flags: &[FlagChange]) -> (Vec<FlagChange>, Vec<String>) {
    let mut kept = Vec::new();
    let mut refused = Vec::new();
    for change in flags {
        match check_flag(&bug.flags, change.clone()) {
            Ok(change) => kept.push(change),
            Err(reason) => refused.push(reason),
        }
    }
    (kept, refused)
}

/// The flag `change` targets among `flags`: by id, else the flag of that
/// name (on a non-multiplicable type, Bugzilla changes that one).
fn target<'f>(flags: &'f [Flag], change: &FlagChange) -> Option<&'f Flag> {
    match (change.id, &change.name) {
        (Some(id), _) => flags.iter().find(|f| f.id == id),
        (None, Some(name)) => flags.iter().find(|f| &f.name == name),
        (None, None) => None,
    }
}

/// A flag change as it may be sent, or why it may not.
fn check_flag(flags: &[Flag], mut change: FlagChange) -> Result<FlagChange, String> {
    if change.new {
        // A new flag (a needinfo): it changes nobody's flag; only the same
        // open request to the same person would be a repeat.
        let name = change.name.as_deref().unwrap_or("");
        let same = flags.iter().any(|f| {
            f.name == name
                && f.status == FlagStatus::Requested
                && f.requestee.as_deref().map(str::trim).map(str::to_lowercase)
                    == change
                        .requestee
                        .as_deref()
                        .map(str::trim)
                        .map(str::to_lowercase)
        });
        return if same {
            Err(format!(
                "not requesting {name} from {} again: already requested",
                change.requestee.as_deref().unwrap_or("anyone")
            ))
        } else {
            Ok(change)
        };
    }
    let Some(current) = target(flags, &change) else {
        return Ok(change);
    };
    let label = change.name.clone().unwrap_or_else(|| current.name.clone());
    match (change.status, current.status) {
        (FlagChangeStatus::Requested, FlagStatus::Granted | FlagStatus::Denied) => {
            let sign = if current.status == FlagStatus::Granted {
                '+'
            } else {
                '-'
            };
            let by = current.setter.as_deref().unwrap_or("someone");
            Err(format!(
                "not requesting {label}: it is {sign} (set by {by}), and a decision stands"
            ))
        }
        (FlagChangeStatus::Requested, FlagStatus::Requested) => {
            // Already asked: by the bot, or by a person who chose whom to
            // ask (a request by name would only move it to someone else).
            let from = current.requestee.as_deref().unwrap_or("anyone");
            Err(format!(
                "not requesting {label} again: already requested from {from}"
            ))
        }
        _ => {
            // Answer an existing flag through its id (recordings 112, 116).
            if change.id.is_none() && current.id != 0 {
                change.id = Some(current.id);
                change.name = None;
            }
            Ok(change)
        }
    }
}

/// `change` made to `flags` the way Bugzilla 5.2 makes it: by id, or on
/// the flag of that name if there is one, else a new flag.
fn apply_flag(flags: &mut Vec<Flag>, change: &FlagChange, setter: &str) {
    let index = match (change.id, &change.name) {
        (Some(id), _) => flags.iter().position(|f| f.id == id),
        (None, Some(_)) if change.new => None,
        (None, Some(name)) => flags.iter().position(|f| &f.name == name),
        (None, None) => return,
    };
    let Some(status) = change.status.target() else {
        // `X`: the flag is cleared.
        if let Some(i) = index {
            flags.remove(i);
        }
        return;
    };
    let requestee = (status == FlagStatus::Requested)
        .then(|| change.requestee.clone())
        .flatten();
    match index {
        Some(i) => {
            flags[i].status = status;
            flags[i].requestee = requestee;
            flags[i].setter = Some(setter.to_string());
        }
        None => flags.push(Flag {
            id: 0,
            name: change.name.clone().unwrap_or_default(),
            type_id: None,
            status,
            setter: Some(setter.to_string()),
            requestee,
            creation_date: None,
            modification_date: None,
        }),
    }
}

/// The bug and its comments as they will be once `action` is written by
/// the bot at `now`: flags and assignee changed, the marked comment added
/// (so the push model reads its markers as said).
pub fn apply(
    bug: &mut Bug,
    comments: &mut Vec<Comment>,
    action: &Action,
    bot_login: &str,
    now: DateTime<Utc>,
) {
    for change in &action.update.flags {
        apply_flag(&mut bug.flags, change, bot_login);
    }
    if let Some(assignee) = &action.update.assigned_to {
        bug.assigned_to = assignee.clone();
        bug.assigned_to_detail = None;
    }
    if let Some(whiteboard) = &action.update.whiteboard {
        bug.whiteboard = whiteboard.clone();
    }
    if let Some(text) = action.comment_text() {
        let count = comments.iter().map(|c| c.count + 1).max().unwrap_or(0);
        // Not a real id: the projection lives for one planning only.
        let id = comments.iter().map(|c| c.id.0 + 1).max().unwrap_or(1);
        comments.push(Comment {
            id: CommentId(id),
            bug_id: Some(bug.id),
            count,
            text,
            creator: bot_login.to_string(),
            creation_time: now,
            is_private: action.private,
            tags: Vec::new(),
            attachment_id: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bugzilla::BugUpdate;

    const BOT: &str = "pushbot@example.test";

    fn flag(id: u64, name: &str, status: FlagStatus, setter: &str) -> Flag {
        Flag {
            id,
            name: name.to_string(),
            type_id: None,
            status,
            setter: Some(setter.to_string()),
            requestee: None,
            creation_date: None,
            modification_date: None,
        }
    }

    fn by_name(name: &str, status: &str, requestee: Option<&str>) -> FlagChange {
        FlagChange {
            id: None,
            name: Some(name.to_string()),
            status: FlagChangeStatus::from_wire(status).unwrap(),
            requestee: requestee.map(str::to_string),
            new: false,
        }
    }

    fn key(rule: &str, disc: &str) -> ActionKey {
        ActionKey::new(BugId(1), rule, disc)
    }

    fn with_flags(mut action: Action, flags: Vec<FlagChange>) -> Action {
        action.update = BugUpdate {
            flags,
            ..BugUpdate::default()
        };
        action
    }

    fn comment(id: u64, who: &str, text: &str) -> Comment {
        Comment {
            id: CommentId(id),
            bug_id: Some(BugId(1)),
            count: u32::try_from(id).unwrap(),
            text: text.to_string(),
            creator: who.to_string(),
            creation_time: DateTime::UNIX_EPOCH,
            is_private: false,
            tags: Vec::new(),
            attachment_id: None,
        }
    }

    fn run(actions: Vec<Action>, bug: &Bug, comments: &[Comment]) -> Reconciled {
        let mut bugs = BTreeMap::new();
        bugs.insert(bug.id, BugState { bug, comments });
        reconcile(actions, &bugs, BOT)
    }

    fn bug() -> Bug {
        Bug {
            id: BugId(1),
            ..Bug::default()
        }
    }

    #[test]
    fn a_go_answered_this_cycle_is_not_requested_again() {
        let go = with_flags(
            Action::comment(key("command", "c5"), "Recorded: go"),
            vec![by_name("webdev-signoff", "+", None)],
        );
        let request = with_flags(
            Action::comment(key("signoff", "request-2026-12-02"), "Please sign off"),
            vec![
                by_name("webdev-signoff", "?", Some("lead@example.test")),
                by_name("qa-signoff", "?", Some("qa@example.test")),
            ],
        );
        let out = run(vec![go.clone(), request], &bug(), &[]);
        assert_eq!(out.actions.len(), 2);
        assert_eq!(out.actions[0], go);
        assert_eq!(
            out.actions[1].update.flags,
            vec![by_name("qa-signoff", "?", Some("qa@example.test"))]
        );
        assert!(out.dropped[0].reason.contains("webdev-signoff"), "{out:?}");
    }

    #[test]
    fn a_persons_flag_stands_and_answers_go_through_the_flag_id() {
        let mut b = bug();
        b.flags
            .push(flag(7, "qa-signoff", FlagStatus::Denied, "qa@example.test"));
        b.flags.push(flag(
            8,
            "webdev-signoff",
            FlagStatus::Requested,
            "pushbot@example.test",
        ));
        let request = with_flags(
            Action::comment(key("signoff", "request-2026-12-02"), "Please sign off"),
            vec![by_name("qa-signoff", "?", Some("qa@example.test"))],
        );
        let go = with_flags(
            Action::comment(key("command", "c9"), "Recorded: go"),
            vec![by_name("webdev-signoff", "+", None)],
        );
        let out = run(vec![go, request], &b, &[]);
        assert_eq!(
            out.actions[0].update.flags,
            vec![FlagChange {
                id: Some(8),
                name: None,
                status: FlagChangeStatus::Granted,
                requestee: None,
                new: false,
            }]
        );
        assert!(out.actions[1].update.flags.is_empty());
        assert!(out.actions[1].comment.is_some());
    }

    #[test]
    fn a_marker_is_never_planned_twice_and_every_command_keeps_its_reply() {
        let mut reply = Action::comment(key("command", "c5"), "Sign-off requested");
        reply.also.push(key("signoff", "request-2026-12-02"));
        let rule = Action::comment(key("signoff", "request-2026-12-02"), "Please sign off");
        let out = run(vec![reply.clone(), rule], &bug(), &[]);
        assert_eq!(out.actions, vec![reply]);
        assert_eq!(out.dropped.len(), 1);
    }

    #[test]
    fn a_carried_marker_already_posted_is_taken_off_the_reply() {
        let posted = comment(3, BOT, "asked\n\n[pushbot signoff request-2026-12-02]");
        let mut reply = Action::comment(key("command", "c5"), "Sign-off requested");
        reply.also.push(key("signoff", "request-2026-12-02"));
        let out = run(vec![reply], &bug(), &[posted]);
        assert!(out.actions[0].also.is_empty());
        assert_eq!(
            out.actions[0].comment_text().unwrap(),
            "Sign-off requested\n\n[pushbot command c5]"
        );
    }

    #[test]
    fn a_snooze_marker_may_be_said_again_in_a_later_cycle() {
        let posted = comment(
            3,
            BOT,
            "Unsnoozed.\n\n[pushbot snooze off]\n\n[pushbot command c2]",
        );
        let mut reply = Action::comment(key("command", "c5"), "Unsnoozed.");
        reply.also.push(key("snooze", "off"));
        let out = run(vec![reply.clone()], &bug(), &[posted]);
        assert_eq!(out.actions, vec![reply]);
    }

    #[test]
    fn a_marker_quoted_by_a_person_is_not_the_bots() {
        let quoted = comment(
            3,
            "dev@example.test",
            "[pushbot signoff request-2026-12-02]",
        );
        let mut reply = Action::comment(key("command", "c5"), "Sign-off requested");
        reply.also.push(key("signoff", "request-2026-12-02"));
        let out = run(vec![reply.clone()], &bug(), &[quoted]);
        assert_eq!(out.actions, vec![reply]);
    }

    #[test]
    fn a_needinfo_is_a_new_flag_beside_someone_elses() {
        let mut b = bug();
        let mut theirs = flag(5, "needinfo", FlagStatus::Requested, "dev@example.test");
        theirs.requestee = Some("triage@example.test".to_string());
        b.flags.push(theirs);
        let ask = |who: &str| FlagChange {
            id: None,
            name: Some("needinfo".to_string()),
            status: FlagChangeStatus::Requested,
            requestee: Some(who.to_string()),
            new: true,
        };
        let escalate = with_flags(
            Action::comment(key("no-owner", "escalate"), "Escalating"),
            vec![ask("lead@example.test"), ask("Triage@example.test")],
        );
        let out = run(vec![escalate], &b, &[]);
        assert_eq!(out.actions[0].update.flags, vec![ask("lead@example.test")]);
        let mut projected = b.clone();
        let mut comments = Vec::new();
        apply(
            &mut projected,
            &mut comments,
            &out.actions[0],
            BOT,
            DateTime::UNIX_EPOCH,
        );
        assert_eq!(projected.flags.len(), 2, "added, not moved");
        assert_eq!(
            projected.flags[0].requestee.as_deref(),
            Some("triage@example.test")
        );
    }

    #[test]
    fn an_update_only_action_left_empty_is_dropped() {
        let mut b = bug();
        b.flags.push(flag(
            4,
            "webdev-signoff",
            FlagStatus::Granted,
            "lead@example.test",
        ));
        let mut action = with_flags(
            Action::comment(key("signoff", "x"), ""),
            vec![by_name("webdev-signoff", "?", Some("lead@example.test"))],
        );
        action.comment = None;
        let out = run(vec![action], &b, &[]);
        assert!(out.actions.is_empty());
        assert_eq!(out.dropped.len(), 2);
    }

    #[test]
    fn an_action_already_on_the_bug_passes_to_the_executor() {
        let posted = comment(3, BOT, "nag\n\n[pushbot no-owner nag-1]");
        let nag = Action::comment(key("no-owner", "nag-1"), "Who owns this?");
        let out = run(vec![nag.clone(), nag.clone()], &bug(), &[posted]);
        assert_eq!(out.actions, vec![nag]);
    }

    #[test]
    fn apply_projects_flags_assignee_and_the_marked_comment() {
        let mut b = bug();
        b.flags.push(flag(
            8,
            "webdev-signoff",
            FlagStatus::Requested,
            "pushbot@example.test",
        ));
        let mut comments = vec![comment(1, "dev@example.test", "@pushbot go")];
        let mut reply = with_flags(
            Action::comment(key("command", "c1"), "Recorded: go"),
            vec![FlagChange {
                id: Some(8),
                name: None,
                status: FlagChangeStatus::Granted,
                requestee: None,
                new: false,
            }],
        );
        reply.update.assigned_to = Some("dev@example.test".to_string());
        reply.also.push(key("snooze", "off"));
        apply(&mut b, &mut comments, &reply, BOT, DateTime::UNIX_EPOCH);
        assert_eq!(b.flags[0].status, FlagStatus::Granted);
        assert_eq!(b.assigned_to, "dev@example.test");
        let last = comments.last().unwrap();
        assert_eq!(last.creator, BOT);
        assert_eq!(
            markers_in(&last.text),
            vec![key("snooze", "off").mark, key("command", "c1").mark]
        );
    }
}
