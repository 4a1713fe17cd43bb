//! One redb `Database` per file per process.
//!
//! redb locks its file, so a second `Database` on the same path fails even inside one process.
//! The registry maps each canonical path to a weak handle of the open database: a second
//! [`Store::open`](crate::Store::open) of the path shares it, and the file is closed when the last
//! [`Store`](crate::Store) sharing it is dropped.
//!
//! Invariant: a registry entry whose weak handle is dead means that database is being closed
//! right now; its `Drop` removes the entry after the file lock is released. An `open` that sees
//! such an entry waits for the close instead of racing it for the lock.

use crate::commit::Committer;
use crate::live::LiveDb;
use crate::{Error, Options, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

static REGISTRY: LazyLock<Mutex<HashMap<PathBuf, Weak<SharedDb>>>> = LazyLock::new(Mutex::default);

/// How long an `open` waits for a concurrent close of the same path.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// An open database, the canonical path it is registered under, its writer thread and its id
/// counter.
pub(crate) struct SharedDb {
    live: Arc<LiveDb>,
    path: PathBuf,
    /// Dropped before the database closes: the writer drains its queue and exits first.
    committer: Option<Committer>,
    /// The next row id to hand out. Starts at the file's `next_id`; every commit keeps the file's
    /// `next_id` above the ids it wrote, so ids are never reused across reopens.
    next_id: AtomicU64,
}

impl SharedDb {
    /// Runs `op` on the database; see [`LiveDb::run`].
    pub(crate) fn run<T>(
        &self,
        operation: &'static str,
        op: impl FnOnce(&redb::Database) -> Result<T>,
    ) -> Result<T> {
        self.live.run(operation, op)
    }

    /// Whether write transactions record the allocator state; see [`LiveDb::quick_repair`].
    pub(crate) fn quick_repair(&self) -> bool {
        self.live.quick_repair()
    }

    /// How many times the database was reopened after a latched I/O failure.
    pub(crate) fn reopens(&self) -> u64 {
        self.live.reopens()
    }

    pub(crate) fn committer(&self) -> Result<&Committer> {
        self.committer.as_ref().ok_or_else(Error::closed)
    }

    /// Takes the next row id: ids are handed out in call order, across every handle sharing the
    /// database.
    pub(crate) fn take_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SharedDb {
    fn drop(&mut self) {
        // Outside the registry lock: a callback the writer is running may open a store.
        drop(self.committer.take());
        let mut map = lock();
        self.live.close();
        if map
            .get(&self.path)
            .is_some_and(|weak| weak.strong_count() == 0)
        {
            map.remove(&self.path);
        }
    }
}

fn lock() -> MutexGuard<'static, HashMap<PathBuf, Weak<SharedDb>>> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Returns the database open at `path` in this process, or opens it with `init` run once on it;
/// `init` returns the next row id recorded in the file.
pub(crate) fn open_shared(
    path: &Path,
    options: &Options,
    init: impl Fn(&redb::Database) -> Result<u64>,
) -> Result<Arc<SharedDb>> {
    let key = canonical(path)?;
    let deadline = Instant::now() + CLOSE_WAIT;
    loop {
        let mut map = lock();
        match map.get(&key).map(Weak::upgrade) {
            Some(Some(shared)) => return Ok(shared),
            Some(None) if Instant::now() < deadline => {
                drop(map);
                std::thread::sleep(Duration::from_millis(1));
            }
            Some(None) => return Err(Error::Locked { path: key }),
            None => {
                let db = create(&key, options)?;
                let next_id = init(&db)?.max(1);
                let live = Arc::new(LiveDb::new(key.clone(), options.clone(), db));
                let shared = Arc::new(SharedDb {
                    committer: Some(Committer::start(Arc::clone(&live))?),
                    live,
                    path: key.clone(),
                    next_id: AtomicU64::new(next_id),
                });
                map.insert(key, Arc::downgrade(&shared));
                return Ok(shared);
            }
        }
    }
}

/// Opens an existing file for this caller alone, outside the registry (for maintenance such as
/// compaction, which needs the only handle).
///
/// # Errors
/// [`Error::Locked`] if a [`Store`](crate::Store) has the file open in this process or another
/// process holds it; [`Error::File`] if it does not exist; as `open_shared` otherwise.
pub(crate) fn open_exclusive(path: &Path, options: &Options) -> Result<redb::Database> {
    let key = canonical(path)?;
    if !key.is_file() {
        return Err(Error::File {
            operation: "open",
            path: key,
            source: std::io::ErrorKind::NotFound.into(),
        });
    }
    let map = lock();
    if map.contains_key(&key) {
        return Err(Error::Locked { path: key });
    }
    // Held while opening, so no Store of this process opens the file meanwhile.
    let db = create(&key, options);
    drop(map);
    db
}

/// Whether a [`Store`](crate::Store) of this process has the file at the canonical `path` open.
pub(crate) fn is_open_here(path: &Path) -> bool {
    lock().contains_key(path)
}

/// The path made absolute with symlinks resolved; the file itself need not exist yet.
pub(crate) fn canonical(path: &Path) -> Result<PathBuf> {
    if let Ok(full) = path.canonicalize() {
        return Ok(full);
    }
    let name = path.file_name().ok_or_else(|| Error::InvalidOption {
        option: "path",
        reason: format!("{} does not name a file", path.display()),
    })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p
            .canonicalize()
            .map_err(|e| Error::Io(e).at("open the folder of", path))?,
        _ => std::env::current_dir().map_err(|e| Error::Io(e).at("resolve", path))?,
    };
    Ok(parent.join(name))
}

/// Opens or creates the redb file. A panic inside redb (it may panic on some damaged files) is
/// caught and reported as [`Error::Corrupt`].
///
/// A file that is not a redb file, or a redb file of another program, is refused with
/// [`Error::NotAStore`] before anything is written to it (see `file_kind`).
pub(crate) fn create(path: &Path, options: &Options) -> Result<redb::Database> {
    if crate::file_kind::identify(path)? == crate::file_kind::Found::Redb {
        crate::file_kind::ensure_not_foreign_before_writing(path)?;
    }
    let mut builder = redb::Builder::new();
    builder.set_cache_size(options.get_cache_bytes());
    let mut db = open_redb(path, || builder.create(path))?;
    if options.get_verify_on_open() {
        verify(&mut db, path)?;
    }
    crate::file_kind::ensure_citail_tables(&db, path)?;
    Ok(db)
}

/// Runs one of redb's opens of `path` and classifies its failure: a panic inside redb (it may
/// panic on some damaged files) or a file redb cannot read as a database is
/// [`Error::Corrupt`], a held file [`Error::Locked`], a file a read-only open would have to
/// repair [`Error::NeedsWrite`], anything else an I/O or storage error naming the path.
pub(crate) fn open_redb<T>(
    path: &Path,
    open: impl FnOnce() -> std::result::Result<T, redb::DatabaseError>,
) -> Result<T> {
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(open)).map_err(|panic| {
        Error::corrupt(format!(
            "opening {}: {}",
            path.display(),
            panic_message(&panic)
        ))
    })?;
    opened.map_err(|err| match err {
        redb::DatabaseError::DatabaseAlreadyOpen => Error::Locked {
            path: path.to_owned(),
        },
        redb::DatabaseError::RepairAborted => Error::NeedsWrite {
            path: path.to_owned(),
            reason: "it was not closed cleanly (the process writing it crashed); opening it \
                     for writing repairs it"
                .to_owned(),
        },
        // redb reports a file that is not a redb database as InvalidData I/O.
        redb::DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::InvalidData =>
        {
            Error::corrupt(format!("{}: {io}", path.display()))
        }
        other => Error::from(redb::Error::from(other)).at("open", path),
    })
}

/// redb's integrity check: every page checksum, repairing to the last consistent commit when it
/// can. A panic inside redb on a damaged file is reported as [`Error::Corrupt`].
pub(crate) fn verify(db: &mut redb::Database, path: &Path) -> Result<()> {
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.check_integrity()))
        .map_err(|panic| {
        Error::corrupt(format!(
            "checking {}: {}",
            path.display(),
            panic_message(&panic)
        ))
    })?;
    match checked {
        Ok(_) => Ok(()),
        Err(err) => Err(Error::from(redb::Error::from(err)).at("verify", path)),
    }
}

pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}
