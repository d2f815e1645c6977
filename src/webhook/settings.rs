//! `[webhook]`: Bugzilla's webhooks as the trigger of a run, polling as the
//! safety net. Defined beside the endpoint it configures; `config`
//! assembles it into `Settings` with the other sections.

use serde::Deserialize;

use crate::bugzilla::Secret;
use crate::config_error::ConfigError;

/// The shortest secret accepted: it is the only thing between the internet
/// and a re-read of Bugzilla.
pub const MIN_SECRET_LEN: usize = 16;

/// `[webhook]`: the endpoint Bugzilla posts events to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Whether `pushbot run` listens for webhook events. Default: false
    /// (polling alone, every `poll.interval_secs`).
    #[serde(default)]
    pub enabled: bool,
    /// Where the endpoint listens, apart from the week view (`web.listen`),
    /// so that only this address faces Bugzilla. Default: `0.0.0.0:8091`.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The request header that carries the shared secret: what is entered
    /// as `api_key_header` in Bugzilla's webhook form. Default:
    /// `X-Pushbot-Secret`.
    #[serde(default = "default_header")]
    pub header: String,
    /// The shared secret (`api_key_value` in Bugzilla's form), at least
    /// 16 characters; better from `PUSHBOT__WEBHOOK__SECRET` than the file.
    /// Never logged.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// Seconds between poll cycles while webhooks are on: polling only
    /// catches what no event announced. Default: 900 (15 minutes).
    #[serde(default = "default_poll_interval_secs")]
    pub poll_interval_secs: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            enabled: false,
            listen: default_listen(),
            header: default_header(),
            secret: None,
            poll_interval_secs: default_poll_interval_secs(),
        }
    }
}

fn default_listen() -> String {
    "0.0.0.0:8091".to_string()
}
fn default_header() -> String {
    "X-Pushbot-Secret".to_string()
}
fn default_poll_interval_secs() -> u64 {
    900
}

/// Headers a proxy or the HTTP stack itself sets or reads: a secret there
/// would be lost or logged.
const RESERVED_HEADERS: [&str; 8] = [
    "host",
    "content-type",
    "content-length",
    "connection",
    "transfer-encoding",
    "user-agent",
    "accept",
    "authorization",
];

impl WebhookSettings {
    /// Checks the section (only what matters when it is enabled, except
    /// the header name, which must always be one).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if axum::http::HeaderName::from_bytes(self.header.as_bytes()).is_err()
            || RESERVED_HEADERS.contains(&self.header.to_ascii_lowercase().as_str())
        {
            return Err(ConfigError::invalid(
                "webhook.header",
                format!(
                    "`{}` cannot carry the secret; use a header name of your own such as `X-Pushbot-Secret` (letters, digits and dashes)",
                    self.header
                ),
            ));
        }
        if !self.enabled {
            return Ok(());
        }
        match &self.secret {
            None => {
                return Err(ConfigError::invalid(
                    "webhook.secret",
                    "is required when webhook.enabled = true; set PUSHBOT__WEBHOOK__SECRET to a random value (e.g. `openssl rand -hex 32`) and enter the same value as api_key_value in Bugzilla's webhook form",
                ))
            }
            Some(secret) if secret.expose().trim().chars().count() < MIN_SECRET_LEN => {
                return Err(ConfigError::invalid(
                    "webhook.secret",
                    format!("is shorter than {MIN_SECRET_LEN} characters; use a random value such as the output of `openssl rand -hex 32`"),
                ))
            }
            Some(_) => {}
        }
        if self.poll_interval_secs == 0 {
            return Err(ConfigError::invalid(
                "webhook.poll_interval_secs",
                "must be at least 1 (default 900: polling only catches what no event announced)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(secret: Option<&str>) -> WebhookSettings {
        WebhookSettings {
            enabled: true,
            secret: secret.map(Secret::new),
            ..WebhookSettings::default()
        }
    }

    #[test]
    fn enabled_needs_a_long_secret_and_a_header_of_its_own() {
        assert!(WebhookSettings::default().validate().is_ok());
        let err = on(None).validate().unwrap_err().to_string();
        assert!(err.contains("webhook.secret"), "{err}");
        let err = on(Some("short")).validate().unwrap_err().to_string();
        assert!(err.contains("shorter than 16"), "{err}");
        assert!(
            !err.contains("short\""),
            "the secret is not repeated: {err}"
        );
        assert!(on(Some("0123456789abcdef")).validate().is_ok());
        for header in ["Content-Type", "bad header", ""] {
            let settings = WebhookSettings {
                header: header.to_string(),
                ..on(Some("0123456789abcdef"))
            };
            let err = settings.validate().unwrap_err().to_string();
            assert!(err.contains("webhook.header"), "{header}: {err}");
        }
    }
}
