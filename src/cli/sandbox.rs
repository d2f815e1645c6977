//! `pushbot sandbox`: run the in-process Bugzilla stand-in on its own until
//! Ctrl-C, with a data file or, without one, the demo's week. Prints the
//! URL and every user's API key, and for the demo's week a settings file
//! that points the bot at it.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use pushbot::sandbox::{Sandbox, SandboxClock, SandboxData, SandboxOptions};

/// Starts the sandbox on `127.0.0.1:port` (0 = any free port). With `at`,
/// the sandbox clock starts at that instant and runs on from there.
pub fn run(data: Option<&Path>, port: u16, at: Option<DateTime<Utc>>) -> anyhow::Result<ExitCode> {
    let demo_week = data.is_none();
    let (data, start) = match data {
        Some(path) => (
            SandboxData::from_path(path)
                .with_context(|| format!("cannot use sandbox data file {}", path.display()))?,
            None,
        ),
        None => (
            SandboxData::from_toml_str(pushbot::demo::DATA)
                .context("the demo's built-in sandbox data")?,
            Some(pushbot::demo::start_time().context("the demo's start time")?),
        ),
    };
    let clock = match at.or(start) {
        Some(at) => SandboxClock::starting_at(at),
        None => SandboxClock::real(),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let options = SandboxOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            clock,
            ..SandboxOptions::default()
        };
        let sandbox = Sandbox::start(data, options)
            .await
            .context("cannot start the sandbox")?;
        println!("sandbox Bugzilla 5.2 listening on {}", sandbox.base_url());
        println!("REST base: {}/rest", sandbox.base_url());
        println!(
            "clock: {}",
            sandbox.clock().now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        for (login, key) in sandbox.api_keys() {
            println!("api key for {login}: {key}");
        }
        println!(
            "try: curl '{}/rest/bug?whiteboard=push:&include_fields=id,summary,whiteboard'",
            sandbox.base_url()
        );
        if demo_week {
            println!();
            println!(
                "# A pushbot.toml for this sandbox (the demo's bot account and apps); save it and run"
            );
            println!("# `pushbot doctor`, `pushbot once --dry-run --now \"2026-11-30 09:05\"`:");
            print!(
                "{}",
                pushbot::demo::settings_text(&sandbox.base_url(), Path::new("pushbot.sqlite"))
            );
            println!();
        }
        println!("Ctrl-C stops it.");
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        sandbox.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}
