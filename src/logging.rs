//! Logging set-up: human-readable on a terminal, JSON lines with
//! `--log-format json`. The level comes from `RUST_LOG` (default `info`).
//!
//! Secrets never reach a log line because they are never formatted: the API
//! key is a [`crate::bugzilla::Secret`] and the client logs URLs without their
//! query string.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Coloured text when stderr is a terminal, plain text otherwise.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Installs the global subscriber; logs go to stderr so that command output
/// on stdout stays clean. `default_level` applies when `RUST_LOG` is unset
/// (`info` for the bot; the demo uses `warn` so its table reads clean).
pub fn init(format: LogFormat, default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Human => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    // A second init (tests) keeps the first subscriber; nothing to report.
    drop(result);
}
