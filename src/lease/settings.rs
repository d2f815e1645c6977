//! `[lease]`: the timing of the PostgreSQL sessions and of the leader
//! lease, and the two bounds derived from it (docs/ha.md).
//!
//! A writer that is cut off from PostgreSQL must stop writing before a
//! standby may start: the **stop bound** says how soon after its last
//! confirmed contact with PostgreSQL the old writer starts no more writes;
//! the **takeover grace** is how long a new writer waits after taking the
//! lock before its first write. The lock is freed no earlier than the old
//! writer's last confirmation, so the grace must exceed the stop bound plus
//! the longest write already in flight (`bugzilla.timeout_secs`): then no
//! two writers' writes overlap, whatever freed the lock. The server-side
//! timeouts (keepalives, `tcp_user_timeout`, `idle_session_timeout`) decide
//! how soon the lock is freed at all: the **takeover bound** (the latest a
//! standby starts writing after the writer was cut off).

use std::time::Duration;

use serde::Deserialize;

use crate::bugzilla::BugzillaSettings;
use crate::config_error::ConfigError;

/// `[lease]`: every key in seconds unless it says otherwise.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseSettings {
    /// The writer's confirmation before every write (a query on the lock's
    /// own session) must answer within this; a write starts at most this
    /// long after its confirmation was sent. Default: 2.
    #[serde(default = "default_confirm")]
    pub confirm_timeout_secs: u64,
    /// How often a standby tries to take the lock, and the writer confirms
    /// it when idle (which keeps its session from `idle_session_timeout`).
    /// Default: 3.
    #[serde(default = "default_retry")]
    pub retry_secs: u64,
    /// TCP keepalive, both ends of every session: idle time before the
    /// first probe. Default: 4.
    #[serde(default = "default_keepalives_idle")]
    pub keepalives_idle_secs: u64,
    /// TCP keepalive: time between probes. Default: 2.
    #[serde(default = "default_keepalives_interval")]
    pub keepalives_interval_secs: u64,
    /// TCP keepalive: unanswered probes before the connection is dropped.
    /// Default: 3.
    #[serde(default = "default_keepalives_count")]
    pub keepalives_count: u32,
    /// `TCP_USER_TIMEOUT`, both ends: data unacknowledged this long drops
    /// the connection. Default: 10.
    #[serde(default = "default_user_timeout")]
    pub tcp_user_timeout_secs: u64,
    /// The server ends the lock's session after it sat idle this long (a
    /// backstop when keepalives do not reach it, e.g. through a proxy).
    /// Default: 30.
    #[serde(default = "default_idle_session")]
    pub idle_session_timeout_secs: u64,
    /// `statement_timeout` of every session. Default: 5.
    #[serde(default = "default_statement")]
    pub statement_timeout_secs: u64,
    /// How long a new writer waits after taking the lock before its first
    /// write. Default: the stop bound plus `bugzilla.timeout_secs` plus 1.
    #[serde(default)]
    pub takeover_grace_secs: Option<u64>,
    /// The advisory lock's key: replicas of one bot share it; two bots on
    /// one database need two keys. Default: 0x50534842 (`PSHB`).
    #[serde(default = "default_lock_key")]
    pub lock_key: i64,
}

impl Default for LeaseSettings {
    fn default() -> Self {
        LeaseSettings {
            confirm_timeout_secs: default_confirm(),
            retry_secs: default_retry(),
            keepalives_idle_secs: default_keepalives_idle(),
            keepalives_interval_secs: default_keepalives_interval(),
            keepalives_count: default_keepalives_count(),
            tcp_user_timeout_secs: default_user_timeout(),
            idle_session_timeout_secs: default_idle_session(),
            statement_timeout_secs: default_statement(),
            takeover_grace_secs: None,
            lock_key: default_lock_key(),
        }
    }
}

fn default_confirm() -> u64 {
    2
}
fn default_retry() -> u64 {
    3
}
fn default_keepalives_idle() -> u64 {
    4
}
fn default_keepalives_interval() -> u64 {
    2
}
fn default_keepalives_count() -> u32 {
    3
}
fn default_user_timeout() -> u64 {
    10
}
fn default_idle_session() -> u64 {
    30
}
fn default_statement() -> u64 {
    5
}
fn default_lock_key() -> i64 {
    0x5053_4842
}

/// The bounds the settings promise, in seconds (docs/ha.md derives them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The longest the client's pacing may hold a write after its
    /// confirmation: one request of `bugzilla.rate_limit_per_minute`.
    pub pacing: u64,
    /// A cut-off writer starts no write later than this after its last
    /// confirmed contact with PostgreSQL: `confirm_timeout_secs + pacing`.
    pub stop: u64,
    /// The longest a write is in flight: `bugzilla.timeout_secs`.
    pub write: u64,
    /// A new writer's wait after taking the lock; more than `stop + write`.
    pub grace: u64,
    /// How long the server may take to notice a cut-off session and free
    /// its lock: `max(tcp_user_timeout, keepalives_idle + count × interval)`.
    pub detection: u64,
    /// The latest a standby writes after the writer was cut off (or died):
    /// `detection + retry + confirm_timeout + grace`.
    pub takeover: u64,
}

impl LeaseSettings {
    /// The bounds with the client's `bugzilla` settings.
    pub fn bounds(&self, bugzilla: &BugzillaSettings) -> Bounds {
        let pacing = 60u64.div_ceil(u64::from(bugzilla.rate_limit_per_minute.max(1)));
        let stop = self.confirm_timeout_secs + pacing;
        let write = bugzilla.timeout_secs;
        let grace = self.takeover_grace_secs.unwrap_or(stop + write + 1);
        let detection = self.tcp_user_timeout_secs.max(
            self.keepalives_idle_secs
                + u64::from(self.keepalives_count) * self.keepalives_interval_secs,
        );
        Bounds {
            pacing,
            stop,
            write,
            grace,
            detection,
            takeover: detection + self.retry_secs + self.confirm_timeout_secs + grace,
        }
    }

    /// Checks the section against the client's settings: every timeout set,
    /// and a new writer's grace longer than the old writer's stop bound
    /// plus a write in flight.
    pub fn validate(&self, bugzilla: &BugzillaSettings) -> Result<(), ConfigError> {
        for (name, value) in [
            ("lease.confirm_timeout_secs", self.confirm_timeout_secs),
            ("lease.retry_secs", self.retry_secs),
            ("lease.keepalives_idle_secs", self.keepalives_idle_secs),
            (
                "lease.keepalives_interval_secs",
                self.keepalives_interval_secs,
            ),
            ("lease.keepalives_count", u64::from(self.keepalives_count)),
            ("lease.tcp_user_timeout_secs", self.tcp_user_timeout_secs),
            (
                "lease.idle_session_timeout_secs",
                self.idle_session_timeout_secs,
            ),
            ("lease.statement_timeout_secs", self.statement_timeout_secs),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(
                    name,
                    "must be at least 1: without it a cut-off session is noticed late or never (docs/ha.md)",
                ));
            }
        }
        if self.idle_session_timeout_secs <= self.retry_secs + self.confirm_timeout_secs {
            return Err(ConfigError::invalid(
                "lease.idle_session_timeout_secs",
                format!(
                    "{} s would end the writer's session between two of its confirmations (every lease.retry_secs = {} s, each up to lease.confirm_timeout_secs = {} s); set it above {}",
                    self.idle_session_timeout_secs,
                    self.retry_secs,
                    self.confirm_timeout_secs,
                    self.retry_secs + self.confirm_timeout_secs
                ),
            ));
        }
        let b = self.bounds(bugzilla);
        if b.grace <= b.stop + b.write {
            return Err(ConfigError::invalid(
                "lease.takeover_grace_secs",
                format!(
                    "{} s is not more than the stop bound ({} s: lease.confirm_timeout_secs {} + one request of bugzilla.rate_limit_per_minute {}) plus bugzilla.timeout_secs ({} s): a new writer could write while the old writer's last write is in flight; set it above {}, or leave it out to derive it",
                    b.grace, b.stop, self.confirm_timeout_secs, b.pacing, b.write, b.stop + b.write
                ),
            ));
        }
        Ok(())
    }

    /// The session settings for `url` (a `postgres://` URL or a libpq
    /// `key=value` string): TCP keepalives and `TCP_USER_TIMEOUT` on the
    /// client's socket, the same and `statement_timeout` asked of the
    /// server for this session, and `idle_session_timeout` when `lock` (the
    /// lease's session, which is never idle longer than `retry_secs`).
    pub fn session_config(
        &self,
        url: &str,
        application: &str,
        lock: bool,
    ) -> Result<tokio_postgres::Config, ConfigError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            ConfigError::invalid(
                "state.url",
                format!("not a PostgreSQL URL or key=value string ({e}); write e.g. postgres://pushbot@db.example.org/pushbot"),
            )
        })?;
        let mut options = config.get_options().unwrap_or_default().to_string();
        let mut set = |name: &str, value: String| {
            if !options.is_empty() {
                options.push(' ');
            }
            options.push_str(&format!("-c {name}={value}"));
        };
        set("tcp_keepalives_idle", self.keepalives_idle_secs.to_string());
        set(
            "tcp_keepalives_interval",
            self.keepalives_interval_secs.to_string(),
        );
        set("tcp_keepalives_count", self.keepalives_count.to_string());
        set(
            "tcp_user_timeout",
            (self.tcp_user_timeout_secs * 1000).to_string(),
        );
        set(
            "statement_timeout",
            (self.statement_timeout_secs * 1000).to_string(),
        );
        if lock {
            set(
                "idle_session_timeout",
                (self.idle_session_timeout_secs * 1000).to_string(),
            );
        }
        config
            .options(&options)
            .application_name(application)
            .connect_timeout(Duration::from_secs(self.confirm_timeout_secs.max(1)))
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(self.keepalives_idle_secs))
            .keepalives_interval(Duration::from_secs(self.keepalives_interval_secs))
            .keepalives_retries(self.keepalives_count)
            .tcp_user_timeout(Duration::from_secs(self.tcp_user_timeout_secs));
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bugzilla() -> BugzillaSettings {
        toml::from_str("url = \"https://bugzilla.example.test\"\nbot_login = \"bot@example.test\"")
            .unwrap()
    }

    #[test]
    fn the_defaults_hold_and_take_over_within_a_minute() {
        let lease = LeaseSettings::default();
        lease.validate(&bugzilla()).unwrap();
        let b = lease.bounds(&bugzilla());
        assert_eq!(b.stop, 3);
        assert_eq!(b.grace, 34);
        assert!(b.grace > b.stop + b.write);
        assert_eq!(b.detection, 10);
        assert!(b.takeover < 60, "{b:?}");
    }

    #[test]
    fn a_grace_within_the_stop_bound_and_a_write_is_refused_by_name() {
        let lease = LeaseSettings {
            takeover_grace_secs: Some(33),
            ..LeaseSettings::default()
        };
        let err = lease.validate(&bugzilla()).unwrap_err().to_string();
        assert!(err.contains("lease.takeover_grace_secs"), "{err}");
        assert!(err.contains("bugzilla.timeout_secs"), "{err}");
        let lease = LeaseSettings {
            takeover_grace_secs: Some(34),
            ..LeaseSettings::default()
        };
        lease.validate(&bugzilla()).unwrap();
    }

    #[test]
    fn an_idle_timeout_shorter_than_the_writers_confirmations_is_refused() {
        let lease = LeaseSettings {
            idle_session_timeout_secs: 5,
            ..LeaseSettings::default()
        };
        let err = lease.validate(&bugzilla()).unwrap_err().to_string();
        assert!(err.contains("lease.idle_session_timeout_secs"), "{err}");
        let zero = LeaseSettings {
            keepalives_count: 0,
            ..LeaseSettings::default()
        };
        let err = zero.validate(&bugzilla()).unwrap_err().to_string();
        assert!(err.contains("lease.keepalives_count"), "{err}");
    }

    #[test]
    fn sessions_ask_the_server_for_the_same_timeouts() {
        let lease = LeaseSettings::default();
        let config = lease
            .session_config("postgres://bot@db.example.test/pushbot", "pushbot", true)
            .unwrap();
        let options = config.get_options().unwrap();
        for part in [
            "-c tcp_keepalives_idle=4",
            "-c tcp_keepalives_interval=2",
            "-c tcp_keepalives_count=3",
            "-c tcp_user_timeout=10000",
            "-c statement_timeout=5000",
            "-c idle_session_timeout=30000",
        ] {
            assert!(options.contains(part), "{options}");
        }
        assert_eq!(config.get_keepalives_retries(), Some(3));
        let store = lease
            .session_config("host=/tmp user=bot", "pushbot", false)
            .unwrap();
        assert!(!store
            .get_options()
            .unwrap()
            .contains("idle_session_timeout"));
        let err = lease
            .session_config("http://[::1", "pushbot", false)
            .unwrap_err();
        assert!(err.to_string().contains("state.url"), "{err}");
    }
}
