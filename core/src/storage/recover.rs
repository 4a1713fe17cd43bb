//! The operator's way out of a damaged file: move it aside, start afresh, and say so.
//!
//! Only a file that starts with redb's signature and then fails to open or verify is ever
//! moved: anything else is [`Error::NotAStore`](crate::Error::NotAStore) before recovery is
//! considered (see `file_kind`).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// What [`Store::open`](crate::Store::open) did with a damaged file when
/// [`Options::recover_corrupt`](crate::Options::recover_corrupt) is on. Log it loudly: the rows
/// of the damaged file are not in the new store (they are still in the moved file).
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("logs.redb");
/// let mut damaged = b"redb\x1a\x0a\xa9\x0d\x0a".to_vec(); // redb's signature, then garbage
/// damaged.resize(64 * 1024, 0xa5);
/// std::fs::write(&path, damaged)?;
/// let options = citail::Options::default().recover_corrupt(true);
/// let store = citail::Store::open(&path, options)?;
/// let recovery = store.recovery().expect("the damaged file was moved aside");
/// assert!(recovery.moved_to.exists() && recovery.moved_to != path);
/// assert_eq!(store.stats()?.rows, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Where the damaged file is now: `<file>.corrupt-<UTC time>` beside it.
    pub moved_to: PathBuf,
    /// Why it could not be opened.
    pub reason: String,
}

/// Renames the damaged file at `path` to an unused `<file>.corrupt-<UTC time>[-n]` beside it.
/// Never deletes: when the rename fails, so does the recovery.
pub(crate) fn move_aside(path: &Path, cause: &Error) -> Result<Recovery> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let name = path
        .file_name()
        .map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
    let mut moved_to = path.with_file_name(format!("{name}.corrupt-{stamp}"));
    let mut n = 1;
    while moved_to.exists() {
        moved_to = path.with_file_name(format!("{name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    std::fs::rename(path, &moved_to).map_err(|e| Error::Io(e).at("move aside", path))?;
    Ok(Recovery {
        moved_to,
        reason: cause.to_string(),
    })
}
