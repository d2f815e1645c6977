//! `pushbot demo`: the bot against the built-in sandbox, seeded with the
//! seed meeting's week; prints what it did, bug by bug.

use std::process::ExitCode;

use anyhow::Context;
use pushbot::demo;

pub fn run() -> anyhow::Result<ExitCode> {
    let workdir =
        tempfile::tempdir().context("cannot create a temporary directory for the demo's state")?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let outcome = runtime.block_on(demo::run(workdir.path()))?;
    let steps = &outcome.steps;
    println!("pushbot demo: the seed meeting's week (2026-W49) in a built-in Bugzilla sandbox.");
    println!("Push bugs: 801 AMO (large, Tue 16:00), 802 SUMO (large, Thu), 803 Personas (small, Wed 17:00, no owner),");
    println!(
        "           804 Input (small, Mon 14:00), 805 SUMO outage page (content only, Fri 10:00)."
    );
    print!("{}", demo::render(steps));
    let requests: u64 = steps.iter().map(|s| s.report.requests).sum();
    let writes: usize = steps.iter().map(|s| s.report.writes).sum();
    println!(
        "\n{} cycles, {} HTTP requests, {} writes. Run it again: nothing is posted twice.",
        steps.len(),
        requests,
        writes
    );
    if let Some((bug, text)) = &outcome.example_comment {
        println!("\nOne of those comments in full (bug {bug}):\n");
        for line in text.lines() {
            println!("    {line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
