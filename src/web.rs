//! The web server: the week view, its JSON and Markdown forms, the
//! iCalendar feed, `/healthz` and `/metrics`.
//!
//! It only reads: the poller writes the latest reports, cycle status and
//! counters into the shared [`WebData`], and every request renders from a
//! snapshot of it. It never calls Bugzilla and never sees the API key.
//! "Now" comes from the state's clock function so tests pin it.
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
//! | `/metrics` | Prometheus text exposition format |

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

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

use crate::config::WebSettings;
use crate::report::ics::IcsOptions;
use crate::report::{html, ics, json, markdown, IsoWeekId, WeekReport};

/// How many poll intervals may pass without a finished cycle before
/// `/healthz` answers 503.
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

/// Counters since start, for `/metrics`. All are monotonic except where
/// said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Poll cycles finished (either result).
    pub cycles_total: u64,
    /// HTTP requests sent to Bugzilla.
    pub bugzilla_requests_total: u64,
    /// Actions carried out (comments, flag changes…), by rule name.
    pub actions_by_rule: BTreeMap<String, u64>,
    /// Errors logged by the cycle (failed requests, skipped bad input).
    pub errors_total: u64,
}

/// Everything the server shows; the poller replaces parts of it after each
/// cycle.
#[derive(Debug, Clone, Default)]
pub struct WebData {
    /// The latest report of each week the cycle knows about.
    pub reports_by_week: BTreeMap<IsoWeekId, WeekReport>,
    /// The last cycle's outcome.
    pub status: CycleStatus,
    /// Counters since start.
    pub metrics: Metrics,
}

impl WebData {
    /// Records a finished cycle: sets the status and counts it.
    pub fn record_cycle(&mut self, finished_at: DateTime<Utc>, result: CycleResult) {
        if result == CycleResult::Ok {
            self.status.last_success_at = Some(finished_at);
        }
        self.status.last_cycle_at = Some(finished_at);
        self.status.last_result = Some(result);
        self.metrics.cycles_total += 1;
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
    /// Requests this server answered, for `/metrics`.
    http_requests: Arc<AtomicU64>,
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
            http_requests: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Options of the calendar feed (event length, name).
    pub fn with_ics_options(mut self, options: IcsOptions) -> WebState {
        self.ics = options;
        self
    }

    /// The shared data, for the poller to update.
    pub fn data(&self) -> Arc<RwLock<WebData>> {
        Arc::clone(&self.data)
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

    fn week_report(&self, week: IsoWeekId) -> WeekReport {
        let now = self.now();
        self.read(|d| {
            d.reports_by_week.get(&week).cloned().unwrap_or_else(|| {
                WeekReport::empty(
                    week,
                    self.time_zone,
                    d.status.last_success_at.unwrap_or(now),
                )
            })
        })
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

/// Serves `router(state)` on `listener` until `shutdown` completes, then
/// finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn count_request(State(state): State<WebState>, request: Request, next: Next) -> Response {
    state.http_requests.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

fn with_type(content_type: &'static str, status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const MARKDOWN: &str = "text/markdown; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

fn html_page(result: Result<String, html::HtmlError>, status: StatusCode) -> Response {
    match result {
        Ok(page) => with_type(HTML, status, page),
        Err(err) => {
            tracing::error!(error = %err, "week page failed to render");
            with_type(
                TEXT,
                StatusCode::INTERNAL_SERVER_ERROR,
                "pushbot could not render this page; the log has the details\n".to_string(),
            )
        }
    }
}

async fn this_week(State(state): State<WebState>) -> Response {
    let now = state.now();
    let week = IsoWeekId::of_instant(now, state.time_zone);
    html_page(
        html::render(&state.week_report(week), Some(now)),
        StatusCode::OK,
    )
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
                _ => html_page(
                    html::render_bad_week(&message, IsoWeekId::of_instant(now, state.time_zone)),
                    StatusCode::BAD_REQUEST,
                ),
            };
        }
    };
    let report = state.week_report(week);
    match format {
        "json" => match json::render(&report) {
            Ok(body) => with_type(JSON, StatusCode::OK, body),
            Err(err) => {
                tracing::error!(error = %err, week = %week, "week JSON failed to serialise");
                with_type(
                    TEXT,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "pushbot could not serialise this week; the log has the details\n".to_string(),
                )
            }
        },
        "md" => with_type(MARKDOWN, StatusCode::OK, markdown::render(&report)),
        _ => html_page(html::render(&report, Some(now)), StatusCode::OK),
    }
}

async fn calendar(State(state): State<WebState>) -> Response {
    let now = state.now();
    let body = state.read(|d| {
        let stamp = d.status.last_success_at.unwrap_or(now);
        ics::render(d.reports_by_week.values(), stamp, &state.ics)
    });
    let mut response = with_type("text/calendar; charset=utf-8", StatusCode::OK, body);
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
}

async fn healthz(State(state): State<WebState>) -> Response {
    let now = state.now();
    let status = state.read(|d| d.status.clone());
    let limit = state
        .poll_interval
        .checked_mul(STALE_AFTER_INTERVALS)
        .unwrap_or(Duration::MAX);
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
    };
    let text =
        serde_json::to_string(&body).unwrap_or_else(|_| format!("{{\"status\":\"{label}\"}}"));
    with_type(JSON, code, text)
}

/// Escapes a Prometheus label value: backslash, double quote, newline.
fn label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The Prometheus text exposition (format 0.0.4) of the counters.
pub fn render_metrics(data: &WebData, http_requests: u64) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let m = &data.metrics;
    metric(
        "pushbot_cycles_total",
        "counter",
        "Poll cycles finished since start.",
        &[(String::new(), m.cycles_total.to_string())],
    );
    metric(
        "pushbot_bugzilla_requests_total",
        "counter",
        "HTTP requests sent to Bugzilla since start.",
        &[(String::new(), m.bugzilla_requests_total.to_string())],
    );
    metric(
        "pushbot_http_requests_total",
        "counter",
        "Requests answered by this web server since start.",
        &[(String::new(), http_requests.to_string())],
    );
    let actions: Vec<(String, String)> = m
        .actions_by_rule
        .iter()
        .map(|(rule, n)| (format!("{{rule=\"{}\"}}", label_value(rule)), n.to_string()))
        .collect();
    metric(
        "pushbot_actions_total",
        "counter",
        "Actions carried out since start, by rule.",
        &actions,
    );
    metric(
        "pushbot_errors_total",
        "counter",
        "Errors logged by poll cycles since start.",
        &[(String::new(), m.errors_total.to_string())],
    );
    metric(
        "pushbot_last_success_timestamp_seconds",
        "gauge",
        "Unix time of the last successful cycle; 0 when none yet.",
        &[(
            String::new(),
            data.status
                .last_success_at
                .map_or(0, |t| t.timestamp())
                .to_string(),
        )],
    );
    metric(
        "pushbot_write_cap_alert",
        "gauge",
        "1 while the write-cap alert is raised (a cycle planned too many writes).",
        &[(
            String::new(),
            u8::from(data.status.write_cap_alert).to_string(),
        )],
    );
    out
}

async fn metrics(State(state): State<WebState>) -> Response {
    let requests = state.http_requests.load(Ordering::Relaxed);
    let body = state.read(|d| render_metrics(d, requests));
    with_type(
        "text/plain; version=0.0.4; charset=utf-8",
        StatusCode::OK,
        body,
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
