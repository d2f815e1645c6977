//! Every fault kind the sandbox can inject, seen through a plain HTTP
//! client (the real client is tested separately against the sandbox).
//!
//! Nothing races a timeout: a delay is a minute against a client timeout
//! of a fraction of a second, a held write waits until the test (or the
//! next request) lands it, and a write that lands by itself is waited for
//! with `wait_late_writes_landed`, not slept on.

use std::path::Path;
use std::time::Duration;

use pushbot::sandbox::{
    FaultKind, FaultPlan, FaultRule, Landing, LateAnswer, LostAnswer, Sandbox, SandboxData,
    SandboxHandle, SandboxOptions,
};
use serde_json::{json, Value};

const LEAD_KEY: &str = "sandbox-lead-key-0000000000000000000000000";

async fn start(faults: FaultPlan) -> SandboxHandle {
    let data = SandboxData::from_path(Path::new("tests/fixtures/sandbox/example.toml"))
        .expect("example data loads");
    Sandbox::start(
        data,
        SandboxOptions {
            faults,
            ..SandboxOptions::default()
        },
    )
    .await
    .expect("sandbox starts")
}

fn version_url(sandbox: &SandboxHandle) -> String {
    format!("{}/rest/version", sandbox.base_url())
}

#[tokio::test]
async fn too_many_requests_carries_retry_after_then_recovers() {
    let sandbox = start(FaultPlan::with_rules(vec![FaultRule::next(
        1,
        "GET /rest/version",
        FaultKind::TooManyRequests {
            retry_after_secs: 7,
        },
    )]))
    .await;
    let client = reqwest::Client::new();
    let first = client
        .get(version_url(&sandbox))
        .send()
        .await
        .expect("answer");
    assert_eq!(first.status().as_u16(), 429);
    assert_eq!(
        first
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    let second = client
        .get(version_url(&sandbox))
        .send()
        .await
        .expect("answer");
    assert_eq!(second.status().as_u16(), 200);
    let log = sandbox.request_log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, Some(429));
    assert_eq!(log[1].fault, None);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn server_errors_are_not_json() {
    let sandbox = start(FaultPlan::with_rules(vec![FaultRule::next(
        2,
        "/rest/version",
        FaultKind::ServerError { status: 503 },
    )]))
    .await;
    let client = reqwest::Client::new();
    for _ in 0..2 {
        let answer = client
            .get(version_url(&sandbox))
            .send()
            .await
            .expect("answer");
        assert_eq!(answer.status().as_u16(), 503);
        let body = answer.text().await.expect("body");
        assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
    }
    let third = client
        .get(version_url(&sandbox))
        .send()
        .await
        .expect("answer");
    assert_eq!(third.status().as_u16(), 200);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_delay_outlasts_the_client_timeout() {
    let sandbox = start(FaultPlan::with_rules(vec![FaultRule::next(
        1,
        "GET /rest/version",
        // Far past the client's timeout: only the timeout can end it.
        FaultKind::Delay { millis: 60_000 },
    )]))
    .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let err = client
        .get(version_url(&sandbox))
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout(), "{err}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn dropped_connections_get_no_answer_and_change_nothing() {
    let sandbox = start(FaultPlan::with_rules(vec![FaultRule::next(
        1,
        "POST /rest/bug/{id}/comment",
        FaultKind::DropConnection,
    )]))
    .await;
    let before = sandbox.comments(1).len();
    let client = reqwest::Client::new();
    let err = client
        .post(format!(
            "{}/rest/bug/1/comment?api_key={LEAD_KEY}",
            sandbox.base_url()
        ))
        .json(&json!({ "comment": "lost before it arrived" }))
        .send()
        .await
        .expect_err("no answer");
    assert!(!err.is_timeout(), "{err}");
    assert_eq!(sandbox.comments(1).len(), before);
    assert_eq!(sandbox.request_log()[0].status, None);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn truncated_bodies_fail_to_read() {
    let sandbox = start(FaultPlan::with_rules(vec![FaultRule::next(
        1,
        "GET /rest/bug",
        FaultKind::TruncateBody,
    )]))
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/rest/bug?api_key={LEAD_KEY}", sandbox.base_url());
    let answer = client.get(&url).send().await.expect("headers arrive");
    assert_eq!(answer.status().as_u16(), 200);
    assert!(answer.bytes().await.is_err(), "body must be cut short");
    let whole: Value = client
        .get(&url)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("complete JSON the second time");
    assert!(whole["bugs"].as_array().is_some_and(|b| !b.is_empty()));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_lost_response_still_applies_the_write() {
    for then in [LostAnswer::Drop, LostAnswer::BadGateway] {
        let sandbox = start(FaultPlan::with_rules(vec![FaultRule::next(
            1,
            "POST /rest/bug/{id}/comment",
            FaultKind::LostResponse { then },
        )]))
        .await;
        let before = sandbox.comments(1).len();
        let client = reqwest::Client::new();
        let result = client
            .post(format!(
                "{}/rest/bug/1/comment?api_key={LEAD_KEY}",
                sandbox.base_url()
            ))
            .json(&json!({ "comment": "applied, answer lost" }))
            .send()
            .await;
        match then {
            LostAnswer::Drop => assert!(result.is_err()),
            LostAnswer::BadGateway => {
                assert_eq!(result.expect("502 arrives").status().as_u16(), 502)
            }
        }
        let comments = sandbox.comments(1);
        assert_eq!(comments.len(), before + 1);
        assert_eq!(
            comments.last().map(|c| c.text.as_str()),
            Some("applied, answer lost")
        );
        sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn a_late_write_lands_after_the_client_gave_up() {
    for answer in [LateAnswer::Hold, LateAnswer::GatewayTimeout] {
        let sandbox = start(FaultPlan::with_rules(vec![FaultRule::next(
            1,
            "POST /rest/bug/{id}/comment",
            FaultKind::LateWrite {
                // Only `land_late_writes` applies it.
                land: Landing::WhenLanded,
                answer,
            },
        )]))
        .await;
        let before = sandbox.comments(1).len();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(200))
            .build()
            .expect("client builds");
        let result = client
            .post(format!(
                "{}/rest/bug/1/comment?api_key={LEAD_KEY}",
                sandbox.base_url()
            ))
            .json(&json!({ "comment": "landed late" }))
            .send()
            .await;
        match answer {
            LateAnswer::Hold => {
                assert!(result.expect_err("held past the timeout").is_timeout())
            }
            LateAnswer::GatewayTimeout => {
                assert_eq!(result.expect("504 arrives").status().as_u16(), 504)
            }
        }
        // Accepted, not applied: a re-read now does not show it.
        assert_eq!(sandbox.comments(1).len(), before, "{answer:?}");
        assert_eq!(sandbox.late_writes_pending(), 1);

        sandbox.land_late_writes().await;
        assert_eq!(sandbox.late_writes_pending(), 0);
        let comments = sandbox.comments(1);
        assert_eq!(comments.len(), before + 1, "{answer:?}");
        assert_eq!(
            comments.last().map(|c| c.text.as_str()),
            Some("landed late")
        );
        let log = sandbox.request_log();
        assert_eq!(log.len(), 1, "one request, applied once");
        sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn a_write_held_for_the_next_request_lands_before_that_is_answered() {
    let sandbox = start(FaultPlan::with_rules(vec![FaultRule::next(
        1,
        "POST /rest/bug/{id}/comment",
        FaultKind::LateWrite {
            land: Landing::BeforeNextRequest,
            answer: LateAnswer::Hold,
        },
    )]))
    .await;
    let before = sandbox.comments(1).len();
    let comments = format!(
        "{}/rest/bug/1/comment?api_key={LEAD_KEY}",
        sandbox.base_url()
    );
    // Held until the next request: only the client's timeout ends it.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client builds");
    let err = impatient
        .post(&comments)
        .json(&json!({ "comment": "landed before the re-read" }))
        .send()
        .await
        .expect_err("held past the timeout");
    assert!(err.is_timeout(), "{err}");
    assert_eq!(sandbox.comments(1).len(), before, "not applied yet");
    assert_eq!(sandbox.late_writes_pending(), 1);

    // The client's re-read is the next request: the write lands first.
    let reread: Value = reqwest::Client::new()
        .get(&comments)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    let texts: Vec<&str> = reread["bugs"]["1"]["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .filter_map(|c| c["text"].as_str())
        .collect();
    assert_eq!(
        texts.last(),
        Some(&"landed before the re-read"),
        "{texts:?}"
    );
    assert_eq!(texts.len(), before + 1);
    assert_eq!(sandbox.late_writes_pending(), 0);
    assert_eq!(sandbox.late_writes_accepted(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_late_write_applies_itself_after_its_delay() {
    let sandbox = start(FaultPlan::with_rules(vec![FaultRule::next(
        1,
        "PUT /rest/bug/{id}",
        FaultKind::LateWrite {
            land: Landing::AfterMillis(1),
            answer: LateAnswer::GatewayTimeout,
        },
    )]))
    .await;
    let client = reqwest::Client::new();
    let answer = client
        .put(format!(
            "{}/rest/bug/1?api_key={LEAD_KEY}",
            sandbox.base_url()
        ))
        .json(&json!({ "whiteboard": "[late]" }))
        .send()
        .await
        .expect("504 arrives");
    assert_eq!(answer.status().as_u16(), 504);
    // Wait until it has applied itself (no assertion on how long).
    sandbox.wait_late_writes_landed().await;
    assert_eq!(
        sandbox.bug(1).map(|b| b.whiteboard),
        Some("[late]".to_string())
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_seeded_share_of_faults_repeats_and_can_be_switched_off() {
    let plan = FaultPlan {
        seed: 42,
        rules: vec![FaultRule::share(
            0.5,
            FaultKind::ServerError { status: 500 },
        )],
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sandbox = start(plan.clone()).await;
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        for _ in 0..20 {
            let answer = client
                .get(version_url(&sandbox))
                .send()
                .await
                .expect("answer");
            statuses.push(answer.status().as_u16());
        }
        sandbox.set_faults(FaultPlan::none());
        let clean = client
            .get(version_url(&sandbox))
            .send()
            .await
            .expect("answer");
        assert_eq!(clean.status().as_u16(), 200);
        sandbox.shutdown().await;
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1], "same seed, same faults");
    assert!(runs[0].contains(&500) && runs[0].contains(&200));
}
