//! `cargo bench --bench web`: the web server under load. Prints Markdown
//! tables (docs/performance.md): requests per second and latency of `/`,
//! `/week/2026-W49`, `/calendar.ics` and `/healthz` at 200 and 1,000
//! concurrent keep-alive connections, and whether the goal holds: `/`
//! (the week page) within 2× of `/calendar.ics` in requests per second.
//!
//! The data is the demo's meeting week, read by the real pipeline: the
//! in-process sandbox seeded with `src/demo/meeting-week.toml`, two poll
//! cycles of the bot (`pushbot::demo::Demo`), fed to the web state by
//! `live::feed` as `pushbot run` does. The pages' clock is pinned just
//! after the second cycle, so nothing is stale.
//!
//! The load generator is in this process, on loopback only: N hyper
//! HTTP/1.1 client connections, each sending its next request as soon as
//! the last answer is read, for a fixed time and at most
//! [`MAX_REQUESTS_PER_RUN`] requests; [`ROUNDS`] rounds over the routes,
//! interleaved, so that a busy moment on the shared machine does not land
//! on one route only. Client and server share the
//! machine's cores, so the absolute numbers are lower than a separate load
//! tool (wrk) would see; the ratio between routes is what the goal is about.
//!
//! 1,000 connections need about 2,000 file descriptors (both ends are in
//! this process): the soft open-file limit is raised to the hard one, and
//! if that is still too low the run says so and leaves the level out.
//!
//! Must not: assert on a time, or talk to anything but its own loopback
//! servers.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::body::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use pushbot::demo::{Demo, SHIPPED_RULES};
use pushbot::live;
use pushbot::report::ics::IcsOptions;
use pushbot::report::{html, ics, json};
use pushbot::rules::RuleSet;
use pushbot::web::{self, WebData, WebState};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

mod support;

/// The routes measured, in table order.
const ROUTES: [&str; 4] = ["/", "/week/2026-W49", "/calendar.ics", "/healthz"];

/// Concurrent connections per run.
const LEVELS: [usize; 2] = [200, 1000];

/// How long each run sends requests (after a warm-up of one request per
/// connection). `cargo bench --bench web -- 2` runs 2 s each instead.
const DEFAULT_RUN_SECS: u64 = 3;

/// Rounds over all routes at each level, the routes interleaved: the
/// machine is shared, so one run of a route can land on a busy moment. The
/// table shows the median round's req/s and every round's range.
const ROUNDS: usize = 3;

/// Connections per run, seconds per run, rounds and renders in a quick run
/// ([`support::quick`]).
const QUICK: ([usize; 2], u64, usize, usize) = ([20, 50], 1, 1, 20);

/// Requests per run at most, whatever the time: bounds the work.
const MAX_REQUESTS_PER_RUN: u64 = 5_000_000;

/// File descriptors the process needs beyond two per connection.
const SPARE_FDS: u64 = 256;

/// The goal: `/` at least this fraction of `/calendar.ics`'s req/s.
const GOAL_RATIO: f64 = 0.5;

/// Renders timed for the "render once" table (median taken).
const RENDER_RUNS: usize = 200;

/// One run's outcome (or several merged: see [`Merged`]).
struct RunResult {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    /// Latency of every answered request, sorted, in microseconds.
    latencies_us: Vec<u32>,
    bytes_per_answer: usize,
}

impl RunResult {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies_us.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies_us.len()) - 1;
        f64::from(self.latencies_us[index]) / 1000.0
    }
}

/// The rounds of one route at one level.
struct Merged {
    /// Req/s of each round, sorted.
    per_second: Vec<f64>,
    /// Every round's latencies, sorted, and totals.
    all: RunResult,
}

impl Merged {
    fn new(runs: Vec<RunResult>) -> Merged {
        let mut per_second: Vec<f64> = runs.iter().map(RunResult::per_second).collect();
        per_second.sort_by(f64::total_cmp);
        let mut all = RunResult {
            requests: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latencies_us: Vec::new(),
            bytes_per_answer: 0,
        };
        for mut run in runs {
            all.requests += run.requests;
            all.errors += run.errors;
            all.elapsed += run.elapsed;
            all.latencies_us.append(&mut run.latencies_us);
            all.bytes_per_answer = run.bytes_per_answer;
        }
        all.latencies_us.sort_unstable();
        Merged { per_second, all }
    }

    fn median_per_second(&self) -> f64 {
        self.per_second
            .get(self.per_second.len() / 2)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// Raises the soft open-file limit to the hard one; returns (soft before,
/// soft now).
fn raise_fd_limit() -> anyhow::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `rlimit` for the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        bail!(
            "cannot read the open-file limit: {}",
            std::io::Error::last_os_error()
        );
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: `raised` is a valid `rlimit`; raising the soft limit up to
        // the hard one needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    Ok((before, limit.rlim_cur))
}

/// Median time of `f` over `runs` calls, in microseconds.
fn median_us(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// What rendering the meeting week costs once: what each request paid
/// before the pages were stored.
fn render_costs(
    demo: &Demo,
    now: DateTime<Utc>,
    runs: usize,
) -> anyhow::Result<Vec<(&'static str, f64)>> {
    let decider = pushbot::bot::decider(&demo.settings, RuleSet::from_sources(SHIPPED_RULES)?)?;
    let reports = decider.week_reports(demo.poller.snapshot(), now);
    let week = "2026-W49".parse()?;
    let report = reports
        .get(&week)
        .context("the meeting week has a report")?;
    let options = IcsOptions::default();
    Ok(vec![
        (
            "week page (HTML)",
            median_us(runs, || {
                black_box(html::render(black_box(report), Some(now)).is_ok());
            }),
        ),
        (
            "week JSON",
            median_us(runs, || {
                black_box(json::render(black_box(report)).is_ok());
            }),
        ),
        (
            "calendar",
            median_us(runs, || {
                black_box(ics::render(reports.values(), now, &options).len());
            }),
        ),
    ])
}

/// The demo's week through the real pipeline, into a web state whose clock
/// stands just after the cycles.
async fn meeting_week_state(workdir: &std::path::Path) -> anyhow::Result<(Demo, WebState)> {
    let tz = chrono_tz::America::Los_Angeles;
    let at = |text: &str| pushbot::clock::parse_now(text, tz).context("a demo time");
    let mut demo = Demo::start(workdir).await.context("starting the demo")?;
    let state = live::web_state(
        &demo.settings,
        Arc::new(RwLock::new(WebData::default())),
        live::clock(Some(at("2026-11-30 09:06")?)),
    )?;
    let rules = RuleSet::from_sources(SHIPPED_RULES)?;
    let decider = pushbot::bot::decider(&demo.settings, rules)?;
    demo.poller.set_after_cycle(live::feed(decider, &state));
    for time in ["2026-11-30 09:00", "2026-11-30 09:05"] {
        let report = demo.cycle_at(at(time)?).await;
        if report.outage || !report.errors.is_empty() {
            bail!("the demo cycle at {time} failed: {:?}", report.errors);
        }
    }
    Ok((demo, state))
}

/// A keep-alive client connection.
type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn open_connection(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(addr).await.context("connecting")?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP handshake")?;
    tokio::spawn(connection);
    Ok(sender)
}

/// One request on `sender`; the answer's body length, or `None` for
/// anything but a complete 200.
async fn fetch(sender: &mut Sender, addr: SocketAddr, path: &str) -> Option<usize> {
    sender.ready().await.ok()?;
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())
        .ok()?;
    let response = sender.send_request(request).await.ok()?;
    if response.status() != hyper::StatusCode::OK {
        return None;
    }
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some(body.len())
}

/// `connections` clients sending `path` back to back for `duration`.
async fn run(
    addr: SocketAddr,
    path: &'static str,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<RunResult> {
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        senders.push(open_connection(addr).await?);
    }
    // Warm-up: one request each, so every connection is accepted and
    // ready before the clock starts.
    let mut bytes_per_answer = 0;
    for sender in &mut senders {
        bytes_per_answer = fetch(sender, addr, path)
            .await
            .with_context(|| format!("warm-up request to {path} failed"))?;
    }
    let sent = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let end = start + duration;
    let mut workers = JoinSet::new();
    for mut sender in senders {
        let sent = Arc::clone(&sent);
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < end
                && sent.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS_PER_RUN
            {
                let t0 = Instant::now();
                match fetch(&mut sender, addr, path).await {
                    Some(_) => {
                        latencies.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX))
                    }
                    None => {
                        errors += 1;
                        break;
                    }
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    while let Some(done) = workers.join_next().await {
        let (mut latencies, failed) = done.context("a load worker panicked")?;
        latencies_us.append(&mut latencies);
        errors += failed;
    }
    let elapsed = start.elapsed();
    latencies_us.sort_unstable();
    Ok(RunResult {
        requests: latencies_us.len() as u64,
        errors,
        elapsed,
        latencies_us,
        bytes_per_answer,
    })
}

/// Waits until the server has closed every connection of the last run, so
/// the next run starts from none (and stays under the connection cap).
async fn wait_until_closed(state: &WebState) -> anyhow::Result<()> {
    let give_up = Instant::now() + Duration::from_secs(60);
    while state.metrics().connections_open() > 0 {
        if Instant::now() > give_up {
            bail!(
                "the server still holds {} connections a minute after the run",
                state.metrics().connections_open()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // `cargo bench --bench web -- 2`: seconds per run; cargo's own
    // `--bench` flag is ignored.
    let run_secs = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(|a| a.parse::<u64>().context("the argument is seconds per run"))
        .transpose()?
        .unwrap_or(support::sized(DEFAULT_RUN_SECS, QUICK.1));
    let levels = support::sized(LEVELS, QUICK.0);
    let rounds_per_level = support::sized(ROUNDS, QUICK.2);
    let render_runs = support::sized(RENDER_RUNS, QUICK.3);
    let duration = Duration::from_secs(run_secs);
    let (fd_before, fd_now) = raise_fd_limit()?;
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let dir = tempfile::tempdir().context("a temporary directory")?;

    runtime.block_on(async {
        let (demo, state) = meeting_week_state(dir.path()).await?;
        let now = pushbot::clock::parse_now("2026-11-30 09:06", chrono_tz::America::Los_Angeles)?;
        let costs = render_costs(&demo, now, render_runs)?;
        demo.sandbox.shutdown().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(web::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));

        println!("## pushbot web benchmark (`cargo bench --bench web`)\n");
        support::quick_notice();
        println!(
            "{cpus} logical CPUs; {}; the server and the load generator share them \
             (one process, one tokio runtime, loopback). Data: the demo's meeting week \
             (2026-W49) after two real poll cycles. Keep-alive HTTP/1.1 connections, each \
             sending its next request when the last answer is read; {run_secs} s per run \
             after one warm-up request per connection, {rounds_per_level} rounds over the routes (req/s: \
             the median round, and the range; latency: every request of every round). \
             Open-file limit: {fd_before} → {fd_now}.\n",
            support::build(),
        );
        let mut results: Vec<(usize, &str, Merged)> = Vec::new();
        for connections in levels {
            let needed = 2 * connections as u64 + SPARE_FDS;
            if fd_now < needed {
                println!(
                    "**{connections} connections left out**: they need about {needed} open files and \
                     the limit is {fd_now} (raise the hard limit: `ulimit -Hn`).\n"
                );
                continue;
            }
            let mut rounds: Vec<Vec<RunResult>> = ROUTES.iter().map(|_| Vec::new()).collect();
            for _ in 0..rounds_per_level {
                for (path, runs) in ROUTES.iter().zip(rounds.iter_mut()) {
                    wait_until_closed(&state).await?;
                    runs.push(run(addr, path, connections, duration).await?);
                }
            }
            for (path, runs) in ROUTES.into_iter().zip(rounds) {
                results.push((connections, path, Merged::new(runs)));
            }
        }
        wait_until_closed(&state).await?;
        let rejected = state.metrics().connections_rejected();
        let _ = stop.send(());
        server.await.context("the server task")??;

        println!("Rendering once (done after each poll cycle; each request paid it before the pages were stored), median of {render_runs}:\n");
        println!("| output | µs per render |");
        println!("|---|---:|");
        for (what, us) in &costs {
            println!("| {what} | {us:.0} |");
        }
        println!();
        println!("| connections | route | answer bytes | requests | req/s | req/s range | p50 ms | p99 ms | failed |");
        println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        for (connections, path, m) in &results {
            let r = &m.all;
            println!(
                "| {connections} | `{path}` | {} | {} | {:.0} | {:.0}–{:.0} | {:.2} | {:.2} | {} |",
                r.bytes_per_answer,
                r.requests,
                m.median_per_second(),
                m.per_second.first().copied().unwrap_or(f64::NAN),
                m.per_second.last().copied().unwrap_or(f64::NAN),
                r.percentile_ms(50.0),
                r.percentile_ms(99.0),
                r.errors,
            );
        }
        println!();
        if rejected > 0 {
            println!("The server refused {rejected} connections (over its cap).\n");
        }
        let per_second = |connections: usize, route: &str| {
            results
                .iter()
                .find(|(c, p, _)| *c == connections && *p == route)
                .map(|(_, _, m)| m.median_per_second())
        };
        let mut all_met = true;
        for connections in levels {
            let (Some(page), Some(calendar)) =
                (per_second(connections, "/"), per_second(connections, "/calendar.ics"))
            else {
                continue;
            };
            let met = page >= GOAL_RATIO * calendar;
            all_met &= met;
            println!(
                "- Goal (`/` within 2× of `/calendar.ics` in req/s) at {connections} connections: \
                 `/` {page:.0} req/s, `/calendar.ics` {calendar:.0} req/s, ratio {:.2}: **{}**.",
                page / calendar,
                if met { "met" } else { "not met" }
            );
        }
        println!(
            "\nGoal {}.",
            if all_met { "met at every level measured" } else { "NOT met" }
        );
        anyhow::Ok(())
    })
}
