//! `ConfigError`: a settings problem found at start-up, naming the setting
//! and saying what to do. The one error of loading the settings (`config`)
//! and of every section's `validate`, wherever the section is defined.
//!
//! A leaf: it depends on nothing in the crate. It lives in this crate, the
//! lowest of the workspace that has settings (`[bugzilla]`, `[query]`), so
//! every section defined beside the code it configures (here, in
//! `pushbot-core`: `commands`, `push`, `report::summary`, `clock::team`;
//! in `pushbot`: `web`, `poll`) returns it and needs no `config`, and
//! pushbot's `config`, which assembles the sections into `Settings`,
//! depends on them without a cycle.

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
