//! Generated push bugs and the bench's settings, shared by the benches
//! (`cycle`, `planner`): the same data everywhere, so their figures can be
//! compared.

#![allow(dead_code)]

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Duration as TimeDelta, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use pushbot::bugzilla::{Bug, BugId, Comment, CommentId, Flag, FlagStatus};
use pushbot::config::Settings;
use pushbot::poll::TrackedBug;
use pushbot::poll::{Poller, PollerOptions};
use pushbot::rules::RuleSet;
use pushbot::sandbox::data::{BugData, CommentData, FlagData};
use pushbot::sandbox::{Sandbox, SandboxClock, SandboxData, SandboxHandle, SandboxOptions};

/// The bot account of the demo data, which the bench reuses.
pub const BOT_LOGIN: &str = pushbot::demo::BOT_LOGIN;
pub const BOT_KEY: &str = "demo-pushbot-key-000000000000000000000000";
pub const TEAM_ZONE: Tz = chrono_tz::America::Los_Angeles;
/// Requests per minute for the bench's client: the sandbox is local, so the
/// pacing a real Bugzilla needs (60/minute) would only measure the limiter.
pub const BENCH_RATE_LIMIT: u32 = 6_000_000;
/// Pushes per ISO week in the generated data (a busy team; most weeks hold
/// a release conflict).
pub const PUSHES_PER_WEEK: usize = 8;

/// The demo's apps: (name, whiteboard tag, lead, developer).
pub const APPS: [(&str, &str, &str, &str); 4] = [
    (
        "AMO",
        "[push:amo]",
        "amo-lead@example.test",
        "amo-dev@example.test",
    ),
    (
        "SUMO",
        "[push:sumo]",
        "sumo-lead@example.test",
        "sumo-dev@example.test",
    ),
    (
        "Personas",
        "[push:personas]",
        "personas-lead@example.test",
        "personas-dev@example.test",
    ),
    (
        "Input",
        "[push:input]",
        "input-lead@example.test",
        "input-dev@example.test",
    ),
];
pub const NOBODY: &str = "nobody@example.test";
pub const QA: &str = "webqa@example.test";

/// Monday 30 November 2026, 09:00 in Los Angeles: the bench's "now" (the
/// demo's first moment). Generated pushes start in this week.
pub fn start_time() -> DateTime<Utc> {
    TEAM_ZONE
        .with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
        .single()
        .map_or_else(
            || Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap(),
            |t| t.with_timezone(&Utc),
        )
}

/// SplitMix64: a fixed, well-mixed sequence, so every run sees the same bugs.
pub fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One generated push bug, before it becomes sandbox data or a `Bug`.
pub struct Spec {
    pub id: u64,
    pub app: usize,
    pub summary: String,
    pub whiteboard: String,
    pub owner: Option<&'static str>,
    pub signed_off: bool,
    pub created: DateTime<Utc>,
    /// (author, text, time) after the description.
    pub comments: Vec<(&'static str, String, DateTime<Utc>)>,
}

/// `n` push bugs, `per_week` to an ISO week from the bench's week on: most
/// on Tuesday and Thursday at 16:00, some outside the window, some without
/// a date, some unowned, some content-only, some already signed off, each
/// with up to three comments (a few holding an `@pushbot check`).
pub fn generate(n: usize, per_week: usize) -> Vec<Spec> {
    let now = start_time();
    let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or(NaiveDate::MIN);
    (0..n)
        .map(|i| {
            let id = 1000 + i as u64;
            let h = mix(id);
            let app = (h % 4) as usize;
            let (name, tag, _, dev) = APPS[app];
            let week = (i / per_week.max(1)) as i64;
            let (day, time) = match (h >> 8) % 10 {
                0..=3 => (1, "16:00"),
                4..=6 => (3, "16:00"),
                7 => (2, "17:00"),
                8 => (0, "14:00"),
                _ => (4, "10:00"),
            };
            let date = monday + TimeDelta::days(week * 7 + day);
            let mut whiteboard = tag.to_string();
            if (h >> 16).is_multiple_of(20) {
                whiteboard.push_str(" [content]");
            }
            if !(h >> 20).is_multiple_of(20) {
                whiteboard.push_str(&format!(" [push {} {time}]", date.format("%Y-%m-%d")));
            }
            let owner = (!(h >> 24).is_multiple_of(7)).then_some(dev);
            let created = now - TimeDelta::days(4) + TimeDelta::seconds((i % 3600) as i64);
            let comments = (0..(h >> 28) % 4)
                .map(|c| {
                    let text = if (h >> 32).is_multiple_of(10) && c == 0 {
                        "The tag is on stage and looks good.\n@pushbot check".to_string()
                    } else {
                        format!("Status update {c}: changelog reviewed, stage deploy green.")
                    };
                    (dev, text, created + TimeDelta::hours(1 + c as i64))
                })
                .collect();
            Spec {
                id,
                app,
                summary: format!("Push {name} build {i} to production"),
                whiteboard,
                owner,
                signed_off: (h >> 36).is_multiple_of(5),
                created,
                comments,
            }
        })
        .collect()
}

impl Spec {
    pub fn lead(&self) -> &'static str {
        APPS[self.app].2
    }

    pub fn description(&self) -> String {
        format!(
            "Please push {} build {}.\nChangelog: https://example.test/compare/{}",
            APPS[self.app].0, self.id, self.id
        )
    }

    /// The bug as the sandbox's data file would describe it.
    pub fn to_data(&self) -> BugData {
        let flags = if self.signed_off {
            vec![
                FlagData {
                    name: "webdev-signoff".to_string(),
                    status: FlagStatus::Granted,
                    requestee: None,
                },
                FlagData {
                    name: "qa-signoff".to_string(),
                    status: FlagStatus::Granted,
                    requestee: None,
                },
            ]
        } else {
            Vec::new()
        };
        BugData {
            id: Some(self.id),
            product: "Websites".to_string(),
            component: "Push".to_string(),
            summary: self.summary.clone(),
            creator: self.lead().to_string(),
            description: self.description(),
            assigned_to: self.owner.map(str::to_string),
            qa_contact: None,
            status: None,
            resolution: None,
            whiteboard: self.whiteboard.clone(),
            keywords: Vec::new(),
            cc: Vec::new(),
            groups: Vec::new(),
            priority: None,
            severity: None,
            target_milestone: None,
            version: None,
            creation_time: Some(self.created),
            flags,
            comments: self
                .comments
                .iter()
                .map(|(who, text, at)| CommentData {
                    creator: (*who).to_string(),
                    text: text.clone(),
                    time: Some(*at),
                    is_private: false,
                })
                .collect(),
        }
    }

    /// The bug and its comments as the client would have read them.
    pub fn to_tracked(&self) -> TrackedBug {
        let last = self.comments.last().map_or(self.created, |c| c.2);
        let flag = |id: u64, name: &str| Flag {
            id,
            name: name.to_string(),
            type_id: None,
            status: FlagStatus::Granted,
            setter: Some(self.lead().to_string()),
            requestee: None,
            creation_date: Some(self.created),
            modification_date: Some(self.created),
        };
        let bug = Bug {
            id: BugId(self.id),
            summary: self.summary.clone(),
            status: "CONFIRMED".to_string(),
            is_open: Some(true),
            product: "Websites".to_string(),
            component: "Push".to_string(),
            assigned_to: self.owner.unwrap_or(NOBODY).to_string(),
            creator: self.lead().to_string(),
            qa_contact: QA.to_string(),
            whiteboard: self.whiteboard.clone(),
            flags: if self.signed_off {
                vec![
                    flag(self.id * 2, "webdev-signoff"),
                    flag(self.id * 2 + 1, "qa-signoff"),
                ]
            } else {
                Vec::new()
            },
            target_milestone: "---".to_string(),
            creation_time: Some(self.created),
            last_change_time: Some(last),
            ..Bug::default()
        };
        let comment = |count: u32, who: &str, text: String, at: DateTime<Utc>| Comment {
            id: CommentId(self.id * 10 + u64::from(count)),
            bug_id: Some(BugId(self.id)),
            count,
            text,
            creator: who.to_string(),
            creation_time: at,
            is_private: false,
            tags: Vec::new(),
            attachment_id: None,
        };
        let mut comments = vec![comment(0, self.lead(), self.description(), self.created)];
        for (k, (who, text, at)) in self.comments.iter().enumerate() {
            comments.push(comment(k as u32 + 1, who, text.clone(), *at));
        }
        TrackedBug { bug, comments }
    }
}

/// The bench's settings: the demo's apps, a high rate limit and write cap.
pub fn settings_text(base_url: &str, state: &Path) -> String {
    let apps: String = APPS
        .iter()
        .enumerate()
        .map(|(i, (name, tag, lead, _))| {
            let size = if i < 2 { "large" } else { "small" };
            format!(
                "[[push.apps]]\nname = \"{name}\"\nwhiteboard = [\"{tag}\"]\nsize = \"{size}\"\nleads = [\"{lead}\"]\nqa = \"{QA}\"\n\n"
            )
        })
        .collect();
    format!(
        r#"
[bugzilla]
url = "{base_url}"
api_key = "{BOT_KEY}"
auth = "query"
bot_login = "{BOT_LOGIN}"
timeout_secs = 30
rate_limit_per_minute = {BENCH_RATE_LIMIT}

[query]
product = ["Websites"]
component = ["Push"]

[poll]
max_writes_per_cycle = 1000000

[team]
time_zone = "America/Los_Angeles"

[state]
path = "{state}"

[push]
default_accounts = ["{NOBODY}"]

{apps}"#,
        state = state.display().to_string().replace('\\', "/"),
    )
}

pub fn load_settings(dir: &Path, base_url: &str) -> anyhow::Result<Settings> {
    let path = dir.join("pushbot.toml");
    std::fs::write(&path, settings_text(base_url, &dir.join("pushbot.sqlite")))
        .with_context(|| format!("writing {}", path.display()))?;
    Settings::load_with_env(&path, Vec::new())
        .with_context(|| format!("loading {}", path.display()))
}

pub fn shipped_rules() -> anyhow::Result<RuleSet> {
    RuleSet::from_sources(pushbot::demo::SHIPPED_RULES).context("the shipped rules")
}

/// The demo's users, groups, products and flag types, with generated bugs.
pub fn sandbox_data(specs: &[Spec]) -> anyhow::Result<SandboxData> {
    let mut data = SandboxData::from_toml_str(pushbot::demo::DATA).context("the demo data")?;
    data.bugs = specs.iter().map(Spec::to_data).collect();
    Ok(data)
}

/// A sandbox holding `specs` with its clock at [`start_time`], and the bot
/// against it (state in `dir`), printing nothing and re-reading a write of
/// unknown outcome at once.
pub async fn start_bot(specs: &[Spec], dir: &Path) -> anyhow::Result<(SandboxHandle, Poller)> {
    let sandbox = Sandbox::start(
        sandbox_data(specs)?,
        SandboxOptions {
            clock: SandboxClock::fixed(start_time()),
            ..SandboxOptions::default()
        },
    )
    .await
    .context("starting the sandbox")?;
    let settings = load_settings(dir, &sandbox.base_url())?;
    let mut options = PollerOptions::from_settings(&settings);
    options.execute.settle_delay = std::time::Duration::ZERO;
    let poller = pushbot::bot::start(&settings, shipped_rules()?, options)
        .await
        .context("starting the bot against the sandbox")?;
    Ok((sandbox, poller))
}
