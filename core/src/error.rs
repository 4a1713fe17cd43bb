//! The one error type of the crate.
//!
//! Every fallible call returns [`Result<T>`](Result). Variants carry the facts a caller needs to
//! act (which field, how long, which path); the binding maps each variant to a stable JS `code`.

use std::path::PathBuf;

/// Result alias used by every fallible function in this crate.
///
/// ```
/// fn rows(store: &citail::Store) -> citail::Result<u64> {
///     Ok(store.stats()?.rows)
/// }
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in citail.
///
/// The enum is `#[non_exhaustive]`: match with a wildcard arm so new variants are not a breaking
/// change. Whenever an operation returns an error, nothing it would have written was written.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
/// let log = citail::NewLog { repo: "acme", run_id: "1", job_id: "1", step_name: "test",
///     head_sha: &"a".repeat(40), conclusion: "failure", log_tail: "", ..Default::default() };
/// match store.ingest(&log) {
///     Err(citail::Error::InvalidField { field, reason }) => {
///         assert_eq!(field, "repo");
///         assert_eq!(reason, "must be <owner>/<name>");
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), citail::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field of a [`NewLog`](crate::NewLog) (or a lookup argument) failed validation.
    #[error("invalid field `{field}`: {reason}")]
    InvalidField {
        /// The wire name of the field (`repo`, `head_sha`, `run_id`, …).
        field: &'static str,
        /// What is wrong with it, in words a caller can show.
        reason: String,
    },

    /// The log tail is larger than [`Options::max_input_bytes`](crate::Options::max_input_bytes).
    #[error("log_tail is {len} bytes, over the {max}-byte limit")]
    PayloadTooLarge {
        /// Size of the submitted tail in UTF-8 bytes.
        len: usize,
        /// The configured limit.
        max: usize,
    },

    /// An [`Options`](crate::Options) value is out of range; reported by [`Store::open`](crate::Store::open).
    #[error("invalid option `{option}`: {reason}")]
    InvalidOption {
        /// The option's setter name.
        option: &'static str,
        /// Why the value is refused.
        reason: String,
    },

    /// Another process holds the database file open.
    #[error("database {path} is locked by another process")]
    Locked {
        /// The file that could not be locked.
        path: PathBuf,
    },

    /// The file was written by a newer citail whose schema this build does not understand.
    #[error("database schema version {found} is newer than the supported version {supported}")]
    SchemaTooNew {
        /// Version recorded in the file.
        found: u64,
        /// Highest version this build reads.
        supported: u64,
    },

    /// The file or a stored row is damaged: a checksum or a decode failed.
    #[error("database is corrupt: {detail}")]
    Corrupt {
        /// What was found to be damaged.
        detail: String,
    },

    /// The file is not a citail store: not a redb file at all (a text file, another program's
    /// SQLite database), or a redb file of another program. Nothing was written to it, and
    /// [`Options::recover_corrupt`](crate::Options::recover_corrupt) never moves it: a mistyped
    /// path must not cost anyone their file.
    #[error("{} is not a citail store: {reason}", path.display())]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// What it is instead, as far as its first bytes tell.
        reason: String,
    },

    /// A [`ReadOnlyStore`](crate::ReadOnlyStore) cannot read the file without writing to it:
    /// it was not closed cleanly (a crash: opening it for writing repairs it) or its schema
    /// predates this build (opening it for writing upgrades it in place).
    #[error("{} cannot be read without writing to it: {reason}", path.display())]
    NeedsWrite {
        /// The file.
        path: PathBuf,
        /// Why: the crash repair or the schema upgrade it is waiting for.
        reason: String,
    },

    /// The storage engine failed for a reason that is neither I/O nor corruption.
    #[error("storage error: {0}")]
    Storage(#[source] redb::Error),

    /// An I/O error from the file system (open, lock, write, fsync, disk full…).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// An I/O error on a known file: which operation failed on which path.
    #[error("cannot {operation} {}: {source}", path.display())]
    File {
        /// What citail was doing: `open`, `create`, `stat`.
        operation: &'static str,
        /// The file (or the folder it should be in).
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidField {
            field,
            reason: reason.into(),
        }
    }

    /// Attaches `operation` and `path` to a bare I/O error; other errors pass unchanged.
    pub(crate) fn at(self, operation: &'static str, path: &std::path::Path) -> Self {
        match self {
            Error::Io(source) => Error::File {
                operation,
                path: path.to_owned(),
                source,
            },
            other => other,
        }
    }

    /// The database was closed (or its writer has stopped) under a call.
    pub(crate) fn closed() -> Self {
        Error::Storage(redb::Error::DatabaseClosed)
    }

    pub(crate) fn corrupt(detail: impl Into<String>) -> Self {
        Error::Corrupt {
            detail: detail.into(),
        }
    }
}

/// Classifies every redb error: corruption and I/O get their own variants, the rest is `Storage`.
impl From<redb::Error> for Error {
    fn from(err: redb::Error) -> Self {
        match err {
            redb::Error::Corrupted(detail) => Error::Corrupt { detail },
            redb::Error::Io(io) => Error::Io(io),
            other => Error::Storage(other),
        }
    }
}

macro_rules! from_redb {
    ($($ty:ty),* $(,)?) => {$(
        impl From<$ty> for Error {
            fn from(err: $ty) -> Self {
                Error::from(redb::Error::from(err))
            }
        }
    )*};
}

from_redb!(
    redb::StorageError,
    redb::TransactionError,
    redb::TableError,
    redb::CommitError,
    redb::SetDurabilityError,
);

/// The message a caught panic carried, or `"panic"` when it carried none that is text.
pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}
