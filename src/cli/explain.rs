//! `pushbot explain [BUG-ID…] [--file PATH…] [--now TIME]`: prints the push
//! model of each bug and every rule's verdict with its reason.
//!
//! With `--file` it reads bug JSON (a `GET /rest/bug/ID` response or a bug
//! object, optionally with comments; a directory means every `*.json` in
//! it) and needs no Bugzilla: the settings file is read only if it exists,
//! else the shipped defaults apply. With bug ids it fetches those bugs plus
//! the push bugs the bot tracks (those `[query]` selects and those shipped
//! recently, which still count), so conflicts see the whole week.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use pushbot::bugzilla::{BugId, Client};
use pushbot::config::Settings;
use pushbot::explain::{self, BugWithComments};
use pushbot::poll::{search_push_bugs, PollerOptions};
use pushbot::push::{self, PushSettings};
use pushbot::rules;

/// Arguments of `pushbot explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Bug ids to explain, fetched from Bugzilla.
    #[arg(value_name = "BUG-ID")]
    bugs: Vec<u64>,
    /// Read bugs from a JSON file or a directory of `*.json` instead of
    /// Bugzilla (repeatable). Needs no Bugzilla settings.
    #[arg(long = "file", value_name = "PATH")]
    files: Vec<PathBuf>,
    /// Evaluate as if it were this time: RFC 3339, or a local
    /// `YYYY-MM-DD HH:MM` in the team's zone. Default: the real now.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// The rule directory. Default: `rules.dir` from the settings, else `rules`.
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// The bot's login: its markers count as "already said". Default:
    /// `bugzilla.bot_login`; without settings, no markers are read.
    #[arg(long, value_name = "LOGIN")]
    bot_login: Option<String>,
}

fn files_in(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{} holds no *.json bug files", path.display());
    }
    Ok(files)
}

fn read_files(paths: &[PathBuf]) -> anyhow::Result<Vec<BugWithComments>> {
    let mut out = Vec::new();
    for path in paths {
        for file in files_in(path)? {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read bug file {}", file.display()))?;
            let bugs = explain::parse_bug_json(&text).map_err(|reason| {
                anyhow::anyhow!(
                    "bug file {}: {reason}; give a GET /rest/bug/ID response or a bug object",
                    file.display()
                )
            })?;
            out.extend(bugs);
        }
    }
    Ok(out)
}

async fn fetch(
    settings: &Settings,
    ids: &[BugId],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<BugWithComments>> {
    let client = Client::new(settings).context("cannot build the Bugzilla client")?;
    let mut bugs = client
        .get_bugs(ids)
        .await
        .context("cannot fetch the bugs from Bugzilla")?
        .bugs;
    for id in ids {
        if !bugs.iter().any(|b| b.id == *id) {
            bail!("bug {id} is missing or not visible to the bot account");
        }
    }
    // The same push bugs as the bot's full load: open ones and those
    // shipped recently (a shipped push still counts toward its week).
    let options = PollerOptions::from_settings(settings);
    let others = search_push_bugs(&client, &options.query, &options.shipped, now)
        .await
        .context("cannot search the other push bugs")?;
    for bug in others.bugs {
        if !bugs.iter().any(|b| b.id == bug.id) {
            bugs.push(bug);
        }
    }
    let all: Vec<BugId> = bugs.iter().map(|b| b.id).collect();
    let mut comments = client
        .comments(&all, None)
        .await
        .context("cannot fetch the comments")?;
    Ok(bugs
        .into_iter()
        .map(|b| {
            let c = comments.remove(&b.id).unwrap_or_default();
            (b, c)
        })
        .collect())
}

pub fn run(config: &Path, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    if args.bugs.is_empty() && args.files.is_empty() {
        bail!("name a bug (`pushbot explain 1234`) or a file (`pushbot explain --file bug.json`)");
    }
    let settings = if args.files.is_empty() || config.exists() {
        Some(
            Settings::load(config)
                .with_context(|| format!("settings in {} are not usable", config.display()))?,
        )
    } else {
        None
    };
    let tz: Tz = match &settings {
        Some(s) => s.team.tz()?,
        None => chrono_tz::America::Los_Angeles,
    };
    let push_settings = settings
        .as_ref()
        .map(|s| s.push.clone())
        .unwrap_or_else(PushSettings::default);
    let bot_login = args
        .bot_login
        .clone()
        .or_else(|| settings.as_ref().map(|s| s.bugzilla.bot_login.clone()))
        .unwrap_or_default();
    let now = match &args.now {
        Some(text) => pushbot::clock::parse_now(text, tz).context("--now")?,
        None => Utc::now(),
    };
    let dir = match (&args.rules, &settings) {
        (Some(d), _) => d.clone(),
        (None, Some(s)) => s.rules.dir.clone(),
        (None, None) => PathBuf::from("rules"),
    };
    let rule_set = pushbot::rule_files::load(&dir).with_context(|| {
        format!(
            "rule files in {} are not valid; run `pushbot rules check`",
            dir.display()
        )
    })?;

    let mut bugs = read_files(&args.files)?;
    let mut show: Vec<BugId> = bugs.iter().map(|(b, _)| b.id).collect();
    if !args.bugs.is_empty() {
        let ids: Vec<BugId> = args.bugs.iter().map(|n| BugId(*n)).collect();
        let Some(settings) = &settings else {
            bail!("fetching bugs needs the settings file {}", config.display());
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        for fetched in runtime.block_on(fetch(settings, &ids, now))? {
            if !bugs.iter().any(|(b, _)| b.id == fetched.0.id) {
                bugs.push(fetched);
            }
        }
        show.extend(ids);
    }
    if bot_login.is_empty() {
        println!("(no bot login known: markers are not read; pass --bot-login)");
    }
    let pushes: Vec<push::PushBug> = bugs
        .iter()
        .map(|(b, c)| push::extract(b, c, &push_settings, &bot_login, tz))
        .collect();
    let verdicts = rules::evaluate(&rule_set, &pushes, &push_settings, tz, now);
    print!("{}", explain::report(&pushes, &verdicts, &show, tz, now));
    Ok(ExitCode::SUCCESS)
}
