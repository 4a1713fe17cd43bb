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

use crate::error::{Error, Result};
use crate::options::Options;
use crate::storage::commit::Committer;
use crate::storage::live::{create, LiveDb};
use crate::storage::open::canonical;
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
