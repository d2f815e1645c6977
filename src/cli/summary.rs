//! `pushbot summary`: prints a week's summary on demand (Markdown, HTML or
//! JSON), read from Bugzilla through the poller's full-load searches (open
//! push bugs and those shipped recently, which still count). Never writes.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use pushbot::bugzilla::Client;
use pushbot::live;
use pushbot::poll::PollerOptions;
use pushbot::report::{html, json, markdown, IsoWeekId};

/// Output format of `pushbot summary`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// The comment text the bot posts (Markdown that reads as plain text).
    Md,
    /// The week view page.
    Html,
    /// The week as JSON (the `/week/ID.json` document).
    Json,
}

/// Arguments of `pushbot summary`.
#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// The week: `2026-W49`, `this` or `next`. Default: this week (team zone).
    #[arg(long, default_value = "this")]
    pub week: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Md)]
    pub format: Format,
    /// As of this time: RFC 3339, or a local `YYYY-MM-DD HH:MM` in the
    /// team's zone. Default: now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

pub fn run(config: &Path, args: SummaryArgs) -> anyhow::Result<ExitCode> {
    let (settings, rules) = super::load(config)?;
    let tz = settings.team.tz()?;
    let now = super::now_arg(args.now.as_deref(), tz)?.unwrap_or_else(Utc::now);
    let this = IsoWeekId::of_instant(now, tz);
    let week = match args.week.as_str() {
        "this" => this,
        "next" => this.next(),
        other => other
            .parse()
            .with_context(|| format!("--week {other}: use 2026-W49, `this` or `next`"))?,
    };
    let decider = pushbot::bot::decider(&settings, rules)?;
    let options = PollerOptions::from_settings(&settings);
    let client = Client::new(&settings).context("cannot build the Bugzilla client")?;
    // A past week's shipped pushes count for it too: load those shipped
    // since that week began (minus the lookback), not only this week's.
    let loaded_as_of = now.min(week.bounds(tz).0);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let snapshot = runtime
        .block_on(live::read_snapshot(
            &client,
            &options.query,
            &options.shipped,
            loaded_as_of,
        ))
        .with_context(|| format!("cannot read the push bugs from {}", settings.bugzilla.url))?;
    let report = decider.week_report(&snapshot, week, now);
    let text = match args.format {
        Format::Md => markdown::render(&report),
        Format::Html => html::render(&report, Some(now)).context("rendering the week view")?,
        Format::Json => json::render(&report).context("rendering the week as JSON")?,
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
