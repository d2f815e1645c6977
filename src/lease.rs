//! The leader lease: replicas sharing a PostgreSQL state all poll and
//! serve the week view; only the holder of a session-level advisory lock
//! writes to Bugzilla (docs/ha.md).
//!
//! The lock lives on its own session. A standby tries to take it every
//! `lease.retry_secs`; the writer confirms it on that session before every
//! write ([`WriteGate::confirm`]: the lock is in `pg_locks` for this
//! session, answered within `lease.confirm_timeout_secs` of asking) and
//! when idle, and the moment a confirmation fails or is late it drops the
//! session and becomes a standby. A process that takes the lock waits
//! `lease.takeover_grace_secs` before its first write (the old writer's
//! last write is over by then, whatever freed the lock), then polls in
//! full, as after any restart, so that it reads the markers again.
//!
//! Must not: write to Bugzilla, or hold a std lock across an `await`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_postgres::{Client, NoTls};

use crate::config::Settings;
use crate::config_error::ConfigError;
use crate::execute::WriteGate;
use crate::store::postgres::{describe, replica_name};

pub mod settings;
pub use settings::{Bounds, LeaseSettings};

/// What this process is to Bugzilla's writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The only process (SQLite state): no lease.
    Single,
    /// Another replica holds the lease (or nobody can be reached).
    Standby,
    /// Holds the lock, waiting out the grace before its first write.
    TakingOver,
    /// Holds the lock and writes.
    Writer,
}

impl Role {
    /// The name on `/healthz` and `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Single => "single",
            Role::Standby => "standby",
            Role::TakingOver => "taking-over",
            Role::Writer => "writer",
        }
    }
}

/// The role and since when the lock is held, for `/healthz` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseStatus {
    pub role: Role,
    /// When this process took the lock (absent unless it holds it).
    pub held_since: Option<DateTime<Utc>>,
}

impl LeaseStatus {
    /// A process without a lease.
    pub const SINGLE: LeaseStatus = LeaseStatus {
        role: Role::Single,
        held_since: None,
    };

    /// How long the lock has been held at `now`, in seconds.
    pub fn age_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        self.held_since.map(|t| (now - t).num_seconds().max(0))
    }
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Standby,
    Holding {
        since: Instant,
        since_wall: DateTime<Utc>,
        writable_from: Instant,
        /// The full poll of this holding was handed to the poller.
        fresh_taken: bool,
    },
}

/// The lease, shared by the poller's executor (the gate), the web server
/// (the role) and its own task (taking and keeping the lock).
#[derive(Clone)]
pub struct Lease {
    inner: Arc<Inner>,
}

struct Inner {
    config: tokio_postgres::Config,
    location: String,
    replica: String,
    key: (u32, u32),
    key_value: i64,
    confirm: Duration,
    retry: Duration,
    grace: Duration,
    phase: Mutex<Phase>,
    session: Mutex<Option<Arc<Client>>>,
    /// Woken when the lease becomes writable (the poller starts a cycle).
    writable: Arc<Notify>,
}

/// Whether this session holds the advisory lock on the key (`classid`
/// holds the key's high 32 bits, `objid` its low ones, `objsubid` 1 for a
/// one-`bigint` key).
const HOLDS: &str = "SELECT EXISTS (SELECT 1 FROM pg_locks
     WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
       AND classid = $1 AND objid = $2 AND objsubid = 1)";

impl Lease {
    /// The lease for `settings` (`state.backend = "postgres"`); nothing
    /// connects until [`Lease::spawn`].
    pub fn new(settings: &Settings) -> Result<Lease, ConfigError> {
        let url = settings.state.postgres()?;
        let config = settings.lease.session_config(&url, "pushbot lease", true)?;
        let bounds = settings.lease.bounds(&settings.bugzilla);
        let key = settings.lease.lock_key;
        Ok(Lease {
            inner: Arc::new(Inner {
                location: describe(&config),
                config,
                replica: replica_name(),
                key: ((key >> 32) as u32, key as u32),
                key_value: key,
                confirm: Duration::from_secs(settings.lease.confirm_timeout_secs),
                retry: Duration::from_secs(settings.lease.retry_secs),
                grace: Duration::from_secs(bounds.grace),
                phase: Mutex::new(Phase::Standby),
                session: Mutex::new(None),
                writable: Arc::new(Notify::new()),
            }),
        })
    }

    /// Notified when this process may start writing (after the grace).
    pub fn writable(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.writable)
    }

    /// The role and the lock's age.
    pub fn status(&self) -> LeaseStatus {
        let now = Instant::now();
        match *self.inner.phase() {
            Phase::Standby => LeaseStatus {
                role: Role::Standby,
                held_since: None,
            },
            Phase::Holding {
                since_wall,
                writable_from,
                ..
            } => LeaseStatus {
                role: if now < writable_from {
                    Role::TakingOver
                } else {
                    Role::Writer
                },
                held_since: Some(since_wall),
            },
        }
    }

    /// True once per holding, at the first call after the grace: the
    /// poller then forgets its memory and polls in full.
    pub fn take_fresh_start(&self) -> bool {
        let mut phase = self.inner.phase();
        match &mut *phase {
            Phase::Holding {
                writable_from,
                fresh_taken,
                ..
            } if Instant::now() >= *writable_from && !*fresh_taken => {
                *fresh_taken = true;
                true
            }
            _ => false,
        }
    }

    /// Takes and keeps the lock until `shutdown` (dropping the session,
    /// which frees the lock at once, when the process stops).
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let lease = self.clone();
        tokio::spawn(async move {
            loop {
                lease.tick().await;
                tokio::time::sleep(lease.inner.retry).await;
            }
        })
    }

    /// One round: a standby tries the lock, a writer confirms it.
    async fn tick(&self) {
        let holding = matches!(*self.inner.phase(), Phase::Holding { .. });
        if holding {
            if let Err(why) = self.confirm_now().await {
                tracing::debug!(reason = %why, "lease heartbeat failed");
            }
            return;
        }
        match self.try_take().await {
            Ok(true) => {
                let now = Instant::now();
                let writable_from = now + self.inner.grace;
                *self.inner.phase() = Phase::Holding {
                    since: now,
                    since_wall: Utc::now(),
                    writable_from,
                    fresh_taken: false,
                };
                tracing::info!(
                    replica = %self.inner.replica,
                    database = %self.inner.location,
                    grace_secs = self.inner.grace.as_secs(),
                    "took the lease; first write after the grace, then a full poll"
                );
                let writable = Arc::clone(&self.inner.writable);
                let grace = self.inner.grace;
                tokio::spawn(async move {
                    tokio::time::sleep(grace).await;
                    writable.notify_one();
                });
            }
            Ok(false) => {}
            Err(why) => {
                self.drop_session();
                tracing::debug!(reason = %why, database = %self.inner.location, "lease: cannot reach PostgreSQL");
            }
        }
    }

    /// The lock's session, opened when there is none.
    async fn session(&self) -> Result<Arc<Client>, String> {
        if let Some(client) = self.inner.session().as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(client));
        }
        let connect = self.inner.config.connect(NoTls);
        let (client, connection) = tokio::time::timeout(self.inner.confirm, connect)
            .await
            .map_err(|_| "connecting timed out".to_string())?
            .map_err(|e| format!("connecting: {e}"))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "lease session ended");
            }
        });
        let client = Arc::new(client);
        *self.inner.session() = Some(Arc::clone(&client));
        Ok(client)
    }

    fn drop_session(&self) {
        self.inner.session().take();
    }

    async fn try_take(&self) -> Result<bool, String> {
        let client = self.session().await?;
        let key = self.inner.key_value;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&key];
        let ask = client.query_one("SELECT pg_try_advisory_lock($1)", &params);
        let row = tokio::time::timeout(self.inner.confirm, ask)
            .await
            .map_err(|_| "no answer in time".to_string())?
            .map_err(|e| e.to_string())?;
        row.try_get(0).map_err(|e| e.to_string())
    }

    /// Confirms the lock on its session, answered within the confirm
    /// timeout of asking; on any doubt, gives the lease up.
    async fn confirm_now(&self) -> Result<(), String> {
        let client = match self.inner.session().as_ref() {
            Some(client) => Arc::clone(client),
            None => return Err(self.lose("the lease's session is gone")),
        };
        let asked = Instant::now();
        let (high, low) = self.inner.key;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&high, &low];
        let answer =
            tokio::time::timeout(self.inner.confirm, client.query_one(HOLDS, &params)).await;
        match answer {
            Ok(Ok(row)) if row.try_get::<_, bool>(0).unwrap_or(false) => {
                if asked.elapsed() < self.inner.confirm {
                    Ok(())
                } else {
                    Err(self.lose("the confirmation came too late"))
                }
            }
            Ok(Ok(_)) => Err(self.lose("the session no longer holds the lock")),
            Ok(Err(e)) => Err(self.lose(&format!("confirming failed: {e}"))),
            Err(_) => Err(self.lose("PostgreSQL did not confirm in time")),
        }
    }

    /// Gives the lease up: a standby from now on, the session dropped (the
    /// server frees the lock at once if it hears of it, else when its
    /// timeouts notice).
    fn lose(&self, why: &str) -> String {
        let was = std::mem::replace(&mut *self.inner.phase(), Phase::Standby);
        self.drop_session();
        if let Phase::Holding { since, .. } = was {
            tracing::warn!(
                replica = %self.inner.replica,
                reason = why,
                held_secs = since.elapsed().as_secs(),
                "lost the lease: writing stops; a standby from now on"
            );
        }
        format!("lease not confirmed: {why}")
    }
}

impl Inner {
    fn phase(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn session(&self) -> MutexGuard<'_, Option<Arc<Client>>> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl WriteGate for Lease {
    fn may_write(&self) -> bool {
        self.status().role == Role::Writer
    }

    fn confirm(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            match self.status().role {
                Role::Writer => self.confirm_now().await,
                Role::TakingOver => {
                    Err("taking over: waiting out the old writer's writes".to_string())
                }
                Role::Standby | Role::Single => {
                    Err("a standby: another replica holds the lease".to_string())
                }
            }
        })
    }

    fn take_fresh_start(&self) -> bool {
        Lease::take_fresh_start(self)
    }

    fn writable(&self) -> Option<Arc<Notify>> {
        Some(Lease::writable(self))
    }
}
