//! Settings: a TOML file (`--config`, default `pushbot.toml`) layered with
//! `PUSHBOT__SECTION__KEY` environment variables, read and validated once at
//! start-up. Every error names the setting and says what to do
//! ([`ConfigError`], defined in `config_error`).
//!
//! This module only assembles and loads the sections; each is defined beside
//! the code it configures, with its defaults and its checks: `[bugzilla]`
//! and `[query]` in `bugzilla::settings` (the client, crate
//! `pushbot-bugzilla`), `[commands]` in `commands`, `[push]` in `push`,
//! `[summary]` in `report::summary`, `[rules]` in `rules::settings`,
//! `[team]` (the time zone everything reads) in `clock::team` (all in the
//! core, `pushbot-core`), `[web]` in `web::settings`, `[poll]` (the poller,
//! the executor's write cap and the shipped lookback) in `poll::settings`,
//! `[state]` in `store::settings`, `[webhook]` in `webhook::settings`. None of them depends on this module (the
//! core cannot: it is another crate), so there is no cycle. Only `dry_run`
//! is a setting of the whole.

use std::path::Path;

use serde::Deserialize;

use crate::bugzilla::{BugzillaSettings, QuerySettings};
pub use crate::clock::TeamSettings;
use crate::commands::CommandSettings;
pub use crate::config_error::ConfigError;
use crate::lease::LeaseSettings;
pub use crate::poll::PollSettings;
use crate::push::PushSettings;
use crate::report::summary::SummarySettings;
pub use crate::rules::RulesSettings;
pub use crate::store::{StateBackend, StateSettings};
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
    /// `[poll]`: the cycle (`poll::settings`).
    #[serde(default)]
    pub poll: PollSettings,
    /// `[team]`: the team's time zone (`clock::team`).
    #[serde(default)]
    pub team: TeamSettings,
    /// `[state]`: the local state file (`store::settings`).
    #[serde(default)]
    pub state: StateSettings,
    /// `[lease]`: PostgreSQL sessions and the leader lease (`lease`);
    /// read with `state.backend = "postgres"`.
    #[serde(default)]
    pub lease: LeaseSettings,
    /// `[rules]`: the rule directory (`rules::settings`).
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
        self.poll.validate()?;
        self.team.tz()?;
        self.commands.validate()?;
        self.push.validate()?;
        self.summary.validate()?;
        self.web.validate()?;
        if self.state.backend == StateBackend::Postgres {
            let url = self.state.postgres()?;
            self.lease.session_config(&url, "pushbot", false)?;
            self.lease.validate(&self.bugzilla)?;
        }
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
    use std::path::PathBuf;

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

    // The sections defined beside their code, loaded through this module
    // (their own tests, in the core, check them without the loader).

    const BOT: &str = "pushbot@example.test";
    const LA: chrono_tz::Tz = chrono_tz::America::Los_Angeles;

    fn push_bug(whiteboard: &str) -> crate::bugzilla::Bug {
        crate::bugzilla::Bug {
            id: crate::bugzilla::BugId(100),
            summary: "Push AMO to production".to_string(),
            status: "NEW".to_string(),
            product: "Websites".to_string(),
            component: "Push".to_string(),
            assigned_to: "dev@example.test".to_string(),
            assigned_to_detail: Some(crate::bugzilla::types::UserDetail::default()),
            qa_contact: "qa@example.test".to_string(),
            whiteboard: whiteboard.to_string(),
            target_milestone: "---".to_string(),
            ..crate::bugzilla::Bug::default()
        }
    }

    #[test]
    fn the_push_section_survives_the_settings_loader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pushbot.toml");
        std::fs::write(
            &path,
            r#"
    [bugzilla]
    url = "https://bugzilla.example.org"
    api_key = "k"
    bot_login = "pushbot@example.test"

    [push]
    default_push_time = "17:30"
    component_default_assignees = { "Websites/Push" = "Triage@Example.test" }
    component_triage_owners = { "Websites/Push" = "webops@example.test" }

    [push.window]
    days = ["Tue", "Thursday"]
    "#,
        )
        .unwrap();
        let s = Settings::load_with_env(&path, Vec::new()).unwrap();
        assert_eq!(s.push.default_push_time.to_string(), "17:30");
        assert_eq!(
            s.push.window.days,
            vec![chrono::Weekday::Tue, chrono::Weekday::Thu]
        );
        let mut b = push_bug("[push:amo]");
        b.assigned_to = "triage@example.test".to_string();
        assert_eq!(crate::push::extract(&b, &[], &s.push, BOT, LA).owner, None);
        assert_eq!(
            crate::push::extract(&b, &[], &s.push, BOT, LA)
                .triage_owner
                .as_deref(),
            Some("webops@example.test")
        );

        std::fs::write(
            &path,
            "[bugzilla]\nurl = \"https://bugzilla.example.org\"\napi_key = \"k\"\nbot_login = \"b\"\n[push.window]\nnot_before = \"18:00\"\nnot_after = \"09:00\"\n",
        )
        .unwrap();
        let err = Settings::load_with_env(&path, Vec::new()).unwrap_err();
        assert!(err.to_string().contains("push.window.not_after"), "{err}");
    }

    #[test]
    fn settings_file_and_environment_reach_the_commands_section() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pushbot.toml");
        std::fs::write(
            &path,
            "[bugzilla]\nurl = \"https://bugzilla.example.org\"\napi_key = \"k\"\nbot_login = \"bot@example.org\"\n[commands]\nprefix = \"@relbot\"\n",
        )
        .unwrap();
        let env = [
            ("PUSHBOT__COMMANDS__MAX_SNOOZE_DAYS", "30"),
            ("PUSHBOT__COMMANDS__ALLOW__NO_GO", "group:release"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let settings = Settings::load_with_env(&path, env).unwrap();
        assert_eq!(settings.commands.prefix, "@relbot");
        assert_eq!(settings.commands.max_snooze_days, 30);
        assert_eq!(
            settings.commands.allow.no_go,
            crate::commands::Who::Group("release".to_string())
        );
        assert_eq!(settings.commands.allow.go, crate::commands::Who::Leads);

        std::fs::write(
            &path,
            "[bugzilla]\nurl = \"https://bugzilla.example.org\"\napi_key = \"k\"\nbot_login = \"bot@example.org\"\n[commands]\nprefix = \"push bot\"\n",
        )
        .unwrap();
        let err = Settings::load_with_env(&path, Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("commands.prefix"), "{err}");
    }
}
