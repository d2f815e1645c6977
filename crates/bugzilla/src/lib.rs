//! Everything that speaks Bugzilla's REST dialect: wire types, errors, the
//! client and its settings (`[bugzilla]`, `[query]`: [`settings`]). Nothing
//! outside this module sees Bugzilla's JSON shapes; callers get the typed
//! values of [`types`].

pub mod client;
pub mod error;
mod limit;
mod retry;
pub mod settings;
pub mod types;

pub use client::{Client, ClientTuning, SearchQuery, SearchResult, BUG_FIELDS};
pub use error::BugzillaError;
pub use settings::{AuthMethod, BugzillaSettings, QuerySettings, Secret};
pub use types::{
    Bug, BugId, BugUpdate, Comment, CommentId, Flag, FlagChange, FlagChangeStatus, FlagStatus,
    FlagType, NewComment, User, MAX_COMMENT_CHARS,
};
