//! A child process's output read as it comes, so that a test waits for a
//! line (the bot's `cycle done`, `SIGTERM: shutting down`) instead of
//! sleeping for a time that a loaded machine may not keep.
//!
//! A wait has a hang guard ([`HANG_GUARD`]), so that a bot that never
//! prints the line fails the test with everything it printed instead of
//! hanging it. The guard is not a timed assertion: nothing is expected to
//! take anywhere near that long.

use std::time::Duration;

use chrono::{DateTime, Utc};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::watch;

/// How long a wait for a line gives up after: a guard against a hang.
pub const HANG_GUARD: Duration = Duration::from_secs(300);

/// What was read so far, and whether the stream has ended.
#[derive(Debug, Clone, Default)]
struct Read {
    text: String,
    ended: bool,
}

/// One output stream (stdout or stderr) of a child, read by a task of its
/// own line by line.
#[derive(Debug)]
pub struct Lines {
    read: watch::Receiver<Read>,
}

impl Lines {
    /// Starts reading `stream` (e.g. `child.stderr.take().unwrap()`).
    pub fn read(stream: impl AsyncRead + Unpin + Send + 'static) -> Lines {
        let (tx, read) = watch::channel(Read::default());
        tokio::spawn(async move {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => tx.send_modify(|r| r.text.push_str(&line)),
                }
            }
            tx.send_modify(|r| r.ended = true);
        });
        Lines { read }
    }

    /// Everything read so far.
    pub fn text(&self) -> String {
        self.read.borrow().text.clone()
    }

    /// Waits until a line holding `needle` has been read. Panics with the
    /// text so far if the stream ends first (the process died) or the
    /// hang guard runs out.
    pub async fn wait_for(&self, needle: &str) {
        let mut read = self.read.clone();
        let found = tokio::time::timeout(HANG_GUARD, async {
            read.wait_for(|r| r.ended || r.text.contains(needle))
                .await
                .is_ok_and(|r| r.text.contains(needle))
        })
        .await;
        match found {
            Ok(true) => {}
            Ok(false) => panic!("the output ended without `{needle}`:\n{}", self.text()),
            Err(_) => panic!(
                "no `{needle}` after {HANG_GUARD:?} (hang guard):\n{}",
                self.text()
            ),
        }
    }

    /// Waits until the stream has ended (the process exited and closed
    /// it), then returns everything read.
    pub async fn finish(self) -> String {
        let mut read = self.read.clone();
        let ended = tokio::time::timeout(HANG_GUARD, async {
            read.wait_for(|r| r.ended).await.is_ok()
        })
        .await;
        let text = self.text();
        assert!(
            ended.unwrap_or(false),
            "the output never ended (hang guard):\n{text}"
        );
        text
    }
}

/// The times of the JSON log lines whose message holds `needle`.
pub fn times_of(log: &str, needle: &str) -> Vec<DateTime<Utc>> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|v| {
            v["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(needle))
        })
        .filter_map(|v| v["timestamp"].as_str().map(str::to_string))
        .filter_map(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
        .collect()
}

/// The `addr` field of the first JSON log line whose message holds
/// `needle` (e.g. `webhook endpoint listening` with `listen = …:0`).
pub fn logged_addr(log: &str, needle: &str) -> String {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|v| {
            v["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(needle))
        })
        .and_then(|v| v["fields"]["addr"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no `{needle}` with an addr in:\n{log}"))
}
