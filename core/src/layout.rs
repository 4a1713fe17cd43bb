//! The on-disk layout: table definitions, the encoding of values, and the tail chunking that keeps
//! rows clear of redb's page-size cliff.
//!
//! | table      | key                                              | value                     |
//! |------------|--------------------------------------------------|---------------------------|
//! | `rows`     | `(repo, head_sha, created_at, id)`               | bincode [`RowValue`]      |
//! | `tails`    | `(id, chunk index)`                              | up to [`TAIL_CHUNK_BYTES`] of the tail |
//! | `by_time`  | `(created_at, id)`                               | `(repo, head_sha)`        |
//! | `identity` | `(repo, head_sha, run_id, job_id, step_name)`    | `(created_at, id)`        |
//! | `highlights` | `id` (only rows that have any)                 | bincode `Vec<`[`Highlight`]`>` |
//! | `meta`     | name                                             | `u64`                     |
//!
//! Invariants kept by every write transaction: each `rows` entry has exactly one `by_time` entry
//! and one `identity` entry pointing back at it, and `ceil(tail_bytes / TAIL_CHUNK_BYTES)` `tails`
//! entries, and at most one `highlights` entry (none when it has no highlights); the `meta` counters `rows` and `stored_bytes` equal the count of `rows` entries and
//! the sum of their `tail_bytes`.

use crate::{Error, Highlight, Result};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

/// Rows of one commit sort together, oldest first.
pub(crate) const ROWS: TableDefinition<(&str, &str, u64, u64), &[u8]> =
    TableDefinition::new("rows");
/// Tail bytes, split in chunks.
pub(crate) const TAILS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("tails");
/// Time index for pruning without a full scan.
pub(crate) const BY_TIME: TableDefinition<(u64, u64), (&str, &str)> =
    TableDefinition::new("by_time");
/// The upsert index: one row per step identity.
pub(crate) const IDENTITY: TableDefinition<IdentityKey, (u64, u64)> =
    TableDefinition::new("identity");
/// `(repo, head_sha, run_id, job_id, step_name)`: what makes two posts the same step.
pub(crate) type IdentityKey = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
/// Failure highlights of a row, apart from the row so schema-1 rows (which have none) read
/// unchanged.
pub(crate) const HIGHLIGHTS: TableDefinition<u64, &[u8]> = TableDefinition::new("highlights");
/// Schema version and counters.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

pub(crate) const META_SCHEMA: &str = "schema_version";
pub(crate) const META_NEXT_ID: &str = "next_id";
pub(crate) const META_ROWS: &str = "rows";
pub(crate) const META_STORED_BYTES: &str = "stored_bytes";

/// Largest piece of a tail stored in one `tails` value.
///
/// redb keeps a leaf's entries in one page of a power-of-two size, 4 KiB at the least, so a
/// single 32 KiB tail plus its key would land in a 64 KiB page. Chunks of just under 4 KiB leave
/// room for the key and the leaf header, so each chunk fills one 4 KiB page.
pub(crate) const TAIL_CHUNK_BYTES: usize = 3968;

/// Everything about a row except its key and its tail bytes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct RowValue {
    pub run_id: String,
    pub job_id: String,
    pub step_name: String,
    pub conclusion: String,
    pub truncated: bool,
    pub original_bytes: u64,
    pub original_lines: u64,
    pub tail_bytes: u64,
}

impl RowValue {
    /// The row's step identity, its key in `identity`.
    pub(crate) fn identity<'a>(
        &'a self,
        repo: &'a str,
        sha: &'a str,
    ) -> (&'a str, &'a str, &'a str, &'a str, &'a str) {
        (repo, sha, &self.run_id, &self.job_id, &self.step_name)
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        encode(self, "row")
    }

    /// Decodes a stored row value; see [`decode_exact`].
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        decode_exact(bytes, "row")
    }
}

/// Encodes a row's highlights.
pub(crate) fn encode_highlights(highlights: &[Highlight]) -> Result<Vec<u8>> {
    encode(highlights, "highlights")
}

/// Decodes a row's highlights; see [`decode_exact`].
pub(crate) fn decode_highlights(bytes: &[u8]) -> Result<Vec<Highlight>> {
    decode_exact(bytes, "highlights")
}

/// The bincode 2 encoding of a stored value (`what` names it in errors).
fn encode<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<Vec<u8>> {
    bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(|e| Error::corrupt(format!("encoding {what}: {e}")))
}

/// Decodes a stored value that must use every byte: damage is [`Error::Corrupt`], never a
/// panic, and a length prefix can claim at most 1 MiB (stored values are far smaller).
fn decode_exact<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    let config = bincode::config::standard().with_limit::<{ 1 << 20 }>();
    let (value, used) = bincode::serde::decode_from_slice(bytes, config)
        .map_err(|e| Error::corrupt(format!("decoding {what}: {e}")))?;
    if used != bytes.len() {
        return Err(Error::corrupt(format!("{what} value has trailing bytes")));
    }
    Ok(value)
}

/// Reads the highlights of row `id`: empty when it has none (and for every schema-1 row).
pub(crate) fn get_highlights(
    table: &impl ReadableTable<u64, &'static [u8]>,
    id: u64,
) -> Result<Vec<Highlight>> {
    match table.get(id)? {
        Some(guard) => decode_highlights(guard.value()),
        None => Ok(Vec::new()),
    }
}

/// Writes `tail` as chunks under `id`.
pub(crate) fn put_tail(
    table: &mut redb::Table<(u64, u32), &[u8]>,
    id: u64,
    tail: &str,
) -> Result<()> {
    for (index, chunk) in tail.as_bytes().chunks(TAIL_CHUNK_BYTES).enumerate() {
        let index = u32::try_from(index).map_err(|_| Error::corrupt("tail has too many chunks"))?;
        table.insert((id, index), chunk)?;
    }
    Ok(())
}

/// Reads back the tail of `id`, checking it has the recorded length and is UTF-8.
pub(crate) fn get_tail(
    table: &impl ReadableTable<(u64, u32), &'static [u8]>,
    id: u64,
    tail_bytes: u64,
) -> Result<String> {
    let mut bytes = Vec::with_capacity(usize::try_from(tail_bytes).unwrap_or(0));
    for entry in table.range((id, 0)..=(id, u32::MAX))? {
        let (_, chunk) = entry?;
        bytes.extend_from_slice(chunk.value());
    }
    if bytes.len() as u64 != tail_bytes {
        return Err(Error::corrupt(format!(
            "row {id}: tail has {} bytes, expected {tail_bytes}",
            bytes.len()
        )));
    }
    String::from_utf8(bytes).map_err(|_| Error::corrupt(format!("row {id}: tail is not UTF-8")))
}

/// Deletes the tail chunks of `id`.
pub(crate) fn delete_tail(
    table: &mut redb::Table<(u64, u32), &[u8]>,
    id: u64,
    tail_bytes: u64,
) -> Result<()> {
    let chunks = usize::try_from(tail_bytes)
        .unwrap_or(usize::MAX)
        .div_ceil(TAIL_CHUNK_BYTES);
    for index in 0..chunks {
        let index = u32::try_from(index).map_err(|_| Error::corrupt("tail has too many chunks"))?;
        table.remove((id, index))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_value_round_trips_and_rejects_garbage() {
        let value = RowValue {
            run_id: "1".into(),
            job_id: "2".into(),
            step_name: "test ✓".into(),
            conclusion: "failure".into(),
            truncated: true,
            original_bytes: 70_000,
            original_lines: 5_000,
            tail_bytes: 32_768,
        };
        let bytes = value.encode().expect("encode");
        assert_eq!(RowValue::decode(&bytes).expect("decode"), value);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            RowValue::decode(&longer),
            Err(Error::Corrupt { .. })
        ));
        assert!(matches!(
            RowValue::decode(&[0xff; 3]),
            Err(Error::Corrupt { .. })
        ));
    }
}
