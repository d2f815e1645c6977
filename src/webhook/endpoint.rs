//! `POST /bugzilla/webhook`: where Bugzilla delivers events. Served on its
//! own address (`webhook.listen`), apart from the week view, by the same
//! accept loop (`web::server`: timeouts, connection cap).
//!
//! 1. The shared secret: Bugzilla does not sign payloads; it sends the
//!    `api_key_header: api_key_value` pair of the webhook's settings
//!    verbatim. Missing or wrong: 401, and a log line without the body.
//!    Compared in constant time.
//! 2. Every authenticated delivery gets 200 at once, whatever its body: a
//!    non-2xx answer would hold BMO's per-webhook backlog behind it and in
//!    the end disable the webhook. A malformed body or an unknown event
//!    kind is logged with the reason, counted, and left to polling.
//! 3. The cheap checks, no read: the bot's own change (`event.user.login`
//!    is the bot), a product or component the query does not name (unless
//!    the bug is in memory: a bug moved out of the product still reaches
//!    that product's hook, and must leave memory), a redelivered copy.
//!    What passes is queued in the [`Trigger`]; the answer does not wait
//!    for the run.
//!
//! Must not: read Bugzilla, hold the body after the answer, or log the body
//! or the secret.

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::json;
use tokio::net::TcpListener;

use super::event::{self, Rejected};
use super::{Outcome, WebhookSettings};
use crate::bugzilla::{QuerySettings, Secret};
use crate::metrics::Metrics;
use crate::poll::trigger::{Announced, Trigger};
use crate::web::{Clock, ServerLimits};

/// The path Bugzilla's webhook URL must end with.
pub const PATH: &str = "/bugzilla/webhook";

/// What the endpoint needs; cheap to clone.
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

struct Inner {
    header: HeaderName,
    secret: Secret,
    bot_login: String,
    products: Vec<String>,
    components: Vec<String>,
    trigger: Trigger,
    metrics: Metrics,
    clock: Clock,
}

/// The endpoint could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "webhook.secret is not set; set PUSHBOT__WEBHOOK__SECRET (or turn webhook.enabled off)"
    )]
    NoSecret,
    #[error("webhook.header `{0}` is not a header name; use e.g. X-Pushbot-Secret")]
    BadHeader(String),
    #[error("cannot listen on `{listen}` (setting `webhook.listen`): {source}; pick a free address such as 0.0.0.0:8091")]
    Bind {
        listen: String,
        #[source]
        source: std::io::Error,
    },
}

impl Endpoint {
    /// The endpoint of `settings` for the bot `bot_login` watching `query`,
    /// queueing into `trigger` and counting into `metrics`.
    pub fn new(
        settings: &WebhookSettings,
        bot_login: &str,
        query: &QuerySettings,
        trigger: Trigger,
        metrics: Metrics,
        clock: Clock,
    ) -> Result<Endpoint, EndpointError> {
        let secret = settings
            .secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or(EndpointError::NoSecret)?;
        let header = HeaderName::from_bytes(settings.header.as_bytes())
            .map_err(|_| EndpointError::BadHeader(settings.header.clone()))?;
        Ok(Endpoint {
            inner: Arc::new(Inner {
                header,
                secret: Secret::new(secret.expose().trim()),
                bot_login: bot_login.to_string(),
                products: query.product.clone(),
                components: query.component.clone(),
                trigger,
                metrics,
                clock,
            }),
        })
    }

    /// The routes: `POST /bugzilla/webhook`; anything else 404.
    pub fn router(self) -> Router {
        Router::new()
            .route(PATH, post(receive))
            .fallback(not_found)
            .with_state(self)
    }

    /// Serves the endpoint on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let metrics = self.inner.metrics.clone();
        crate::web::server::serve(
            listener,
            self.router(),
            ServerLimits::default(),
            metrics,
            shutdown,
        )
        .await
    }

    /// Decides about one authenticated delivery (see the module doc).
    fn classify(&self, body: &[u8]) -> Outcome {
        let e = &self.inner;
        let event = match event::parse(body) {
            Ok(event) => event,
            Err(Rejected::Malformed(reason)) => {
                tracing::warn!(
                    reason,
                    bytes = body.len(),
                    "webhook delivery is malformed; answered 200, left to polling"
                );
                return Outcome::Malformed;
            }
            Err(Rejected::UnknownKind(kind)) => {
                tracing::info!(kind, "webhook event of a kind pushbot does not act on; answered 200, left to polling");
                return Outcome::UnknownKind;
            }
        };
        if event
            .user
            .as_deref()
            .is_some_and(|who| who.eq_ignore_ascii_case(&e.bot_login))
        {
            tracing::debug!(bug = %event.bug, "webhook event of the bot's own change; no run");
            return Outcome::IgnoredOwn;
        }
        let outside = |named: &Option<String>, watched: &[String]| {
            named
                .as_ref()
                .is_some_and(|name| !watched.is_empty() && !watched.iter().any(|w| w == name))
        };
        if (outside(&event.product, &e.products) || outside(&event.component, &e.components))
            && !e.trigger.is_tracked(event.bug)
        {
            tracing::debug!(bug = %event.bug, "webhook event for a bug outside the push query; dropped");
            return Outcome::Untracked;
        }
        match e.trigger.announce(event.bug, event.key) {
            Announced::Queued => {
                tracing::debug!(bug = %event.bug, kind = ?event.kind, "webhook event queued");
                Outcome::Accepted
            }
            Announced::Duplicate => {
                tracing::debug!(bug = %event.bug, "webhook event received before; nothing to do");
                Outcome::Duplicate
            }
        }
    }

    fn authorized(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let e = &self.inner;
        let mut values = headers.get_all(&e.header).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err("missing secret header (or more than one)");
        };
        if constant_time_eq(value.as_bytes(), e.secret.expose().as_bytes()) {
            Ok(())
        } else {
            Err("wrong secret")
        }
    }
}

/// Compares two byte strings in time that depends only on their lengths
/// (the secret's length is not the secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(x ^ y);
    }
    diff == 0
}

async fn receive(State(endpoint): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    let now = (endpoint.inner.clock)();
    if let Err(reason) = endpoint.authorized(&headers) {
        tracing::warn!(
            reason,
            header = %endpoint.inner.header,
            "webhook delivery refused (401); check api_key_header/api_key_value in Bugzilla's webhook settings"
        );
        endpoint
            .inner
            .metrics
            .webhook_event(Outcome::Unauthorized, now);
        return answer(StatusCode::UNAUTHORIZED, Outcome::Unauthorized);
    }
    let outcome = endpoint.classify(&body);
    endpoint.inner.metrics.webhook_event(outcome, now);
    answer(StatusCode::OK, outcome)
}

fn answer(status: StatusCode, outcome: Outcome) -> Response {
    let mut response = (status, json!({ "outcome": outcome.label() }).to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("not found; Bugzilla webhooks are received at POST {PATH}\n"),
    )
        .into_response()
}

/// Binds `settings.listen`.
pub async fn bind(settings: &WebhookSettings) -> Result<TcpListener, EndpointError> {
    TcpListener::bind(settings.listen.as_str())
        .await
        .map_err(|source| EndpointError::Bind {
            listen: settings.listen.clone(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_equal() {
        assert!(constant_time_eq(b"secret-value", b"secret-value"));
        assert!(!constant_time_eq(b"secret-value", b"secret-valuf"));
        assert!(!constant_time_eq(b"secret-value", b"secret-valu"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }
}
