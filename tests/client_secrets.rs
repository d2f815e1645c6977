//! The API key never shows: not in any log line (captured at TRACE, the
//! `log` records of reqwest/hyper included), not in any error message, not
//! in any `Debug` output, for all three auth modes and every kind of
//! failure. The server even echoes the key in an error message; the client
//! scrubs it.

mod support;

use std::time::Duration;

use pushbot::bugzilla::{BugId, BugUpdate, BugzillaError, Client, NewComment, SearchQuery};
use serde_json::json;
use support::client::{client_with, login_answers, recorded, tuning, KEY};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn comment() -> NewComment {
    NewComment {
        text: "hello".into(),
        is_private: false,
        is_markdown: true,
    }
}

/// Runs every kind of call and failure with `auth`, returning the texts
/// (Display and Debug) of every error and of the client.
async fn exercise(auth: &str) -> Vec<String> {
    let mut texts = Vec::new();
    fn keep_in(texts: &mut Vec<String>, err: BugzillaError) {
        texts.push(err.to_string());
        texts.push(format!("{err:?}"));
    }

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/version"))
        .respond_with(recorded("01"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/bug"))
        .respond_with(ResponseTemplate::new(500).set_body_string(format!(
            "<html>Internal error for /rest/bug?api_key={KEY}</html>"
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1/comment"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": true, "code": 51,
            "message": format!("Invalid value for api_key: {KEY}")
        })))
        .mount(&server)
        .await;
    login_answers(
        &server,
        recorded("88"),
        recorded("65"),
        ResponseTemplate::new(200).set_body_json(json!({"result": false})),
    )
    .await;
    Mock::given(method("POST"))
        // Far past the client's timeout below: it times out by construction.
        .respond_with(recorded("27").set_delay(Duration::from_secs(60)))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(recorded("70"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/9/comment"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;

    let mut t = tuning();
    // Long enough for every normal answer on a loaded machine.
    t.timeout = Duration::from_secs(1);
    let c = client_with(&server, auth, "lead@example.test", t.clone());
    texts.push(format!("{c:?}"));
    assert_eq!(c.version().await.unwrap(), "5.2");
    keep_in(
        &mut texts,
        c.search(&SearchQuery::default()).await.unwrap_err(),
    );
    keep_in(&mut texts, c.comments(&[BugId(1)], None).await.unwrap_err());
    keep_in(&mut texts, c.verify_login().await.unwrap_err());
    keep_in(
        &mut texts,
        c.post_comment(BugId(1), &comment()).await.unwrap_err(),
    );
    let update = BugUpdate {
        assigned_to: Some("dev@example.test".into()),
        ..BugUpdate::default()
    };
    keep_in(
        &mut texts,
        c.update_bug(BugId(1), &update).await.unwrap_err(),
    );
    keep_in(&mut texts, c.comments(&[BugId(9)], None).await.unwrap_err());
    keep_in(&mut texts, c.version().await.unwrap_err()); // blocked now

    // A connection that is reset, and one that is refused.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    let reset = Client::with_tuning(
        &support::client::settings(&format!("http://{addr}"), auth, "lead@example.test"),
        t.clone(),
    )
    .unwrap();
    keep_in(&mut texts, reset.version().await.unwrap_err());
    keep_in(
        &mut texts,
        reset.post_comment(BugId(1), &comment()).await.unwrap_err(),
    );
    let (_kept, closed_addr) = support::net::refusing();
    assert!(support::net::is_refused(closed_addr).await);
    let refused = Client::with_tuning(
        &support::client::settings(&format!("http://{closed_addr}"), auth, "lead@example.test"),
        t,
    )
    .unwrap();
    keep_in(&mut texts, refused.version().await.unwrap_err());
    texts.push(format!("{refused:?}"));
    texts.push(format!(
        "{:?}",
        support::client::settings("http://127.0.0.1:1", auth, "lead@example.test")
    ));
    texts
}

#[tokio::test]
async fn the_key_is_never_shown() {
    // The mock server's own logs are not ours: they print the request
    // line it received, key and all, as any server log would.
    let buffer = support::logs::captured("trace,wiremock=off");
    for auth in ["query", "header", "bearer"] {
        let texts = exercise(auth).await;
        assert!(texts.len() > 20, "{auth}: {}", texts.len());
        for text in &texts {
            assert!(!text.contains(KEY), "{auth}: key in {text}");
        }
        // The echoed key was scrubbed, not dropped with the message.
        assert!(
            texts
                .iter()
                .any(|t| t.contains("Invalid value for api_key: [redacted]")),
            "{auth}"
        );
    }
    let logged = buffer.text();
    // The capture works: request lines and the block alarm are there.
    assert!(logged.contains("bugzilla request"), "{logged}");
    assert!(logged.contains("/rest/version"), "{logged}");
    assert!(logged.contains("retrying a Bugzilla read"), "{logged}");
    assert!(logged.contains("ALL requests are paused"), "{logged}");
    // reqwest's and hyper's own (`log`) records are captured too.
    assert!(logged.contains("hyper_util::client"), "{logged}");
    assert!(!logged.contains(KEY), "key in the logs:\n{logged}");
}
