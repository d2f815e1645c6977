//! The REST client: one `reqwest` client with the key in the right place, a
//! rate limit, retries for reads, and no blind retries for writes.
//!
//! INTERFACE DRAFT: signatures are fixed for the other modules to build on;
//! the bodies are being written (issue 2).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::types::{Bug, BugId, BugUpdate, Comment, CommentId, HistoryEntry, NewComment, User};
use super::BugzillaError;
use crate::config::Settings;

/// The search that selects bugs: criteria, fields, and an optional
/// `last_change_time` lower bound (inclusive, one-second precision).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub product: Vec<String>,
    pub component: Vec<String>,
    pub keywords: Vec<String>,
    pub whiteboard: Option<String>,
    /// e.g. `__open__`; empty for any status.
    pub status: String,
    /// Raw parameters added as they are.
    pub params: BTreeMap<String, String>,
    /// Fields to return; empty for the server's defaults.
    pub include_fields: Vec<String>,
    /// Only bugs changed at or after this time.
    pub changed_since: Option<DateTime<Utc>>,
}

/// The result of a search, every page fetched.
#[derive(Debug, Clone, Default)]
pub struct SearchResult {
    pub bugs: Vec<Bug>,
    /// Bugs that came back but could not be read, with the reason; they are
    /// logged and skipped, never fatal.
    pub skipped: Vec<(Option<BugId>, String)>,
    /// The server's clock (from the first page's `Date` header), for the
    /// polling watermark.
    pub server_time: Option<DateTime<Utc>>,
}

/// A Bugzilla REST client.
#[derive(Debug, Clone)]
pub struct Client {}

impl Client {
    /// Builds a client from validated settings. Makes no request.
    pub fn new(_settings: &Settings) -> Result<Client, BugzillaError> {
        todo!()
    }

    /// `GET /version`.
    pub async fn version(&self) -> Result<String, BugzillaError> {
        todo!()
    }

    /// Proves the key works and belongs to `bugzilla.bot_login`; returns the
    /// bot's user record.
    pub async fn verify_login(&self) -> Result<User, BugzillaError> {
        todo!()
    }

    /// Pages through a search until exhausted.
    pub async fn search(&self, _query: &SearchQuery) -> Result<SearchResult, BugzillaError> {
        todo!()
    }

    /// Full bugs by id, batched under the URL limit; invisible or missing
    /// ids are left out.
    pub async fn get_bugs(&self, _ids: &[BugId]) -> Result<SearchResult, BugzillaError> {
        todo!()
    }

    /// Comments of many bugs, newer than `new_since` (strict), one request
    /// per batch.
    pub async fn comments(
        &self,
        _ids: &[BugId],
        _new_since: Option<DateTime<Utc>>,
    ) -> Result<BTreeMap<BugId, Vec<Comment>>, BugzillaError> {
        todo!()
    }

    /// Posts a comment; never retried (see `BugzillaError::OutcomeUnknown`).
    pub async fn post_comment(
        &self,
        _bug: BugId,
        _comment: &NewComment,
    ) -> Result<CommentId, BugzillaError> {
        todo!()
    }

    /// Updates flags and fields of a bug; never retried.
    pub async fn update_bug(&self, _bug: BugId, _update: &BugUpdate) -> Result<(), BugzillaError> {
        todo!()
    }

    /// Users by login.
    pub async fn users(&self, _logins: &[String]) -> Result<Vec<User>, BugzillaError> {
        todo!()
    }

    /// Whether `login` is in `group`, asked the way that works for a bot
    /// that is not an admin (`/user?names=LOGIN&groups=GROUP`).
    pub async fn is_member(&self, _login: &str, _group: &str) -> Result<bool, BugzillaError> {
        todo!()
    }

    /// A bug's history, newer than `new_since` (strict).
    pub async fn history(
        &self,
        _bug: BugId,
        _new_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<HistoryEntry>, BugzillaError> {
        todo!()
    }

    /// Requests made so far (for metrics and "requests per cycle").
    pub fn request_count(&self) -> u64 {
        todo!()
    }
}
