//! [`Store`]: the read-write handle on a citail file. One type; its operations live in one
//! file per family: [`ingest`] (validate, run the pipeline, group commit, import), [`lookup`]
//! (a commit's rows, the steps not read, stats, scans), [`maintenance`] (prune, check, commit
//! totals).
//!
//! Invariant: a `Store` holds its compiled [`Pipeline`](crate::Pipeline) and a shared handle on the file's one
//! database; every operation goes through that handle, so a reopen after a failed write
//! (`live`) is invisible to it.

mod ingest;
mod lookup;
mod maintenance;

use crate::error::{Error, Result};
use crate::ingest::pipeline::Pipeline;
use crate::options::Options;
use crate::storage::recover::{self, Recovery};
use crate::storage::registry::{open_shared, SharedDb};
use crate::storage::schema::init_schema;
use std::path::Path;
use std::sync::Arc;

/// A handle on a citail database file. `Send + Sync`; share it behind an `Arc`.
///
/// Opening the same path twice in one process shares one underlying database (see
/// [`Store::open`]); a second process gets [`Error::Locked`](crate::Error::Locked). Every write is one redb transaction:
/// it lands whole or not at all, and with [`Options::durable`](crate::Options::durable) (the default) it is fsynced before
/// the call returns.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let store = citail::Store::open(dir.path().join("logs.redb"), citail::Options::default())?;
/// let shared = std::sync::Arc::new(store);
/// std::thread::spawn(move || shared.stats()).join().expect("thread")?;
/// # Ok::<(), citail::Error>(())
/// ```
pub struct Store {
    shared: Arc<SharedDb>,
    options: Options,
    pipeline: Pipeline,
    recovery: Option<Recovery>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.shared.path())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `path`, creating the file if it does not exist.
    ///
    /// A second `open` of the same file in this process shares the open database (each handle
    /// keeps its own `options`, except `cache_bytes`, which the first open decides).
    ///
    /// # Errors
    /// [`Error::InvalidOption`](crate::Error::InvalidOption) for a bad option, [`Error::Locked`](crate::Error::Locked) if another process has the file
    /// open, [`Error::SchemaTooNew`](crate::Error::SchemaTooNew) for a file from a newer citail, [`Error::Corrupt`](crate::Error::Corrupt) for a
    /// damaged file, [`Error::Io`](crate::Error::Io) if the file cannot be created.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("logs.redb");
    /// let a = citail::Store::open(&path, citail::Options::default())?;
    /// let b = citail::Store::open(&path, citail::Options::default())?; // shares a's database
    /// # drop((a, b));
    /// let bad = citail::Store::open(&path, citail::Options::default().max_lines(0));
    /// assert!(matches!(bad, Err(citail::Error::InvalidOption { option: "max_lines", .. })));
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Store> {
        let pipeline = Pipeline::new(&options)?;
        let path = path.as_ref();
        let (shared, recovery) = match open_shared(path, &options, init_schema) {
            Err(cause @ Error::Corrupt { .. }) if options.get_recover_corrupt() => {
                let recovery = recover::move_aside(path, &cause)?;
                (open_shared(path, &options, init_schema)?, Some(recovery))
            }
            other => (other?, None),
        };
        Ok(Store {
            shared,
            options,
            pipeline,
            recovery,
        })
    }

    /// What this `open` did with a damaged file, when
    /// [`Options::recover_corrupt`](crate::Options::recover_corrupt) moved one aside; `None`
    /// otherwise. See [`Recovery`](crate::Recovery).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// assert!(store.recovery().is_none());
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// The canonical path of the database file.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = citail::Store::open(dir.path().join("logs.redb"), citail::Options::default())?;
    /// assert!(store.path().is_absolute() && store.path().ends_with("logs.redb"));
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        self.shared.path()
    }

    /// The options this handle was opened with.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let options = citail::Options::default().max_lines(20);
    /// let store = citail::Store::open(dir.path().join("logs.redb"), options.clone())?;
    /// assert_eq!(store.options(), &options);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn options(&self) -> &Options {
        &self.options
    }
}

/// Totals of group commit since the file was opened in this process; see
/// [`Store::commit_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommitStats {
    /// Write transactions the writer thread ran for ingests.
    pub transactions: u64,
    /// Rows those transactions carried.
    pub rows: u64,
    /// Times the file was closed and opened again in place because redb had latched an I/O
    /// failure (a full disk, say); see the `live` module. Nonzero means the disk failed a write.
    pub reopens: u64,
}

/// A place in the arrival order of ingests, from [`Store::ticket`]: the id the row will get.
#[derive(Debug)]
#[must_use = "a ticket is used by passing it to Store::submit"]
pub struct Ticket {
    id: u64,
}

impl Ticket {
    /// The id the row will be stored under.
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// `Store` must stay shareable across threads; this fails to compile if it stops being so.
const _: fn() = || {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Store>();
};
