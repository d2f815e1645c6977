//! `pushbot once`: one cycle, then exit (for cron, rehearsals and tests).
//!
//! Exit code 0 when the cycle completed, 1 when Bugzilla could not be read
//! or a write failed (the next cycle retries), 3 when the write cap stopped
//! the cycle.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use pushbot::bot;
use pushbot::poll::{CycleReport, PollerOptions};

/// Arguments of `pushbot once`.
#[derive(Debug, clap::Args)]
pub struct OnceArgs {
    /// Make every read and decision, print the writes, make none.
    #[arg(long)]
    pub dry_run: bool,
    /// Lift the write cap (`poll.max_writes_per_cycle`) for this cycle, after
    /// a person has checked the planned writes.
    #[arg(long)]
    pub no_limit: bool,
    /// Decide as of this time: RFC 3339, or a local `YYYY-MM-DD HH:MM` in
    /// the team's zone. Default: now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

pub fn run(config: &Path, args: OnceArgs) -> anyhow::Result<ExitCode> {
    let (settings, rules) = super::load(config)?;
    let tz = settings.team.tz()?;
    let now = super::now_arg(args.now.as_deref(), tz)?.unwrap_or_else(Utc::now);
    let mut options = PollerOptions::from_settings(&settings);
    options.execute.dry_run |= args.dry_run;
    if settings.state.backend == pushbot::config::StateBackend::Postgres && !options.execute.dry_run
    {
        anyhow::bail!(
            "`pushbot once` does not take the writer's lease: with state.backend = \"postgres\" only `pushbot run` writes (docs/ha.md); use `once --dry-run`, or `run`"
        );
    }
    options.execute.no_limit = args.no_limit;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let mut poller = bot::start(&settings, rules, options)
            .await
            .with_context(|| format!("pushbot cannot start with {}", config.display()))?;
        anyhow::Ok(poller.run_once(now).await)
    })?;
    print_report(&report);
    Ok(exit_code(&report))
}

/// A short account of the cycle on stdout: in dry-run, first every write
/// it would have made.
pub fn print_report(report: &CycleReport) {
    print!("{}", report.dry_run_text);
    println!(
        "cycle at {}: {} push bugs tracked, {} changed, {} actions planned, {} taken, {} already done, {} writes, {} requests",
        report.started_at.format("%Y-%m-%d %H:%M:%SZ"),
        report.tracked_bugs,
        report.changed_bugs,
        report.planned,
        report.taken,
        report.duplicates,
        report.writes,
        report.requests,
    );
    for (rule, n) in &report.taken_by_rule {
        println!("  {rule}: {n}");
    }
    for error in &report.errors {
        println!("  error: {error}");
    }
    if let Some(alert) = &report.alert {
        println!("  ALERT: {alert}");
    }
}

fn exit_code(report: &CycleReport) -> ExitCode {
    if report.alert.is_some() {
        ExitCode::from(3)
    } else if report.outage || !report.errors.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
