//! `cargo bench --bench cycle`: how fast the pure core and a whole polling
//! cycle are, how many HTTP requests a cycle makes, and how much memory the
//! bot keeps per tracked bug. Prints Markdown tables (docs/performance.md).
//!
//! Speed targets live here, never in timed unit tests: the machines are
//! shared and noisy. Times are printed beside counts and ratios (requests per
//! cycle, requests per 100 bugs), which do not depend on the machine.
//!
//! Everything runs in this process: the bot against the in-process sandbox
//! (`pushbot::sandbox`), seeded with push bugs generated here. The client's
//! rate limit is raised (the sandbox is local); with a real Bugzilla the
//! rate limit, not the bot, sets the pace. `poll.max_writes_per_cycle` is
//! raised too, so the cold start can write.
//!
//! The load phase of a cold cycle is also measured side by side with a
//! peer: bugbot's Bugzilla library libmozdata (Python), run by
//! `benches/peer_libmozdata.py` against the same sandbox when `python3` can
//! import it; the table says "peer skipped" otherwise.
//!
//! Must not: assert on a time, or talk to anything but its own sandbox.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Duration as TimeDelta;
use pushbot::bot::{self, Decider};
use pushbot::bugzilla::{BugId, Client, SearchQuery};
use pushbot::commands::{parse, CommandSettings};
use pushbot::config::Settings;
use pushbot::poll::{CycleReport, Poller, PollerOptions, Snapshot};
use pushbot::rules;
use pushbot::sandbox::{Sandbox, SandboxClock, SandboxHandle, SandboxOptions};

mod support;

use support::data::*;

/// Counts the bytes on the heap, so the size of the snapshot can be measured
/// (clone it, look at the difference) instead of guessed.
struct CountingAlloc;

static HEAP: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            HEAP.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
            HEAP.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

/// `push::extract` (through the `Decider`, as the planner calls it) and
/// `rules::evaluate` over generated snapshots.
fn bench_core(decider: &Decider) {
    println!("### Pure core: push::extract + rules::evaluate\n");
    println!(
        "The shipped rules over a snapshot of generated push bugs that the bot has not commented on \
         yet (every rule that fires renders its comment), no I/O; median of 3 to 50 runs.\n"
    );
    println!("| push bugs | per week | extract µs/bug | evaluate µs/bug | total ms | verdicts | firing |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let now = start_time();
    for (n, per_week) in [
        (100, PUSHES_PER_WEEK),
        (1_000, PUSHES_PER_WEEK),
        (5_000, PUSHES_PER_WEEK),
        (500, 100),
    ] {
        let snapshot = Snapshot {
            bugs: generate(n, per_week)
                .iter()
                .map(|s| (BugId(s.id), s.to_tracked()))
                .collect(),
            ..Snapshot::default()
        };
        // At least 3 runs, more while under 1.5 s, at most 50.
        let budget = Instant::now();
        let (mut extract, mut evaluate) = (Vec::new(), Vec::new());
        let (mut verdicts, mut firing) = (0, 0);
        while extract.len() < 3
            || (extract.len() < 50 && budget.elapsed() < Duration::from_millis(1500))
        {
            let t = Instant::now();
            let pushes = black_box(decider.pushes(black_box(&snapshot)));
            extract.push(t.elapsed());
            let t = Instant::now();
            let out = rules::evaluate(&decider.rules, &pushes, &decider.push, decider.tz, now);
            evaluate.push(t.elapsed());
            verdicts = out.len();
            firing = out.iter().filter(|v| v.fires).count();
            black_box(out);
        }
        let (extract, evaluate) = (median(extract), median(evaluate));
        let per_bug = |d: Duration| us(d / u32::try_from(n).unwrap_or(u32::MAX));
        println!(
            "| {n} | {per_week} | {} | {} | {} | {verdicts} | {firing} |",
            per_bug(extract),
            per_bug(evaluate),
            ms(extract + evaluate),
        );
    }
    println!();
}

/// `commands::parse` over the longest comment Bugzilla accepts (65,535
/// characters): prose, quotes, code blocks, and a few command lines; and
/// one line that long, which is refused without being parsed.
fn bench_parse() {
    let settings = CommandSettings::default();
    let mut text = String::new();
    let mut line = 0;
    while text.len() < 65_000 {
        line += 1;
        let next = match line % 12 {
            // Few command lines, so the parser reads to the end instead of
            // stopping at `max_per_comment`.
            0 if line % 300 == 0 => "@pushbot check\n".to_string(),
            1 => "> @pushbot snooze 2d (quoted: not a command)\n".to_string(),
            2 => "```\n@pushbot go (in a code block)\n```\n".to_string(),
            3 => "    @pushbot help (indented: code)\n".to_string(),
            _ => format!(
                "Line {line}: the stage deploy looks fine; the changelog is linked above.\n"
            ),
        };
        text.push_str(&next);
    }
    text.truncate(65_535);
    let long_line = format!("@pushbot check {}", "x".repeat(65_500));
    println!("### Comment parsing: commands::parse\n");
    println!("| comment | bytes | lines | command lines found | µs per comment | MB/s |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (what, text) in [
        ("mixed, longest allowed", text.as_str()),
        ("one 65 KB command line", long_line.as_str()),
    ] {
        let mut samples = Vec::new();
        let mut found = 0;
        for _ in 0..200 {
            let t = Instant::now();
            let out = black_box(parse::parse(black_box(text), &settings));
            samples.push(t.elapsed());
            found = out.len();
        }
        let d = median(samples);
        println!(
            "| {what} | {} | {} | {found} | {} | {:.0} |",
            text.len(),
            text.lines().count(),
            us(d),
            text.len() as f64 / d.as_secs_f64().max(1e-9) / 1e6,
        );
    }
    println!();
}

/// Requests per route made since `before` (a copy of the counts).
fn routes_since(
    sandbox: &SandboxHandle,
    before: &BTreeMap<String, usize>,
) -> BTreeMap<String, usize> {
    sandbox
        .request_counts()
        .into_iter()
        .filter_map(|(route, n)| {
            let delta = n - before.get(&route).copied().unwrap_or(0);
            (delta > 0).then_some((route, delta))
        })
        .collect()
}

struct CycleRow {
    bugs: usize,
    what: &'static str,
    report: CycleReport,
    routes: BTreeMap<String, usize>,
}

/// The same cycles a running bot goes through, against a sandbox holding
/// `n` push bugs: cold start, the cycle after it, a quiet cycle, and a
/// cycle after people commented on 1% of the bugs.
async fn bench_cycles(n: usize, dir: &Path, rows: &mut Vec<CycleRow>) -> anyhow::Result<Poller> {
    let specs = generate(n, PUSHES_PER_WEEK);
    let t0 = start_time();
    let (sandbox, mut poller) = start_bot(&specs, dir).await?;

    // Five minutes apart, like `poll.interval_secs` = `poll.overlap_secs`
    // = 300: a change is found again by the two searches after it (their
    // overlap), which re-read it only when it changed since.
    let steps: [(&'static str, i64); 5] = [
        ("cold start", 0),
        ("next (reads back its own writes)", 5),
        ("next (its writes still in the overlap)", 10),
        ("quiet", 20),
        ("after 1% of bugs got a comment", 25),
    ];
    for (what, minutes) in steps {
        let at = t0 + TimeDelta::minutes(minutes);
        sandbox.clock().set(at);
        if minutes == 25 {
            for spec in specs.iter().step_by(100) {
                let (_, _, _, dev) = APPS[spec.app];
                sandbox
                    .add_comment(spec.id, dev, "Stage looks good; ready when you are.")
                    .map_err(|e| anyhow::anyhow!("commenting on bug {}: {e:?}", spec.id))?;
            }
        }
        let before = sandbox.request_counts();
        let report = poller.run_once(at).await;
        if !report.errors.is_empty() {
            eprintln!("bench: {n} bugs, {what}: errors: {:?}", report.errors);
        }
        rows.push(CycleRow {
            bugs: n,
            what,
            routes: routes_since(&sandbox, &before),
            report,
        });
    }
    sandbox.shutdown().await;
    Ok(poller)
}

/// Runs per side in the load-phase comparison (the median is printed).
const LOAD_RUNS: usize = 5;

/// Runs per side in a quick run ([`support::quick`]).
const QUICK_LOAD_RUNS: usize = 1;

/// What one side's load phase did in one run.
struct LoadSample {
    took: Duration,
    /// Requests by route, from the sandbox's counters.
    routes: BTreeMap<String, usize>,
    bugs: usize,
    comments: usize,
}

impl LoadSample {
    fn requests(&self) -> usize {
        self.routes.values().sum()
    }
}

/// The peer's runs, or why there are none.
enum Peer {
    Ran(Vec<LoadSample>),
    Skipped(String),
}

/// One row of the load-phase table.
struct LoadRow {
    n: usize,
    /// Bugs per comment read at this id width (`Client::comment_batch_size`).
    b: usize,
    pushbot: Vec<LoadSample>,
    peer: Peer,
    /// Bugs the full cold cycle wrote a comment to (W), and the comment
    /// reads its marker check made.
    written: usize,
    marker_reads: usize,
    /// Bug reads the executor made before its updates (same cycle).
    update_reads: usize,
}

/// The load phase exactly as `Poller::refresh` does it on a cold start:
/// the `[query]` search and the search for pushes shipped lately
/// (`poll::search_push_bugs`), every page, then the comments of the bugs
/// kept in one `Client::comments` call. A fresh client each run (cold
/// connections, like the peer's fresh session).
async fn pushbot_load(settings: &Settings, sandbox: &SandboxHandle) -> anyhow::Result<LoadSample> {
    let client = Client::new(settings).context("building the client")?;
    let query = SearchQuery::from_settings(&settings.query);
    let shipped = pushbot::poll::PollerOptions::from_settings(settings).shipped;
    let before = sandbox.request_counts();
    let t = Instant::now();
    let found = pushbot::poll::search_push_bugs(&client, &query, &shipped, start_time())
        .await
        .context("the push-bug searches")?;
    let ids: Vec<BugId> = found
        .bugs
        .iter()
        .filter(|b| shipped.keeps(&query, b, start_time()))
        .map(|b| b.id)
        .collect();
    let comments = client
        .comments(&ids, None)
        .await
        .context("the comment reads")?;
    let took = t.elapsed();
    Ok(LoadSample {
        took,
        routes: routes_since(sandbox, &before),
        bugs: ids.len(),
        comments: comments.values().map(Vec::len).sum(),
    })
}

/// `benches/peer_libmozdata.py`, beside this file.
fn peer_script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer_libmozdata.py")
}

/// The peer loading `ids` (a file, one a line) from the sandbox; `None`
/// when `python3` or libmozdata is missing (with the reason).
async fn peer_load(
    sandbox: &SandboxHandle,
    ids_file: &Path,
) -> anyhow::Result<Result<LoadSample, String>> {
    let before = sandbox.request_counts();
    let output = match tokio::process::Command::new("python3")
        .arg(peer_script())
        .arg(sandbox.base_url())
        .arg(BOT_KEY)
        .arg(ids_file)
        .output()
        .await
    {
        Ok(output) => output,
        Err(e) => return Ok(Err(format!("no python3 ({e})"))),
    };
    if output.status.code() == Some(3) {
        return Ok(Err("libmozdata is not installed".to_string()));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        anyhow::bail!(
            "{} failed ({}): {}",
            peer_script().display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let line = stdout.lines().last().unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_str(line)
        .with_context(|| format!("the peer's answer `{line}` is not JSON"))?;
    let number = |key: &str| answer.get(key).and_then(serde_json::Value::as_f64);
    let (Some(seconds), Some(bugs), Some(comments)) =
        (number("seconds"), number("bugs"), number("comments"))
    else {
        anyhow::bail!("the peer's answer `{line}` lacks seconds, bugs or comments");
    };
    Ok(Ok(LoadSample {
        took: Duration::from_secs_f64(seconds.max(0.0)),
        routes: routes_since(sandbox, &before),
        bugs: bugs as usize,
        comments: comments as usize,
    }))
}

/// The load phase of a cold cycle over `n` push bugs, pushbot and the peer
/// each `LOAD_RUNS` times, then one full cold cycle (shipped rules,
/// writing) for the marker check before the writes.
async fn bench_load(n: usize, dir: &Path) -> anyhow::Result<LoadRow> {
    let specs = generate(n, PUSHES_PER_WEEK);
    let t0 = start_time();
    let sandbox = Sandbox::start(
        sandbox_data(&specs)?,
        SandboxOptions {
            clock: SandboxClock::fixed(t0),
            ..SandboxOptions::default()
        },
    )
    .await
    .context("starting the sandbox")?;
    let settings = load_settings(dir, &sandbox.base_url())?;
    let width = specs
        .iter()
        .map(|s| s.id.to_string().len())
        .max()
        .unwrap_or(1);
    let b = Client::new(&settings)?.comment_batch_size(width, None);

    let mut pushbot = Vec::new();
    let runs = support::sized(LOAD_RUNS, QUICK_LOAD_RUNS);
    for _ in 0..runs {
        pushbot.push(pushbot_load(&settings, &sandbox).await?);
    }

    let ids_file = dir.join("peer-ids.txt");
    let ids: String = specs.iter().map(|s| format!("{}\n", s.id)).collect();
    std::fs::write(&ids_file, ids).with_context(|| format!("writing {}", ids_file.display()))?;
    let mut samples = Vec::new();
    let mut skipped = None;
    for _ in 0..runs {
        match peer_load(&sandbox, &ids_file).await? {
            Ok(sample) => samples.push(sample),
            Err(reason) => {
                skipped = Some(reason);
                break;
            }
        }
    }
    let peer = match skipped {
        Some(reason) => Peer::Skipped(reason),
        None => Peer::Ran(samples),
    };

    // The marker check: a full cold cycle; its comment reads are the load
    // phase's (measured above, the same data) plus the check's.
    let mut options = PollerOptions::from_settings(&settings);
    options.execute.settle_delay = Duration::ZERO;
    let mut poller = bot::start(&settings, shipped_rules()?, options)
        .await
        .context("starting the bot against the sandbox")?;
    let before = sandbox.request_counts();
    let report = poller.run_once(t0).await;
    if !report.errors.is_empty() {
        eprintln!(
            "bench: load {n} bugs, cold cycle: errors: {:?}",
            report.errors
        );
    }
    let routes = routes_since(&sandbox, &before);
    let load_routes = &pushbot[0].routes;
    let route = |map: &BTreeMap<String, usize>, r: &str| map.get(r).copied().unwrap_or(0);
    let marker_reads = route(&routes, "GET /rest/bug/{id}/comment")
        .saturating_sub(route(load_routes, "GET /rest/bug/{id}/comment"));
    let update_reads =
        route(&routes, "GET /rest/bug").saturating_sub(route(load_routes, "GET /rest/bug"));
    let written = specs
        .iter()
        .filter(|s| {
            sandbox
                .comments(s.id)
                .iter()
                .any(|c| c.creator == BOT_LOGIN)
        })
        .count();
    sandbox.shutdown().await;
    Ok(LoadRow {
        n,
        b,
        pushbot,
        peer,
        written,
        marker_reads,
        update_reads,
    })
}

/// "3" when every run agrees, "3–4" otherwise.
fn spread(values: impl Iterator<Item = usize>) -> String {
    let values: Vec<usize> = values.collect();
    let (lo, hi) = (
        values.iter().min().copied().unwrap_or(0),
        values.iter().max().copied().unwrap_or(0),
    );
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}–{hi}")
    }
}

fn print_load(rows: &[LoadRow]) {
    const SEARCH: &str = "GET /rest/bug";
    const COMMENTS: &str = "GET /rest/bug/{id}/comment";
    let route = |s: &LoadSample, r: &str| s.routes.get(r).copied().unwrap_or(0);
    println!("### Load phase of a cold cycle, side by side with libmozdata\n");
    println!(
        "The reads before planning, on the sandbox (which, like stock 5.2, refuses comma-joined \
         `ids`): pushbot as `Poller::refresh` does them on a cold start (the `[query]` search \
         and the search for pushes shipped lately, {page} bugs a page, then the comments of \
         the bugs kept in batches of B, read concurrently), and bugbot's library libmozdata loading the same bugs and comments by id \
         (`Bugzilla(bugids=…, bughandler=…, commenthandler=…)`, its default chunks of 100 and \
         worker threads). No client rate limit on either side; fresh connections each run; \
         median of {} runs each. Requests are counted by the sandbox.\n",
        support::sized(LOAD_RUNS, QUICK_LOAD_RUNS),
        page = pushbot::bugzilla::client::DEFAULT_PAGE_SIZE,
    );
    println!("| push bugs N | B (bugs per comment read) | pushbot requests: search pages + comment reads | = pages + ⌈N/B⌉ | pushbot ms | libmozdata requests | libmozdata ms | bugs / comments loaded (pushbot · libmozdata) | goal met |");
    println!("|---:|---:|---|:---:|---:|---:|---:|---|:---:|");
    for row in rows {
        let pages = spread(row.pushbot.iter().map(|s| route(s, SEARCH)));
        let reads = spread(row.pushbot.iter().map(|s| route(s, COMMENTS)));
        let formula = row.pushbot.iter().all(|s| {
            route(s, COMMENTS) == row.n.div_ceil(row.b.max(1))
                && s.requests() == route(s, SEARCH) + route(s, COMMENTS)
        });
        let ours = median(row.pushbot.iter().map(|s| s.took).collect());
        let ours_requests = row
            .pushbot
            .iter()
            .map(LoadSample::requests)
            .max()
            .unwrap_or(0);
        let loaded = |s: Option<&LoadSample>| {
            s.map_or_else(
                || "–".to_string(),
                |s| format!("{} / {}", s.bugs, s.comments),
            )
        };
        let (peer_requests, peer_ms, peer_loaded, goal) = match &row.peer {
            Peer::Ran(samples) => {
                let theirs = median(samples.iter().map(|s| s.took).collect());
                let theirs_requests = samples.iter().map(LoadSample::requests).min().unwrap_or(0);
                let met = ours_requests <= theirs_requests && ours <= theirs;
                (
                    spread(samples.iter().map(LoadSample::requests)),
                    ms(theirs),
                    loaded(samples.first()),
                    if met { "yes" } else { "**no**" }.to_string(),
                )
            }
            Peer::Skipped(_) => (
                "peer skipped: install libmozdata (pip install libmozdata)".into(),
                "–".into(),
                "–".into(),
                "–".into(),
            ),
        };
        println!(
            "| {} | {} | {} = {pages} + {reads} | {} | {} | {peer_requests} | {peer_ms} | {} · {peer_loaded} | {goal} |",
            row.n,
            row.b,
            spread(row.pushbot.iter().map(LoadSample::requests)),
            if formula { "yes" } else { "**no**" },
            ms(ours),
            loaded(row.pushbot.first()),
        );
    }
    if let Some(Peer::Skipped(reason)) = rows.first().map(|r| &r.peer) {
        println!("\n(The peer did not run: {reason}.)");
    }
    println!(
        "\nGoal: pushbot's load phase needs no more requests than the peer and no more time \
         (\"goal met\": both hold for the medians). Reference on a real Bugzilla 5.2 with 120 push \
         bugs, before batching by repeated `ids`: libmozdata 7 requests in 0.4–0.8 s, pushbot 122 \
         requests in 4.1 s.\n"
    );
    println!("The marker check before the writes of the same cold cycle (shipped rules, writing): W bugs get a comment; the executor reads all their comments first (`Executor::read_pending`), in batches of B.\n");
    println!("| push bugs N | W bugs written | marker-check comment reads | bound ⌈W/B⌉ | within | bug reads before updates |");
    println!("|---:|---:|---:|---:|:---:|---:|");
    for row in rows {
        let bound = row.written.div_ceil(row.b.max(1));
        println!(
            "| {} | {} | {} | {bound} | {} | {} |",
            row.n,
            row.written,
            row.marker_reads,
            if row.marker_reads <= bound {
                "yes"
            } else {
                "**no**"
            },
            row.update_reads,
        );
    }
    println!();
}

/// Peak and current resident memory of this process, in KiB.
fn vm_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn print_cycles(rows: &[CycleRow]) {
    println!("### Full cycles against the in-process sandbox\n");
    println!(
        "The bot (`Poller::run_once`, shipped rules) against `pushbot::sandbox` on this machine; \
         client rate limit raised to {BENCH_RATE_LIMIT}/minute because the sandbox is local \
         (against a real Bugzilla the rate limit sets the pace: 60/minute by default). One run each.\n"
    );
    println!("| push bugs | cycle | time ms | HTTP requests | requests / 100 bugs | writes (POST+PUT) | actions taken |");
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for row in rows {
        let r = &row.report;
        println!(
            "| {} | {} | {} | {} | {:.1} | {} | {} |",
            row.bugs,
            row.what,
            ms(r.duration),
            r.requests,
            r.requests as f64 * 100.0 / row.bugs as f64,
            r.writes,
            r.taken,
        );
    }
    println!();
    println!("Requests by route:\n");
    println!("| push bugs | cycle | requests by route |");
    println!("|---:|---|---|");
    for row in rows {
        let routes: Vec<String> = row
            .routes
            .iter()
            .map(|(route, n)| format!("`{route}` {n}"))
            .collect();
        println!("| {} | {} | {} |", row.bugs, row.what, routes.join(", "));
    }
    println!();
    for row in rows.iter().filter(|r| r.what == "quiet") {
        if row.report.requests != 1 {
            println!(
                "**Note:** the quiet cycle with {} bugs made {} requests, not 1.\n",
                row.bugs, row.report.requests
            );
        }
    }
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let dir = tempfile::tempdir().context("a temporary directory")?;

    println!("## pushbot benchmark (`cargo bench --bench cycle`)\n");
    support::quick_notice();
    println!(
        "{} logical CPUs; {}; generated data: {PUSHES_PER_WEEK} pushes per ISO week \
         from 2026-W49 over the demo's four apps; now = Monday 2026-11-30 09:00 America/Los_Angeles.\n",
        std::thread::available_parallelism().map_or(0, usize::from),
        support::build(),
    );

    // `cargo bench --bench cycle -- core` runs only the sections whose
    // name holds one of the words (`core`, `parse`, `load`, `cycles`); cargo's own
    // `--bench` flag is ignored.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted =
        |section: &str| only.is_empty() || only.iter().any(|w| section.contains(w.as_str()));

    let settings = load_settings(dir.path(), "http://127.0.0.1:9")?;
    let decider = pushbot::bot::decider(&settings, shipped_rules()?)?;
    if wanted("core") {
        bench_core(&decider);
    }
    if wanted("parse") {
        bench_parse();
    }
    if wanted("load") {
        let mut rows = Vec::new();
        for n in support::sized(vec![7, 120, 1_000], vec![7, 120]) {
            let load_dir = dir.path().join(format!("load-{n}"));
            std::fs::create_dir_all(&load_dir)
                .with_context(|| format!("creating {}", load_dir.display()))?;
            rows.push(runtime.block_on(bench_load(n, &load_dir))?);
        }
        print_load(&rows);
    }
    if !wanted("cycles") {
        return Ok(());
    }

    let mut rows = Vec::new();
    let mut memory = None;
    let mut steady = None;
    for n in support::sized(vec![100, 1_000], vec![100]) {
        let cycle_dir = dir.path().join(format!("cycles-{n}"));
        std::fs::create_dir_all(&cycle_dir)
            .with_context(|| format!("creating {}", cycle_dir.display()))?;
        let poller = runtime.block_on(bench_cycles(n, &cycle_dir, &mut rows))?;
        if n == support::sized(1_000, 100) {
            let peak = vm_kib("VmHWM:");
            let rss = vm_kib("VmRSS:");
            let before = HEAP.load(Ordering::Relaxed);
            let copy = poller.snapshot().clone();
            let snapshot_bytes = HEAP.load(Ordering::Relaxed).saturating_sub(before);
            let tracked = copy.bugs.len();
            let comments: usize = copy.bugs.values().map(|t| t.comments.len()).sum();
            drop(copy);
            let before = HEAP.load(Ordering::Relaxed);
            let pushes = decider.pushes(poller.snapshot());
            let pushes_bytes = HEAP.load(Ordering::Relaxed).saturating_sub(before);
            drop(pushes);
            // The planner once the bot's comments are in: what every
            // later cycle pays.
            let t = Instant::now();
            let actions = decider.decide(poller.snapshot(), start_time() + TimeDelta::minutes(25));
            steady = Some((t.elapsed(), actions.len()));
            memory = Some((peak, rss, tracked, comments, snapshot_bytes, pushes_bytes));
        }
    }
    print_cycles(&rows);
    if let Some((took, actions)) = steady {
        println!(
            "Planner (`Decider::decide`: extract + evaluate) on the 1,000-bug snapshot after the cycles, \
             the bot's markers in place: {} ms, {actions} actions planned.\n",
            ms(took)
        );
    }

    if let Some((peak, rss, tracked, comments, snapshot_bytes, pushes_bytes)) = memory {
        let kib = |v: Option<u64>| v.map_or_else(|| "n/a".to_string(), |v| v.to_string());
        let per = |bytes: usize| bytes / tracked.max(1);
        println!("### Memory after the 1,000-bug cycles\n");
        println!("| measure | value |");
        println!("|---|---:|");
        println!(
            "| peak resident memory of the process (VmHWM, KiB; bot + sandbox + bench data) | {} |",
            kib(peak)
        );
        println!("| resident memory now (VmRSS, KiB) | {} |", kib(rss));
        println!("| tracked bugs / their comments | {tracked} / {comments} |");
        println!(
            "| snapshot heap bytes per tracked bug (bug + its comments) | {} |",
            per(snapshot_bytes)
        );
        println!(
            "| push model heap bytes per bug (`PushBug`, built each cycle) | {} |",
            per(pushes_bytes)
        );
        println!();
    }
    Ok(())
}
