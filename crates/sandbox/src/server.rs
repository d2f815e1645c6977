//! The sandbox's HTTP side: a custom accept loop (so faults can drop a
//! connection or cut a body mid-way, which a normal axum server cannot),
//! an axum router answering every path through [`super::api`], and the
//! headers every Bugzilla answer carries (`ETag`, `Date` from the sandbox
//! clock, 304 on `If-None-Match`).
//!
//! It owns sockets and tasks; it makes no Bugzilla decisions itself.

use std::convert::Infallible;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::api::{self, error_body, ApiRequest, ApiResponse};
use super::clock::SandboxClock;
use super::faults::{FaultKind, FaultState, Landing, LateAnswer, LostAnswer};
use super::log::{route_name, LoggedRequest, RequestLog};
use super::model::Model;

/// How long a truncated body waits after its first half before failing,
/// so the half (and the headers) reach the client first.
const TRUNCATE_FLUSH_MILLIS: u64 = 20;

/// How long shutdown waits for open requests before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// State shared by every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The instance; a plain mutex because no lock is held across an await.
    pub(crate) model: Mutex<Model>,
    pub(crate) clock: SandboxClock,
    pub(crate) log: RequestLog,
    /// The faults of this run; replaced by `set_faults`.
    pub(crate) faults: Mutex<FaultState>,
    /// Writes accepted under a late-write fault, not applied yet.
    pub(crate) late: LateWrites,
    /// The webhook events of changes (`super::webhooks`).
    pub(crate) webhooks: Arc<super::webhooks::Webhooks>,
}

/// Book-keeping of [`FaultKind::LateWrite`]: how many writes wait in the
/// background, how many were ever accepted, and the signals that apply
/// them.
#[derive(Debug)]
pub(crate) struct LateWrites {
    /// Writes accepted and not applied yet.
    pub(crate) in_flight: watch::Sender<usize>,
    /// Writes accepted since the start (never goes down): what
    /// `SandboxHandle::wait_late_writes_accepted` waits on.
    pub(crate) accepted: watch::Sender<u64>,
    /// Bumped by `SandboxHandle::land_late_writes`: every waiting write is
    /// applied now.
    pub(crate) release: watch::Sender<u64>,
    /// The writes of [`Landing::BeforeNextRequest`] waiting for the next
    /// request: each one's go signal and the signal it sends once applied.
    before_next: Mutex<Vec<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

impl Default for LateWrites {
    fn default() -> Self {
        Self {
            in_flight: watch::Sender::new(0),
            accepted: watch::Sender::new(0),
            release: watch::Sender::new(0),
            before_next: Mutex::new(Vec::new()),
        }
    }
}

impl LateWrites {
    /// Applies every write waiting for the next request, and returns once
    /// they are applied. Every request calls it before it is looked at.
    async fn land_before_next(&self) {
        let due = std::mem::take(
            &mut *self
                .before_next
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        // All go signals first (no await in between), then the waits: a
        // request whose client leaves meanwhile still lands them all.
        let applied: Vec<_> = due
            .into_iter()
            .map(|(go, applied)| {
                let _ = go.send(());
                applied
            })
            .collect();
        for one in applied {
            // An error means its task has ended anyway.
            let _ = one.await;
        }
    }
}

/// A connection closed on purpose (an injected fault).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(bugzilla).with_state(shared)
}

/// Accepts connections until `shutdown` flips, then lets open connections
/// finish their current request and closes them.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let app = router(shared.clone());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let app = app.clone();
                let shared = shared.clone();
                let mut stop = shutdown.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        with_faults(app.clone(), shared.clone(), request)
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => {}
                        _ = stop.changed() => {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.as_mut().await;
                        }
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    // Open requests get a short grace period (a delay fault may be
    // sleeping); whatever is left after it is cut off.
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        connections.abort_all();
    }
}

async fn with_faults(
    app: Router,
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    // A write held until the next request lands before this one is even
    // decided on, so whatever this request reads, it sees that write.
    shared.late.land_before_next().await;
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let route = route_name(&method, &path);
    let fault = shared
        .faults
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .decide(&route);
    let log = |status: Option<u16>| {
        shared.log.push(LoggedRequest {
            method: method.clone(),
            path: path.clone(),
            route: route.clone(),
            status,
            fault,
        });
    };
    match fault {
        Some(FaultKind::DropConnection) => {
            log(None);
            return Err(Dropped);
        }
        Some(FaultKind::TooManyRequests { retry_after_secs }) => {
            log(Some(429));
            let body = error_body(429, "Too many requests: slow down (sandbox fault).");
            let mut response = plain(StatusCode::TOO_MANY_REQUESTS, body.to_string());
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Ok(response);
        }
        Some(FaultKind::ServerError { status }) => {
            log(Some(status));
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut response = plain(code, format!("<html><body><h1>{code}</h1></body></html>"));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=iso-8859-1"),
            );
            return Ok(response);
        }
        Some(FaultKind::Delay { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await
        }
        Some(FaultKind::LateWrite { land, answer }) => {
            // Read the whole request now (the client may be gone when it
            // is applied), then apply it from a task of its own.
            let (parts, body) = request.into_parts();
            let Ok(bytes) = body.collect().await.map(|c| c.to_bytes()) else {
                log(None);
                return Err(Dropped);
            };
            let request = Request::from_parts(parts, Body::from(bytes));
            let mut release = shared.late.release.subscribe();
            shared.late.in_flight.send_modify(|n| *n += 1);
            let (applied_tx, applied_rx) = oneshot::channel();
            let (go_tx, go_rx) = oneshot::channel::<()>();
            let (landed_tx, landed_rx) = oneshot::channel::<()>();
            if land == Landing::BeforeNextRequest {
                shared
                    .late
                    .before_next
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((go_tx, landed_rx));
            }
            let late = shared.clone();
            tokio::spawn(async move {
                let due = async {
                    match land {
                        Landing::AfterMillis(millis) => {
                            tokio::time::sleep(Duration::from_millis(millis)).await
                        }
                        // The go signal, or its sender dropped unsent
                        // (never registered): either way, now.
                        Landing::BeforeNextRequest => {
                            let _ = go_rx.await;
                        }
                        Landing::WhenLanded => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = due => {}
                    _ = release.changed() => {}
                }
                let response = match app.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                late.late
                    .in_flight
                    .send_modify(|n| *n = n.saturating_sub(1));
                // Nobody listens when the client has gone or got a 504, or
                // when no request waits for this one to land.
                let _ = landed_tx.send(());
                let _ = applied_tx.send(response);
            });
            // Logged, then counted: a test woken by the count finds it in
            // the log.
            log(match answer {
                LateAnswer::GatewayTimeout => Some(504),
                LateAnswer::Hold => None,
            });
            shared.late.accepted.send_modify(|n| *n += 1);
            return match answer {
                LateAnswer::GatewayTimeout => Ok(plain(
                    StatusCode::GATEWAY_TIMEOUT,
                    "<html><body><h1>504 Gateway Time-out</h1></body></html>".to_owned(),
                )),
                LateAnswer::Hold => applied_rx.await.map_err(|_| Dropped),
            };
        }
        _ => {}
    }
    let response = match app.oneshot(request.map(Body::new)).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status().as_u16();
    match fault {
        Some(FaultKind::LostResponse {
            then: LostAnswer::Drop,
        }) => {
            log(None);
            Err(Dropped)
        }
        Some(FaultKind::LostResponse {
            then: LostAnswer::BadGateway,
        }) => {
            log(Some(502));
            Ok(plain(StatusCode::BAD_GATEWAY, "Bad Gateway".to_owned()))
        }
        Some(FaultKind::TruncateBody) => {
            log(Some(status));
            let (mut parts, body) = response.into_parts();
            let bytes = body
                .collect()
                .await
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            // Send the first half, give hyper a chance to flush it (it
            // flushes when the body is pending), then fail the body: hyper
            // closes the socket short of the announced Content-Length.
            let chunks = futures_util::stream::unfold(Some(half), |half| async move {
                match half {
                    Some(half) => Some((Ok::<Bytes, std::io::Error>(half), None)),
                    None => {
                        tokio::time::sleep(Duration::from_millis(TRUNCATE_FLUSH_MILLIS)).await;
                        Some((
                            Err(std::io::Error::other("body truncated by fault injection")),
                            None,
                        ))
                    }
                }
            });
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            Ok(Response::from_parts(parts, Body::from_stream(chunks)))
        }
        _ => {
            log(Some(status));
            Ok(response)
        }
    }
}

fn plain(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
}

/// The one axum handler: every path is answered here, so unknown ones get
/// Bugzilla's 32614 error instead of axum's empty 404.
async fn bugzilla(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response<Body>, Infallible> {
    let now = shared.clock.now();
    let path = uri.path();
    let api_path = ["/rest.cgi", "/rest"].iter().find_map(|prefix| {
        path.strip_prefix(prefix)
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
    });
    let answer = match api_path {
        Some(api_path) => {
            let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
            let request = ApiRequest {
                method: method.as_str(),
                path: api_path,
                query,
                body: &body,
            };
            let mut model = shared.model.lock().unwrap_or_else(PoisonError::into_inner);
            let answer = api::handle(&mut model, &request, now);
            shared.webhooks.observe(&model, now);
            answer
        }
        None => ApiResponse {
            status: 404,
            body: error_body(
                32614,
                &format!("A REST API resource was not found for '{method} {path}'."),
            ),
        },
    };
    let bytes = answer.body.to_string().into_bytes();
    let etag = etag_of(&bytes);
    let not_modified = answer.status == 200
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().trim_matches('"') == etag);
    let (status, body) = if not_modified {
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else {
        (
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Body::from(bytes),
        )
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let out = response.headers_mut();
    if !not_modified {
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(value) = HeaderValue::from_str(&date) {
        out.insert(header::DATE, value);
    }
    Ok(response)
}

/// An unquoted ETag derived from the body, like Bugzilla's (which is an
/// MD5 in base64; clients must treat it as opaque).
fn etag_of(body: &[u8]) -> String {
    let mut first = DefaultHasher::new();
    body.hash(&mut first);
    let mut second = DefaultHasher::new();
    (body.len(), first.finish()).hash(&mut second);
    body.hash(&mut second);
    format!("{:016x}{:016x}", first.finish(), second.finish())
}
