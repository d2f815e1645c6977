//! `pushbot run`: the daemon. A cycle every `poll.interval_secs` until
//! SIGINT or SIGTERM, which finishes the write in progress and stops.
//! Also serves the week view on `web.listen`, fed after every cycle,
//! unless `web.enabled = false`, and with `webhook.enabled` receives
//! Bugzilla's webhook events on `webhook.listen` (a run on each announced
//! bug between polls, which then come every `webhook.poll_interval_secs`).

use std::path::Path;
use std::process::ExitCode;

use std::sync::{Arc, RwLock};

use anyhow::Context;
use chrono::Utc;
use pushbot::bot;
use pushbot::clock;
use pushbot::config::StateBackend;
use pushbot::lease::Lease;
use pushbot::live;
use pushbot::poll::{PollerOptions, Trigger};
use pushbot::web::{self, WebData};
use pushbot::webhook::endpoint::{self, Endpoint};

/// Arguments of `pushbot run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Make every read and decision, print the writes, make none.
    #[arg(long)]
    pub dry_run: bool,
    /// Rehearse: start the bot's clock at this time (RFC 3339, or a local
    /// `YYYY-MM-DD HH:MM` in the team's zone) and let it run on from there.
    /// Combine with `--dry-run` to see what Monday morning will bring.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

pub fn run(config: &Path, args: RunArgs) -> anyhow::Result<ExitCode> {
    let (settings, rules) = super::load(config)?;
    let mut options = PollerOptions::from_settings(&settings);
    options.execute.dry_run |= args.dry_run;
    let interval_secs = options.interval.as_secs();
    let clock = match &args.now {
        Some(text) => {
            let tz = settings.team.tz()?;
            let start = clock::parse_now(text, tz).with_context(|| format!("--now {text}"))?;
            let offset = start - Utc::now();
            let shifted: web::Clock = Arc::new(move || Utc::now() + offset);
            shifted
        }
        None => web::system_clock(),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let decider = bot::decider(&settings, rules.clone())?;
    runtime.block_on(async {
        let mut poller = bot::start(&settings, rules, options)
            .await
            .with_context(|| format!("pushbot cannot start with {}", config.display()))?;
        poller.set_clock(Arc::clone(&clock));
        // Replicas on PostgreSQL: only the lease's holder writes.
        let lease = match settings.state.backend {
            StateBackend::Postgres => {
                let lease = Lease::new(&settings)?;
                poller.set_write_gate(Arc::new(lease.clone()));
                Some((lease.spawn(), lease))
            }
            StateBackend::Sqlite => None,
        };
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let server = if settings.web.enabled {
            let data = Arc::new(RwLock::new(WebData::default()));
            let state = live::web_state(&settings, data, Arc::clone(&clock))?;
            let listener = web::bind(&settings.web).await?;
            let mut web_stop = stop_rx.clone();
            poller.set_after_cycle(live::feed(decider, &state));
            poller.set_metrics(state.metrics().clone());
            if let Some((_, lease)) = &lease {
                let lease = lease.clone();
                state
                    .metrics()
                    .set_lease_source(Arc::new(move || lease.status()));
            }
            let (addr, task) = live::spawn_server(listener, state, async move {
                let _ = web_stop.wait_for(|stop| *stop).await;
            })?;
            tracing::info!(%addr, "web server listening");
            Some(task)
        } else {
            None
        };
        let webhook = if settings.webhook.enabled {
            let trigger = Trigger::new();
            poller.set_trigger(trigger.clone());
            let endpoint = Endpoint::new(
                &settings.webhook,
                &settings.bugzilla.bot_login,
                &settings.query,
                trigger,
                poller.metrics(),
                Arc::clone(&clock),
            )?;
            let listener = endpoint::bind(&settings.webhook).await?;
            let addr = listener.local_addr()?;
            let mut hook_stop = stop_rx.clone();
            let task = tokio::spawn(endpoint.serve(listener, async move {
                let _ = hook_stop.wait_for(|stop| *stop).await;
            }));
            tracing::info!(%addr, path = endpoint::PATH, header = %settings.webhook.header, "webhook endpoint listening");
            Some(task)
        } else {
            None
        };
        tracing::info!(
            interval_secs,
            webhooks = settings.webhook.enabled,
            dry_run = settings.dry_run || args.dry_run,
            "pushbot running; stop with Ctrl-C or SIGTERM"
        );
        // In dry-run, every cycle's writes as they would be made.
        poller
            .run(shutdown_signal(), |report| {
                if !report.dry_run_text.is_empty() {
                    print!("{}", report.dry_run_text);
                }
            })
            .await;
        if let Some((task, _)) = lease {
            // The process ends next, closing the session: the lock is free.
            task.abort();
        }
        let _ = stop_tx.send(true);
        if let Some(task) = webhook {
            task.await
                .context("the webhook endpoint task failed")?
                .context("the webhook endpoint failed")?;
        }
        if let Some(task) = server {
            task.await
                .context("the web server task failed")?
                .context("the web server failed")?;
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (how `docker stop` and systemd
/// ask a service to stop).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = term => tracing::info!("SIGTERM: shutting down"),
    }
}
