//! The on-disk layout: table definitions, the encoding of values, and the tail chunking that keeps
//! rows clear of redb's page-size cliff.
//!
//! | table      | key                                              | value                     |
//! |------------|--------------------------------------------------|---------------------------|
//! | `rows`     | `(repo, head_sha, created_at, id)`               | bincode [`RowValue`], then (schema 5) its [`RowExtras`] when it has any |
//! | `tails_zstd` | `(id, chunk index)`                            | up to [`TAIL_CHUNK_BYTES`] of the zstd-compressed tail |
//! | `tails`    | `(id, chunk index)`                              | schema 1–2 rows: up to [`TAIL_CHUNK_BYTES`] of the raw tail |
//! | `by_time`  | `(created_at, id)`                               | `(repo, head_sha)`        |
//! | `identity` | `(repo, head_sha, run_id, job_id, step_name)`    | `(created_at, id)`        |
//! | `highlights_zstd` | `id` (only rows that have any)            | zstd of bincode `Vec<`[`Highlight`]`>` |
//! | `highlights` | `id`                                           | schema 2–3 rows: bincode `Vec<`[`Highlight`]`>` |
//! | `by_fingerprint` | `(repo, fingerprint, created_at, id)` (schema 5, rows that have one) | `head_sha` |
//! | `meta`     | name                                             | `u64`                     |
//!
//! Invariants kept by every write transaction: each `rows` entry has exactly one `by_time` entry
//! and one `identity` entry pointing back at it, and `ceil(tail_bytes / TAIL_CHUNK_BYTES)` `tails`
//! entries in `tails_zstd` (of its compressed bytes; none for an empty tail) or, for a row written
//! by schema 1–2, in `tails` (of its raw bytes), and at most one entry in `highlights_zstd` or (schema 2–3) `highlights` (none when it has no
//! highlights); the `meta` counters `rows` and `stored_bytes` equal the count of `rows` entries and
//! the sum of their `tail_bytes`; a row with a fingerprint has exactly one `by_fingerprint` entry,
//! and every `by_fingerprint` entry names a row with that fingerprint. A row's identity is its
//! step's, with the run attempt folded into the run id from the second attempt on (see
//! [`RowValue::identity_run`]).

use crate::error::{Error, Result};
use crate::model::Highlight;
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// Rows of one commit sort together, oldest first.
pub(crate) const ROWS: TableDefinition<(&str, &str, u64, u64), &[u8]> =
    TableDefinition::new("rows");
/// Raw tail bytes of rows written by schema 1 and 2, split in chunks. Read and deleted, never
/// written.
pub(crate) const TAILS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("tails");
/// zstd-compressed tail bytes, split in chunks (schema 3).
pub(crate) const ZTAILS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("tails_zstd");

/// zstd level for stored tails: on the fixture corpus, level 3 keeps ≈ 1/6 of the bytes at
/// ≈ 35 µs per 32 KiB tail; higher levels gain a few percent for twice the time.
const ZSTD_LEVEL: i32 = 3;
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
/// Uncompressed failure highlights of rows written by schema 2 and 3. Read and deleted, never
/// written.
pub(crate) const HIGHLIGHTS: TableDefinition<u64, &[u8]> = TableDefinition::new("highlights");
/// zstd-compressed failure highlights (schema 4), apart from the row so older rows read
/// unchanged. Uncompressed they were half of a row's bytes on disk.
pub(crate) const ZHIGHLIGHTS: TableDefinition<u64, &[u8]> = TableDefinition::new("highlights_zstd");
/// The failure-memory index (schema 5): the rows of a repository that failed the same way,
/// oldest first; the value is the row's commit, so a lookup needs no other table to name it.
pub(crate) const BY_FINGERPRINT: TableDefinition<(&str, &str, u64, u64), &str> =
    TableDefinition::new("by_fingerprint");
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
///
/// Encoded as the bincode of its first eight fields (the schema 1–4 value, unchanged), followed,
/// only when it has any, by the bincode of its [`RowExtras`] (schema 5). An older row decodes
/// with empty extras; no row is rewritten by the upgrade.
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
    /// Encoded after the fields above, not by serde (see the type's doc).
    #[serde(skip)]
    pub extras: RowExtras,
}

/// What schema 5 added to a row: the failure fingerprint and the optional fields of the post.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct RowExtras {
    pub fingerprint: Option<String>,
    pub git_ref: Option<String>,
    pub run_attempt: Option<u32>,
    pub command: Option<String>,
}

impl RowExtras {
    fn is_empty(&self) -> bool {
        *self == RowExtras::default()
    }
}

impl RowValue {
    /// The run component of the row's identity: the run id for a first attempt, the run id and
    /// the attempt joined by U+0001 from the second on. A run id never holds a control
    /// character, so no run id can be mistaken for another's later attempt, and a first attempt
    /// keeps the identity rows had before attempts were known.
    pub(crate) fn identity_run(&self) -> std::borrow::Cow<'_, str> {
        match self.extras.run_attempt {
            Some(attempt) if attempt > 1 => format!("{}\u{1}{attempt}", self.run_id).into(),
            _ => self.run_id.as_str().into(),
        }
    }

    /// The row's step identity, its key in `identity`; `run` is [`RowValue::identity_run`].
    pub(crate) fn identity<'a>(
        &'a self,
        repo: &'a str,
        sha: &'a str,
        run: &'a str,
    ) -> (&'a str, &'a str, &'a str, &'a str, &'a str) {
        (repo, sha, run, &self.job_id, &self.step_name)
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        let mut bytes = encode(self, "row")?;
        if !self.extras.is_empty() {
            bytes.extend(encode(&self.extras, "row extras")?);
        }
        Ok(bytes)
    }

    /// Decodes a stored row value, with its extras when it has any; damage is
    /// [`Error::Corrupt`] (see [`decode_exact`]).
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let (mut value, used) = decode_prefix::<RowValue>(bytes, "row")?;
        if let Some(rest) = bytes.get(used..).filter(|rest| !rest.is_empty()) {
            value.extras = decode_exact(rest, "row extras")?;
        }
        Ok(value)
    }
}

/// Encodes a row's highlights: bincode, then zstd.
pub(crate) fn encode_highlights(highlights: &[Highlight]) -> Result<Vec<u8>> {
    compress(&encode(highlights, "highlights")?)
}

/// Decodes a row's compressed highlights; damage is [`Error::Corrupt`].
pub(crate) fn decode_compressed_highlights(bytes: &[u8]) -> Result<Vec<Highlight>> {
    // Sized from the frame header rather than the cap: a 1 MiB buffer per row (an mmap and an
    // munmap each) showed in every lookup.
    let capacity = match zstd::zstd_safe::get_frame_content_size(bytes) {
        Ok(Some(size)) if size <= MAX_ENCODED_VALUE as u64 => {
            usize::try_from(size).unwrap_or(MAX_ENCODED_VALUE)
        }
        Ok(None) => MAX_ENCODED_VALUE,
        _ => return Err(Error::corrupt("highlights frame has a bad content size")),
    };
    decode_highlights(&decompress_frame(bytes, capacity, "highlights")?)
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

/// Most bytes an encoded row value or highlight list may take (stored values are far smaller):
/// a damaged length prefix or compressed frame must not make a read allocate more.
const MAX_ENCODED_VALUE: usize = 1 << 20;

/// Decodes a stored value that must use every byte: damage is [`Error::Corrupt`], never a
/// panic, and a length prefix can claim at most [`MAX_ENCODED_VALUE`].
fn decode_exact<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    let (value, used) = decode_prefix(bytes, what)?;
    if used != bytes.len() {
        return Err(Error::corrupt(format!("{what} value has trailing bytes")));
    }
    Ok(value)
}

/// Decodes a value from the start of `bytes`; returns it and the bytes it used.
fn decode_prefix<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<(T, usize)> {
    let config = bincode::config::standard().with_limit::<MAX_ENCODED_VALUE>();
    bincode::serde::decode_from_slice(bytes, config)
        .map_err(|e| Error::corrupt(format!("decoding {what}: {e}")))
}

/// Reads the highlights of row `id` (compressed, or raw for a schema 2–3 row): empty when it
/// has none (and for every schema-1 row).
pub(crate) fn get_highlights(
    compressed: &impl ReadableTable<u64, &'static [u8]>,
    raw: &impl ReadableTable<u64, &'static [u8]>,
    id: u64,
) -> Result<Vec<Highlight>> {
    if let Some(guard) = compressed.get(id)? {
        return decode_compressed_highlights(guard.value());
    }
    match raw.get(id)? {
        Some(guard) => decode_highlights(guard.value()),
        None => Ok(Vec::new()),
    }
}

/// A row's tail and highlights as they are stored, compressed. [`Store`](crate::Store) packs
/// them on the ingesting thread, before the row is queued, so the single writer thread only
/// copies bytes into pages: compression is most of a row's CPU cost, and done in the writer it
/// held every row of a burst behind one core.
pub(crate) struct PackedText {
    /// The tail's zstd frame; empty for an empty tail (which stores no chunk).
    pub tail: Vec<u8>,
    /// The highlights' compressed encoding; `None` when there are none (nothing is stored).
    pub highlights: Option<Vec<u8>>,
}

impl PackedText {
    /// Compresses `tail` and `highlights` as the writer will store them.
    pub(crate) fn pack(tail: &str, highlights: &[Highlight]) -> Result<PackedText> {
        Ok(PackedText {
            tail: if tail.is_empty() {
                Vec::new()
            } else {
                compress(tail.as_bytes())?
            },
            highlights: if highlights.is_empty() {
                None
            } else {
                Some(encode_highlights(highlights)?)
            },
        })
    }
}

/// Writes a tail's zstd `frame` (see [`PackedText`]) as chunks under `id` in `tails_zstd`; an
/// empty frame writes none.
pub(crate) fn put_tail(
    table: &mut redb::Table<(u64, u32), &[u8]>,
    id: u64,
    frame: &[u8],
) -> Result<()> {
    for (index, chunk) in frame.chunks(TAIL_CHUNK_BYTES).enumerate() {
        let index = u32::try_from(index).map_err(|_| Error::corrupt("tail has too many chunks"))?;
        table.insert((id, index), chunk)?;
    }
    Ok(())
}

thread_local! {
    /// One zstd compression context per thread, reused: a fresh context per value allocated
    /// and set up ≈ 1 MB for every tail and highlight list.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { RefCell::new(None) };
    /// One zstd decompression context per thread, reused likewise.
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// The zstd frame of `bytes` (its header records the content size).
pub(crate) fn compress(bytes: &[u8]) -> Result<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(Error::Io)?);
        }
        let Some(compressor) = slot.as_mut() else {
            return Err(Error::corrupt("no zstd compressor"));
        };
        compressor.compress(bytes).map_err(Error::Io)
    })
}

/// Decompresses one zstd frame into at most `capacity` bytes; damage is [`Error::Corrupt`].
fn decompress_frame(compressed: &[u8], capacity: usize, what: &str) -> Result<Vec<u8>> {
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new().map_err(Error::Io)?);
        }
        let Some(decompressor) = slot.as_mut() else {
            return Err(Error::corrupt("no zstd decompressor"));
        };
        decompressor
            .decompress(compressed, capacity)
            .map_err(|e| Error::corrupt(format!("decompressing {what}: {e}")))
    })
}

/// Decompresses a stored tail that must come out exactly `tail_bytes` long.
pub(crate) fn decompress(compressed: &[u8], tail_bytes: usize) -> Result<Vec<u8>> {
    let bytes = decompress_frame(compressed, tail_bytes, "a tail")?;
    if bytes.len() != tail_bytes {
        return Err(Error::corrupt(format!(
            "tail decompressed to {} bytes, expected {tail_bytes}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Most bytes a stored tail may claim: a damaged length must not make a read allocate more.
const MAX_STORED_TAIL: u64 = 64 << 20;

/// Reads back the tail of `id` (compressed, or raw for a schema 1–2 row), checking it has the
/// recorded length and is UTF-8.
pub(crate) fn get_tail(
    ztails: &impl ReadableTable<(u64, u32), &'static [u8]>,
    tails: &impl ReadableTable<(u64, u32), &'static [u8]>,
    id: u64,
    tail_bytes: u64,
) -> Result<String> {
    if tail_bytes > MAX_STORED_TAIL {
        return Err(Error::corrupt(format!(
            "row {id}: tail claims {tail_bytes} bytes"
        )));
    }
    let expected = usize::try_from(tail_bytes).unwrap_or(usize::MAX);
    let compressed = read_chunks(ztails, id)?;
    let bytes = if compressed.is_empty() {
        read_chunks(tails, id)?
    } else {
        decompress(&compressed, expected)?
    };
    if bytes.len() != expected {
        return Err(Error::corrupt(format!(
            "row {id}: tail has {} bytes, expected {tail_bytes}",
            bytes.len()
        )));
    }
    String::from_utf8(bytes).map_err(|_| Error::corrupt(format!("row {id}: tail is not UTF-8")))
}

/// The chunks of `id`, concatenated.
fn read_chunks(table: &impl ReadableTable<(u64, u32), &'static [u8]>, id: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for entry in table.range((id, 0)..=(id, u32::MAX))? {
        let (_, chunk) = entry?;
        bytes.extend_from_slice(chunk.value());
    }
    Ok(bytes)
}

/// Deletes the tail chunks of `id` from a tails table.
pub(crate) fn delete_tail(table: &mut redb::Table<(u64, u32), &[u8]>, id: u64) -> Result<()> {
    table.retain_in((id, 0)..=(id, u32::MAX), |_, _| false)?;
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
            extras: RowExtras::default(),
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
