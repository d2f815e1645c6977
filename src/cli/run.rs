//! `pushbot run`: the daemon. A cycle every `poll.interval_secs` until
//! SIGINT or SIGTERM, which finishes the write in progress and stops.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pushbot::bot;
use pushbot::poll::PollerOptions;

/// Arguments of `pushbot run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Make every read and decision, print the writes, make none.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(config: &Path, args: RunArgs) -> anyhow::Result<ExitCode> {
    let (settings, rules) = super::load(config)?;
    let mut options = PollerOptions::from_settings(&settings);
    options.execute.dry_run |= args.dry_run;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut poller = bot::start(&settings, rules, options)
            .await
            .with_context(|| format!("pushbot cannot start with {}", config.display()))?;
        tracing::info!(
            interval_secs = settings.poll.interval_secs,
            dry_run = settings.dry_run || args.dry_run,
            "pushbot running; stop with Ctrl-C or SIGTERM"
        );
        poller.run(shutdown_signal()).await;
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
