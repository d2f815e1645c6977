//! pushbot: a Bugzilla bot for release ("push") bugs.
//!
//! The crate is laid out along the data flow (see `ARCHITECTURE.md`):
//!
//! - [`config`]: settings from a TOML file and `PUSHBOT__*` environment
//!   variables, validated once at start-up.
//! - [`bugzilla`]: the REST client, its wire types and errors. Bugzilla's JSON
//!   shapes live only here.
//! - [`plan`]: the actions the pure core decides on, and the marker line that
//!   makes every bot comment findable in Bugzilla (the ledger).
//! - [`logging`]: tracing set-up (human or JSON) and secret redaction.
//! - [`sandbox`]: an in-process Bugzilla 5.2 stand-in for tests and the demo.

pub mod bugzilla;
pub mod config;
pub mod logging;
pub mod plan;
pub mod sandbox;
