//! `pushbot serve`: the week view, calendar feed, `/healthz` and `/metrics`,
//! kept live by a read-only poller: dry-run cycles (every read and
//! decision, never a write) with a state file of its own in a temporary
//! directory, so it never moves the daemon's watermark.

use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use pushbot::bot;
use pushbot::live;
use pushbot::poll::PollerOptions;
use pushbot::web::{self, WebData};

/// Arguments of `pushbot serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Listen here instead of `web.listen` (port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Print `listening on http://ADDR` on stdout once bound (for scripts
    /// and tests that ask for port 0).
    #[arg(long)]
    pub print_addr: bool,
    /// Pin "now" for the poller and the pages: RFC 3339, or a local
    /// `YYYY-MM-DD HH:MM` in the team's zone. Default: the real clock.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

pub fn run(config: &Path, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let (mut settings, rules) = super::load(config)?;
    let tz = settings.team.tz()?;
    let pinned = super::now_arg(args.now.as_deref(), tz)?;
    if let Some(listen) = args.listen {
        settings.web.listen = listen;
    }
    let scratch = tempfile::tempdir()
        .context("cannot create a temporary directory for the read-only poller's state")?;
    let mut poll_settings = settings.clone();
    poll_settings.state.path = scratch.path().join("serve.sqlite");
    let mut options = PollerOptions::from_settings(&settings);
    options.execute.dry_run = true;
    let decider = bot::decider(&settings, rules.clone())?;
    let data = Arc::new(RwLock::new(WebData::default()));
    let state = live::web_state(&settings, data, live::clock(pinned))?;

    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = web::bind(&settings.web).await?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut web_stop = stop_rx.clone();
        let feed = live::feed(decider, &state);
        let metrics = state.metrics().clone();
        let (addr, server) = live::spawn_server(listener, state, async move {
            let _ = web_stop.wait_for(|stop| *stop).await;
        })?;
        tracing::info!(%addr, "web server listening");
        if args.print_addr {
            println!("listening on http://{addr}");
        }
        let mut poller = bot::start(&poll_settings, rules, options)
            .await
            .with_context(|| format!("pushbot cannot start with {}", config.display()))?;
        poller.set_after_cycle(feed);
        poller.set_metrics(metrics);
        if let Some(at) = pinned {
            poller.set_clock(Arc::new(move || at));
        }
        // The daemon's loop, read-only: the dry-run text is not printed.
        poller.run(super::run::shutdown_signal(), |_| {}).await;
        let _ = stop_tx.send(true);
        server
            .await
            .context("the web server task failed")?
            .context("the web server failed")?;
        anyhow::Ok(())
    })?;
    drop(scratch);
    Ok(ExitCode::SUCCESS)
}
