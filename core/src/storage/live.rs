//! The open redb database of one file, reopened in place when redb latches an I/O failure.
//!
//! When a write fails (a full disk, `EFBIG`, an `EIO`), redb latches the failure: every later
//! read and write of that `Database` fails with `PreviousIo` until it is closed and opened again.
//! A server cannot restart itself for that, so [`LiveDb`] does it: the first operation that
//! finds the database latched retires it, and a later operation opens the file again, which
//! makes redb repair it to its last committed state. Until the reopen succeeds, operations fail
//! fast with the cause and the path; reopen attempts back off from [`FIRST_RETRY`] to
//! [`MAX_RETRY`], so a disk that stays full costs one repair attempt per interval, not one per
//! request.
//!
//! Invariants:
//! - Nothing acknowledged is lost: redb acknowledges a commit only once it is complete, and the
//!   repair on reopen keeps every completed commit.
//! - Callers hold a database only for the length of one operation ([`LiveDb::run`]), so a
//!   retired database closes as soon as the operations already running on it end; redb releases
//!   the file lock at close even while a read transaction outlives it.
//! - Once [`LiveDb::close`] has run, every operation fails with the closed error; nothing reopens.

use crate::error::{Error, Result};
use crate::options::Options;
use crate::storage::file_kind::{self, Found};
use crate::storage::open::{open_redb, verify};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The wait before the first reopen attempt after a latched failure; it doubles after each
/// failed attempt.
pub(crate) const FIRST_RETRY: Duration = Duration::from_millis(100);
/// The longest wait between two reopen attempts.
pub(crate) const MAX_RETRY: Duration = Duration::from_secs(5);

/// One file's database, shared by every handle and the writer thread.
pub(crate) struct LiveDb {
    path: PathBuf,
    /// What the file is reopened with (cache size, verify on open).
    options: Options,
    state: Mutex<State>,
    /// Databases retired after a latched failure and opened again successfully.
    reopens: AtomicU64,
}

enum State {
    Open(Arc<redb::Database>),
    /// The database latched an I/O failure and was retired; the file is reopened by the first
    /// operation at or after `retry_at`.
    Retired {
        /// The failure, as `std::io::Error` parts (it is not `Clone`).
        kind: std::io::ErrorKind,
        cause: String,
        retry_at: Instant,
        /// The wait after the next failed attempt.
        backoff: Duration,
    },
    Closed,
}

impl LiveDb {
    /// Wraps a freshly opened database of `path`.
    pub(crate) fn new(path: PathBuf, options: Options, db: redb::Database) -> Self {
        LiveDb {
            path,
            options,
            state: Mutex::new(State::Open(Arc::new(db))),
            reopens: AtomicU64::new(0),
        }
    }

    /// Runs `op` on the database. An I/O error it returns names the file and `operation`; if
    /// the error latched the database, the database is retired so a later call reopens it.
    ///
    /// # Errors
    /// `op`'s error, the closed error after [`LiveDb::close`], or, while the database is retired,
    /// [`Error::File`] with the failure that retired it (or the reopen's own error).
    pub(crate) fn run<T>(
        &self,
        operation: &'static str,
        op: impl FnOnce(&redb::Database) -> Result<T>,
    ) -> Result<T> {
        let db = self.current(operation)?;
        op(&db).map_err(|err| {
            if latched(&db, &err) {
                self.retire(&db, &err);
            }
            err.at(operation, &self.path)
        })
    }

    /// Whether write transactions record the allocator state
    /// ([`Options::quick_repair`]); the first open of the file in this process decides, as for
    /// the cache size.
    pub(crate) fn quick_repair(&self) -> bool {
        self.options.get_quick_repair()
    }

    /// How many times the database was retired and opened again.
    pub(crate) fn reopens(&self) -> u64 {
        self.reopens.load(Ordering::Relaxed)
    }

    /// Closes the database for good: later operations fail with the closed error. The file
    /// closes once the operations running now end.
    pub(crate) fn close(&self) {
        let closed = std::mem::replace(&mut *self.lock(), State::Closed);
        drop(closed);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The open database, reopening a retired one when its retry time has come.
    fn current(&self, operation: &'static str) -> Result<Arc<redb::Database>> {
        let mut state = self.lock();
        let (kind, cause, backoff) = match &*state {
            State::Open(db) => return Ok(Arc::clone(db)),
            State::Closed => return Err(Error::closed()),
            State::Retired {
                kind,
                cause,
                retry_at,
                backoff,
            } => {
                if Instant::now() < *retry_at {
                    return Err(Error::File {
                        operation,
                        path: self.path.clone(),
                        source: std::io::Error::new(
                            *kind,
                            format!("the store is waiting to reopen after an I/O failure: {cause}"),
                        ),
                    });
                }
                (*kind, cause.clone(), *backoff)
            }
        };
        // Under the lock: concurrent callers wait for this one attempt instead of racing it.
        match create(&self.path, &self.options) {
            Ok(db) => {
                let db = Arc::new(db);
                *state = State::Open(Arc::clone(&db));
                self.reopens.fetch_add(1, Ordering::Relaxed);
                Ok(db)
            }
            Err(err) => {
                *state = State::Retired {
                    kind: io_kind(&err).unwrap_or(kind),
                    cause: format!("{cause}; reopening failed: {err}"),
                    retry_at: Instant::now() + backoff,
                    backoff: (backoff * 2).min(MAX_RETRY),
                };
                Err(err.at("reopen", &self.path))
            }
        }
    }

    /// Retires `db` if it is still the open database: the next operation after [`FIRST_RETRY`]
    /// reopens the file. `db` itself closes when the last operation holding it ends.
    fn retire(&self, db: &Arc<redb::Database>, err: &Error) {
        let mut state = self.lock();
        if matches!(&*state, State::Open(open) if Arc::ptr_eq(open, db)) {
            *state = State::Retired {
                kind: io_kind(err).unwrap_or(std::io::ErrorKind::Other),
                cause: err.to_string(),
                retry_at: Instant::now() + FIRST_RETRY,
                backoff: FIRST_RETRY * 2,
            };
        }
    }
}

/// Whether `err`, returned by an operation on `db`, left `db` latched: redb then answers
/// everything with `PreviousIo`. Other I/O errors are checked with an empty write transaction,
/// whose abort writes nothing and reports the latch.
fn latched(db: &redb::Database, err: &Error) -> bool {
    match err {
        Error::Storage(redb::Error::PreviousIo) => true,
        Error::Io(_) | Error::File { .. } => match db.begin_write() {
            Ok(probe) => matches!(probe.abort(), Err(redb::StorageError::PreviousIo)),
            Err(err) => matches!(redb::Error::from(err), redb::Error::PreviousIo),
        },
        _ => false,
    }
}

fn io_kind(err: &Error) -> Option<std::io::ErrorKind> {
    match err {
        Error::Io(io) | Error::File { source: io, .. } => Some(io.kind()),
        _ => None,
    }
}

/// Opens or creates the redb file. A panic inside redb (it may panic on some damaged files) is
/// caught and reported as [`Error::Corrupt`].
///
/// A file that is not a redb file, or a redb file of another program, is refused with
/// [`Error::NotAStore`] before anything is written to it (see `file_kind`).
pub(crate) fn create(path: &Path, options: &Options) -> Result<redb::Database> {
    if file_kind::identify(path)? == Found::Redb {
        file_kind::ensure_not_foreign_before_writing(path)?;
    }
    let mut builder = redb::Builder::new();
    builder.set_cache_size(options.get_cache_bytes());
    let mut db = open_redb(path, || builder.create(path))?;
    if options.get_verify_on_open() {
        verify(&mut db, path)?;
    }
    file_kind::ensure_citail_tables(&db, path)?;
    Ok(db)
}
