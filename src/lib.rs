//! pushbot: a Bugzilla bot for release ("push") bugs.
//!
//! The workspace is laid out along the data flow (see `ARCHITECTURE.md`):
//! the pure core is the crate `pushbot-core` (push model, rules, commands,
//! plan, reports, clock, redact, explain, snapshot, decide), Bugzilla's REST types and client
//! are `pushbot-bugzilla`, the Bugzilla 5.2 stand-in is `pushbot-sandbox`
//! (behind the default-on `sandbox` feature). This crate is the running bot
//! (poller, executor, store, web, command line) and re-exports the others
//! under their module paths (`pushbot::rules`, `pushbot::bugzilla`, …):
//!
//! - [`config`]: settings from a TOML file and `PUSHBOT__*` environment
//!   variables, validated once at start-up: it assembles the sections, each
//!   defined beside the code it configures where that is one module.
//! - [`config_error`]: `ConfigError`, the one settings error (a leaf, so no
//!   section depends on `config`).
//! - [`bugzilla`]: the REST client, its wire types and errors, and the
//!   `[bugzilla]`/`[query]` settings. Bugzilla's JSON shapes live only here.
//! - [`clock`]: `--now` parsing, local time to UTC (DST-correct), and the
//!   one ISO week type (`IsoWeekId`).
//! - [`push`]: a bug and its comments read as a push (`PushBug`), and the
//!   `[push]` settings.
//! - [`rules`]: the rule files' format and the pure rule engine
//!   (`evaluate`).
//! - [`rule_files`]: reading the rule directory (`load`, `load_all`); the
//!   core parses the texts.
//! - [`redact`]: restricted stays restricted: the audience of each place
//!   the bot writes, and the one step that names other bugs for it (a bug
//!   in a security group becomes "1 restricted push"). Pure.
//! - [`explain`]: the `explain` report and reading bug JSON files.
//! - [`plan`]: the actions the pure core decides on, and the marker line that
//!   makes every bot comment findable in Bugzilla (the ledger).
//! - [`commands`]: comment commands (`@pushbot check`, …): the parser, the
//!   authorisation policy and the reply texts. Pure.
//! - [`snapshot`]: what the planner sees: the tracked bugs, their comments
//!   and the lookups answered so far. Pure data.
//! - [`decide`]: the `Decider`: one reconciled plan per cycle from the
//!   snapshot and the time (rules, command replies, the weekly summary),
//!   the `Plan` protocol the poller calls and the `Memo` it keeps. Pure.
//! - [`execute`]: applies planned actions through the client: marker check,
//!   write cap, dry-run, no blind retry of writes; records them in the store.
//! - [`poll`]: the cycle: incremental polling into an in-memory snapshot of
//!   open push bugs and those shipped lately (they still count), planning on
//!   all of it, executing, saving the watermark; the daemon loop.
//! - [`metrics`]: every counter of the process in one type (the poller's
//!   cycles, the web server's requests and connections) and their
//!   Prometheus text exposition for `/metrics`.
//! - [`store`]: the state (watermark, action log, cycles) in a local
//!   SQLite file or a PostgreSQL database shared by replicas: history and
//!   speed, never the ledger.
//! - [`lease`]: replicas on PostgreSQL: the advisory-lock lease that lets
//!   one of them write, confirmed before every write (docs/ha.md).
//! - [`bot`]: wiring: settings and rules into the core's `Decider` and a
//!   started poller (start-up proves the API key).
//! - [`demo`]: `pushbot demo`: the bot against the sandbox, seeded with
//!   the seed meeting's week.
//! - [`logging`]: tracing set-up (human or JSON) and secret redaction.
//! - [`report`]: the weekly report view model and its renderers (Markdown
//!   summary, JSON, HTML week view, iCalendar feed). Pure.
//! - [`web`]: the axum server for the week view, the feeds, `/healthz` and
//!   `/metrics`, and its `[web]` settings.
//! - [`live`]: feeds the web server from the poller after every cycle
//!   (week reports, cycle status).
//! - [`webhook`]: Bugzilla's webhook events as the trigger of a run
//!   (`POST /bugzilla/webhook` on its own address, shared secret), polling
//!   as the safety net; `[webhook]` settings.
//! - [`sandbox`]: an in-process Bugzilla 5.2 stand-in for tests and the demo.

// The crates of the workspace, under the paths they had as modules of
// this crate (tests, benches and the command line use them).
pub use pushbot_bugzilla as bugzilla;
pub use pushbot_core::{
    clock, commands, config_error, decide, explain, plan, push, redact, report, rules, snapshot,
};
#[cfg(feature = "sandbox")]
pub use pushbot_sandbox as sandbox;

pub mod bot;
pub mod config;
#[cfg(feature = "sandbox")]
pub mod demo;
pub mod execute;
pub mod lease;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod poll;
pub mod rule_files;
pub mod store;
pub mod web;
pub mod webhook;
