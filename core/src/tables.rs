//! Write-side operations on the tables of [`crate::layout`], each keeping its invariants: a row,
//! its tail chunks, its time-index entry, its identity entry and the counters change together.

use crate::commit::Applied;
use crate::layout::{
    delete_tail, put_tail, PackedText, RowValue, BY_TIME, HIGHLIGHTS, IDENTITY, META, META_NEXT_ID,
    META_ROWS, META_STORED_BYTES, ROWS, TAILS, ZHIGHLIGHTS, ZTAILS,
};
use crate::{Error, Result};
use redb::{ReadableTable, Table, WriteTransaction};

/// Where a row sits: `(repo, head_sha, created_at, id)`, its key in `rows`.
pub(crate) type RowKey<'a> = (&'a str, &'a str, u64, u64);

/// All tables of one write transaction.
pub(crate) struct WriteTables<'txn> {
    rows: Table<'txn, (&'static str, &'static str, u64, u64), &'static [u8]>,
    tails: Table<'txn, (u64, u32), &'static [u8]>,
    ztails: Table<'txn, (u64, u32), &'static [u8]>,
    by_time: Table<'txn, (u64, u64), (&'static str, &'static str)>,
    identities: Table<'txn, crate::layout::IdentityKey, (u64, u64)>,
    highlights: Table<'txn, u64, &'static [u8]>,
    zhighlights: Table<'txn, u64, &'static [u8]>,
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
        let previous = self.find_identity(value.identity(repo, sha))?;
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
        let identity = value.identity(repo, sha);
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
    /// The rows and their identity entries sit under unrelated keys and go one by one. The rest
    /// goes by range, one pass over the leaves instead of a descent per entry: the batch is the
    /// first entries of the time index, and when the batch's ids are dense (ids follow arrival,
    /// so rows that expire together are usually neighbours), its tails and highlights are one id
    /// range. Scattered ids (rows imported or posted with old `createdAt`s) are deleted one by
    /// one, so no pass reads more than twice the batch.
    ///
    /// # Errors
    /// As [`WriteTables::delete_row`]; the transaction must then be dropped.
    pub(crate) fn delete_expired(&mut self, cutoff: u64, limit: usize) -> Result<usize> {
        let expired = self.expired(cutoff, limit)?;
        let Some(&(_, _, last_created, last_id)) = expired.last() else {
            return Ok(0);
        };
        let mut bytes = 0;
        let mut ids = Vec::with_capacity(expired.len());
        for (repo, sha, created_at, id) in &expired {
            bytes += self.remove_row((repo, sha, *created_at, *id))?.tail_bytes;
            ids.push(*id);
        }
        self.by_time
            .retain_in(..=(last_created, last_id), |_, _| false)?;
        ids.sort_unstable();
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
        let identity = value.identity(repo, sha);
        if self.find_identity(identity)? == Some((created_at, id)) {
            self.identities.remove(identity)?;
        }
        Ok(value)
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
