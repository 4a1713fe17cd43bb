//! Offline compaction of a store file: [`compact`].

use crate::error::{Error, Result};
use crate::options::Options;
use crate::storage::registry::open_exclusive;
use crate::storage::schema::check_schema;
use std::path::Path;

/// File sizes around a [`compact`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// Bytes before.
    pub before: u64,
    /// Bytes after.
    pub after: u64,
}

/// Rewrites the file at `path` so freed pages are returned to the file system (redb's
/// compaction), and reports its size before and after. The file must not be open: not in this
/// process, not in another.
///
/// A crash during compaction leaves the file as it was or compacted, never torn (redb commits
/// the result like any transaction).
///
/// # Errors
/// [`Error::Locked`] if the file is open (here or in another process), [`Error::Corrupt`] for a
/// damaged file, [`Error::SchemaTooNew`] for a file of a newer citail, storage or I/O errors.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("s.redb");
/// drop(citail::Store::open(&path, citail::Options::default())?);
/// let sizes = citail::compact(&path)?;
/// assert!(sizes.after <= sizes.before);
/// # Ok::<(), citail::Error>(())
/// ```
pub fn compact(path: impl AsRef<Path>) -> Result<Compaction> {
    let path = path.as_ref();
    let size = || {
        std::fs::metadata(path)
            .map(|m| m.len())
            .map_err(|e| Error::Io(e).at("stat", path))
    };
    let before = size()?;
    let mut db = open_exclusive(path, &Options::default())?;
    check_schema(&db)?;
    // redb repeats its passes until nothing more moves.
    db.compact()
        .map_err(|e| Error::from(redb::Error::from(e)))?;
    drop(db);
    Ok(Compaction {
        before,
        after: size()?,
    })
}
