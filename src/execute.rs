//! The executor: applies the planned [`Action`]s to Bugzilla through the
//! [`Client`], at most once each and in **at most one write per bug per
//! cycle**, and records every one in the [`Store`].
//!
//! Every change to a bug mails everyone on it, so everything the bot has
//! for a bug in one cycle is one [`Change`] ([`crate::plan::merge`]): one
//! comment with a section per action (each with its own text and marker
//! lines) and the flag and assignee changes of all of them, written in one
//! request. The merge happens here, at the only code that writes, so no
//! caller can write a bug twice in a cycle.
//!
//! How the actions are settled, in order:
//!
//! 1. The store already holds an action (a real write or a marker found
//!    earlier): skipped as a duplicate, no request. This also covers the
//!    replica lag of bugzilla.mozilla.org, where a just-posted comment may
//!    not be readable yet.
//! 2. The write cap: when more than `poll.max_writes_per_cycle` bugs are
//!    left to write to (one write each), none of them is written, an alert
//!    is raised and reported (unless `no_limit`). Counting after step 1
//!    means a planner that re-plans done work every cycle does not trip the
//!    cap.
//! 3. The ledger: the comments of every bug left are read again from
//!    Bugzilla, once, in one batched request (one per batch of bugs; a bug
//!    the batch did not return is read on its own). An action whose marker
//!    is in a comment **by the bot's account** is done (Bugzilla is the
//!    ledger, invariant 1): recorded, and left out of the bug's change. A
//!    comment may carry several markers (one per section); each counts.
//! 4. The merge ([`crate::plan::merge`]): what is left becomes one change
//!    per bug. A section whose privacy differs from the change's, or that
//!    would push the comment over Bugzilla's 65,535 characters, waits for
//!    the next cycle ([`ExecutionReport::waiting`]): not recorded, so it
//!    is planned again then.
//! 5. The write. The bug is read (batched with the others) and the update
//!    is cut to what it allows now ([`reconcile::allowed_flags`]: a flag a
//!    person granted, denied or requested since the cycle's search stands)
//!    and left out when already in effect. Then **one** request: a change
//!    with an update is `PUT /rest/bug/ID` carrying the flags, the assignee
//!    and the comment together (`"comment": {"body": …}`; one change, one
//!    history entry, all or nothing: recordings 130, 147, 149); a change
//!    with only a comment is `POST /rest/bug/ID/comment`, whose answer
//!    gives the new comment's id (a PUT's does not) for the store. Every
//!    key of the change is recorded with the same outcome.
//! 6. A write whose outcome is unknown (`BugzillaError::OutcomeUnknown`) is
//!    never retried in the same cycle (invariant 3). A real Bugzilla often
//!    finishes a request the client gave up on, and may do so after any
//!    re-read we make: a second write right after the re-read would then
//!    be a duplicate. So after `settle_delay` the bug is read once: its
//!    comments for a change with a comment (a bot comment carrying **every**
//!    marker of the change), its flags and fields for an update alone. The
//!    write is one request that Bugzilla makes whole or not at all, so its
//!    markers settle together. Found: every key of the change recorded as
//!    done. Not found: every key left *unsettled*: named in
//!    [`ExecutionReport::unsettled`] and in the errors, not recorded in the
//!    store, and nothing more is written on that bug in this call. The next
//!    cycle, one poll interval (minutes) later, plans them again and its
//!    marker check settles them: a write that landed late is found and not
//!    repeated; a write that never landed is made then, so nothing is lost.
//!    The only state is Bugzilla itself, so this also holds across a
//!    restart.
//!
//! What is recorded stays per key: every action (and every marker its
//! section carried, `Action::also`) has its row in the store's action log;
//! after a `PUT` the comment's id is unknown (`None`).
//! The report lists keys too ([`ExecutionReport::taken`]); its `writes`
//! counts requests, at most one per bug.
//!
//! Dry-run (invariant 8) performs steps 1 to 4 and every read of step 5,
//! and renders each change it would make (one block per bug: its flags,
//! assignee and the whole comment with every marker) into
//! [`ExecutionReport::dry_run_text`], and makes no POST or PUT. It prints
//! nothing: the CLI prints what the executor returns.
//!
//! Restricted stays restricted (invariant 10): for a change on a bug in a
//! security group ([`Action::restricted`]), logs at info level and above
//! and the errors of the report (shown on `/healthz`) say "a restricted
//! bug" and give the markers without their keys; the id and the details go
//! to the debug log.
//!
//! Must not: decide what to do (the planner does), write to Bugzilla
//! without the marker check, or write a bug twice in one call.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::bugzilla::NewComment;
use crate::bugzilla::{Bug, BugId, BugUpdate, BugzillaError, Client, Comment, CommentId};
use crate::config::Settings;
use crate::plan::{merge, reconcile, Action, ActionKey, Change};
use crate::store::{ActionRecord, Outcome, Store};

/// How the executor behaves; [`ExecuteOptions::from_settings`] gives the
/// production values.
#[derive(Debug, Clone)]
pub struct ExecuteOptions {
    /// The bot's login (`bugzilla.bot_login`): only its comments count as
    /// markers, so a person pasting a marker cannot silence the bot.
    pub bot_login: String,
    /// Print and record, never write. Default: `dry_run` setting.
    pub dry_run: bool,
    /// `poll.max_writes_per_cycle`: above this many writes (bugs to write
    /// to) in one call, make none and raise an alert.
    pub max_writes: usize,
    /// Ignore `max_writes` (an operator's explicit `--no-limit`).
    pub no_limit: bool,
    /// How long to wait before re-reading a bug after a write of unknown
    /// outcome: bugzilla.mozilla.org reads comments from a replica, so an
    /// immediate re-read may miss a comment that was posted. Default: 10 s;
    /// tests use zero.
    pub settle_delay: Duration,
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
        }
    }
}

/// One action the executor settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub key: ActionKey,
    pub outcome: Outcome,
    /// The bot's comment carrying the marker, when known (not after a
    /// `PUT`, whose answer does not give it).
    pub comment_id: Option<CommentId>,
}

/// What one call to [`Executor::execute`] did.
#[derive(Debug, Clone, Default)]
pub struct ExecutionReport {
    /// Actions handed in.
    pub planned: usize,
    /// Actions written now (or rendered, in dry-run); several of them may
    /// share one write.
    pub taken: Vec<Settled>,
    /// Actions already done: in the store, or marked in Bugzilla.
    pub duplicates: Vec<Settled>,
    /// POST and PUT requests made: at most one per bug.
    pub writes: usize,
    /// Problems, each naming the bug; the action is retried next cycle.
    pub errors: Vec<String>,
    /// Actions whose write had an unknown outcome and whose effect the
    /// re-read did not show: not written again now; the next cycle's
    /// marker check settles them (each write also has an entry in
    /// `errors`).
    pub unsettled: Vec<ActionKey>,
    /// Actions left for the next cycle by the merge: a private and a
    /// public section cannot share a comment, and a comment stays within
    /// Bugzilla's 65,535 characters ([`crate::plan::merge`]). Not recorded:
    /// planned again next cycle.
    pub waiting: Vec<ActionKey>,
    /// Set when the write cap stopped every write of this call.
    pub alert: Option<String>,
    /// Dry-run: every write that would have been made, readable.
    pub dry_run_text: String,
    /// True when a shutdown request stopped the work between two writes.
    pub interrupted: bool,
    /// Why this call made no (more) writes although it had some: a
    /// standby, or a writer that could not confirm its lease
    /// ([`WriteGate`]). What is left is planned again.
    pub held: Option<String>,
}

/// Who may write to Bugzilla now: the leader lease of replicas sharing a
/// PostgreSQL state (`lease::Lease`). Every write of the process passes
/// through [`Executor`], so the gate there covers every way a write is
/// triggered (cycles, webhooks, commands).
pub trait WriteGate: Send + Sync {
    /// Whether this process may write at all now (no I/O): false on a
    /// standby, whose executor then reads and writes nothing.
    fn may_write(&self) -> bool;
    /// Confirms, just before one write, that this process still holds the
    /// right to make it; `Err` says why not, and no more writes are made
    /// in this call.
    fn confirm(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
    /// True once when this process has just become the writer: the poller
    /// then forgets its memory and polls in full before writing, as after
    /// a restart.
    fn take_fresh_start(&self) -> bool {
        false
    }
    /// Notified when this process becomes the writer (the poller starts a
    /// cycle at once rather than at the end of its interval).
    fn writable(&self) -> Option<Arc<tokio::sync::Notify>> {
        None
    }
}

/// Applies actions. Borrows the client and store; cheap to build per cycle.
pub struct Executor<'a> {
    client: &'a Client,
    store: &'a Store,
    options: ExecuteOptions,
    /// Set by the daemon on shutdown: the write being made is finished,
    /// the rest are left for the next start.
    stop: Arc<AtomicBool>,
    /// Asked before every write when set (replicas); a single process has
    /// none.
    gate: Option<Arc<dyn WriteGate>>,
}

impl<'a> Executor<'a> {
    pub fn new(client: &'a Client, store: &'a Store, options: ExecuteOptions) -> Executor<'a> {
        Executor {
            client,
            store,
            options,
            stop: Arc::new(AtomicBool::new(false)),
            gate: None,
        }
    }

    /// Asks `gate` before every write (see [`WriteGate`]).
    pub fn with_gate(mut self, gate: Option<Arc<dyn WriteGate>>) -> Executor<'a> {
        self.gate = gate;
        self
    }

    /// Uses `stop` as the shutdown signal (checked between writes).
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Executor<'a> {
        self.stop = stop;
        self
    }

    /// Settles every action (see the module doc for the order of checks).
    /// `actions` is the reconciled plan, in plan order; `now` is recorded
    /// as the time of each action.
    pub async fn execute(&self, actions: &[Action], now: DateTime<Utc>) -> ExecutionReport {
        let mut report = ExecutionReport {
            planned: actions.len(),
            ..ExecutionReport::default()
        };
        if let Some(gate) = self.gate.as_ref().filter(|_| !self.options.dry_run) {
            if !gate.may_write() {
                // A standby: the writer does this cycle's work.
                report.held = Some("a standby: another replica holds the lease".to_string());
                return report;
            }
        }

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
                    tracing::warn!(bug = %log_id(action.key.bug, action.restricted), error = %e, "state file unreadable; checking Bugzilla instead");
                    pending.push(action);
                }
            }
        }

        // Step 2: the cap, in writes: one per bug.
        let bugs = pending
            .iter()
            .map(|a| a.key.bug)
            .collect::<BTreeSet<_>>()
            .len();
        if bugs > self.options.max_writes && !self.options.no_limit {
            let alert = format!(
                "{bugs} writes planned in one cycle (one per bug), above poll.max_writes_per_cycle = {}: none made. \
                 Check the rules and the bugs they match; raise the limit or run once with --no-limit if this is expected",
                self.options.max_writes
            );
            tracing::error!(planned = bugs, cap = self.options.max_writes, "{alert}");
            if self.options.dry_run {
                let _ = writeln!(report.dry_run_text, "ALERT: {alert}");
            }
            report.alert = Some(alert);
            return report;
        }

        // Step 3: the ledger, read once for every bug left.
        let mut fresh = self.read_pending(&pending).await;
        let mut unmarked = Vec::new();
        let mut unreadable = BTreeSet::new();
        for action in pending {
            let bug = action.key.bug;
            if unreadable.contains(&bug) {
                continue;
            }
            if action.comment.is_some() {
                // A bug the batch did not return is read on its own, once.
                let list = match fresh.comments.entry(bug) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(slot) => match self.client.comments(&[bug], None).await {
                        Ok(mut found) => slot.insert(found.remove(&bug).unwrap_or_default()),
                        Err(e) => {
                            report.errors.push(problem(
                                action.log_bug(),
                                "cannot read comments",
                                &e,
                            ));
                            unreadable.insert(bug);
                            continue;
                        }
                    },
                };
                if let Some(comment_id) = marked_by(list, &action.key, &self.options.bot_login) {
                    self.record(
                        action,
                        Some(comment_id),
                        now,
                        Outcome::FoundMarker,
                        &mut report,
                    );
                    self.record_carried(action, Some(comment_id), now, Outcome::FoundMarker);
                    continue;
                }
            }
            unmarked.push(action.clone());
        }

        // Step 4: one change per bug; what cannot share it waits.
        let merged = merge(unmarked);
        for waiting in &merged.waiting {
            let action = &waiting.action;
            tracing::info!(
                bug = %log_id(action.key.bug, action.restricted),
                marker = %log_marker(action.restricted, &action.key),
                reason = waiting.reason.describe(),
                "section waits for the next cycle"
            );
            report.waiting.push(action.key.clone());
        }

        // Step 5: one write per change.
        for change in &merged.changes {
            if self.stop.load(Ordering::SeqCst) {
                report.interrupted = true;
                break;
            }
            if report.held.is_some() {
                break;
            }
            self.settle(change, now, &mut fresh, &mut report).await;
        }
        report
    }

    /// Steps 3 and 5's reads for every pending action at once: the
    /// comments of the bugs to comment on, the bugs to update. A failed
    /// batch is only logged: each bug is then read on its own (and reports
    /// its own error).
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

    /// Step 5 and 6 for one bug: its one write, its settling, its records.
    async fn settle(
        &self,
        change: &Change,
        now: DateTime<Utc>,
        fresh: &mut Fresh,
        report: &mut ExecutionReport,
    ) {
        // The update as the bug allows it now; empty when in effect.
        let update = if change.update.is_empty() {
            BugUpdate::default()
        } else {
            let current = match fresh.bugs.remove(&change.bug) {
                Some(bug) => bug,
                None => match self.read_bug(change).await {
                    Ok(bug) => bug,
                    Err(e) => {
                        report.errors.push(e);
                        return;
                    }
                },
            };
            let update = guarded(&current, &change.update);
            if update_in_effect(&current, &update) {
                BugUpdate::default()
            } else {
                update
            }
        };
        let comment = change.comment_text().map(|text| NewComment {
            text,
            is_private: change.private,
            is_markdown: false,
        });

        if self.options.dry_run {
            // The same reads as a real run, so the printout shows only the
            // changes that would really be made.
            report
                .dry_run_text
                .push_str(&render(change, &update, comment.as_ref()));
            self.record_all(change, None, now, Outcome::DryRun, report);
            return;
        }
        if update.is_empty() && comment.is_none() {
            // An update alone, already in effect: nothing to write, a
            // duplicate.
            self.record_all(change, None, now, Outcome::FoundMarker, report);
            return;
        }

        let (who, markers) = (change.log_bug(), log_markers(change));
        if let Some(gate) = &self.gate {
            // Right before the write: a writer unsure of its lease stops.
            if let Err(why) = gate.confirm().await {
                tracing::warn!(bug = %who, reason = %why, "not writing: the lease is not confirmed; the writes left wait for a writer");
                report.held = Some(why);
                return;
            }
            tracing::info!(bug = %who, %markers, "lease confirmed; writing");
        }
        // One attempt per cycle: a write of unknown outcome may still land
        // after the re-read (module doc, step 6).
        report.writes += 1;
        let written = match &comment {
            Some(comment) if update.is_empty() => self
                .client
                .post_comment(change.bug, comment)
                .await
                .map(Some),
            Some(comment) => self
                .client
                .update_bug_with_comment(change.bug, &update, comment)
                .await
                .map(|()| None),
            None => self
                .client
                .update_bug(change.bug, &update)
                .await
                .map(|()| None),
        };
        match written {
            Ok(comment_id) => self.record_all(change, comment_id, now, Outcome::Posted, report),
            Err(BugzillaError::OutcomeUnknown { reason, .. }) => {
                tracing::warn!(bug = %log_id(change.bug, change.restricted), %markers, reason = %log_detail(change, &reason), "write outcome unknown; re-reading the bug");
                tokio::time::sleep(self.options.settle_delay).await;
                match self.landed(change, &update, comment.is_some()).await {
                    Ok(Landed::Yes(comment_id)) => {
                        self.record_all(change, comment_id, now, Outcome::Posted, report)
                    }
                    Ok(Landed::NotYet) => {
                        report.unsettled.extend(change.keys().cloned());
                        report.errors.push(format!(
                            "{who}: the write of {markers} may or may not be made (not visible yet); not writing again now, the next cycle checks its markers first"
                        ));
                    }
                    Err(e) => {
                        report.unsettled.extend(change.keys().cloned());
                        report.errors.push(format!(
                            "{who}: the write of {markers} may or may not be made, and re-reading failed ({e}); the next cycle checks its markers first"
                        ));
                    }
                }
            }
            Err(e) => report.errors.push(format!(
                "{who}: writing {markers} failed: {}",
                log_detail(change, &e)
            )),
        }
    }

    /// Whether a write of unknown outcome landed, read back once: the bot's
    /// comment carrying every marker of the change, or (an update alone)
    /// the update in effect.
    async fn landed(
        &self,
        change: &Change,
        update: &BugUpdate,
        commented: bool,
    ) -> Result<Landed, String> {
        if commented {
            let found = self
                .client
                .comments(&[change.bug], None)
                .await
                .map_err(|e| log_detail(change, &e))?;
            let markers = change.markers();
            let comment = found.get(&change.bug).and_then(|list| {
                list.iter().find(|c| {
                    c.creator.eq_ignore_ascii_case(&self.options.bot_login)
                        && markers.iter().all(|key| key.is_marked_in(&c.text))
                })
            });
            Ok(match comment {
                Some(c) => Landed::Yes(Some(c.id)),
                None => Landed::NotYet,
            })
        } else {
            let current = self.read_bug(change).await?;
            Ok(if update_in_effect(&current, update) {
                Landed::Yes(None)
            } else {
                Landed::NotYet
            })
        }
    }

    /// Records every section of `change` (and the markers each carried)
    /// with one outcome: they were written, or found, together.
    fn record_all(
        &self,
        change: &Change,
        comment_id: Option<CommentId>,
        now: DateTime<Utc>,
        outcome: Outcome,
        report: &mut ExecutionReport,
    ) {
        for section in &change.sections {
            self.record(section, comment_id, now, outcome, report);
            if outcome != Outcome::DryRun {
                self.record_carried(section, comment_id, now, outcome);
            }
        }
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
                tracing::error!(bug = %log_id(key.bug, action.restricted), marker = %log_marker(action.restricted, key), error = %e, "could not record a carried marker");
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
        let (bug, marker) = (
            log_id(key.bug, action.restricted),
            log_marker(action.restricted, key),
        );
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

    /// The change's bug as Bugzilla has it now; errors name it as
    /// [`crate::redact::LogBug`] does.
    async fn read_bug(&self, change: &Change) -> Result<Bug, String> {
        let (bug, who) = (change.bug, change.log_bug());
        let found = self.client.get_bugs(&[bug]).await.map_err(|e| {
            format!(
                "{who}: cannot read the bug before updating it: {}",
                log_detail(change, &e)
            )
        })?;
        found.bugs.into_iter().find(|b| b.id == bug).ok_or_else(|| {
            format!(
                "{who}: not visible to the bot account; check its groups and the bot's permissions"
            )
        })
    }
}

/// What the re-read after a write of unknown outcome showed.
enum Landed {
    /// The write is there (with the comment's id when it had one).
    Yes(Option<CommentId>),
    /// Not visible (yet).
    NotYet,
}

/// The `bug` field of a log line at info level or above: the id, or
/// `restricted`.
fn log_id(bug: BugId, restricted: bool) -> String {
    if restricted {
        "restricted".to_string()
    } else {
        bug.to_string()
    }
}

/// A marker as logs and errors show it: whole, or on a restricted bug
/// without its key (a conflict's key names other bugs).
fn log_marker(restricted: bool, key: &ActionKey) -> String {
    if restricted {
        key.mark.redacted_line()
    } else {
        key.marker()
    }
}

/// Every key of a change as logs and errors show them, space-separated.
fn log_markers(change: &Change) -> String {
    change
        .keys()
        .map(|key| log_marker(change.restricted, key))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An error's own words for logs and errors: they may name the bug (an
/// update's error does), so on a restricted bug they go to the debug log.
fn log_detail(change: &Change, detail: &dyn std::fmt::Display) -> String {
    if change.restricted {
        tracing::debug!(bug = %change.bug, error = %detail, "error on a restricted bug");
        "details in the debug log".to_string()
    } else {
        detail.to_string()
    }
}

/// One of the report's errors about a bug: "bug 801: cannot read
/// comments: …", or "a restricted bug: cannot read comments: details in
/// the debug log".
fn problem(who: crate::redact::LogBug, what: &str, error: &dyn std::fmt::Display) -> String {
    let detail = if who.restricted {
        tracing::debug!(bug = %who.id, error = %error, "error on a restricted bug");
        "details in the debug log".to_string()
    } else {
        error.to_string()
    };
    format!("{who}: {what}: {detail}")
}

/// What [`Executor::read_pending`] read for the pending actions.
#[derive(Default)]
struct Fresh {
    /// Comments by bug; a bug missing here is read on its own.
    comments: BTreeMap<BugId, Vec<Comment>>,
    /// Bugs to update, each taken out by its change.
    bugs: BTreeMap<BugId, Bug>,
}

/// The bot's comment in `comments` carrying `key`'s marker (among any
/// others it carries).
fn marked_by(comments: &[Comment], key: &ActionKey, bot_login: &str) -> Option<CommentId> {
    comments
        .iter()
        .find(|c| c.creator.eq_ignore_ascii_case(bot_login) && key.is_marked_in(&c.text))
        .map(|c| c.id)
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
        // `None`: `X`, clear.
        let status = change.status.target();
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

/// One planned write in readable form: the bug and the keys of its
/// sections, the flags and fields of `update` (the change's update as the
/// bug allows it now), then the whole comment with every marker, each line
/// indented.
pub fn render(change: &Change, update: &BugUpdate, comment: Option<&NewComment>) -> String {
    let keys: Vec<String> = change
        .keys()
        .map(|k| format!("{} {}", k.name(), k.mark.discriminator()))
        .collect();
    let mut out = format!(
        "DRY RUN: would write to bug {} ({})\n",
        change.bug,
        keys.join(", ")
    );
    for flag in &update.flags {
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
    if let Some(assignee) = &update.assigned_to {
        let _ = writeln!(out, "  assigned_to: {assignee}");
    }
    if let Some(whiteboard) = &update.whiteboard {
        let _ = writeln!(out, "  whiteboard: {whiteboard}");
    }
    if let Some(comment) = comment {
        let visibility = if comment.is_private {
            "private"
        } else {
            "public"
        };
        let _ = writeln!(out, "  comment ({visibility}):");
        for line in comment.text.lines() {
            let _ = writeln!(out, "    | {line}");
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bugzilla::{Flag, FlagChange, FlagChangeStatus, FlagStatus};

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
            status: FlagChangeStatus::Requested,
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
                status: FlagChangeStatus::Clear,
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
    fn rendering_shows_one_block_per_change_with_every_marker() {
        let mut action = Action::comment(
            ActionKey::new(BugId(42), "signoff", "2026-W49"),
            "Please sign off.\nChecklist:\n- backup",
        );
        action
            .update
            .flags
            .push(request("qa-signoff", "qa@example.org"));
        action.update.assigned_to = Some("dev@example.org".to_string());
        let other = Action::comment(
            ActionKey::new(BugId(42), "push-window", "2026-W49"),
            "Outside the push window.",
        );
        let change = Change::of(vec![action, other]).unwrap();
        let comment = NewComment {
            text: change.comment_text().unwrap(),
            is_private: false,
            is_markdown: false,
        };
        let text = render(&change, &change.update, Some(&comment));
        assert_eq!(text.matches("DRY RUN").count(), 1, "{text}");
        assert!(
            text.starts_with(
                "DRY RUN: would write to bug 42 (signoff 2026-W49, push-window 2026-W49)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("flag: qa-signoff? from qa@example.org"),
            "{text}"
        );
        assert!(text.contains("  assigned_to: dev@example.org"), "{text}");
        assert!(text.contains("  comment (public):"), "{text}");
        assert!(text.contains("    | Please sign off."), "{text}");
        assert!(text.contains("    | [pushbot signoff 2026-W49]"), "{text}");
        assert!(text.contains("    | Outside the push window."), "{text}");
        assert!(
            text.contains("    | [pushbot push-window 2026-W49]"),
            "{text}"
        );
    }
}
