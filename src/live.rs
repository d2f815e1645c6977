//! Feeds the web server from the live bot: after every poll cycle, the
//! snapshot becomes a [`WeekReport`](crate::report::WeekReport) for every
//! week with pushes, and the cycle's report becomes the server's
//! [`CycleStatus`](crate::web::CycleStatus). The pages are rendered right
//! then, once per cycle ([`WebState::update`]), so requests only send
//! bytes. The counters need no feeding: the poller counts into the web
//! state's [`Metrics`](crate::metrics::Metrics)
//! (`poller.set_metrics(state.metrics().clone())`).
//!
//! Used by `pushbot run` (the real poller, unless `web.enabled = false`)
//! and `pushbot serve` (a read-only poller: dry-run cycles, every read and
//! decision, never a write, with a state file of its own so it never moves
//! the daemon's watermark).
//!
//! Must not: decide anything (the [`Decider`] does) or write to Bugzilla.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use tokio::net::TcpListener;

use crate::bot::Decider;
use crate::config::Settings;
use crate::poll::{AfterCycle, CycleReport, Shipped, Snapshot};
use crate::report::ics::IcsOptions;
use crate::web::{self, CycleResult, WebData, WebState};

/// Copies one finished cycle into the web data: every week's report and
/// the status (result, last success, write-cap alert).
/// A run on webhook events changes the reports but not the poll's status
/// (`/healthz` watches the safety net; a failed run is caught up by it).
pub fn update(data: &mut WebData, decider: &Decider, snapshot: &Snapshot, cycle: &CycleReport) {
    if cycle.triggered.is_some() {
        if !cycle.outage {
            data.reports_by_week = Arc::new(decider.week_reports(snapshot, cycle.started_at));
        }
        return;
    }
    let finished_at =
        cycle.started_at + Duration::from_std(cycle.duration).unwrap_or_else(|_| Duration::zero());
    let result = if cycle.outage {
        CycleResult::Failed {
            reason: cycle
                .errors
                .first()
                .cloned()
                .unwrap_or_else(|| "Bugzilla could not be read".to_string()),
        }
    } else {
        CycleResult::Ok
    };
    if result == CycleResult::Ok {
        // An outage keeps the last good reports: stale beats empty.
        data.reports_by_week = Arc::new(decider.week_reports(snapshot, cycle.started_at));
    }
    data.record_cycle(finished_at, result);
    data.status.write_cap_alert = cycle.alert.is_some();
}

/// The poller's after-cycle hook that keeps `state`'s data current and
/// renders its pages (on the poller's task, not on a request's).
pub fn feed(decider: Decider, state: &WebState) -> AfterCycle {
    let state = state.clone();
    Box::new(move |snapshot, cycle| {
        state.update(|data| update(data, &decider, snapshot, cycle));
    })
}

/// The server state for `settings`: the team's zone, the poll interval (for
/// `/healthz`), the calendar options, and `clock`.
pub fn web_state(
    settings: &Settings,
    data: Arc<RwLock<WebData>>,
    clock: web::Clock,
) -> Result<WebState, crate::config::ConfigError> {
    let tz = settings.team.tz()?;
    let secs = if settings.webhook.enabled {
        settings.webhook.poll_interval_secs
    } else {
        settings.poll.interval_secs
    };
    let interval = std::time::Duration::from_secs(secs);
    Ok(WebState::new(data, tz, interval, clock)
        .with_ics_options(IcsOptions {
            duration: Duration::minutes(i64::from(settings.web.ics_duration_minutes)),
            calendar_name: settings.web.calendar_name.clone(),
        })
        .with_webhooks(settings.webhook.enabled))
}

/// Serves `state` on `listener` in a task of its own until `shutdown`
/// completes. Returns the bound address and the task.
pub fn spawn_server(
    listener: TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let addr = listener.local_addr()?;
    let task = tokio::spawn(web::serve(listener, state, shutdown));
    Ok((addr, task))
}

/// A clock pinned to `now` (for `--now`), or the system clock.
pub fn clock(now: Option<DateTime<Utc>>) -> web::Clock {
    match now {
        Some(t) => Arc::new(move || t),
        None => web::system_clock(),
    }
}

/// Reads every push bug the bot tracks at `now` (the open ones of
/// `query` and those shipped recently enough, see [`Shipped`]) and their
/// comments, once (`pushbot summary`): the same searches as the poller's
/// full load, no writes.
pub async fn read_snapshot(
    client: &crate::bugzilla::Client,
    query: &crate::bugzilla::SearchQuery,
    shipped: &Shipped,
    now: DateTime<Utc>,
) -> Result<Snapshot, crate::bugzilla::BugzillaError> {
    let found = crate::poll::search_push_bugs(client, query, shipped, now).await?;
    for (id, reason) in &found.skipped {
        let bug = id.map_or_else(|| "?".to_string(), |id| id.to_string());
        tracing::warn!(bug, reason, "bug skipped: could not be read");
    }
    let ids: Vec<crate::bugzilla::BugId> = found.bugs.iter().map(|b| b.id).collect();
    let mut comments = if ids.is_empty() {
        std::collections::BTreeMap::new()
    } else {
        client.comments(&ids, None).await?
    };
    let mut snapshot = Snapshot::default();
    for bug in found.bugs {
        let mut list = comments.remove(&bug.id).unwrap_or_default();
        list.sort_by_key(|c| (c.creation_time, c.id));
        snapshot.bugs.insert(
            bug.id,
            crate::poll::TrackedBug {
                bug,
                comments: list,
            },
        );
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn decider() -> Decider {
        Decider {
            rules: crate::rules::RuleSet::default(),
            push: crate::push::PushSettings::default(),
            bot_login: "pushbot@example.test".to_string(),
            tz: chrono_tz::America::Los_Angeles,
            commands: crate::commands::CommandSettings::default(),
            summary: crate::report::summary::SummarySettings::default(),
            bugzilla_url: "https://bugzilla.example".to_string(),
            web_audience: crate::redact::Audience::public(),
        }
    }

    #[test]
    fn an_outage_keeps_the_last_reports_and_marks_the_cycle_failed() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap();
        let mut data = WebData::default();
        let ok = CycleReport {
            started_at: at,
            ..CycleReport::default()
        };
        update(&mut data, &decider(), &Snapshot::default(), &ok);
        let this_week: crate::report::IsoWeekId = "2026-W49".parse().unwrap();
        assert!(data.reports_by_week.contains_key(&this_week));
        assert_eq!(data.status.last_result, Some(CycleResult::Ok));
        assert_eq!(data.status.last_success_at, Some(at));

        let later = at + Duration::days(7);
        let outage = CycleReport {
            started_at: later,
            outage: true,
            errors: vec!["reading Bugzilla failed, retrying next cycle: timeout".to_string()],
            alert: Some("cap".to_string()),
            ..CycleReport::default()
        };
        update(&mut data, &decider(), &Snapshot::default(), &outage);
        // The reports are the last good ones (no week 50 yet).
        assert_eq!(data.reports_by_week.len(), 1);
        assert!(matches!(
            data.status.last_result,
            Some(CycleResult::Failed { ref reason }) if reason.contains("timeout")
        ));
        assert_eq!(data.status.last_success_at, Some(at));
        assert!(data.status.write_cap_alert);
    }
}
