//! Storage: the redb file and everything that reads or writes it.
//!
//! From the public handles down to the bytes, each module uses only those listed after it:
//!
//! - [`compact`] — rewriting a closed file smaller;
//! - [`read_only`] — [`ReadOnlyStore`](read_only::ReadOnlyStore): reading a file without
//!   writing to it;
//! - [`store`] — [`Store`](store::Store), one type, its operations in `store/`: ingest,
//!   lookup, prune and maintenance;
//! - [`registry`] — one redb database per file per process;
//! - [`commit`] — group commit: the writer thread, acknowledgement after the fsync;
//! - [`live`] — the open database of one file, reopened in place after a failed write;
//! - [`recover`] — moving a damaged file aside;
//! - [`dump`] — the export format and the cleaning of imported rows;
//! - [`check`] — the consistency check of every index and counter;
//! - [`history`] — failure memory: the rows that failed the way a given row did;
//! - [`reads`] — the reads over one snapshot that both kinds of store share;
//! - [`scan`] — decoding rows and walking them by repo and time;
//! - [`schema`] — the schema version, the tables of a fresh file, the in-place upgrade;
//! - [`tables`] — the writes of one transaction over every table;
//! - [`file_kind`] — telling a citail store from any other file before redb opens it;
//! - [`open`] — redb's opens and integrity check, their failures classified;
//! - [`layout`] — the table definitions and the encoding of keys and values.
//!
//! Invariants: a row is acknowledged only once its commit is durable; every write is one redb
//! transaction over all the tables it touches, so the indexes and counters never disagree with
//! the rows; a file that is not a citail store is never written.
//!
//! May use: the shared modules, [`ingest`](crate::ingest) (a [`Store`](store::Store) runs the
//! pipeline) — never [`prompt`](crate::prompt).

pub(crate) mod check;
pub(crate) mod commit;
pub(crate) mod compact;
pub(crate) mod dump;
pub(crate) mod file_kind;
pub(crate) mod history;
pub(crate) mod layout;
pub(crate) mod live;
pub(crate) mod open;
pub(crate) mod read_only;
pub(crate) mod reads;
pub(crate) mod recover;
pub(crate) mod registry;
pub(crate) mod scan;
pub(crate) mod schema;
pub(crate) mod store;
pub(crate) mod tables;
