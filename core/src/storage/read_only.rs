//! [`ReadOnlyStore`]: a store file opened for reading only, so an operator can look inside a
//! backup set read-only, another user's file, or a copy, and the file stays byte for byte as it
//! was.
//!
//! Invariants:
//! - the file is opened without write access, and nothing is written to it: no schema step, no
//!   crash repair, no integrity-check repair, no lock file;
//! - a file that cannot be read that way (not closed cleanly, or an older schema) is
//!   [`Error::NeedsWrite`]; [`ReadOnlyStore::open_copy`] then reads a private copy, repaired or
//!   upgraded in the copy alone;
//! - like [`Store::open`](crate::Store::open), anything that is not a citail store is
//!   [`Error::NotAStore`].

use crate::clock;
use crate::error::{Error, Result};
use crate::model::{CiLog, FailureHistory, OlderSteps, Stats};
use crate::options::Options;
use crate::storage::check::{self, CheckReport};
use crate::storage::file_kind::{self, identify, Found};
use crate::storage::history;
use crate::storage::open::{canonical, open_redb};
use crate::storage::reads;
use crate::storage::registry::is_open_here;
use crate::storage::scan::{self, CommitSummary, RowFilter, Rows};
use crate::storage::schema::check_readable_schema;
use crate::storage::store::Store;
use redb::ReadableDatabase;
use std::path::{Path, PathBuf};

/// A citail store opened read-only: the lookups and inspections of [`Store`](crate::Store),
/// none of its writes.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("logs.redb");
/// # let sha = "a".repeat(40);
/// # let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: "test",
/// #     head_sha: &sha, conclusion: "failure", log_tail: "FAILED\n", ..Default::default() };
/// drop(citail::Store::open(&path, citail::Options::default())?.ingest(&log)?);
/// let before = std::fs::read(&path)?;
/// let store = citail::ReadOnlyStore::open(&path, citail::Options::default())?;
/// assert_eq!(store.stats()?.rows, 1);
/// assert_eq!(store.logs_for("acme/app", &sha)?[0].log_tail, "FAILED\n");
/// drop(store);
/// assert_eq!(std::fs::read(&path)?, before); // not a byte changed
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ReadOnlyStore {
    db: redb::ReadOnlyDatabase,
    /// The file the rows come from: the user's file, or the private copy.
    path: PathBuf,
    options: Options,
    /// Set by [`ReadOnlyStore::open_copy`]: removed when the store is dropped.
    copy: Option<PrivateCopy>,
}

impl std::fmt::Debug for ReadOnlyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOnlyStore")
            .field("path", &self.path)
            .field("copy", &self.copy.as_ref().map(|c| &c.path))
            .finish_non_exhaustive()
    }
}

impl ReadOnlyStore {
    /// Opens the existing store at `path` for reading only. Of `options`, the retention (which
    /// rows lookups show) and the cache size are used.
    ///
    /// # Errors
    /// [`Error::File`] if there is no file or it cannot be read; [`Error::NotAStore`] for
    /// anything that is not a citail store (an empty file included); [`Error::Locked`] while a
    /// process has it open for writing (this one included); [`Error::NeedsWrite`] for a file
    /// that was not closed cleanly or has an older schema; [`Error::SchemaTooNew`];
    /// [`Error::Corrupt`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("settings.toml");
    /// std::fs::write(&path, "port = 8787\n")?;
    /// let refused = citail::ReadOnlyStore::open(&path, citail::Options::default());
    /// assert!(matches!(refused, Err(citail::Error::NotAStore { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<ReadOnlyStore> {
        options.validate()?;
        let path = existing(path.as_ref())?;
        let db = open_read_only(&path, &options)?;
        Ok(ReadOnlyStore {
            db,
            path,
            options,
            copy: None,
        })
    }

    /// Reads a private copy of the store at `path`: the file is copied into the system's
    /// temporary folder, the copy is opened for writing once (which repairs it after a crash,
    /// upgrades an older schema and, with [`Options::verify_on_open`] (the default), verifies
    /// every page checksum) and then read. The file at `path` is only read. The copy is removed
    /// when the store is dropped. For a file [`ReadOnlyStore::open`] refuses with
    /// [`Error::NeedsWrite`], and for a check of redb's page checksums without writing to the
    /// file; it costs one copy of the file.
    ///
    /// The copy is consistent while no process writes the file: it is refused with
    /// [`Error::Locked`] when a process holds the file for writing as the copy starts.
    ///
    /// # Errors
    /// As [`ReadOnlyStore::open`] (but never [`Error::NeedsWrite`]); [`Error::File`] when the
    /// copy cannot be written.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("logs.redb");
    /// drop(citail::Store::open(&path, citail::Options::default())?);
    /// let store = citail::ReadOnlyStore::open_copy(&path, citail::Options::default())?;
    /// assert_ne!(store.path(), path.canonicalize()?);
    /// assert!(store.check()?.is_clean());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_copy(path: impl AsRef<Path>, options: Options) -> Result<ReadOnlyStore> {
        options.validate()?;
        let original = existing(path.as_ref())?;
        // Holding the file read-only while copying keeps a writer of another process out.
        let guard = match open_read_only(&original, &options) {
            Ok(db) => Some(db),
            Err(Error::NeedsWrite { .. }) => None,
            Err(other) => return Err(other),
        };
        let copy = PrivateCopy::of(&original)?;
        drop(guard);
        // Opening the copy for writing repairs, upgrades and verifies it; closing it cleanly
        // lets it be opened read-only.
        drop(Store::open(&copy.path, options.clone())?);
        let db = open_read_only(&copy.path, &options)?;
        Ok(ReadOnlyStore {
            db,
            path: copy.path.clone(),
            options,
            copy: Some(copy),
        })
    }

    /// The file the rows are read from: the store's canonical path, or the private copy's.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the rows come from a private copy ([`ReadOnlyStore::open_copy`]).
    pub fn is_copy(&self) -> bool {
        self.copy.is_some()
    }

    /// As [`Store::stats`](crate::Store::stats).
    ///
    /// # Errors
    /// Storage errors.
    pub fn stats(&self) -> Result<Stats> {
        let mut stats = reads::stats(&self.db.begin_read()?)?;
        stats.file_bytes = reads::file_bytes(&self.path)?;
        Ok(stats)
    }

    /// As [`Store::logs_for`](crate::Store::logs_for).
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a malformed `repo` or `head_sha`; storage errors otherwise.
    pub fn logs_for(&self, repo: &str, head_sha: &str) -> Result<Vec<CiLog>> {
        self.recent_logs_for_at(repo, head_sha, clock::now_ms(), usize::MAX)
    }

    /// As [`Store::recent_logs_for`](crate::Store::recent_logs_for).
    ///
    /// # Errors
    /// As [`ReadOnlyStore::logs_for`].
    pub fn recent_logs_for(&self, repo: &str, head_sha: &str, limit: usize) -> Result<Vec<CiLog>> {
        self.recent_logs_for_at(repo, head_sha, clock::now_ms(), limit)
    }

    /// As [`Store::recent_logs_for_at`](crate::Store::recent_logs_for_at).
    ///
    /// # Errors
    /// As [`ReadOnlyStore::logs_for`].
    pub fn recent_logs_for_at(
        &self,
        repo: &str,
        head_sha: &str,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<CiLog>> {
        let (sha, cutoff) =
            reads::lookup_bounds(repo, head_sha, now_ms, self.options.get_retention_ms())?;
        reads::recent_rows(&self.db.begin_read()?, repo, &sha, cutoff, limit)
    }

    /// What the store remembers of each row's failure; see
    /// [`Store::history_at`](crate::Store::history_at).
    ///
    /// # Errors
    /// As [`Store::history_at`](crate::Store::history_at).
    pub fn history_at(&self, rows: &[CiLog], now_ms: u64) -> Result<Vec<FailureHistory>> {
        let retention = self.options.get_retention_ms();
        for row in rows {
            reads::lookup_bounds(&row.repo, &row.head_sha, now_ms, retention)?;
        }
        history::history(
            &self.db.begin_read()?,
            rows,
            now_ms.saturating_sub(retention),
        )
    }

    /// As [`Store::steps_before_at`](crate::Store::steps_before_at).
    ///
    /// # Errors
    /// As [`ReadOnlyStore::logs_for`].
    pub fn steps_before_at(&self, row: &CiLog, now_ms: u64, names: usize) -> Result<OlderSteps> {
        let (sha, cutoff) = reads::lookup_bounds(
            &row.repo,
            &row.head_sha,
            now_ms,
            self.options.get_retention_ms(),
        )?;
        let before = (row.created_at, row.id);
        reads::steps_before(
            &self.db.begin_read()?,
            &row.repo,
            &sha,
            cutoff,
            before,
            names,
        )
    }

    /// As [`Store::rows`](crate::Store::rows).
    ///
    /// # Errors
    /// Storage errors opening the snapshot; each item is a `Result` too.
    pub fn rows(&self, filter: &RowFilter) -> Result<Rows> {
        Rows::new(&self.db.begin_read()?, filter.clone())
    }

    /// As [`Store::commits`](crate::Store::commits).
    ///
    /// # Errors
    /// Storage errors.
    pub fn commits(&self, filter: &RowFilter, limit: usize) -> Result<Vec<CommitSummary>> {
        scan::commits(&self.db.begin_read()?, filter, limit)
    }

    /// As [`Store::check`](crate::Store::check). redb's page checksums are verified by
    /// [`ReadOnlyStore::open_copy`] (with [`Options::verify_on_open`], the default), not here.
    ///
    /// # Errors
    /// Storage errors that stop the walk.
    pub fn check(&self) -> Result<CheckReport> {
        self.check_with_progress(&mut |_| {})
    }

    /// [`ReadOnlyStore::check`], calling `progress` with the rows checked so far.
    ///
    /// # Errors
    /// As [`ReadOnlyStore::check`].
    pub fn check_with_progress(&self, progress: &mut dyn FnMut(u64)) -> Result<CheckReport> {
        check::check(&self.db.begin_read()?, progress)
    }
}

/// The canonical path of an existing file, or [`Error::File`] (`open`, not found).
fn existing(path: &Path) -> Result<PathBuf> {
    let full = canonical(path)?;
    if full.is_file() {
        Ok(full)
    } else {
        Err(Error::File {
            operation: "open",
            path: full,
            source: std::io::ErrorKind::NotFound.into(),
        })
    }
}

/// Opens `path` with redb's read-only database, after the same "is it a citail store" checks as
/// a writable open, and checks the schema.
fn open_read_only(path: &Path, options: &Options) -> Result<redb::ReadOnlyDatabase> {
    if is_open_here(path) {
        return Err(Error::Locked {
            path: path.to_owned(),
        });
    }
    if identify(path)? == Found::Nothing {
        return Err(Error::NotAStore {
            path: path.to_owned(),
            reason: "the file is empty".to_owned(),
        });
    }
    let mut builder = redb::Builder::new();
    builder.set_cache_size(options.get_cache_bytes());
    let db = open_redb(path, || builder.open_read_only(path))?;
    file_kind::ensure_citail_tables(&db, path)?;
    check_readable_schema(&db, path)?;
    Ok(db)
}

/// A copy of a store file in the system's temporary folder, removed on drop.
struct PrivateCopy {
    path: PathBuf,
}

impl PrivateCopy {
    fn of(original: &Path) -> Result<PrivateCopy> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "citail-read-copy-{}-{stamp}.redb",
            std::process::id()
        ));
        // Not `fs::copy`: it would give the copy the original's mode, read-only for a backup.
        // Created new, so the copy removed on drop is always the one made here.
        let mut to = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::Io(e).at("create", &path))?;
        let copy = PrivateCopy { path };
        let mut from =
            std::fs::File::open(original).map_err(|e| Error::Io(e).at("open", original))?;
        std::io::copy(&mut from, &mut to)
            .map_err(|e| Error::Io(e).at("copy the store to", &copy.path))?;
        Ok(copy)
    }
}

impl Drop for PrivateCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
