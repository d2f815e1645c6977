//! `[bugzilla]` and `[query]`: how to reach the server, who the bot is
//! there, and which bugs are push bugs. Defined beside the client they
//! configure; `config` assembles them into `Settings` with the other
//! sections. The API key is a [`Secret`]: its `Debug` prints `[redacted]`
//! and it has no `Display`, so it cannot leak into logs or error messages by
//! accident.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::config_error::ConfigError;

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

impl BugzillaSettings {
    /// Checks the section and resolves `api_key_file` (relative to
    /// `base_dir`, the settings file's directory). Returns it with
    /// `api_key` filled in.
    pub fn validate(mut self, base_dir: &Path) -> Result<BugzillaSettings, ConfigError> {
        let url = bugzilla_url(&self.url)?;
        if url.scheme() != "https" && !is_loopback(&url) {
            return Err(ConfigError::invalid(
                "bugzilla.url",
                format!(
                    "`{}` is not https; the API key would travel in clear text. Use https (only loopback addresses may use http)",
                    url
                ),
            ));
        }
        if !self.rest_path.starts_with('/') {
            return Err(ConfigError::invalid(
                "bugzilla.rest_path",
                "must start with `/` (e.g. `/rest` or `/rest.cgi`)",
            ));
        }
        if let Some(file) = &self.api_key_file {
            let file = if file.is_absolute() {
                file.clone()
            } else {
                base_dir.join(file)
            };
            let key = std::fs::read_to_string(&file).map_err(|e| {
                ConfigError::invalid(
                    "bugzilla.api_key_file",
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            if self.api_key.as_ref().is_some_and(|k| !k.is_empty()) {
                return Err(ConfigError::invalid(
                    "bugzilla.api_key_file",
                    "both `api_key` and `api_key_file` are set; keep one",
                ));
            }
            self.api_key = Some(Secret::new(key.trim()));
        }
        match &self.api_key {
            Some(key) if !key.is_empty() => {}
            _ => {
                return Err(ConfigError::invalid(
                    "bugzilla.api_key",
                    "no API key; set `api_key_file`, or the PUSHBOT__BUGZILLA__API_KEY environment variable (create a key in Bugzilla under Preferences → API Keys)",
                ))
            }
        }
        if self.bot_login.trim().is_empty() {
            return Err(ConfigError::invalid(
                "bugzilla.bot_login",
                "empty; set it to the bot account's login",
            ));
        }
        if self.timeout_secs == 0 {
            return Err(ConfigError::invalid(
                "bugzilla.timeout_secs",
                "must be at least 1",
            ));
        }
        if self.rate_limit_per_minute == 0 {
            return Err(ConfigError::invalid(
                "bugzilla.rate_limit_per_minute",
                "must be at least 1 (default 60)",
            ));
        }
        Ok(self)
    }

    /// The REST API's base URL: `bugzilla.url` joined with `rest_path`.
    pub fn rest_base(&self) -> Result<Url, ConfigError> {
        let mut url = bugzilla_url(&self.url)?;
        let path = format!(
            "{}{}",
            url.path().trim_end_matches('/'),
            self.rest_path.trim_end_matches('/')
        );
        url.set_path(&path);
        Ok(url)
    }
}

/// The client is built from the `[bugzilla]` section alone; the whole
/// settings hold one (see `config::Settings`).
impl AsRef<BugzillaSettings> for BugzillaSettings {
    fn as_ref(&self) -> &BugzillaSettings {
        self
    }
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

fn bugzilla_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        ConfigError::invalid(
            "bugzilla.url",
            format!("`{raw}` is not a URL ({e}); write it as https://bugzilla.example.org"),
        )
    })?;
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::invalid(
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
