//! `pushbot doctor`: validate the settings and print them (secrets
//! redacted), then ask Bugzilla for its version and prove that the API key
//! works and belongs to the bot account. Any failure prints the error (which
//! says what to fix) and exits non-zero.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pushbot::bugzilla::Client;
use pushbot::config::Settings;

/// Whether the bot is in Bugzilla's insider group, and what that means for
/// commands in private comments. A warning, never a failure: a team
/// without private comments needs nothing here.
async fn insider(client: &Client, settings: &Settings) {
    let bot = &settings.bugzilla.bot_login;
    // The bot sees its own groups (recording 138), unlike other users'.
    let groups: Vec<String> = match client.users(std::slice::from_ref(bot)).await {
        Ok(users) => users
            .into_iter()
            .filter(|u| u.name.eq_ignore_ascii_case(bot))
            .flat_map(|u| u.groups)
            .map(|g| g.name)
            .collect(),
        Err(e) => {
            println!("insider: unknown (cannot read the bot's groups: {e})");
            return;
        }
    };
    let listed = if groups.is_empty() {
        "none visible".to_string()
    } else {
        groups.join(", ")
    };
    match &settings.commands.insider_group {
        None => println!(
            "insider: not checked; the bot is in: {listed}. Bugzilla's REST API does not show its `insidergroup` parameter: set `commands.insider_group` to it to have this checked. Only insiders see private comments, so a command written in a private comment is answered only if the bot is one (its reply is private too)"
        ),
        Some(group) if groups.iter().any(|g| g.eq_ignore_ascii_case(group)) => println!(
            "insider: yes (in `{group}`): the bot sees private comments and answers commands in them with private replies"
        ),
        Some(group) => println!(
            "insider: NO, warning: the bot is not in `{group}` (it is in: {listed}), so it cannot see private comments and never answers commands written in them (Bugzilla refuses its private replies with 401/113); add {bot} to `{group}` if private commands should work"
        ),
    }
}

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
        insider(&client, &settings).await;
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
