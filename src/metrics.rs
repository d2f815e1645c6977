//! The process's counters, one type for all of them: the poller counts its
//! cycles ([`Metrics::record_cycle`]), the web server its requests and
//! connections, and `/metrics` is their Prometheus text exposition (format
//! 0.0.4), written by `prometheus-client` ([`Metrics::encode`]).
//!
//! [`Metrics`] is cheap to clone: clones share the counters, so the poller
//! and the web server hold the same ones (`Poller::set_metrics`) and a
//! scrape reads them as they are, with no copy per cycle.
//!
//! | series | type | what |
//! |---|---|---|
//! | `pushbot_cycles_total` | counter | poll cycles finished (either result) |
//! | `pushbot_outages_total` | counter | cycles that could not read Bugzilla |
//! | `pushbot_bugzilla_requests_total` | counter | HTTP requests sent to Bugzilla (retries included) |
//! | `pushbot_errors_total` | counter | errors of poll cycles (failed requests, skipped bad input) |
//! | `pushbot_writes_total` | counter | POST and PUT requests to Bugzilla |
//! | `pushbot_duplicates_total` | counter | planned actions found already done (their marker was there) |
//! | `pushbot_actions_total{rule}` | counter | actions carried out (written, or rendered in dry-run), by rule |
//! | `pushbot_last_success_timestamp_seconds` | gauge | start ("now") of the last cycle that read Bugzilla and made its writes; 0 when none yet |
//! | `pushbot_write_cap_alert` | gauge | 1 while the latest cycle planned more writes than `poll.max_writes_per_cycle` |
//! | `pushbot_http_requests_total` | counter | requests this web server answered |
//! | `pushbot_http_connections_open` | gauge | connections open to this web server now |
//! | `pushbot_http_connections_rejected_total` | counter | connections refused because the web server had its maximum open |
//! | `pushbot_webhook_events_total{outcome}` | counter | webhook deliveries by outcome: `accepted`, `duplicate`, `ignored_own`, `untracked`, `malformed`, `unknown_kind`, `unauthorized` |
//! | `pushbot_webhook_last_event_timestamp_seconds` | gauge | when the last authenticated webhook delivery arrived; 0 when none yet |
//! | `pushbot_webhook_runs_total` | counter | runs on webhook events (re-read, plan, execute), apart from `pushbot_cycles_total` |
//! | `pushbot_webhook_untracked_after_read_total` | counter | announced bugs the re-read found not to be push bugs |
//! | `pushbot_poll_unannounced_changes_total` | counter | with webhooks on: changed bugs a poll found that no event announced and the bot did not write (a silent webhook shows here) |
//!
//! Must not: decide anything, or hold what is not a count (the cycle's
//! status for `/healthz` is `web::CycleStatus`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::lease::{LeaseStatus, Role};
use crate::poll::CycleReport;
use crate::webhook::Outcome;

/// The `Content-Type` of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The label of `pushbot_lease_role`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RoleLabel {
    role: String,
}

/// Where the lease's role is read (`lease::Lease::status`); none for a
/// single process.
pub type LeaseSource = Arc<dyn Fn() -> LeaseStatus + Send + Sync>;

/// The label of `pushbot_actions_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabel {
    rule: String,
}

/// The label of `pushbot_webhook_events_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

/// Every counter of the process (see the module doc). Clones share them.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Holds a clone of every series below (they share their values).
    registry: Registry,
    cycles: Counter,
    outages: Counter,
    bugzilla_requests: Counter,
    errors: Counter,
    writes: Counter,
    duplicates: Counter,
    actions: Family<RuleLabel, Counter>,
    /// Unix seconds; 0 = none yet.
    last_success: Gauge,
    write_cap_alert: Gauge,
    http_requests: Counter,
    connections_open: Gauge,
    connections_rejected: Counter,
    /// 1 on the series of this process's role, 0 on the others.
    lease_role: Family<RoleLabel, Gauge>,
    /// Seconds this process has held the lease; 0 when it does not.
    lease_age: Gauge,
    lease_source: LeaseSlot,
    webhook_events: Family<OutcomeLabel, Counter>,
    /// Unix seconds; 0 = none yet.
    webhook_last_event: Gauge,
    webhook_runs: Counter,
    webhook_untracked_after_read: Counter,
    unannounced_changes: Counter,
}

/// Holds the [`LeaseSource`] (a closure, which has no `Debug`).
struct LeaseSlot(std::sync::RwLock<Option<LeaseSource>>);

impl std::fmt::Debug for LeaseSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LeaseSlot")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// All counters at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        // prometheus-client adds `_total` to a counter's name, and a `.` to
        // every help text.
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let cycles = counter(
            &mut registry,
            "pushbot_cycles",
            "Poll cycles finished since start",
        );
        let outages = counter(
            &mut registry,
            "pushbot_outages",
            "Poll cycles since start that could not read Bugzilla",
        );
        let bugzilla_requests = counter(
            &mut registry,
            "pushbot_bugzilla_requests",
            "HTTP requests sent to Bugzilla since start",
        );
        let http_requests = counter(
            &mut registry,
            "pushbot_http_requests",
            "Requests answered by this web server since start",
        );
        let connections_open = gauge(
            &mut registry,
            "pushbot_http_connections_open",
            "Connections open to this web server now",
        );
        let connections_rejected = counter(
            &mut registry,
            "pushbot_http_connections_rejected",
            "Connections refused since start because the web server had its maximum open",
        );
        let actions = Family::<RuleLabel, Counter>::default();
        registry.register(
            "pushbot_actions",
            "Actions carried out since start, by rule",
            actions.clone(),
        );
        let errors = counter(
            &mut registry,
            "pushbot_errors",
            "Errors logged by poll cycles since start",
        );
        let writes = counter(
            &mut registry,
            "pushbot_writes",
            "POST and PUT requests sent to Bugzilla since start",
        );
        let duplicates = counter(
            &mut registry,
            "pushbot_duplicates",
            "Planned actions found already done (their marker was in Bugzilla) since start",
        );
        let last_success = gauge(
            &mut registry,
            "pushbot_last_success_timestamp_seconds",
            "Unix time at which the last successful cycle started; 0 when none yet",
        );
        let write_cap_alert = gauge(
            &mut registry,
            "pushbot_write_cap_alert",
            "1 while the write-cap alert is raised (a cycle planned too many writes)",
        );
        let lease_role = Family::<RoleLabel, Gauge>::default();
        registry.register(
            "pushbot_lease_role",
            "1 on this process's role among replicas (single, standby, taking-over, writer)",
            lease_role.clone(),
        );
        let lease_age = gauge(
            &mut registry,
            "pushbot_lease_age_seconds",
            "Seconds this process has held the writer's lease; 0 when it does not",
        );
        let webhook_events = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "pushbot_webhook_events",
            "Webhook deliveries received since start, by outcome",
            webhook_events.clone(),
        );
        let webhook_last_event = gauge(
            &mut registry,
            "pushbot_webhook_last_event_timestamp_seconds",
            "Unix time of the last authenticated webhook delivery; 0 when none yet",
        );
        let webhook_runs = counter(
            &mut registry,
            "pushbot_webhook_runs",
            "Runs on webhook events since start (re-read, plan, execute)",
        );
        let webhook_untracked_after_read = counter(
            &mut registry,
            "pushbot_webhook_untracked_after_read",
            "Announced bugs the re-read found not to be push bugs since start",
        );
        let unannounced_changes = counter(
            &mut registry,
            "pushbot_poll_unannounced_changes",
            "Changed bugs a poll found that no webhook event announced since start",
        );
        Metrics {
            inner: Arc::new(Inner {
                webhook_events,
                webhook_last_event,
                webhook_runs,
                webhook_untracked_after_read,
                unannounced_changes,
                lease_role,
                lease_age,
                lease_source: LeaseSlot(std::sync::RwLock::new(None)),
                registry,
                cycles,
                outages,
                bugzilla_requests,
                errors,
                writes,
                duplicates,
                actions,
                last_success,
                write_cap_alert,
                http_requests,
                connections_open,
                connections_rejected,
            }),
        }
    }

    /// Counts a finished cycle (either result): its requests, errors,
    /// writes, duplicates and actions; an outage; the start of a successful
    /// one (it read Bugzilla and was not stopped part-way); the write-cap
    /// alert, raised or cleared by each cycle.
    pub fn record_cycle(&self, report: &CycleReport) {
        let m = &self.inner;
        if report.triggered.is_some() {
            m.webhook_runs.inc();
        } else {
            m.cycles.inc();
        }
        m.unannounced_changes.inc_by(report.unannounced as u64);
        m.webhook_untracked_after_read
            .inc_by(report.untracked as u64);
        if report.outage {
            m.outages.inc();
        }
        m.bugzilla_requests.inc_by(report.requests);
        m.errors.inc_by(report.errors.len() as u64);
        m.writes.inc_by(report.writes as u64);
        m.duplicates.inc_by(report.duplicates as u64);
        for (rule, n) in &report.taken_by_rule {
            m.actions
                .get_or_create(&RuleLabel { rule: rule.clone() })
                .inc_by(*n as u64);
        }
        if !report.outage && !report.interrupted && report.triggered.is_none() {
            m.last_success.set(report.started_at.timestamp());
        }
        m.write_cap_alert.set(i64::from(report.alert.is_some()));
    }

    /// Counts a webhook delivery received at `at`, by outcome; an
    /// authenticated one is also the last event.
    pub fn webhook_event(&self, outcome: Outcome, at: DateTime<Utc>) {
        self.inner
            .webhook_events
            .get_or_create(&OutcomeLabel {
                outcome: outcome.label(),
            })
            .inc();
        if outcome != Outcome::Unauthorized {
            self.inner.webhook_last_event.set(at.timestamp());
        }
    }

    /// Counts a request the web server answered.
    pub fn http_request(&self) {
        self.inner.http_requests.inc();
    }

    /// Takes a connection slot unless `max` are open; a refusal is
    /// counted. Pair every `true` with [`Metrics::close_connection`].
    pub(crate) fn open_connection(&self, max: usize) -> bool {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        let before = self.inner.connections_open.inc();
        if before >= max {
            self.inner.connections_open.dec();
            self.inner.connections_rejected.inc();
            return false;
        }
        true
    }

    /// Frees a slot [`Metrics::open_connection`] took.
    pub(crate) fn close_connection(&self) {
        self.inner.connections_open.dec();
    }

    /// Reads the role from `source` from now on (replicas).
    pub fn set_lease_source(&self, source: LeaseSource) {
        *self
            .inner
            .lease_source
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(source);
    }

    /// This process's role and the lease's age (`/healthz`).
    pub fn lease_status(&self) -> LeaseStatus {
        self.inner
            .lease_source
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map_or(LeaseStatus::SINGLE, |source| source())
    }

    /// The Prometheus text exposition (format 0.0.4) of every series; its
    /// `Content-Type` is [`CONTENT_TYPE`].
    pub fn encode(&self) -> String {
        let status = self.lease_status();
        for role in [Role::Single, Role::Standby, Role::TakingOver, Role::Writer] {
            let label = RoleLabel {
                role: role.as_str().to_string(),
            };
            self.inner
                .lease_role
                .get_or_create(&label)
                .set(i64::from(role == status.role));
        }
        self.inner
            .lease_age
            .set(status.age_secs(Utc::now()).unwrap_or(0));
        let mut text = String::new();
        // Writing into a String cannot fail; an error would leave the text
        // short, never wrong.
        let _ = prometheus_text::encode(&mut text, &self.inner.registry);
        text
    }

    /// Poll cycles finished.
    pub fn cycles(&self) -> u64 {
        self.inner.cycles.get()
    }

    /// Cycles that could not read Bugzilla.
    pub fn outages(&self) -> u64 {
        self.inner.outages.get()
    }

    /// HTTP requests sent to Bugzilla by the cycles.
    pub fn bugzilla_requests(&self) -> u64 {
        self.inner.bugzilla_requests.get()
    }

    /// Errors of the cycles.
    pub fn errors(&self) -> u64 {
        self.inner.errors.get()
    }

    /// POST and PUT requests of the cycles.
    pub fn writes(&self) -> u64 {
        self.inner.writes.get()
    }

    /// Planned actions found already done.
    pub fn duplicates(&self) -> u64 {
        self.inner.duplicates.get()
    }

    /// Actions of `rule` carried out.
    pub fn actions(&self, rule: &str) -> u64 {
        self.inner
            .actions
            .get(&RuleLabel {
                rule: rule.to_string(),
            })
            .map_or(0, |counter| counter.get())
    }

    /// The start of the last successful cycle, if any (whole seconds).
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        match self.inner.last_success.get() {
            0 => None,
            secs => DateTime::from_timestamp(secs, 0),
        }
    }

    /// True while the latest cycle's write-cap alert is raised.
    pub fn write_cap_alert(&self) -> bool {
        self.inner.write_cap_alert.get() != 0
    }

    /// Requests the web server answered.
    pub fn http_requests(&self) -> u64 {
        self.inner.http_requests.get()
    }

    /// Connections open to the web server now.
    pub fn connections_open(&self) -> u64 {
        u64::try_from(self.inner.connections_open.get()).unwrap_or(0)
    }

    /// Webhook deliveries received with `outcome`.
    pub fn webhook_events(&self, outcome: Outcome) -> u64 {
        self.inner
            .webhook_events
            .get(&OutcomeLabel {
                outcome: outcome.label(),
            })
            .map_or(0, |counter| counter.get())
    }

    /// When the last authenticated webhook delivery arrived (whole seconds).
    pub fn webhook_last_event(&self) -> Option<DateTime<Utc>> {
        match self.inner.webhook_last_event.get() {
            0 => None,
            secs => DateTime::from_timestamp(secs, 0),
        }
    }

    /// Runs on webhook events.
    pub fn webhook_runs(&self) -> u64 {
        self.inner.webhook_runs.get()
    }

    /// Announced bugs the re-read found not to be push bugs.
    pub fn webhook_untracked_after_read(&self) -> u64 {
        self.inner.webhook_untracked_after_read.get()
    }

    /// Changed bugs polls found that no event announced.
    pub fn unannounced_changes(&self) -> u64 {
        self.inner.unannounced_changes.get()
    }

    /// Connections the web server refused (it had its maximum open).
    pub fn connections_rejected(&self) -> u64 {
        self.inner.connections_rejected.get()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::TimeZone;

    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 20, minute, 0).unwrap()
    }

    #[test]
    fn counts_cycles_and_keeps_the_last_success() {
        let metrics = Metrics::new();
        assert_eq!(metrics.last_success(), None);
        metrics.record_cycle(&CycleReport {
            started_at: at(0),
            requests: 3,
            writes: 2,
            duplicates: 1,
            taken_by_rule: BTreeMap::from([("no-owner".to_string(), 2)]),
            alert: Some("too many".to_string()),
            ..CycleReport::default()
        });
        let clone = metrics.clone();
        clone.record_cycle(&CycleReport {
            started_at: at(5),
            requests: 1,
            outage: true,
            errors: vec!["Bugzilla answered 503".to_string()],
            ..CycleReport::default()
        });
        clone.record_cycle(&CycleReport {
            started_at: at(10),
            interrupted: true,
            ..CycleReport::default()
        });
        assert_eq!(metrics.cycles(), 3, "clones share the counters");
        assert_eq!(metrics.outages(), 1);
        assert_eq!(metrics.bugzilla_requests(), 4);
        assert_eq!(metrics.errors(), 1);
        assert_eq!(metrics.writes(), 2);
        assert_eq!(metrics.duplicates(), 1);
        assert_eq!(metrics.actions("no-owner"), 2);
        assert_eq!(metrics.actions("signoff"), 0);
        // An outage and an interrupted cycle are not successes.
        assert_eq!(metrics.last_success(), Some(at(0)));
        assert!(!metrics.write_cap_alert(), "cleared by the next cycle");
    }

    #[test]
    fn connection_slots_stop_at_the_maximum_and_count_refusals() {
        let metrics = Metrics::new();
        assert!(metrics.open_connection(2));
        assert!(metrics.open_connection(2));
        assert!(!metrics.open_connection(2));
        assert_eq!(
            (metrics.connections_open(), metrics.connections_rejected()),
            (2, 1)
        );
        metrics.close_connection();
        assert!(metrics.open_connection(2));
        assert_eq!(metrics.connections_open(), 2);
    }

    #[test]
    fn the_exposition_names_every_series_once_with_its_type() {
        let metrics = Metrics::new();
        metrics.record_cycle(&CycleReport {
            started_at: at(0),
            taken_by_rule: BTreeMap::from([("odd \"rule\"\\\n".to_string(), 1)]),
            ..CycleReport::default()
        });
        metrics.http_request();
        let text = metrics.encode();
        for (name, kind) in [
            ("pushbot_cycles_total", "counter"),
            ("pushbot_outages_total", "counter"),
            ("pushbot_bugzilla_requests_total", "counter"),
            ("pushbot_errors_total", "counter"),
            ("pushbot_writes_total", "counter"),
            ("pushbot_duplicates_total", "counter"),
            ("pushbot_actions_total", "counter"),
            ("pushbot_last_success_timestamp_seconds", "gauge"),
            ("pushbot_write_cap_alert", "gauge"),
            ("pushbot_http_requests_total", "counter"),
            ("pushbot_http_connections_open", "gauge"),
            ("pushbot_http_connections_rejected_total", "counter"),
        ] {
            let typed = format!("# TYPE {name} {kind}\n");
            assert_eq!(text.matches(&typed).count(), 1, "{name}: {text}");
            assert_eq!(text.matches(&format!("# HELP {name} ")).count(), 1);
        }
        assert!(text.contains("\npushbot_cycles_total 1\n"), "{text}");
        assert!(text.contains(&format!(
            "\npushbot_last_success_timestamp_seconds {}\n",
            at(0).timestamp()
        )));
        // Label values escaped as the format asks.
        assert!(
            text.contains("\npushbot_actions_total{rule=\"odd \\\"rule\\\"\\\\\\n\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains(".."), "one period after each help text");
    }
}
