//! `pushbot demo`: the whole bot, unchanged, against the built-in sandbox
//! seeded with the meeting's week (`src/demo/meeting-week.toml`).
//!
//! The demo walks through that week: it sets the sandbox's clock and the
//! bot's "now" to a few moments (Monday morning, the day before the pushes,
//! the evening after one), lets people act in between (someone takes the
//! unowned Personas push), runs a real cycle at each moment, and reads back
//! from the sandbox what the bot wrote. Nothing is faked: the comments and
//! flags in the table are the ones the sandbox holds afterwards.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use thiserror::Error;

use crate::bot;
use crate::bugzilla::{Client, FlagStatus};
use crate::config::Settings;
use crate::execute::ExecuteOptions;
use crate::poll::{CycleReport, Poller, PollerOptions};
use crate::rules::RuleSet;
use crate::sandbox::{Sandbox, SandboxClock, SandboxData, SandboxHandle, SandboxOptions};
use crate::store::Store;

/// The demo's Bugzilla data: users, the Websites/Push component, flag types
/// and the five push bugs of the meeting's week.
pub const DATA: &str = include_str!("demo/meeting-week.toml");

/// The shipped rule files, built in so that the demo runs from anywhere
/// (defined in the core: `rules::SHIPPED_RULES`).
pub use crate::rules::SHIPPED_RULES;

/// The bot account of the demo data.
pub const BOT_LOGIN: &str = "pushbot@example.test";
const BOT_KEY: &str = "demo-pushbot-key-000000000000000000000000";

/// The team's zone in the demo (the seed meeting's team).
const TEAM_ZONE: Tz = chrono_tz::America::Los_Angeles;

/// Why the demo could not run.
#[derive(Debug, Error)]
pub enum DemoError {
    #[error("the demo sandbox did not start: {0}")]
    Sandbox(#[from] crate::sandbox::SandboxError),
    #[error("the demo settings are invalid: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("a shipped rule file is invalid: {0}")]
    Rules(#[from] crate::rules::RuleError),
    #[error("the demo could not start the bot: {0}")]
    Start(#[from] bot::StartError),
    #[error("the demo could not write its files in {path}: {source}")]
    Files {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the demo's script has a bad time {reason}")]
    Script { reason: String },
    #[error("a person's action in the demo failed on bug {bug}: {reason}")]
    Person { bug: u64, reason: String },
}

/// One moment of the demo.
#[derive(Debug, Clone)]
pub struct Step {
    /// When, in the team's zone, for people.
    pub label: String,
    pub at: DateTime<Utc>,
    /// What people did in Bugzilla just before the cycle.
    pub people: Vec<String>,
    pub report: CycleReport,
    /// What the bot wrote in this cycle, read back from the sandbox.
    pub rows: Vec<Row>,
}

/// One thing the bot did on one bug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub bug: u64,
    pub summary: String,
    /// The rule or command (from the comment's marker).
    pub rule: String,
    /// The comment's first line, and any flag the bot set.
    pub did: String,
}

/// What a person does before a step.
enum PersonAction {
    Assign { bug: u64, login: &'static str },
}

/// The moments of the demo: (local time, people's actions before it).
fn script() -> Vec<(&'static str, Vec<PersonAction>)> {
    vec![
        ("2026-11-30 09:00", vec![]),
        ("2026-11-30 09:05", vec![]),
        (
            "2026-11-30 11:00",
            vec![PersonAction::Assign {
                bug: 803,
                login: "personas-dev@example.test",
            }],
        ),
        ("2026-12-01 09:00", vec![]),
        ("2026-12-01 18:30", vec![]),
    ]
}

/// The demo's settings file: the bot account of [`DATA`] on the sandbox at
/// `base_url`, its state in `state`. Tests that run the `pushbot` binary
/// against a sandbox write this file.
pub fn settings_text(base_url: &str, state: &Path) -> String {
    format!(
        r#"
[bugzilla]
url = "{base_url}"
api_key = "{BOT_KEY}"
auth = "query"
bot_login = "{BOT_LOGIN}"
timeout_secs = 10
# The sandbox is on this machine: no need to spread requests out.
rate_limit_per_minute = 60000

[query]
product = ["Websites"]
component = ["Push"]

[poll]
interval_secs = 300

[team]
time_zone = "America/Los_Angeles"

[state]
path = "{state}"

[push]
default_accounts = ["nobody@example.test"]

[[push.apps]]
name = "AMO"
whiteboard = ["[push:amo]"]
size = "large"
leads = ["amo-lead@example.test"]
qa = "webqa@example.test"

[[push.apps]]
name = "SUMO"
whiteboard = ["[push:sumo]"]
size = "large"
leads = ["sumo-lead@example.test"]
qa = "webqa@example.test"

[[push.apps]]
name = "Personas"
whiteboard = ["[push:personas]"]
size = "small"
leads = ["personas-lead@example.test"]
qa = "webqa@example.test"

[[push.apps]]
name = "Input"
whiteboard = ["[push:input]"]
size = "small"
leads = ["input-lead@example.test"]
qa = "webqa@example.test"
"#,
        state = state.display().to_string().replace('\\', "/"),
    )
}

/// The demo's first moment: Monday 2026-11-30 09:00 in Los Angeles (the
/// sandbox's clock starts here for `pushbot demo` and `pushbot sandbox`).
pub fn start_time() -> Result<DateTime<Utc>, DemoError> {
    local("2026-11-30 09:00")
}

fn local(text: &str) -> Result<DateTime<Utc>, DemoError> {
    crate::clock::parse_now(text, TEAM_ZONE).map_err(|e| DemoError::Script {
        reason: format!("`{text}`: {e}"),
    })
}

/// The demo bot's options, the same on start and restart: the sandbox is
/// local and answers at once, so a write of unknown outcome is re-read
/// after 50 ms instead of 10 s.
fn poller_options(settings: &Settings) -> PollerOptions {
    let options = PollerOptions::from_settings(settings);
    PollerOptions {
        execute: ExecuteOptions {
            settle_delay: std::time::Duration::from_millis(50),
            ..options.execute
        },
        ..options
    }
}

/// The running demo: the sandbox and a bot started against it. Tests use
/// it to drive the same set-up as `pushbot demo`.
pub struct Demo {
    pub sandbox: SandboxHandle,
    pub settings: Settings,
    pub poller: Poller,
}

/// A sandbox seeded with `data` (a TOML data file's text, e.g. [`DATA`])
/// whose clock stands still at `now`: the demo's, and the one tests that
/// run the `pushbot` binary against the demo data start.
pub async fn start_sandbox(data: &str, now: DateTime<Utc>) -> Result<SandboxHandle, DemoError> {
    let data = SandboxData::from_toml_str(data)?;
    let sandbox = Sandbox::start(
        data,
        SandboxOptions {
            clock: SandboxClock::fixed(now),
            ..SandboxOptions::default()
        },
    )
    .await?;
    Ok(sandbox)
}

impl Demo {
    /// Starts the sandbox at Monday 30 November 2026, 09:00 in Los Angeles,
    /// and a bot against it whose state lives in `workdir`.
    pub async fn start(workdir: &Path) -> Result<Demo, DemoError> {
        Demo::start_with(workdir, DATA, "").await
    }

    /// [`Demo::start`] with other sandbox data (a TOML data file's text)
    /// and `extra_settings` appended to the bot's settings file (TOML
    /// tables, e.g. `[commands.allow]`), for tests.
    pub async fn start_with(
        workdir: &Path,
        data: &str,
        extra_settings: &str,
    ) -> Result<Demo, DemoError> {
        let sandbox = start_sandbox(data, start_time()?).await?;
        let settings_path = workdir.join("pushbot.toml");
        let mut text = settings_text(&sandbox.base_url(), &workdir.join("pushbot.sqlite"));
        text.push_str(extra_settings);
        std::fs::write(&settings_path, text).map_err(|source| DemoError::Files {
            path: settings_path.display().to_string(),
            source,
        })?;
        let settings = Settings::load_with_env(&settings_path, Vec::new())?;
        let rules = RuleSet::from_sources(SHIPPED_RULES)?;
        let poller = bot::start(&settings, rules, poller_options(&settings)).await?;
        Ok(Demo {
            sandbox,
            settings,
            poller,
        })
    }

    /// A second bot on the same sandbox and state (as after a restart).
    pub async fn restart(&mut self) -> Result<(), DemoError> {
        let rules = RuleSet::from_sources(SHIPPED_RULES)?;
        let decider = bot::decider(&self.settings, rules)?;
        let client = Client::new(&self.settings).map_err(bot::StartError::from)?;
        let store = Store::open(&self.settings.state.path).map_err(bot::StartError::from)?;
        let options = poller_options(&self.settings);
        self.poller = bot::poller(decider, client, store, options);
        Ok(())
    }

    /// Sets both clocks to `at` and runs one cycle.
    pub async fn cycle_at(&mut self, at: DateTime<Utc>) -> CycleReport {
        self.sandbox.clock().set(at);
        self.poller.run_once(at).await
    }
}

/// What the demo did: its steps, and the full text of one of the bot's
/// comments as an example.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub steps: Vec<Step>,
    pub example_comment: Option<(u64, String)>,
}

/// Runs the whole demo in `workdir`.
pub async fn run(workdir: &Path) -> Result<Outcome, DemoError> {
    let mut demo = Demo::start(workdir).await?;
    let mut steps = Vec::new();
    let mut seen = written(&demo.sandbox);
    for (label, actions) in script() {
        let at = local(label)?;
        demo.sandbox.clock().set(at);
        let mut people = Vec::new();
        for action in actions {
            match action {
                PersonAction::Assign { bug, login } => {
                    let body = serde_json::json!({ "assigned_to": login });
                    demo.sandbox
                        .update_bug(bug, login, &body)
                        .map_err(|e| DemoError::Person {
                            bug,
                            reason: format!("{e:?}"),
                        })?;
                    people.push(format!("{login} takes bug {bug}"));
                }
            }
        }
        let report = demo.cycle_at(at).await;
        let now_written = written(&demo.sandbox);
        let rows = new_rows(&demo.sandbox, &seen, &now_written);
        seen = now_written;
        steps.push(Step {
            label: format!("{label} (America/Los_Angeles)"),
            at,
            people,
            report,
            rows,
        });
    }
    let example_comment = demo
        .sandbox
        .comments(801)
        .into_iter()
        .find(|c| c.creator == BOT_LOGIN)
        .map(|c| (801, c.text));
    demo.sandbox.shutdown().await;
    Ok(Outcome {
        steps,
        example_comment,
    })
}

/// Per bug: the ids of the bot's comments and the bot's flags (name,
/// status, requestee).
type Written = BTreeMap<u64, (Vec<u64>, Vec<(String, FlagStatus, Option<String>)>)>;

fn written(sandbox: &SandboxHandle) -> Written {
    let mut out = Written::new();
    for id in 801..=805 {
        let comments = sandbox
            .comments(id)
            .into_iter()
            .filter(|c| c.creator == BOT_LOGIN)
            .map(|c| c.id)
            .collect();
        let flags = sandbox
            .flags(id)
            .into_iter()
            .filter(|f| f.setter == BOT_LOGIN)
            .map(|f| (f.name, f.status, f.requestee))
            .collect();
        out.insert(id, (comments, flags));
    }
    out
}

fn new_rows(sandbox: &SandboxHandle, before: &Written, after: &Written) -> Vec<Row> {
    let mut rows = Vec::new();
    for (bug, (comment_ids, flags)) in after {
        let (old_comments, old_flags) = before.get(bug).cloned().unwrap_or_default();
        let summary = sandbox.bug(*bug).map(|b| b.summary).unwrap_or_default();
        let new_flags: Vec<String> = flags
            .iter()
            .filter(|f| !old_flags.contains(f))
            .map(|(name, status, requestee)| match requestee {
                Some(r) => format!("{name}{status}({r})"),
                None => format!("{name}{status}"),
            })
            .collect();
        for comment in sandbox.comments(*bug) {
            if !comment_ids.contains(&comment.id) || old_comments.contains(&comment.id) {
                continue;
            }
            // One comment per bug and cycle, a section per action: a row
            // per section, named by the key's marker, which ends it (a
            // command reply may carry others before it).
            for section in crate::plan::merge::sections(&comment.text) {
                let rule = section
                    .markers
                    .last()
                    .map(|marker| marker.name().to_string())
                    .unwrap_or_else(|| "?".to_string());
                let first = section
                    .text
                    .lines()
                    .find(|l| !l.trim().is_empty() && !l.starts_with("(In reply to comment #"))
                    .unwrap_or("")
                    .to_string();
                let mut did = first;
                if rule == "signoff" && !new_flags.is_empty() {
                    did = format!("{did} [flags: {}]", new_flags.join(", "));
                }
                rows.push(Row {
                    bug: *bug,
                    summary: summary.clone(),
                    rule,
                    did,
                });
            }
        }
    }
    rows
}

/// The steps as a readable report: one table per moment.
pub fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        out.push_str(&format!("\n== {}\n", step.label));
        for person in &step.people {
            out.push_str(&format!("   (meanwhile: {person})\n"));
        }
        let r = &step.report;
        out.push_str(&format!(
            "   cycle: {} push bugs, {} changed, {} requests, {} writes, {} already done{}\n",
            r.tracked_bugs,
            r.changed_bugs,
            r.requests,
            r.writes,
            r.duplicates,
            if r.full_load { " (full load)" } else { "" }
        ));
        for e in &r.errors {
            out.push_str(&format!("   error: {e}\n"));
        }
        if step.rows.is_empty() {
            out.push_str("   the bot had nothing new to say\n");
            continue;
        }
        out.push_str(&format!(
            "   {:<5} {:<16} {}\n",
            "bug", "rule", "what the bot did"
        ));
        for row in &step.rows {
            out.push_str(&format!(
                "   {:<5} {:<16} {}\n",
                row.bug,
                row.rule,
                shorten(&row.did, 100)
            ));
        }
    }
    out
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}
