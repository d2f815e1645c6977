//! One module per subcommand. Each exposes `run(...) -> anyhow::Result<ExitCode>`.

pub mod completions;
#[cfg(feature = "sandbox")]
pub mod demo;
pub mod doctor;
pub mod explain;
pub mod healthcheck;
pub mod init;
pub mod once;
pub mod rules;
pub mod run;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod serve;
pub mod summary;
#[cfg(not(feature = "sandbox"))]
mod without_sandbox;
#[cfg(not(feature = "sandbox"))]
pub use without_sandbox::{demo, sandbox};

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use pushbot::config::Settings;
use pushbot::rules::RuleSet;

/// Reads the settings and the rule files, refusing to start on any problem:
/// a bad rule file stops start-up with its file, line and reason.
pub fn load(config: &Path) -> anyhow::Result<(Settings, RuleSet)> {
    let settings = Settings::load(config)
        .with_context(|| format!("settings in {} are not usable", config.display()))?;
    let rules = pushbot::rule_files::load(&settings.rules.dir).with_context(|| {
        format!(
            "rule files in {} are not usable (see `pushbot rules check {}`)",
            settings.rules.dir.display(),
            settings.rules.dir.display()
        )
    })?;
    Ok((settings, rules))
}

/// The `--now TIME` option of `once`, `summary` and `serve`, if given:
/// RFC 3339, or a local `YYYY-MM-DD HH:MM` in the team's zone `tz`.
pub fn now_arg(now: Option<&str>, tz: Tz) -> anyhow::Result<Option<DateTime<Utc>>> {
    now.map(|text| pushbot::clock::parse_now(text, tz).with_context(|| format!("--now {text}")))
        .transpose()
}
