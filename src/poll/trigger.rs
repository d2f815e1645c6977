//! Webhook events into poller runs: the queue between the webhook endpoint
//! (which announces bugs) and the daemon loop ([`super::Poller::run`],
//! which re-reads them and plans, between its poll cycles).
//!
//! Coalesced per bug: the queue holds each bug at most once, and the loop
//! takes everything queued at once, so a flood of events for one bug costs
//! at most two re-reads: the run in progress and one queued behind it. A
//! redelivered event (the same identity, [`crate::webhook::event::Event::key`])
//! is recognised among the last [`SEEN_EVENTS`] and does nothing.
//!
//! It also keeps what the endpoint's cheap check needs (the bugs in the
//! snapshot: an event for one of them is never dropped, even when the
//! payload names another product, as after a move) and what the poll needs
//! to count changes no event announced.
//!
//! Must not: read Bugzilla or decide anything.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{watch, Notify};

use crate::bugzilla::BugId;

/// How many event identities are remembered to recognise a redelivery.
pub const SEEN_EVENTS: usize = 8192;

/// What [`Trigger::announce`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announced {
    /// The bug is queued for a re-read (or already was).
    Queued,
    /// The same event was received before: nothing to do.
    Duplicate,
}

/// The handle shared by the endpoint and the poller; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Trigger {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<State>,
    /// Woken when a bug is queued; a permit is stored when the loop is busy.
    wake: Notify,
    /// Woken by [`Trigger::request_poll`].
    poll: Notify,
    /// Triggered runs finished (for tests and benchmarks to wait on).
    runs: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct State {
    pending: BTreeSet<BugId>,
    /// Bugs announced since the last poll cycle started.
    announced: BTreeSet<BugId>,
    seen: HashSet<u64>,
    seen_order: VecDeque<u64>,
    /// The bugs in the poller's snapshot after its last run.
    tracked: BTreeSet<BugId>,
}

impl Trigger {
    pub fn new() -> Trigger {
        Trigger::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `bug` for a re-read because of the event `key`, unless that
    /// event was seen before.
    pub fn announce(&self, bug: BugId, key: u64) -> Announced {
        {
            let mut state = self.state();
            if !state.seen.insert(key) {
                return Announced::Duplicate;
            }
            state.seen_order.push_back(key);
            while state.seen_order.len() > SEEN_EVENTS {
                if let Some(old) = state.seen_order.pop_front() {
                    state.seen.remove(&old);
                }
            }
            state.pending.insert(bug);
            state.announced.insert(bug);
        }
        self.inner.wake.notify_one();
        Announced::Queued
    }

    /// Whether `bug` is in the poller's snapshot (as of its last run).
    pub fn is_tracked(&self, bug: BugId) -> bool {
        self.state().tracked.contains(&bug)
    }

    /// Bugs queued and not taken yet.
    pub fn pending(&self) -> usize {
        self.state().pending.len()
    }

    /// Asks the daemon loop for a poll cycle now instead of at the end of
    /// its interval (tests, and the benchmark's "next poll").
    pub fn request_poll(&self) {
        self.inner.poll.notify_one();
    }

    /// Triggered runs finished so far.
    pub fn runs(&self) -> u64 {
        *self.inner.runs.borrow()
    }

    /// Waits until `n` triggered runs have finished since the start.
    pub async fn wait_runs(&self, n: u64) {
        let mut runs = self.inner.runs.subscribe();
        // The sender lives in `inner`, which outlives this borrow.
        let _ = runs.wait_for(|done| *done >= n).await;
    }

    /// Every bug queued, now; the queue is empty after.
    pub(crate) fn take(&self) -> BTreeSet<BugId> {
        std::mem::take(&mut self.state().pending)
    }

    /// The bugs announced since the last call (a poll cycle's start).
    pub(crate) fn take_announced(&self) -> BTreeSet<BugId> {
        std::mem::take(&mut self.state().announced)
    }

    /// Records the snapshot's bugs after a run.
    pub(crate) fn set_tracked(&self, bugs: impl IntoIterator<Item = BugId>) {
        self.state().tracked = bugs.into_iter().collect();
    }

    /// Completes when a bug is queued (at once if one was queued while the
    /// loop was busy).
    pub(crate) async fn queued(&self) {
        self.inner.wake.notified().await;
    }

    /// Completes when [`Trigger::request_poll`] was called.
    pub(crate) async fn poll_requested(&self) {
        self.inner.poll.notified().await;
    }

    /// Counts a finished triggered run.
    pub(crate) fn run_finished(&self) {
        self.inner.runs.send_modify(|n| *n += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_coalesce_per_bug_and_a_copy_does_nothing() {
        let trigger = Trigger::new();
        for key in 0..1000 {
            assert_eq!(trigger.announce(BugId(7), key), Announced::Queued);
        }
        assert_eq!(trigger.announce(BugId(7), 3), Announced::Duplicate);
        assert_eq!(trigger.announce(BugId(8), 1000), Announced::Queued);
        assert_eq!(trigger.take(), BTreeSet::from([BugId(7), BugId(8)]));
        assert!(trigger.take().is_empty());
        assert_eq!(trigger.announce(BugId(7), 999), Announced::Duplicate);
        assert_eq!(
            trigger.take_announced(),
            BTreeSet::from([BugId(7), BugId(8)])
        );
        assert!(trigger.take_announced().is_empty());
    }

    #[test]
    fn old_identities_are_forgotten() {
        let trigger = Trigger::new();
        for key in 0..(SEEN_EVENTS as u64 + 1) {
            trigger.announce(BugId(1), key);
        }
        // The first one fell out of the window.
        assert_eq!(trigger.announce(BugId(1), 0), Announced::Queued);
        assert_eq!(trigger.announce(BugId(1), 5), Announced::Duplicate);
    }
}
