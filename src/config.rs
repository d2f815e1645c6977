//! Settings: a TOML file (`--config`, default `pushbot.toml`) layered with
//! `PUSHBOT__SECTION__KEY` environment variables, read and validated once at
//! start-up. Every error names the setting and says what to do.
//!
//! The API key is a [`Secret`]: its `Debug` prints `[redacted]` and it has no
//! `Display`, so it cannot leak into logs or error messages by accident.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;
use thiserror::Error;
use url::Url;

/// Environment variables starting with this prefix override the file:
/// `PUSHBOT__BUGZILLA__API_KEY` sets `bugzilla.api_key`.
pub const ENV_PREFIX: &str = "PUSHBOT";

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

fn invalid(setting: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_string(),
        problem: problem.into(),
    }
}

/// A value that must never be printed: `Debug` shows `[redacted]`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where the API key travels; Bugzilla flavours read it in different places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// `?api_key=…`: the only place stock Bugzilla 5.0/5.2 reads it; BMO
    /// still accepts it.
    Query,
    /// `X-BUGZILLA-API-KEY` header: BMO's recommendation. Stock 5.2 silently
    /// ignores it (the request runs anonymously).
    Header,
    /// `Authorization: Bearer …`, as on Red Hat's Bugzilla.
    Bearer,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub bugzilla: BugzillaSettings,
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
    #[serde(default)]
    pub web: WebSettings,
    /// `[commands]`: comment commands (prefix, limits, who may run what).
    #[serde(default)]
    pub commands: crate::commands::CommandSettings,
    /// `[push]`: how bugs are read as pushes (app table, schedule, window).
    #[serde(default)]
    pub push: crate::push::PushSettings,
    /// `[summary]`: the weekly summary comment on a tracking bug.
    #[serde(default)]
    pub summary: crate::report::summary::SummarySettings,
    /// Make every read and decision, print the writes, make none.
    /// Default: false.
    #[serde(default)]
    pub dry_run: bool,
}

/// `[bugzilla]`: how to reach the server and who the bot is there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BugzillaSettings {
    /// The instance's base URL, e.g. `https://bugzilla.mozilla.org`. Must be
    /// https unless it is a loopback address.
    pub url: String,
    /// The REST path below `url`: `/rest` on most installs, `/rest.cgi` on
    /// some. Default: `/rest`.
    #[serde(default = "default_rest_path")]
    pub rest_path: String,
    /// The bot account's API key. Prefer `api_key_file` or the
    /// `PUSHBOT__BUGZILLA__API_KEY` environment variable.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// A file holding the API key (surrounding white space is ignored).
    #[serde(default)]
    pub api_key_file: Option<PathBuf>,
    /// Where the key travels: `query` (default; stock 5.x and BMO),
    /// `header` (BMO), `bearer` (Red Hat).
    #[serde(default = "default_auth")]
    pub auth: AuthMethod,
    /// The bot account's login; start-up checks that the key belongs to it,
    /// and the bot never reacts to this account's comments.
    pub bot_login: String,
    /// Per-request timeout in seconds. Default: 30.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Requests per minute, at most. Default: 60, inside
    /// bugzilla.mozilla.org's published 75 bug/comment reads a minute.
    #[serde(default = "default_rate_limit")]
    pub rate_limit_per_minute: u32,
    /// How long to stop all requests after a 429 without `Retry-After`
    /// (BMO blocks the IP for an hour and re-arms on every request).
    /// Minutes; default: 65.
    #[serde(default = "default_block_minutes")]
    pub block_minutes: u64,
    /// Retries of a failed read (connection error, timeout, 5xx). Default: 4.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
}

/// `[query]`: which bugs are push bugs. All criteria are ANDed; several
/// values of one criterion are ORed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySettings {
    #[serde(default)]
    pub product: Vec<String>,
    #[serde(default)]
    pub component: Vec<String>,
    /// Every keyword listed must be present.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Every word must appear in the whiteboard (Bugzilla's substring
    /// match).
    #[serde(default)]
    pub whiteboard: Option<String>,
    /// Default: `__open__`.
    #[serde(default = "default_status")]
    pub status: String,
    /// Raw search parameters added as they are (e.g. `f1`/`o1`/`v1`).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

impl Default for QuerySettings {
    fn default() -> Self {
        QuerySettings {
            product: Vec::new(),
            component: Vec::new(),
            keywords: Vec::new(),
            whiteboard: None,
            status: default_status(),
            params: BTreeMap::new(),
        }
    }
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
            invalid(
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

/// `[web]`: the status page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// Default: `127.0.0.1:8080`. Port 0 picks a free port (the log line
    /// `web server listening` and `pushbot serve --print-addr` tell which).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Whether `pushbot run` also serves the week view. Default: true.
    /// (`pushbot serve` always serves.)
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Length of each push's event in `/calendar.ics`, in minutes.
    /// Default: 60.
    #[serde(default = "default_ics_minutes")]
    pub ics_duration_minutes: u32,
    /// The calendar's name (`X-WR-CALNAME`). Default: `pushbot pushes`.
    #[serde(default = "default_calendar_name")]
    pub calendar_name: String,
    /// Show restricted pushes (bugs in security groups) on the week view,
    /// its `.json`/`.md`, the calendar feed and in `pushbot summary`.
    /// Default: false: they are left out and conflicts count them as
    /// "and 1 restricted push". Only for a web server that only people in
    /// those groups can reach.
    #[serde(default)]
    pub show_restricted: bool,
    /// The address people reach the week view at, e.g.
    /// `https://pushbot.example.org` (http or https, no query). Optional:
    /// with it, a conflict comment that cannot name every push involved
    /// links its week's page (`…/week/2026-W49`); without it, it says
    /// "(see the week view)".
    #[serde(default)]
    pub public_url: Option<String>,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            listen: default_listen(),
            enabled: true,
            ics_duration_minutes: default_ics_minutes(),
            calendar_name: default_calendar_name(),
            show_restricted: false,
            public_url: None,
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_ics_minutes() -> u32 {
    60
}
fn default_calendar_name() -> String {
    "pushbot pushes".to_string()
}

fn default_rest_path() -> String {
    "/rest".to_string()
}
fn default_auth() -> AuthMethod {
    AuthMethod::Query
}
fn default_timeout_secs() -> u64 {
    30
}
fn default_rate_limit() -> u32 {
    60
}
fn default_block_minutes() -> u64 {
    65
}
fn default_max_retries() -> u32 {
    4
}
fn default_status() -> String {
    "__open__".to_string()
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
fn default_listen() -> String {
    "127.0.0.1:8080".to_string()
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
        let url = bugzilla_url(&self.bugzilla.url)?;
        if url.scheme() != "https" && !is_loopback(&url) {
            return Err(invalid(
                "bugzilla.url",
                format!(
                    "`{}` is not https; the API key would travel in clear text. Use https (only loopback addresses may use http)",
                    url
                ),
            ));
        }
        if !self.bugzilla.rest_path.starts_with('/') {
            return Err(invalid(
                "bugzilla.rest_path",
                "must start with `/` (e.g. `/rest` or `/rest.cgi`)",
            ));
        }
        if let Some(file) = &self.bugzilla.api_key_file {
            let file = if file.is_absolute() {
                file.clone()
            } else {
                base_dir.join(file)
            };
            let key = std::fs::read_to_string(&file).map_err(|e| {
                invalid(
                    "bugzilla.api_key_file",
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            if self
                .bugzilla
                .api_key
                .as_ref()
                .is_some_and(|k| !k.is_empty())
            {
                return Err(invalid(
                    "bugzilla.api_key_file",
                    "both `api_key` and `api_key_file` are set; keep one",
                ));
            }
            self.bugzilla.api_key = Some(Secret::new(key.trim()));
        }
        match &self.bugzilla.api_key {
            Some(key) if !key.is_empty() => {}
            _ => {
                return Err(invalid(
                    "bugzilla.api_key",
                    "no API key; set `api_key_file`, or the PUSHBOT__BUGZILLA__API_KEY environment variable (create a key in Bugzilla under Preferences → API Keys)",
                ))
            }
        }
        if self.bugzilla.bot_login.trim().is_empty() {
            return Err(invalid(
                "bugzilla.bot_login",
                "empty; set it to the bot account's login",
            ));
        }
        if self.bugzilla.timeout_secs == 0 {
            return Err(invalid("bugzilla.timeout_secs", "must be at least 1"));
        }
        if self.bugzilla.rate_limit_per_minute == 0 {
            return Err(invalid(
                "bugzilla.rate_limit_per_minute",
                "must be at least 1 (default 60)",
            ));
        }
        if self.poll.interval_secs == 0 {
            return Err(invalid(
                "poll.interval_secs",
                "must be at least 1 (bugzilla.mozilla.org asks for 300 or more)",
            ));
        }
        if self.poll.shipped_lookback_days > MAX_SHIPPED_LOOKBACK_DAYS {
            return Err(invalid(
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
        if self.web.ics_duration_minutes == 0 {
            return Err(invalid(
                "web.ics_duration_minutes",
                "must be at least 1 (default 60)",
            ));
        }
        if let Some(raw) = &self.web.public_url {
            public_url(raw)?;
        }
        Ok(self)
    }

    /// The REST API's base URL: `bugzilla.url` joined with `rest_path`.
    pub fn rest_base(&self) -> Result<Url, ConfigError> {
        let mut url = bugzilla_url(&self.bugzilla.url)?;
        let path = format!(
            "{}{}",
            url.path().trim_end_matches('/'),
            self.bugzilla.rest_path.trim_end_matches('/')
        );
        url.set_path(&path);
        Ok(url)
    }
}

/// `web.public_url`: an http(s) address without query, fragment or
/// credentials, where people reach the week view.
fn public_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        invalid(
            "web.public_url",
            format!("`{raw}` is not a URL ({e}); write the week view's address, e.g. https://pushbot.example.org"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(invalid(
            "web.public_url",
            format!("`{raw}` must be an http or https address without query, fragment or credentials, e.g. https://pushbot.example.org"),
        ));
    }
    Ok(url)
}

fn bugzilla_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        invalid(
            "bugzilla.url",
            format!("`{raw}` is not a URL ({e}); write it as https://bugzilla.example.org"),
        )
    })?;
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "bugzilla.url",
            "must not carry a query or credentials; put the key in `api_key_file`",
        ));
    }
    Ok(url)
}

/// Loopback hosts may use plain http (tests, the sandbox, a tunnel).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
