//! Loopback addresses for tests of what the client does when nobody
//! answers.

use std::net::SocketAddr;

use tokio::net::{TcpSocket, TcpStream};

/// A loopback address that refuses connections, and the socket that keeps
/// it so: bound (the port stays this test's while the socket lives) but not
/// listening, so a connection is refused. Unlike a port bound and let go,
/// no other process can take it in between.
pub fn refusing() -> (TcpSocket, SocketAddr) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

/// Whether a connection to `addr` is refused (the check the helper's
/// promise rests on).
pub async fn is_refused(addr: SocketAddr) -> bool {
    matches!(
        TcpStream::connect(addr).await,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}
