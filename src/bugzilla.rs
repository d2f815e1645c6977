//! Everything that speaks Bugzilla's REST dialect: wire types, errors and the
//! client. Nothing outside this module sees Bugzilla's JSON shapes; callers
//! get the typed values of [`types`].

pub mod client;
pub mod error;
mod limit;
mod retry;
pub mod types;

pub use client::{Client, ClientTuning, SearchQuery, SearchResult, BUG_FIELDS};
pub use error::BugzillaError;
pub use types::{
    Bug, BugId, BugUpdate, Comment, CommentId, Flag, FlagChange, FlagChangeStatus, FlagStatus,
    HistoryEntry, NewComment, User, MAX_COMMENT_CHARS,
};
