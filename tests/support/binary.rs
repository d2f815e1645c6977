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
/// `RUST_LOG`), and waits until its first cycle has fed the web view (a
/// guard of one minute against a hang, not a timed assertion).
pub async fn start_run(dir: &Path, env: &[(&str, &str)]) -> RunningBot {
    let rules = write_shipped_rules(dir);
    // A free port: bind 0, note it, let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let demo_settings = std::fs::read_to_string(dir.join("pushbot.toml")).unwrap();
    let config = dir.join("run.toml");
    std::fs::write(
        &config,
        format!(
            "{demo_settings}\n[rules]\ndir = \"{}\"\n\n[web]\nlisten = \"127.0.0.1:{port}\"\n",
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
        .envs(env.iter().copied())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let bot = RunningBot {
        child,
        base: format!("http://127.0.0.1:{port}"),
        config,
        log,
        out,
    };
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
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
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let status = terminate(bot.child);
            panic!(
                "pushbot run never served a cycle ({status}); log:\n{}",
                std::fs::read_to_string(&bot.log).unwrap_or_default()
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
