//! Helpers for the tests that run the `pushbot` binary against the demo's
//! sandbox: the shipped rules written out as a rules directory, and
//! stopping the test's own child process the way a service manager does.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};

/// Writes the shipped rule files into `dir/rules` (created) and returns that
/// directory, for a settings file's `[rules] dir`.
pub fn write_shipped_rules(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    assert!(!pushbot::demo::SHIPPED_RULES.is_empty(), "no shipped rules");
    for (name, text) in pushbot::demo::SHIPPED_RULES {
        let file = Path::new(name).file_name().unwrap();
        std::fs::write(rules.join(file), text).unwrap();
    }
    rules
}

/// Sends SIGTERM to `child`, a process this test started (by its own id).
pub fn sigterm(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// Stops a child process of this test with SIGTERM and waits for it.
pub fn terminate(mut child: Child) -> ExitStatus {
    sigterm(&child);
    child.wait().unwrap()
}

/// A `pushbot run` process against the demo's sandbox (its settings in
/// `dir/pushbot.toml`, written by `Demo::start`), serving the web view on a
/// free loopback port.
pub struct RunningBot {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The settings file it runs with (the demo's, plus rules and web).
    pub config: PathBuf,
    /// Its stderr (the log).
    pub log: PathBuf,
    /// Its stdout.
    pub out: PathBuf,
}

/// Starts `pushbot run` for the demo in `dir`, with `env` set (e.g.
/// `RUST_LOG`; the default here is `info`, which the waits below need),
/// and waits until its first cycle has fed the web view. The web view
/// listens on port 0: the bot binds it and the address is read from its
/// `web server listening` log line, so no port is picked, let go and
/// raced for. The waits poll the log and `/metrics`, with a hang guard
/// ([`HANG_GUARD`]), not a timed assertion.
pub async fn start_run(dir: &Path, env: &[(&str, &str)]) -> RunningBot {
    let rules = write_shipped_rules(dir);
    let demo_settings = std::fs::read_to_string(dir.join("pushbot.toml")).unwrap();
    let config = dir.join("run.toml");
    std::fs::write(
        &config,
        format!(
            "{demo_settings}\n[rules]\ndir = \"{}\"\n\n[web]\nlisten = \"127.0.0.1:0\"\n",
            rules.display()
        ),
    )
    .unwrap();
    let log = dir.join("run.log");
    let out = dir.join("run.out");
    let child = Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut bot = RunningBot {
        child,
        base: String::new(),
        config,
        log,
        out,
    };
    let started = std::time::Instant::now();
    bot.base = loop {
        let text = std::fs::read_to_string(&bot.log).unwrap_or_default();
        if let Some(addr) = listening_addr(&text) {
            break format!("http://{addr}");
        }
        if bot.child.try_wait().unwrap().is_some() || started.elapsed() > HANG_GUARD {
            give_up(bot, "never said where it listens");
        }
        tokio::time::sleep(POLL).await;
    };
    let client = reqwest::Client::new();
    loop {
        if let Ok(answer) = client.get(format!("{}/metrics", bot.base)).send().await {
            if !answer
                .text()
                .await
                .unwrap()
                .contains("pushbot_cycles_total 0")
            {
                return bot;
            }
        }
        if bot.child.try_wait().unwrap().is_some() || started.elapsed() > HANG_GUARD {
            give_up(bot, "never served a cycle");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Stops `bot` and fails with its log.
fn give_up(bot: RunningBot, what: &str) -> ! {
    let status = terminate(bot.child);
    panic!(
        "pushbot run {what} ({status}); log:\n{}",
        std::fs::read_to_string(&bot.log).unwrap_or_default()
    );
}

/// How long the waits above give up after: a guard against a hang.
pub const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(300);

/// How often they look.
const POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// The address in the bot's `web server listening addr=127.0.0.1:PORT`
/// log line (human format), if it is there yet.
fn listening_addr(log: &str) -> Option<&str> {
    log.lines()
        .filter(|line| line.contains("web server listening"))
        .find_map(|line| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
        })
}
