//! `cargo bench --bench noise`: how much mail the bot causes. Every write
//! to a bug (a `PUT /rest/bug/ID` or a `POST /rest/bug/ID/comment`) sends
//! mail to everyone on it, so the unit is one bot write on one bug: a
//! "change".
//!
//! Scenarios, each against its own in-process sandbox (`pushbot::sandbox`):
//! - the meeting's week (the demo data, bugs 801–805), with three command
//!   comments waiting on the AMO push in the first cycle, then the demo's
//!   moments of the week;
//! - generated weeks of N = 5, 20 and 100 pushes in one ISO week (the
//!   data `cycle` uses): a cold cycle, a quiet one, then one large push
//!   joins the week (it is in conflict already), then one push leaves it
//!   (moved ten weeks on).
//!
//! For each it prints the most changes one bug got in one cycle and the
//! total, and for the generated weeks the bot comments one push joining
//! caused and the comments one push leaving caused (all bugs together).
//! Counts only: they do not depend on the machine.
//!
//! Must not: assert on a count; talk to anything but its own sandbox.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Duration as TimeDelta, NaiveDate, Utc};
use pushbot::demo::{Demo, BOT_LOGIN};
use pushbot::poll::Poller;
use pushbot::sandbox::SandboxHandle;
use serde_json::json;

mod support;

use support::data::*;

/// Bot writes per bug since request `from` of the sandbox's log: PUT
/// /rest/bug/ID and POST /rest/bug/ID/comment answered 2xx.
fn writes_by_bug(sandbox: &SandboxHandle, from: usize) -> BTreeMap<u64, usize> {
    let mut out = BTreeMap::new();
    for request in sandbox.request_log().into_iter().skip(from) {
        if !request.status.is_some_and(|s| (200..300).contains(&s)) {
            continue;
        }
        let path = request.path.trim_start_matches("/rest.cgi");
        let path = path.trim_start_matches("/rest");
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let bug = match (request.method.as_str(), parts.as_slice()) {
            ("PUT", ["bug", id]) | ("POST", ["bug", id, "comment"]) => id.parse().ok(),
            _ => None,
        };
        if let Some(bug) = bug {
            *out.entry(bug).or_insert(0) += 1;
        }
    }
    out
}

/// The bot's comments on `bugs`, all together.
fn bot_comments(sandbox: &SandboxHandle, bugs: &[u64]) -> usize {
    bugs.iter()
        .map(|id| {
            sandbox
                .comments(*id)
                .iter()
                .filter(|c| c.creator == BOT_LOGIN)
                .count()
        })
        .sum()
}

/// One scenario's counts.
#[derive(Default)]
struct Noise {
    cycles: usize,
    /// The most changes one bug got in one cycle.
    max_per_bug_cycle: usize,
    /// Changes over all cycles and bugs.
    total: usize,
    /// Bot comments one push joining the conflicted week caused.
    joining: Option<usize>,
    /// Bot comments one push leaving it caused.
    leaving: Option<usize>,
    errors: usize,
}

impl Noise {
    fn count(&mut self, sandbox: &SandboxHandle, from: usize) {
        let writes = writes_by_bug(sandbox, from);
        self.cycles += 1;
        self.total += writes.values().sum::<usize>();
        self.max_per_bug_cycle = self
            .max_per_bug_cycle
            .max(writes.values().copied().max().unwrap_or(0));
    }
}

/// The meeting's week: three commands on the AMO push before the first
/// cycle, then a cycle at each of the demo's moments.
async fn meeting_week(dir: &Path) -> anyhow::Result<Noise> {
    let mut demo = Demo::start(dir).await.context("starting the demo")?;
    for text in [
        "@pushbot summary",
        "@pushbot signoff",
        "Stage is green.\n@pushbot check",
    ] {
        demo.sandbox
            .add_comment(801, "amo-lead@example.test", text)
            .map_err(|e| anyhow::anyhow!("commenting on bug 801: {e:?}"))?;
    }
    let mut noise = Noise::default();
    let start = start_time();
    for hours in [0, 1, 2, 24, 33, 48, 72, 96] {
        let from = demo.sandbox.request_log().len();
        let report = demo.cycle_at(start + TimeDelta::hours(hours)).await;
        noise.errors += report.errors.len();
        noise.count(&demo.sandbox, from);
    }
    demo.sandbox.shutdown().await;
    Ok(noise)
}

/// One cycle `minutes` after `t0`, both clocks set.
async fn cycle(
    sandbox: &SandboxHandle,
    poller: &mut Poller,
    t0: DateTime<Utc>,
    minutes: i64,
) -> pushbot::poll::CycleReport {
    let at = t0 + TimeDelta::minutes(minutes);
    sandbox.clock().set(at);
    poller.run_once(at).await
}

/// `n` generated pushes in the bench's week (2026-W49).
async fn crowded_week(n: usize, dir: &Path) -> anyhow::Result<Noise> {
    let specs = generate(n, n);
    let t0 = start_time();
    let (sandbox, mut poller) = start_bot(&specs, dir).await?;
    let mut bugs: Vec<u64> = specs.iter().map(|s| s.id).collect();
    let mut noise = Noise::default();

    for minutes in [0, 5] {
        let from = sandbox.request_log().len();
        noise.errors += cycle(&sandbox, &mut poller, t0, minutes).await.errors.len();
        noise.count(&sandbox, from);
    }

    // One more large push joins the week, on Thursday.
    let joined = sandbox
        .create_bug(
            "amo-lead@example.test",
            &json!({
                "product": "Websites",
                "component": "Push",
                "summary": "Push AMO hotfix to production",
                "version": "unspecified",
                "description": "AMO hotfix.",
                "whiteboard": "[push:amo] [push 2026-12-03 16:00]",
                "assigned_to": "amo-dev@example.test"
            }),
        )
        .map_err(|e| anyhow::anyhow!("filing the joining push: {e:?}"))?;
    bugs.push(joined);
    let before = bot_comments(&sandbox, &bugs);
    let from = sandbox.request_log().len();
    noise.errors += cycle(&sandbox, &mut poller, t0, 10).await.errors.len();
    noise.count(&sandbox, from);
    noise.joining = Some(bot_comments(&sandbox, &bugs) - before);

    // The first dated push moves ten weeks on.
    let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or(NaiveDate::MIN);
    if let Some(leaving) = specs.iter().find(|s| s.whiteboard.contains("[push 2026-")) {
        let whiteboard = format!(
            "{} [push {} 16:00]",
            APPS[leaving.app].1,
            (monday + TimeDelta::weeks(10) + TimeDelta::days(1)).format("%Y-%m-%d")
        );
        sandbox
            .update_bug(
                leaving.id,
                leaving.lead(),
                &json!({ "whiteboard": whiteboard }),
            )
            .map_err(|e| anyhow::anyhow!("moving bug {}: {e:?}", leaving.id))?;
        let before = bot_comments(&sandbox, &bugs);
        let from = sandbox.request_log().len();
        noise.errors += cycle(&sandbox, &mut poller, t0, 15).await.errors.len();
        noise.count(&sandbox, from);
        noise.leaving = Some(bot_comments(&sandbox, &bugs) - before);
    }
    sandbox.shutdown().await;
    Ok(noise)
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let mut rows = Vec::new();
    let meeting_dir = dir.path().join("meeting");
    std::fs::create_dir_all(&meeting_dir).context("a directory for the meeting's week")?;
    rows.push((
        "meeting's week (bugs 801–805, 3 commands waiting)".to_string(),
        5,
        runtime.block_on(meeting_week(&meeting_dir))?,
    ));
    for n in [5, 20, 100] {
        let week_dir = dir.path().join(format!("week-{n}"));
        std::fs::create_dir_all(&week_dir)
            .with_context(|| format!("creating {}", week_dir.display()))?;
        rows.push((
            format!("{n} pushes in one week"),
            n,
            runtime.block_on(crowded_week(n, &week_dir))?,
        ));
    }

    println!("## Noise (`cargo bench --bench noise`)\n");
    support::quick_notice();
    println!(
        "A change is one bot write on one bug (PUT or POST): one mail to everyone on it. \
         Counted from the sandbox's request log; generated weeks as in `cycle`, all in 2026-W49.\n"
    );
    println!("| scenario | push bugs | cycles | max changes per bug per cycle | total changes | comments when a push joins | comments when a push leaves | cycle errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let or_dash = |v: Option<usize>| v.map_or_else(|| "–".to_string(), |v| v.to_string());
    for (name, bugs, noise) in &rows {
        println!(
            "| {name} | {bugs} | {} | {} | {} | {} | {} | {} |",
            noise.cycles,
            noise.max_per_bug_cycle,
            noise.total,
            or_dash(noise.joining),
            or_dash(noise.leaving),
            noise.errors,
        );
    }
    println!();
    Ok(())
}
