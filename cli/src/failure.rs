//! Why a command failed, worded for the operator, and the exit status it maps to.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A command that could not do its job.
#[derive(Debug)]
pub enum Failure {
    /// The library refused or failed, on this file.
    Store {
        /// The store file.
        file: PathBuf,
        /// What went wrong.
        error: citail::Error,
    },
    /// The command line asks for something impossible (exit status 2, like clap's own).
    Usage(String),
    /// Anything else, already in words.
    Message(String),
    /// stdout's reader went away (a closed pipe): the command stops and exits 0, saying nothing.
    ReaderGone,
}

impl Failure {
    /// A library error on `file`.
    pub fn store(file: &Path, error: citail::Error) -> Self {
        Failure::Store {
            file: file.to_owned(),
            error,
        }
    }

    /// 2 for a usage error, 3 for a store held by another process, 4 for a damaged one, 1
    /// otherwise.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Store {
                error: citail::Error::Locked { .. },
                ..
            } => ExitCode::from(3),
            Failure::Store {
                error: citail::Error::Corrupt { .. },
                ..
            } => ExitCode::from(4),
            Failure::Usage(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Store {
                file,
                error: citail::Error::Locked { .. },
            } => write!(
                f,
                "{} is open in another process (usually the citail server): a store file can be \
                 open in one process at a time.\n  \
                 While the server runs, read through it: citail show --url http://HOST:PORT REPO SHA\n  \
                 For anything else, stop that process first, then run this command again.",
                file.display()
            ),
            Failure::Store {
                file,
                error: citail::Error::Corrupt { detail },
            } => write!(
                f,
                "{} is damaged: {detail}\n  \
                 Keep a copy of the file, then restore a backup into a new file (citail import \
                 NEW < backup.jsonl), or let the server start fresh: with recoverCorrupt (the \
                 reference server's CITAIL_RECOVER_CORRUPT, on by default) it moves the damaged \
                 file aside under a timestamped name and opens an empty store.",
                file.display()
            ),
            Failure::Store {
                file,
                error: citail::Error::NotAStore { reason, .. },
            } => write!(
                f,
                "{} is not a citail store: {reason}. Check the path: it is left as it was.",
                file.display()
            ),
            Failure::Store { file, error } => write!(f, "{}: {error}", file.display()),
            Failure::Usage(message) | Failure::Message(message) => f.write_str(message),
            Failure::ReaderGone => Ok(()),
        }
    }
}
