//! Everything that speaks Bugzilla's REST dialect (5.x and
//! bugzilla.mozilla.org): wire types, errors, the client and its settings
//! (`[bugzilla]`, `[query]`: [`settings`]). Nothing outside this crate sees
//! Bugzilla's JSON shapes; callers get the typed values of [`types`].
//!
//! Usable by any Rust program that talks to Bugzilla. The client (reqwest,
//! `governor` rate limit, `backon` retries of reads, tokio) sits behind the
//! default-on `client` feature; without it the crate is the wire types,
//! errors and settings only, which is all pushbot's pure core and the
//! sandbox need.
//!
//! Must not: hold pushbot's policy (which bugs are pushes, what to say,
//! when to write: that is `pushbot-core`), retry a write, or log or report
//! a URL with its query or the API key.

#[cfg(feature = "client")]
pub mod client;
pub mod config_error;
pub mod error;
#[cfg(feature = "client")]
mod limit;
#[cfg(feature = "client")]
mod retry;
pub mod settings;
pub mod types;

#[cfg(feature = "client")]
pub use client::{Client, ClientTuning, SearchQuery, SearchResult, BUG_FIELDS};
pub use error::BugzillaError;
pub use settings::{AuthMethod, BugzillaSettings, QuerySettings, Secret};
pub use types::{
    Bug, BugId, BugUpdate, Comment, CommentId, Flag, FlagChange, FlagChangeStatus, FlagStatus,
    FlagType, NewComment, User, MAX_COMMENT_CHARS,
};
