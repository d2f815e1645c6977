//! Two replicas on one PostgreSQL: failover and partition (issue 16,
//! docs/ha.md). Ignored by the README's `cargo test`: they need Debian's
//! PostgreSQL 15 (`/usr/lib/postgresql/15/bin`), and the partition test
//! root for `ip netns`. `.ci/run` installs PostgreSQL and runs them with
//! `cargo test --test failover -- --ignored`.
//!
//! The bots are the real `pushbot run` binary; the sandbox runs in this
//! process and holds writes (`FaultKind::LateWrite`, `Landing::WhenLanded`)
//! so that a kill or a cut lands while a write is in flight by
//! construction, as in `tests/crash.rs`. Waits are for log lines and held
//! writes, each with a hang guard; the bounds checked are lower bounds the
//! bots keep by construction (read from their own log lines' times).

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pushbot::demo::{self, BOT_LOGIN};
use pushbot::sandbox::SandboxClock;
use pushbot::sandbox::{FaultPlan, Sandbox, SandboxData, SandboxHandle, SandboxOptions};

mod support;
use support::ledger::{counted, first_cycle, held_writes};
use support::output::{logged_addr, times_of, Lines, HANG_GUARD};
use support::pg::Postgres;
use support::prometheus::{parse_prometheus, value};

const NOW: &str = "2026-11-30 09:00";

fn now() -> DateTime<Utc> {
    pushbot::clock::parse_now(NOW, chrono_tz::America::Los_Angeles).unwrap()
}

/// The lease timing of these tests: stop bound 2 s (confirm 1 + one
/// request at 6,000/min), writes time out after 3 s, so the derived grace
/// is 6 s; the server notices a cut-off session within max(3, 1 + 2×1) s.
const LEASE_ENV: &[(&str, &str)] = &[
    ("PUSHBOT__POLL__INTERVAL_SECS", "1"),
    ("PUSHBOT__BUGZILLA__TIMEOUT_SECS", "3"),
    ("PUSHBOT__BUGZILLA__RATE_LIMIT_PER_MINUTE", "6000"),
    ("PUSHBOT__LEASE__CONFIRM_TIMEOUT_SECS", "1"),
    ("PUSHBOT__LEASE__RETRY_SECS", "1"),
    ("PUSHBOT__LEASE__KEEPALIVES_IDLE_SECS", "1"),
    ("PUSHBOT__LEASE__KEEPALIVES_INTERVAL_SECS", "1"),
    ("PUSHBOT__LEASE__KEEPALIVES_COUNT", "2"),
    ("PUSHBOT__LEASE__TCP_USER_TIMEOUT_SECS", "3"),
    ("PUSHBOT__LEASE__IDLE_SESSION_TIMEOUT_SECS", "10"),
    ("PUSHBOT__WEB__ENABLED", "false"),
];
/// The bounds of [`LEASE_ENV`], in seconds.
const STOP_SECS: i64 = 2;
const GRACE_SECS: i64 = 6;

async fn sandbox(addr: [u8; 4]) -> SandboxHandle {
    let data = SandboxData::from_toml_str(demo::DATA).unwrap();
    Sandbox::start(
        data,
        SandboxOptions {
            addr: (addr, 0).into(),
            clock: SandboxClock::fixed(now()),
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap()
}

/// A settings file for a replica reaching the sandbox at `base_url`.
fn settings_file(base_url: &str, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let text = demo::settings_text(base_url, &dir.join(format!("{name}.sqlite")));
    std::fs::write(&path, text).unwrap();
    path
}

/// `pushbot run` for a replica, JSON logs on stderr; `netns` runs it in a
/// network namespace.
fn replica(config: &Path, pg_url: &str, netns: Option<&str>) -> tokio::process::Child {
    replica_with(config, pg_url, netns, &[])
}

/// [`replica`] with more settings from the environment (after
/// [`LEASE_ENV`], so they win). With `PUSHBOT__STATE__HOST` among them,
/// the database is given in parts and `pg_url` is not used.
fn replica_with(
    config: &Path,
    pg_url: &str,
    netns: Option<&str>,
    env: &[(&str, String)],
) -> tokio::process::Child {
    let bin = env!("CARGO_BIN_EXE_pushbot");
    let mut cmd = match netns {
        Some(ns) => {
            let mut cmd = tokio::process::Command::new("ip");
            cmd.args(["netns", "exec", ns, bin]);
            cmd
        }
        None => tokio::process::Command::new(bin),
    };
    if !env.iter().any(|(k, _)| *k == "PUSHBOT__STATE__HOST") {
        cmd.env("PUSHBOT__STATE__URL", pg_url);
    }
    cmd.arg("--config")
        .arg(config)
        .args(["--log-format", "json", "run", "--now", NOW])
        .env("PUSHBOT__STATE__BACKEND", "postgres")
        .env("RUST_LOG", "info")
        .envs(LEASE_ENV.iter().copied())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd.spawn().unwrap()
}

/// Waits (hang guard) until `done` holds, checked every 100 ms; panics
/// with `what` and the replicas' logs otherwise.
async fn until(what: &str, logs: &[&Lines], mut done: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(HANG_GUARD, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    if waited.is_err() {
        let texts: Vec<String> = logs.iter().map(|l| l.text()).collect();
        panic!("{what} (hang guard):\n{}", texts.join("\n----\n"));
    }
}

/// Waits until the sandbox holds every expected write.
async fn until_all_written(sandbox: &SandboxHandle, logs: &[&Lines]) {
    until("the writes never completed", logs, || {
        counted(sandbox) == first_cycle()
    })
    .await;
}

const WRITING: &str = "lease confirmed; writing";
const TOOK: &str = "took the lease";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL 15 from Debian (.ci/run installs it): cargo test --test failover -- --ignored"]
async fn the_store_keeps_the_same_rows_on_postgres() {
    use pushbot::store::{ActionRecord, CycleRecord, Outcome, Store};
    let pg = Postgres::start("127.0.0.1");
    let dir = tempfile::tempdir().unwrap();
    let config = settings_file("http://127.0.0.1:1", dir.path(), "store");
    let mut settings = pushbot::config::Settings::load(&config).unwrap();
    settings.state.backend = pushbot::config::StateBackend::Postgres;
    settings.state.url = Some(pg.url("127.0.0.1"));
    let store = tokio::task::spawn_blocking(move || Store::from_settings(&settings).unwrap())
        .await
        .unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        pushbot::store::SCHEMA_VERSION
    );
    assert_eq!(
        pg.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")
            .trim(),
        "actions,cycles,meta,pushbot_schema"
    );
    assert_eq!(store.watermark().unwrap(), None);
    store.set_watermark(now()).unwrap();
    store
        .set_watermark(now() + chrono::Duration::minutes(5))
        .unwrap();
    assert_eq!(
        store.watermark().unwrap(),
        Some(now() + chrono::Duration::minutes(5))
    );
    let key = pushbot::plan::ActionKey::new(pushbot::bugzilla::BugId(7), "signoff", "2026-W49");
    let dry = ActionRecord {
        key: key.clone(),
        comment_id: None,
        at: now(),
        dry_run: true,
        outcome: Outcome::DryRun,
    };
    store.record_action(&dry).unwrap();
    assert!(!store.is_done(&key).unwrap());
    let real = ActionRecord {
        comment_id: Some(pushbot::bugzilla::CommentId(1234)),
        dry_run: false,
        outcome: Outcome::Posted,
        ..dry.clone()
    };
    store.record_action(&real).unwrap();
    assert!(store.is_done(&key).unwrap());
    assert_eq!(
        store.actions_for_bug(pushbot::bugzilla::BugId(7)).unwrap(),
        vec![dry, real.clone()]
    );
    assert_eq!(store.recent_actions(1).unwrap(), vec![real]);
    let cycle = CycleRecord {
        started_at: now(),
        duration_ms: 12,
        requests: 3,
        planned: 4,
        taken: 1,
        duplicates: 3,
        errors: 0,
        alert: Some("cap".to_string()),
        watermark: Some(now()),
    };
    store.record_cycle(&cycle).unwrap();
    assert_eq!(store.recent_cycles(5).unwrap(), vec![cycle]);
    // A second opening (another replica) migrates nothing and sees the rows.
    drop(store);
    let mut settings = pushbot::config::Settings::load(&config).unwrap();
    settings.state.backend = pushbot::config::StateBackend::Postgres;
    settings.state.url = Some(pg.url("127.0.0.1"));
    let again = tokio::task::spawn_blocking(move || Store::from_settings(&settings).unwrap())
        .await
        .unwrap();
    assert!(again.is_done(&key).unwrap());
    // Its watermark is its own: it polls on its own.
    assert_eq!(
        pg.psql("SELECT count(*) FROM meta WHERE key LIKE 'watermark %'")
            .trim(),
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL 15 from Debian (.ci/run installs it): cargo test --test failover -- --ignored"]
async fn the_writer_killed_mid_write_the_standby_takes_over_and_every_comment_exists_once() {
    let pg = Postgres::start("127.0.0.1");
    let sandbox = sandbox([127, 0, 0, 1]).await;
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url("127.0.0.1");
    sandbox.set_faults(FaultPlan::with_rules(held_writes()));

    let mut first = replica(
        &settings_file(&sandbox.base_url(), dir.path(), "a"),
        &url,
        None,
    );
    let first_log = Lines::read(first.stderr.take().unwrap());
    first_log.wait_for(TOOK).await;
    let mut second = replica(
        &settings_file(&sandbox.base_url(), dir.path(), "b"),
        &url,
        None,
    );
    let second_log = Lines::read(second.stderr.take().unwrap());
    second_log.wait_for("cycle").await;

    // The writer's first write lands; it is killed while the sandbox holds
    // its second.
    sandbox.wait_late_writes_accepted(1).await;
    sandbox.land_late_writes().await;
    sandbox.wait_late_writes_accepted(2).await;
    first.start_kill().unwrap();
    let status = first.wait().await.unwrap();
    assert!(!status.success());
    // The dead writer's write lands late, as Bugzilla may apply it.
    sandbox.set_faults(FaultPlan::none());
    sandbox.land_late_writes().await;

    second_log.wait_for(TOOK).await;
    until_all_written(&sandbox, &[&first_log, &second_log]).await;
    assert_eq!(counted(&sandbox), first_cycle());
    let log = second_log.text();
    assert!(!times_of(&log, WRITING).is_empty(), "{log}");
    assert!(times_of(&first_log.text(), WRITING).len() >= 2);
    second.start_kill().unwrap();
    let _ = second.wait().await;
    sandbox.shutdown().await;
}

/// A network namespace and two veth links to it, deleted when dropped
/// (also when the test fails).
struct Netns {
    name: String,
    links: Vec<String>,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Netns {
    /// `pbNNNN` with link `a` (10.231.N.0/30, to the sandbox) and link `b`
    /// (10.232.N.0/30, to PostgreSQL); the root side is `.1`, the
    /// namespace's `.2`.
    fn create() -> Netns {
        let n = std::process::id() % 250;
        let name = format!("pb{}", std::process::id());
        let guard = Netns {
            name: name.clone(),
            links: vec![format!("{name}a0"), format!("{name}b0")],
        };
        ip(&["netns", "add", &name]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        for (link, net) in [("a", 231), ("b", 232)] {
            let (root, inner) = (format!("{name}{link}0"), format!("{name}{link}1"));
            ip(&["link", "add", &root, "type", "veth", "peer", "name", &inner]);
            ip(&["link", "set", &inner, "netns", &name]);
            ip(&["addr", "add", &format!("10.{net}.{n}.1/30"), "dev", &root]);
            ip(&["link", "set", &root, "up"]);
            ip(&[
                "-n",
                &name,
                "addr",
                "add",
                &format!("10.{net}.{n}.2/30"),
                "dev",
                &inner,
            ]);
            ip(&["-n", &name, "link", "set", &inner, "up"]);
        }
        guard
    }

    fn root_side(&self, link: &str) -> String {
        let n = std::process::id() % 250;
        let net = if link == "a" { 231 } else { 232 };
        format!("10.{net}.{n}.1")
    }
}

/// Listens on 127.0.0.1:`port` inside namespace `ns` and forwards each
/// connection to `target` (over the namespace's link): the writer reaches
/// the sandbox at a loopback address, the only kind plain http may use.
fn forward_in_netns(ns: &str, port: u16, target: std::net::SocketAddr) {
    use std::os::fd::AsRawFd;
    let path = format!("/var/run/netns/{ns}");
    let (ready_tx, ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: setns on this thread only, with a namespace file we opened.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns into {path}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .unwrap();
            ready_tx.send(()).unwrap();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
            }
        });
    });
    ready.recv().unwrap();
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        for link in &self.links {
            let _ = Command::new("ip")
                .args(["link", "del", link])
                .stderr(Stdio::null())
                .status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL 15 and root for ip netns (.ci/run): cargo test --test failover -- --ignored"]
async fn a_writer_cut_off_from_postgres_stops_before_the_standby_starts() {
    let netns = Netns::create();
    let (to_sandbox, to_pg) = (netns.root_side("a"), netns.root_side("b"));
    let pg = Postgres::start(&format!("127.0.0.1,{to_pg}"));
    let sandbox = sandbox([0, 0, 0, 0]).await;
    let port = sandbox.addr().port();
    let dir = tempfile::tempdir().unwrap();
    sandbox.set_faults(FaultPlan::with_rules(held_writes()));

    // The writer lives in the namespace: the sandbox over link a (through
    // a forwarder on the namespace's loopback), PostgreSQL over link b.
    forward_in_netns(
        &netns.name,
        port,
        format!("{to_sandbox}:{port}").parse().unwrap(),
    );
    let mut writer = replica(
        &settings_file(&format!("http://127.0.0.1:{port}"), dir.path(), "w"),
        &pg.url(&to_pg),
        Some(&netns.name),
    );
    let writer_log = Lines::read(writer.stderr.take().unwrap());
    writer_log.wait_for(TOOK).await;
    let mut standby = replica(
        &settings_file(&format!("http://127.0.0.1:{port}"), dir.path(), "s"),
        &pg.url("127.0.0.1"),
        None,
    );
    let standby_log = Lines::read(standby.stderr.take().unwrap());
    standby_log.wait_for("cycle").await;

    // While the sandbox holds the writer's first write, it loses
    // PostgreSQL (not the sandbox).
    sandbox.wait_late_writes_accepted(1).await;
    let cut = Utc::now();
    ip(&["link", "set", &netns.links[1], "down"]);
    sandbox.set_faults(FaultPlan::none());
    sandbox.land_late_writes().await;
    writer_log.wait_for("lost the lease").await;
    standby_log.wait_for(TOOK).await;
    until_all_written(&sandbox, &[&writer_log, &standby_log]).await;

    // No comment twice.
    assert_eq!(counted(&sandbox), first_cycle());
    // The old writer started no write after its stop bound (it confirmed
    // the held one before the cut, and none after).
    let writer_text = writer_log.text();
    let stop = cut + chrono::Duration::seconds(STOP_SECS);
    let late: Vec<_> = times_of(&writer_text, WRITING)
        .into_iter()
        .filter(|t| *t > stop)
        .collect();
    assert!(
        late.is_empty(),
        "writes after the stop bound: {late:?}\n{writer_text}"
    );
    // The standby wrote only after the bound that must exceed the stop
    // bound plus a write in flight (the grace `G > S + W`, docs/ha.md;
    // the lock is freed after the cut, and the grace follows).
    let standby_text = standby_log.text();
    let firsts = times_of(&standby_text, WRITING);
    let first = firsts.first().copied().expect("the standby wrote");
    assert!(
        first >= cut + chrono::Duration::seconds(GRACE_SECS),
        "first write {first}, cut {cut}\n{standby_text}"
    );
    // Every write after the cut was the standby's.
    eprintln!(
        "cut {cut}; old writer lost the lease at {:?}; new writer took it at {:?}, first write {first}",
        times_of(&writer_text, "lost the lease"),
        times_of(&standby_text, TOOK)
    );
    writer.start_kill().unwrap();
    standby.start_kill().unwrap();
    let _ = writer.wait().await;
    let _ = standby.wait().await;
    sandbox.shutdown().await;
    drop(pg);
    drop(netns);
}

/// The webhook secret of [`webhooks_reach_both_replicas_and_only_the_writer_acts`].
const SECRET: &str = "replica-webhook-secret-0123456789";
const HEADER: &str = "X-Pushbot-Secret";

/// One webhook registered per replica, as docs/ha.md says to: a loopback
/// server that POSTs every delivery of the sandbox to each URL in `to`
/// (one that is down is skipped) and answers 200.
async fn fan_out(to: Vec<String>) -> String {
    use axum::http::HeaderMap;
    let client = reqwest::Client::new();
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let client = client.clone();
            let to = to.clone();
            async move {
                let secret = headers
                    .get(HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                for url in &to {
                    let _ = client
                        .post(url)
                        .header(HEADER, &secret)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/")
}

/// The value of the sample `name` with `labels` at `http://{web}/metrics`
/// (read by the tests' strict parser).
async fn metric(web: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let text = reqwest::get(format!("http://{web}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let samples = parse_prometheus(&text);
    value(&samples, name, labels).unwrap_or_else(|| panic!("no `{name}` {labels:?} in:\n{text}"))
}

/// `/healthz`'s JSON at `web`.
async fn healthz(web: &str) -> serde_json::Value {
    reqwest::get(format!("http://{web}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits (hang guard) until comment `id` on `bug` has a reply; panics with
/// both logs otherwise. The number of replies.
async fn until_answered(sandbox: &SandboxHandle, bug: u64, id: u64, logs: &[&Lines]) -> usize {
    let marker = format!("[pushbot command c{id}]");
    let replies = || {
        sandbox
            .comments(bug)
            .iter()
            .filter(|c| c.creator == BOT_LOGIN && c.text.lines().any(|l| l.trim() == marker))
            .count()
    };
    let what = format!("no reply to comment {id} on bug {bug}");
    until(&what, logs, || replies() > 0).await;
    replies()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL 15 from Debian (.ci/run installs it): cargo test --test failover -- --ignored"]
async fn webhooks_reach_both_replicas_and_only_the_writer_acts() {
    let pg = Postgres::start("127.0.0.1");
    let sandbox = sandbox([127, 0, 0, 1]).await;
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url("127.0.0.1");
    // Webhooks on, polls every 10 minutes: only an event (or a new
    // writer's full poll) can answer a command within this test.
    let env = [
        ("PUSHBOT__WEBHOOK__ENABLED", "true".to_string()),
        ("PUSHBOT__WEBHOOK__LISTEN", "127.0.0.1:0".to_string()),
        ("PUSHBOT__WEBHOOK__SECRET", SECRET.to_string()),
        ("PUSHBOT__WEBHOOK__POLL_INTERVAL_SECS", "600".to_string()),
        ("PUSHBOT__WEB__ENABLED", "true".to_string()),
        ("PUSHBOT__WEB__LISTEN", "127.0.0.1:0".to_string()),
    ];

    let mut first = replica_with(
        &settings_file(&sandbox.base_url(), dir.path(), "a"),
        &url,
        None,
        &env,
    );
    let first_log = Lines::read(first.stderr.take().unwrap());
    first_log.wait_for(TOOK).await;
    // The second replica is given the database in parts, as a container
    // platform hands them out.
    let parts = [
        ("PUSHBOT__STATE__HOST", "127.0.0.1".to_string()),
        ("PUSHBOT__STATE__PORT", pg.port.to_string()),
        ("PUSHBOT__STATE__USER", "postgres".to_string()),
        ("PUSHBOT__STATE__DBNAME", "postgres".to_string()),
    ];
    let mut second = replica_with(
        &settings_file(&sandbox.base_url(), dir.path(), "b"),
        &url,
        None,
        &[&env[..], &parts[..]].concat(),
    );
    let second_log = Lines::read(second.stderr.take().unwrap());
    second_log.wait_for("cycle").await;
    until_all_written(&sandbox, &[&first_log, &second_log]).await;

    let hooks: Vec<String> = [&first_log, &second_log]
        .iter()
        .map(|log| {
            format!(
                "http://{}/bugzilla/webhook",
                logged_addr(&log.text(), "webhook endpoint listening")
            )
        })
        .collect();
    let webs: Vec<String> = [&first_log, &second_log]
        .iter()
        .map(|log| logged_addr(&log.text(), "web server listening"))
        .collect();
    sandbox.set_webhook(Some(pushbot::sandbox::WebhookTarget {
        url: fan_out(hooks).await,
        header: Some((HEADER.to_string(), SECRET.to_string())),
        delivery: pushbot::sandbox::Delivery::Prompt,
    }));

    // Both replicas say who they are.
    assert_eq!(healthz(&webs[0]).await["role"], "writer");
    assert_eq!(healthz(&webs[1]).await["role"], "standby");
    assert_eq!(
        metric(&webs[0], "pushbot_lease_role", &[("role", "writer")]).await,
        1.0
    );
    assert_eq!(
        metric(&webs[1], "pushbot_lease_role", &[("role", "standby")]).await,
        1.0
    );
    assert!(metric(&webs[0], "pushbot_lease_age_seconds", &[]).await >= 0.0);

    // A command: both replicas take the event, the writer alone answers.
    let asked = sandbox
        .add_comment(801, "amo-dev@example.test", "@pushbot check")
        .unwrap();
    assert_eq!(
        until_answered(&sandbox, 801, asked, &[&first_log, &second_log]).await,
        1
    );
    sandbox.wait_webhooks_idle().await;
    for web in &webs {
        let accepted = metric(
            web,
            "pushbot_webhook_events_total",
            &[("outcome", "accepted")],
        );
        assert!(accepted.await >= 1.0, "{web}");
    }
    assert!(
        times_of(&second_log.text(), WRITING).is_empty(),
        "the standby wrote:\n{}",
        second_log.text()
    );

    // The writer dies; the standby takes over, polls in full after the
    // grace (nothing left to write), and then answers the next command on
    // its event, once.
    first.start_kill().unwrap();
    let _ = first.wait().await;
    second_log.wait_for(TOOK).await;
    let took = times_of(&second_log.text(), TOOK)[0];
    until("no full poll after the takeover", &[&second_log], || {
        times_of(&second_log.text(), "cycle done")
            .iter()
            .any(|t| *t > took)
    })
    .await;
    let asked_again = sandbox
        .add_comment(802, "amo-dev@example.test", "@pushbot check")
        .unwrap();
    assert_eq!(
        until_answered(&sandbox, 802, asked_again, &[&first_log, &second_log]).await,
        1
    );
    sandbox.wait_webhooks_idle().await;
    assert_eq!(healthz(&webs[1]).await["role"], "writer");
    // Nothing was written twice: the first week's writes and one reply to
    // each command.
    let mut want = first_cycle();
    for (bug, id) in [(801, asked), (802, asked_again)] {
        want.get_mut(&bug)
            .unwrap()
            .insert(format!("[pushbot command c{id}]"), 1);
    }
    assert_eq!(counted(&sandbox), want);
    second.start_kill().unwrap();
    let _ = second.wait().await;
    sandbox.set_webhook(None);
    sandbox.shutdown().await;
}
