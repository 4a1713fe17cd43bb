//! Write-side operations on the tables of [`layout`](crate::storage::layout), each keeping its invariants: a row,
//! its tail chunks, its time-index entry, its identity entry and the counters change together.

use crate::error::{Error, Result};
use crate::storage::layout::{
    delete_tail, put_tail, IdentityKey, PackedText, RowValue, BY_FINGERPRINT, BY_TIME, HIGHLIGHTS,
    IDENTITY, META, META_NEXT_ID, META_ROWS, META_STORED_BYTES, ROWS, TAILS, ZHIGHLIGHTS, ZTAILS,
};
use redb::{ReadableTable, Table, WriteTransaction};

/// Where a row sits: `(repo, head_sha, created_at, id)`, its key in `rows`.
pub(crate) type RowKey<'a> = (&'a str, &'a str, u64, u64);

/// All tables of one write transaction.
pub(crate) struct WriteTables<'txn> {
    rows: Table<'txn, (&'static str, &'static str, u64, u64), &'static [u8]>,
    tails: Table<'txn, (u64, u32), &'static [u8]>,
    ztails: Table<'txn, (u64, u32), &'static [u8]>,
    by_time: Table<'txn, (u64, u64), (&'static str, &'static str)>,
    identities: Table<'txn, IdentityKey, (u64, u64)>,
    highlights: Table<'txn, u64, &'static [u8]>,
    zhighlights: Table<'txn, u64, &'static [u8]>,
    by_fingerprint: Table<'txn, (&'static str, &'static str, u64, u64), &'static str>,
    meta: Table<'txn, &'static str, u64>,
}

impl<'txn> WriteTables<'txn> {
    pub(crate) fn open(tx: &'txn WriteTransaction) -> Result<Self> {
        Ok(WriteTables {
            rows: tx.open_table(ROWS)?,
            tails: tx.open_table(TAILS)?,
            ztails: tx.open_table(ZTAILS)?,
            by_time: tx.open_table(BY_TIME)?,
            identities: tx.open_table(IDENTITY)?,
            highlights: tx.open_table(HIGHLIGHTS)?,
            zhighlights: tx.open_table(ZHIGHLIGHTS)?,
            by_fingerprint: tx.open_table(BY_FINGERPRINT)?,
            meta: tx.open_table(META)?,
        })
    }

    /// Records that ids up to `id` are taken, so a reopened store hands out larger ones: ids
    /// start at 1 and are never reused.
    pub(crate) fn keep_next_id_above(&mut self, id: u64) -> Result<()> {
        if meta_get(&self.meta, META_NEXT_ID)? <= id {
            self.meta.insert(META_NEXT_ID, id + 1)?;
        }
        Ok(())
    }

    /// Stores a row unless a later arrival of its step (a larger id) is already stored; an
    /// earlier row of the step is replaced.
    pub(crate) fn upsert(
        &mut self,
        key: RowKey<'_>,
        value: &RowValue,
        text: &PackedText,
    ) -> Result<Applied> {
        let (repo, sha, _, id) = key;
        let run = value.identity_run();
        let previous = self.find_identity(value.identity(repo, sha, &run))?;
        if let Some((old_created, old_id)) = previous {
            if old_id > id {
                return Ok(Applied {
                    replaced: false,
                    superseded: true,
                });
            }
            self.delete_row((repo, sha, old_created, old_id))?;
        }
        self.insert_row(key, value, text)?;
        Ok(Applied {
            replaced: previous.is_some(),
            superseded: false,
        })
    }

    /// The `(created_at, id)` of the row holding this step identity, if any.
    pub(crate) fn find_identity(
        &self,
        identity: (&str, &str, &str, &str, &str),
    ) -> Result<Option<(u64, u64)>> {
        Ok(self.identities.get(identity)?.map(|guard| guard.value()))
    }

    /// Inserts a row with its tail, highlights and index entries; the identity now points at it.
    pub(crate) fn insert_row(
        &mut self,
        key: RowKey<'_>,
        value: &RowValue,
        text: &PackedText,
    ) -> Result<()> {
        let (repo, sha, created_at, id) = key;
        self.rows.insert(key, value.encode()?.as_slice())?;
        put_tail(&mut self.ztails, id, &text.tail)?;
        if let Some(highlights) = &text.highlights {
            self.zhighlights.insert(id, highlights.as_slice())?;
        }
        self.by_time.insert((created_at, id), (repo, sha))?;
        if let Some(fingerprint) = &value.extras.fingerprint {
            self.by_fingerprint
                .insert((repo, fingerprint.as_str(), created_at, id), sha)?;
        }
        let run = value.identity_run();
        let identity = value.identity(repo, sha, &run);
        self.identities.insert(identity, (created_at, id))?;
        meta_adjust(&mut self.meta, META_ROWS, 1, 0)?;
        meta_adjust(&mut self.meta, META_STORED_BYTES, value.tail_bytes, 0)
    }

    /// Deletes a row with its tail and index entries and returns what it held.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the row is missing: an index pointed at nothing.
    pub(crate) fn delete_row(&mut self, key: RowKey<'_>) -> Result<RowValue> {
        let (_, _, created_at, id) = key;
        let value = self.remove_row(key)?;
        self.remove_text(id)?;
        self.by_time.remove((created_at, id))?;
        self.count_deleted(1, value.tail_bytes)?;
        Ok(value)
    }

    /// Deletes up to `limit` rows with `created_at < cutoff`, oldest first, as
    /// [`WriteTables::delete_row`] does, adjusting the counters once; returns how many.
    ///
    /// Most of it goes by range, one pass over the leaves instead of a descent per entry. The
    /// batch is the first entries of the time index, up to `(created_at, id)` = `last`; so every
    /// row at or before `last` is in it, and a commit's rows in the batch are the start of that
    /// commit's range in `rows` (whose keys sort by time within a commit): one range per commit,
    /// which also hands back the values that name the identity entries. When the batch's ids
    /// are dense (ids follow arrival, so rows that expire together are usually neighbours), its
    /// tails and highlights are one id range. Scattered ids (rows imported or posted with old
    /// `createdAt`s) are deleted one by one, so no pass reads more than twice the batch. Identity
    /// entries sit under step names and go one by one.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the time index and `rows` disagree; the transaction must then be
    /// dropped.
    pub(crate) fn delete_expired(&mut self, cutoff: u64, limit: usize) -> Result<usize> {
        let expired = self.expired(cutoff, limit)?;
        let Some(&(_, _, last_created, last_id)) = expired.last() else {
            return Ok(0);
        };
        let mut commits: Vec<(&str, &str)> = expired
            .iter()
            .map(|(repo, sha, _, _)| (repo.as_str(), sha.as_str()))
            .collect();
        commits.sort_unstable();
        commits.dedup();
        let mut ids: Vec<u64> = Vec::with_capacity(expired.len());
        let mut bytes = 0;
        for (repo, sha) in commits {
            let mut rows: Vec<(u64, u64, RowValue)> = Vec::new();
            let mut damage = None;
            let range = (repo, sha, 0, 0)..=(repo, sha, last_created, last_id);
            self.rows
                .retain_in(range, |(_, _, created_at, id), value| {
                    match RowValue::decode(value) {
                        Ok(value) => rows.push((created_at, id, value)),
                        Err(e) => damage = Some(e),
                    }
                    false
                })?;
            if let Some(e) = damage {
                return Err(e);
            }
            for (created_at, id, value) in &rows {
                let run = value.identity_run();
                self.remove_identity(value.identity(repo, sha, &run), (*created_at, *id))?;
                self.remove_fingerprint(repo, value, (*created_at, *id))?;
                bytes += value.tail_bytes;
                ids.push(*id);
            }
        }
        ids.sort_unstable();
        let mut indexed: Vec<u64> = expired.iter().map(|&(_, _, _, id)| id).collect();
        indexed.sort_unstable();
        if ids != indexed {
            return Err(Error::corrupt(format!(
                "the time index holds {} rows up to ({last_created}, {last_id}), the rows table {}",
                indexed.len(),
                ids.len()
            )));
        }
        self.by_time
            .retain_in(..=(last_created, last_id), |_, _| false)?;
        match (ids.first(), ids.last()) {
            (Some(&first), Some(&last)) if last - first < 2 * ids.len() as u64 => {
                let kept = |id: u64| ids.binary_search(&id).is_err();
                for tails in [&mut self.ztails, &mut self.tails] {
                    tails.retain_in((first, 0)..=(last, u32::MAX), |(id, _), _| kept(id))?;
                }
                for highlights in [&mut self.zhighlights, &mut self.highlights] {
                    highlights.retain_in(first..=last, |id, _| kept(id))?;
                }
            }
            _ => {
                for &id in &ids {
                    self.remove_text(id)?;
                }
            }
        }
        self.count_deleted(expired.len() as u64, bytes)?;
        Ok(expired.len())
    }

    fn count_deleted(&mut self, rows: u64, bytes: u64) -> Result<()> {
        meta_adjust(&mut self.meta, META_ROWS, 0, rows)?;
        meta_adjust(&mut self.meta, META_STORED_BYTES, 0, bytes)
    }

    /// Removes a row from `rows` and its identity entry (if it still points at it); returns
    /// what the row held.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the row is missing: an index pointed at nothing.
    fn remove_row(&mut self, key: RowKey<'_>) -> Result<RowValue> {
        let (repo, sha, created_at, id) = key;
        let value = match self.rows.remove(key)? {
            Some(guard) => RowValue::decode(guard.value())?,
            None => {
                return Err(Error::corrupt(format!(
                    "an index points at missing row {id}"
                )))
            }
        };
        let run = value.identity_run();
        self.remove_identity(value.identity(repo, sha, &run), (created_at, id))?;
        self.remove_fingerprint(repo, &value, (created_at, id))?;
        Ok(value)
    }

    /// Removes the row's entry in the failure-memory index, if it has a fingerprint.
    fn remove_fingerprint(&mut self, repo: &str, value: &RowValue, row: (u64, u64)) -> Result<()> {
        if let Some(fingerprint) = &value.extras.fingerprint {
            self.by_fingerprint
                .remove((repo, fingerprint.as_str(), row.0, row.1))?;
        }
        Ok(())
    }

    /// Removes an identity entry if it points at the row `(created_at, id)`; an entry pointing
    /// at another row stays. One descent: the entry is put back in the rare other case.
    fn remove_identity(
        &mut self,
        identity: (&str, &str, &str, &str, &str),
        row: (u64, u64),
    ) -> Result<()> {
        let other = match self.identities.remove(identity)? {
            Some(guard) if guard.value() != row => Some(guard.value()),
            _ => None,
        };
        if let Some(other) = other {
            self.identities.insert(identity, other)?;
        }
        Ok(())
    }

    /// Removes the tail chunks and highlights of row `id`, compressed or (older schemas) raw.
    fn remove_text(&mut self, id: u64) -> Result<()> {
        delete_tail(&mut self.ztails, id)?;
        delete_tail(&mut self.tails, id)?;
        self.zhighlights.remove(id)?;
        self.highlights.remove(id)?;
        Ok(())
    }

    /// Up to `limit` rows with `created_at < cutoff`, oldest first, as `(repo, head_sha,
    /// created_at, id)`.
    fn expired(&self, cutoff: u64, limit: usize) -> Result<Vec<(String, String, u64, u64)>> {
        let mut out = Vec::with_capacity(limit.min(1024));
        for entry in self.by_time.range(..(cutoff, 0))?.take(limit) {
            let (key, value) = entry?;
            let (created_at, id) = key.value();
            let (repo, sha) = value.value();
            out.push((repo.to_owned(), sha.to_owned(), created_at, id));
        }
        Ok(out)
    }
}

/// A `meta` counter; 0 when absent.
pub(crate) fn meta_get(meta: &impl ReadableTable<&'static str, u64>, name: &str) -> Result<u64> {
    Ok(meta.get(name)?.map_or(0, |guard| guard.value()))
}

/// Adds `add` and subtracts `sub` from a counter; a counter driven below zero means the file
/// disagrees with itself.
fn meta_adjust(meta: &mut Table<&'static str, u64>, name: &str, add: u64, sub: u64) -> Result<()> {
    let next = (meta_get(meta, name)? + add)
        .checked_sub(sub)
        .ok_or_else(|| Error::corrupt(format!("counter {name} would go negative")))?;
    meta.insert(name, next)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::{Database, ReadableDatabase, ReadableTableMetadata};

    fn row_value(step: &str) -> RowValue {
        RowValue {
            run_id: "1".to_owned(),
            job_id: "1".to_owned(),
            step_name: step.to_owned(),
            conclusion: "failure".to_owned(),
            truncated: false,
            original_bytes: 4,
            original_lines: 1,
            tail_bytes: 4,
            extras: crate::storage::layout::RowExtras::default(),
        }
    }

    /// A database holding rows `(created_at, id)` of one commit, written through
    /// [`WriteTables::insert_row`].
    fn database(dir: &tempfile::TempDir, rows: &[(u64, u64)]) -> Database {
        let db = Database::create(dir.path().join("t.redb")).expect("create");
        let tx = db.begin_write().expect("write");
        {
            let mut tables = WriteTables::open(&tx).expect("tables");
            let text = PackedText::pack("boom", &[]).expect("pack");
            for &(created_at, id) in rows {
                let key = ("a/b", "c", created_at, id);
                tables
                    .insert_row(key, &row_value(&format!("s{id}")), &text)
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
        db
    }

    /// Commits one hand-made `change` to the file: the damage a test sets up.
    fn edit(db: &Database, change: impl FnOnce(&WriteTransaction)) {
        let tx = db.begin_write().expect("write");
        change(&tx);
        tx.commit().expect("commit");
    }

    fn prune(db: &Database, cutoff: u64) -> Result<usize> {
        let tx = db.begin_write()?;
        let deleted = WriteTables::open(&tx)?.delete_expired(cutoff, 512)?;
        tx.commit()?;
        Ok(deleted)
    }

    #[test]
    fn a_time_index_entry_without_its_row_is_corruption() {
        let dir = tempfile::tempdir().expect("dir");
        let db = database(&dir, &[(1, 1), (2, 2)]);
        edit(&db, |tx| {
            tx.open_table(ROWS)
                .expect("rows")
                .remove(("a/b", "c", 1, 1))
                .expect("remove");
        });
        let err = prune(&db, 10).expect_err("disagreement");
        assert!(
            err.to_string()
                .contains("time index holds 2 rows up to (2, 2), the rows table 1"),
            "{err}"
        );
    }

    #[test]
    fn a_row_without_its_time_index_entry_is_corruption() {
        let dir = tempfile::tempdir().expect("dir");
        let db = database(&dir, &[(1, 1), (2, 2), (3, 3)]);
        edit(&db, |tx| {
            tx.open_table(BY_TIME)
                .expect("by_time")
                .remove((2, 2))
                .expect("remove");
        });
        let err = prune(&db, 10).expect_err("disagreement");
        assert!(
            err.to_string()
                .contains("time index holds 2 rows up to (3, 3), the rows table 3"),
            "{err}"
        );
        // The failed batch was dropped whole: every row is still there.
        let tx = db.begin_read().expect("read");
        assert_eq!(tx.open_table(ROWS).expect("rows").len().expect("len"), 3);
    }

    #[test]
    fn an_identity_pointing_at_a_newer_row_stays() {
        let dir = tempfile::tempdir().expect("dir");
        let db = database(&dir, &[(1, 1), (50, 2)]);
        edit(&db, |tx| {
            tx.open_table(IDENTITY)
                .expect("identity")
                .insert(("a/b", "c", "1", "1", "s1"), (50, 2))
                .expect("insert");
        });
        assert_eq!(prune(&db, 10).expect("prune"), 1);
        let tx = db.begin_read().expect("read");
        let identities = tx.open_table(IDENTITY).expect("identity");
        let pointing = identities
            .get(("a/b", "c", "1", "1", "s1"))
            .expect("get")
            .map(|g| g.value());
        assert_eq!(pointing, Some((50, 2)));
    }
}

/// What writing a row did to the stored rows of its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Applied {
    /// An earlier row of the step was replaced.
    pub replaced: bool,
    /// A later arrival of the step was already stored, so this row was not written.
    pub superseded: bool,
}
