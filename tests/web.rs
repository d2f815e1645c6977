//! The web server over a real port-0 socket: every route and status code.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use pushbot::metrics::Metrics;
use pushbot::poll::CycleReport;
use pushbot::web::{self, CycleResult, WebData, WebState};
use support::prometheus::{parse_prometheus, value};
use support::week::*;
use tokio::sync::oneshot;

/// A running server; dropping `stop` shuts it down.
struct Server {
    base: String,
    data: Arc<RwLock<WebData>>,
    /// The counters `/metrics` shows (the poller's, in the bot).
    metrics: Metrics,
    now: Arc<Mutex<DateTime<Utc>>>,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(data: WebData) -> Server {
        let data = Arc::new(RwLock::new(data));
        // Tue 1 Dec 2026 12:00 PST: "this week" is 2026-W49.
        let now = Arc::new(Mutex::new(utc(2026, 12, 1, 20, 0)));
        let clock_now = Arc::clone(&now);
        let state = WebState::new(
            Arc::clone(&data),
            chrono_tz::America::Los_Angeles,
            std::time::Duration::from_secs(300),
            Arc::new(move || *clock_now.lock().unwrap()),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let metrics = state.metrics().clone();
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(web::serve(listener, state, async {
            let _ = rx.await;
        }));
        Server {
            base,
            data,
            metrics,
            now,
            stop: Some(tx),
            handle,
        }
    }

    async fn get(&self, path: &str) -> (u16, String, String) {
        let response = reqwest::get(format!("{}{}", self.base, path))
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, content_type, response.text().await.unwrap())
    }

    fn set_now(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap() = t;
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.handle.await.unwrap().unwrap();
    }
}

fn data_with_meeting_week() -> WebData {
    let mut data = WebData::default();
    data.insert_report(meeting_week());
    data
}

#[tokio::test]
async fn home_is_this_weeks_view() {
    let server = Server::start(data_with_meeting_week()).await;
    let (status, content_type, page) = server.get("/").await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(page.contains("Pushes · 2026-W49"));
    assert!(page.contains("data-bug=\"1001\""));
    // A week later "this week" moves on, and has no data.
    server.set_now(utc(2026, 12, 8, 20, 0));
    let (status, _, page) = server.get("/").await;
    assert_eq!(status, 200);
    assert!(page.contains("No pushes scheduled in 2026-W50."));
    server.shutdown().await;
}

#[tokio::test]
async fn stored_pages_follow_the_clock_and_the_data() {
    let server = Server::start(data_with_meeting_week()).await;
    let (_, _, page) = server.get("/").await;
    assert!(page.contains("Tue · today"), "{page}");
    // Same week, next day: the stored page is rendered again for "today".
    server.set_now(utc(2026, 12, 2, 20, 0));
    let (_, _, page) = server.get("/").await;
    assert!(page.contains("Wed · today"), "{page}");
    assert!(!page.contains("Tue · today"), "{page}");
    // New data written straight into the shared map shows at once.
    let mut busier = bulk_week(3);
    busier.week = week("2026-W49");
    server.data.write().unwrap().insert_report(busier);
    let (_, _, page) = server.get("/week/2026-W49").await;
    assert!(page.contains("data-bug=\"2002\""), "{page}");
    assert!(!page.contains("data-bug=\"1001\""), "{page}");
    let (_, _, ics) = server.get("/calendar.ics").await;
    assert!(ics.contains("UID:push-2002@pushbot\r\n"), "{ics}");
    assert!(!ics.contains("UID:push-1001@pushbot\r\n"), "{ics}");
    server.shutdown().await;
}

#[tokio::test]
async fn pages_say_when_their_data_is_out_of_date() {
    let server = Server::start(data_with_meeting_week()).await;
    // No successful cycle yet: the page says so.
    let (_, _, page) = server.get("/").await;
    assert!(
        page.contains("pushbot has not read Bugzilla successfully since it started (Tue 1 Dec 2026 12:00 PST)"),
        "{page}"
    );
    // A good cycle at 12:00: fresh, no notice.
    server
        .data
        .write()
        .unwrap()
        .record_cycle(utc(2026, 12, 1, 20, 0), CycleResult::Ok);
    server.set_now(utc(2026, 12, 1, 20, 15));
    let (_, _, page) = server.get("/").await;
    assert!(!page.contains("stale-notice"), "{page}");
    // 3 intervals of 300 s later and a bit, with only failed cycles since:
    // every week page says how old its data is; the data itself is kept.
    server.data.write().unwrap().record_cycle(
        utc(2026, 12, 1, 20, 14),
        CycleResult::Failed {
            reason: "Bugzilla answered 503".into(),
        },
    );
    server.set_now(utc(2026, 12, 1, 22, 16));
    for path in ["/", "/week/2026-W49", "/week/2019-W02"] {
        let (status, _, page) = server.get(path).await;
        assert_eq!(status, 200);
        assert!(
            page.contains(
                "Out of date: the last successful read of Bugzilla was Tue 1 Dec 2026 12:00 PST, 2 hours 16 minutes ago; <a href=\"/healthz\">/healthz</a> says why."
            ),
            "{path}: {page}"
        );
    }
    let (_, _, page) = server.get("/").await;
    assert!(page.contains("data-bug=\"1001\""), "{page}");
    // The notice is added per request, never stored: a good cycle clears it.
    server
        .data
        .write()
        .unwrap()
        .record_cycle(utc(2026, 12, 1, 22, 15), CycleResult::Ok);
    let (_, _, page) = server.get("/").await;
    assert!(!page.contains("stale-notice"), "{page}");
    server.shutdown().await;
}

#[tokio::test]
async fn week_pages_in_three_formats() {
    let server = Server::start(data_with_meeting_week()).await;
    let (status, content_type, page) = server.get("/week/2026-W49").await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/html; charset=utf-8")
    );
    assert!(page.contains("⚠ Conflict"));

    let (status, content_type, body) = server.get("/week/2026-W49.json").await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["week"], "2026-W49");
    assert_eq!(doc["unscheduled"][0]["bug"], 1006);

    let (status, content_type, text) = server.get("/week/2026-W49.md").await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/markdown; charset=utf-8")
    );
    assert_eq!(text, pushbot::report::markdown::render(&meeting_week()));
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_week_is_empty_and_malformed_week_is_400() {
    let server = Server::start(data_with_meeting_week()).await;
    let (status, _, page) = server.get("/week/2019-W02").await;
    assert_eq!(status, 200);
    assert!(page.contains("No pushes scheduled in 2019-W02."));
    let (status, _, body) = server.get("/week/2019-W02.json").await;
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["days"][0]["pushes"], serde_json::json!([]));

    for bad in [
        "/week/2026-49",
        "/week/2026-W54",
        "/week/banana",
        "/week/%3Cscript%3E",
    ] {
        let (status, content_type, page) = server.get(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(page.contains("YYYY-Www"), "{bad}: {page}");
        assert!(page.contains("/week/2026-W49"), "links this week: {page}");
        assert!(!page.contains("<script>"), "{bad} echoed unescaped");
    }
    let (status, content_type, body) = server.get("/week/2026-W99.json").await;
    assert_eq!((status, content_type.as_str()), (400, "application/json"));
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["error"]
        .as_str()
        .unwrap()
        .contains("2026 has no ISO week 99"));
    let (status, _, text) = server.get("/week/nope.md").await;
    assert_eq!(status, 400);
    assert!(text.contains("`nope` is not an ISO week"));

    let (status, _, _) = server.get("/no/such/page").await;
    assert_eq!(status, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn calendar_feed() {
    let mut data = data_with_meeting_week();
    let mut next = bulk_week(3);
    next.week = week("2026-W50");
    data.insert_report(next);
    let server = Server::start(data).await;
    let response = reqwest::get(format!("{}/calendar.ics", server.base))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/calendar; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    assert_eq!(text.matches("BEGIN:VEVENT\r\n").count(), 5 + 3);
    assert!(text.contains("UID:push-1001@pushbot\r\n"));
    assert!(text.contains("UID:push-2002@pushbot\r\n"));
    server.shutdown().await;
}

async fn health(server: &Server) -> (u16, serde_json::Value) {
    let (status, content_type, body) = server.get("/healthz").await;
    assert_eq!(content_type, "application/json");
    (status, serde_json::from_str(&body).unwrap())
}

#[tokio::test]
async fn healthz_follows_the_cycles() {
    let server = Server::start(WebData::default()).await;
    let start = utc(2026, 12, 1, 20, 0);
    // No cycle yet, within 3 intervals of start: starting, healthy.
    let (status, body) = health(&server).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("starting")));
    // No cycle for more than 3 × 300 s: stale.
    server.set_now(start + chrono::Duration::seconds(901));
    let (status, body) = health(&server).await;
    assert_eq!((status, body["status"].as_str()), (503, Some("stale")));
    assert_eq!(body["stale_after_secs"], 900);
    // A good cycle: ok.
    server
        .data
        .write()
        .unwrap()
        .record_cycle(start + chrono::Duration::seconds(950), CycleResult::Ok);
    server.set_now(start + chrono::Duration::seconds(1000));
    let (status, body) = health(&server).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    assert_eq!(body["last_success_at"], "2026-12-01T20:15:50Z");
    // A failed cycle: 503 with the reason.
    server.data.write().unwrap().record_cycle(
        start + chrono::Duration::seconds(1200),
        CycleResult::Failed {
            reason: "Bugzilla answered 503 for bug search".into(),
        },
    );
    let (status, body) = health(&server).await;
    assert_eq!((status, body["status"].as_str()), (503, Some("failing")));
    assert_eq!(body["last_result"]["result"], "failed");
    assert_eq!(
        body["last_result"]["reason"],
        "Bugzilla answered 503 for bug search"
    );
    // Recovered, then the write cap alert.
    server
        .data
        .write()
        .unwrap()
        .record_cycle(start + chrono::Duration::seconds(1300), CycleResult::Ok);
    let (status, _) = health(&server).await;
    assert_eq!(status, 200);
    server.data.write().unwrap().status.write_cap_alert = true;
    let (status, body) = health(&server).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (503, Some("write_cap_alert"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text() {
    let server = Server::start(WebData::default()).await;
    // A cycle that acted, then an outage, as the poller counts them.
    server.metrics.record_cycle(&CycleReport {
        started_at: utc(2026, 12, 1, 20, 0),
        requests: 15,
        taken_by_rule: BTreeMap::from([
            ("no-owner".to_string(), 3),
            ("release-conflict".to_string(), 1),
            ("odd \"rule\"\\".to_string(), 1),
        ]),
        ..CycleReport::default()
    });
    server.metrics.record_cycle(&CycleReport {
        started_at: utc(2026, 12, 1, 20, 5),
        requests: 2,
        outage: true,
        errors: vec!["x".into(), "y".into()],
        ..CycleReport::default()
    });
    let _ = server.get("/healthz").await;
    let (status, content_type, text) = server.get("/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    let samples = parse_prometheus(&text);
    assert_eq!(value(&samples, "pushbot_cycles_total", &[]), Some(2.0));
    assert_eq!(
        value(&samples, "pushbot_bugzilla_requests_total", &[]),
        Some(17.0)
    );
    assert_eq!(value(&samples, "pushbot_errors_total", &[]), Some(2.0));
    assert_eq!(
        value(&samples, "pushbot_actions_total", &[("rule", "no-owner")]),
        Some(3.0)
    );
    assert_eq!(
        value(
            &samples,
            "pushbot_actions_total",
            &[("rule", "release-conflict")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "pushbot_actions_total",
            &[("rule", "odd \"rule\"\\")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "pushbot_last_success_timestamp_seconds", &[]),
        Some(utc(2026, 12, 1, 20, 0).timestamp() as f64)
    );
    assert_eq!(value(&samples, "pushbot_write_cap_alert", &[]), Some(0.0));
    // At least this request's own connection is open; none was refused.
    assert!(value(&samples, "pushbot_http_connections_open", &[]).unwrap() >= 1.0);
    assert_eq!(
        value(&samples, "pushbot_http_connections_rejected_total", &[]),
        Some(0.0)
    );
    // This request and the /healthz one before it.
    assert_eq!(
        value(&samples, "pushbot_http_requests_total", &[]),
        Some(2.0)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_stops_the_server() {
    let server = Server::start(WebData::default()).await;
    let base = server.base.clone();
    assert_eq!(server.get("/healthz").await.0, 200);
    server.shutdown().await;
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
}

#[tokio::test]
async fn bind_errors_name_the_setting() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let settings = pushbot::web::WebSettings {
        listen: taken.local_addr().unwrap().to_string(),
        ..Default::default()
    };
    let err = web::bind(&settings).await.unwrap_err().to_string();
    assert!(err.contains("web.listen"), "{err}");
    assert!(err.contains(&settings.listen), "{err}");
    let free = pushbot::web::WebSettings {
        listen: "127.0.0.1:0".into(),
        ..Default::default()
    };
    let listener = web::bind(&free).await.unwrap();
    assert!(listener.local_addr().unwrap().ip().is_loopback());
}
