//! The schema version, the tables of a fresh file, and the in-place upgrade of an older one.
//!
//! Invariant: a file's `meta` table records the version of the newest citail that wrote it; a
//! build never writes a file of a newer version, and upgrades an older one only by creating
//! tables and recording the version (no row is rewritten).

use crate::error::{Error, Result};
use crate::storage::layout::{
    BY_FINGERPRINT, BY_TIME, HIGHLIGHTS, IDENTITY, META, META_NEXT_ID, META_SCHEMA, ROWS, TAILS,
    ZHIGHLIGHTS, ZTAILS,
};
use crate::storage::reads;
use crate::storage::tables::meta_get;
use redb::{ReadableDatabase, ReadableTable};
use std::path::Path;

/// The schema version this build writes and the newest it reads. Opening a file with a higher
/// version is [`Error::SchemaTooNew`].
///
/// Version 5 adds the failure-memory index `by_fingerprint` and, after a row's value, its
/// fingerprint, ref, run attempt and command (rows of older versions read with none); version 4 stores highlights zstd-compressed in a new `highlights_zstd` table; version 3 stores
/// tails zstd-compressed in a new `tails_zstd` table; version 2 added the `highlights` table. An older file is upgraded in place when it is opened (the new tables are
/// created, the version recorded; no row is rewritten): its rows keep their raw tails, read
/// back as before (and their highlights uncompressed), and version-1 rows read with no
/// highlights. An older citail then refuses the
/// file with `SchemaTooNew` rather than misreading it (or deleting rows without their
/// compressed tails and highlights).
///
/// ```
/// assert_eq!(citail::SCHEMA_VERSION, 5);
/// ```
pub const SCHEMA_VERSION: u64 = 5;

/// Checks that `db` is a citail store this build can read.
pub(crate) fn check_schema(db: &redb::Database) -> Result<()> {
    match reads::schema_version(&db.begin_read()?)? {
        None => Err(Error::corrupt("not a citail store: it has no meta table")),
        Some(found) if found > SCHEMA_VERSION => Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        }),
        Some(_) => Ok(()),
    }
}

/// Creates the tables of a fresh file and checks the schema version of an existing one; returns
/// the next row id the file records.
pub(crate) fn init_schema(db: &redb::Database) -> Result<u64> {
    let tx = db.begin_write()?;
    {
        tx.open_table(ROWS)?;
        tx.open_table(TAILS)?;
        tx.open_table(ZTAILS)?;
        tx.open_table(BY_TIME)?;
        tx.open_table(IDENTITY)?;
        tx.open_table(HIGHLIGHTS)?;
        tx.open_table(ZHIGHLIGHTS)?;
        tx.open_table(BY_FINGERPRINT)?;
        let mut meta = tx.open_table(META)?;
        let found = meta.get(META_SCHEMA)?.map(|guard| guard.value());
        match found {
            Some(found) if found > SCHEMA_VERSION => {
                return Err(Error::SchemaTooNew {
                    found,
                    supported: SCHEMA_VERSION,
                })
            }
            // Drops `tx` uncommitted: nothing to write.
            Some(SCHEMA_VERSION) => return meta_get(&meta, META_NEXT_ID),
            Some(_) => {
                // Version 1 to 4: the new tables were just created; record the upgrade.
                meta.insert(META_SCHEMA, SCHEMA_VERSION)?;
            }
            None => {
                meta.insert(META_SCHEMA, SCHEMA_VERSION)?;
                meta.insert(META_NEXT_ID, 1)?;
            }
        }
    }
    let next_id = meta_get(&tx.open_table(META)?, META_NEXT_ID)?;
    tx.commit()?;
    Ok(next_id)
}

/// Checks that a file opened read-only has a citail schema this build reads without upgrading
/// it: exactly [`SCHEMA_VERSION`].
pub(crate) fn check_readable_schema(db: &redb::ReadOnlyDatabase, path: &Path) -> Result<()> {
    match reads::schema_version(&db.begin_read()?)? {
        None => Err(Error::NotAStore {
            path: path.to_owned(),
            reason: "a redb database with no tables".to_owned(),
        }),
        Some(found) if found > SCHEMA_VERSION => Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        }),
        Some(SCHEMA_VERSION) => Ok(()),
        Some(found) => Err(Error::NeedsWrite {
            path: path.to_owned(),
            reason: format!(
                "its schema version {found} predates this build's {SCHEMA_VERSION}; opening it \
                 for writing upgrades it in place"
            ),
        }),
    }
}
