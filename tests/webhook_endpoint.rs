//! `POST /bugzilla/webhook` on its own loopback port, without a Bugzilla:
//! the shared secret (missing or wrong: 401, logged without the body),
//! every authenticated delivery answered 200 (malformed JSON and unknown
//! event kinds too, each counted by outcome in `/metrics`), the bot's own
//! events and other products dropped, and `/healthz` showing the events
//! and the age of the last one.

mod support;

use std::sync::{Arc, RwLock};

use chrono::{DateTime, TimeZone, Utc};
use pushbot::bugzilla::{QuerySettings, Secret};
use pushbot::metrics::Metrics;
use pushbot::poll::Trigger;
use pushbot::web::{self, WebData, WebState};
use pushbot::webhook::endpoint::{self, Endpoint};
use pushbot::webhook::{Outcome, WebhookSettings};
use serde_json::Value;
use support::prometheus::{parse_prometheus, value};

const SECRET: &str = "the-shared-secret-4f9a2c71";
const BOT: &str = "pushbot@example.test";
const COMMENT: &str = include_str!("fixtures/bmo/webhook-new-comment.json");

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap()
}

struct Running {
    url: String,
    trigger: Trigger,
    metrics: Metrics,
    client: reqwest::Client,
}

async fn start(header: &str) -> Running {
    let settings = WebhookSettings {
        enabled: true,
        listen: "127.0.0.1:0".to_string(),
        header: header.to_string(),
        secret: Some(Secret::new(SECRET)),
        ..WebhookSettings::default()
    };
    settings.validate().unwrap();
    let query = QuerySettings {
        product: vec!["Firefox".to_string()],
        ..QuerySettings::default()
    };
    let trigger = Trigger::new();
    let metrics = Metrics::new();
    let endpoint = Endpoint::new(
        &settings,
        BOT,
        &query,
        trigger.clone(),
        metrics.clone(),
        Arc::new(at),
    )
    .unwrap();
    let listener = endpoint::bind(&settings).await.unwrap();
    let url = format!(
        "http://{}{}",
        listener.local_addr().unwrap(),
        endpoint::PATH
    );
    tokio::spawn(endpoint.serve(listener, std::future::pending()));
    Running {
        url,
        trigger,
        metrics,
        client: reqwest::Client::new(),
    }
}

impl Running {
    async fn send(&self, header: Option<(&str, &str)>, body: &str) -> (u16, String) {
        let mut request = self
            .client
            .post(&self.url)
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        (status, answer.text().await.unwrap())
    }

    async fn deliver(&self, body: &str) -> String {
        let (status, text) = self.send(Some(("X-Pushbot-Secret", SECRET)), body).await;
        assert_eq!(status, 200, "every authenticated delivery gets 2xx: {text}");
        let answer: Value = serde_json::from_str(&text).unwrap();
        answer["outcome"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn a_missing_or_wrong_secret_is_401_and_logged_without_the_body() {
    let logs = support::logs::captured("info");
    let hook = start("X-Pushbot-Secret").await;
    let marked = COMMENT.replace("another test comment", "BODY-MARKER-7731");
    let cases = [
        None,
        Some(("X-Pushbot-Secret", "wrong")),
        Some(("X-Pushbot-Secret", "the-shared-secret-4f9a2c7")),
        Some(("X-Other-Header", SECRET)),
    ];
    for header in cases {
        let (status, _) = hook.send(header, &marked).await;
        assert_eq!(status, 401, "{header:?}");
    }
    assert_eq!(hook.metrics.webhook_events(Outcome::Unauthorized), 4);
    assert_eq!(hook.trigger.pending(), 0, "nothing queued");
    assert_eq!(hook.metrics.webhook_last_event(), None, "not an event");
    let text = logs.text();
    assert!(text.contains("webhook delivery refused (401)"), "{text}");
    assert!(!text.contains("BODY-MARKER-7731"), "no body in the log");
    assert!(!text.contains(SECRET), "no secret in the log");
    // The right secret, in a header of the operator's choosing.
    assert_eq!(hook.deliver(&marked).await, "accepted");
}

#[tokio::test]
async fn the_header_name_is_a_setting() {
    let hook = start("X-Api-Key").await;
    let (status, _) = hook.send(Some(("X-Pushbot-Secret", SECRET)), COMMENT).await;
    assert_eq!(status, 401);
    let (status, _) = hook.send(Some(("x-api-key", SECRET)), COMMENT).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn malformed_and_unknown_deliveries_get_200_and_are_counted() {
    let hook = start("X-Pushbot-Secret").await;
    assert_eq!(hook.deliver("{not json").await, "malformed");
    assert_eq!(hook.deliver("").await, "malformed");
    assert_eq!(hook.deliver(r#"{"event":{}}"#).await, "malformed");
    let unknown = COMMENT.replace("comment.create", "user.login");
    assert_eq!(hook.deliver(&unknown).await, "unknown_kind");
    assert_eq!(hook.trigger.pending(), 0, "left to polling");

    let own = COMMENT.replace(
        "\"login\": \"nobody@mozilla.org\"",
        &format!("\"login\": \"{BOT}\""),
    );
    assert_eq!(hook.deliver(&own).await, "ignored_own");
    let other = COMMENT.replace("\"Firefox\"", "\"Thunderbird\"");
    assert_eq!(hook.deliver(&other).await, "untracked");
    assert_eq!(hook.trigger.pending(), 0);

    assert_eq!(hook.deliver(COMMENT).await, "accepted");
    assert_eq!(hook.deliver(COMMENT).await, "duplicate");
    let private = include_str!("fixtures/bmo/webhook-private-bug.json");
    assert_eq!(hook.deliver(private).await, "accepted", "re-read decides");
    assert_eq!(hook.trigger.pending(), 2);

    let samples = parse_prometheus(&hook.metrics.encode());
    let count = |outcome: &str| {
        value(
            &samples,
            "pushbot_webhook_events_total",
            &[("outcome", outcome)],
        )
    };
    assert_eq!(count("malformed"), Some(3.0));
    assert_eq!(count("unknown_kind"), Some(1.0));
    assert_eq!(count("ignored_own"), Some(1.0));
    assert_eq!(count("untracked"), Some(1.0));
    assert_eq!(count("accepted"), Some(2.0));
    assert_eq!(count("duplicate"), Some(1.0));
    assert_eq!(
        value(
            &samples,
            "pushbot_webhook_last_event_timestamp_seconds",
            &[]
        ),
        Some(at().timestamp() as f64)
    );
}

#[tokio::test]
async fn other_paths_and_methods_are_not_the_endpoint() {
    let hook = start("X-Pushbot-Secret").await;
    let base = hook.url.trim_end_matches(endpoint::PATH).to_string();
    let get = hook.client.get(&hook.url).send().await.unwrap();
    assert_eq!(get.status(), 405);
    let other = hook
        .client
        .post(format!("{base}/healthz"))
        .header("X-Pushbot-Secret", SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "the week view is not served here");
}

#[tokio::test]
async fn healthz_shows_the_events_and_the_age_of_the_last_one() {
    let later = at() + chrono::Duration::minutes(7);
    let state = WebState::new(
        Arc::new(RwLock::new(WebData::default())),
        chrono_tz::America::Los_Angeles,
        std::time::Duration::from_secs(900),
        Arc::new(move || later),
    )
    .with_webhooks(true);
    // An event as the endpoint counts it (in `pushbot run` both count into
    // the web state's metrics).
    let shared = state.metrics().clone();
    shared.webhook_event(Outcome::Accepted, at());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(web::serve(listener, state, std::future::pending()));
    let body: Value = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hook_health = &body["webhook"];
    assert_eq!(hook_health["events"]["accepted"], 1);
    assert_eq!(hook_health["events"]["unauthorized"], 0);
    assert_eq!(hook_health["last_event_age_secs"], 420);
    assert_eq!(hook_health["unannounced_changes"], 0);
}
