//! `pushbot rules check [DIR]`: loads every rule file, renders every
//! template against sample pushes, prints a line per rule, or every problem
//! with file, line and reason (exit code 2).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use pushbot::config::Settings;

/// `pushbot rules …`
#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Validate every rule file and template; exit code 2 on any error.
    Check {
        /// The rule directory. Default: `rules.dir` from the settings when
        /// the settings file exists, else `rules`.
        dir: Option<PathBuf>,
    },
}

/// Exit code for invalid rule files (1 is for the tool failing itself).
const INVALID_RULES: u8 = 2;

/// The rule directory: given, or from the settings file if there is one,
/// or `rules`.
pub fn rules_dir(config: &Path, given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    if config.exists() {
        let settings = Settings::load(config)
            .with_context(|| format!("settings in {} are not usable", config.display()))?;
        return Ok(settings.rules.dir);
    }
    Ok(PathBuf::from("rules"))
}

pub fn run(config: &Path, command: RulesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::Check { dir } => {
            let dir = rules_dir(config, dir)?;
            match pushbot::rule_files::load_all(&dir) {
                Ok(set) => {
                    for rule in &set.rules {
                        println!(
                            "ok  {:<18} {:<17} {}",
                            rule.name,
                            rule.kind.name(),
                            rule.description
                        );
                    }
                    println!("{} rule(s) in {} are valid", set.rules.len(), dir.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("error: {e}");
                    }
                    eprintln!(
                        "{} problem(s) in {}; fix them and run `pushbot rules check` again",
                        errors.len(),
                        dir.display()
                    );
                    Ok(ExitCode::from(INVALID_RULES))
                }
            }
        }
    }
}
