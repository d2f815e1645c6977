//! Wiring: turns settings and a rule set into a planner and a ready poller.
//!
//! The only module that knows every layer. It decides nothing itself: the
//! planner it builds reads the snapshot as pushes ([`crate::push`]) and asks
//! the rules ([`crate::rules`]); start-up proves the key ([`Client::verify_login`])
//! before the first cycle, so a wrong setting stops the bot at once instead
//! of surfacing later as a stream of 401s.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use thiserror::Error;

use crate::bugzilla::{BugzillaError, Client};
use crate::config::{ConfigError, Settings};
use crate::plan::Action;
use crate::poll::{Planner, Poller, PollerOptions, Snapshot};
use crate::push::{self, PushBug, PushSettings};
use crate::rules::{self, RuleSet};
use crate::store::{Store, StoreError};

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

/// What the planner needs besides the snapshot and the time.
#[derive(Debug, Clone)]
pub struct Decider {
    pub rules: RuleSet,
    pub push: PushSettings,
    pub bot_login: String,
    pub tz: Tz,
}

impl Decider {
    pub fn from_settings(settings: &Settings, rules: RuleSet) -> Result<Decider, ConfigError> {
        Ok(Decider {
            rules,
            push: settings.push.clone(),
            bot_login: settings.bugzilla.bot_login.clone(),
            tz: settings.team.tz()?,
        })
    }

    /// Every tracked bug read as a push.
    pub fn pushes(&self, snapshot: &Snapshot) -> Vec<PushBug> {
        snapshot
            .bugs
            .values()
            .map(|t| push::extract(&t.bug, &t.comments, &self.push, &self.bot_login, self.tz))
            .collect()
    }

    /// The actions the rules want now, over the whole snapshot (week-wide
    /// conflicts need every push, not only the changed ones).
    pub fn decide(&self, snapshot: &Snapshot, now: DateTime<Utc>) -> Vec<Action> {
        let pushes = self.pushes(snapshot);
        let verdicts = rules::evaluate(&self.rules, &pushes, &self.push, self.tz, now);
        let mut actions = Vec::new();
        for verdict in verdicts {
            match verdict.action {
                Some(action) => actions.push(action),
                None if verdict.fires => tracing::warn!(
                    bug = %verdict.bug,
                    rule = %verdict.rule,
                    reason = %verdict.reason,
                    "rule fires but has nothing to post; fix its template (pushbot rules check)"
                ),
                None => {}
            }
        }
        actions
    }

    /// The planner closure the poller calls every cycle.
    pub fn into_planner(self) -> Planner {
        Box::new(move |snapshot, now| self.decide(snapshot, now))
    }
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
    let decider = Decider::from_settings(settings, rules)?;
    let client = Client::new(settings)?;
    let me = client.verify_login().await?;
    tracing::info!(login = %me.name, "Bugzilla accepted the bot's key");
    let store = Store::open(&settings.state.path)?;
    Ok(Poller::new(client, store, decider.into_planner(), options))
}
