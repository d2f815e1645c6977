//! What the benches share.

pub mod data;

/// Set (to anything) for a quick run: smaller data, fewer rounds. CI runs
/// every documented `cargo bench` command this way (in the dev profile,
/// see `.ci/run`) to prove the command works and its table prints; the
/// figures in docs/performance.md come from full runs.
pub const QUICK_ENV: &str = "PUSHBOT_BENCH_QUICK";

/// Whether this is a quick run ([`QUICK_ENV`] is set).
#[allow(dead_code)]
pub fn quick() -> bool {
    std::env::var_os(QUICK_ENV).is_some()
}

/// `full`, or `small` in a quick run.
#[allow(dead_code)]
pub fn sized<T>(full: T, small: T) -> T {
    if quick() {
        small
    } else {
        full
    }
}

/// The line a quick run prints under its heading, so its table is never
/// taken for real figures.
#[allow(dead_code)]
pub fn quick_notice() {
    if quick() {
        println!(
            "**Quick run ({QUICK_ENV} is set): smaller data, fewer rounds; \
             these figures are not comparable with docs/performance.md.**\n"
        );
    }
}

/// What the bench was built as, for its heading: `cargo bench` builds in
/// the release profile; CI's quick runs use the dev profile.
#[allow(dead_code)]
pub fn build() -> &'static str {
    if cfg!(debug_assertions) {
        "dev build (debug assertions on)"
    } else {
        "release build"
    }
}
