//! `[team]`: the team's time zone, in which every week, day and push time
//! is read (the rules, the reports, the poller's shipped lookback).

use chrono_tz::Tz;
use serde::Deserialize;

use crate::config_error::ConfigError;

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
    /// The parsed time zone (checked at start-up: `config::Settings::validate`).
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

fn default_time_zone() -> String {
    "America/Los_Angeles".to_string()
}
