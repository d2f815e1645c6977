//! The web server: the week view, its JSON and Markdown forms, the
//! iCalendar feed, `/healthz` and `/metrics`.
//!
//! It only reads: the poller writes the latest reports and cycle status
//! into the shared [`WebData`] ([`WebState::update`]), and the
//! pages are rendered then, once per cycle, not once per request
//! ([`pages`]: requests serve the stored bytes). It never calls Bugzilla
//! and never sees the API key. "Now" comes from the state's clock function
//! so tests pin it. The week pages say when their data was read; when that
//! is too long ago (the poller keeps failing) or no read succeeded yet,
//! each request adds a notice saying so at the top of the page.
//!
//! It is meant for loopback (the default, `127.0.0.1:8080`) or a trusted
//! network: there is no authentication. Slow or idle clients are cut off
//! and open connections are capped ([`server`]), so a few bad clients
//! cannot hold it.
//!
//! Routes:
//!
//! | route | answer |
//! |---|---|
//! | `/` | this week's view (HTML) |
//! | `/week/2026-W49` | that week's view; an empty view when there is no data; 400 for a malformed id |
//! | `/week/2026-W49.json`, `.md` | the same week as JSON or Markdown |
//! | `/calendar.ics` | every scheduled push as iCalendar (`text/calendar`) |
//! | `/healthz` | JSON; 503 when the last cycle failed, the write-cap alert is raised, or no cycle ran for too long |
//! | `/metrics` | Prometheus text exposition format 0.0.4 of the [`Metrics`] (the poller's, shared with [`crate::poll::Poller::set_metrics`]) |

pub mod pages;
pub mod server;
pub mod settings;

use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use thiserror::Error;
use tokio::net::TcpListener;

use crate::metrics::{self, Metrics};
use crate::report::ics::IcsOptions;
use crate::report::{html, IsoWeekId, WeekReport};
use pages::{HtmlPage, Key, Output, PageCache, Reports};
pub use server::ServerLimits;
pub use settings::WebSettings;

/// How many poll intervals may pass without a finished cycle before
/// `/healthz` answers 503, and without a successful one before the week
/// pages say they are out of date.
const STALE_AFTER_INTERVALS: i32 = 3;

/// Where the clock comes from: `Utc::now` in production, a fixed instant in
/// tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The real clock, for production.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// How the last poll cycle ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum CycleResult {
    /// It read, decided and wrote what it had to.
    Ok,
    /// It stopped early; `reason` is shown on `/healthz` (it must not hold
    /// secrets: Bugzilla errors never do).
    Failed {
        /// What went wrong, for an operator.
        reason: String,
    },
}

/// What the poller reports about its cycles; `/healthz` reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleStatus {
    /// When the last cycle finished (`None`: none yet).
    pub last_cycle_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub last_result: Option<CycleResult>,
    /// When a cycle last ended well.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Raised when a cycle planned more writes than
    /// `poll.max_writes_per_cycle` and made none; cleared by the poller.
    pub write_cap_alert: bool,
}

/// Everything the server shows; the poller replaces parts of it after each
/// cycle.
#[derive(Debug, Clone, Default)]
pub struct WebData {
    /// The latest report of each week the cycle knows about. Shared with
    /// the rendered pages: replace it, or change it with `Arc::make_mut`
    /// (which copies it while the pages hold it), and the pages are
    /// rendered again ([`pages`]).
    pub reports_by_week: Reports,
    /// The last cycle's outcome.
    pub status: CycleStatus,
}

impl WebData {
    /// Adds (or replaces) the report of `report.week`.
    pub fn insert_report(&mut self, report: WeekReport) {
        Arc::make_mut(&mut self.reports_by_week).insert(report.week, report);
    }

    /// Records a finished cycle's status (the poller counts it in its
    /// [`Metrics`]).
    pub fn record_cycle(&mut self, finished_at: DateTime<Utc>, result: CycleResult) {
        if result == CycleResult::Ok {
            self.status.last_success_at = Some(finished_at);
        }
        self.status.last_cycle_at = Some(finished_at);
        self.status.last_result = Some(result);
    }
}

/// The server's shared state. Cheap to clone (all `Arc`s).
#[derive(Clone)]
pub struct WebState {
    /// Written by the poller once per cycle, read by every request: a
    /// read-write lock so requests do not block each other. Never held
    /// across an `.await`.
    data: Arc<RwLock<WebData>>,
    /// "Now", injected.
    clock: Clock,
    /// The team's zone: which week is "this week", local times.
    time_zone: Tz,
    /// When the server started: the reference for "no cycle yet".
    started_at: DateTime<Utc>,
    /// The poll interval; `/healthz` allows [`STALE_AFTER_INTERVALS`] of
    /// them.
    poll_interval: Duration,
    /// Event length and calendar name of `/calendar.ics`.
    ics: IcsOptions,
    /// The pages rendered from `data`.
    pages: Arc<PageCache>,
    /// The counters `/metrics` shows; this server counts its requests and
    /// connections in them.
    metrics: Metrics,
    /// Whether webhooks are on: `/healthz` then shows their counts.
    webhooks: bool,
}

impl WebState {
    /// State over `data`, with the team's zone, the poll interval and a
    /// clock. The start time (for `/healthz`) is read from the clock now.
    pub fn new(
        data: Arc<RwLock<WebData>>,
        time_zone: Tz,
        poll_interval: std::time::Duration,
        clock: Clock,
    ) -> WebState {
        let started_at = clock();
        WebState {
            data,
            clock,
            time_zone,
            started_at,
            poll_interval: Duration::from_std(poll_interval).unwrap_or(Duration::seconds(300)),
            ics: IcsOptions::default(),
            pages: Arc::new(PageCache::default()),
            metrics: Metrics::new(),
            webhooks: false,
        }
    }

    /// Shows the webhook events in `/healthz` (`[webhook] enabled`).
    pub fn with_webhooks(mut self, on: bool) -> WebState {
        self.webhooks = on;
        self
    }

    /// Options of the calendar feed (event length, name).
    pub fn with_ics_options(mut self, options: IcsOptions) -> WebState {
        self.ics = options;
        self
    }

    /// The shared data. Prefer [`WebState::update`] for writes: it renders
    /// the pages straight away instead of at the next request.
    pub fn data(&self) -> Arc<RwLock<WebData>> {
        Arc::clone(&self.data)
    }

    /// Changes the data (the poller, after each cycle), then renders the
    /// pages the change affects, so that requests find them ready.
    pub fn update(&self, change: impl FnOnce(&mut WebData)) {
        {
            let mut data = self.data.write().unwrap_or_else(PoisonError::into_inner);
            change(&mut data);
        }
        let _ = self.rendered(self.now());
    }

    /// The counters `/metrics` shows: this server's requests and
    /// connections, and the poller's cycles once the poller counts into
    /// them (`poller.set_metrics(state.metrics().clone())`). Clones share
    /// them.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Runs `f` on the data under the read lock. A poisoned lock (a writer
    /// panicked) still holds the last complete data the poller wrote, so
    /// it is used rather than failing every request.
    fn read<T>(&self, f: impl FnOnce(&WebData) -> T) -> T {
        let guard = self.data.read().unwrap_or_else(PoisonError::into_inner);
        f(&guard)
    }

    /// The pages for the data as it is now, seen at `now`: the stored ones
    /// unless the data, the last success or the local date changed.
    fn rendered(&self, now: DateTime<Utc>) -> Arc<pages::Rendered> {
        let key = self.read(|d| Key {
            reports: Arc::clone(&d.reports_by_week),
            last_success_at: d.status.last_success_at,
            today: now.with_timezone(&self.time_zone).date_naive(),
        });
        self.pages.get(key, now, self.time_zone, &self.ics)
    }

    /// A week the rendered pages do not hold (no data, far from today):
    /// empty, dated by the last successful read.
    fn empty_week(&self, week: IsoWeekId, now: DateTime<Utc>) -> WeekReport {
        let stamp = self.read(|d| d.status.last_success_at).unwrap_or(now);
        WeekReport::empty(week, self.time_zone, stamp)
    }

    /// How long the data may go without a successful cycle before the
    /// pages say it is out of date (and `/healthz` without any cycle
    /// before it says `stale`).
    fn stale_after(&self) -> Duration {
        self.poll_interval
            .checked_mul(STALE_AFTER_INTERVALS)
            .unwrap_or(Duration::MAX)
    }

    /// The notice a week page needs at `now`, if any: computed per request
    /// (it depends on nothing but the clock and the last success), never
    /// stored in the rendered page.
    fn notice(&self, now: DateTime<Utc>) -> Option<String> {
        let last_success_at = self.read(|d| d.status.last_success_at);
        let text = match last_success_at {
            None => format!(
                "pushbot has not read Bugzilla successfully since it started ({}); this page fills in after the first successful poll cycle.",
                self.local_time(self.started_at)
            ),
            Some(at) if now - at > self.stale_after() => format!(
                "Out of date: the last successful read of Bugzilla was {}, {} ago; <a href=\"/healthz\">/healthz</a> says why.",
                self.local_time(at),
                ago(now - at)
            ),
            Some(_) => return None,
        };
        Some(format!(
            "<p class=\"stale-notice\" role=\"status\" style=\"margin:0 0 14px;padding:10px 14px;border:2px solid #b45309;border-radius:8px;background:#fffbeb;color:#92400e;font-weight:600\">⚠ {text}</p>"
        ))
    }

    fn local_time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.time_zone)
            .format("%a %-d %b %Y %H:%M %Z")
            .to_string()
    }
}

/// A duration for people: "45 minutes", "3 hours", "3 hours 5 minutes",
/// "2 days 4 hours".
fn ago(elapsed: Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let minutes = elapsed.num_minutes().max(0);
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours, minutes) {
        (0, 0, m) => plural(m, "minute"),
        (0, h, 0) => plural(h, "hour"),
        (0, h, m) => format!("{} {}", plural(h, "hour"), plural(m, "minute")),
        (d, 0, _) => plural(d, "day"),
        (d, h, _) => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}

/// The server could not start.
#[derive(Debug, Error)]
pub enum WebError {
    /// `web.listen` could not be bound.
    #[error("cannot listen on `{listen}` (setting `web.listen`): {source}; pick a free address such as 127.0.0.1:8080")]
    Bind {
        /// The address asked for.
        listen: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Binds `settings.listen` (default `127.0.0.1:8080`, loopback only).
pub async fn bind(settings: &WebSettings) -> Result<TcpListener, WebError> {
    TcpListener::bind(settings.listen.as_str())
        .await
        .map_err(|source| WebError::Bind {
            listen: settings.listen.clone(),
            source,
        })
}

/// The routes (see the module doc).
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(this_week))
        .route("/week/{week}", get(week_page))
        .route("/calendar.ics", get(calendar))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), count_request))
        .with_state(state)
}

/// Serves `router(state)` on `listener` with the default
/// [`ServerLimits`] until `shutdown` completes, then finishes the requests
/// in flight.
pub async fn serve(
    listener: TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_limits(listener, state, ServerLimits::default(), shutdown).await
}

/// [`serve`] with other limits (tests shorten the timeouts).
pub async fn serve_with_limits(
    listener: TcpListener,
    state: WebState,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = state.metrics.clone();
    server::serve(listener, router(state), limits, metrics, shutdown).await
}

async fn count_request(State(state): State<WebState>, request: Request, next: Next) -> Response {
    state.metrics.http_request();
    next.run(request).await
}

fn with_type(content_type: &'static str, status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A stored answer, sent as is (the bytes are shared, not copied).
fn stored(output: &Output) -> Response {
    with_type(output.content_type, output.status, output.bytes.clone())
}

/// A week page with the notice `now` calls for.
fn page(state: &WebState, page: &HtmlPage, now: DateTime<Utc>) -> Response {
    let notice = state.notice(now);
    let body: Bytes = page.body(notice.as_deref());
    with_type(page.output.content_type, page.output.status, body)
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const MARKDOWN: &str = "text/markdown; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

async fn this_week(State(state): State<WebState>) -> Response {
    let now = state.now();
    let week = IsoWeekId::of_instant(now, state.time_zone);
    let rendered = state.rendered(now);
    match rendered.week(week) {
        Some(pages) => page(&state, &pages.html, now),
        // Stored pages always hold this week; kept for safety.
        None => page(
            &state,
            &pages::html_page(&state.empty_week(week, now), now),
            now,
        ),
    }
}

async fn week_page(State(state): State<WebState>, Path(raw): Path<String>) -> Response {
    let (id, format) = if let Some(id) = raw.strip_suffix(".json") {
        (id, "json")
    } else if let Some(id) = raw.strip_suffix(".md") {
        (id, "md")
    } else {
        (raw.as_str(), "html")
    };
    let now = state.now();
    let week = match id.parse::<IsoWeekId>() {
        Ok(week) => week,
        Err(err) => {
            let message = err.to_string();
            return match format {
                "json" => with_type(
                    JSON,
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({ "error": message }).to_string(),
                ),
                "md" => with_type(TEXT, StatusCode::BAD_REQUEST, format!("{message}\n")),
                _ => stored(
                    &HtmlPage::new(
                        html::render_bad_week(
                            &message,
                            IsoWeekId::of_instant(now, state.time_zone),
                        ),
                        StatusCode::BAD_REQUEST,
                    )
                    .output,
                ),
            };
        }
    };
    let rendered = state.rendered(now);
    if let Some(pages) = rendered.week(week) {
        return match format {
            "json" => stored(&pages.json),
            "md" => stored(&pages.markdown),
            _ => page(&state, &pages.html, now),
        };
    }
    // A week far from today without data: rare, and cheap to render.
    let report = state.empty_week(week, now);
    match format {
        "json" => stored(&pages::json_output(&report)),
        "md" => stored(&pages::markdown_output(&report)),
        _ => page(&state, &pages::html_page(&report, now), now),
    }
}

async fn calendar(State(state): State<WebState>) -> Response {
    let rendered = state.rendered(state.now());
    let mut response = stored(&rendered.calendar);
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"pushbot.ics\""),
    );
    response
}

/// The `/healthz` body.
#[derive(Debug, Serialize)]
struct Health {
    /// `ok`, `starting`, `failing`, `write_cap_alert` or `stale`.
    status: &'static str,
    now: DateTime<Utc>,
    started_at: DateTime<Utc>,
    last_cycle_at: Option<DateTime<Utc>>,
    last_success_at: Option<DateTime<Utc>>,
    last_result: Option<CycleResult>,
    write_cap_alert: bool,
    /// 503 after this long without a finished cycle.
    stale_after_secs: i64,
    /// Among replicas: `single`, `standby`, `taking-over` or `writer`.
    role: &'static str,
    /// Seconds this process has held the writer's lease, if it does.
    lease_age_secs: Option<i64>,
    /// With webhooks on: what arrived, and what polling found that no
    /// event announced (a webhook that stopped shows here, not as a 503:
    /// polling carries everything meanwhile).
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook: Option<WebhookHealth>,
}

/// The webhook part of `/healthz`.
#[derive(Debug, Serialize)]
struct WebhookHealth {
    /// Deliveries by outcome (see `webhook::Outcome`).
    events: std::collections::BTreeMap<&'static str, u64>,
    last_event_at: Option<DateTime<Utc>>,
    /// Seconds since the last authenticated delivery.
    last_event_age_secs: Option<i64>,
    /// Runs on events.
    runs: u64,
    /// Changed bugs polls found that no event announced.
    unannounced_changes: u64,
}

async fn healthz(State(state): State<WebState>) -> Response {
    let now = state.now();
    let status = state.read(|d| d.status.clone());
    let limit = state.stale_after();
    let lease = state.metrics.lease_status();
    let reference = status.last_cycle_at.unwrap_or(state.started_at);
    let (label, code) = if status.write_cap_alert {
        ("write_cap_alert", StatusCode::SERVICE_UNAVAILABLE)
    } else if matches!(status.last_result, Some(CycleResult::Failed { .. })) {
        ("failing", StatusCode::SERVICE_UNAVAILABLE)
    } else if now - reference > limit {
        ("stale", StatusCode::SERVICE_UNAVAILABLE)
    } else if status.last_cycle_at.is_none() {
        ("starting", StatusCode::OK)
    } else {
        ("ok", StatusCode::OK)
    };
    let body = Health {
        status: label,
        now,
        started_at: state.started_at,
        last_cycle_at: status.last_cycle_at,
        last_success_at: status.last_success_at,
        last_result: status.last_result,
        write_cap_alert: status.write_cap_alert,
        stale_after_secs: limit.num_seconds(),
        role: lease.role.as_str(),
        lease_age_secs: lease.age_secs(now),
        webhook: state.webhooks.then(|| {
            let m = &state.metrics;
            let last = m.webhook_last_event();
            WebhookHealth {
                events: crate::webhook::Outcome::ALL
                    .iter()
                    .map(|o| (o.label(), m.webhook_events(*o)))
                    .collect(),
                last_event_at: last,
                last_event_age_secs: last.map(|at| (now - at).num_seconds().max(0)),
                runs: m.webhook_runs(),
                unannounced_changes: m.unannounced_changes(),
            }
        }),
    };
    let text =
        serde_json::to_string(&body).unwrap_or_else(|_| format!("{{\"status\":\"{label}\"}}"));
    with_type(JSON, code, text)
}

async fn metrics(State(state): State<WebState>) -> Response {
    with_type(
        metrics::CONTENT_TYPE,
        StatusCode::OK,
        state.metrics.encode(),
    )
}

async fn not_found() -> Response {
    with_type(
        TEXT,
        StatusCode::NOT_FOUND,
        "not found; try / (this week), /week/2026-W49, /calendar.ics, /healthz or /metrics\n"
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_as_people_say_them() {
        let cases = [
            (0, "0 minutes"),
            (1, "1 minute"),
            (45, "45 minutes"),
            (60, "1 hour"),
            (185, "3 hours 5 minutes"),
            (1440, "1 day"),
            (2 * 1440 + 4 * 60 + 59, "2 days 4 hours"),
        ];
        for (minutes, text) in cases {
            assert_eq!(ago(Duration::minutes(minutes)), text);
        }
        assert_eq!(ago(Duration::seconds(-5)), "0 minutes");
    }
}
