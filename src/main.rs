//! The `pushbot` command line. Thin: it reads settings, sets up logging and
//! calls into the library; each subcommand lives in `src/cli/`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use pushbot::logging::{self, LogFormat};

mod cli;

/// The version and the commit it was built from (`build.rs`).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PUSHBOT_COMMIT"),
    ")"
);

/// A Bugzilla bot that keeps production pushes safe and predictable.
#[derive(Debug, Parser)]
#[command(name = "pushbot", version = VERSION, about)]
struct Cli {
    /// Settings file (TOML); `PUSHBOT__SECTION__KEY` environment variables
    /// override it.
    #[arg(long, global = true, default_value = "pushbot.toml")]
    config: PathBuf,
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a commented `pushbot.toml` and the shipped `rules/` into DIR
    /// (default: here), never overwriting; then print the next commands.
    Init(cli::init::InitArgs),
    /// Check what can be checked before running: settings, rules, the
    /// server, the key, the push query, flag types, groups, accounts, the
    /// tracking bug, webhooks. Prints PASS/WARN/FAIL with what to do; exit
    /// 0 only without a failure.
    Doctor,
    /// Run a local Bugzilla 5.2 stand-in (the sandbox), for trying pushbot
    /// without a real server. Prints its URL, API keys and, without
    /// `--data`, a ready `pushbot.toml` for it.
    ///
    /// Example: `pushbot sandbox` (the demo's week), or `pushbot sandbox
    /// --data tests/fixtures/sandbox/example.toml --port 8088`, then
    /// `curl 'http://127.0.0.1:8088/rest/bug?api_key=KEY'`.
    Sandbox {
        /// Data file (TOML, or JSON if it ends in `.json`): users and their
        /// API keys, groups, products, flag types and bugs. Default: the
        /// demo's week (the seed meeting's push bugs), its clock starting
        /// at Monday 2026-11-30 09:00 in Los Angeles.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 8088)]
        port: u16,
        /// Start the sandbox clock at this UTC time (e.g.
        /// `2026-12-01T16:00:00Z`) instead of now; it runs on from there.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Check the rule files: `pushbot rules check [DIR]`.
    Rules {
        #[command(subcommand)]
        command: cli::rules::RulesCommand,
    },
    /// Show a push bug's model and every rule's verdict with the reason.
    Explain(cli::explain::ExplainArgs),
    /// Run one cycle (poll, decide, write), then exit: for cron and rehearsals.
    Once(cli::once::OnceArgs),
    /// Run the bot against a built-in sandbox seeded with the seed meeting's
    /// week, and print what it does, bug by bug. Needs no settings.
    Demo,
    /// Run the bot: a cycle every `poll.interval_secs` until Ctrl-C/SIGTERM;
    /// also serves the week view unless `web.enabled = false`.
    Run(cli::run::RunArgs),
    /// Print a week's summary (Markdown, HTML or JSON), read from Bugzilla;
    /// writes nothing.
    Summary(cli::summary::SummaryArgs),
    /// Serve the week view, `/calendar.ics`, `/healthz` and `/metrics`, fed
    /// by a read-only poller (dry-run cycles: never a write).
    Serve(cli::serve::ServeArgs),
    /// Ask the running bot's `/healthz` (on `web.listen`, or `--url`):
    /// exit 0 when healthy, 1 otherwise. The container's health check.
    Healthcheck(cli::healthcheck::HealthcheckArgs),
    /// Print the shell completion script: `pushbot completions bash`
    /// (zsh, fish too).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo prints its own account of every action; info logs would
    // only repeat it between the table's lines.
    let level = if matches!(cli.command, Command::Demo) {
        "warn"
    } else {
        "info"
    };
    logging::init(cli.log_format, level);
    let result = match cli.command {
        Command::Init(args) => cli::init::run(args),
        Command::Doctor => cli::doctor::run(&cli.config),
        Command::Sandbox { data, port, at } => cli::sandbox::run(data.as_deref(), port, at),
        Command::Rules { command } => cli::rules::run(&cli.config, command),
        Command::Explain(args) => cli::explain::run(&cli.config, args),
        Command::Demo => cli::demo::run(),
        Command::Once(args) => cli::once::run(&cli.config, args),
        Command::Run(args) => cli::run::run(&cli.config, args),
        Command::Summary(args) => cli::summary::run(&cli.config, args),
        Command::Serve(args) => cli::serve::run(&cli.config, args),
        Command::Healthcheck(args) => cli::healthcheck::run(&cli.config, args),
        Command::Completions { shell } => cli::completions::run(shell, Cli::command()),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
