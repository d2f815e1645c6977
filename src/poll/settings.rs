//! `[poll]`: the cycle's settings. They configure the poller, the
//! executor's write cap and the shipped lookback, which
//! `PollerOptions::from_settings` builds together.

use serde::Deserialize;

use crate::config_error::ConfigError;

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

impl PollSettings {
    /// Checks the values; the error names the setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.interval_secs == 0 {
            return Err(ConfigError::invalid(
                "poll.interval_secs",
                "must be at least 1 (bugzilla.mozilla.org asks for 300 or more)",
            ));
        }
        if self.shipped_lookback_days > MAX_SHIPPED_LOOKBACK_DAYS {
            return Err(ConfigError::invalid(
                "poll.shipped_lookback_days",
                format!(
                    "{} is too many days; use at most {MAX_SHIPPED_LOOKBACK_DAYS} (default 7): every full load reads each push bug resolved FIXED in that time",
                    self.shipped_lookback_days
                ),
            ));
        }
        Ok(())
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
