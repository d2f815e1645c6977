//! The command handlers: from a comment holding commands (and what the
//! caller found out: memberships, the pushes, the rules' verdicts) to the
//! one [`Action`] that answers it.
//!
//! - Which comments need an answer ([`unanswered`]): written by a person
//!   (never the bot's own account, invariant 4), at most
//!   `commands.max_age_hours` old (a first start must not answer last
//!   year's commands), holding at least one command line, and without the
//!   bot's reply marker `[pushbot command c<id>]` on the bug.
//! - Which group memberships the caller must look up first ([`lookups`]).
//! - The answer ([`answer`]): every command line of the comment in order,
//!   each authorised ([`super::auth::authorize`]) or refused, under one
//!   reply keyed by [`super::reply_key`] (exactly once, invariant 2); the
//!   flag and field changes go in the same action, so the executor makes
//!   them before posting the marked reply. A reply to a private comment is
//!   private.
//! - A membership Bugzilla could not confirm (lookup failed) makes the
//!   whole comment wait for a later cycle, up to
//!   `commands.membership_wait_minutes` after the comment; then the
//!   command is refused with the transient reason ("please try again
//!   later"). Waiting keeps a short Bugzilla hiccup from costing a command;
//!   the limit keeps a bot that may not ask about a group (400/804) from
//!   staying silent.
//! - Snoozes live in Bugzilla: the answer to `snooze`/`unsnooze` carries a
//!   second marker line (`[pushbot snooze until-…]` / `[pushbot snooze
//!   off]`) that [`crate::push::PushBug::snoozed_until`] reads back, so a
//!   lost state file loses no snooze. The answer to `signoff` carries the
//!   signoff rule's own marker, so the rule does not ask again.
//!
//! Pure: no I/O, no clock (`now` is an argument). Must not look up
//! memberships itself or write to Bugzilla.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::auth::{authorize, groups_to_ask, Decision, Membership};
use super::parse::parse;
use super::{messages, reply_key, Command, CommandSettings, OwnerArg};
use crate::bugzilla::{Bug, BugUpdate, Comment, CommentId, FlagChange, FlagChangeStatus};
use crate::plan::marker::Snooze;
use crate::plan::{Action, ActionKey, Marker};
use crate::push::{PushBug, PushSettings};
use crate::rules::{self, RuleSet, Verdict};

/// One question the caller must ask Bugzilla before [`answer`]. Logins
/// are kept trimmed and in lower case (Bugzilla compares them so), which
/// makes a lookup usable as a map key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lookup {
    /// Is `login` in `group`? (`Client::is_member`)
    Member { login: String, group: String },
    /// Does the account `login` exist? (`Client::user_exists`, for
    /// `owner EMAIL`: Bugzilla refuses the whole update otherwise.)
    Account { login: String },
}

impl Lookup {
    pub fn member(login: &str, group: &str) -> Lookup {
        Lookup::Member {
            login: login.trim().to_ascii_lowercase(),
            group: group.to_string(),
        }
    }

    pub fn account(login: &str) -> Lookup {
        Lookup::Account {
            login: login.trim().to_ascii_lowercase(),
        }
    }
}

/// The answers of this cycle's lookups. For [`Lookup::Account`],
/// `Member` means the account exists and `NotMember` that Bugzilla has no
/// such account; `Unknown` (or missing) is always "not known yet".
pub type Memberships = BTreeMap<Lookup, Membership>;

/// The comments of one bug whose commands still need an answer (see the
/// module doc), oldest first.
pub fn unanswered<'c>(
    comments: &'c [Comment],
    bot_login: &str,
    settings: &CommandSettings,
    now: DateTime<Utc>,
) -> Vec<&'c Comment> {
    let oldest = now - TimeDelta::hours(i64::from(settings.max_age_hours));
    let by_bot = |c: &Comment| c.creator.trim().eq_ignore_ascii_case(bot_login.trim());
    // Every reply marker the bot left, read once (a flood of comments must
    // not cost comments × comments).
    let replied: BTreeSet<CommentId> = comments
        .iter()
        .filter(|c| by_bot(c))
        .flat_map(|c| crate::plan::markers_in(&c.text))
        .filter_map(|m| match m {
            Marker::Reply(id) => Some(id),
            _ => None,
        })
        .collect();
    comments
        .iter()
        .filter(|c| !by_bot(c) && c.creation_time >= oldest)
        .filter(|c| !replied.contains(&c.id))
        .filter(|c| !parse(&c.text, settings).is_empty())
        .collect()
}

/// What the unanswered commands of this bug need looked up (group
/// memberships of their authors, accounts named by `owner EMAIL`), for the
/// caller to ask before calling [`answer`].
pub fn lookups(
    comments: &[Comment],
    bot_login: &str,
    settings: &CommandSettings,
    now: DateTime<Utc>,
) -> Vec<Lookup> {
    let mut out = Vec::new();
    for comment in unanswered(comments, bot_login, settings, now) {
        for line in parse(&comment.text, settings) {
            let Ok(command) = line.result else { continue };
            let mut wanted: Vec<Lookup> = groups_to_ask(&command, settings)
                .iter()
                .map(|group| Lookup::member(&comment.creator, group))
                .collect();
            if let Command::Owner(OwnerArg::Email(email)) = &command {
                wanted.push(Lookup::account(email));
            }
            for lookup in wanted {
                if !out.contains(&lookup) {
                    out.push(lookup);
                }
            }
        }
    }
    out
}

/// The week summary a `summary` command answers with, for the push's
/// week or the week after (`next`); it names its week. Supplied by the
/// caller (the report module's week report as Markdown).
pub type SummaryFn<'a> = &'a dyn Fn(&PushBug, bool) -> String;

/// Everything [`answer`] may look at besides the comment.
pub struct Env<'a> {
    pub settings: &'a CommandSettings,
    pub rules: &'a RuleSet,
    pub push_settings: &'a PushSettings,
    pub tz: Tz,
    /// Every tracked push (for `summary` and the signoff rule).
    pub pushes: &'a [PushBug],
    /// The rules' verdicts at `now`, for every push (for `check`).
    pub verdicts: &'a [Verdict],
    pub memberships: &'a Memberships,
    pub summary: SummaryFn<'a>,
    pub now: DateTime<Utc>,
}

/// The reply to one command comment on `bug`, with the changes its
/// commands make; `None` when it must wait for a later cycle (a membership
/// could not be confirmed yet) or holds no command.
pub fn answer(env: &Env<'_>, bug: &Bug, comment: &Comment) -> Option<Action> {
    let settings = env.settings;
    let push = env.pushes.iter().find(|p| p.id == bug.id)?;
    let lines = parse(&comment.text, settings);
    if lines.is_empty() {
        return None;
    }
    let commenter = comment.creator.trim();
    let memberships: BTreeMap<String, Membership> = env
        .memberships
        .iter()
        .filter_map(|(lookup, m)| match lookup {
            Lookup::Member { login, group } if login.eq_ignore_ascii_case(commenter) => {
                Some((group.clone(), *m))
            }
            _ => None,
        })
        .collect();
    let decide =
        |command: &Command| authorize(command, commenter, &memberships, &push.leads, settings);
    let waited = env.now - comment.creation_time;
    let may_wait = waited < TimeDelta::minutes(i64::from(settings.membership_wait_minutes));
    let must_wait = lines.iter().any(|line| match &line.result {
        Ok(command) => match decide(command) {
            Decision::Refused { reason } => reason.is_transient(),
            Decision::Allowed => {
                matches!(command, Command::Owner(OwnerArg::Email(email)) if account(env, email) == Membership::Unknown)
            }
        },
        Err(_) => false,
    });
    if must_wait && may_wait {
        return None;
    }

    let mut run = Run {
        env,
        bug,
        push,
        commenter,
        answers: Vec::new(),
        update: BugUpdate::default(),
        markers: Vec::new(),
        snooze: None,
    };
    for line in &lines {
        match &line.result {
            Err(error) => run.answers.push(messages::parse_error(error, settings)),
            Ok(command) => match decide(command) {
                Decision::Refused { reason } => {
                    run.answers.push(messages::refusal(&reason, settings));
                }
                Decision::Allowed => run.command(command),
            },
        }
    }
    if let Some(until) = run.snooze {
        run.markers
            .push(ActionKey::of(bug.id, Marker::Snooze(Snooze::of(until))));
    }
    Some(Action {
        key: reply_key(bug.id, comment.id),
        comment: Some(messages::reply(comment.count, &run.answers)),
        also: run.markers,
        private: comment.is_private,
        update: run.update,
        restricted: !bug.groups.is_empty(),
    })
}

/// What this cycle found out about the account `login`.
fn account(env: &Env<'_>, login: &str) -> Membership {
    env.memberships
        .get(&Lookup::account(login))
        .copied()
        .unwrap_or(Membership::Unknown)
}

/// One comment's commands being carried out, in order.
struct Run<'e, 'a> {
    env: &'e Env<'a>,
    bug: &'e Bug,
    push: &'e PushBug,
    commenter: &'e str,
    answers: Vec<String>,
    update: BugUpdate,
    /// Markers (other than the reply's own) the reply carries.
    markers: Vec<ActionKey>,
    /// The snooze state this comment leaves: `Some(None)` unsnoozed.
    snooze: Option<Option<DateTime<Utc>>>,
}

impl Run<'_, '_> {
    fn command(&mut self, command: &Command) {
        let env = self.env;
        let settings = env.settings;
        let answer = match command {
            Command::Help => {
                let rules: Vec<String> = env
                    .rules
                    .rules
                    .iter()
                    .map(|r| format!("`{}`: {}", r.name, r.description))
                    .collect();
                messages::help(settings, &self.push.leads, &rules)
            }
            Command::Check => {
                let findings: Vec<String> = env
                    .verdicts
                    .iter()
                    .filter(|v| v.bug == self.bug.id)
                    .map(|v| messages::finding(&v.rule, v.fires, &v.reason, settings))
                    .collect();
                messages::checked(&findings)
            }
            Command::Signoff => self.signoff(),
            Command::Summary { next } => (env.summary)(self.push, *next),
            Command::Snooze { duration } => {
                let until = env.now + duration.as_time_delta();
                self.snooze = Some(Some(until));
                messages::snoozed(
                    *duration,
                    &crate::clock::format_local(until, env.tz),
                    settings,
                )
            }
            Command::Unsnooze => {
                let was = match self.snooze {
                    Some(until) => until.is_some(),
                    None => self.push.snoozed_until(env.now).is_some(),
                };
                if was {
                    self.snooze = Some(None);
                }
                messages::unsnoozed(was)
            }
            Command::Go => {
                self.set_webdev_flag(FlagChangeStatus::Granted);
                messages::go_recorded(self.commenter, settings)
            }
            Command::NoGo { reason } => {
                self.set_webdev_flag(FlagChangeStatus::Denied);
                messages::no_go_recorded(self.commenter, reason.as_deref(), settings)
            }
            Command::Owner(arg) => {
                let login = match arg {
                    OwnerArg::Me => self.commenter.to_string(),
                    OwnerArg::Email(email) => match account(env, email) {
                        Membership::Member => email.clone(),
                        Membership::NotMember => {
                            self.answers
                                .push(messages::no_such_account(email, settings));
                            return;
                        }
                        Membership::Unknown => {
                            self.answers
                                .push(messages::account_unknown(email, settings));
                            return;
                        }
                    },
                };
                self.update.assigned_to = Some(login.clone());
                messages::owner_set(&login, settings)
            }
        };
        self.answers.push(answer);
    }

    /// The signoff rule's request, made now: its flags join the update,
    /// its text is the answer and its marker is carried along.
    fn signoff(&mut self) -> String {
        let env = self.env;
        let verdict = rules::signoff_request(
            env.rules,
            env.pushes,
            env.push_settings,
            env.tz,
            env.now,
            self.bug.id,
        );
        let Some(action) = verdict.and_then(|v| v.action) else {
            return messages::signoff_unavailable(env.settings);
        };
        if action.update.flags.is_empty() {
            return messages::signoff_requested(&[], env.settings);
        }
        self.update.flags.extend(action.update.flags);
        self.markers.push(action.key);
        action.comment.unwrap_or_default()
    }

    /// `go`/`no-go`: the webdev sign-off flag, changed in place when the
    /// bug has one (a request from the lead becomes the answer), else set
    /// by name. A later command of the same comment replaces an earlier one.
    fn set_webdev_flag(&mut self, status: FlagChangeStatus) {
        let name = &self.env.push_settings.signoff_flags.webdev;
        // Id 0: a flag this cycle's earlier reply creates (not in Bugzilla
        // yet); set it by name, which changes that one flag.
        let existing = self.bug.flags.iter().find(|f| &f.name == name && f.id != 0);
        let change = FlagChange {
            id: existing.map(|f| f.id),
            name: existing.is_none().then(|| name.clone()),
            status,
            requestee: None,
            new: false,
        };
        self.update
            .flags
            .retain(|f| !(f.id == change.id && f.name == change.name));
        self.update.flags.push(change);
    }
}

#[cfg(test)]
mod tests;
