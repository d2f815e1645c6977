//! The `pushbot` command line. Thin: it reads settings, sets up logging and
//! calls into the library; each subcommand lives in `src/cli/`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pushbot::logging::{self, LogFormat};

mod cli;

/// A Bugzilla bot that keeps production pushes safe and predictable.
#[derive(Debug, Parser)]
#[command(name = "pushbot", version, about)]
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
    /// Check the settings and that the API key works and belongs to the bot
    /// account, then print what the server is.
    Doctor,
    /// Check the rule files: `pushbot rules check [DIR]`.
    Rules {
        #[command(subcommand)]
        command: cli::rules::RulesCommand,
    },
    /// Show a push bug's model and every rule's verdict with the reason.
    Explain(cli::explain::ExplainArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    let result = match cli.command {
        Command::Doctor => cli::doctor::run(&cli.config),
        Command::Rules { command } => cli::rules::run(&cli.config, command),
        Command::Explain(args) => cli::explain::run(&cli.config, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
