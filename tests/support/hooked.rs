//! The bot with webhooks on against the demo's sandbox, as `pushbot run`
//! wires it: the daemon loop (`Poller::run`) on a task, polling every 10
//! minutes, the webhook endpoint on a loopback port, and the sandbox
//! delivering its events there. Shared by `tests/webhook_e2e.rs` and
//! `benches/webhook.rs` (included by path: it uses nothing else of
//! `tests/support`).

use std::sync::Arc;
use std::time::Duration;

use pushbot::bot;
use pushbot::config::Settings;
use pushbot::demo::{self, SHIPPED_RULES};
use pushbot::execute::ExecuteOptions;
use pushbot::metrics::Metrics;
use pushbot::poll::{PollerOptions, Trigger};
use pushbot::rules::RuleSet;
use pushbot::sandbox::{Delivery, SandboxHandle, WebhookTarget};
use pushbot::webhook::endpoint::{self, Endpoint};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The shared secret of every test.
pub const SECRET: &str = "webhook-test-secret-0123456789";
/// The header it travels in.
pub const HEADER: &str = "X-Pushbot-Secret";
/// The bot's account.
pub const BOT: &str = demo::BOT_LOGIN;
/// How long any wait may take before the test fails with what it saw (a
/// guard against a hang, not a timing assertion).
pub const GUARD: Duration = Duration::from_secs(120);

/// The running bot, its sandbox and its endpoint.
pub struct Hooked {
    pub sandbox: SandboxHandle,
    pub trigger: Trigger,
    pub metrics: Metrics,
    /// `http://127.0.0.1:PORT/bugzilla/webhook`.
    pub url: String,
    polls: watch::Receiver<u64>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Hooked {
    /// Starts the sandbox (the demo's week, Monday 09:00), the bot with
    /// webhooks on, waits for its first poll, then lets the sandbox deliver
    /// events with `delivery`.
    pub async fn start(delivery: Delivery) -> Hooked {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = demo::start_sandbox(demo::DATA, demo::start_time().unwrap())
            .await
            .unwrap();
        let mut text = demo::settings_text(&sandbox.base_url(), &dir.path().join("state.sqlite"))
            // The flood test holds a read while it sends 999 events: no
            // timeout (and so no retry) may fire meanwhile.
            .replace("timeout_secs = 10", "timeout_secs = 600");
        text.push_str(&format!(
            "\n[webhook]\nenabled = true\nlisten = \"127.0.0.1:0\"\nsecret = \"{SECRET}\"\npoll_interval_secs = 600\n"
        ));
        let path = dir.path().join("pushbot.toml");
        std::fs::write(&path, text).unwrap();
        let settings = Settings::load_with_env(&path, Vec::new()).unwrap();
        let rules = RuleSet::from_sources(SHIPPED_RULES).unwrap();
        let mut options = PollerOptions::from_settings(&settings);
        assert_eq!(options.interval, Duration::from_secs(600));
        options.execute = ExecuteOptions {
            settle_delay: Duration::from_millis(50),
            ..options.execute
        };
        let mut poller = bot::start(&settings, rules, options).await.unwrap();
        let clock = sandbox.clock().clone();
        poller.set_clock(Arc::new(move || clock.now()));
        let trigger = Trigger::new();
        poller.set_trigger(trigger.clone());
        let metrics = poller.metrics();

        let clock = sandbox.clock().clone();
        let endpoint = Endpoint::new(
            &settings.webhook,
            &settings.bugzilla.bot_login,
            &settings.query,
            trigger.clone(),
            metrics.clone(),
            Arc::new(move || clock.now()),
        )
        .unwrap();
        let listener = endpoint::bind(&settings.webhook).await.unwrap();
        let url = format!(
            "http://{}{}",
            listener.local_addr().unwrap(),
            endpoint::PATH
        );
        let (stop, stopped) = watch::channel(false);
        let mut server_stop = stopped.clone();
        let server = tokio::spawn(async move {
            endpoint
                .serve(listener, async move {
                    let _ = server_stop.wait_for(|s| *s).await;
                })
                .await
                .unwrap();
        });
        let (polls_tx, polls) = watch::channel(0u64);
        let mut loop_stop = stopped;
        let daemon = tokio::spawn(async move {
            poller
                .run(
                    async move {
                        let _ = loop_stop.wait_for(|s| *s).await;
                    },
                    move |report| {
                        if report.triggered.is_none() {
                            polls_tx.send_modify(|n| *n += 1);
                        }
                    },
                )
                .await;
        });
        let hooked = Hooked {
            sandbox,
            trigger,
            metrics,
            url,
            polls,
            stop,
            tasks: vec![server, daemon],
            _dir: dir,
        };
        hooked.wait_polls(1).await;
        hooked.sandbox.set_webhook(Some(WebhookTarget {
            url: hooked.url.clone(),
            header: Some((HEADER.to_string(), SECRET.to_string())),
            delivery,
        }));
        hooked
    }

    /// Poll cycles finished.
    pub fn polls(&self) -> u64 {
        *self.polls.borrow()
    }

    /// Waits until `n` poll cycles have finished.
    pub async fn wait_polls(&self, n: u64) {
        let mut polls = self.polls.clone();
        guard("poll cycles", polls.wait_for(|done| *done >= n))
            .await
            .unwrap();
    }

    /// Asks the loop for a poll cycle now and waits for it.
    pub async fn poll_now(&self) {
        let n = self.polls() + 1;
        self.trigger.request_poll();
        self.wait_polls(n).await;
    }

    /// `login` writes `text` on `bug` now (the sandbox's clock); the
    /// comment's id.
    pub fn say(&self, bug: u64, login: &str, text: &str) -> u64 {
        self.sandbox.add_comment(bug, login, text).unwrap()
    }

    /// The bot's replies to comment `id` on `bug`.
    pub fn replies(&self, bug: u64, id: u64) -> usize {
        let marker = format!("[pushbot command c{id}]");
        self.sandbox
            .comments(bug)
            .iter()
            .filter(|c| c.creator == BOT && c.text.lines().any(|l| l.trim() == marker))
            .count()
    }

    /// Waits until comment `id` on `bug` has a reply (checked after every
    /// request the sandbox logs).
    pub async fn wait_answered(&self, bug: u64, id: u64) {
        guard(&format!("a reply to comment {id} on bug {bug}"), async {
            loop {
                // The count first: a reply logged after it wakes the wait.
                let seen = self.sandbox.request_log().len();
                if self.replies(bug, id) > 0 {
                    break;
                }
                self.sandbox.wait_for_requests(|log| log.len() > seen).await;
            }
        })
        .await;
    }

    /// Stops the loop and the endpoint.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.await.unwrap();
        }
        self.sandbox.set_webhook(None);
        self.sandbox.shutdown().await;
    }
}

/// Runs `work`, failing the test with `what` if it has not completed
/// within [`GUARD`].
pub async fn guard<T>(what: &str, work: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, work).await {
        Ok(done) => done,
        Err(_) => panic!("waited {GUARD:?} for {what}"),
    }
}
