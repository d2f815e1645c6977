//! The web server under slow and idle clients (`pushbot::web::server`):
//! 100 connections that send nothing or send their request head one byte
//! at a time do not keep a normal request from being answered, and are
//! closed by the header-read timeout; an idle connection is closed by the
//! idle timeout; connections over the cap get a 503 at once.
//!
//! No assertion is about speed. The order is what is checked: the normal
//! request is answered while every slow connection is still open, and the
//! slow ones are closed afterwards. Waits that could hang (for the server
//! to take the connections, for them to close) give up after a generous
//! limit so that a broken server fails the test instead of hanging it.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use pushbot::web::{self, ServerLimits, WebData, WebState};
use support::week::*;
use tokio::sync::oneshot;

/// How many slow clients; half send nothing, half trickle their head.
const SLOW: usize = 100;

/// A hang guard, not a speed requirement.
const GIVE_UP: Duration = Duration::from_secs(120);

struct Server {
    addr: SocketAddr,
    state: WebState,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(limits: ServerLimits) -> Server {
        let mut data = WebData::default();
        data.insert_report(meeting_week());
        data.record_cycle(utc(2026, 12, 1, 19, 55), web::CycleResult::Ok);
        let state = WebState::new(
            Arc::new(RwLock::new(data)),
            chrono_tz::America::Los_Angeles,
            Duration::from_secs(300),
            Arc::new(|| utc(2026, 12, 1, 20, 0)),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(web::serve_with_limits(
            listener,
            state.clone(),
            limits,
            async {
                let _ = rx.await;
            },
        ));
        Server {
            addr,
            state,
            stop: Some(tx),
            handle,
        }
    }

    fn open(&self) -> u64 {
        self.state.metrics().connections_open()
    }

    /// Waits until the server holds `n` connections.
    async fn wait_open(&self, n: u64) {
        let waited = tokio::time::timeout(GIVE_UP, async {
            while self.open() != n {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(
            waited.is_ok(),
            "the server never held {n} connections (it holds {})",
            self.open()
        );
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.handle.await.unwrap().unwrap();
    }
}

/// A raw client socket, non-blocking so that looking at it never waits.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nonblocking(true).unwrap();
    stream
}

/// Whether the server closed `stream`: end of file or a reset. Whatever it
/// sent before is read and dropped.
fn closed(mut stream: &TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return false,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return true,
        }
    }
}

/// The head a trickling client sends, one byte at a time: a request that
/// never ends (the last header grows forever).
fn trickle_byte(i: usize) -> u8 {
    const HEAD: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
    HEAD.get(i).copied().unwrap_or(b'a')
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_do_not_hold_up_a_normal_request_and_are_closed() {
    // The idle timeout is long here: the header-read timeout must be what
    // closes them (a trickling head keeps the connection busy).
    let limits = ServerLimits {
        header_read_timeout: Duration::from_secs(6),
        idle_timeout: Duration::from_secs(600),
        ..ServerLimits::default()
    };
    let header_read_timeout = limits.header_read_timeout;
    let server = Server::start(limits).await;
    // No connection may be closed before the header-read timeout has run
    // since it was opened; this is the earliest any of them opened.
    let first_opened = std::time::Instant::now();
    let silent: Vec<TcpStream> = (0..SLOW / 2).map(|_| connect(server.addr)).collect();
    let trickling: Arc<Vec<TcpStream>> =
        Arc::new((0..SLOW / 2).map(|_| connect(server.addr)).collect());
    // One byte per trickling connection every 100 ms until told to stop or
    // the server closes it.
    let writes_failed: Arc<Vec<AtomicBool>> =
        Arc::new((0..SLOW / 2).map(|_| AtomicBool::new(false)).collect());
    let stop_trickling = Arc::new(AtomicBool::new(false));
    let trickler = {
        let streams = Arc::clone(&trickling);
        let failed = Arc::clone(&writes_failed);
        let stop = Arc::clone(&stop_trickling);
        tokio::spawn(async move {
            let mut sent = 0usize;
            while !stop.load(Ordering::Relaxed) {
                for (stream, failed) in streams.iter().zip(failed.iter()) {
                    if failed.load(Ordering::Relaxed) {
                        continue;
                    }
                    match (&*stream).write(&[trickle_byte(sent)]) {
                        Ok(_) => {}
                        Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                        Err(_) => failed.store(true, Ordering::Relaxed),
                    }
                }
                sent += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    // The server holds all of them...
    server.wait_open(SLOW as u64).await;
    // ...and still answers a normal request in full.
    let page = reqwest::get(format!("http://{}/", server.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Pushes · 2026-W49"), "{page}");
    // Every slow connection was still open when the answer came, unless
    // a loaded machine took longer than the header-read timeout to get
    // here: then the server was right to close them, and only the closing
    // below can be checked.
    let answered_in_time = first_opened.elapsed() < header_read_timeout;
    let open_silent = silent.iter().filter(|s| !closed(s)).count();
    let open_trickling = trickling
        .iter()
        .zip(writes_failed.iter())
        .filter(|(s, failed)| !failed.load(Ordering::Relaxed) && !closed(s))
        .count();
    if answered_in_time {
        assert_eq!(
            (open_silent, open_trickling),
            (SLOW / 2, SLOW / 2),
            "slow connections were closed before the header-read timeout ran out"
        );
    } else {
        eprintln!(
            "the machine took over {header_read_timeout:?} to answer: \
             {open_silent} silent and {open_trickling} trickling connections still open"
        );
    }

    // Then the header-read timeout closes every one of them.
    let all_closed = tokio::time::timeout(GIVE_UP, async {
        loop {
            let silent_left = silent.iter().filter(|s| !closed(s)).count();
            let trickling_left = trickling
                .iter()
                .zip(writes_failed.iter())
                .filter(|(s, failed)| !failed.load(Ordering::Relaxed) && !closed(s))
                .count();
            if silent_left + trickling_left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    stop_trickling.store(true, Ordering::Relaxed);
    trickler.await.unwrap();
    assert!(all_closed.is_ok(), "slow connections were never closed");
    // The server let go of them too (the reqwest connection above may
    // still be open; it is closed by the same timeout).
    server.wait_open(0).await;
    // And it still answers.
    let health = reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_by_the_idle_timeout() {
    // The header-read timeout is long here: the idle timeout must be what
    // closes it.
    let limits = ServerLimits {
        header_read_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_secs(1),
        ..ServerLimits::default()
    };
    let server = Server::start(limits).await;
    let idle = connect(server.addr);
    server.wait_open(1).await;
    let gone = tokio::time::timeout(GIVE_UP, async {
        while !closed(&idle) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(gone.is_ok(), "the idle connection was never closed");
    server.wait_open(0).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_get_a_503_at_once() {
    let limits = ServerLimits {
        max_connections: 3,
        ..ServerLimits::default()
    };
    let server = Server::start(limits).await;
    let mut held: Vec<TcpStream> = (0..3).map(|_| connect(server.addr)).collect();
    server.wait_open(3).await;

    // A blocking socket: the busy answer comes without a request.
    let mut extra = TcpStream::connect(server.addr).unwrap();
    let answer = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        let _ = extra.read_to_string(&mut text);
        text
    })
    .await
    .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.contains("connection: close\r\n"), "{answer}");
    assert!(answer.ends_with("try again in a moment.\n"), "{answer}");
    assert_eq!(server.state.metrics().connections_rejected(), 1);

    // One slot freed: a normal request gets in.
    drop(held.remove(0));
    server.wait_open(2).await;
    let page = reqwest::get(format!("http://{}/week/2026-W49.json", server.addr))
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    // Shutdown does not wait for the idle ones.
    server.shutdown().await;
}
