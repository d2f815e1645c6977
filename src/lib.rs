//! pushbot: a Bugzilla bot for release ("push") bugs.
//!
//! The crate is laid out along the data flow (see `ARCHITECTURE.md`):
//!
//! - [`config`]: settings from a TOML file and `PUSHBOT__*` environment
//!   variables, validated once at start-up.
//! - [`bugzilla`]: the REST client, its wire types and errors. Bugzilla's JSON
//!   shapes live only here.
//! - [`clock`]: `--now` parsing, local time to UTC (DST-correct), ISO weeks.
//! - [`push`]: a bug and its comments read as a push (`PushBug`), and the
//!   `[push]` settings.
//! - [`rules`]: the rule files and the pure rule engine (`evaluate`).
//! - [`explain`]: the `explain` report and reading bug JSON files.
//! - [`plan`]: the actions the pure core decides on, and the marker line that
//!   makes every bot comment findable in Bugzilla (the ledger).
//! - [`logging`]: tracing set-up (human or JSON) and secret redaction.

pub mod bugzilla;
pub mod clock;
pub mod config;
pub mod explain;
pub mod logging;
pub mod plan;
pub mod push;
pub mod rules;
