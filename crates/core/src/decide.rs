//! The decision step: what the bot does this cycle, as a pure function of
//! the snapshot ([`crate::snapshot`]) and the time.
//!
//! The [`Decider`] reads every tracked bug as a push ([`crate::push`]),
//! asks the rules ([`crate::rules`]), answers the command comments
//! ([`crate::commands`]), plans the weekly summary
//! ([`crate::report::summary`]) and reconciles it all into one plan
//! ([`crate::plan::reconcile`]). The poller (in the bot's crate) calls it
//! through [`Plan`] every cycle, keeping a [`Memo`] so that a steady cycle
//! costs little; `pushbot explain`, `summary` and the web view call it
//! directly.
//!
//! Must not: read the clock (the time is [`CycleInput::now`]), do I/O or
//! ask Bugzilla anything (what it needs looked up it names in
//! [`CycleOutput::lookups`], and the poller asks). It logs through
//! `tracing` what a reader of the logs must fix (a rule with nothing to
//! post), and what reconciliation dropped.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::bugzilla::{Bug, BugId, Comment};
use crate::commands::handle::{self, Lookup, Memberships};
use crate::commands::CommandSettings;
use crate::plan::reconcile::{self, reconcile, BugState};
use crate::plan::Action;
use crate::push::{self, PushBug, PushSettings};
use crate::redact::Audience;
use crate::report::summary::{self, SummarySettings};
use crate::report::{IsoWeekId, ReportContext, WeekReport};
use crate::rules::{self, RuleSet};
use crate::snapshot::Snapshot;

mod memo;

pub use memo::Memo;

/// What the planner is given each cycle: the snapshot (with the lookups
/// answered so far in [`Snapshot::memberships`]) and the time.
#[derive(Debug, Clone, Copy)]
pub struct CycleInput<'a> {
    pub snapshot: &'a Snapshot,
    pub now: DateTime<Utc>,
}

/// What the planner answers: the cycle's plan, and the lookups it needs
/// that the input did not answer (a command whose author's groups are not
/// known yet waits for them). The poller asks Bugzilla those and plans
/// again, once, in the same cycle.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleOutput {
    pub actions: Vec<Action>,
    pub lookups: Vec<Lookup>,
}

/// The decision step the poller calls each cycle: pure in what it
/// decides (same input, same output); it may keep a memo between calls
/// to decide faster ([`Memo`]).
pub trait Plan: Send {
    fn plan(&mut self, input: CycleInput<'_>) -> CycleOutput;
}

/// A closure from the snapshot and the time to actions is a planner that
/// needs no lookups (tests use such planners).
impl<F> Plan for F
where
    F: FnMut(&Snapshot, DateTime<Utc>) -> Vec<Action> + Send,
{
    fn plan(&mut self, input: CycleInput<'_>) -> CycleOutput {
        CycleOutput {
            actions: self(input.snapshot, input.now),
            lookups: Vec::new(),
        }
    }
}

/// The poller's planner.
pub type Planner = Box<dyn Plan>;

/// What the planner needs besides the snapshot and the time (the bot
/// builds it from the settings: `pushbot::bot::decider`).
#[derive(Debug, Clone)]
pub struct Decider {
    pub rules: RuleSet,
    pub push: PushSettings,
    pub bot_login: String,
    pub tz: Tz,
    /// `[commands]`: how command comments are read and answered.
    pub commands: CommandSettings,
    /// `[summary]`: when and where the weekly summary is posted.
    pub summary: SummarySettings,
    /// `bugzilla.url`, for bug links in reports.
    pub bugzilla_url: String,
    /// Who reads the week view, its `.json`/`.md`, the calendar feed and
    /// `pushbot summary`: the public ([`Audience::public`]) unless
    /// `[web] show_restricted` trusts its readers with everything.
    pub web_audience: Audience,
}

impl Decider {
    /// Who reads comments on `bug`: the members of all its groups (public
    /// when it has none). A bug not in the snapshot (a tracking bug outside
    /// the push query) is taken as public, the strictest.
    pub fn audience_of(&self, snapshot: &Snapshot, bug: BugId) -> Audience {
        match snapshot.bugs.get(&bug) {
            Some(tracked) => Audience::of_bug(&tracked.bug.groups),
            None => Audience::public(),
        }
    }

    /// Every tracked bug read as a push (the summary's tracking bug is
    /// never a push, even when the query matches it).
    pub fn pushes(&self, snapshot: &Snapshot) -> Vec<PushBug> {
        snapshot
            .bugs
            .values()
            .filter(|t| Some(t.bug.id.0) != self.summary.tracking_bug)
            .map(|t| self.push_of(&t.bug, &t.comments, &snapshot.memberships))
            .collect()
    }

    /// One bug read as a push. A sign-off set by a member of `[push]
    /// signoff_groups` counts, as far as this cycle's group lookups
    /// (`memberships`) confirm it.
    fn push_of(&self, bug: &Bug, comments: &[Comment], memberships: &Memberships) -> PushBug {
        let mut push = push::extract(bug, comments, &self.push, &self.bot_login, self.tz);
        if !self.push.signoff_groups.is_empty() {
            let is_member = |login: &str, group: &str| match memberships
                .get(&handle::Lookup::member(login, group))
            {
                Some(crate::commands::Membership::Member) => Some(true),
                Some(crate::commands::Membership::NotMember) => Some(false),
                _ => None,
            };
            push::confirm_by_groups(&mut push, &self.push.signoff_groups, is_member);
        }
        push
    }

    /// The cycle's plan over the whole snapshot (week-wide conflicts need
    /// every push, not only the changed ones), reconciled before any write
    /// ([`crate::plan::reconcile`]).
    ///
    /// Command replies are planned first, against the snapshot as read.
    /// When a reply changes the bug (a `go` grants the sign-off, `signoff`
    /// carries the rule's marker, `snooze` stops the nags), the rules and
    /// the summary then look at the bugs as they will be once the replies
    /// are written, so no rule asks for what a command answered in the same
    /// cycle. Reconciliation then checks every action against the bug and
    /// against the actions before it.
    pub fn decide(&self, snapshot: &Snapshot, now: DateTime<Utc>) -> Vec<Action> {
        self.decide_with(&mut Memo::default(), snapshot, now)
    }

    /// [`Decider::decide`], keeping in `memo` what still holds next cycle
    /// (see [`Memo`]): the same plan, at a fraction of the cost when few
    /// bugs changed. The poller's planner keeps one memo for its life.
    pub fn decide_with(
        &self,
        memo: &mut Memo,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> Vec<Action> {
        self.plan_with(memo, snapshot, now).actions
    }

    /// The poller's call: [`Decider::decide_with`], and the lookups the
    /// plan needs that `snapshot` does not answer (see [`CycleOutput`]).
    pub fn plan_with(
        &self,
        memo: &mut Memo,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> CycleOutput {
        let tracking = self.summary.tracking_bug;
        let no_lookups = Memberships::new();
        memo.refresh(
            &self.rules,
            snapshot
                .bugs
                .values()
                .filter(|t| Some(t.bug.id.0) != tracking),
            // A push reads the lookups only to confirm sign-offs by group.
            if self.push.signoff_groups.is_empty() {
                &no_lookups
            } else {
                &snapshot.memberships
            },
            |t| self.push_of(&t.bug, &t.comments, &snapshot.memberships),
        );
        // A bug with a command waiting is decided in full: a `check`
        // reply lists every rule's verdict on it.
        // The unanswered command comments, by bug, oldest first.
        let mut waiting: BTreeMap<BugId, Vec<&Comment>> = BTreeMap::new();
        for tracked in snapshot.bugs.values() {
            if memo.no_commands(tracked) {
                continue;
            }
            let unanswered =
                handle::unanswered(&tracked.comments, &self.bot_login, &self.commands, now);
            if unanswered.is_empty() {
                memo.set_no_commands(tracked);
            } else {
                waiting.insert(tracked.bug.id, unanswered);
            }
        }
        let decided = {
            let memo = &*memo;
            let pushes = memo.pushes();
            let due = |r: usize, i: usize| {
                memo.due(&self.rules, r, i, now)
                    || pushes.get(i).is_some_and(|p| waiting.contains_key(&p.id))
            };
            rules::evaluate_some(&self.rules, memo.pushes(), &self.push, self.tz, now, &due)
        };
        let verdicts = memo.remember(decided);
        let memo = &mut *memo;
        let (mut actions, projected) =
            self.answer_commands(snapshot, memo.pushes(), &verdicts, now, &waiting);
        let (pushes, verdicts): (Cow<'_, [PushBug]>, _) = match projected {
            Some(pushes) => {
                let verdicts = rules::evaluate(&self.rules, &pushes, &self.push, self.tz, now);
                (Cow::Owned(pushes), verdicts)
            }
            None => (Cow::Borrowed(memo.pushes()), verdicts),
        };

        let due = summary::due(&self.summary, self.tz, now);
        if let Some(tracking) = self.summary.tracking_bug.filter(|_| !due.is_empty()) {
            // Posted on the tracking bug: for its readers.
            let findings = rules::findings(&self.rules, &pushes, &self.push, self.tz);
            let audience = self.audience_of(snapshot, BugId(tracking));
            let ctx = self.report_context(now, audience);
            for d in &due {
                let report = crate::report::week_report(&pushes, &findings, d.week, &ctx);
                actions.extend(summary::action(&self.summary, d, &report));
            }
        }
        for verdict in verdicts {
            match verdict.action {
                Some(action) => actions.push(action),
                None if verdict.fires => {
                    let restricted = pushes
                        .iter()
                        .any(|p| p.id == verdict.bug && !p.groups.is_empty());
                    if restricted {
                        // The reason may name bugs of the same groups.
                        tracing::debug!(bug = %verdict.bug, rule = %verdict.rule, reason = %verdict.reason, "rule fires on a restricted bug but has nothing to post");
                        tracing::warn!(
                            rule = %verdict.rule,
                            "rule fires on a restricted bug but has nothing to post; fix its template (pushbot rules check)"
                        );
                    } else {
                        tracing::warn!(
                            bug = %verdict.bug,
                            rule = %verdict.rule,
                            reason = %verdict.reason,
                            "rule fires but has nothing to post; fix its template (pushbot rules check)"
                        );
                    }
                }
                None => {}
            }
        }

        // The bugs the plan touches, as read.
        let states: BTreeMap<BugId, BugState<'_>> = actions
            .iter()
            .filter_map(|a| snapshot.bugs.get_key_value(&a.key.bug))
            .map(|(id, t)| {
                let state = BugState {
                    bug: &t.bug,
                    comments: &t.comments,
                };
                (*id, state)
            })
            .collect();
        let reconciled = reconcile(actions, &states, &self.bot_login);
        for dropped in &reconciled.dropped {
            tracing::debug!(bug = %dropped.key.bug, marker = %dropped.key.marker(), reason = %dropped.reason, "reconciled out of the plan");
        }
        let mut actions = reconciled.actions;
        for action in &mut actions {
            // Every action, whoever planned it: the executor's logs and
            // errors leave the ids of restricted bugs out.
            action.restricted |= !self.audience_of(snapshot, action.key.bug).is_public();
        }
        CycleOutput {
            actions,
            lookups: self.lookups(snapshot, &waiting, now),
        }
    }

    /// The replies to the command comments still unanswered (see
    /// [`commands::handle`]); comments whose membership lookups failed
    /// wait for a later cycle. With them, when a reply changes its bug,
    /// the pushes as the replies leave them (`reconcile::apply`: the
    /// projection the rules are then evaluated on).
    fn answer_commands(
        &self,
        snapshot: &Snapshot,
        pushes: &[PushBug],
        verdicts: &[rules::Verdict],
        now: DateTime<Utc>,
        waiting: &BTreeMap<BugId, Vec<&Comment>>,
    ) -> (Vec<Action>, Option<Vec<PushBug>>) {
        // `summary`: the week report's Markdown (what the rules find,
        // whether or not already said), of the push's week or the next,
        // for the readers of the bug it answers on.
        // Only a `summary` reply needs them: most cycles answer none.
        let findings = std::cell::OnceCell::new();
        let summary = |push: &PushBug, next: bool| {
            let findings =
                findings.get_or_init(|| rules::findings(&self.rules, pushes, &self.push, self.tz));
            let mut week = IsoWeekId::of_instant(push.at().unwrap_or(now), self.tz);
            if next {
                week = week.next();
            }
            let ctx = self.report_context(now, Audience::of_bug(&push.groups));
            crate::report::markdown::render(&crate::report::week_report(
                pushes, findings, week, &ctx,
            ))
        };
        let mut actions = Vec::new();
        let mut projected: Option<Vec<PushBug>> = None;
        for (&id, waiting) in waiting {
            let Some(tracked) = snapshot.bugs.get(&id) else {
                continue;
            };
            let mut answered = 0;
            // Several command comments on one bug are answered in order,
            // each seeing what the replies before it do (a `go`, then a
            // `signoff`, must not ask for the sign-off just given).
            let mut bug = tracked.bug.clone();
            let mut comments = tracked.comments.clone();
            for comment in waiting {
                // Oldest first; the rest wait for the next cycles.
                if answered == self.commands.max_answers_per_bug {
                    break;
                }
                let env = handle::Env {
                    settings: &self.commands,
                    rules: &self.rules,
                    push_settings: &self.push,
                    tz: self.tz,
                    pushes: projected.as_deref().unwrap_or(pushes),
                    verdicts,
                    memberships: &snapshot.memberships,
                    summary: &summary,
                    now,
                };
                let Some(action) = handle::answer(&env, &bug, comment) else {
                    continue;
                };
                if changes_bug(&action) {
                    reconcile::apply(&mut bug, &mut comments, &action, &self.bot_login, now);
                    let push = self.push_of(&bug, &comments, &snapshot.memberships);
                    let seen = projected.get_or_insert_with(|| pushes.to_vec());
                    if let Some(slot) = seen.iter_mut().find(|p| p.id == id) {
                        *slot = push;
                    }
                }
                actions.push(action);
                answered += 1;
            }
        }
        (actions, projected)
    }

    /// What the plan needs looked up that `snapshot` does not answer:
    /// the groups of whoever set a sign-off flag (`[push]
    /// signoff_groups`; the bot's own flags are proved by its replies
    /// instead), and what the commands waiting on the bugs of `waiting`
    /// need (their authors' groups, accounts named by `owner EMAIL`).
    fn lookups(
        &self,
        snapshot: &Snapshot,
        waiting: &BTreeMap<BugId, Vec<&Comment>>,
        now: DateTime<Utc>,
    ) -> Vec<Lookup> {
        let mut out: Vec<Lookup> = Vec::new();
        let mut add = |lookup: Lookup| {
            if !snapshot.memberships.contains_key(&lookup) && !out.contains(&lookup) {
                out.push(lookup);
            }
        };
        let flags = &self.push.signoff_flags;
        if !self.push.signoff_groups.is_empty() {
            for tracked in snapshot.bugs.values() {
                for flag in &tracked.bug.flags {
                    let signoff = flag.name == flags.webdev || flag.name == flags.qa;
                    let decided = matches!(
                        flag.status,
                        crate::bugzilla::FlagStatus::Granted | crate::bugzilla::FlagStatus::Denied
                    );
                    let Some(setter) = flag.setter.as_deref() else {
                        continue;
                    };
                    if !signoff || !decided || setter.eq_ignore_ascii_case(&self.bot_login) {
                        continue;
                    }
                    for group in &self.push.signoff_groups {
                        add(Lookup::member(setter, group));
                    }
                }
            }
        }
        for id in waiting.keys() {
            let Some(tracked) = snapshot.bugs.get(id) else {
                continue;
            };
            for lookup in handle::lookups(&tracked.comments, &self.bot_login, &self.commands, now) {
                add(lookup);
            }
        }
        out
    }

    /// What every report of this team needs: zone, links, flag names, and
    /// who will read it.
    pub fn report_context(&self, now: DateTime<Utc>, audience: Audience) -> ReportContext {
        ReportContext {
            tz: self.tz,
            now,
            bugzilla_url: self.bugzilla_url.clone(),
            signoff_flags: self.push.signoff_flags.clone(),
            audience,
        }
    }

    /// The report of one week over the snapshot, with the rules' findings,
    /// for the web's audience (`pushbot summary` prints it).
    pub fn week_report(
        &self,
        snapshot: &Snapshot,
        week: IsoWeekId,
        now: DateTime<Utc>,
    ) -> WeekReport {
        let pushes = self.pushes(snapshot);
        let findings = rules::findings(&self.rules, &pushes, &self.push, self.tz);
        let ctx = self.report_context(now, self.web_audience.clone());
        crate::report::week_report(&pushes, &findings, week, &ctx)
    }

    /// A report for every week with pushes (and this week), for the web
    /// view and the calendar: for the web's audience.
    pub fn week_reports(
        &self,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> std::collections::BTreeMap<IsoWeekId, WeekReport> {
        let pushes = self.pushes(snapshot);
        let findings = rules::findings(&self.rules, &pushes, &self.push, self.tz);
        let ctx = self.report_context(now, self.web_audience.clone());
        crate::report::all_week_reports(&pushes, &findings, &ctx)
    }

    /// The planner the poller calls every cycle: this decider and its
    /// memo.
    pub fn into_planner(self) -> Planner {
        Box::new(BotPlanner {
            decider: self,
            memo: Memo::default(),
        })
    }
}

/// The bot's planner: a [`Decider`] and the [`Memo`] it keeps between
/// cycles.
struct BotPlanner {
    decider: Decider,
    memo: Memo,
}

impl Plan for BotPlanner {
    fn plan(&mut self, input: CycleInput<'_>) -> CycleOutput {
        self.decider
            .plan_with(&mut self.memo, input.snapshot, input.now)
    }
}

/// Whether a planned reply changes what the rules read: flags, assignee,
/// or markers it carries for a rule (snooze, signoff).
fn changes_bug(action: &Action) -> bool {
    !action.update.is_empty() || !action.also.is_empty()
}
