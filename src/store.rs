//! The local state: one SQLite file (`state.path`, WAL mode) holding the
//! polling watermark, the actions taken and a record of every cycle.
//!
//! Bugzilla is the ledger (DESIGN.md, invariant 1); this store is history
//! and speed. Deleting the file loses nothing that matters: the executor
//! finds the bot's markers in Bugzilla and records them again, and posts no
//! duplicate.
//!
//! Each table has a reader:
//!
//! - `meta` (the watermark): the poller's incremental search starts there.
//! - `actions`: the executor skips an action the store already has
//!   ([`Store::is_done`]) before it reads Bugzilla's markers; the rows are
//!   also the log of what the bot did and how it settled (an operator reads
//!   them with `sqlite3`, tests with [`Store::actions_for_bug`]).
//! - `cycles`: the operator's history of the cycles (requests, writes,
//!   errors, the write-cap alert), read with `sqlite3`; the running bot
//!   keeps its counters in memory (`metrics::Metrics`).
//!
//! What the store no longer keeps, because nothing read it back to decide
//! anything (schema version 4 drops the tables of older files): snoozes
//! (version 3; they live in Bugzilla, in the bot's `[pushbot snooze …]`
//! reply markers), nag counts (a rule counts its nags from its own markers,
//! `nag-1`, `nag-2`, …; the action log holds every posted one) and answered
//! commands (a command is answered when its reply marker is in the bug's
//! comments; the action log holds the reply's key and comment id).
//!
//! The schema carries a version (`PRAGMA user_version`) and an application
//! id (`PRAGMA application_id`), so that opening a file from a newer pushbot
//! or a file that is not pushbot's fails with a message saying what to do,
//! and older files are migrated in place, one step at a time.
//!
//! Must not: talk to Bugzilla, decide anything, or hold a lock across an
//! `await` (every method is synchronous and short).

pub mod settings;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use thiserror::Error;

use crate::bugzilla::{BugId, CommentId};
use crate::config::Settings;
use crate::plan::{ActionKey, Marker};

mod migrate;
pub mod postgres;
pub use settings::{StateBackend, StateSettings};

/// Marks a SQLite file as pushbot's (`PSHB` in ASCII).
pub const APPLICATION_ID: i32 = 0x5053_4842;

/// How long a statement waits for another connection's write lock before
/// failing with [`StoreError::Locked`]. Writes are tiny, so a few seconds
/// means something is wrong (another bot running on the same file).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = migrate::STEPS.len() as u32;

/// A problem with the state file. Every message names the file and says
/// what to do.
#[derive(Debug, Error)]
pub enum StoreError {
    /// Another process holds the write lock for longer than the busy timeout.
    #[error("state file {path} is locked by another process; is another pushbot running on it? Stop it, or give this one its own `state.path`")]
    Locked { path: PathBuf },
    /// The file is not SQLite, or is SQLite written by something else.
    #[error("{path} is not a pushbot state file ({reason}); point `state.path` at a new file, or move this one away")]
    NotPushbot { path: PathBuf, reason: String },
    /// The file was written by a newer pushbot.
    #[error("state file {path} has schema version {found}, newer than this pushbot's {supported}; upgrade pushbot, or move the file away (the bot rebuilds what it needs from Bugzilla)")]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// A stored value could not be read back (hand-edited or damaged file).
    #[error("state file {path} holds a bad value in {table}: {reason}; move the file away (the bot rebuilds what it needs from Bugzilla)")]
    Corrupt {
        path: PathBuf,
        table: &'static str,
        reason: String,
    },
    /// The file's directory could not be created.
    #[error("cannot create the directory of state file {path}: {source}; create it, or set `state.path` to a writable place")]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// PostgreSQL refused, failed or could not be reached.
    #[error("state database {location}: {source}; check `state.url`, that PostgreSQL is up and reachable from here, and the user's rights")]
    Postgres {
        location: String,
        #[source]
        source: ::postgres::Error,
    },
    /// PostgreSQL did not answer in time (down, or cut off).
    #[error("state database {location} did not answer within {secs} s; check PostgreSQL and the network to it (the bot carries on: the markers in Bugzilla are the ledger)")]
    Unanswered { location: String, secs: u64 },
    /// The database holds something pushbot did not write, or a newer
    /// schema, or a value it cannot read back.
    #[error("state database {location}: {reason}")]
    PostgresSchema { location: String, reason: String },
    /// Any other SQLite failure (disk full, permissions, …).
    #[error("state file {path}: {source}; check the file's permissions and free disk space")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

/// How an action was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The bot made the write (comment and/or update).
    Posted,
    /// The marker was already in Bugzilla (an earlier run, or a write whose
    /// outcome was unknown and turned out to have succeeded).
    FoundMarker,
    /// Dry-run: the write was printed, not made.
    DryRun,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Posted => "posted",
            Outcome::FoundMarker => "found-marker",
            Outcome::DryRun => "dry-run",
        }
    }

    fn parse(text: &str) -> Option<Outcome> {
        match text {
            "posted" => Some(Outcome::Posted),
            "found-marker" => Some(Outcome::FoundMarker),
            "dry-run" => Some(Outcome::DryRun),
            _ => None,
        }
    }
}

/// One row of the action log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    pub key: ActionKey,
    /// The bot's comment carrying the marker, when known.
    pub comment_id: Option<CommentId>,
    /// When the action was settled (the cycle's "now").
    pub at: DateTime<Utc>,
    /// True when nothing was written (dry-run).
    pub dry_run: bool,
    pub outcome: Outcome,
}

/// One finished cycle, for people reading the state file (`sqlite3 pushbot.sqlite 'SELECT * FROM cycles'`); `/metrics` counts cycles in `metrics::Metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleRecord {
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    /// HTTP requests made to Bugzilla.
    pub requests: u64,
    pub planned: u64,
    pub taken: u64,
    /// Planned actions already done (store or marker in Bugzilla).
    pub duplicates: u64,
    pub errors: u64,
    /// Set when the write cap stopped the cycle's writes.
    pub alert: Option<String>,
    /// The watermark saved at the end of the cycle, if any.
    pub watermark: Option<DateTime<Utc>>,
}

/// The state file. Cheap to share behind `&`: the connection sits behind a
/// mutex because `rusqlite::Connection` is not `Sync` and the poller's
/// future must be `Send`; no method holds it for long.
#[derive(Debug)]
struct Sqlite {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Sqlite {
    /// Opens the state file, creating it (and its directory) on first run,
    /// and migrates it to [`SCHEMA_VERSION`].
    fn open(path: &Path) -> Result<Sqlite, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
                path: path.to_path_buf(),
                source,
            })?;
        }
        Self::open_upto(path, SCHEMA_VERSION)
    }

    /// Opens and migrates up to `target` (tests build older files with it).
    fn open_upto(path: &Path, target: u32) -> Result<Sqlite, StoreError> {
        let conn = Connection::open(path).map_err(|e| classify(path, e))?;
        let store = Sqlite {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        };
        store.prepare(target)?;
        Ok(store)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves a connection that is still
        // consistent (SQLite rolls back the open statement), so keep going.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        classify(&self.path, e)
    }

    fn corrupt(&self, table: &'static str, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            table,
            reason: reason.into(),
        }
    }

    fn prepare(&self, target: u32) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| classify(&self.path, e))?;
        let app_id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| classify(&self.path, e))?;
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| classify(&self.path, e))?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| classify(&self.path, e))?;
        let fresh = app_id == 0 && version == 0 && tables == 0;
        if !fresh && app_id != APPLICATION_ID {
            return Err(StoreError::NotPushbot {
                path: self.path.clone(),
                reason: format!("application id {app_id:#x}, tables {tables}"),
            });
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        // WAL lets the web page read while the poller writes.
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| classify(&self.path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %self.path.display(), mode, "state file is not in WAL mode");
        }
        migrate::run(
            &mut SqliteMigration {
                conn: &conn,
                path: &self.path,
            },
            version,
            target,
        )?;
        Ok(())
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The server time of the last complete cycle, if any.
    pub fn watermark(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let text: Option<String> = self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = 'watermark'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        text.map(|t| self.parse_time("meta", &t)).transpose()
    }

    /// Saves the watermark; call only once the cycle's writes are done.
    pub fn set_watermark(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO meta (key, value) VALUES ('watermark', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![ts(at)],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn parse_time(&self, table: &'static str, text: &str) -> Result<DateTime<Utc>, StoreError> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| self.corrupt(table, format!("time `{text}`: {e}")))
    }

    /// Appends one row to the action log.
    pub fn record_action(&self, record: &ActionRecord) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO actions (bug, rule, discriminator, comment_id, taken_at, dry_run, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    record.key.bug.0 as i64,
                    record.key.name(),
                    record.key.mark.discriminator(),
                    record.comment_id.map(|c| c.0 as i64),
                    ts(record.at),
                    record.dry_run,
                    record.outcome.as_str(),
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Whether the action is known to be in Bugzilla (a real write or a
    /// marker found there; dry-run rows do not count).
    pub fn is_done(&self, key: &ActionKey) -> Result<bool, StoreError> {
        let found: Option<i64> = self
            .conn()
            .query_row(
                "SELECT 1 FROM actions
                 WHERE bug = ?1 AND rule = ?2 AND discriminator = ?3 AND dry_run = 0
                 LIMIT 1",
                params![key.bug.0 as i64, key.name(), key.mark.discriminator()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(found.is_some())
    }

    /// The action log of one bug, oldest first.
    pub fn actions_for_bug(&self, bug: BugId) -> Result<Vec<ActionRecord>, StoreError> {
        self.select_actions(
            "SELECT bug, rule, discriminator, comment_id, taken_at, dry_run, outcome
             FROM actions WHERE bug = ?1 ORDER BY id",
            bug.0 as i64,
        )
    }

    /// The newest `limit` actions, newest first.
    pub fn recent_actions(&self, limit: u32) -> Result<Vec<ActionRecord>, StoreError> {
        self.select_actions(
            "SELECT bug, rule, discriminator, comment_id, taken_at, dry_run, outcome
             FROM actions ORDER BY id DESC LIMIT ?1",
            i64::from(limit),
        )
    }

    fn select_actions(&self, sql: &str, arg: i64) -> Result<Vec<ActionRecord>, StoreError> {
        type Row = (i64, String, String, Option<i64>, String, bool, String);
        let rows: Vec<Row> = {
            let conn = self.conn();
            let mut stmt = conn.prepare(sql).map_err(|e| self.err(e))?;
            let mapped = stmt
                .query_map(params![arg], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })
                .map_err(|e| self.err(e))?;
            mapped.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        rows.into_iter()
            .map(|(bug, rule, disc, comment, at, dry_run, outcome)| {
                Ok(ActionRecord {
                    // As written: a marker prints back its two strings.
                    key: ActionKey::of(BugId(bug as u64), Marker::from_parts(&rule, &disc)),
                    comment_id: comment.map(|c| CommentId(c as u64)),
                    at: self.parse_time("actions", &at)?,
                    dry_run,
                    outcome: Outcome::parse(&outcome)
                        .ok_or_else(|| self.corrupt("actions", format!("outcome `{outcome}`")))?,
                })
            })
            .collect()
    }

    /// Appends a cycle record.
    pub fn record_cycle(&self, cycle: &CycleRecord) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO cycles (started_at, duration_ms, requests, planned, taken,
                                     duplicates, errors, alert, watermark)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    ts(cycle.started_at),
                    cycle.duration_ms as i64,
                    cycle.requests as i64,
                    cycle.planned as i64,
                    cycle.taken as i64,
                    cycle.duplicates as i64,
                    cycle.errors as i64,
                    cycle.alert,
                    cycle.watermark.map(ts),
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The newest `limit` cycles, newest first.
    pub fn recent_cycles(&self, limit: u32) -> Result<Vec<CycleRecord>, StoreError> {
        type Row = (
            String,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = {
            let conn = self.conn();
            let mut stmt = conn
                .prepare(
                    "SELECT started_at, duration_ms, requests, planned, taken, duplicates,
                            errors, alert, watermark
                     FROM cycles ORDER BY id DESC LIMIT ?1",
                )
                .map_err(|e| self.err(e))?;
            let mapped = stmt
                .query_map(params![i64::from(limit)], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                    ))
                })
                .map_err(|e| self.err(e))?;
            mapped.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        rows.into_iter()
            .map(
                |(started, ms, requests, planned, taken, dups, errors, alert, mark)| {
                    Ok(CycleRecord {
                        started_at: self.parse_time("cycles", &started)?,
                        duration_ms: ms as u64,
                        requests: requests as u64,
                        planned: planned as u64,
                        taken: taken as u64,
                        duplicates: dups as u64,
                        errors: errors as u64,
                        alert,
                        watermark: mark.map(|m| self.parse_time("cycles", &m)).transpose()?,
                    })
                },
            )
            .collect()
    }
}

/// The migration runner's view of a SQLite file: a step is one
/// transaction, the version is `PRAGMA user_version`.
struct SqliteMigration<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

impl SqliteMigration<'_> {
    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.conn
            .execute_batch(sql)
            .map_err(|e| classify(self.path, e))
    }

    /// Rolls back after a failed step, keeping the step's error.
    fn abort(&self, e: StoreError) -> StoreError {
        let _ = self.conn.execute_batch("ROLLBACK");
        e
    }
}

impl migrate::Migrate for SqliteMigration<'_> {
    type Error = StoreError;

    fn begin(&mut self) -> Result<u32, StoreError> {
        self.batch("BEGIN DEFERRED")?;
        // Re-read inside the transaction: another process may have
        // migrated the file meanwhile.
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.abort(classify(self.path, e)))
    }

    fn apply(&mut self, step: &migrate::Step, to: u32) -> Result<(), StoreError> {
        self.batch(step.sqlite)
            .and_then(|()| {
                self.batch(&format!(
                    "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {to};"
                ))
            })
            .and_then(|()| self.batch("COMMIT"))
            .map_err(|e| self.abort(e))
    }

    fn skip(&mut self) -> Result<(), StoreError> {
        self.batch("ROLLBACK")
    }

    fn migrated(&mut self, version: u32) {
        tracing::info!(path = %self.path.display(), version, "state file migrated");
    }
}

/// Where the state lives: the SQLite file (the default) or a PostgreSQL
/// database shared by replicas (`state.backend = "postgres"`).
#[derive(Debug)]
enum Backend {
    Sqlite(Sqlite),
    Postgres(postgres::PgStore),
}

/// The state store: the same tables and the same calls on either backend.
/// Every method is synchronous and short (PostgreSQL's are answered by the
/// store's own thread, within [`postgres::CALL_TIMEOUT`]).
#[derive(Debug)]
pub struct Store {
    backend: Backend,
}

/// Calls `$method` on whichever backend holds the state.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(s) => s.$method($($arg),*),
            Backend::Postgres(p) => p.$method($($arg),*),
        }
    };
}

impl Store {
    /// Opens the SQLite state file, creating it (and its directory) on
    /// first run, and migrates it to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Sqlite(Sqlite::open(path)?),
        })
    }

    /// Opens the store `[state]` names: the SQLite file, or the PostgreSQL
    /// database (connecting, and migrating it to [`SCHEMA_VERSION`]).
    pub fn from_settings(settings: &Settings) -> Result<Store, StoreError> {
        match settings.state.backend {
            StateBackend::Sqlite => Store::open(&settings.state.path),
            StateBackend::Postgres => Ok(Store {
                backend: Backend::Postgres(postgres::PgStore::open(settings)?),
            }),
        }
    }

    /// Opens and migrates up to `target` (tests build older files with it).
    #[cfg(test)]
    fn open_upto(path: &Path, target: u32) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Sqlite(Sqlite::open_upto(path, target)?),
        })
    }

    /// The SQLite connection (tests look inside the file).
    #[cfg(test)]
    fn conn(&self) -> MutexGuard<'_, Connection> {
        match &self.backend {
            Backend::Sqlite(s) => s.conn(),
            Backend::Postgres(_) => panic!("not a SQLite store"),
        }
    }

    /// Where the state is, for messages: the file, or the database's URL
    /// without its password.
    pub fn location(&self) -> String {
        match &self.backend {
            Backend::Sqlite(s) => s.path.display().to_string(),
            Backend::Postgres(p) => p.location().to_string(),
        }
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        dispatch!(self.schema_version())
    }

    /// The server time of the last complete cycle of this process (with
    /// PostgreSQL each replica keeps its own), if any.
    pub fn watermark(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        dispatch!(self.watermark())
    }

    /// Saves the watermark; call only once the cycle's writes are done.
    pub fn set_watermark(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        dispatch!(self.set_watermark(at))
    }

    /// Appends one row to the action log.
    pub fn record_action(&self, record: &ActionRecord) -> Result<(), StoreError> {
        dispatch!(self.record_action(record))
    }

    /// Whether the action is known to be in Bugzilla (a real write or a
    /// marker found there; dry-run rows do not count).
    pub fn is_done(&self, key: &ActionKey) -> Result<bool, StoreError> {
        dispatch!(self.is_done(key))
    }

    /// The action log of one bug, oldest first.
    pub fn actions_for_bug(&self, bug: BugId) -> Result<Vec<ActionRecord>, StoreError> {
        dispatch!(self.actions_for_bug(bug))
    }

    /// The newest `limit` actions, newest first.
    pub fn recent_actions(&self, limit: u32) -> Result<Vec<ActionRecord>, StoreError> {
        dispatch!(self.recent_actions(limit))
    }

    /// Appends a cycle record.
    pub fn record_cycle(&self, cycle: &CycleRecord) -> Result<(), StoreError> {
        dispatch!(self.record_cycle(cycle))
    }

    /// The newest `limit` cycles, newest first.
    pub fn recent_cycles(&self, limit: u32) -> Result<Vec<CycleRecord>, StoreError> {
        dispatch!(self.recent_cycles(limit))
    }
}

/// Turns SQLite's error codes into the errors a person can act on.
fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            StoreError::Locked { path }
        }
        Some(ErrorCode::NotADatabase) => StoreError::NotPushbot {
            path,
            reason: "not an SQLite database".to_string(),
        },
        _ => StoreError::Sqlite { path, source: e },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0).unwrap()
    }

    fn key(bug: u64, rule: &str, disc: &str) -> ActionKey {
        ActionKey::new(BugId(bug), rule, disc)
    }

    #[test]
    fn creates_then_reopens_with_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.sqlite");
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
            assert_eq!(store.watermark().unwrap(), None);
            store.set_watermark(at(10, 0)).unwrap();
            store.set_watermark(at(10, 5)).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.watermark().unwrap(), Some(at(10, 5)));
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn migrates_a_version_1_file_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        {
            let old = Store::open_upto(&path, 1).unwrap();
            assert_eq!(old.schema_version().unwrap(), 1);
            old.conn()
                .execute(
                    "INSERT INTO actions (bug, rule, discriminator, comment_id, taken_at, dry_run)
                     VALUES (7, 'no-owner', '2026-W48', 99, '2026-11-24T10:00:00Z', 0)",
                    [],
                )
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let rows = store.actions_for_bug(BugId(7)).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].outcome, Outcome::Posted);
        assert_eq!(rows[0].comment_id, Some(CommentId(99)));
        assert!(store.is_done(&key(7, "no-owner", "2026-W48")).unwrap());
        // The cycles table of version 2 exists and works.
        let cycle = CycleRecord {
            started_at: at(11, 0),
            duration_ms: 1,
            requests: 1,
            planned: 0,
            taken: 0,
            duplicates: 0,
            errors: 0,
            alert: None,
            watermark: None,
        };
        store.record_cycle(&cycle).unwrap();
        assert_eq!(store.recent_cycles(1).unwrap(), vec![cycle]);
    }

    /// The names of the tables in the open file.
    fn tables(store: &Store) -> Vec<String> {
        let conn = store.conn();
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let names = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        names
    }

    #[test]
    fn a_version_3_file_opens_without_its_nag_counts_and_answered_commands() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        {
            // A file as pushbot wrote it before version 4, with a row in
            // every table.
            let old = Store::open_upto(&path, 3).unwrap();
            assert_eq!(old.schema_version().unwrap(), 3);
            old.set_watermark(at(9, 0)).unwrap();
            old.conn()
                .execute_batch(
                    "INSERT INTO actions (bug, rule, discriminator, comment_id, taken_at, dry_run, outcome)
                     VALUES (7, 'check', 'c500', 501, '2026-11-24T10:00:00Z', 0, 'posted');
                     INSERT INTO nags (bug, rule, count, last_at)
                     VALUES (7, 'no-owner', 2, '2026-11-24T10:00:00Z');
                     INSERT INTO commands (comment_id, bug, reply_comment_id, answered_at)
                     VALUES (500, 7, 501, '2026-11-24T10:00:00Z');",
                )
                .unwrap();
            assert!(tables(&old).contains(&"nags".to_string()));
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(tables(&store), ["actions", "cycles", "meta"]);
        // What the bot reads back is all there.
        assert_eq!(store.watermark().unwrap(), Some(at(9, 0)));
        assert!(store.is_done(&key(7, "check", "c500")).unwrap());
        let rows = store.actions_for_bug(BugId(7)).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].comment_id, Some(CommentId(501)));
        // A fresh file has the same tables as a migrated one.
        let fresh = Store::open(&dir.path().join("fresh.sqlite")).unwrap();
        assert_eq!(tables(&fresh), tables(&store));
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        {
            let store = Store::open(&path).unwrap();
            store
                .conn()
                .execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
                .unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1)
        );
        let text = err.to_string();
        assert!(text.contains("state.sqlite"), "{text}");
        assert!(text.contains("upgrade pushbot"), "{text}");
    }

    #[test]
    fn refuses_files_that_are_not_pushbots() {
        let dir = tempfile::tempdir().unwrap();
        let text_file = dir.path().join("notes.txt");
        std::fs::write(
            &text_file,
            "this is not a database, just some text\n".repeat(200),
        )
        .unwrap();
        let err = Store::open(&text_file).unwrap_err();
        assert!(matches!(err, StoreError::NotPushbot { .. }), "{err}");
        assert!(err.to_string().contains("notes.txt"));

        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER)")
            .unwrap();
        let err = Store::open(&other).unwrap_err();
        assert!(matches!(err, StoreError::NotPushbot { .. }), "{err}");
        assert!(err.to_string().contains("state.path"));
    }

    #[test]
    fn actions_round_trip_and_dry_runs_do_not_count_as_done() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let dry = ActionRecord {
            key: key(5, "signoff", "2026-W49"),
            comment_id: None,
            at: at(9, 0),
            dry_run: true,
            outcome: Outcome::DryRun,
        };
        store.record_action(&dry).unwrap();
        assert!(!store.is_done(&dry.key).unwrap());
        let real = ActionRecord {
            comment_id: Some(CommentId(1234)),
            at: at(9, 5),
            dry_run: false,
            outcome: Outcome::Posted,
            ..dry.clone()
        };
        store.record_action(&real).unwrap();
        assert!(store.is_done(&real.key).unwrap());
        assert!(!store.is_done(&key(5, "signoff", "2026-W50")).unwrap());
        assert_eq!(
            store.actions_for_bug(BugId(5)).unwrap(),
            vec![dry.clone(), real.clone()]
        );
        assert_eq!(store.recent_actions(1).unwrap(), vec![real]);
        assert!(store.actions_for_bug(BugId(6)).unwrap().is_empty());
    }

    #[test]
    fn cycles_round_trip_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();

        let cycle = CycleRecord {
            started_at: at(10, 0),
            duration_ms: 120,
            requests: 3,
            planned: 4,
            taken: 1,
            duplicates: 3,
            errors: 0,
            alert: None,
            watermark: Some(at(10, 0)),
        };
        store.record_cycle(&cycle).unwrap();
        let second = CycleRecord {
            alert: Some("cap".to_string()),
            watermark: None,
            ..cycle.clone()
        };
        store.record_cycle(&second).unwrap();
        assert_eq!(store.recent_cycles(5).unwrap(), vec![second, cycle]);
    }

    #[test]
    fn two_connections_share_the_file_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let writer = Store::open(&path).unwrap();
        let reader = Store::open(&path).unwrap();
        // A reader in the middle of a read transaction does not block the
        // writer (WAL), and sees the new value once its read ends.
        {
            let conn = reader.conn();
            conn.execute_batch("BEGIN; SELECT count(*) FROM actions;")
                .unwrap();
            writer.set_watermark(at(10, 0)).unwrap();
            conn.execute_batch("COMMIT").unwrap();
        }
        assert_eq!(reader.watermark().unwrap(), Some(at(10, 0)));
        // A second writer holding the lock makes the other fail with a
        // message that says what to do, rather than hang.
        writer
            .conn()
            .busy_timeout(Duration::from_millis(10))
            .unwrap();
        reader.conn().execute_batch("BEGIN IMMEDIATE").unwrap();
        let err = writer.set_watermark(at(11, 0)).unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("another pushbot"), "{err}");
        reader.conn().execute_batch("ROLLBACK").unwrap();
        writer.set_watermark(at(11, 0)).unwrap();
    }
}
