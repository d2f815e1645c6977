//! Bugzilla's webhooks as the trigger, polling as the safety net.
//!
//! bugzilla.mozilla.org (and trees with its Webhooks extension) POSTs an
//! event when a bug is created or changed or a comment is added (REST.md
//! §10). The endpoint ([`endpoint`]) checks the shared secret, reads the
//! event ([`event`]), drops what needs no run (the bot's own changes, a bug
//! of another product, a redelivered copy) and queues the bug in the
//! poller's [`Trigger`](crate::poll::Trigger); the daemon loop then
//! re-reads the bug and plans and executes exactly as a poll cycle does
//! (`Poller::run_triggered`). Polling goes on at `webhook.poll_interval_secs`
//! and catches what no event announced.
//!
//! - [`settings`]: `[webhook]` (listen address, secret header, secret, poll
//!   interval).
//! - [`event`]: a delivery read as a trigger (bug, kind, who, identity).
//! - [`endpoint`]: `POST /bugzilla/webhook` on its own listen address.
//!
//! Must not: act on a payload's content (the bug is re-read), log a body
//! or the secret, or answer an authenticated delivery with anything but
//! 2xx (a non-2xx answer blocks BMO's backlog until it disables the hook).

pub mod endpoint;
pub mod event;
pub mod settings;

pub use settings::WebhookSettings;

/// What became of one delivery; each is counted in `/metrics`
/// (`pushbot_webhook_events_total{outcome}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The bug was queued for a re-read.
    Accepted,
    /// The same event was received before (a redelivery): nothing to do.
    Duplicate,
    /// Caused by the bot's own account: its own change needs no run.
    IgnoredOwn,
    /// The payload names a product or component the bot does not watch
    /// and the bug is not in memory: dropped without a read.
    Untracked,
    /// Not JSON, or no bug id: answered 2xx, left to polling.
    Malformed,
    /// A routing key the bot does not know: answered 2xx, left to polling.
    UnknownKind,
    /// Missing or wrong secret: answered 401.
    Unauthorized,
}

impl Outcome {
    /// Every outcome, in the order `/healthz` lists them.
    pub const ALL: [Outcome; 7] = [
        Outcome::Accepted,
        Outcome::Duplicate,
        Outcome::IgnoredOwn,
        Outcome::Untracked,
        Outcome::Malformed,
        Outcome::UnknownKind,
        Outcome::Unauthorized,
    ];

    /// The label value in `/metrics` and the key in `/healthz`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Duplicate => "duplicate",
            Outcome::IgnoredOwn => "ignored_own",
            Outcome::Untracked => "untracked",
            Outcome::Malformed => "malformed",
            Outcome::UnknownKind => "unknown_kind",
            Outcome::Unauthorized => "unauthorized",
        }
    }
}
