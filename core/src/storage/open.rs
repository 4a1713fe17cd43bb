//! redb's opens of a file, and its integrity check, with their failures classified: a panic
//! inside redb on a damaged file is [`Error::Corrupt`], never an unwind into the caller; a held
//! file is [`Error::Locked`]; anything else names the path and the operation.
//!
//! The bottom of [`storage`](crate::storage): it knows redb and the error type, nothing of
//! citail's tables.

use crate::error::{panic_message, Error, Result};
use std::path::{Path, PathBuf};

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
