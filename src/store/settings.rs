//! `[state]`: where the local state lives (`bot::start` and the command
//! line open it).

use std::path::PathBuf;

use serde::Deserialize;

/// `[state]`: the local SQLite file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSettings {
    /// Default: `pushbot.sqlite` in the working directory.
    #[serde(default = "default_state_path")]
    pub path: PathBuf,
}

impl Default for StateSettings {
    fn default() -> Self {
        StateSettings {
            path: default_state_path(),
        }
    }
}

fn default_state_path() -> PathBuf {
    PathBuf::from("pushbot.sqlite")
}
