//! Wiring: turns settings and a rule set into a decider and a ready poller.
//!
//! The only module that knows every layer. It decides nothing itself: the
//! [`Decider`] (in the pure core, `pushbot_core::decide`) reads the
//! snapshot as pushes and asks the rules; start-up proves the key
//! ([`Client::verify_login`]) before the first cycle, so a wrong setting
//! stops the bot at once instead of surfacing later as a stream of 401s.

use thiserror::Error;

use crate::bugzilla::{BugzillaError, Client};
use crate::config::{ConfigError, Settings};
use crate::poll::{Poller, PollerOptions};
use crate::redact::Audience;
use crate::rules::RuleSet;
use crate::store::{Store, StoreError};

pub use pushbot_core::decide::{Decider, Memo};

/// Why the bot could not start.
#[derive(Debug, Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("start-up check against Bugzilla failed: {0}")]
    Bugzilla(#[from] BugzillaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The decider of these settings: the rules (with the week view's link
/// when `web.public_url` is set), the `[push]`, `[commands]` and
/// `[summary]` sections, the bot's account, the team's zone, and who reads
/// the web's reports.
pub fn decider(settings: &Settings, rules: RuleSet) -> Result<Decider, ConfigError> {
    Ok(Decider {
        rules: rules.with_week_view(settings.web.public_url.as_deref()),
        push: settings.push.clone(),
        bot_login: settings.bugzilla.bot_login.clone(),
        tz: settings.team.tz()?,
        commands: settings.commands.clone(),
        summary: settings.summary.clone(),
        bugzilla_url: settings.bugzilla.url.clone(),
        web_audience: if settings.web.show_restricted {
            Audience::trusted()
        } else {
            Audience::public()
        },
    })
}

/// A poller planning with `decider`, keeping the answers to its commands'
/// membership lookups for `commands.membership_cache_minutes`.
pub fn poller(decider: Decider, client: Client, store: Store, options: PollerOptions) -> Poller {
    let ttl = chrono::Duration::minutes(i64::from(decider.commands.membership_cache_minutes));
    Poller::new(client, store, decider.into_planner(), options).with_membership_ttl(ttl)
}

/// Builds the client, proves the key belongs to the bot account, opens the
/// state store, and returns a poller ready for its first cycle.
/// `options` usually comes from [`PollerOptions::from_settings`], adjusted
/// by command-line flags (`--dry-run`, `--no-limit`).
pub async fn start(
    settings: &Settings,
    rules: RuleSet,
    options: PollerOptions,
) -> Result<Poller, StartError> {
    let decider = decider(settings, rules)?;
    let client = Client::new(settings)?;
    let me = client.verify_login().await?;
    tracing::info!(login = %me.name, "Bugzilla accepted the bot's key");
    let store = Store::from_settings(settings)?;
    Ok(poller(decider, client, store, options))
}
