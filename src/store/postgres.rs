//! The state in PostgreSQL (`state.backend = "postgres"`): the same tables
//! as the SQLite file, shared by the replicas of one bot.
//!
//! The store's calls are synchronous (the executor and poller call them
//! between awaits, as they call SQLite), so the session lives on the
//! store's own thread with the blocking client; a call waits for its answer
//! at most [`CALL_TIMEOUT`] and then fails (the store is speed, not truth:
//! the executor carries on to Bugzilla's markers). A session that broke is
//! opened again on the next call.
//!
//! Each replica polls on its own, so each keeps its own watermark row
//! (`watermark <replica>` in `meta`); the action log and the cycles are
//! shared. The schema version is in `pushbot_schema`, one row beside the
//! application id, migrated by the runner the SQLite file uses.

use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::{Client, NoTls};

use super::migrate::{self, Migrate, Step};
use super::{ts, ActionRecord, CycleRecord, Outcome, StoreError, APPLICATION_ID, SCHEMA_VERSION};
use crate::bugzilla::{BugId, CommentId};
use crate::config::Settings;
use crate::plan::{ActionKey, Marker};

/// The longest a store call waits for PostgreSQL's answer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A watermark row older than this belongs to a replica long gone.
const STALE_WATERMARK_DAYS: i64 = 30;

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// The handle the store's calls go through.
#[derive(Debug)]
pub struct PgStore {
    location: String,
    watermark_key: String,
    jobs: Mutex<mpsc::Sender<Job>>,
}

/// The store thread's side: the session, opened on demand.
struct Session {
    config: postgres::Config,
    client: Option<Client>,
}

impl Session {
    fn client(&mut self) -> Result<&mut Client, postgres::Error> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = Some(self.config.connect(NoTls)?);
        }
        match self.client.as_mut() {
            Some(client) => Ok(client),
            None => unreachable!("connected just above"),
        }
    }
}

/// The URL as messages may show it: no password.
pub fn describe(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_string());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

/// This process's name among the replicas (its watermark row, the lease's
/// log lines): the host and the process id.
pub fn replica_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_string());
    format!("{host}/{}", std::process::id())
}

impl PgStore {
    /// Connects, migrates the schema, and starts the store's thread.
    pub fn open(settings: &Settings) -> Result<PgStore, StoreError> {
        let url = settings
            .state
            .postgres()
            .map_err(|e| StoreError::PostgresSchema {
                location: "state.url".to_string(),
                reason: e.to_string(),
            })?;
        let config = settings
            .lease
            .session_config(&url, "pushbot store", false)
            .map_err(|e| StoreError::PostgresSchema {
                location: "state.url".to_string(),
                reason: e.to_string(),
            })?;
        let location = describe(&config);
        let (tx, rx) = mpsc::channel::<Job>();
        let mut session = Session {
            config: postgres::Config::from(config),
            client: None,
        };
        std::thread::Builder::new()
            .name("pushbot-store".to_string())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut session);
                }
            })
            .map_err(|e| StoreError::PostgresSchema {
                location: location.clone(),
                reason: format!("cannot start the store's thread: {e}"),
            })?;
        let store = PgStore {
            watermark_key: format!("watermark {}", replica_name()),
            location,
            jobs: Mutex::new(tx),
        };
        store.prepare()?;
        Ok(store)
    }

    /// The database, for messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Runs `f` on the store's session and waits for its answer.
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let location = self.location.clone();
        let job: Job = Box::new(move |session: &mut Session| {
            let answer = match session.client() {
                Ok(client) => f(client),
                Err(source) => Err(StoreError::Postgres { location, source }),
            };
            if session.client.as_ref().is_some_and(Client::is_closed) {
                session.client = None;
            }
            let _ = tx.send(answer);
        });
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(job);
        let unanswered = || StoreError::Unanswered {
            location: self.location.clone(),
            secs: CALL_TIMEOUT.as_secs(),
        };
        if sent.is_err() {
            return Err(unanswered());
        }
        rx.recv_timeout(CALL_TIMEOUT).map_err(|_| unanswered())?
    }

    fn prepare(&self) -> Result<(), StoreError> {
        let location = self.location.clone();
        self.call(move |client| {
            let mut db = PgMigration {
                client,
                location: location.clone(),
            };
            let version = db.begin()?;
            db.skip()?;
            if version > SCHEMA_VERSION {
                return Err(StoreError::PostgresSchema {
                    location,
                    reason: format!("schema version {version}, newer than this pushbot's {SCHEMA_VERSION}; upgrade pushbot (every replica)"),
                });
            }
            migrate::run(&mut db, version, SCHEMA_VERSION)
        })?;
        // Rows of replicas long gone.
        let stale = ts(Utc::now() - chrono::Duration::days(STALE_WATERMARK_DAYS));
        self.execute(
            "DELETE FROM meta WHERE key LIKE 'watermark %' AND value < $1",
            vec![Box::new(stale)],
        )?;
        Ok(())
    }

    fn execute(
        &self,
        sql: &'static str,
        params: Vec<Box<dyn postgres::types::ToSql + Send + Sync>>,
    ) -> Result<u64, StoreError> {
        let location = self.location.clone();
        self.call(move |client| {
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| &**p as _).collect();
            client
                .execute(sql, &refs)
                .map_err(|source| StoreError::Postgres { location, source })
        })
    }

    fn query(
        &self,
        sql: &'static str,
        params: Vec<Box<dyn postgres::types::ToSql + Send + Sync>>,
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let location = self.location.clone();
        self.call(move |client| {
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| &**p as _).collect();
            client
                .query(sql, &refs)
                .map_err(|source| StoreError::Postgres { location, source })
        })
    }

    fn bad(&self, table: &str, reason: impl std::fmt::Display) -> StoreError {
        StoreError::PostgresSchema {
            location: self.location.clone(),
            reason: format!("a bad value in {table}: {reason}; delete the row (the bot rebuilds what it needs from Bugzilla)"),
        }
    }

    fn get<T: for<'a> postgres::types::FromSql<'a>>(
        &self,
        row: &postgres::Row,
        table: &str,
        i: usize,
    ) -> Result<T, StoreError> {
        row.try_get(i).map_err(|e| self.bad(table, e))
    }

    fn parse_time(&self, table: &str, text: &str) -> Result<DateTime<Utc>, StoreError> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| self.bad(table, format!("time `{text}`: {e}")))
    }

    pub(super) fn schema_version(&self) -> Result<u32, StoreError> {
        let rows = self.query("SELECT version FROM pushbot_schema", vec![])?;
        match rows.first() {
            Some(row) => {
                let v: i64 = self.get(row, "pushbot_schema", 0)?;
                u32::try_from(v).map_err(|e| self.bad("pushbot_schema", e))
            }
            None => Ok(0),
        }
    }

    pub(super) fn watermark(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let rows = self.query(
            "SELECT value FROM meta WHERE key = $1",
            vec![Box::new(self.watermark_key.clone())],
        )?;
        match rows.first() {
            Some(row) => {
                let text: String = self.get(row, "meta", 0)?;
                self.parse_time("meta", &text).map(Some)
            }
            None => Ok(None),
        }
    }

    pub(super) fn set_watermark(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![Box::new(self.watermark_key.clone()), Box::new(ts(at))],
        )?;
        Ok(())
    }

    pub(super) fn record_action(&self, record: &ActionRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO actions (bug, rule, discriminator, comment_id, taken_at, dry_run, outcome)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                Box::new(record.key.bug.0 as i64),
                Box::new(record.key.name().to_string()),
                Box::new(record.key.mark.discriminator().to_string()),
                Box::new(record.comment_id.map(|c| c.0 as i64)),
                Box::new(ts(record.at)),
                Box::new(i64::from(record.dry_run)),
                Box::new(record.outcome.as_str().to_string()),
            ],
        )?;
        Ok(())
    }

    pub(super) fn is_done(&self, key: &ActionKey) -> Result<bool, StoreError> {
        let rows = self.query(
            "SELECT 1 FROM actions
             WHERE bug = $1 AND rule = $2 AND discriminator = $3 AND dry_run = 0
             LIMIT 1",
            vec![
                Box::new(key.bug.0 as i64),
                Box::new(key.name().to_string()),
                Box::new(key.mark.discriminator().to_string()),
            ],
        )?;
        Ok(!rows.is_empty())
    }

    pub(super) fn actions_for_bug(&self, bug: BugId) -> Result<Vec<ActionRecord>, StoreError> {
        let rows = self.query(
            "SELECT bug, rule, discriminator, comment_id, taken_at, dry_run, outcome
             FROM actions WHERE bug = $1 ORDER BY id",
            vec![Box::new(bug.0 as i64)],
        )?;
        self.actions(&rows)
    }

    pub(super) fn recent_actions(&self, limit: u32) -> Result<Vec<ActionRecord>, StoreError> {
        let rows = self.query(
            "SELECT bug, rule, discriminator, comment_id, taken_at, dry_run, outcome
             FROM actions ORDER BY id DESC LIMIT $1",
            vec![Box::new(i64::from(limit))],
        )?;
        self.actions(&rows)
    }

    fn actions(&self, rows: &[postgres::Row]) -> Result<Vec<ActionRecord>, StoreError> {
        rows.iter()
            .map(|row| {
                let bug: i64 = self.get(row, "actions", 0)?;
                let rule: String = self.get(row, "actions", 1)?;
                let disc: String = self.get(row, "actions", 2)?;
                let comment: Option<i64> = self.get(row, "actions", 3)?;
                let at: String = self.get(row, "actions", 4)?;
                let dry_run: i64 = self.get(row, "actions", 5)?;
                let outcome: String = self.get(row, "actions", 6)?;
                Ok(ActionRecord {
                    key: ActionKey::of(BugId(bug as u64), Marker::from_parts(&rule, &disc)),
                    comment_id: comment.map(|c| CommentId(c as u64)),
                    at: self.parse_time("actions", &at)?,
                    dry_run: dry_run != 0,
                    outcome: Outcome::parse(&outcome)
                        .ok_or_else(|| self.bad("actions", format!("outcome `{outcome}`")))?,
                })
            })
            .collect()
    }

    pub(super) fn record_cycle(&self, cycle: &CycleRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO cycles (started_at, duration_ms, requests, planned, taken,
                                 duplicates, errors, alert, watermark)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                Box::new(ts(cycle.started_at)),
                Box::new(cycle.duration_ms as i64),
                Box::new(cycle.requests as i64),
                Box::new(cycle.planned as i64),
                Box::new(cycle.taken as i64),
                Box::new(cycle.duplicates as i64),
                Box::new(cycle.errors as i64),
                Box::new(cycle.alert.clone()),
                Box::new(cycle.watermark.map(ts)),
            ],
        )?;
        Ok(())
    }

    pub(super) fn recent_cycles(&self, limit: u32) -> Result<Vec<CycleRecord>, StoreError> {
        let rows = self.query(
            "SELECT started_at, duration_ms, requests, planned, taken, duplicates,
                    errors, alert, watermark
             FROM cycles ORDER BY id DESC LIMIT $1",
            vec![Box::new(i64::from(limit))],
        )?;
        rows.iter()
            .map(|row| {
                let started: String = self.get(row, "cycles", 0)?;
                let n = |i: usize| -> Result<u64, StoreError> {
                    Ok(self.get::<i64>(row, "cycles", i)? as u64)
                };
                let mark: Option<String> = self.get(row, "cycles", 8)?;
                Ok(CycleRecord {
                    started_at: self.parse_time("cycles", &started)?,
                    duration_ms: n(1)?,
                    requests: n(2)?,
                    planned: n(3)?,
                    taken: n(4)?,
                    duplicates: n(5)?,
                    errors: n(6)?,
                    alert: self.get(row, "cycles", 7)?,
                    watermark: mark.map(|m| self.parse_time("cycles", &m)).transpose()?,
                })
            })
            .collect()
    }
}

/// The key of the transaction lock that serialises migrating replicas.
const MIGRATION_LOCK: i64 = 0x5053_484d;

/// The migration runner's view of the database: a step is one
/// transaction, under a transaction-level advisory lock, and the version
/// is the one row of `pushbot_schema`.
struct PgMigration<'a> {
    client: &'a mut Client,
    location: String,
}

impl PgMigration<'_> {
    fn err(&self, source: postgres::Error) -> StoreError {
        StoreError::Postgres {
            location: self.location.clone(),
            source,
        }
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let done = self.client.batch_execute(sql);
        done.map_err(|e| self.err(e))
    }

    fn abort(&mut self, e: StoreError) -> StoreError {
        let _ = self.client.batch_execute("ROLLBACK");
        e
    }
}

impl Migrate for PgMigration<'_> {
    type Error = StoreError;

    fn begin(&mut self) -> Result<u32, StoreError> {
        self.batch(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
             CREATE TABLE IF NOT EXISTS pushbot_schema (
                 application_id BIGINT NOT NULL,
                 version        BIGINT NOT NULL
             );"
        ))?;
        let rows = match self
            .client
            .query("SELECT application_id, version FROM pushbot_schema", &[])
        {
            Ok(rows) => rows,
            Err(e) => {
                let e = self.err(e);
                return Err(self.abort(e));
            }
        };
        let Some(row) = rows.first() else {
            return Ok(0);
        };
        let (app, version): (i64, i64) = (row.get(0), row.get(1));
        if app != i64::from(APPLICATION_ID) {
            let e = StoreError::PostgresSchema {
                location: self.location.clone(),
                reason: format!("pushbot_schema names application {app:#x}, not pushbot's; give pushbot its own database"),
            };
            return Err(self.abort(e));
        }
        Ok(u32::try_from(version).unwrap_or(u32::MAX))
    }

    fn apply(&mut self, step: &Step, to: u32) -> Result<(), StoreError> {
        let text = format!(
            "{}
             DELETE FROM pushbot_schema;
             INSERT INTO pushbot_schema (application_id, version) VALUES ({APPLICATION_ID}, {to});
             COMMIT;",
            step.postgres
        );
        match self.batch(&text) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.abort(e)),
        }
    }

    fn skip(&mut self) -> Result<(), StoreError> {
        self.batch("ROLLBACK")
    }

    fn migrated(&mut self, version: u32) {
        tracing::info!(database = %self.location, version, "state database migrated");
    }
}
