//! The web server's own accept loop: one hyper HTTP/1.1 connection per
//! socket around the axum router, with the limits `axum::serve` lacks.
//!
//! Why a loop of its own: `axum::serve` sets no timer, so a client that
//! connects and sends nothing, or sends its request head one byte at a
//! time, holds its connection (a task and a file descriptor) for as long as
//! it likes, and there is no cap on how many it may hold. Here:
//!
//! - [`HEADER_READ_TIMEOUT`]: a request head must arrive whole within this
//!   time of the server being ready for it (a new connection, or the end of
//!   the previous answer on a keep-alive one), or the connection is closed.
//!   Bytes arriving do not extend it, so a head sent one byte at a time is
//!   cut off too. An idle keep-alive connection is waiting for its next head,
//!   so it is closed after this time as well.
//! - [`IDLE_TIMEOUT`]: a connection on which no byte moved either way for
//!   this long is closed whatever it is doing (a client that stopped reading
//!   its answer, or stopped sending a request body).
//! - [`MAX_CONNECTIONS`]: connections open at once; one more is answered
//!   `503` with `Connection: close` straight away (never queued, so it does
//!   not wait behind the slow ones) and closed.
//!
//! A slow client costs a sleeping task and a socket until its timeout, and
//! nothing else: every connection has its own task, so none waits for
//! another.
//!
//! Must not: decide what a page says (the router does).

use std::future::Future;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::metrics::Metrics;

/// How long a client has to send a whole request head (see the module
/// doc): long enough for any real client on a slow link, short enough that
/// a connection held open on purpose is soon given back.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection may go without a byte moving either way.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How many connections may be open at once. The week view serves one
/// team on loopback or a trusted network, which never needs this many.
/// Each connection holds a file descriptor: keep the process's open-file
/// limit (`ulimit -n`) above this, or `accept` fails first (the server
/// logs it and retries after [`ACCEPT_ERROR_PAUSE`]).
pub const MAX_CONNECTIONS: usize = 1024;

/// How long shutdown lets open requests finish before cutting them off.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The pause after a failed `accept` that is not about one connection
/// (usually the open-file limit): retrying at once would spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// The whole answer to a connection over [`MAX_CONNECTIONS`].
const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 53\r\n\
\r\n\
pushbot's web server is busy; try again in a moment.\n";

/// The server's limits; [`Default`] is the named constants above. Tests
/// shorten the timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`SHUTDOWN_GRACE`].
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// One open connection, counted in [`Metrics`]; dropping it frees the
/// slot.
struct Slot(Metrics);

impl Slot {
    /// Takes a slot for one more connection, unless `max` are open (a
    /// refusal is counted).
    fn take(metrics: &Metrics, max: usize) -> Option<Slot> {
        metrics.open_connection(max).then(|| Slot(metrics.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.close_connection();
    }
}

/// Accepts connections on `listener` and serves `app` on each until
/// `shutdown` completes; then stops accepting, lets each connection finish
/// the request it is answering (idle ones close at once), and cuts off
/// whatever is left after [`ServerLimits::shutdown_grace`].
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    metrics: Metrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            // Reap finished connections so the set only holds open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        accept_failed(&err).await;
                        continue;
                    }
                };
                let Some(slot) = Slot::take(&metrics, limits.max_connections) else {
                    turn_away(stream);
                    continue;
                };
                connections.spawn(connection(
                    stream,
                    app.clone(),
                    http.clone(),
                    limits.idle_timeout,
                    stop_rx.clone(),
                    slot,
                ));
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "web connections still busy after the shutdown grace period; closing them"
        );
        connections.abort_all();
    }
    Ok(())
}

/// Serves one connection until it ends, times out, or shutdown asks.
async fn connection(
    stream: TcpStream,
    app: Router,
    http: hyper::server::conn::http1::Builder,
    idle_timeout: Duration,
    mut stop: watch::Receiver<bool>,
    // Held until the end, after the socket is closed (parameters are
    // dropped after the body's locals).
    _slot: Slot,
) {
    // Answers are whole bodies written at once: nothing to gain from
    // Nagle's algorithm, only delay.
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        app.clone().oneshot(request)
    });
    let conn = http.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => ended(result),
        () = activity.idle_for(idle_timeout) => idle(),
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                result = conn.as_mut() => ended(result),
                () = activity.idle_for(idle_timeout) => idle(),
            }
        }
    }
}

/// Completes when shutdown is asked for (or the server is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

fn ended(result: Result<(), hyper::Error>) {
    if let Err(err) = result {
        // Clients hang up mid-request, and slow heads time out (hyper
        // answers those 408): not worth a warning.
        tracing::debug!(error = %err, "web connection ended with an error");
    }
}

fn idle() {
    tracing::debug!("web connection idle too long; closed");
}

/// Tells a connection over the cap to come back later, without waiting
/// for it: a fresh socket's send buffer is empty, so the short answer is
/// written whole or not at all, and the socket is closed either way.
fn turn_away(stream: TcpStream) {
    tracing::debug!("web connection refused: too many open");
    if let Ok(stream) = stream.into_std() {
        let _ = (&stream).write(BUSY_RESPONSE);
    }
}

/// A failed `accept`. One connection's trouble (it was reset before we
/// took it) is skipped; anything else, such as running out of file
/// descriptors, is logged and retried after a pause.
async fn accept_failed(err: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(
        error = %err,
        "the web server cannot accept a connection; retrying in a second (if it says too many open files, raise the open-file limit: ulimit -n)"
    );
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}

/// When a byte last moved on a connection, for [`IDLE_TIMEOUT`].
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds after `start`.
    last_millis: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_millis: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let millis = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_millis.store(millis, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_millis.load(Ordering::Relaxed))
    }

    /// Completes once nothing moved for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let deadline = self.last() + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A socket that notes every read or write that moved bytes.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
