//! `pushbot doctor`: validate the settings and print them (secrets
//! redacted). The Bugzilla connection check is added with the client.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pushbot::config::Settings;

pub fn run(config: &Path) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)
        .with_context(|| format!("settings in {} are not usable", config.display()))?;
    println!("settings: ok ({})", config.display());
    println!("bugzilla: {}", settings.rest_base()?);
    println!("bot account: {}", settings.bugzilla.bot_login);
    Ok(ExitCode::SUCCESS)
}
