//! Webhooks as the trigger, polling as the safety net, end to end: the
//! demo's sandbox delivers BMO-shaped events to the bot's endpoint while
//! the daemon loop polls every 10 minutes (`support::hooked`). A command
//! is answered without a poll; with delivery off the next poll answers
//! it; with late, duplicated and reordered delivery every command is
//! answered exactly once; a flood of 1,000 events for one bug costs two
//! re-reads; a redelivered event does nothing.
//!
//! Waits are for events (a reply in the sandbox, a run finished, a poll
//! finished), each under a generous guard; nothing is timed.

#[allow(dead_code, reason = "the benchmark uses the rest of it")]
#[path = "support/hooked.rs"]
mod hooked;

use hooked::{guard, Hooked, HEADER, SECRET};
use pushbot::sandbox::{Delivery, FaultKind, FaultPlan, FaultRule, Landing, LateAnswer};
use pushbot::webhook::Outcome;
use serde_json::Value;

const AMO_DEV: &str = "amo-dev@example.test";
const SUMO_DEV: &str = "sumo-dev@example.test";
const SEARCH: &str = "GET /rest/bug";

/// A local time of the demo's week.
fn t(local: &str) -> chrono::DateTime<chrono::Utc> {
    pushbot::clock::parse_now(local, "America/Los_Angeles".parse().unwrap()).unwrap()
}

#[tokio::test]
async fn a_command_is_answered_on_its_event_without_a_poll() {
    let bot = Hooked::start(Delivery::Prompt).await;
    assert_eq!(bot.polls(), 1);
    bot.sandbox.clock().set(t("2026-11-30 09:10"));
    let id = bot.say(801, AMO_DEV, "@pushbot check");
    bot.wait_answered(801, id).await;
    assert_eq!(bot.replies(801, id), 1);
    assert_eq!(bot.polls(), 1, "no poll ran: the event did it");
    guard("the run", bot.trigger.wait_runs(1)).await;
    assert!(bot.metrics.webhook_runs() >= 1);
    assert!(bot.metrics.webhook_events(Outcome::Accepted) >= 1);
    // The bot's own reply came back as an event too, and needed no run.
    guard("the deliveries", bot.sandbox.wait_webhooks_idle()).await;
    assert!(bot.metrics.webhook_events(Outcome::IgnoredOwn) >= 1);
    assert!(bot.sandbox.webhook_answers().iter().all(|s| *s == 200));
    assert_eq!(bot.metrics.unannounced_changes(), 0);
    // The run did not plan again the first poll's writes, which memory
    // had not read back yet.
    assert_eq!(bot.metrics.duplicates(), 0);
    bot.stop().await;
}

#[tokio::test]
async fn with_delivery_off_the_next_poll_answers_and_counts_the_miss() {
    let bot = Hooked::start(Delivery::Off).await;
    bot.sandbox.clock().set(t("2026-11-30 09:10"));
    let id = bot.say(801, AMO_DEV, "@pushbot check");
    guard("the deliveries", bot.sandbox.wait_webhooks_idle()).await;
    assert_eq!(bot.replies(801, id), 0, "no event, no run");
    bot.sandbox.clock().set(t("2026-11-30 09:20"));
    bot.poll_now().await;
    assert_eq!(bot.replies(801, id), 1, "the poll answered it");
    assert_eq!(bot.metrics.webhook_runs(), 0);
    assert_eq!(
        bot.metrics.unannounced_changes(),
        1,
        "the poll found a change no event announced"
    );
    // The bot's own reply is not counted as a miss by the next poll.
    bot.sandbox.clock().set(t("2026-11-30 09:30"));
    bot.poll_now().await;
    assert_eq!(bot.metrics.unannounced_changes(), 1);
    assert_eq!(bot.replies(801, id), 1);
    bot.stop().await;
}

/// Commands on four bugs, two on one of them, delivered `delivery`: each
/// answered exactly once, also after every delivery and a poll.
async fn every_command_answered_once(delivery: Delivery) {
    let bot = Hooked::start(delivery).await;
    bot.sandbox.clock().set(t("2026-11-30 09:10"));
    let asked = [
        (801, bot.say(801, AMO_DEV, "@pushbot check")),
        (802, bot.say(802, SUMO_DEV, "@pushbot check")),
        (801, bot.say(801, AMO_DEV, "@pushbot help")),
        (803, bot.say(803, AMO_DEV, "@pushbot help")),
        (804, bot.say(804, SUMO_DEV, "@pushbot check")),
    ];
    for (bug, id) in asked {
        bot.wait_answered(bug, id).await;
    }
    assert_eq!(bot.polls(), 1, "{delivery:?}: the events did it");
    guard("the deliveries", bot.sandbox.wait_webhooks_idle()).await;
    bot.sandbox.clock().set(t("2026-11-30 09:20"));
    bot.poll_now().await;
    if bot.trigger.pending() > 0 {
        let runs = bot.trigger.runs();
        guard("the last run", bot.trigger.wait_runs(runs + 1)).await;
    }
    for (bug, id) in asked {
        assert_eq!(
            bot.replies(bug, id),
            1,
            "{delivery:?}: comment {id} on {bug}"
        );
    }
    assert_eq!(bot.metrics.unannounced_changes(), 0, "{delivery:?}");
    // No run planned again what an earlier one (or the first poll) had
    // done before memory read it back.
    assert_eq!(bot.metrics.duplicates(), 0, "{delivery:?}");
    if delivery == Delivery::Twice {
        assert!(bot.metrics.webhook_events(Outcome::Duplicate) >= 5);
    }
    bot.stop().await;
}

#[tokio::test]
async fn late_delivery_answers_every_command_once() {
    every_command_answered_once(Delivery::Late(std::time::Duration::from_millis(300))).await;
}

#[tokio::test]
async fn duplicated_delivery_answers_every_command_once() {
    every_command_answered_once(Delivery::Twice).await;
}

#[tokio::test]
async fn reordered_delivery_answers_every_command_once() {
    every_command_answered_once(Delivery::OutOfOrder).await;
}

/// A delivery as BMO would send it for a new comment `comment` on `bug`.
fn comment_event(bug: u64, comment: u64, who: &str) -> Value {
    let mut event: Value =
        serde_json::from_str(include_str!("fixtures/bmo/webhook-new-comment.json")).unwrap();
    event["bug"]["id"] = bug.into();
    event["bug"]["product"] = "Websites".into();
    event["bug"]["component"] = "Push".into();
    event["bug"]["comment"]["id"] = comment.into();
    event["event"]["user"]["login"] = who.into();
    event
}

async fn post(client: &reqwest::Client, url: &str, event: &Value) -> String {
    let answer = client
        .post(url)
        .header(HEADER, SECRET)
        .json(event)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    body["outcome"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_flood_of_1000_events_for_one_bug_costs_two_reads() {
    let bot = Hooked::start(Delivery::Prompt).await;
    bot.sandbox.clock().set(t("2026-11-30 09:10"));
    // The first run's search is held at the sandbox until the flood is in:
    // one run in progress, by construction.
    bot.sandbox
        .set_faults(FaultPlan::with_rules(vec![FaultRule::next(
            1,
            SEARCH,
            FaultKind::LateWrite {
                land: Landing::WhenLanded,
                answer: LateAnswer::Hold,
            },
        )]));
    let searches = bot.sandbox.request_count(SEARCH);
    let id = bot.say(801, AMO_DEV, "@pushbot check");
    guard("the held search", bot.sandbox.wait_late_writes_accepted(1)).await;
    let client = reqwest::Client::new();
    for n in 0..999u64 {
        let outcome = post(&client, &bot.url, &comment_event(801, 900_000 + n, AMO_DEV)).await;
        assert_eq!(outcome, "accepted");
    }
    assert_eq!(bot.trigger.pending(), 1, "999 events, one bug queued");
    bot.sandbox.land_late_writes().await;
    guard("two runs", bot.trigger.wait_runs(2)).await;
    bot.wait_answered(801, id).await;
    assert_eq!(bot.trigger.pending(), 0);
    assert_eq!(
        bot.sandbox.request_count(SEARCH) - searches,
        2,
        "1,000 events: the run in progress and one queued"
    );
    assert_eq!(bot.metrics.webhook_events(Outcome::Accepted), 1000);
    assert_eq!(bot.replies(801, id), 1);
    bot.stop().await;
}

#[tokio::test]
async fn a_redelivered_event_does_no_extra_work() {
    let bot = Hooked::start(Delivery::Off).await;
    bot.sandbox.clock().set(t("2026-11-30 09:10"));
    let id = bot.say(801, AMO_DEV, "@pushbot check");
    let event = comment_event(801, id, AMO_DEV);
    let client = reqwest::Client::new();
    assert_eq!(post(&client, &bot.url, &event).await, "accepted");
    guard("the run", bot.trigger.wait_runs(1)).await;
    assert_eq!(bot.replies(801, id), 1);
    let requests = bot.sandbox.request_log().len();
    assert_eq!(post(&client, &bot.url, &event).await, "duplicate");
    assert_eq!(bot.trigger.pending(), 0, "nothing queued");
    // A poll later: still one run, and the copy cost no request.
    assert_eq!(bot.sandbox.request_log().len(), requests);
    bot.poll_now().await;
    assert_eq!(bot.trigger.runs(), 1);
    assert_eq!(bot.metrics.webhook_events(Outcome::Duplicate), 1);
    assert_eq!(bot.replies(801, id), 1);
    bot.stop().await;
}

#[tokio::test]
async fn an_event_for_a_bug_that_is_not_a_push_is_dropped_after_one_read() {
    let bot = Hooked::start(Delivery::Off).await;
    let client = reqwest::Client::new();
    // Another product in the payload: dropped without a read.
    let mut other = comment_event(4242, 1, AMO_DEV);
    other["bug"]["product"] = "Firefox".into();
    let requests = bot.sandbox.request_log().len();
    assert_eq!(post(&client, &bot.url, &other).await, "untracked");
    assert_eq!(bot.sandbox.request_log().len(), requests);
    // A private bug (just an id) that is no push bug: one search, dropped.
    let private: Value =
        serde_json::from_str(include_str!("fixtures/bmo/webhook-private-bug.json")).unwrap();
    let searches = bot.sandbox.request_count(SEARCH);
    assert_eq!(post(&client, &bot.url, &private).await, "accepted");
    guard("the run", bot.trigger.wait_runs(1)).await;
    assert_eq!(bot.sandbox.request_count(SEARCH) - searches, 1);
    assert_eq!(bot.metrics.webhook_untracked_after_read(), 1);
    bot.stop().await;
}
