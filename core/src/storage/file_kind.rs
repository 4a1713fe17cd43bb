//! Telling a citail store from any other file before redb is let near it.
//!
//! redb, asked to open a file that is not a redb database, reports it as damaged, and
//! [`Options::recover_corrupt`](crate::Options::recover_corrupt) would then move the file aside.
//! A server pointed at the wrong path (its own SQLite database, a config file) must lose
//! nothing, so every open looks at the file's first bytes first:
//!
//! - no file, or an empty one: a new store may be created in it;
//! - redb's file signature: a redb file, opened (and, if damaged, possibly recovered);
//! - anything else: [`Error::NotAStore`], and the file is not written to.
//!
//! A redb file that holds tables but not citail's `meta` table belongs to another program:
//! [`ensure_citail_tables`] refuses it the same way before any table is created in it.

use crate::error::{Error, Result};
use crate::storage::layout::META;
use crate::storage::open::open_redb;
use redb::{MultimapTableHandle, TableHandle};
use std::io::Read;
use std::path::Path;

/// The first bytes of every redb file (redb's `MAGICNUMBER`; a test checks a new store starts
/// with them, so a redb upgrade that changes them fails the build's tests, not a user's open).
pub(crate) const REDB_SIGNATURE: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// What a path holds, as far as opening it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// No file, or an empty one: a writable open creates a store in it.
    Nothing,
    /// A file that starts with redb's signature.
    Redb,
}

/// Looks at the first bytes of `path`: [`Found::Nothing`] or [`Found::Redb`], and
/// [`Error::NotAStore`] for anything else. Reads at most 64 bytes; never writes.
///
/// # Errors
/// [`Error::NotAStore`]; an I/O error other than "not found" is left to the open that follows
/// (it reports it with the operation and the path).
pub(crate) fn identify(path: &Path) -> Result<Found> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(Found::Nothing);
    };
    let mut head = [0u8; 64];
    let mut len = 0;
    while len < head.len() {
        match file.read(head.get_mut(len..).unwrap_or_default()) {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
    }
    let head = head.get(..len).unwrap_or_default();
    if head.is_empty() {
        return Ok(Found::Nothing);
    }
    if head.starts_with(&REDB_SIGNATURE) {
        return Ok(Found::Redb);
    }
    Err(Error::NotAStore {
        path: path.to_owned(),
        reason: describe(head),
    })
}

/// Refuses a redb file of another program: one with tables, none of them citail's `meta`.
///
/// # Errors
/// [`Error::NotAStore`] naming a few of its tables; storage errors reading the table list.
pub(crate) fn ensure_citail_tables(db: &impl redb::ReadableDatabase, path: &Path) -> Result<()> {
    let tx = db.begin_read()?;
    let mut names: Vec<String> = tx
        .list_tables()?
        .map(|table| table.name().to_owned())
        .chain(
            tx.list_multimap_tables()?
                .map(|table| table.name().to_owned()),
        )
        .collect();
    if names.is_empty() || names.iter().any(|name| name == META.name()) {
        return Ok(());
    }
    names.sort();
    let shown = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    Err(Error::NotAStore {
        path: path.to_owned(),
        reason: format!("a redb database of another program (its tables: {shown})"),
    })
}

/// Before a writable open of a redb file: a cleanly closed one is opened read-only first and
/// refused if it belongs to another program, so its bytes stay as they were (opening a redb
/// file for writing marks it in use). One that cannot be opened read-only (it was not closed
/// cleanly) is left to the writable open, and `ensure_citail_tables` checks it after.
///
/// # Errors
/// [`Error::NotAStore`] for another program's redb file.
pub(crate) fn ensure_not_foreign_before_writing(path: &Path) -> Result<()> {
    match open_redb(path, || redb::Builder::new().open_read_only(path)) {
        Ok(db) => ensure_citail_tables(&db, path),
        Err(_) => Ok(()),
    }
}

/// What the first bytes of a file say it is, in words for the error.
fn describe(head: &[u8]) -> String {
    if head.starts_with(b"SQLite format 3\0") {
        return "an SQLite database, not a redb file".to_owned();
    }
    let text = String::from_utf8_lossy(head);
    let printable = text
        .chars()
        .all(|c| !c.is_control() || c == '\n' || c == '\r' || c == '\t');
    if printable && !text.contains('\u{fffd}') {
        let first_line = text.lines().next().unwrap_or_default();
        let shown: String = first_line.chars().take(32).collect();
        format!("a text file (it starts {shown:?}), not a redb file")
    } else {
        "it does not start with redb's file signature".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_starts_with_the_signature_the_check_looks_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.redb");
        drop(
            crate::storage::store::Store::open(&path, crate::options::Options::default())
                .expect("open"),
        );
        let bytes = std::fs::read(&path).expect("read");
        assert!(bytes.starts_with(&REDB_SIGNATURE));
    }

    #[test]
    fn absent_empty_and_redb_files_pass_and_others_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write");
            identify(&path)
        };
        assert_eq!(
            identify(&dir.path().join("missing")).ok(),
            Some(Found::Nothing)
        );
        assert_eq!(at("empty", b"").ok(), Some(Found::Nothing));
        assert_eq!(at("redb", &REDB_SIGNATURE).ok(), Some(Found::Redb));
        let reason = |r: Result<Found>| match r {
            Err(Error::NotAStore { reason, .. }) => reason,
            other => panic!("expected NotAStore, got {other:?}"),
        };
        assert_eq!(
            reason(at("text", b"listen = 8787\nstore = here\n")),
            "a text file (it starts \"listen = 8787\"), not a redb file"
        );
        assert_eq!(
            reason(at("sqlite", b"SQLite format 3\0\x10\0")),
            "an SQLite database, not a redb file"
        );
        assert_eq!(
            reason(at("short", b"red")),
            "a text file (it starts \"red\"), not a redb file"
        );
        assert_eq!(
            reason(at("binary", &[0xa5; 64])),
            "it does not start with redb's file signature"
        );
    }
}
