//! The executor: applies the planned [`Action`]s to Bugzilla through the
//! [`Client`], at most once each, and records every one in the [`Store`].
//!
//! How an action is settled, in order:
//!
//! 1. The store already holds it (a real write or a marker found earlier):
//!    skipped as a duplicate, no request. This also covers the replica lag
//!    of bugzilla.mozilla.org, where a just-posted comment may not be
//!    readable yet.
//! 2. The write cap: when more than `poll.max_writes_per_cycle` actions are
//!    left, none of them is made, an alert is raised and reported (unless
//!    `no_limit`). Counting after step 1 means a planner that re-plans done
//!    work every cycle does not trip the cap.
//! 3. The bug's comments are read again from Bugzilla; a comment **by the
//!    bot's account** carrying the action's marker means it is done
//!    (Bugzilla is the ledger, invariant 1): recorded, skipped. The read is
//!    made once for all pending actions, just before the first write (one
//!    request per batch of bugs, not one per action): the writes of this
//!    call add only markers of other keys, so the batch stays a true
//!    answer for every action in it. A bug the batch did not return is
//!    read on its own.
//! 4. The write. An action with both an update and a comment makes the
//!    update first, then posts the marked comment, so that the marker's
//!    presence proves both happened. Before the update the bug is read and
//!    the update is skipped when it is already in effect (a request flag
//!    set by name would otherwise be added a second time after a crash
//!    between the two writes). That read is batched like the comments, but
//!    serves only the bug's first update: a later action on the same bug
//!    reads it again, since the first may have changed its flags.
//! 5. A write whose outcome is unknown (`BugzillaError::OutcomeUnknown`) is
//!    never retried in the same cycle (invariant 3). A real Bugzilla often
//!    finishes a request the client gave up on, and may do so after any
//!    re-read we make: a second write right after the re-read would then
//!    be a duplicate. So after `settle_delay` the bug is read once (comments
//!    for a comment, flags and fields for an update). Found: recorded as
//!    done. Not found: the action is left *unsettled*: named in
//!    [`ExecutionReport::unsettled`] and in the errors, not recorded in the
//!    store, and nothing more is written for it in this call (an update of
//!    unknown outcome also holds back its comment). The next cycle, one
//!    poll interval (minutes) later, plans it again and its marker check
//!    settles it: a write that landed late is found (the comment's marker,
//!    or the update already in effect) and not repeated; a write that never
//!    landed is made then, so nothing is lost. The only state is Bugzilla
//!    itself, so this also holds across a restart.
//!
//! Dry-run (invariant 8) performs steps 1 to 3 (every read) and renders each
//! write it would make, with the full comment and marker, and makes no
//! POST or PUT.
//!
//! Restricted stays restricted (invariant 10): for an action on a bug in a
//! security group ([`Action::restricted`]), logs at info level and above
//! and the errors of the report (shown on `/healthz`) say "a restricted
//! bug" and give the marker without its key; the id and the details go to
//! the debug log.
//!
//! Must not: decide what to do (the planner does), or write to Bugzilla
//! without the marker check.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::bugzilla::{Bug, BugId, BugUpdate, BugzillaError, Client, Comment, CommentId};
use crate::bugzilla::{FlagStatus, NewComment};
use crate::config::Settings;
use crate::plan::{reconcile, Action, ActionKey};
use crate::store::{ActionRecord, CommandRecord, Outcome, Store};

/// How the executor behaves; [`ExecuteOptions::from_settings`] gives the
/// production values.
#[derive(Debug, Clone)]
pub struct ExecuteOptions {
    /// The bot's login (`bugzilla.bot_login`): only its comments count as
    /// markers, so a person pasting a marker cannot silence the bot.
    pub bot_login: String,
    /// Print and record, never write. Default: `dry_run` setting.
    pub dry_run: bool,
    /// `poll.max_writes_per_cycle`: above this many writes in one call,
    /// make none and raise an alert.
    pub max_writes: usize,
    /// Ignore `max_writes` (an operator's explicit `--no-limit`).
    pub no_limit: bool,
    /// How long to wait before re-reading a bug after a write of unknown
    /// outcome: bugzilla.mozilla.org reads comments from a replica, so an
    /// immediate re-read may miss a comment that was posted. Default: 10 s;
    /// tests use zero.
    pub settle_delay: Duration,
    /// Also print the dry-run text to stdout (the CLI's behaviour); the text
    /// is returned in the report either way. Default: true.
    pub print_dry_run: bool,
}

/// Default for [`ExecuteOptions::settle_delay`].
pub const DEFAULT_SETTLE_DELAY: Duration = Duration::from_secs(10);

impl ExecuteOptions {
    /// The options the settings ask for.
    pub fn from_settings(settings: &Settings) -> ExecuteOptions {
        ExecuteOptions {
            bot_login: settings.bugzilla.bot_login.clone(),
            dry_run: settings.dry_run,
            max_writes: settings.poll.max_writes_per_cycle,
            no_limit: false,
            settle_delay: DEFAULT_SETTLE_DELAY,
            print_dry_run: true,
        }
    }
}

/// One action the executor settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub key: ActionKey,
    pub outcome: Outcome,
    /// The bot's comment carrying the marker, when known.
    pub comment_id: Option<CommentId>,
}

/// What one call to [`Executor::execute`] did.
#[derive(Debug, Clone, Default)]
pub struct ExecutionReport {
    /// Actions handed in.
    pub planned: usize,
    /// Actions written now (or rendered, in dry-run).
    pub taken: Vec<Settled>,
    /// Actions already done: in the store, or marked in Bugzilla.
    pub duplicates: Vec<Settled>,
    /// POST and PUT requests made.
    pub writes: usize,
    /// Problems, each naming the bug; the action is retried next cycle.
    pub errors: Vec<String>,
    /// Actions whose write had an unknown outcome and whose effect the
    /// re-read did not show: not written again now; the next cycle's
    /// marker check settles them (each also has an entry in `errors`).
    pub unsettled: Vec<ActionKey>,
    /// Set when the write cap stopped every write of this call.
    pub alert: Option<String>,
    /// Dry-run: every write that would have been made, readable.
    pub dry_run_text: String,
    /// True when a shutdown request stopped the work between two actions.
    pub interrupted: bool,
}

/// Applies actions. Borrows the client and store; cheap to build per cycle.
pub struct Executor<'a> {
    client: &'a Client,
    store: &'a Store,
    options: ExecuteOptions,
    /// Set by the daemon on shutdown: the action being written is finished,
    /// the rest are left for the next start.
    stop: Arc<AtomicBool>,
}

impl<'a> Executor<'a> {
    pub fn new(client: &'a Client, store: &'a Store, options: ExecuteOptions) -> Executor<'a> {
        Executor {
            client,
            store,
            options,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Uses `stop` as the shutdown signal (checked between actions).
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Executor<'a> {
        self.stop = stop;
        self
    }

    /// Settles every action (see the module doc for the order of checks).
    /// `now` is recorded as the time of each action.
    pub async fn execute(&self, actions: &[Action], now: DateTime<Utc>) -> ExecutionReport {
        let mut report = ExecutionReport {
            planned: actions.len(),
            ..ExecutionReport::default()
        };

        // Step 1: the store. Two identical keys in one plan count once.
        let mut seen = BTreeSet::new();
        let mut pending = Vec::new();
        for action in actions {
            if !seen.insert(action.key.clone()) {
                continue;
            }
            match self.store.is_done(&action.key) {
                Ok(true) => report.duplicates.push(Settled {
                    key: action.key.clone(),
                    outcome: Outcome::FoundMarker,
                    comment_id: None,
                }),
                Ok(false) => pending.push(action),
                // The store is speed, not truth: carry on to the marker check.
                Err(e) => {
                    tracing::warn!(bug = %log_id(action), error = %e, "state file unreadable; checking Bugzilla instead");
                    pending.push(action);
                }
            }
        }

        // Step 2: the cap.
        if pending.len() > self.options.max_writes && !self.options.no_limit {
            let alert = format!(
                "{} writes planned in one cycle, above poll.max_writes_per_cycle = {}: none made. \
                 Check the rules and the bugs they match; raise the limit or run once with --no-limit if this is expected",
                pending.len(),
                self.options.max_writes
            );
            tracing::error!(
                planned = pending.len(),
                cap = self.options.max_writes,
                "{alert}"
            );
            if self.options.dry_run {
                let _ = writeln!(report.dry_run_text, "ALERT: {alert}");
                self.emit(&report.dry_run_text);
            }
            report.alert = Some(alert);
            return report;
        }

        let mut fresh = self.read_pending(&pending).await;
        for action in pending {
            if self.stop.load(Ordering::SeqCst) {
                report.interrupted = true;
                break;
            }
            self.settle(action, now, &mut fresh, &mut report).await;
        }
        if self.options.dry_run && !report.dry_run_text.is_empty() {
            self.emit(&report.dry_run_text);
        }
        report
    }

    fn emit(&self, text: &str) {
        if self.options.print_dry_run {
            print!("{text}");
        }
    }

    /// Steps 3 and 4's reads for every pending action at once: the
    /// comments of the bugs to comment on, the bugs to update. A failed
    /// batch is only logged: each action then reads its bug itself (and
    /// reports that bug's error).
    async fn read_pending(&self, pending: &[&Action]) -> Fresh {
        let mut fresh = Fresh::default();
        let to_comment: Vec<BugId> = pending
            .iter()
            .filter(|a| a.comment.is_some())
            .map(|a| a.key.bug)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !to_comment.is_empty() {
            match self.client.comments(&to_comment, None).await {
                Ok(found) => fresh.comments = found,
                Err(e) => {
                    tracing::warn!(bugs = to_comment.len(), error = %e, "batched marker check failed; checking bug by bug")
                }
            }
        }
        let to_update: Vec<BugId> = pending
            .iter()
            .filter(|a| !a.update.is_empty())
            .map(|a| a.key.bug)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !to_update.is_empty() {
            match self.client.get_bugs(&to_update).await {
                Ok(found) => fresh.bugs = found.bugs.into_iter().map(|b| (b.id, b)).collect(),
                Err(e) => {
                    tracing::warn!(bugs = to_update.len(), error = %e, "batched read before updating failed; reading bug by bug")
                }
            }
        }
        fresh
    }

    async fn settle(
        &self,
        action: &Action,
        now: DateTime<Utc>,
        fresh: &mut Fresh,
        report: &mut ExecutionReport,
    ) {
        let key = &action.key;
        // Read before this action: serves its first check only.
        let known_bug = fresh.bugs.remove(&key.bug);
        // Step 3: the ledger (an update-only action has no marker).
        if action.comment.is_some() {
            let found = match fresh.comments.get(&key.bug) {
                Some(list) => Ok(marked_by(list, key, &self.options.bot_login)),
                None => self.find_marker(key.bug, key).await,
            };
            match found {
                Ok(Some(comment_id)) => {
                    self.record(action, Some(comment_id), now, Outcome::FoundMarker, report);
                    self.record_carried(action, Some(comment_id), now, Outcome::FoundMarker);
                    return;
                }
                Ok(None) => {}
                Err(e) => {
                    report
                        .errors
                        .push(problem(action, "cannot read comments", &e));
                    return;
                }
            }
        }
        if self.options.dry_run {
            // The same read as a real run, so the printout shows only the
            // changes that would really be made.
            let mut shown = action.clone();
            if !action.update.is_empty() {
                let current = match known_bug {
                    Some(bug) => Ok(bug),
                    None => self.read_bug(action).await,
                };
                match current {
                    Ok(bug) => {
                        shown.update = guarded(&bug, &action.update);
                        if update_in_effect(&bug, &shown.update) {
                            shown.update = BugUpdate::default();
                        }
                    }
                    Err(e) => {
                        report.errors.push(e);
                        return;
                    }
                }
            }
            report.dry_run_text.push_str(&render(&shown));
            self.record(action, None, now, Outcome::DryRun, report);
            return;
        }

        // Step 4: update first, then the marked comment.
        let mut wrote = false;
        if !action.update.is_empty() {
            match self.apply_update(action, known_bug.as_ref(), report).await {
                Ok(made) => wrote = made,
                Err(e) => {
                    report.errors.push(e);
                    return;
                }
            }
        }
        let comment_id = match action.comment_text() {
            Some(text) => {
                let comment = NewComment {
                    text,
                    is_private: action.private,
                    is_markdown: false,
                };
                match self.post_comment(action, &comment, report).await {
                    Ok(Posted::New(id) | Posted::Found(id)) => {
                        wrote = true;
                        Some(id)
                    }
                    Err(e) => {
                        report.errors.push(e);
                        return;
                    }
                }
            }
            None => None,
        };
        // An update-only action whose change was already in effect wrote
        // nothing: a duplicate, not a nag.
        let outcome = if wrote {
            Outcome::Posted
        } else {
            Outcome::FoundMarker
        };
        self.record(action, comment_id, now, outcome, report);
        self.record_carried(action, comment_id, now, outcome);
    }

    /// Records the markers the action's comment carried besides its own
    /// (`Action::also`): posting it settled them too. Store only: they are
    /// not actions of their own in the report.
    fn record_carried(
        &self,
        action: &Action,
        comment_id: Option<CommentId>,
        now: DateTime<Utc>,
        outcome: Outcome,
    ) {
        for key in &action.also {
            let record = ActionRecord {
                key: key.clone(),
                comment_id,
                at: now,
                dry_run: false,
                outcome,
            };
            if let Err(e) = self.store.record_action(&record) {
                tracing::error!(bug = %log_id(action), marker = %log_marker(action, key), error = %e, "could not record a carried marker");
            }
        }
    }

    /// Records a settled action in the store and the report. A store failure
    /// is logged, not fatal: Bugzilla holds the marker.
    fn record(
        &self,
        action: &Action,
        comment_id: Option<CommentId>,
        now: DateTime<Utc>,
        outcome: Outcome,
        report: &mut ExecutionReport,
    ) {
        let key = &action.key;
        let (bug, marker) = (log_id(action), log_marker(action, key));
        let dry_run = outcome == Outcome::DryRun;
        let record = ActionRecord {
            key: key.clone(),
            comment_id,
            at: now,
            dry_run,
            outcome,
        };
        if let Err(e) = self.store.record_action(&record) {
            tracing::error!(%bug, %marker, error = %e, "could not record action");
        }
        if !dry_run {
            if let Some(command) = command_comment(key) {
                let answered = CommandRecord {
                    comment_id: command,
                    bug: key.bug,
                    reply_comment_id: comment_id,
                    answered_at: now,
                };
                if let Err(e) = self.store.record_command(&answered) {
                    tracing::error!(%bug, error = %e, "could not record answered command");
                }
            }
            if outcome == Outcome::Posted {
                if let Err(e) = self.store.bump_nag(key.bug, &key.rule, now) {
                    tracing::error!(%bug, error = %e, "could not count nag");
                }
            }
        }
        let settled = Settled {
            key: key.clone(),
            outcome,
            comment_id,
        };
        match outcome {
            Outcome::FoundMarker => report.duplicates.push(settled),
            Outcome::Posted | Outcome::DryRun => {
                if action.restricted {
                    tracing::debug!(bug = %key.bug, marker = %key.marker(), dry_run, "action taken on a restricted bug");
                }
                tracing::info!(%bug, %marker, dry_run, "action taken");
                report.taken.push(settled);
            }
        }
    }

    /// The id of the bot's comment on `bug` carrying `key`'s marker, read
    /// fresh from Bugzilla.
    async fn find_marker(
        &self,
        bug: BugId,
        key: &ActionKey,
    ) -> Result<Option<CommentId>, BugzillaError> {
        let comments = self.client.comments(&[bug], None).await?;
        Ok(comments
            .get(&bug)
            .and_then(|list| marked_by(list, key, &self.options.bot_login)))
    }

    async fn post_comment(
        &self,
        action: &Action,
        comment: &NewComment,
        report: &mut ExecutionReport,
    ) -> Result<Posted, String> {
        let key = &action.key;
        let (who, marker) = (action.log_bug(), log_marker(action, key));
        // One attempt per cycle: a write of unknown outcome may still land
        // after the re-read (module doc, step 5).
        report.writes += 1;
        match self.client.post_comment(key.bug, comment).await {
            Ok(id) => Ok(Posted::New(id)),
            Err(BugzillaError::OutcomeUnknown { reason, .. }) => {
                tracing::warn!(bug = %log_id(action), %marker, reason = %log_detail(action, &reason), "comment outcome unknown; re-reading the bug");
                tokio::time::sleep(self.options.settle_delay).await;
                match self.find_marker(key.bug, key).await {
                    Ok(Some(id)) => Ok(Posted::Found(id)),
                    Ok(None) => {
                        report.unsettled.push(key.clone());
                        Err(format!(
                            "{who}: comment {marker} may or may not be posted (not visible yet); not posting it again now, the next cycle checks its marker first"
                        ))
                    }
                    Err(e) => {
                        report.unsettled.push(key.clone());
                        Err(format!(
                            "{who}: comment {marker} may or may not be posted, and re-reading failed ({}); the next cycle checks its marker first",
                            log_detail(action, &e)
                        ))
                    }
                }
            }
            Err(e) => Err(format!(
                "{who}: posting comment {marker} failed: {}",
                log_detail(action, &e)
            )),
        }
    }

    /// Makes the update unless it is already in effect (then returns
    /// false); settles an unknown outcome by re-reading the bug's flags and
    /// fields once, and never updates twice in one call. `known` is the bug
    /// as read just before, if it was. Flag requests that the bug as read
    /// now would refuse (the flag was granted or denied, or requested, since
    /// the cycle's search: a person's decision stands) are left out.
    async fn apply_update(
        &self,
        action: &Action,
        known: Option<&Bug>,
        report: &mut ExecutionReport,
    ) -> Result<bool, String> {
        let (key, update) = (&action.key, &action.update);
        let bug = key.bug;
        let (who, marker) = (action.log_bug(), log_marker(action, key));
        let read;
        let current = match known {
            Some(current) => current,
            None => {
                read = self.read_bug(action).await?;
                &read
            }
        };
        let update = guarded(current, update);
        if update_in_effect(current, &update) {
            return Ok(false);
        }
        report.writes += 1;
        match self.client.update_bug(bug, &update).await {
            Ok(()) => Ok(true),
            Err(BugzillaError::OutcomeUnknown { reason, .. }) => {
                tracing::warn!(bug = %log_id(action), %marker, reason = %log_detail(action, &reason), "update outcome unknown; re-reading the bug");
                tokio::time::sleep(self.options.settle_delay).await;
                match self.read_applied(action, &update).await {
                    Ok(true) => Ok(true),
                    Ok(false) => {
                        report.unsettled.push(key.clone());
                        Err(format!(
                            "{who}: update for {marker} may or may not be made (not visible yet); not updating again now, the next cycle reads the bug first"
                        ))
                    }
                    Err(e) => {
                        report.unsettled.push(key.clone());
                        Err(format!(
                            "{e} (after an update for {marker} of unknown outcome; the next cycle reads the bug first)"
                        ))
                    }
                }
            }
            Err(e) => Err(format!("{who}: update failed: {}", log_detail(action, &e))),
        }
    }

    /// The action's bug as Bugzilla has it now; errors name it as
    /// [`crate::redact::LogBug`] does.
    async fn read_bug(&self, action: &Action) -> Result<Bug, String> {
        let (bug, who) = (action.key.bug, action.log_bug());
        let found = self.client.get_bugs(&[bug]).await.map_err(|e| {
            format!(
                "{who}: cannot read the bug before updating it: {}",
                log_detail(action, &e)
            )
        })?;
        found.bugs.into_iter().find(|b| b.id == bug).ok_or_else(|| {
            format!(
                "{who}: not visible to the bot account; check its groups and the bot's permissions"
            )
        })
    }

    async fn read_applied(&self, action: &Action, update: &BugUpdate) -> Result<bool, String> {
        let current = self.read_bug(action).await?;
        Ok(update_in_effect(&current, update))
    }
}

enum Posted {
    New(CommentId),
    Found(CommentId),
}

/// The `bug` field of a log line at info level or above: the id, or
/// `restricted`.
fn log_id(action: &Action) -> String {
    if action.restricted {
        "restricted".to_string()
    } else {
        action.key.bug.to_string()
    }
}

/// A marker of `action`'s bug as logs and errors show it: whole, or on a
/// restricted bug without its key (a conflict's key names other bugs).
fn log_marker(action: &Action, key: &ActionKey) -> String {
    if action.restricted {
        format!("[pushbot {} …]", key.rule)
    } else {
        key.marker()
    }
}

/// An error's own words for logs and errors: they may name the bug (an
/// update's error does), so on a restricted bug they go to the debug log.
fn log_detail(action: &Action, detail: &dyn std::fmt::Display) -> String {
    if action.restricted {
        tracing::debug!(bug = %action.key.bug, marker = %action.key.marker(), error = %detail, "error on a restricted bug");
        "details in the debug log".to_string()
    } else {
        detail.to_string()
    }
}

/// One of the report's errors about `action`'s bug: "bug 801: cannot read
/// comments: …", or "a restricted bug: cannot read comments: details in
/// the debug log".
fn problem(action: &Action, what: &str, error: &dyn std::fmt::Display) -> String {
    format!(
        "{}: {what}: {}",
        action.log_bug(),
        log_detail(action, error)
    )
}

/// What [`Executor::read_pending`] read for the pending actions.
#[derive(Default)]
struct Fresh {
    /// Comments by bug; a bug missing here is read on its own.
    comments: BTreeMap<BugId, Vec<Comment>>,
    /// Bugs to update, each taken out by its first action.
    bugs: BTreeMap<BugId, Bug>,
}

/// The bot's comment in `comments` carrying `key`'s marker.
fn marked_by(comments: &[Comment], key: &ActionKey, bot_login: &str) -> Option<CommentId> {
    comments
        .iter()
        .find(|c| c.creator.eq_ignore_ascii_case(bot_login) && key.is_marked_in(&c.text))
        .map(|c| c.id)
}

/// Command replies use the command comment's id as discriminator (`c1234`,
/// see [`ActionKey`]); answering one records the command as answered.
fn command_comment(key: &ActionKey) -> Option<CommentId> {
    let digits = key.discriminator.strip_prefix('c')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(CommentId)
}

/// `update` without the flag changes `bug`, as read now, refuses (see
/// [`reconcile::allowed_flags`]); each refusal is logged (on a restricted
/// bug, at debug level).
fn guarded(bug: &Bug, update: &BugUpdate) -> BugUpdate {
    let (flags, refused) = reconcile::allowed_flags(bug, &update.flags);
    for reason in refused {
        if bug.groups.is_empty() {
            tracing::info!(bug = %bug.id, reason, "flag change left out");
        } else {
            tracing::debug!(bug = %bug.id, reason, "flag change left out on a restricted bug");
        }
    }
    BugUpdate {
        flags,
        ..update.clone()
    }
}

/// Whether `bug` already shows everything `update` asks for.
pub fn update_in_effect(bug: &Bug, update: &BugUpdate) -> bool {
    if let Some(assignee) = &update.assigned_to {
        if !bug.assigned_to.eq_ignore_ascii_case(assignee) {
            return false;
        }
    }
    if let Some(whiteboard) = &update.whiteboard {
        if &bug.whiteboard != whiteboard {
            return false;
        }
    }
    update.flags.iter().all(|change| {
        let status = match change.status.as_str() {
            "?" => Some(FlagStatus::Requested),
            "+" => Some(FlagStatus::Granted),
            "-" => Some(FlagStatus::Denied),
            _ => None, // `X`: clear
        };
        let matches_target = |f: &&crate::bugzilla::Flag| match (change.id, &change.name) {
            // A new flag is in effect when one like it is there: same name,
            // status and requestee (checked below).
            (Some(id), _) => f.id == id,
            (None, Some(name)) => &f.name == name,
            (None, None) => false,
        };
        match status {
            None => !bug.flags.iter().any(|f| matches_target(&f)),
            Some(status) => bug.flags.iter().any(|f| {
                matches_target(&f)
                    && f.status == status
                    && match &change.requestee {
                        Some(who) => f
                            .requestee
                            .as_deref()
                            .is_some_and(|r| r.eq_ignore_ascii_case(who)),
                        None => true,
                    }
            }),
        }
    })
}

/// One planned write in readable form: bug, rule, key, flags and fields,
/// then the full comment (with its marker), each line indented.
pub fn render(action: &Action) -> String {
    let key = &action.key;
    let mut out = format!(
        "DRY RUN: would write to bug {} (rule {}, key {})\n",
        key.bug, key.rule, key.discriminator
    );
    for flag in &action.update.flags {
        let target = match (&flag.name, flag.id) {
            (Some(name), _) => name.clone(),
            (None, Some(id)) => format!("flag #{id}"),
            (None, None) => "flag ?".to_string(),
        };
        let _ = match &flag.requestee {
            Some(who) => writeln!(out, "  flag: {target}{} from {who}", flag.status),
            None => writeln!(out, "  flag: {target}{}", flag.status),
        };
    }
    if let Some(assignee) = &action.update.assigned_to {
        let _ = writeln!(out, "  assigned_to: {assignee}");
    }
    if let Some(whiteboard) = &action.update.whiteboard {
        let _ = writeln!(out, "  whiteboard: {whiteboard}");
    }
    if let Some(text) = action.comment_text() {
        let visibility = if action.private { "private" } else { "public" };
        let _ = writeln!(out, "  comment ({visibility}):");
        for line in text.lines() {
            let _ = writeln!(out, "    | {line}");
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bugzilla::{Flag, FlagChange};

    fn flag(id: u64, name: &str, status: FlagStatus, requestee: Option<&str>) -> Flag {
        Flag {
            id,
            name: name.to_string(),
            type_id: None,
            status,
            setter: None,
            requestee: requestee.map(str::to_string),
            creation_date: None,
            modification_date: None,
        }
    }

    fn request(name: &str, who: &str) -> FlagChange {
        FlagChange {
            id: None,
            name: Some(name.to_string()),
            status: "?".to_string(),
            requestee: Some(who.to_string()),
            new: false,
        }
    }

    #[test]
    fn an_update_is_in_effect_only_when_every_part_is() {
        let mut bug = Bug {
            id: BugId(1),
            assigned_to: "dev@example.org".to_string(),
            ..Bug::default()
        };
        let update = BugUpdate {
            flags: vec![request("webdev-signoff", "lead@example.org")],
            assigned_to: Some("dev@example.org".to_string()),
            whiteboard: None,
        };
        assert!(!update_in_effect(&bug, &update));
        bug.flags.push(flag(
            9,
            "webdev-signoff",
            FlagStatus::Requested,
            Some("other@example.org"),
        ));
        assert!(!update_in_effect(&bug, &update));
        bug.flags.push(flag(
            10,
            "webdev-signoff",
            FlagStatus::Requested,
            Some("Lead@example.org"),
        ));
        assert!(update_in_effect(&bug, &update));
        bug.assigned_to = "nobody@example.org".to_string();
        assert!(!update_in_effect(&bug, &update));

        let clear = BugUpdate {
            flags: vec![FlagChange {
                id: Some(9),
                name: None,
                status: "X".to_string(),
                requestee: None,
                new: false,
            }],
            ..BugUpdate::default()
        };
        assert!(!update_in_effect(&bug, &clear));
        bug.flags.retain(|f| f.id != 9);
        assert!(update_in_effect(&bug, &clear));
    }

    #[test]
    fn command_replies_are_recognised_by_their_discriminator() {
        assert_eq!(
            command_comment(&ActionKey::new(BugId(1), "check", "c1234")),
            Some(CommentId(1234))
        );
        assert_eq!(
            command_comment(&ActionKey::new(BugId(1), "no-owner", "2026-W48")),
            None
        );
        assert_eq!(command_comment(&ActionKey::new(BugId(1), "x", "c")), None);
    }

    #[test]
    fn markers_count_only_from_the_bot() {
        let key = ActionKey::new(BugId(3), "no-owner", "2026-W48");
        let comment = |id: u64, who: &str| Comment {
            id: CommentId(id),
            bug_id: Some(BugId(3)),
            count: 1,
            text: format!("hello\n\n{}", key.marker()),
            creator: who.to_string(),
            creation_time: DateTime::UNIX_EPOCH,
            is_private: false,
            tags: Vec::new(),
            attachment_id: None,
        };
        let list = vec![comment(1, "someone@example.org")];
        assert_eq!(marked_by(&list, &key, "pushbot@example.org"), None);
        let list = vec![
            comment(1, "someone@example.org"),
            comment(2, "PushBot@example.org"),
        ];
        assert_eq!(
            marked_by(&list, &key, "pushbot@example.org"),
            Some(CommentId(2))
        );
    }

    #[test]
    fn rendering_shows_flags_comment_and_marker() {
        let mut action = Action::comment(
            ActionKey::new(BugId(42), "signoff", "2026-W49"),
            "Please sign off.\nChecklist:\n- backup",
        );
        action
            .update
            .flags
            .push(request("qa-signoff", "qa@example.org"));
        let text = render(&action);
        assert!(text.contains("bug 42"), "{text}");
        assert!(
            text.contains("flag: qa-signoff? from qa@example.org"),
            "{text}"
        );
        assert!(text.contains("    | Please sign off."), "{text}");
        assert!(text.contains("    | [pushbot signoff 2026-W49]"), "{text}");
    }
}
