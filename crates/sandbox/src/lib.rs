//! An in-process stand-in for a Bugzilla 5.2 server, for end-to-end tests,
//! the demo and trying rules on your own data.
//!
//! It answers the REST subset pushbot uses with the same JSON shapes,
//! status codes and error envelopes as the real server (the recordings in
//! `tests/fixtures/bugzilla-5.2/` are the spec and
//! `tests/sandbox_conformance.rs` replays them), authenticates like stock
//! 5.2 (API key in the query or JSON body; the `X-BUGZILLA-API-KEY` header
//! is ignored), keeps its own clock, and can inject faults.
//!
//! - [`data`]: the data file (users, groups, products, flag types, bugs).
//! - `model`: the live instance and Bugzilla's change rules (pure).
//! - `api`: REST methods → JSON (pure).
//! - `server`: sockets, fault execution, `ETag` / `Date` headers.
//! - [`faults`], [`clock`], `log`: fault plans, the clock, the request log.
//!   Tests wait on the sandbox's events (a request logged, a late write
//!   held), never on a guessed delay: `wait_for_requests`,
//!   `wait_late_writes_accepted`, `land_late_writes`.
//! - [`webhooks`]: BMO-shaped webhook events of every change, POSTed to a
//!   configured URL (`set_webhook`), late, twice, out of order or not at all.
//! - [`guesses`]: the one list of what it does that no recording shows (and
//!   why each is the strict choice).
//!
//! It must not be used as a real Bugzilla: there is no persistence and no
//! access control beyond what the bot's behaviour depends on. It does only
//! what a recording shows; every guess (a case no recording covers) is
//! listed in [`guesses`]. Used by pushbot's tests, benches and its `demo`
//! and `sandbox` commands (behind pushbot's default-on `sandbox` feature),
//! and by nothing else: no code path of the bot itself may reach it.

/// Bugzilla's wire types (the `pushbot-bugzilla` crate without its client).
pub(crate) use pushbot_bugzilla as bugzilla;

pub mod api;
pub mod clock;
pub mod data;
pub mod faults;
pub mod guesses;
mod log;
pub mod model;
mod server;
pub mod webhooks;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use clock::SandboxClock;
pub use data::SandboxData;
pub use faults::{FaultKind, FaultPlan, FaultRule, Landing, LateAnswer, LostAnswer, Trigger};
pub use log::{route_name, LoggedRequest};
pub use model::{ApiError, Bug, Comment, Flag, HistoryEntry};
pub use webhooks::{Delivery, WebhookTarget};

use faults::FaultState;
use server::Shared;

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot read sandbox data file {path}: {source}")]
    ReadData {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("sandbox data file {path} is not valid: {reason}")]
    ParseData { path: String, reason: String },
    #[error("sandbox data is inconsistent: {reason}; fix the data file")]
    InvalidData { reason: String },
    #[error("the sandbox has no group '{group}'; add it to [[groups]] of the data file")]
    UnknownGroup { group: String },
    #[error("cannot listen on {addr}: {source}; pick another --port")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Address to listen on. Default `127.0.0.1:0` (any free port).
    pub addr: SocketAddr,
    /// The sandbox's clock. Default: real time.
    pub clock: SandboxClock,
    /// Faults to inject from the start. Default: none.
    pub faults: FaultPlan,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: SandboxClock::real(),
            faults: FaultPlan::none(),
        }
    }
}

/// Entry point: `Sandbox::start(data, options)`.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Builds the instance from `data` and starts serving it on a task of
    /// the current tokio runtime.
    pub async fn start(
        data: SandboxData,
        options: SandboxOptions,
    ) -> Result<SandboxHandle, SandboxError> {
        let model = model::Model::from_data(data, options.clock.now())?;
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: options.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: options.addr,
            source,
        })?;
        let shared = Arc::new(Shared {
            model: Mutex::new(model),
            clock: options.clock.clone(),
            log: log::RequestLog::default(),
            faults: Mutex::new(FaultState::new(options.faults)),
            late: server::LateWrites::default(),
            webhooks: Arc::default(),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, shared.clone(), stopped));
        Ok(SandboxHandle {
            addr,
            shared,
            stop,
            task,
        })
    }
}

/// A running sandbox. Dropping it also stops the server (without waiting);
/// [`SandboxHandle::shutdown`] waits until it has ended.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// Flipped once to stop accepting and close connections.
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT` (append `/rest/...`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The sandbox clock (to advance or set it).
    pub fn clock(&self) -> &SandboxClock {
        &self.shared.clock
    }

    /// Every request so far, in order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.shared.log.snapshot()
    }

    /// Requests so far per route (`"POST /rest/bug/{id}/comment"` → 2).
    pub fn request_counts(&self) -> BTreeMap<String, usize> {
        self.shared.log.counts()
    }

    /// Requests so far to one route.
    pub fn request_count(&self, route: &str) -> usize {
        self.request_counts().get(route).copied().unwrap_or(0)
    }

    /// Waits until the request log satisfies `done` (checked now and after
    /// every request logged from then on), e.g. until the bot's first
    /// write has arrived: a test waits for the event, not for a guessed
    /// time. It waits as long as that takes; a test that could hang
    /// races it against its own guard (the bot process ending, say).
    pub async fn wait_for_requests(&self, done: impl Fn(&[LoggedRequest]) -> bool) {
        let mut logged = self.shared.log.subscribe();
        while !done(&self.shared.log.snapshot()) {
            // The sender lives in `shared`, which outlives this borrow.
            if logged.changed().await.is_err() {
                return;
            }
        }
    }

    /// Replaces the fault plan (counters restart).
    pub fn set_faults(&self, plan: FaultPlan) {
        *self
            .shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = FaultState::new(plan);
    }

    /// Writes accepted under [`FaultKind::LateWrite`] and not applied yet.
    pub fn late_writes_pending(&self) -> usize {
        *self.shared.late.in_flight.borrow()
    }

    /// Requests accepted under [`FaultKind::LateWrite`] since the start
    /// (applied or not).
    pub fn late_writes_accepted(&self) -> u64 {
        *self.shared.late.accepted.borrow()
    }

    /// Waits until `n` requests have been accepted under
    /// [`FaultKind::LateWrite`] since the start, the last of them logged:
    /// with [`Landing::WhenLanded`] the `n`-th write is then held, its
    /// client waiting, until [`SandboxHandle::land_late_writes`]. A test
    /// kills or stops the bot right then, mid-write by construction. It
    /// waits as long as that takes (see [`SandboxHandle::wait_for_requests`]).
    pub async fn wait_late_writes_accepted(&self, n: u64) {
        let mut accepted = self.shared.late.accepted.subscribe();
        // The sender lives in `shared`, which outlives this borrow.
        let _ = accepted.wait_for(|count| *count >= n).await;
    }

    /// Waits until no write accepted under [`FaultKind::LateWrite`] is
    /// waiting any more, without landing them: for writes that land by
    /// themselves ([`Landing::AfterMillis`], [`Landing::BeforeNextRequest`]).
    pub async fn wait_late_writes_landed(&self) {
        let mut in_flight = self.shared.late.in_flight.subscribe();
        let _ = in_flight.wait_for(|n| *n == 0).await;
    }

    /// Applies every write held by [`FaultKind::LateWrite`] now, without
    /// waiting out its delay, and returns once all of them are applied
    /// (at once if there are none). Lets a test make a late write land at
    /// a chosen point, e.g. after the bot's re-read, with no timing.
    pub async fn land_late_writes(&self) {
        self.shared.late.release.send_modify(|round| *round += 1);
        let mut in_flight = self.shared.late.in_flight.subscribe();
        // The sender lives in `shared`, which outlives this borrow.
        let _ = in_flight.wait_for(|n| *n == 0).await;
    }

    fn with_model<T>(&self, f: impl FnOnce(&mut model::Model) -> T) -> T {
        let mut model = self
            .shared
            .model
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut model)
    }

    /// A copy of the bug with its comments, flags and history.
    pub fn bug(&self, id: u64) -> Option<Bug> {
        self.with_model(|m| m.bugs.get(&id).cloned())
    }

    /// The bug's comments (empty if there is no such bug).
    pub fn comments(&self, id: u64) -> Vec<Comment> {
        self.bug(id).map(|b| b.comments).unwrap_or_default()
    }

    /// The bug's flags (empty if there is no such bug).
    pub fn flags(&self, id: u64) -> Vec<Flag> {
        self.bug(id).map(|b| b.flags).unwrap_or_default()
    }

    /// The API key of a user, to configure a client with.
    pub fn api_key(&self, login: &str) -> Option<String> {
        self.with_model(|m| m.user(login).and_then(|u| u.api_key.clone()))
    }

    /// Logins and API keys of every user that has one.
    pub fn api_keys(&self) -> Vec<(String, String)> {
        self.with_model(|m| {
            m.users
                .iter()
                .filter_map(|u| u.api_key.clone().map(|k| (u.login.clone(), k)))
                .collect()
        })
    }

    /// Adds a comment as `login` (a person talking to the bot); returns
    /// the comment id.
    pub fn add_comment(&self, bug: u64, login: &str, text: &str) -> Result<u64, ApiError> {
        self.as_user(login, |m, user, now| {
            m.add_comment(user, bug, text, false, now)
        })
    }

    /// Adds a private comment as `login`, who must be in the instance's
    /// insider group (only that group sees it); returns the comment id.
    pub fn add_private_comment(&self, bug: u64, login: &str, text: &str) -> Result<u64, ApiError> {
        self.as_user(login, |m, user, now| {
            m.add_comment(user, bug, text, true, now)
        })
    }

    /// Changes a bug as `login`, with a `PUT /rest/bug/ID` body (e.g.
    /// `{"flags": [{"name": "qa-signoff", "status": "+"}]}`); returns the
    /// list of changed field names.
    pub fn update_bug(&self, bug: u64, login: &str, body: &Value) -> Result<Vec<String>, ApiError> {
        self.as_user(login, |m, user, now| {
            let outcome = m.update_bug(user, bug, body, now)?;
            Ok(outcome.changes.into_iter().map(|c| c.field_name).collect())
        })
    }

    /// Sets the instance's `insidergroup` parameter, as an administrator
    /// does in 5.2's parameters page (no REST call exists for it): members
    /// of `group` may mark comments private and see them; `None`, nobody
    /// may (the stock default). The session 4 replay sets it between calls
    /// 158 and 159, as the recording did.
    pub fn set_insider_group(&self, group: Option<&str>) -> Result<(), SandboxError> {
        self.with_model(|m| m.set_insider_group(group))
    }

    /// Files a bug as `login`, with a `POST /rest/bug` body; returns its id.
    pub fn create_bug(&self, login: &str, body: &Value) -> Result<u64, ApiError> {
        self.as_user(login, |m, user, now| m.create_bug(user, body, now))
    }

    /// Runs `f` on the model as the account `login`, at the sandbox's
    /// "now": what a person's change through the handle shares.
    fn as_user<T>(
        &self,
        login: &str,
        f: impl FnOnce(&mut model::Model, &model::User, DateTime<Utc>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let now = self.shared.clock.now();
        self.with_model(|m| {
            let user = m
                .user(login)
                .cloned()
                .ok_or_else(|| ApiError::no_such_user(login))?;
            let done = f(m, &user, now);
            self.shared.webhooks.observe(m, now);
            done
        })
    }

    /// Sends a webhook event for every change from now on (bugs created or
    /// changed, comments added, by anyone) to `target`, as
    /// bugzilla.mozilla.org does (see [`webhooks`]); `None` stops. Sending
    /// runs on a task of the current tokio runtime.
    pub fn set_webhook(&self, target: Option<WebhookTarget>) {
        let hooks = Arc::clone(&self.shared.webhooks);
        self.with_model(|m| hooks.configure(target, m));
    }

    /// Webhook events queued since [`SandboxHandle::set_webhook`] (copies
    /// and drops of the delivery mode not counted).
    pub fn webhook_events(&self) -> u64 {
        self.shared.webhooks.emitted()
    }

    /// The status of every webhook POST the endpoint answered, in order (0:
    /// no answer).
    pub fn webhook_answers(&self) -> Vec<u16> {
        self.shared.webhooks.answers()
    }

    /// Waits until every webhook event queued so far is sent (and
    /// answered) or dropped by the delivery mode.
    pub async fn wait_webhooks_idle(&self) {
        self.shared.webhooks.wait_idle().await;
    }

    /// Waits until `n` webhook POSTs have been answered since the start.
    pub async fn wait_webhook_posts(&self, n: u64) {
        self.shared.webhooks.wait_posts(n).await;
    }

    /// Stops accepting, lets open requests finish, and waits for the
    /// server to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
