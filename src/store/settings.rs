//! `[state]`: where the state lives (`bot::start` and the command line
//! open it): the local SQLite file, or a PostgreSQL database shared by
//! replicas (docs/ha.md).

use std::path::PathBuf;

use serde::Deserialize;

use crate::bugzilla::Secret;
use crate::config::ConfigError;

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
    /// Instead of `url`, its parts (e.g. each from `PUSHBOT__STATE__HOST`
    /// and so on, as a container platform hands them out): the server's
    /// host name (or a Unix socket directory), port (default 5432), user,
    /// password and database name.
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    #[serde(default)]
    pub dbname: Option<String>,
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
            host: None,
            port: None,
            user: None,
            password: None,
            dbname: None,
        }
    }
}

impl StateSettings {
    /// The PostgreSQL database as a libpq connection string: `url` as
    /// written, or a `key=value` string of its parts. Exactly one of the
    /// two must be given: a part beside a URL would leave unclear which
    /// wins.
    pub fn postgres(&self) -> Result<String, ConfigError> {
        let parts = [
            ("host", self.host.clone()),
            ("port", self.port.map(|p| p.to_string())),
            ("user", self.user.clone()),
            (
                "password",
                self.password.as_ref().map(|p| p.expose().to_string()),
            ),
            ("dbname", self.dbname.clone()),
        ];
        let given: Vec<(&str, String)> = parts
            .into_iter()
            .filter_map(|(key, value)| Some((key, value?)))
            .collect();
        match (&self.url, given.is_empty()) {
            (Some(url), true) => Ok(url.clone()),
            (Some(_), false) => {
                let keys: Vec<String> = given.iter().map(|(k, _)| format!("state.{k}")).collect();
                Err(ConfigError::invalid(
                    "state.url",
                    format!(
                        "given together with {}: set either the URL or its parts, not both",
                        keys.join(", ")
                    ),
                ))
            }
            (None, true) => Err(ConfigError::invalid(
                "state.url",
                "state.backend = \"postgres\" needs the database: set state.url (or PUSHBOT__STATE__URL), e.g. postgres://pushbot@db.example.org/pushbot, or its parts state.host, state.user, state.password, state.dbname",
            )),
            (None, false) => {
                if self.host.is_none() {
                    return Err(ConfigError::invalid(
                        "state.host",
                        "missing: with the database given in parts, set at least state.host (PUSHBOT__STATE__HOST), e.g. db.example.org",
                    ));
                }
                let pairs: Vec<String> = given
                    .iter()
                    .map(|(key, value)| format!("{key}={}", conninfo_value(value)))
                    .collect();
                Ok(pairs.join(" "))
            }
        }
    }
}

/// A value of a libpq `key=value` string: single-quoted, with `\` and `'`
/// escaped, so that spaces and quotes in a password survive.
fn conninfo_value(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn default_state_path() -> PathBuf {
    PathBuf::from("pushbot.sqlite")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(host: Option<&str>, password: Option<&str>) -> StateSettings {
        StateSettings {
            backend: StateBackend::Postgres,
            host: host.map(str::to_string),
            user: Some("pushbot".to_string()),
            password: password.map(Secret::new),
            dbname: Some("pushbot".to_string()),
            port: Some(5433),
            ..StateSettings::default()
        }
    }

    #[test]
    fn the_parts_make_a_connection_string_that_postgres_reads_back() {
        let text = parts(Some("db.example.org"), Some("it's a \\ secret"))
            .postgres()
            .unwrap();
        let config: tokio_postgres::Config = text.parse().unwrap();
        assert_eq!(
            config.get_hosts(),
            &[tokio_postgres::config::Host::Tcp(
                "db.example.org".to_string()
            )]
        );
        assert_eq!(config.get_ports(), &[5433]);
        assert_eq!(config.get_user(), Some("pushbot"));
        assert_eq!(config.get_dbname(), Some("pushbot"));
        assert_eq!(config.get_password(), Some("it's a \\ secret".as_bytes()));
    }

    #[test]
    fn a_url_is_taken_as_written() {
        let settings = StateSettings {
            url: Some("postgres://pushbot@db.example.org/pushbot".to_string()),
            ..StateSettings::default()
        };
        assert_eq!(
            settings.postgres().unwrap(),
            "postgres://pushbot@db.example.org/pushbot"
        );
    }

    #[test]
    fn a_url_and_parts_together_or_neither_are_refused_by_name() {
        let mut both = parts(Some("db.example.org"), None);
        both.url = Some("postgres://db.example.org/pushbot".to_string());
        let err = both.postgres().unwrap_err().to_string();
        assert!(
            err.contains("state.url") && err.contains("state.host"),
            "{err}"
        );
        let err = StateSettings::default().postgres().unwrap_err().to_string();
        assert!(
            err.contains("state.url") && err.contains("state.host"),
            "{err}"
        );
        let err = parts(None, Some("pw")).postgres().unwrap_err().to_string();
        assert!(err.contains("state.host"), "{err}");
        assert!(!err.contains("pw"), "{err}");
    }
}
