//! The polling cycle: keeps every open push bug, every push bug shipped
//! recently enough to count ([`shipped`]), and their comments in memory (the
//! [`Snapshot`]), refreshes it incrementally from Bugzilla, runs the planner
//! on the whole snapshot and hands the actions to the executor.
//!
//! One cycle ([`Poller::run_once`]), after REST.md §12:
//!
//! 1. Search. A cold start (nothing in memory, or no watermark) and the
//!    periodic full resync load every open push bug, and with the default
//!    `__open__` status a second search loads the push bugs resolved FIXED
//!    since [`Shipped::since`] (a shipped push still counts toward its
//!    week). Otherwise the search asks for bugs changed since the stored
//!    watermark minus `poll.overlap_secs` (the bound is inclusive with
//!    one-second precision and bugzilla.mozilla.org searches a replica).
//!    With the default `__open__` status, the incremental search leaves the
//!    status out, so a bug that was just closed comes back: resolved FIXED
//!    it stays (its comments are read like any other's), resolved any other
//!    way (cancelled) it is dropped from memory. Shipped bugs whose last
//!    change falls behind [`Shipped::since`] as the weeks turn are dropped
//!    too (see [`shipped`] for why a time bound and not the push date).
//! 2. Comments of the changed bugs, one request per batch: all of them for
//!    a bug new to memory, else those newer than the same bound (`new_since`
//!    is strict), de-duplicated by comment id.
//! 3. The planner runs on the full snapshot (rules depend on time and on
//!    other bugs of the same week; they count shipped pushes and never
//!    comment on them), then the executor.
//! 4. Only then the new watermark is saved: the server's clock from the
//!    (first) search's `Date` header, never ours.
//!
//! A Bugzilla outage ends the cycle early with everything kept as it was;
//! the next cycle tries again. A bug the client could not read is logged
//! with its id and skipped.
//!
//! Bugs that leave the query without changing (moved to another product,
//! say) are only noticed by the full resync, every
//! [`PollerOptions::full_sync_every`].
//!
//! With a `status` other than `__open__` the query alone decides what is
//! tracked, as before shipped pushes were kept: every bug it returns stays,
//! closed or not, and the incremental search keeps that status.
//!
//! Must not: decide what to write (the planner does) or write to Bugzilla
//! itself (the executor does).

pub mod settings;
pub mod shipped;
pub mod trigger;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::bugzilla::{Bug, BugId, BugzillaError, Client, Comment, SearchQuery, SearchResult};
use crate::commands::handle::{Lookup, Memberships};
use crate::commands::Membership;
use crate::config::Settings;
use crate::execute::{ExecuteOptions, Executor, WriteGate};
use crate::metrics::Metrics;
use crate::plan::ActionKey;
use crate::store::{CycleRecord, Store};

pub use pushbot_core::decide::{CycleInput, CycleOutput, Plan, Planner};
pub use pushbot_core::snapshot::{Snapshot, TrackedBug};
pub use settings::PollSettings;
pub use shipped::Shipped;
pub use trigger::Trigger;

/// The comments a refresh read: for the bugs new to memory, and for the
/// known ones.
type CommentsRead = (BTreeMap<BugId, Vec<Comment>>, BTreeMap<BugId, Vec<Comment>>);

/// The comments a refresh reads, one batched request each: all of them
/// for the bugs `new` to memory, those since `since` for the `known`
/// ones (none asked for an empty list). A free function: the poller
/// is not `Sync`, so its cycle must not hold `&self` across the await.
async fn read_comments(
    client: &Client,
    new: &[BugId],
    known: &[BugId],
    since: Option<DateTime<Utc>>,
) -> Result<CommentsRead, BugzillaError> {
    let new_comments = if new.is_empty() {
        BTreeMap::new()
    } else {
        client.comments(new, None).await?
    };
    let known_comments = if known.is_empty() {
        BTreeMap::new()
    } else {
        client.comments(known, since).await?
    };
    Ok((new_comments, known_comments))
}
/// The comments read for `id` in a refresh: from the request for bugs new
/// to memory, or else from the one for known bugs.
fn comments_read(
    id: BugId,
    new: &mut BTreeMap<BugId, Vec<Comment>>,
    known: &mut BTreeMap<BugId, Vec<Comment>>,
) -> Vec<Comment> {
    new.remove(&id)
        .or_else(|| known.remove(&id))
        .unwrap_or_default()
}

/// The answers to lookups of earlier cycles still trusted.
struct MembershipLookup {
    ttl: chrono::Duration,
    /// Confirmed answers (never `Unknown`) and when they were looked up.
    cache: BTreeMap<Lookup, (Membership, DateTime<Utc>)>,
}

/// Called after every cycle (either result) with the snapshot and the
/// cycle's report: how the web view is fed (its counters are the poller's
/// own [`Metrics`], shared: [`Poller::set_metrics`]). Must be quick and must
/// not block (it runs inside the cycle).
pub type AfterCycle = Box<dyn Fn(&Snapshot, &CycleReport) + Send + Sync>;

/// What one cycle did; counted in the poller's [`Metrics`].
#[derive(Debug, Clone, Default)]
pub struct CycleReport {
    /// The cycle's "now".
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
    /// HTTP requests made to Bugzilla during the cycle.
    pub requests: u64,
    /// True when this cycle loaded every tracked push bug (open and
    /// recently shipped).
    pub full_load: bool,
    /// Bugs in memory after the cycle.
    pub tracked_bugs: usize,
    /// Bugs the search returned this cycle.
    pub changed_bugs: usize,
    pub planned: usize,
    /// Actions written (or rendered, in dry-run), by rule.
    pub taken_by_rule: BTreeMap<String, usize>,
    pub taken: usize,
    /// Planned actions that were already done.
    pub duplicates: usize,
    /// POST and PUT requests made.
    pub writes: usize,
    /// Problems, each naming the bug or request.
    pub errors: Vec<String>,
    /// True when Bugzilla could not be read; nothing was planned.
    pub outage: bool,
    /// Set when the write cap stopped the cycle's writes.
    pub alert: Option<String>,
    /// Dry-run: the writes that would have been made.
    pub dry_run_text: String,
    /// The watermark saved by this cycle, if any.
    pub watermark: Option<DateTime<Utc>>,
    /// True when shutdown stopped the cycle's writes part-way.
    pub interrupted: bool,
    /// Why the cycle made no (more) writes: a standby, or a writer unsure
    /// of its lease (`execute::ExecutionReport::held`).
    pub held: Option<String>,
    /// A run triggered by webhook events ([`Poller::run_triggered`]): how
    /// many bugs it re-read. `None` for a poll cycle.
    pub triggered: Option<usize>,
    /// Poll cycles with webhooks on ([`Poller::set_trigger`]): bugs whose
    /// change the search found although no event announced them and the
    /// bot did not write to them (a webhook that stopped shows here).
    pub unannounced: usize,
    /// Triggered runs: announced bugs the re-read found not to be push bugs
    /// (dropped after that one read).
    pub untracked: usize,
}

/// How the poller behaves; [`PollerOptions::from_settings`] gives the
/// production values.
#[derive(Debug, Clone)]
pub struct PollerOptions {
    /// The search's criteria (from `[query]`), without `changed_since`.
    pub query: SearchQuery,
    /// Which shipped (resolved FIXED) push bugs stay tracked
    /// (`poll.shipped_lookback_days`, `team.time_zone`).
    pub shipped: Shipped,
    /// `poll.interval_secs` (`webhook.poll_interval_secs` when webhooks are
    /// on): pause between cycles.
    pub interval: Duration,
    /// `poll.overlap_secs`: how far before the watermark to search.
    pub overlap: chrono::Duration,
    /// How often to reload everything, to notice bugs that left the query
    /// without changing. Default: 24 hours.
    pub full_sync_every: chrono::Duration,
    /// How long shutdown waits for the current cycle's write to finish
    /// before abandoning it (safe: the next start checks the marker).
    /// Default: 30 s.
    pub shutdown_grace: Duration,
    pub execute: ExecuteOptions,
}

impl PollerOptions {
    pub fn from_settings(settings: &Settings) -> PollerOptions {
        PollerOptions {
            query: SearchQuery::from_settings(&settings.query),
            shipped: Shipped::from_settings(settings),
            // With webhooks on, polling is the safety net: less often.
            interval: Duration::from_secs(if settings.webhook.enabled {
                settings.webhook.poll_interval_secs
            } else {
                settings.poll.interval_secs
            }),
            overlap: chrono::Duration::seconds(
                i64::try_from(settings.poll.overlap_secs).unwrap_or(i64::MAX / 1000),
            ),
            full_sync_every: chrono::Duration::hours(24),
            shutdown_grace: Duration::from_secs(30),
            execute: ExecuteOptions::from_settings(settings),
        }
    }
}

/// The status meaning "every open bug"; the incremental search drops it to
/// see closures (see the module doc).
const OPEN_STATUS: &str = "__open__";

/// The polling loop and its in-memory snapshot.
pub struct Poller {
    client: Client,
    store: Store,
    planner: Planner,
    options: PollerOptions,
    snapshot: Snapshot,
    /// When the snapshot was last loaded in full (the cycle's "now"); `None`
    /// until the first load, which makes the next cycle a cold start.
    loaded_at: Option<DateTime<Utc>>,
    /// Where each finished cycle is counted ([`Metrics::record_cycle`]).
    metrics: Metrics,
    /// Set on shutdown; the executor stops between two writes.
    stop: Arc<AtomicBool>,
    /// Where the daemon loop reads "now" (the real clock unless `pushbot run
    /// --now` shifted it for a rehearsal); `run_once` takes `now` itself.
    clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    /// Lookup answers trusted across cycles.
    memberships: MembershipLookup,
    /// See [`Poller::set_after_cycle`].
    after_cycle: Option<AfterCycle>,
    /// Replicas: who may write now (`lease::Lease`); handed to every
    /// executor this poller makes.
    gate: Option<Arc<dyn WriteGate>>,
    /// Webhook events to run on between polls ([`Poller::set_trigger`]).
    trigger: Option<Trigger>,
    /// Bugs the bot wrote to since the last poll's search: their change is
    /// the bot's own, not one an event failed to announce.
    written: BTreeSet<BugId>,
    /// Actions taken on bugs memory has not read again since, with each
    /// bug's change stamp in memory when they were taken. Their markers
    /// reach memory only with that read (the next poll's, or a webhook
    /// run's on the same bug), so a webhook run before it would plan them
    /// again; they are left out of the plan until then (the executor's
    /// action log would skip them too, but count them as duplicates). A
    /// read changes the bug's stamp, which ends its entry.
    taken_unread: BTreeMap<BugId, (Option<DateTime<Utc>>, BTreeSet<ActionKey>)>,
}

impl Poller {
    pub fn new(client: Client, store: Store, planner: Planner, options: PollerOptions) -> Poller {
        Poller {
            client,
            store,
            planner,
            options,
            snapshot: Snapshot::default(),
            loaded_at: None,
            metrics: Metrics::new(),
            stop: Arc::new(AtomicBool::new(false)),
            clock: Arc::new(Utc::now),
            memberships: MembershipLookup {
                ttl: chrono::Duration::zero(),
                cache: BTreeMap::new(),
            },
            after_cycle: None,
            gate: None,
            trigger: None,
            written: BTreeSet::new(),
            taken_unread: BTreeMap::new(),
        }
    }

    /// Writes only while `gate` allows (replicas sharing a PostgreSQL
    /// state); polls in full when it says this process just became the
    /// writer, and starts that cycle at once.
    pub fn set_write_gate(&mut self, gate: Arc<dyn WriteGate>) {
        self.gate = Some(gate);
    }

    /// Runs on webhook events too: the daemon loop ([`Poller::run`]) also
    /// wakes when `trigger` has bugs queued and re-reads just those
    /// ([`Poller::run_triggered`]); poll cycles then count the changes no
    /// event announced ([`CycleReport::unannounced`]).
    pub fn set_trigger(&mut self, trigger: Trigger) {
        trigger.set_tracked(self.snapshot.bugs.keys().copied());
        self.trigger = Some(trigger);
    }

    /// Trusts a confirmed lookup answer (`Client::is_member`,
    /// `Client::user_exists`) for `ttl` (default: not at all, asked again
    /// each cycle that needs it); a failed lookup is `Unknown` and asked
    /// again next cycle.
    pub fn with_membership_ttl(mut self, ttl: chrono::Duration) -> Poller {
        self.memberships.ttl = ttl;
        self
    }

    /// Runs `hook` after every cycle (the web view's feed).
    /// Replaces the clock the daemon loop ([`Poller::run`]) reads.
    pub fn set_clock(&mut self, clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>) {
        self.clock = clock;
    }

    pub fn set_after_cycle(&mut self, hook: AfterCycle) {
        self.after_cycle = Some(hook);
    }

    /// The tracked push bugs in memory.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The state store (for the web page and commands).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The counters the cycles are counted in (a handle: clones share
    /// them).
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// Counts the cycles in `metrics` from now on: the web server's, so
    /// that `/metrics` shows them.
    pub fn set_metrics(&mut self, metrics: Metrics) {
        self.metrics = metrics;
    }

    /// One cycle: refresh, plan, execute, save the watermark. Never fails:
    /// problems are in the report (and the log).
    pub async fn run_once(&mut self, now: DateTime<Utc>) -> CycleReport {
        let clock = Instant::now();
        let requests_before = self.client.request_count();
        let mut report = CycleReport {
            started_at: now,
            ..CycleReport::default()
        };
        if self.gate.as_ref().is_some_and(|g| g.take_fresh_start()) {
            // A new writer reads everything again, markers included.
            self.loaded_at = None;
        }

        let server_time = match self.refresh(now, &mut report).await {
            Ok(server_time) => Some(server_time),
            Err(e) => {
                tracing::warn!(error = %e, "Bugzilla unreachable; keeping state, trying again next cycle");
                report.outage = true;
                report
                    .errors
                    .push(format!("reading Bugzilla failed, retrying next cycle: {e}"));
                None
            }
        };
        report.tracked_bugs = self.snapshot.bugs.len();
        if let Some(trigger) = &self.trigger {
            trigger.set_tracked(self.snapshot.bugs.keys().copied());
        }

        if let Some(server_time) = server_time {
            let interrupted = self.plan_and_execute(now, &mut report).await;
            // The writes are done: now the watermark may move.
            if !interrupted {
                if let Some(t) = server_time {
                    match self.store.set_watermark(t) {
                        Ok(()) => report.watermark = Some(t),
                        Err(e) => report.errors.push(format!("saving the watermark: {e}")),
                    }
                }
            }
        }

        report.duration = clock.elapsed();
        report.requests = self.client.request_count().saturating_sub(requests_before);
        self.finish(&report);
        if let Some(hook) = &self.after_cycle {
            hook(&self.snapshot, &report);
        }
        report
    }

    /// Plans over the whole snapshot (asking the lookups the plan names,
    /// then planning again, once) and executes: the part a poll cycle and a
    /// triggered run share. Returns whether shutdown interrupted the writes.
    async fn plan_and_execute(&mut self, now: DateTime<Utc>, report: &mut CycleReport) -> bool {
        self.snapshot.memberships = self.trusted_memberships(now);
        let mut out = self.planner.plan(CycleInput {
            snapshot: &self.snapshot,
            now,
        });
        if self.look_up(&out.lookups, now, report).await {
            out = self.planner.plan(CycleInput {
                snapshot: &self.snapshot,
                now,
            });
        }
        let snapshot = &self.snapshot;
        self.taken_unread.retain(|id, (stamp, _)| {
            snapshot
                .bugs
                .get(id)
                .is_some_and(|t| t.bug.last_change_time == *stamp)
        });
        let mut actions = out.actions;
        actions.retain(|a| {
            !self
                .taken_unread
                .get(&a.key.bug)
                .is_some_and(|(_, keys)| keys.contains(&a.key))
        });
        let executor = Executor::new(&self.client, &self.store, self.options.execute.clone())
            .with_stop(Arc::clone(&self.stop))
            .with_gate(self.gate.clone());
        let done = executor.execute(&actions, now).await;
        report.planned = done.planned;
        report.taken = done.taken.len();
        for settled in &done.taken {
            *report
                .taken_by_rule
                .entry(settled.key.name().to_string())
                .or_default() += 1;
            self.written.insert(settled.key.bug);
            if settled.outcome == crate::store::Outcome::Posted {
                let bug = settled.key.bug;
                let stamp = self
                    .snapshot
                    .bugs
                    .get(&bug)
                    .and_then(|t| t.bug.last_change_time);
                let (_, keys) = self
                    .taken_unread
                    .entry(bug)
                    .or_insert_with(|| (stamp, BTreeSet::new()));
                keys.insert(settled.key.clone());
                if let Some(action) = actions.iter().find(|a| a.key == settled.key) {
                    keys.extend(action.also.iter().cloned());
                }
            }
        }
        report.duplicates = done.duplicates.len();
        report.writes = done.writes;
        report.errors.extend(done.errors);
        report.alert = done.alert;
        report.dry_run_text = done.dry_run_text;
        report.interrupted = done.interrupted;
        report.held = done.held;
        done.interrupted
    }

    /// A run on webhook events: re-reads the bugs queued in the trigger
    /// ([`Poller::set_trigger`]), with their new comments, into the
    /// snapshot, then plans over the whole snapshot and executes, exactly
    /// as a cycle does (one change per bug per run, the marker check before
    /// every write). `None` when nothing is queued.
    ///
    /// The re-read is one search: the push query (without its status, so
    /// that a closed bug comes back, as in an incremental cycle) narrowed
    /// to the queued ids, and the comments of the bugs it returns (since
    /// each one's last change in memory, minus the overlap). A bug it does
    /// not return is not a push bug (or no longer one: dropped from
    /// memory); when no bug changed (the same fields, no comment memory
    /// lacks) nothing is planned. The watermark does not move:
    /// only a poll's search covers every bug. Before the first poll cycle
    /// loaded the snapshot, a triggered run is a full cycle.
    pub async fn run_triggered(&mut self, now: DateTime<Utc>) -> Option<CycleReport> {
        let trigger = self.trigger.clone()?;
        let ids = trigger.take();
        if ids.is_empty() {
            return None;
        }
        if self.gate.as_ref().is_some_and(|g| g.take_fresh_start()) {
            // A new writer's first run is a full poll, whatever woke it.
            self.loaded_at = None;
        }
        if self.loaded_at.is_none() {
            let mut report = self.run_once(now).await;
            report.triggered = Some(ids.len());
            trigger.run_finished();
            return Some(report);
        }
        let clock = Instant::now();
        let requests_before = self.client.request_count();
        let mut report = CycleReport {
            started_at: now,
            triggered: Some(ids.len()),
            ..CycleReport::default()
        };
        match self.reread(&ids, now, &mut report).await {
            Ok(true) => {
                self.plan_and_execute(now, &mut report).await;
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "Bugzilla unreachable on a webhook event; the next poll catches up");
                report.outage = true;
                report.errors.push(format!(
                    "re-reading announced bugs failed, the next poll catches up: {e}"
                ));
            }
        }
        report.tracked_bugs = self.snapshot.bugs.len();
        report.duration = clock.elapsed();
        report.requests = self.client.request_count().saturating_sub(requests_before);
        self.finish(&report);
        if let Some(hook) = &self.after_cycle {
            hook(&self.snapshot, &report);
        }
        trigger.set_tracked(self.snapshot.bugs.keys().copied());
        trigger.run_finished();
        Some(report)
    }

    /// Re-reads `ids` into the snapshot (see [`Poller::run_triggered`]);
    /// returns whether any tracked bug changed. On error the snapshot is
    /// unchanged.
    async fn reread(
        &mut self,
        ids: &BTreeSet<BugId>,
        now: DateTime<Utc>,
        report: &mut CycleReport,
    ) -> Result<bool, BugzillaError> {
        let options = &self.options;
        let mut query = options.query.clone();
        if Shipped::applies(&query) {
            query.status = String::new();
        }
        let list: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        query.params.insert("id".to_string(), list.join(","));
        let found = self.client.search(&query).await?;
        report.changed_bugs = found.bugs.len();
        for (id, reason) in &found.skipped {
            let bug = id.map_or_else(|| "?".to_string(), |id| id.to_string());
            report
                .errors
                .push(format!("bug {bug}: skipped, could not be read: {reason}"));
        }
        let (kept, gone): (Vec<Bug>, Vec<Bug>) = found
            .bugs
            .into_iter()
            .filter(|b| ids.contains(&b.id))
            .partition(|b| options.shipped.keeps(&options.query, b, now));
        let kept_ids: BTreeSet<BugId> = kept.iter().map(|b| b.id).collect();
        // Changed: new to memory, or a `last_change_time` that moved.
        let mut new = Vec::new();
        let mut known = Vec::new();
        let mut since: Option<DateTime<Utc>> = None;
        for bug in &kept {
            // A known bug's comments are read even when its
            // `last_change_time` did not move: it has one-second precision,
            // and a comment in the second of the bot's last write leaves it
            // as it was. The event said something happened.
            match self.snapshot.bugs.get(&bug.id) {
                None => new.push(bug.id),
                Some(t) => {
                    known.push(bug.id);
                    let bound = t.bug.last_change_time.map(|at| at - options.overlap);
                    since = since.into_iter().chain(bound).min();
                }
            }
        }
        let (mut new_comments, mut known_comments) =
            read_comments(&self.client, &new, &known, since).await?;
        // Changed: new to memory, other fields, or a comment not in memory.
        let moved = |bug: &Bug| {
            self.snapshot.bugs.get(&bug.id).is_none_or(|t| {
                t.bug != *bug
                    || known_comments.get(&bug.id).is_some_and(|comments| {
                        comments
                            .iter()
                            .any(|c| !t.comments.iter().any(|seen| seen.id == c.id))
                    })
            })
        };
        let changed_ids: BTreeSet<BugId> = kept.iter().filter(|b| moved(b)).map(|b| b.id).collect();
        let mut changed = !changed_ids.is_empty();
        // Announced but not a push bug now: dropped from memory, or never
        // in it (the cheap check's second half).
        for id in ids.iter().filter(|id| !kept_ids.contains(id)) {
            if self.snapshot.bugs.remove(id).is_some() {
                changed = true;
                let restricted = gone.iter().any(|b| b.id == *id && !b.groups.is_empty());
                if restricted {
                    tracing::debug!(bug = %id, "announced restricted bug left the query; no longer tracked");
                } else {
                    tracing::info!(bug = %id, "announced bug left the query or was cancelled; no longer tracked");
                }
            } else {
                report.untracked += 1;
                tracing::debug!(bug = %id, "announced bug is not a push bug; dropped");
            }
        }
        for bug in kept {
            let id = bug.id;
            if !changed_ids.contains(&id) {
                continue; // unchanged: memory has it as it is
            }
            let comments = comments_read(id, &mut new_comments, &mut known_comments);
            self.snapshot.take_in(bug, comments);
        }
        Ok(changed)
    }

    /// Brings the snapshot up to date; returns the server's time of the
    /// search (`None` if the server sent no `Date`). On error the snapshot is
    /// unchanged.
    async fn refresh(
        &mut self,
        now: DateTime<Utc>,
        report: &mut CycleReport,
    ) -> Result<Option<DateTime<Utc>>, BugzillaError> {
        let watermark = match self.store.watermark() {
            Ok(mark) => mark,
            Err(e) => {
                report.errors.push(format!("reading the watermark: {e}"));
                None
            }
        };
        let since = match (self.loaded_at, watermark) {
            (Some(loaded), Some(mark)) if now - loaded < self.options.full_sync_every => {
                Some(mark - self.options.overlap)
            }
            _ => None,
        };
        report.full_load = since.is_none();
        // What the webhook path announced and what the bot wrote since the
        // last poll: the changes this search may find that are no news.
        let announced = self.trigger.as_ref().map(Trigger::take_announced);
        let written = std::mem::take(&mut self.written);

        let options = &self.options;
        let keeps = |bug: &Bug| options.shipped.keeps(&options.query, bug, now);
        let found = match since {
            None => search_push_bugs(&self.client, &options.query, &options.shipped, now).await?,
            Some(since) => {
                let mut query = options.query.clone();
                if Shipped::applies(&query) {
                    // Closed bugs must come back: shipped ones stay,
                    // cancelled ones leave memory.
                    query.status = String::new();
                }
                query.changed_since = Some(since);
                self.client.search(&query).await?
            }
        };
        for (id, reason) in &found.skipped {
            let bug = id.map_or_else(|| "?".to_string(), |id| id.to_string());
            tracing::warn!(bug, reason, "bug skipped: could not be read");
            report
                .errors
                .push(format!("bug {bug}: skipped, could not be read: {reason}"));
        }
        if found.server_time.is_none() {
            tracing::warn!(
                "the search answer had no Date header; the watermark stays where it was"
            );
        }
        report.changed_bugs = found.bugs.len();

        let (kept, gone): (Vec<Bug>, Vec<Bug>) = found.bugs.into_iter().partition(|b| keeps(b));

        if since.is_none() {
            let ids: Vec<BugId> = kept.iter().map(|b| b.id).collect();
            let mut comments = if ids.is_empty() {
                BTreeMap::new()
            } else {
                self.client.comments(&ids, None).await?
            };
            let mut fresh = Snapshot::default();
            for bug in kept {
                let mut tracked = TrackedBug {
                    comments: Vec::new(),
                    bug,
                };
                tracked.merge_comments(comments.remove(&tracked.bug.id).unwrap_or_default());
                fresh.bugs.insert(tracked.bug.id, tracked);
            }
            self.snapshot = fresh;
            self.loaded_at = Some(now);
            return Ok(found.server_time);
        }

        // Incremental: read every comment first, change memory after, so an
        // error leaves the snapshot as it was.
        let (known, new): (Vec<BugId>, Vec<BugId>) = kept
            .iter()
            .map(|b| b.id)
            .partition(|id| self.snapshot.bugs.contains_key(id));
        // The overlap brings back bugs that did not change since the last
        // cycle; their comments are already in memory, so a quiet cycle
        // costs one request (the search).
        let known: Vec<BugId> = known
            .into_iter()
            .filter(|id| {
                let seen = self
                    .snapshot
                    .bugs
                    .get(id)
                    .and_then(|t| t.bug.last_change_time);
                let now = kept
                    .iter()
                    .find(|b| b.id == *id)
                    .and_then(|b| b.last_change_time);
                seen.is_none() || now.is_none() || seen != now
            })
            .collect();
        let (mut new_comments, mut known_comments) =
            read_comments(&self.client, &new, &known, since).await?;
        if let Some(announced) = &announced {
            // A bug the bot wrote to changed by its hand; it is news only
            // with a comment by someone else (a field change by a person
            // on such a bug goes uncounted).
            let bot = self.client.bot_login();
            let snapshot = &self.snapshot;
            let news_on_written = |id: &BugId| {
                let seen: BTreeSet<_> = snapshot
                    .bugs
                    .get(id)
                    .map(|t| t.comments.iter().map(|c| c.id).collect())
                    .unwrap_or_default();
                known_comments.get(id).is_some_and(|comments| {
                    comments
                        .iter()
                        .any(|c| !seen.contains(&c.id) && !c.creator.eq_ignore_ascii_case(bot))
                })
            };
            report.unannounced = new
                .iter()
                .chain(&known)
                .filter(|id| !announced.contains(id))
                .filter(|id| !written.contains(id) || news_on_written(id))
                .count();
            if report.unannounced > 0 {
                tracing::info!(
                    bugs = report.unannounced,
                    "the poll found changes no webhook event announced"
                );
            }
        }
        for bug in gone {
            if self.snapshot.bugs.remove(&bug.id).is_some() {
                // A restricted bug's id stays out of logs above debug.
                if bug.groups.is_empty() {
                    tracing::info!(bug = %bug.id, resolution = %bug.resolution, "bug left the query or was cancelled; no longer tracked");
                } else {
                    tracing::debug!(bug = %bug.id, resolution = %bug.resolution, "restricted bug left the query or was cancelled; no longer tracked");
                }
            }
        }
        for bug in kept {
            let id = bug.id;
            let comments = comments_read(id, &mut new_comments, &mut known_comments);
            self.snapshot.take_in(bug, comments);
        }
        // Shipped bugs whose last change fell behind the bound as the week
        // turned (the full load would not find them again).
        self.snapshot.bugs.retain(|id, tracked| {
            let keep = keeps(&tracked.bug);
            if !keep && tracked.bug.groups.is_empty() {
                tracing::info!(bug = %id, "shipped before this week and the lookback; no longer tracked");
            } else if !keep {
                tracing::debug!(bug = %id, "restricted bug shipped before this week and the lookback; no longer tracked");
            }
            keep
        });
        Ok(found.server_time)
    }

    /// The lookup answers still trusted at `now` (expired ones dropped).
    fn trusted_memberships(&mut self, now: DateTime<Utc>) -> Memberships {
        let ttl = self.memberships.ttl;
        let cache = &mut self.memberships.cache;
        cache.retain(|_, (_, at)| now - *at < ttl);
        cache
            .iter()
            .map(|(key, (known, _))| (key.clone(), *known))
            .collect()
    }

    /// Asks Bugzilla the lookups the planner named that this cycle has no
    /// answer for (one request each), into [`Snapshot::memberships`];
    /// returns whether it asked any.
    async fn look_up(
        &mut self,
        lookups: &[Lookup],
        now: DateTime<Utc>,
        report: &mut CycleReport,
    ) -> bool {
        let mut asked = false;
        for key in lookups {
            if self.snapshot.memberships.contains_key(key) {
                continue;
            }
            asked = true;
            let (answer, question) = match key {
                Lookup::Member { login, group } => (
                    self.client.is_member(login, group).await,
                    format!("whether {login} is in group {group}"),
                ),
                Lookup::Account { login } => (
                    self.client.user_exists(login).await,
                    format!("whether the account {login} exists"),
                ),
            };
            if let Err(e) = &answer {
                tracing::warn!(question, error = %e, "lookup for a command failed; the command waits");
                report.errors.push(format!(
                    "looking up {question} failed ({e}); the command waits for a later cycle"
                ));
            }
            let membership = Membership::from_lookup(&answer);
            if membership != Membership::Unknown {
                self.memberships
                    .cache
                    .insert(key.clone(), (membership, now));
            }
            self.snapshot.memberships.insert(key.clone(), membership);
        }
        asked
    }

    /// Records the cycle in the store and the metrics.
    fn finish(&self, report: &CycleReport) {
        let record = CycleRecord {
            started_at: report.started_at,
            duration_ms: u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX),
            requests: report.requests,
            planned: report.planned as u64,
            taken: report.taken as u64,
            duplicates: report.duplicates as u64,
            errors: report.errors.len() as u64,
            alert: report.alert.clone(),
            watermark: report.watermark,
        };
        if let Err(e) = self.store.record_cycle(&record) {
            tracing::error!(error = %e, "could not record the cycle");
        }
        self.metrics.record_cycle(report);
    }

    /// The daemon loop, the only one (`pushbot run` and `pushbot serve`
    /// both use it): a cycle every `poll.interval_secs` until `shutdown`
    /// completes, each report handed to `on_cycle` (the CLI prints a
    /// dry-run's writes there). With a [`Trigger`] ([`Poller::set_trigger`])
    /// it also wakes between cycles when webhook events queued bugs, and
    /// runs on them ([`Poller::run_triggered`]): one run at a time, never
    /// beside a cycle, so "one change per bug per cycle" holds across both.
    /// On shutdown during a cycle or run the write in progress is finished
    /// (for at most `shutdown_grace`), the remaining writes are left for the
    /// next start, and the watermark is not moved.
    pub async fn run(
        &mut self,
        shutdown: impl Future<Output = ()>,
        mut on_cycle: impl FnMut(&CycleReport),
    ) {
        tokio::pin!(shutdown);
        self.stop.store(false, Ordering::SeqCst);
        let stop = Arc::clone(&self.stop);
        let grace = self.options.shutdown_grace;
        let interval = self.options.interval;
        let mut poll_now = true;
        loop {
            let now = (self.clock)();
            let running = if poll_now {
                finish_or_stop(
                    async { Some(self.run_once(now).await) },
                    shutdown.as_mut(),
                    &stop,
                    grace,
                    &mut on_cycle,
                )
                .await
            } else {
                finish_or_stop(
                    self.run_triggered(now),
                    shutdown.as_mut(),
                    &stop,
                    grace,
                    &mut on_cycle,
                )
                .await
            };
            if !running {
                return;
            }
            let next_poll = tokio::time::Instant::now() + interval;
            let trigger = self.trigger.clone();
            let queued = async {
                match &trigger {
                    Some(t) => t.queued().await,
                    None => std::future::pending().await,
                }
            };
            let asked = async {
                match &trigger {
                    Some(t) => t.poll_requested().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut shutdown => {
                    tracing::info!("shutdown: stopped");
                    return;
                }
                () = tokio::time::sleep_until(next_poll) => poll_now = true,
                () = asked => poll_now = true,
                () = queued => poll_now = false,
                () = became_writer(self.gate.as_ref()) => poll_now = true,
            }
        }
    }
}

/// Completes when `gate` says this process became the writer; never
/// without a gate.
async fn became_writer(gate: Option<&Arc<dyn WriteGate>>) {
    match gate.and_then(|g| g.writable()) {
        Some(notify) => notify.notified().await,
        None => std::future::pending().await,
    }
}

/// The searches of a full load: every bug of `query`, plus, with the
/// default `__open__` status, the push bugs shipped since
/// [`Shipped::since`] (a second search). One result, each bug once (the
/// later search's copy wins: it is the newer), holding only what the
/// snapshot keeps; the server time is the first search's, so nothing
/// changed between the two is missed by the next incremental search. Also
/// what `pushbot summary` and `pushbot explain` read, so that they count
/// the same pushes as the bot.
pub async fn search_push_bugs(
    client: &Client,
    query: &SearchQuery,
    shipped: &Shipped,
    now: DateTime<Utc>,
) -> Result<SearchResult, BugzillaError> {
    let mut found = client.search(query).await?;
    if let Some(closed) = shipped.search(query, now) {
        let more = client.search(&closed).await?;
        // An unreadable bug both searches return is reported once.
        for skipped in more.skipped {
            if !found.skipped.contains(&skipped) {
                found.skipped.push(skipped);
            }
        }
        let mut at: BTreeMap<BugId, usize> = found
            .bugs
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id, i))
            .collect();
        for bug in more.bugs {
            match at.get(&bug.id) {
                Some(&i) => found.bugs[i] = bug,
                None => {
                    at.insert(bug.id, found.bugs.len());
                    found.bugs.push(bug);
                }
            }
        }
    }
    found.bugs.retain(|b| shipped.keeps(query, b, now));
    Ok(found)
}

/// Drives one cycle or triggered run to its end, or, when `shutdown`
/// completes first, stops the writes and gives it `grace` to finish the one
/// in progress. Returns false when the loop must end.
async fn finish_or_stop(
    cycle: impl Future<Output = Option<CycleReport>>,
    mut shutdown: std::pin::Pin<&mut impl Future<Output = ()>>,
    stop: &AtomicBool,
    grace: Duration,
    on_cycle: &mut impl FnMut(&CycleReport),
) -> bool {
    tokio::pin!(cycle);
    tokio::select! {
        report = &mut cycle => {
            if let Some(report) = report {
                log_cycle(&report);
                on_cycle(&report);
            }
            true
        }
        () = &mut shutdown => {
            stop.store(true, Ordering::SeqCst);
            match tokio::time::timeout(grace, cycle).await {
                Ok(Some(report)) => {
                    log_cycle(&report);
                    on_cycle(&report);
                }
                Ok(None) => {}
                Err(_) => tracing::warn!("shutdown: abandoned the cycle in progress; the next start re-checks its markers"),
            }
            tracing::info!("shutdown: stopped");
            false
        }
    }
}

fn log_cycle(report: &CycleReport) {
    tracing::info!(
        duration_ms = u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX),
        requests = report.requests,
        tracked = report.tracked_bugs,
        changed = report.changed_bugs,
        planned = report.planned,
        taken = report.taken,
        duplicates = report.duplicates,
        errors = report.errors.len(),
        outage = report.outage,
        triggered = report.triggered,
        unannounced = report.unannounced,
        "cycle done"
    );
    if let Some(alert) = &report.alert {
        tracing::error!(alert, "write cap reached");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The daemon is spawned on tokio's multi-threaded runtime, so a cycle
    /// must be `Send` (this fails to compile otherwise).
    #[expect(dead_code, reason = "compile-time check only")]
    fn cycle_is_send(poller: &mut Poller) {
        fn is_send<T: Send>(_: T) {}
        is_send(poller.run_once(Utc::now()));
        is_send(poller.run(std::future::pending::<()>(), |_| {}));
    }
}
