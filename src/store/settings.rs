//! `[state]`: where the state lives (`bot::start` and the command line
//! open it): the local SQLite file, or a PostgreSQL database shared by
//! replicas (docs/ha.md).

use std::path::PathBuf;

use serde::Deserialize;

/// `[state]`: where the state is: the local SQLite file, or a PostgreSQL
/// database shared by replicas (docs/ha.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSettings {
    /// `sqlite` (one process) or `postgres` (replicas, one writer at a
    /// time). Default: `sqlite`.
    #[serde(default)]
    pub backend: StateBackend,
    /// The SQLite file. Default: `pushbot.sqlite` in the working directory.
    #[serde(default = "default_state_path")]
    pub path: PathBuf,
    /// With `backend = "postgres"`: the database, as a `postgres://` URL or
    /// a libpq `key=value` string (`PUSHBOT__STATE__URL` keeps a password
    /// out of the file).
    #[serde(default)]
    pub url: Option<String>,
}

/// `state.backend`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateBackend {
    #[default]
    Sqlite,
    Postgres,
}

impl Default for StateSettings {
    fn default() -> Self {
        StateSettings {
            backend: StateBackend::Sqlite,
            path: default_state_path(),
            url: None,
        }
    }
}

fn default_state_path() -> PathBuf {
    PathBuf::from("pushbot.sqlite")
}
