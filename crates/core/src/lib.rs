//! pushbot's pure core: what the bot decides, as plain functions of (bugs,
//! comments, memberships, now).
//!
//! - [`clock`]: `--now` parsing, local time to UTC (DST-correct), and the
//!   one ISO week type (`IsoWeekId`). The time is always an argument.
//! - [`push`]: a bug and its comments read as a push (`PushBug`), and the
//!   `[push]` settings.
//! - [`rules`]: the rule files and the pure rule engine (`evaluate`), and
//!   the `[rules]` settings.
//! - [`redact`]: restricted stays restricted: the audience of each place
//!   the bot writes, and the one step that names other bugs for it.
//! - [`commands`]: comment commands (`@pushbot check`, …): the parser, the
//!   authorisation policy, the handlers and the reply texts.
//! - [`plan`]: the actions, the ledger's typed markers, one plan per cycle
//!   (`reconcile`) and one write per bug (`merge`).
//! - [`report`]: the weekly report view model and its renderers (Markdown
//!   summary, JSON, HTML week view, iCalendar feed).
//! - [`explain`]: the `explain` report and reading bug JSON files.
//! - [`snapshot`]: what the planner sees: the tracked bugs and their
//!   comments, and the lookups answered so far.
//! - [`decide`]: the decision step: the `Decider` (rules, command replies,
//!   summary, reconciled into one plan per cycle), the `Plan` trait the
//!   poller calls and the `Memo` it keeps between cycles.
//!
//! Must not: do I/O (even the rule files are read by the bot, which hands
//! their texts to `rules::RuleSet::from_files`), read the clock (chrono's `clock`
//! feature is off here, and `clippy.toml` bans every clock read, so
//! `cargo clippy --workspace -- -D warnings` fails if this crate reads it),
//! or be async. It logs only through the `tracing` facade (the binary
//! installs the subscriber). Its dependency tree holds none of tokio, reqwest, rusqlite,
//! axum or hyper (`.ci/run` checks). It speaks Bugzilla only through the
//! wire types of `pushbot-bugzilla` (without its client).

/// Bugzilla's wire types (the `pushbot-bugzilla` crate without its client).
pub(crate) use pushbot_bugzilla as bugzilla;
/// `ConfigError`, the one settings error, which every section's `validate`
/// returns (defined in `pushbot-bugzilla`, whose sections need it too).
pub use pushbot_bugzilla::config_error;

pub mod clock;
pub mod commands;
pub mod decide;
pub mod explain;
pub mod plan;
pub mod push;
pub mod redact;
pub mod report;
pub mod rules;
pub mod snapshot;
