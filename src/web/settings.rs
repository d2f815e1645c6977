//! `[web]`: the week view's server, its calendar feed and who may see
//! what. Defined beside the server it configures; `config` assembles it
//! into `Settings` with the other sections.

use serde::Deserialize;
use url::Url;

use crate::config_error::ConfigError;

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
fn default_listen() -> String {
    "127.0.0.1:8080".to_string()
}

impl WebSettings {
    /// Checks the section.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.ics_duration_minutes == 0 {
            return Err(ConfigError::invalid(
                "web.ics_duration_minutes",
                "must be at least 1 (default 60)",
            ));
        }
        if let Some(raw) = &self.public_url {
            public_url(raw)?;
        }
        Ok(())
    }
}

/// `web.public_url`: an http(s) address without query, fragment or
/// credentials, where people reach the week view.
fn public_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        ConfigError::invalid(
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
        return Err(ConfigError::invalid(
            "web.public_url",
            format!("`{raw}` must be an http or https address without query, fragment or credentials, e.g. https://pushbot.example.org"),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_settings_are_the_defaults() {
        let text = include_str!("../../pushbot.example.toml");
        let table: toml::Table = toml::from_str(text).unwrap();
        let web: WebSettings = table["web"].clone().try_into().unwrap();
        let default = WebSettings::default();
        assert_eq!(
            (
                web.listen,
                web.enabled,
                web.ics_duration_minutes,
                web.calendar_name
            ),
            (
                default.listen,
                default.enabled,
                default.ics_duration_minutes,
                default.calendar_name
            )
        );
    }
}
