//! `pushbot doctor`: validate the settings and print them (secrets
//! redacted), then ask Bugzilla for its version and prove that the API key
//! works and belongs to the bot account. Any failure prints the error (which
//! says what to fix) and exits non-zero.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pushbot::bugzilla::Client;
use pushbot::config::Settings;

pub fn run(config: &Path) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)
        .with_context(|| format!("settings in {} are not usable", config.display()))?;
    println!("settings: ok ({})", config.display());
    println!("bugzilla: {}", settings.rest_base()?);
    println!("bot account: {}", settings.bugzilla.bot_login);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let client = Client::new(&settings).context("cannot set up the Bugzilla client")?;
    runtime.block_on(async {
        let version = client.version().await.context(
            "Bugzilla did not answer `GET /version`; check `bugzilla.url` and `bugzilla.rest_path`",
        )?;
        println!("server version: {version}");
        let user = client
            .verify_login()
            .await
            .context("the API key check failed")?;
        println!(
            "login: ok, the key acts as {}{}",
            user.name,
            user.real_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
        println!(
            "markdown comments: {}",
            if client.supports_markdown() {
                "yes"
            } else {
                "no"
            }
        );
        println!("requests made: {}", client.request_count());
        Ok(ExitCode::SUCCESS)
    })
}
