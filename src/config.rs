//! Settings: a TOML file (`--config`, default `pushbot.toml`) layered with
//! `PUSHBOT__SECTION__KEY` environment variables, read and validated once at
//! start-up. Every error names the setting and says what to do
//! ([`ConfigError`], defined in `config_error`).
//!
//! This module assembles and loads the sections; a section that configures
//! one module is defined beside it, with its defaults and its checks:
//! `[bugzilla]` and `[query]` in `bugzilla::settings` (the client), `[web]`
//! in `web::settings`, `[commands]` in `commands`, `[push]` in `push`,
//! `[summary]` in `report::summary`, `[webhook]` in `webhook::settings`. None of them depends on this module, so
//! there is no cycle. The sections defined here configure the wiring rather
//! than one module: `[poll]` (the poller, the executor's write cap and the
//! shipped lookback, built together by `poll::PollerOptions::from_settings`),
//! `[team]` (the time zone everything reads), `[state]` and `[rules]`
//! (the files `bot::start` and the command line open), and `dry_run`.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

use crate::bugzilla::{BugzillaSettings, QuerySettings};
use crate::commands::CommandSettings;
pub use crate::config_error::ConfigError;
use crate::push::PushSettings;
use crate::report::summary::SummarySettings;
use crate::web::WebSettings;
use crate::webhook::WebhookSettings;

/// Environment variables starting with this prefix override the file:
/// `PUSHBOT__BUGZILLA__API_KEY` sets `bugzilla.api_key`.
pub const ENV_PREFIX: &str = "PUSHBOT";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[bugzilla]`: the server and the bot's account there
    /// (`bugzilla::settings`).
    pub bugzilla: BugzillaSettings,
    /// `[query]`: which bugs are push bugs (`bugzilla::settings`).
    #[serde(default)]
    pub query: QuerySettings,
    #[serde(default)]
    pub poll: PollSettings,
    #[serde(default)]
    pub team: TeamSettings,
    #[serde(default)]
    pub state: StateSettings,
    #[serde(default)]
    pub rules: RulesSettings,
    /// `[web]`: the week view's server (`web::settings`).
    #[serde(default)]
    pub web: WebSettings,
    /// `[commands]`: comment commands (prefix, limits, who may run what).
    #[serde(default)]
    pub commands: CommandSettings,
    /// `[push]`: how bugs are read as pushes (app table, schedule, window).
    #[serde(default)]
    pub push: PushSettings,
    /// `[summary]`: the weekly summary comment on a tracking bug.
    #[serde(default)]
    pub summary: SummarySettings,
    /// `[webhook]`: Bugzilla's webhook events as the trigger, polling as
    /// the safety net (`webhook::settings`).
    #[serde(default)]
    pub webhook: WebhookSettings,
    /// Make every read and decision, print the writes, make none.
    /// Default: false.
    #[serde(default)]
    pub dry_run: bool,
}

/// `[poll]`: the cycle.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollSettings {
    /// Seconds between cycles. Default: 300, the most often
    /// bugzilla.mozilla.org allows.
    #[serde(default = "default_interval_secs")]
    pub interval_secs: u64,
    /// How far before the watermark each incremental search starts, in
    /// seconds: the bound is inclusive with one-second precision and BMO
    /// searches a replica. Default: 300.
    #[serde(default = "default_overlap_secs")]
    pub overlap_secs: u64,
    /// Above this many writes in one cycle the cycle makes none and raises
    /// an alert. Default: 50.
    #[serde(default = "default_max_writes")]
    pub max_writes_per_cycle: usize,
    /// Push bugs resolved FIXED (shipped) still count toward their week's
    /// limits, so the bot also loads those changed at most this many days
    /// before the start of the current ISO week (Monday 00:00 in
    /// `team.time_zone`). 0 keeps only those changed this week; the default,
    /// 7, also keeps last week's (for its week view and for pushes closed
    /// before their week began). Days, at most 366. Only with the default
    /// `query.status = "__open__"`: another status decides alone.
    #[serde(default = "default_shipped_lookback_days")]
    pub shipped_lookback_days: u32,
}

impl Default for PollSettings {
    fn default() -> Self {
        PollSettings {
            interval_secs: default_interval_secs(),
            overlap_secs: default_overlap_secs(),
            max_writes_per_cycle: default_max_writes(),
            shipped_lookback_days: default_shipped_lookback_days(),
        }
    }
}

/// `[team]`: where and when the team works.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSettings {
    /// IANA time zone for weeks, days and push times. Default:
    /// `America/Los_Angeles`.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
}

impl Default for TeamSettings {
    fn default() -> Self {
        TeamSettings {
            time_zone: default_time_zone(),
        }
    }
}

impl TeamSettings {
    /// The parsed time zone (validated by [`Settings::validate`]).
    pub fn tz(&self) -> Result<Tz, ConfigError> {
        self.time_zone.parse::<Tz>().map_err(|_| {
            ConfigError::invalid(
                "team.time_zone",
                format!(
                    "`{}` is not an IANA time zone; use a name such as `America/Los_Angeles` or `Europe/Berlin`",
                    self.time_zone
                ),
            )
        })
    }
}

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

/// `[rules]`: where the rule files are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSettings {
    /// Default: `rules`.
    #[serde(default = "default_rules_dir")]
    pub dir: PathBuf,
}

impl Default for RulesSettings {
    fn default() -> Self {
        RulesSettings {
            dir: default_rules_dir(),
        }
    }
}

fn default_interval_secs() -> u64 {
    300
}
fn default_overlap_secs() -> u64 {
    300
}
fn default_max_writes() -> usize {
    50
}
fn default_shipped_lookback_days() -> u32 {
    7
}
/// The longest `poll.shipped_lookback_days`: a year of closed bugs is
/// already far more than any week's limits need.
const MAX_SHIPPED_LOOKBACK_DAYS: u32 = 366;
fn default_time_zone() -> String {
    "America/Los_Angeles".to_string()
}
fn default_state_path() -> PathBuf {
    PathBuf::from("pushbot.sqlite")
}
fn default_rules_dir() -> PathBuf {
    PathBuf::from("rules")
}

impl Settings {
    /// Reads the file at `path` (which must exist) and the `PUSHBOT__*`
    /// environment, then validates.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_with_env(path, env)
    }

    /// [`Settings::load`] with an explicit environment, so tests need not
    /// touch the process's.
    pub fn load_with_env(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let shown = path.display().to_string();
        if !path.exists() {
            return Err(ConfigError::File {
                path: shown,
                reason:
                    "no such file; copy pushbot.example.toml to it and edit, or pass --config FILE"
                        .to_string(),
            });
        }
        let env_source = config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("query.product")
            .with_list_parse_key("query.component")
            .with_list_parse_key("query.keywords")
            .source(Some(env.into_iter().collect()));
        let built = config::Config::builder()
            .add_source(config::File::from(path).format(config::FileFormat::Toml))
            .add_source(env_source)
            .build()
            .map_err(|e| ConfigError::File {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        let settings: Settings = built.try_deserialize().map_err(|e| ConfigError::File {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        settings.validate(base)
    }

    /// Checks every value and resolves `api_key_file` (relative to
    /// `base_dir`). Returns the settings with `bugzilla.api_key` filled in.
    pub fn validate(mut self, base_dir: &Path) -> Result<Settings, ConfigError> {
        self.bugzilla = self.bugzilla.validate(base_dir)?;
        if self.poll.interval_secs == 0 {
            return Err(ConfigError::invalid(
                "poll.interval_secs",
                "must be at least 1 (bugzilla.mozilla.org asks for 300 or more)",
            ));
        }
        if self.poll.shipped_lookback_days > MAX_SHIPPED_LOOKBACK_DAYS {
            return Err(ConfigError::invalid(
                "poll.shipped_lookback_days",
                format!(
                    "{} is too many days; use at most {MAX_SHIPPED_LOOKBACK_DAYS} (default 7): every full load reads each push bug resolved FIXED in that time",
                    self.poll.shipped_lookback_days
                ),
            ));
        }
        self.team.tz()?;
        self.commands.validate()?;
        self.push.validate()?;
        self.summary.validate()?;
        self.web.validate()?;
        self.webhook.validate()?;
        Ok(self)
    }

    /// The REST API's base URL: `bugzilla.url` joined with `rest_path`.
    pub fn rest_base(&self) -> Result<url::Url, ConfigError> {
        self.bugzilla.rest_base()
    }
}

/// The client is built from the `[bugzilla]` section alone
/// (`bugzilla::Client::new` takes anything that holds one).
impl AsRef<BugzillaSettings> for Settings {
    fn as_ref(&self) -> &BugzillaSettings {
        &self.bugzilla
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bugzilla::AuthMethod;
    use std::io::Write;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        path
    }

    const MINIMAL: &str = r#"
[bugzilla]
url = "https://bugzilla.example.org"
api_key = "k3y-SECRET"
bot_login = "pushbot@example.org"
"#;

    #[test]
    fn minimal_file_gets_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "p.toml", MINIMAL);
        let s = Settings::load_with_env(&path, Vec::new()).unwrap();
        assert_eq!(s.bugzilla.rest_path, "/rest");
        assert_eq!(s.bugzilla.auth, AuthMethod::Query);
        assert_eq!(s.poll.interval_secs, 300);
        assert_eq!(s.poll.shipped_lookback_days, 7);
        assert_eq!(s.team.time_zone, "America/Los_Angeles");
        assert_eq!(s.query.status, "__open__");
        assert_eq!(
            s.rest_base().unwrap().as_str(),
            "https://bugzilla.example.org/rest"
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "p.toml", MINIMAL);
        let env = vec![
            (
                "PUSHBOT__POLL__INTERVAL_SECS".to_string(),
                "600".to_string(),
            ),
            ("PUSHBOT__BUGZILLA__AUTH".to_string(), "header".to_string()),
            (
                "PUSHBOT__QUERY__PRODUCT".to_string(),
                "Websites,Other".to_string(),
            ),
        ];
        let s = Settings::load_with_env(&path, env).unwrap();
        assert_eq!(s.poll.interval_secs, 600);
        assert_eq!(s.bugzilla.auth, AuthMethod::Header);
        assert_eq!(s.query.product, vec!["Websites", "Other"]);
    }

    #[test]
    fn plain_http_is_refused_unless_loopback() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "p.toml",
            &MINIMAL.replace(
                "https://bugzilla.example.org",
                "http://bugzilla.example.org",
            ),
        );
        let err = Settings::load_with_env(&path, Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("bugzilla.url"), "{err}");
        assert!(err.contains("https"), "{err}");
        let path = write(
            dir.path(),
            "q.toml",
            &MINIMAL.replace("https://bugzilla.example.org", "http://127.0.0.1:8088"),
        );
        assert!(Settings::load_with_env(&path, Vec::new()).is_ok());
    }

    #[test]
    fn the_week_views_public_url_is_optional_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "p.toml", MINIMAL);
        let s = Settings::load_with_env(&path, Vec::new()).unwrap();
        assert_eq!(s.web.public_url, None);
        let good = format!("{MINIMAL}\n[web]\npublic_url = \"https://pushbot.example.org/\"\n");
        let path = write(dir.path(), "q.toml", &good);
        let s = Settings::load_with_env(&path, Vec::new()).unwrap();
        assert_eq!(
            s.web.public_url.as_deref(),
            Some("https://pushbot.example.org/")
        );
        for bad in [
            "pushbot.example.org",
            "ftp://x.example.org",
            "https://x.example.org/?a=1",
        ] {
            let text = format!("{MINIMAL}\n[web]\npublic_url = \"{bad}\"\n");
            let path = write(dir.path(), "r.toml", &text);
            let err = Settings::load_with_env(&path, Vec::new())
                .unwrap_err()
                .to_string();
            assert!(err.contains("web.public_url"), "{bad}: {err}");
        }
    }

    #[test]
    fn key_from_file_and_never_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "key", "  from-file-SECRET\n");
        let text = MINIMAL.replace("api_key = \"k3y-SECRET\"", "api_key_file = \"key\"");
        let path = write(dir.path(), "p.toml", &text);
        let s = Settings::load_with_env(&path, Vec::new()).unwrap();
        assert_eq!(
            s.bugzilla.api_key.as_ref().unwrap().expose(),
            "from-file-SECRET"
        );
        let debug = format!("{s:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("[redacted]"));
    }

    #[test]
    fn errors_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                MINIMAL.replace("api_key = \"k3y-SECRET\"", ""),
                "bugzilla.api_key",
            ),
            (
                format!("{MINIMAL}\n[team]\ntime_zone = \"Mars/Olympus\"\n"),
                "team.time_zone",
            ),
            (
                format!("{MINIMAL}\n[poll]\ninterval_secs = 0\n"),
                "poll.interval_secs",
            ),
            (
                format!("{MINIMAL}\n[poll]\nshipped_lookback_days = 400\n"),
                "poll.shipped_lookback_days",
            ),
            (
                MINIMAL.replace("https://bugzilla.example.org", "not a url"),
                "bugzilla.url",
            ),
            (format!("{MINIMAL}\n[poll]\nintervall = 3\n"), "intervall"),
        ];
        for (text, needle) in cases {
            let path = write(dir.path(), "p.toml", &text);
            let err = Settings::load_with_env(&path, Vec::new())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn missing_file_says_what_to_do() {
        let err = Settings::load_with_env(Path::new("/nonexistent/pushbot.toml"), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("pushbot.example.toml"), "{err}");
    }
}
