//! What can go wrong talking to Bugzilla, typed so that callers can branch:
//! retry a read, wait out a block, re-read after a write of unknown outcome,
//! or give up and tell a person what to fix.
//!
//! No variant ever holds the API key: URLs are stored without their query
//! string (where `api_key` travels on stock Bugzilla 5.x).

use std::time::Duration;

use thiserror::Error;

/// Bugzilla's numeric error codes that the bot branches on (REST.md §8).
pub mod code {
    /// Invalid value for a parameter (also "no such flag type or user").
    pub const INVALID_PARAMETER: i64 = 51;
    /// Invalid bug id or alias.
    pub const INVALID_BUG_ID: i64 = 100;
    /// The bug does not exist.
    pub const BUG_NOT_FOUND: i64 = 101;
    /// The bug exists but the caller may not see it.
    pub const ACCESS_DENIED: i64 = 102;
    /// The API key is invalid or revoked.
    pub const API_KEY_INVALID: i64 = 306;
    /// The method does not exist on this server (e.g. `whoami` on 5.2).
    pub const UNKNOWN_METHOD: i64 = 32614;
}

/// An error from the Bugzilla client.
#[derive(Debug, Error)]
pub enum BugzillaError {
    /// Bugzilla answered with its JSON error envelope
    /// (`{"error": true, "code": …, "message": …}`).
    #[error("Bugzilla refused {what} (HTTP {status}, code {code}): {message}")]
    Api {
        what: String,
        status: u16,
        code: i64,
        message: String,
    },
    /// The API key was rejected (code 306). Never retried: on
    /// bugzilla.mozilla.org five mismatches a minute block the IP for an hour.
    #[error("Bugzilla rejected the API key (code 306) on {what}: check `bugzilla.api_key` (or `bugzilla.api_key_file`) and that the key is not revoked")]
    BadApiKey { what: String },
    /// The server answered something that is not what the call expects
    /// (HTML, an empty body, truncated or malformed JSON).
    #[error("Bugzilla sent an unexpected answer to {what} (HTTP {status}): {reason}")]
    Unexpected {
        what: String,
        status: u16,
        reason: String,
    },
    /// Connection refused or reset, DNS failure, timeout (reads only: a
    /// write that fails this way is [`BugzillaError::OutcomeUnknown`]).
    #[error("could not reach Bugzilla for {what}: {reason}")]
    Transport { what: String, reason: String },
    /// The server asked us to slow down and said for how long.
    #[error("Bugzilla rate-limited {what}; retry after {retry_after:?}")]
    RateLimited { what: String, retry_after: Duration },
    /// A 429 without `Retry-After` (bugzilla.mozilla.org's IP block): every
    /// request is held back for the configured block period, because each
    /// request made while blocked re-arms the block.
    #[error("Bugzilla blocked this client (HTTP 429 on {what}); all requests are paused for {remaining:?}. Lower `bugzilla.rate_limit_per_minute` or poll less often")]
    Blocked { what: String, remaining: Duration },
    /// A POST or PUT whose response was lost (timeout, reset, 5xx): it may or
    /// may not have taken effect. Callers re-read the bug and look for the
    /// action's marker before trying again; the client never retries it.
    #[error("the outcome of {what} is unknown ({reason}); re-read the bug before trying again")]
    OutcomeUnknown { what: String, reason: String },
    /// The key works but does not act as `bugzilla.bot_login` (another
    /// account, or the server ignored the key and answered anonymously).
    /// The reason says which setting to change.
    #[error("cannot act as the bot account: {reason}")]
    Login { reason: String },
}

impl BugzillaError {
    /// The Bugzilla error code, if the server sent one.
    pub fn code(&self) -> Option<i64> {
        match self {
            BugzillaError::Api { code, .. } => Some(*code),
            BugzillaError::BadApiKey { .. } => Some(code::API_KEY_INVALID),
            _ => None,
        }
    }

    /// Whether repeating the same read later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            BugzillaError::Transport { .. } | BugzillaError::RateLimited { .. } => true,
            BugzillaError::Unexpected { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
