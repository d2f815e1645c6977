//! `ConfigError`: a settings problem found at start-up, naming the setting
//! and saying what to do. The one error of loading the settings (`config`)
//! and of every section's `validate`, wherever the section is defined.
//!
//! A leaf: it depends on nothing in the crate. So a section defined beside
//! the code it configures (`bugzilla`, `commands`, `push`,
//! `report::summary`, `web`) needs no `config`, and `config`, which
//! assembles the sections into `Settings`, depends on them without a
//! cycle.

use thiserror::Error;

/// A settings problem, found at start-up.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read or parsed (the message carries the line).
    #[error("cannot read settings from {path}: {reason}")]
    File { path: String, reason: String },
    /// One setting has a bad value.
    #[error("setting `{setting}`: {problem}")]
    Invalid { setting: String, problem: String },
}

impl ConfigError {
    /// Setting `setting` (`section.key`) has a bad value; `problem` says
    /// why and what to write instead.
    pub fn invalid(setting: &str, problem: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            setting: setting.to_string(),
            problem: problem.into(),
        }
    }
}
