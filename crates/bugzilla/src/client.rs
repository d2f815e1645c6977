//! The REST client: one `reqwest` client with the key in the right place, a
//! rate limit, retries for reads, and no blind retries for writes.
//!
//! Owns every HTTP request pushbot makes to Bugzilla and turns Bugzilla's
//! JSON shapes into [`super::types`]. It must not decide anything about push
//! bugs, and it must never put the API key into a log line, an error or a
//! `Debug` string: URLs are logged and reported by path only, reqwest errors
//! are stripped of their URL, and server text is scrubbed of the key.
//!
//! Flavours: stock Bugzilla 5.x and bugzilla.mozilla.org (BMO) both work.
//! BMO-only features (`/whoami`, markdown comments) are used when the server
//! shows it has them, never assumed.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::Retryable;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, DATE, RETRY_AFTER, USER_AGENT};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use super::error::code;
use super::limit::Pacer;
use super::retry::{self, parse_retry_after, Again};
use super::settings::{AuthMethod, BugzillaSettings, QuerySettings, Secret};
use super::types::{Bug, BugId, BugUpdate, Comment, CommentId, FlagType, NewComment, User};
use super::BugzillaError;

/// Sent with every request so that server admins can tell who is calling.
pub const USER_AGENT_VALUE: &str = concat!(
    "pushbot/",
    env!("CARGO_PKG_VERSION"),
    " (Bugzilla push-bug bot)"
);

/// The header BMO reads the key from (stock 5.2 ignores it).
const API_KEY_HEADER: &str = "X-BUGZILLA-API-KEY";

/// Request targets must stay under bugzilla.mozilla.org's 8 KiB Varnish
/// limit (over it BMO answers 414, or 200 with its home page).
pub const DEFAULT_MAX_URL_LEN: usize = 8000;

/// Bugs per search page. Stock Bugzilla has no cap by default; BMO caps a
/// search at 10,000 results.
pub const DEFAULT_PAGE_SIZE: u32 = 500;

/// Ids per batch, whatever their length (BMO's general.rst: "about 1,000
/// ids" fit in 8 KiB; stock 5.2 took 1,000 repeated `ids`, recording 157).
const MAX_IDS_PER_BATCH: usize = 1000;

/// Batched reads of one call in flight at once (comment batches, bug
/// batches). Each request still waits for the rate limit, so this only
/// overlaps the server's work on independent batches; results are merged
/// by bug id, so the answer does not depend on which finishes first.
const READ_CONCURRENCY: usize = 4;

/// The fields every read of bugs asks for: the server's defaults plus
/// BMO's `triage_owner`, an `_extra` field it sends only when named (the
/// `no_owner` nag addresses that person). Stock 5.x ignores names it does
/// not know, so the same request serves both, at no extra request.
pub const BUG_FIELDS: &[&str] = &["_default", "triage_owner"];

/// The search that selects bugs: criteria, fields, and an optional
/// `last_change_time` lower bound (inclusive, one-second precision).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// `product=` (repeated: any of them).
    pub product: Vec<String>,
    /// `component=` (repeated: any of them).
    pub component: Vec<String>,
    /// `keywords=a,b`: all of them (Bugzilla's default `allwords`).
    pub keywords: Vec<String>,
    /// `whiteboard=`: a substring of the status whiteboard.
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

impl SearchQuery {
    /// The push-bug search of `[query]`: its criteria, [`BUG_FIELDS`], no
    /// time bound. One place, so that the poller and `explain` select the
    /// same bugs.
    pub fn from_settings(q: &QuerySettings) -> SearchQuery {
        SearchQuery {
            product: q.product.clone(),
            component: q.component.clone(),
            keywords: q.keywords.clone(),
            whiteboard: q.whiteboard.clone(),
            status: q.status.clone(),
            params: q.params.clone(),
            include_fields: BUG_FIELDS.iter().map(|f| f.to_string()).collect(),
            changed_since: None,
        }
    }

    /// The search's query parameters, without paging.
    fn to_params(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        for product in &self.product {
            params.push(("product".to_string(), product.clone()));
        }
        for component in &self.component {
            params.push(("component".to_string(), component.clone()));
        }
        if !self.keywords.is_empty() {
            // Bugzilla's default keywords_type is `allwords`: all must be set.
            params.push(("keywords".to_string(), self.keywords.join(",")));
        }
        if let Some(whiteboard) = &self.whiteboard {
            params.push(("whiteboard".to_string(), whiteboard.clone()));
        }
        if !self.status.is_empty() {
            params.push(("status".to_string(), self.status.clone()));
        }
        for (key, value) in &self.params {
            params.push((key.clone(), value.clone()));
        }
        if !self.include_fields.is_empty() {
            let mut fields = self.include_fields.clone();
            // Without `id` a bug cannot be read at all (`_default` and
            // `_all` hold it).
            if !fields
                .iter()
                .any(|f| f == "id" || f == "_default" || f == "_all")
            {
                fields.insert(0, "id".to_string());
            }
            params.push(("include_fields".to_string(), fields.join(",")));
        }
        if let Some(since) = self.changed_since {
            params.push(("last_change_time".to_string(), bugzilla_time(since)));
        }
        params
    }
}

/// The result of a search, every page fetched.
#[derive(Debug, Clone, Default)]
pub struct SearchResult {
    /// The bugs that parsed, in the server's order, each id once.
    pub bugs: Vec<Bug>,
    /// Bugs that came back but could not be read, with the reason; they are
    /// logged and skipped, never fatal.
    pub skipped: Vec<(Option<BugId>, String)>,
    /// The server's clock (from the first page's `Date` header), for the
    /// polling watermark.
    pub server_time: Option<DateTime<Utc>>,
}

/// The client's knobs. Production code gets them from the settings
/// ([`ClientTuning::from_settings`]); tests shrink the waits to milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientTuning {
    /// Per-request timeout (`bugzilla.timeout_secs`, default 30 s).
    pub timeout: Duration,
    /// Retries of a failed read (`bugzilla.max_retries`, default 4).
    pub max_retries: u32,
    /// First back-off wait; doubles per retry, with jitter. Default 1 s.
    pub backoff_base: Duration,
    /// Longest back-off wait. Default 60 s.
    pub backoff_cap: Duration,
    /// Longest `Retry-After` the client waits out inside one call; a longer
    /// one is returned as [`BugzillaError::RateLimited`]. Default 120 s.
    pub retry_after_cap: Duration,
    /// How long every request is refused after a 429 without `Retry-After`
    /// (`bugzilla.block_minutes`, default 65 minutes).
    pub block: Duration,
    /// Requests per minute (`bugzilla.rate_limit_per_minute`, default 60).
    pub rate_limit_per_minute: u32,
    /// Bugs per search page. Default [`DEFAULT_PAGE_SIZE`].
    pub page_size: u32,
    /// Longest request URL, API key included. Default
    /// [`DEFAULT_MAX_URL_LEN`].
    pub max_url_len: usize,
    /// Send `is_markdown` with comments: `Some(true)`/`Some(false)` forces
    /// it; `None` (default) sends it only once [`Client::verify_login`] has
    /// found a server with `/whoami` (bugzilla.mozilla.org, whose comments
    /// support markdown). Stock 5.x has neither.
    pub markdown: Option<bool>,
}

impl ClientTuning {
    /// The production values, from `[bugzilla]`.
    pub fn from_settings(settings: &impl AsRef<BugzillaSettings>) -> ClientTuning {
        let b = settings.as_ref();
        ClientTuning {
            timeout: Duration::from_secs(b.timeout_secs),
            max_retries: b.max_retries,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            retry_after_cap: Duration::from_secs(120),
            block: Duration::from_secs(b.block_minutes.saturating_mul(60)),
            rate_limit_per_minute: b.rate_limit_per_minute,
            page_size: DEFAULT_PAGE_SIZE,
            max_url_len: DEFAULT_MAX_URL_LEN,
            markdown: None,
        }
    }
}

/// A Bugzilla REST client. Cheap to clone: clones share the connection
/// pool, the rate limit, the block and the request count.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `bugzilla.url` + `bugzilla.rest_path`, e.g. `https://host/rest`.
    base: Url,
    auth: AuthMethod,
    key: Secret,
    bot_login: String,
    tuning: ClientTuning,
    pacer: Pacer,
    /// Every request sent (retries included), for metrics.
    requests: AtomicU64,
    /// Set when `/whoami` answered: a BMO-style server with markdown.
    has_whoami: AtomicBool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base.as_str())
            .field("auth", &self.inner.auth)
            .field("key", &self.inner.key)
            .field("bot_login", &self.inner.bot_login)
            .field("requests", &self.request_count())
            .finish()
    }
}

/// One HTTP exchange that produced a status and a body.
struct Reply {
    status: u16,
    retry_after: Option<Duration>,
    date: Option<DateTime<Utc>>,
    body: Vec<u8>,
}

/// A read that failed: the error it ends with if it is not tried again.
struct FailedRead {
    error: BugzillaError,
    again: Again,
}

impl FailedRead {
    /// A failure that another try would not change.
    fn last(error: BugzillaError) -> FailedRead {
        FailedRead {
            error,
            again: Again::No,
        }
    }
}

/// What one attempt gave: an answer, or a lost exchange (connection error,
/// timeout, unreadable body) with a key-free reason.
enum Attempt {
    Reply(Reply),
    Lost(String),
}

#[derive(Deserialize)]
struct BugList {
    bugs: Vec<Value>,
}

#[derive(Deserialize)]
struct CommentsReply {
    bugs: BTreeMap<String, BugComments>,
}

#[derive(Deserialize)]
struct BugComments {
    #[serde(default)]
    comments: Vec<Value>,
}

#[derive(Deserialize)]
struct NewCommentReply {
    id: CommentId,
}

#[derive(Deserialize)]
struct FlagTypeList {
    #[serde(default)]
    bug: Vec<FlagType>,
}

#[derive(Deserialize)]
struct UserList {
    users: Vec<Value>,
}

#[derive(Deserialize)]
struct VersionReply {
    version: String,
}

#[derive(Deserialize)]
struct BoolResult {
    result: bool,
}

impl Client {
    /// Builds a client from the validated `[bugzilla]` section (or the
    /// whole `config::Settings`, which holds it). Makes no request.
    pub fn new(settings: &impl AsRef<BugzillaSettings>) -> Result<Client, BugzillaError> {
        Client::with_tuning(settings, ClientTuning::from_settings(settings))
    }

    /// Builds a client with explicit knobs (tests use millisecond waits).
    pub fn with_tuning(
        settings: &impl AsRef<BugzillaSettings>,
        tuning: ClientTuning,
    ) -> Result<Client, BugzillaError> {
        let settings = settings.as_ref();
        let setup = |reason: String| BugzillaError::Unexpected {
            what: "client set-up".to_string(),
            status: 0,
            reason,
        };
        let base = settings
            .rest_base()
            .map_err(|e| setup(format!("{e}; fix `bugzilla.url` / `bugzilla.rest_path`")))?;
        let key = match &settings.api_key {
            Some(key) if !key.is_empty() => key.clone(),
            _ => {
                return Err(setup(
                    "no API key; set `bugzilla.api_key_file` or PUSHBOT__BUGZILLA__API_KEY"
                        .to_string(),
                ))
            }
        };
        // Redirects are never followed: the key travels in the query or a
        // custom header, which reqwest would carry to wherever a `Location`
        // points (another host included). A REST endpoint that redirects
        // means `bugzilla.url` is not the address Bugzilla answers at.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(tuning.timeout)
            .connect_timeout(tuning.timeout)
            .build()
            .map_err(|e| setup(format!("cannot build the HTTP client: {}", describe(e))))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                auth: settings.auth,
                key,
                bot_login: settings.bot_login.trim().to_string(),
                pacer: Pacer::new(tuning.rate_limit_per_minute),
                tuning,
                requests: AtomicU64::new(0),
                has_whoami: AtomicBool::new(false),
            }),
        })
    }

    /// `GET /version`.
    pub async fn version(&self) -> Result<String, BugzillaError> {
        let url = self.url("/version", &[]);
        let reply: VersionReply = self.get(&url).await?;
        Ok(reply.version)
    }

    /// Proves the key works and belongs to `bugzilla.bot_login`; returns the
    /// bot's user record.
    ///
    /// BMO: `GET /whoami`. Stock 5.x has no whoami (404, code 32614), so:
    /// `GET /user?names=BOT` and `GET /valid_login?login=BOT`. Stock 5.2
    /// silently ignores the `X-BUGZILLA-API-KEY` header and answers as an
    /// anonymous caller; that shows as `valid_login` false together with the
    /// logged-out user shape (no `email`, `can_login` or `groups`, which a
    /// user always sees on their own record), and is reported with the fix:
    /// `bugzilla.auth = "query"`.
    pub async fn verify_login(&self) -> Result<User, BugzillaError> {
        let bot = self.inner.bot_login.clone();
        let whoami_url = self.url("/whoami", &[]);
        match self.get::<User>(&whoami_url).await {
            Ok(user) => {
                self.inner.has_whoami.store(true, Ordering::Relaxed);
                if !user.name.eq_ignore_ascii_case(&bot) {
                    return Err(BugzillaError::Login {
                        reason: format!(
                            "the API key belongs to `{}`, not to `bugzilla.bot_login` = `{bot}`; use the bot account's key or fix `bugzilla.bot_login`",
                            user.name
                        ),
                    });
                }
                return Ok(user);
            }
            // Stock 5.x: 404 with code 32614; a bare 404 from a proxy in
            // front of it means the same.
            Err(err)
                if err.code() == Some(code::UNKNOWN_METHOD)
                    || matches!(err, BugzillaError::Unexpected { status: 404, .. }) =>
            {
                tracing::debug!(
                    "no /whoami on this server (stock Bugzilla); using /user and /valid_login"
                );
            }
            Err(err) => return Err(err),
        }

        let no_account = || BugzillaError::Login {
            reason: format!("Bugzilla has no account `{bot}`; fix `bugzilla.bot_login`"),
        };
        // Stock 5.2 answers an unknown login with 404/51 (recordings 129,
        // 140), not with an empty list.
        let users = match self.users(std::slice::from_ref(&bot)).await {
            Ok(users) => users,
            Err(e) if e.code() == Some(super::error::code::INVALID_PARAMETER) => {
                return Err(no_account())
            }
            Err(e) => return Err(e),
        };
        let user = users
            .into_iter()
            .find(|u| u.name.eq_ignore_ascii_case(&bot))
            .ok_or_else(no_account)?;
        let valid_url = self.url("/valid_login", &[("login".to_string(), bot.clone())]);
        let valid: BoolResult = self.get(&valid_url).await?;
        if valid.result {
            return Ok(user);
        }
        let anonymous_shape = user.email.is_none() && user.can_login.is_none();
        let reason = match (anonymous_shape, self.inner.auth) {
            (true, AuthMethod::Header | AuthMethod::Bearer) => format!(
                "the server ignored the API key sent as {} and answered as an anonymous user (stock Bugzilla 5.x reads the key only from the query string); set `bugzilla.auth = \"query\"`",
                match self.inner.auth {
                    AuthMethod::Bearer => "`Authorization: Bearer`",
                    _ => "the X-BUGZILLA-API-KEY header",
                }
            ),
            (true, AuthMethod::Query) => format!(
                "the server answered as an anonymous user although the key was sent as `api_key`; check `bugzilla.rest_path` and that `{bot}` owns the key"
            ),
            (false, _) => format!(
                "the API key does not belong to `bugzilla.bot_login` = `{bot}`; use the bot account's key or fix `bugzilla.bot_login`"
            ),
        };
        Err(BugzillaError::Login { reason })
    }

    /// Whether `query` finds at least one bug the key may see: one search
    /// with `limit=1` and only ids (recording 144), for `pushbot doctor`.
    pub async fn finds_any(&self, query: &SearchQuery) -> Result<bool, BugzillaError> {
        let mut params = query.to_params();
        params.retain(|(k, _)| k != "include_fields");
        params.push(("limit".to_string(), "1".to_string()));
        params.push(("include_fields".to_string(), "id".to_string()));
        let url = self.url("/bug", &params);
        let page: BugList = self.get(&url).await?;
        Ok(!page.bugs.is_empty())
    }

    /// The bug flag types of a product's component (`GET
    /// /flag_type/PRODUCT/COMPONENT`, recording 134); an unknown or
    /// invisible product is 401/106 (135).
    pub async fn flag_types(
        &self,
        product: &str,
        component: &str,
    ) -> Result<Vec<FlagType>, BugzillaError> {
        let url = self.url_segments(&["flag_type", product, component], &[]);
        let list: FlagTypeList = self.get(&url).await?;
        Ok(list.bug)
    }

    /// The account's webhooks (`GET /webhooks/list`, BMO's Webhooks
    /// extension); `None` where the server has no such route (stock 5.x:
    /// 404/32614, recording 142).
    pub async fn webhooks(&self) -> Result<Option<Vec<Value>>, BugzillaError> {
        let url = self.url("/webhooks/list", &[]);
        match self.get::<Value>(&url).await {
            Ok(body) => Ok(Some(
                body.get("webhooks")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            )),
            Err(BugzillaError::Api { code: 32614, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Pages through a search until exhausted (`limit`/`offset`,
    /// `order=bug_id`, until a page is shorter than the page size).
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResult, BugzillaError> {
        let base_params = query.to_params();
        let page_size = self.inner.tuning.page_size.max(1);
        let mut result = SearchResult::default();
        let mut seen = HashSet::new();
        let mut offset: u64 = 0;
        loop {
            let mut params = base_params.clone();
            params.push(("limit".to_string(), page_size.to_string()));
            params.push(("offset".to_string(), offset.to_string()));
            params.push(("order".to_string(), "bug_id".to_string()));
            let url = self.url("/bug", &params);
            let (page, date): (BugList, _) = self.get_dated(&url).await?;
            if result.server_time.is_none() {
                result.server_time = date;
            }
            let count = page.bugs.len();
            collect_bugs(page.bugs, &mut result, &mut seen);
            // A page longer than asked means the server ignored `limit`:
            // everything is here already.
            if count != page_size as usize {
                break;
            }
            offset += u64::from(page_size);
        }
        Ok(result)
    }

    /// Full bugs by id ([`BUG_FIELDS`]), batched under the URL limit;
    /// invisible or missing ids are left out (a search drops them, recording
    /// 109). Ids travel as one comma list (`id=1,2,3`): searches take it and
    /// repeated `id` alike (107, 108), and `%2C` is shorter than `&id=`.
    /// Batches are read concurrently; bugs come back in batch order.
    pub async fn get_bugs(&self, ids: &[BugId]) -> Result<SearchResult, BugzillaError> {
        let mut result = SearchResult::default();
        let mut seen = HashSet::new();
        let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        let params = |batch: String| {
            [
                ("id".to_string(), batch),
                ("include_fields".to_string(), BUG_FIELDS.join(",")),
            ]
        };
        let fixed = self.url("/bug", &params(String::new())).as_str().len();
        let separator = encoded_len(",");
        // Owned futures (a client clone, an owned URL): the cycle's future
        // must stay `Send`, which borrowing closures in a stream break.
        let mut reads = Vec::new();
        for batch in self.batches(&ids, fixed, 0, separator) {
            let url = self.url("/bug", &params(batch.join(",")));
            let client = self.clone();
            reads.push(async move { client.get_dated::<BugList>(&url).await });
        }
        let pages: Vec<(BugList, Option<DateTime<Utc>>)> = stream::iter(reads)
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        for (page, date) in pages {
            if result.server_time.is_none() {
                result.server_time = date;
            }
            collect_bugs(page.bugs, &mut result, &mut seen);
        }
        Ok(result)
    }

    /// Comments of many bugs, newer than `new_since` (strict), one request
    /// per batch of [`Client::comment_batch_size`] bugs:
    /// `GET /bug/FIRST/comment?ids=SECOND&ids=THIRD…&new_since=…`. Stock
    /// 5.2 takes only repeated `ids`; a comma list is refused with 400/100
    /// (recordings 102, 103). Batches are read concurrently (each request
    /// still waits for the rate limit) and merged by bug id.
    ///
    /// One missing or hidden bug fails its whole batch (404/101, 401/102,
    /// recordings 106, 157); the bug the error names is left out with a
    /// warning and the rest of the batch is asked again: one extra request,
    /// never one per bug. An error that names no bug of the batch halves it
    /// instead, until the culprit is alone. Asked about one bug only, the
    /// answer is that bug's error (the caller asked about that bug).
    pub async fn comments(
        &self,
        ids: &[BugId],
        new_since: Option<DateTime<Utc>>,
    ) -> Result<BTreeMap<BugId, Vec<Comment>>, BugzillaError> {
        let mut unique = HashSet::new();
        let ids: Vec<String> = ids
            .iter()
            .filter(|id| unique.insert(**id))
            .map(|id| id.to_string())
            .collect();
        if let [one] = ids.as_slice() {
            let mut out = BTreeMap::new();
            self.comment_batch(std::slice::from_ref(one), new_since, &mut out)
                .await?;
            return Ok(out);
        }
        let mut reads = Vec::new();
        for batch in self.comment_batches(&ids, new_since) {
            let (client, batch) = (self.clone(), batch.to_vec());
            reads.push(async move { client.comments_skipping_missing(batch, new_since).await });
        }
        let parts: Vec<BTreeMap<BugId, Vec<Comment>>> = stream::iter(reads)
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        let mut out = BTreeMap::new();
        for part in parts {
            for (id, list) in part {
                out.entry(id).or_insert_with(Vec::new).extend(list);
            }
        }
        Ok(out)
    }

    /// The most bugs one comment read asks for when every id has
    /// `id_digits` digits: the largest batch whose URL (API key included
    /// under `query` auth) stays within [`ClientTuning::max_url_len`], at
    /// most 1,000. [`Client::comments`] batches exactly so (about 870 bugs
    /// with 4-digit ids, 650 with BMO's 7-digit ones, at the default
    /// 8,000).
    pub fn comment_batch_size(&self, id_digits: usize, new_since: Option<DateTime<Utc>>) -> usize {
        let ids = vec!["9".repeat(id_digits.max(1)); MAX_IDS_PER_BATCH + 1];
        self.comment_batches(&ids, new_since)
            .first()
            .map_or(0, |batch| batch.len())
    }

    /// Posts a comment; never retried (see `BugzillaError::OutcomeUnknown`).
    /// `is_markdown` is sent only where the server supports it (see
    /// [`ClientTuning::markdown`]).
    pub async fn post_comment(
        &self,
        bug: BugId,
        comment: &NewComment,
    ) -> Result<CommentId, BugzillaError> {
        let mut body = json!({ "comment": comment.text, "is_private": comment.is_private });
        if comment.is_markdown && self.supports_markdown() {
            body["is_markdown"] = Value::Bool(true);
        }
        let url = self.url(&format!("/bug/{bug}/comment"), &[]);
        let reply: NewCommentReply = self.write(Method::POST, &url, &body).await?;
        Ok(reply.id)
    }

    /// Updates flags and fields of a bug; never retried. An empty update
    /// makes no request.
    pub async fn update_bug(&self, bug: BugId, update: &BugUpdate) -> Result<(), BugzillaError> {
        if update.is_empty() {
            return Ok(());
        }
        let body = serde_json::to_value(update).map_err(|e| BugzillaError::Unexpected {
            what: format!("update of bug {bug}"),
            status: 0,
            reason: format!("cannot encode the update: {e}"),
        })?;
        let url = self.url(&format!("/bug/{bug}"), &[]);
        let _: Value = self.write(Method::PUT, &url, &body).await?;
        Ok(())
    }

    /// Updates flags and fields of a bug and adds `comment` in the same
    /// `PUT /rest/bug/ID` (`"comment": {"body": …, "is_private": true}`):
    /// one change, one history entry, one mail (recordings 130, 147).
    /// Bugzilla makes all of it or none of it (149: a refused private
    /// comment leaves the flags unchanged). Its answer does not give the
    /// new comment's id. Never retried. `is_private` is sent only when set
    /// and `is_markdown` only where the server supports it, as in the
    /// recorded calls.
    pub async fn update_bug_with_comment(
        &self,
        bug: BugId,
        update: &BugUpdate,
        comment: &NewComment,
    ) -> Result<(), BugzillaError> {
        let mut body = serde_json::to_value(update).map_err(|e| BugzillaError::Unexpected {
            what: format!("update of bug {bug}"),
            status: 0,
            reason: format!("cannot encode the update: {e}"),
        })?;
        let mut text = json!({ "body": comment.text });
        if comment.is_private {
            text["is_private"] = Value::Bool(true);
        }
        if comment.is_markdown && self.supports_markdown() {
            text["is_markdown"] = Value::Bool(true);
        }
        body["comment"] = text;
        let url = self.url(&format!("/bug/{bug}"), &[]);
        let _: Value = self.write(Method::PUT, &url, &body).await?;
        Ok(())
    }

    /// Users by login (`GET /user?names=…`, batched under the URL limit).
    /// On stock 5.2 one unknown login fails its whole batch with 404/51
    /// (recording 140); BMO may leave it out. A user record that does not
    /// parse is logged and skipped.
    pub async fn users(&self, logins: &[String]) -> Result<Vec<User>, BugzillaError> {
        let mut out = Vec::new();
        let fixed = self.url("/user", &[]).as_str().len();
        let per_login = "&names=".len();
        for batch in self.batches(logins, fixed, per_login, per_login) {
            let params: Vec<(String, String)> = batch
                .iter()
                .map(|login| ("names".to_string(), login.clone()))
                .collect();
            let url = self.url("/user", &params);
            let list: UserList = self.get(&url).await?;
            for value in list.users {
                match serde_json::from_value::<User>(value) {
                    Ok(user) => out.push(user),
                    Err(e) => {
                        tracing::warn!(error = %e, "skipping a user record that does not parse")
                    }
                }
            }
        }
        Ok(out)
    }

    /// Whether a Bugzilla account `login` exists (`/user?names=LOGIN`):
    /// Bugzilla answers 51 "There is no user named …" when it does not,
    /// which is `Ok(false)` here; any other error is an error.
    pub async fn user_exists(&self, login: &str) -> Result<bool, BugzillaError> {
        let params = [
            ("names".to_string(), login.to_string()),
            ("include_fields".to_string(), "id,name".to_string()),
        ];
        let url = self.url("/user", &params);
        match self.get::<UserList>(&url).await {
            Ok(list) => Ok(list.users.iter().any(|u| {
                u.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|name| name.eq_ignore_ascii_case(login))
            })),
            Err(e) if e.code() == Some(super::error::code::INVALID_PARAMETER) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `login` is in `group`, asked the way that works for a bot
    /// that is not an admin (`/user?names=LOGIN&groups=GROUP`): the user
    /// comes back only if a member. If the bot itself is not in the group,
    /// Bugzilla answers 400/804 and this is that error, not "no".
    pub async fn is_member(&self, login: &str, group: &str) -> Result<bool, BugzillaError> {
        let params = [
            ("names".to_string(), login.to_string()),
            ("groups".to_string(), group.to_string()),
            ("include_fields".to_string(), "id,name".to_string()),
        ];
        let url = self.url("/user", &params);
        let list: UserList = self.get(&url).await?;
        Ok(list.users.iter().any(|u| {
            u.get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| name.eq_ignore_ascii_case(login))
        }))
    }

    /// The bot's account (`bugzilla.bot_login`): whose changes are its own.
    pub fn bot_login(&self) -> &str {
        &self.inner.bot_login
    }

    /// Requests made so far (for metrics and "requests per cycle"),
    /// retries included.
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Whether comments are posted with `is_markdown`.
    pub fn supports_markdown(&self) -> bool {
        self.inner
            .tuning
            .markdown
            .unwrap_or_else(|| self.inner.has_whoami.load(Ordering::Relaxed))
    }

    // ---- building requests ----

    /// `base + path` with the query parameters (the key is added at send
    /// time, and only there).
    /// `url` for a path of segments, each percent-encoded (a product name
    /// may hold spaces or slashes).
    fn url_segments(&self, segments: &[&str], params: &[(String, String)]) -> Url {
        let mut url = self.url("", params);
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn url(&self, path: &str, params: &[(String, String)]) -> Url {
        let mut url = self.inner.base.clone();
        let full = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&full);
        if !params.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in params {
                pairs.append_pair(key, value);
            }
        }
        url
    }

    /// `/bug/FIRST/comment?ids=SECOND&ids=THIRD…`: the first bug in the
    /// path, each other one as its own `ids` (5.2 refuses a comma list).
    fn comments_url(&self, batch: &[String], new_since: Option<DateTime<Utc>>) -> Url {
        let first = batch.first().map(String::as_str).unwrap_or("0");
        let mut params: Vec<(String, String)> = batch
            .iter()
            .skip(1)
            .map(|id| ("ids".to_string(), id.clone()))
            .collect();
        if let Some(since) = new_since {
            params.push(("new_since".to_string(), bugzilla_time(since)));
        }
        self.url(&format!("/bug/{first}/comment"), &params)
    }

    /// Comment batches under the URL limit: the first bug of a batch goes
    /// into the path, each further one costs `&ids=` and its digits.
    fn comment_batches<'a>(
        &self,
        ids: &'a [String],
        new_since: Option<DateTime<Utc>>,
    ) -> Vec<&'a [String]> {
        let fixed = self
            .comments_url(&[String::new()], new_since)
            .as_str()
            .len();
        self.batches(ids, fixed, 0, "&ids=".len())
    }

    /// One comment batch, leaving out the bugs that are missing or hidden
    /// (see [`Client::comments`]). Any other error fails the batch.
    async fn comments_skipping_missing(
        &self,
        batch: Vec<String>,
        new_since: Option<DateTime<Utc>>,
    ) -> Result<BTreeMap<BugId, Vec<Comment>>, BugzillaError> {
        let mut out = BTreeMap::new();
        let mut work = vec![batch];
        while let Some(mut batch) = work.pop() {
            if batch.is_empty() {
                continue;
            }
            let err = match self.comment_batch(&batch, new_since, &mut out).await {
                Ok(()) => continue,
                Err(err) if is_missing_bug(&err) => err,
                Err(err) => return Err(err),
            };
            if batch.len() == 1 {
                tracing::warn!(bug = %batch[0], error = %err, "skipping the comments of a missing or hidden bug");
                continue;
            }
            match named_bug(&err).and_then(|named| batch.iter().position(|id| *id == named)) {
                Some(at) => {
                    let bug = batch.remove(at);
                    tracing::warn!(bug = %bug, left = batch.len(), error = %err, "skipping the comments of a missing or hidden bug; asking for the rest of its batch again");
                    work.push(batch);
                }
                None => {
                    tracing::warn!(bugs = batch.len(), error = %err, "a comment batch failed on a missing or hidden bug it does not name; halving the batch");
                    let second = batch.split_off(batch.len() / 2);
                    work.push(second);
                    work.push(batch);
                }
            }
        }
        Ok(out)
    }

    async fn comment_batch(
        &self,
        batch: &[String],
        new_since: Option<DateTime<Utc>>,
        out: &mut BTreeMap<BugId, Vec<Comment>>,
    ) -> Result<(), BugzillaError> {
        let url = self.comments_url(batch, new_since);
        let reply: CommentsReply = self.get(&url).await?;
        for (raw_id, bug) in reply.bugs {
            let Ok(id) = raw_id.parse::<u64>().map(BugId) else {
                tracing::warn!(key = %raw_id, "skipping comments under a key that is not a bug id");
                continue;
            };
            let list = out.entry(id).or_default();
            for value in bug.comments {
                match serde_json::from_value::<Comment>(value) {
                    Ok(comment) => list.push(comment),
                    Err(e) => {
                        tracing::warn!(bug = %id, error = %e, "skipping a comment that does not parse")
                    }
                }
            }
        }
        Ok(())
    }

    /// Splits `items` into batches whose URL stays within the limit, API
    /// key included: `fixed` is the URL length without items; the first
    /// item of a batch costs its encoded length plus `first`, each further
    /// one plus `per_item` (its separator). Every batch is as long as fits,
    /// at most [`MAX_IDS_PER_BATCH`]; an item too long on its own still
    /// gets a batch.
    fn batches<'a>(
        &self,
        items: &'a [String],
        fixed: usize,
        first: usize,
        per_item: usize,
    ) -> Vec<&'a [String]> {
        let reserve = match self.inner.auth {
            AuthMethod::Query => "&api_key=".len() + encoded_len(self.inner.key.expose()),
            _ => 0,
        };
        let budget = self
            .inner
            .tuning
            .max_url_len
            .saturating_sub(fixed + reserve);
        let mut out = Vec::new();
        let mut start = 0;
        let mut used = 0;
        for (i, item) in items.iter().enumerate() {
            let cost = encoded_len(item) + per_item;
            let full = i - start >= MAX_IDS_PER_BATCH || used + cost > budget;
            if i > start && full {
                out.push(&items[start..i]);
                start = i;
            }
            if i == start {
                used = encoded_len(item) + first;
            } else {
                used += cost;
            }
        }
        if start < items.len() {
            out.push(&items[start..]);
        }
        out
    }

    // ---- sending ----

    /// One request, no retry: checks the block, waits for the rate limit,
    /// sends with the key where the server reads it, logs by path only.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Attempt, BugzillaError> {
        self.check_block(what)?;
        self.inner.pacer.ready().await;
        self.check_block(what)?;
        self.inner.requests.fetch_add(1, Ordering::Relaxed);

        let mut target = url.clone();
        let mut request_headers = Vec::new();
        let key = self.inner.key.expose();
        match self.inner.auth {
            AuthMethod::Query => {
                target.query_pairs_mut().append_pair("api_key", key);
            }
            AuthMethod::Header => request_headers.push((API_KEY_HEADER, sensitive(key))),
            AuthMethod::Bearer => {
                request_headers.push((AUTHORIZATION.as_str(), sensitive(&format!("Bearer {key}"))))
            }
        }
        let mut request = self
            .inner
            .http
            .request(method.clone(), target)
            .header(USER_AGENT, USER_AGENT_VALUE)
            .header(ACCEPT, "application/json");
        for (name, value) in request_headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }

        let started = Instant::now();
        let path = url.path();
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let reason = describe(e);
                tracing::debug!(method = %method, path, elapsed_ms = elapsed_ms(started), error = %reason, "bugzilla request failed");
                return Ok(Attempt::Lost(reason));
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers();
        let date = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.with_timezone(&Utc));
        // An HTTP-date `Retry-After` is measured on the server's clock
        // (its `Date`), ours only when it sent none.
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, date.unwrap_or_else(Utc::now)));
        let body = match response.bytes().await {
            Ok(bytes) => bytes.to_vec(),
            Err(e) => {
                let reason = format!("HTTP {status}, but the body was lost: {}", describe(e));
                tracing::debug!(method = %method, path, status, elapsed_ms = elapsed_ms(started), error = %reason, "bugzilla request failed");
                return Ok(Attempt::Lost(reason));
            }
        };
        tracing::debug!(method = %method, path, status, elapsed_ms = elapsed_ms(started), "bugzilla request");
        Ok(Attempt::Reply(Reply {
            status,
            retry_after,
            date,
            body,
        }))
    }

    fn check_block(&self, what: &str) -> Result<(), BugzillaError> {
        match self.inner.pacer.blocked_for() {
            Some(remaining) => Err(BugzillaError::Blocked {
                what: what.to_string(),
                remaining,
            }),
            None => Ok(()),
        }
    }

    /// Starts the block after BMO's 429 without `Retry-After` (or its
    /// "rate limit exceeded" error, the request that arms the block).
    fn start_block(&self, what: &str) -> BugzillaError {
        let period = self.inner.tuning.block;
        self.inner.pacer.block(period);
        tracing::error!(
            what,
            block_secs = period.as_secs(),
            "Bugzilla blocked this client (rate limit); ALL requests are paused. Lower `bugzilla.rate_limit_per_minute` or poll less often"
        );
        BugzillaError::Blocked {
            what: what.to_string(),
            remaining: period,
        }
    }

    /// A read with retries (connection errors, timeouts, 5xx; 429/503 with
    /// `Retry-After` wait that long), paced by [`retry::read_backoff`].
    /// Returns the decoded body and the server's `Date`.
    async fn get_dated<T: DeserializeOwned>(
        &self,
        url: &Url,
    ) -> Result<(T, Option<DateTime<Utc>>), BugzillaError> {
        let what = format!("GET {}", url.path());
        let tuning = &self.inner.tuning;
        let mut retries = 0u32;
        (|| self.read_once::<T>(url, &what))
            .retry(retry::read_backoff(
                tuning.backoff_base,
                tuning.backoff_cap,
                tuning.max_retries,
            ))
            .sleep(tokio::time::sleep)
            .when(|failed| failed.again != Again::No)
            .adjust(|failed, backoff| retry::next_wait(failed.again, backoff))
            .notify(|failed, wait| {
                retries += 1;
                tracing::warn!(what = %what, retry = retries, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), error = %failed.error, "retrying a Bugzilla read");
            })
            .await
            .map_err(|failed| failed.error)
    }

    /// One try of a read, and whether a failure is worth another.
    async fn read_once<T: DeserializeOwned>(
        &self,
        url: &Url,
        what: &str,
    ) -> Result<(T, Option<DateTime<Utc>>), FailedRead> {
        let tuning = &self.inner.tuning;
        let reply = match self.attempt(&Method::GET, url, None, what).await {
            Err(error) => return Err(FailedRead::last(error)),
            Ok(Attempt::Lost(reason)) => {
                return Err(FailedRead {
                    error: BugzillaError::Transport {
                        what: what.to_string(),
                        reason,
                    },
                    again: Again::AfterBackoff,
                })
            }
            Ok(Attempt::Reply(reply)) => reply,
        };
        if reply.status == 429 && reply.retry_after.is_none() {
            return Err(FailedRead::last(self.start_block(what)));
        }
        if let Some(retry_after) = reply
            .retry_after
            .filter(|_| reply.status == 429 || reply.status == 503)
        {
            let error = BugzillaError::RateLimited {
                what: what.to_string(),
                retry_after,
            };
            return Err(if retry_after > tuning.retry_after_cap {
                FailedRead::last(error)
            } else {
                FailedRead {
                    error,
                    again: Again::After(retry_after),
                }
            });
        }
        if reply.status >= 500 {
            return Err(FailedRead {
                error: self.error_of(what, &reply),
                again: Again::AfterBackoff,
            });
        }
        let value = self.decode::<T>(what, &reply).map_err(FailedRead::last)?;
        Ok((value, reply.date))
    }

    async fn get<T: DeserializeOwned>(&self, url: &Url) -> Result<T, BugzillaError> {
        Ok(self.get_dated(url).await?.0)
    }

    /// A write: exactly one request. A lost answer, a 5xx or an unreadable
    /// success body is [`BugzillaError::OutcomeUnknown`].
    async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &Url,
        body: &Value,
    ) -> Result<T, BugzillaError> {
        let what = format!("{method} {}", url.path());
        let reply = match self.attempt(&method, url, Some(body), &what).await? {
            Attempt::Lost(reason) => return Err(BugzillaError::OutcomeUnknown { what, reason }),
            Attempt::Reply(reply) => reply,
        };
        if reply.status == 429 {
            return Err(match reply.retry_after {
                None => self.start_block(&what),
                Some(retry_after) => BugzillaError::RateLimited { what, retry_after },
            });
        }
        if reply.status >= 500 {
            let reason = format!("HTTP {}: {}", reply.status, self.error_of(&what, &reply));
            return Err(BugzillaError::OutcomeUnknown { what, reason });
        }
        match self.decode::<T>(&what, &reply) {
            Err(BugzillaError::Unexpected { reason, .. }) if is_success(reply.status) => {
                Err(BugzillaError::OutcomeUnknown { what, reason })
            }
            other => other,
        }
    }

    // ---- reading answers ----

    /// Reads a body: Bugzilla's error envelope becomes a typed error; a
    /// success body must be JSON of the expected shape.
    fn decode<T: DeserializeOwned>(&self, what: &str, reply: &Reply) -> Result<T, BugzillaError> {
        if let Some(err) = redirect_error(what, reply) {
            return Err(err);
        }
        let value: Value = match serde_json::from_slice(&reply.body) {
            Ok(value) => value,
            Err(e) => {
                return Err(BugzillaError::Unexpected {
                    what: what.to_string(),
                    status: reply.status,
                    reason: self.not_json_reason(&reply.body, &e),
                })
            }
        };
        if let Some(err) = self.envelope_error(what, reply.status, &value) {
            return Err(err);
        }
        if !is_success(reply.status) {
            return Err(BugzillaError::Unexpected {
                what: what.to_string(),
                status: reply.status,
                reason: "an HTTP error without Bugzilla's error object".to_string(),
            });
        }
        serde_json::from_value(value).map_err(|e| BugzillaError::Unexpected {
            what: what.to_string(),
            status: reply.status,
            reason: format!("the JSON does not have the expected shape: {e}"),
        })
    }

    /// The error a failed reply stands for (envelope, or a description of
    /// the body).
    fn error_of(&self, what: &str, reply: &Reply) -> BugzillaError {
        if let Some(err) = redirect_error(what, reply) {
            return err;
        }
        match serde_json::from_slice::<Value>(&reply.body) {
            Ok(value) => self
                .envelope_error(what, reply.status, &value)
                .unwrap_or_else(|| BugzillaError::Unexpected {
                    what: what.to_string(),
                    status: reply.status,
                    reason: "an HTTP error without Bugzilla's error object".to_string(),
                }),
            Err(e) => BugzillaError::Unexpected {
                what: what.to_string(),
                status: reply.status,
                reason: self.not_json_reason(&reply.body, &e),
            },
        }
    }

    /// `{"error": true, "code": N, "message": "…"}` → a typed error.
    fn envelope_error(&self, what: &str, status: u16, value: &Value) -> Option<BugzillaError> {
        let object = value.as_object()?;
        let flagged = match object.get("error") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Null) | None => false,
            Some(_) => true,
        };
        let has_code = object.get("code").is_some_and(Value::is_i64);
        let bare_error = has_code && !is_success(status) && object.contains_key("message");
        if !(flagged || bare_error) {
            return None;
        }
        // A missing code is reported as 0 (never a real Bugzilla code).
        let code = object.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = object
            .get("message")
            .and_then(Value::as_str)
            .map(|m| self.scrub(m))
            .unwrap_or_else(|| "(no message)".to_string());
        if code == code::API_KEY_INVALID {
            return Some(BugzillaError::BadApiKey {
                what: what.to_string(),
            });
        }
        // BMO: the request that trips the rate limit gets code 32000
        // "You have exceeded the rate limit." and arms the one-hour block.
        if code == 32000 && message.to_ascii_lowercase().contains("rate limit") {
            return Some(self.start_block(what));
        }
        Some(BugzillaError::Api {
            what: what.to_string(),
            status,
            code,
            message,
        })
    }

    fn not_json_reason(&self, body: &[u8], error: &serde_json::Error) -> String {
        let text = String::from_utf8_lossy(body);
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            "an empty body where JSON was expected".to_string()
        } else if trimmed.starts_with('<') {
            format!(
                "an HTML page instead of JSON (a proxy, login or error page; bugzilla.mozilla.org answers an over-long URL with its home page): {}",
                self.snippet(trimmed)
            )
        } else if trimmed.starts_with('{') || trimmed.starts_with('[') {
            format!("truncated or malformed JSON ({error})")
        } else {
            format!("not JSON: {}", self.snippet(trimmed))
        }
    }

    /// The start of a body for an error message, on one line, key removed.
    fn snippet(&self, text: &str) -> String {
        let short: String = text
            .chars()
            .take(120)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        self.scrub(&short)
    }

    /// Removes the API key from server-provided text (a server may echo the
    /// request URL).
    fn scrub(&self, text: &str) -> String {
        let key = self.inner.key.expose();
        if key.is_empty() {
            text.to_string()
        } else {
            text.replace(key, "[redacted]")
        }
    }
}

/// Parses each bug on its own: one bad bug is skipped with its id and the
/// reason, never failing the whole search. Bugs seen on an earlier page
/// (the result set can shift while paging) are not repeated.
fn collect_bugs(values: Vec<Value>, result: &mut SearchResult, seen: &mut HashSet<BugId>) {
    for value in values {
        let id = value.get("id").and_then(Value::as_u64).map(BugId);
        // Read from a borrow: the raw value is kept only to name a bad field.
        match Bug::deserialize(&value) {
            Ok(bug) => {
                if seen.insert(bug.id) {
                    result.bugs.push(bug);
                }
            }
            Err(e) => {
                let reason = match bad_field(&value) {
                    Some(field) => format!("field `{field}` does not parse: {e}"),
                    None => format!("bug does not parse: {e}"),
                };
                // Restricted stays restricted (invariant 10), even for a bug
                // that does not parse: when it has `groups` that are not an
                // empty list, its id goes to the debug log only.
                let public = value
                    .get("groups")
                    .is_none_or(|groups| groups.as_array().is_some_and(Vec::is_empty));
                match id {
                    Some(id) if public => {
                        tracing::warn!(bug = %id, reason = %reason, "skipping a bug");
                        result.skipped.push((Some(id), reason));
                    }
                    Some(id) => {
                        tracing::debug!(bug = %id, reason = %reason, "skipping a restricted bug");
                        tracing::warn!(reason = %reason, "skipping a restricted bug (its id is in the debug log)");
                        result
                            .skipped
                            .push((None, format!("a restricted bug: {reason}")));
                    }
                    None => {
                        tracing::warn!(reason = %reason, "skipping a bug without an id");
                        result.skipped.push((None, reason));
                    }
                }
            }
        }
    }
}

/// The first field that makes a bug unreadable on its own (tried with just
/// the id), for a log line a person can act on.
fn bad_field(bug: &Value) -> Option<String> {
    let object = bug.as_object()?;
    let id = object.get("id").cloned().unwrap_or(Value::Null);
    if serde_json::from_value::<Bug>(json!({ "id": id })).is_err() {
        return Some("id".to_string());
    }
    object
        .iter()
        .filter(|(key, _)| key.as_str() != "id")
        .find(|(key, value)| {
            serde_json::from_value::<Bug>(json!({ "id": id, key.as_str(): value })).is_err()
        })
        .map(|(key, _)| key.clone())
}

/// The bug a missing-bug error names, as Bugzilla spells it: `Bug #N does
/// not exist.` (101), `You are not authorized to access bug #N.` (102),
/// `'X' is not a valid bug number nor an alias to a bug.` (100).
fn named_bug(err: &BugzillaError) -> Option<String> {
    let BugzillaError::Api { code, message, .. } = err else {
        return None;
    };
    if *code == code::INVALID_BUG_ID {
        let rest = message.strip_prefix('\'')?;
        return rest.split_once('\'').map(|(value, _)| value.to_string());
    }
    let digits: String = message
        .split_once('#')?
        .1
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

fn is_missing_bug(err: &BugzillaError) -> bool {
    matches!(
        err.code(),
        Some(code::INVALID_BUG_ID | code::BUG_NOT_FOUND | code::ACCESS_DENIED)
    )
}

/// A 3xx answer: never followed (see [`Client::with_tuning`]).
fn redirect_error(what: &str, reply: &Reply) -> Option<BugzillaError> {
    (300..400).contains(&reply.status).then(|| BugzillaError::Unexpected {
        what: what.to_string(),
        status: reply.status,
        reason: "a redirect, which pushbot never follows (it would carry the API key elsewhere); set `bugzilla.url` to the address Bugzilla answers at (https, final host and path)".to_string(),
    })
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Bugzilla's time format for parameters: always UTC with `Z`.
fn bugzilla_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn sensitive(value: &str) -> HeaderValue {
    match HeaderValue::from_str(value) {
        Ok(mut v) => {
            v.set_sensitive(true);
            v
        }
        // A key with characters a header cannot carry: send nothing usable;
        // the server answers "not logged in", which verify_login reports.
        Err(_) => HeaderValue::from_static("invalid-key"),
    }
}

fn encoded_len(item: &str) -> usize {
    url::form_urlencoded::byte_serialize(item.as_bytes())
        .map(str::len)
        .sum()
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A reqwest error as text without its URL (which may carry `api_key`),
/// with its causes.
fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the body could not be read"
    } else {
        "the request failed"
    };
    let error = error.without_url();
    let mut text = kind.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_always_end_in_z() {
        let t = Utc.with_ymd_and_hms(2026, 11, 26, 3, 49, 26).unwrap();
        assert_eq!(bugzilla_time(t), "2026-11-26T03:49:26Z");
    }

    fn api(code: i64, message: &str) -> BugzillaError {
        BugzillaError::Api {
            what: "GET /rest/bug/1/comment".to_string(),
            status: 404,
            code,
            message: message.to_string(),
        }
    }

    #[test]
    fn missing_bug_errors_name_their_bug_as_5_2_words_them() {
        // Recordings 106, 76, 102.
        let named = |code, message| named_bug(&api(code, message));
        assert_eq!(
            named(101, "Bug #99999 does not exist."),
            Some("99999".to_string())
        );
        assert_eq!(
            named(102, "You are not authorized to access bug #4. To see this bug, you must first log in to an account with the appropriate permissions."),
            Some("4".to_string())
        );
        assert_eq!(
            named(
                100,
                "'2,3' is not a valid bug number nor an alias to a bug."
            ),
            Some("2,3".to_string())
        );
        assert_eq!(named(101, "Bug does not exist."), None);
        assert_eq!(named(102, "You are not authorized to access bug #."), None);
        assert_eq!(named(100, "not quoted"), None);
        let transport = BugzillaError::Transport {
            what: "GET".to_string(),
            reason: "Bug #4".to_string(),
        };
        assert_eq!(named_bug(&transport), None);
    }

    #[test]
    fn the_push_search_asks_for_the_defaults_and_the_triage_owner() {
        let q = SearchQuery::from_settings(&QuerySettings::default());
        let fields: Vec<String> = q
            .to_params()
            .into_iter()
            .filter(|(k, _)| k == "include_fields")
            .map(|(_, v)| v)
            .collect();
        // `_default` holds `id`: nothing is added in front.
        assert_eq!(fields, vec!["_default,triage_owner"]);
    }

    #[test]
    fn search_params_add_id_to_fields() {
        let q = SearchQuery {
            product: vec!["Websites".into(), "Other".into()],
            keywords: vec!["push".into(), "prod".into()],
            status: "__open__".into(),
            include_fields: vec!["summary".into()],
            changed_since: Some(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()),
            ..SearchQuery::default()
        };
        let params = q.to_params();
        let get = |k: &str| -> Vec<&str> {
            params
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        assert_eq!(get("product"), vec!["Websites", "Other"]);
        assert_eq!(get("keywords"), vec!["push,prod"]);
        assert_eq!(get("status"), vec!["__open__"]);
        assert_eq!(get("include_fields"), vec!["id,summary"]);
        assert_eq!(get("last_change_time"), vec!["2026-01-02T03:04:05Z"]);
    }
}
