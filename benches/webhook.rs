//! `cargo bench --bench webhook`: how soon a command comment is answered
//! with webhooks on and polling every 10 minutes, against the demo's
//! sandbox delivering its events to the bot's endpoint on loopback (the
//! set-up of `tests/webhook_e2e.rs`, `tests/support/hooked.rs`). 50
//! commands, one after another; each is timed from the comment being
//! added to the bot's reply being in the sandbox. Prints a Markdown table
//! for docs/performance.md: median and worst, HTTP requests to Bugzilla
//! per answered command, and the poll cycles that ran meanwhile (none
//! expected: the events did it).
//!
//! Reports times; asserts nothing about them.

#[allow(dead_code, reason = "the tests use the rest of it")]
#[path = "../tests/support/hooked.rs"]
mod hooked;

use std::time::{Duration, Instant};

use hooked::Hooked;
use pushbot::sandbox::Delivery;

const COMMANDS: usize = 50;

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn measure(delivery: Delivery) -> (Vec<Duration>, f64, u64) {
    let bot = Hooked::start(delivery).await;
    let at = pushbot::clock::parse_now("2026-11-30 09:10", "America/Los_Angeles".parse().unwrap())
        .unwrap_or_else(|e| panic!("{e}"));
    bot.sandbox.clock().set(at);
    let polls = bot.polls();
    let requests = bot.sandbox.request_log().len();
    let mut times = Vec::with_capacity(COMMANDS);
    for n in 0..COMMANDS {
        let runs = bot.trigger.runs();
        let bug = 801 + (n as u64 % 4);
        let started = Instant::now();
        let id = bot.say(bug, "amo-dev@example.test", "@pushbot check");
        bot.wait_answered(bug, id).await;
        times.push(started.elapsed());
        // The run is over before the next command: each is timed alone.
        hooked::guard("the run", bot.trigger.wait_runs(runs + 1)).await;
    }
    hooked::guard("the deliveries", bot.sandbox.wait_webhooks_idle()).await;
    let per_command = (bot.sandbox.request_log().len() - requests) as f64 / COMMANDS as f64;
    let polled = bot.polls() - polls;
    bot.stop().await;
    (times, per_command, polled)
}

fn main() {
    // `RUST_LOG=pushbot=debug cargo bench --bench webhook` shows each run.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a runtime: {e}"));
    println!("## Webhook: a command answered on its event (polling every 10 minutes)\n");
    println!("| delivery | commands | median | worst | HTTP requests per answered command | poll cycles meanwhile |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, delivery) in [
        ("prompt", Delivery::Prompt),
        ("twice (every event redelivered)", Delivery::Twice),
    ] {
        let (mut times, per_command, polled) = runtime.block_on(measure(delivery));
        times.sort();
        let median = times[times.len() / 2];
        let worst = times[times.len() - 1];
        println!(
            "| {label} | {COMMANDS} | {} | {} | {per_command:.1} | {polled} |",
            millis(median),
            millis(worst)
        );
    }
    println!("\nWithout webhooks the same command waits for the next poll: up to `poll.interval_secs` (300 s by default).");
}
