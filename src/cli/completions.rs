//! `pushbot completions bash|zsh|fish`: the shell completion script on
//! stdout, generated from the command line's own definition (clap), so it
//! never falls behind a new subcommand or flag.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap_complete::Shell;

/// Prints the completion script for `shell` for `command` (the whole CLI).
/// Written in one piece, so a closed pipe (`| head`) is an error, not a
/// panic.
pub fn run(shell: Shell, mut command: clap::Command) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "pushbot", &mut script);
    match std::io::stdout().write_all(&script) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other
            .map(|()| ExitCode::SUCCESS)
            .context("writing the completion script to stdout"),
    }
}
