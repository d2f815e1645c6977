//! The sandbox's request log: what was asked, by route, and what it got.
//!
//! Tests read it to assert what the bot did (e.g. "exactly one POST to
//! `/rest/bug/{id}/comment`"). Query strings are not kept: they carry API
//! keys.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use tokio::sync::watch;

use super::faults::FaultKind;

/// One request as the sandbox saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The normalised route, e.g. `GET /rest/bug/{id}/comment`.
    pub route: String,
    /// HTTP status answered; `None` when the connection was dropped, or
    /// the answer was held (`FaultKind::LateWrite` with `LateAnswer::Hold`).
    pub status: Option<u16>,
    /// The fault injected, if any.
    pub fault: Option<FaultKind>,
}

/// Thread-safe append-only log.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
    /// How many entries there are, bumped after each push: what a test
    /// waiting for a request (`SandboxHandle::wait_for_requests`) wakes on.
    logged: watch::Sender<usize>,
}

impl Default for RequestLog {
    fn default() -> Self {
        Self {
            entries: Mutex::new(Vec::new()),
            logged: watch::Sender::new(0),
        }
    }
}

impl RequestLog {
    pub(crate) fn push(&self, entry: LoggedRequest) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
        self.logged.send_modify(|n| *n += 1);
    }

    /// Wakes on every entry pushed from now on.
    pub(crate) fn subscribe(&self) -> watch::Receiver<usize> {
        self.logged.subscribe()
    }

    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Requests per route.
    pub(crate) fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for entry in self.snapshot() {
            *out.entry(entry.route).or_insert(0) += 1;
        }
        out
    }
}

/// Names a request's route: `/rest.cgi` becomes `/rest`, numeric segments
/// become `{id}`.
pub fn route_name(method: &str, path: &str) -> String {
    let path = path
        .strip_prefix("/rest.cgi")
        .map(|rest| format!("/rest{rest}"))
        .unwrap_or_else(|| path.to_owned());
    let normal: Vec<String> = path
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}".to_owned()
            } else {
                segment.to_owned()
            }
        })
        .collect();
    format!("{method} {}", normal.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_normalised() {
        assert_eq!(
            route_name("POST", "/rest.cgi/bug/12/comment"),
            "POST /rest/bug/{id}/comment"
        );
        assert_eq!(route_name("GET", "/rest/bug"), "GET /rest/bug");
    }
}
