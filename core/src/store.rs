//! [`Store`]: ingest, lookup, prune and stats over the tables of [`crate::layout`].

use crate::commit::PendingRow;
use crate::layout::{
    PackedText, RowValue, BY_TIME, HIGHLIGHTS, IDENTITY, META, META_NEXT_ID, META_SCHEMA, ROWS,
    TAILS, ZHIGHLIGHTS, ZTAILS,
};
use crate::reads;
use crate::registry::{open_shared, SharedDb};
use crate::tables::{meta_get, WriteTables};
use crate::{clock, count_lines, CiLog, Error, Ingested, NewLog, Options, Pipeline, Result, Stats};
use redb::{Durability, ReadableDatabase, ReadableTable, WriteTransaction};
use std::path::Path;
use std::sync::Arc;

/// The schema version this build writes and the newest it reads. Opening a file with a higher
/// version is [`Error::SchemaTooNew`].
///
/// Version 4 stores highlights zstd-compressed in a new `highlights_zstd` table; version 3 stores
/// tails zstd-compressed in a new `tails_zstd` table; version 2 added the `highlights` table. An older file is upgraded in place when it is opened (the new tables are
/// created, the version recorded; no row is rewritten): its rows keep their raw tails, read
/// back as before (and their highlights uncompressed), and version-1 rows read with no
/// highlights. An older citail then refuses the
/// file with `SchemaTooNew` rather than misreading it (or deleting rows without their
/// compressed tails and highlights).
///
/// ```
/// assert_eq!(citail::SCHEMA_VERSION, 4);
/// ```
pub const SCHEMA_VERSION: u64 = 4;

/// Rows deleted per write transaction by [`Store::prune`], so a large backlog never holds the
/// writer for long.
const PRUNE_BATCH: usize = 512;

/// A handle on a citail database file. `Send + Sync`; share it behind an `Arc`.
///
/// Opening the same path twice in one process shares one underlying database (see
/// [`Store::open`]); a second process gets [`Error::Locked`]. Every write is one redb transaction:
/// it lands whole or not at all, and with [`Options::durable`] (the default) it is fsynced before
/// the call returns.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let store = citail::Store::open(dir.path().join("logs.redb"), citail::Options::default())?;
/// let shared = std::sync::Arc::new(store);
/// std::thread::spawn(move || shared.stats()).join().expect("thread")?;
/// # Ok::<(), citail::Error>(())
/// ```
pub struct Store {
    shared: Arc<SharedDb>,
    options: Options,
    pipeline: Pipeline,
    recovery: Option<crate::Recovery>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.shared.path())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `path`, creating the file if it does not exist.
    ///
    /// A second `open` of the same file in this process shares the open database (each handle
    /// keeps its own `options`, except `cache_bytes`, which the first open decides).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a bad option, [`Error::Locked`] if another process has the file
    /// open, [`Error::SchemaTooNew`] for a file from a newer citail, [`Error::Corrupt`] for a
    /// damaged file, [`Error::Io`] if the file cannot be created.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("logs.redb");
    /// let a = citail::Store::open(&path, citail::Options::default())?;
    /// let b = citail::Store::open(&path, citail::Options::default())?; // shares a's database
    /// # drop((a, b));
    /// let bad = citail::Store::open(&path, citail::Options::default().max_lines(0));
    /// assert!(matches!(bad, Err(citail::Error::InvalidOption { option: "max_lines", .. })));
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Store> {
        let pipeline = Pipeline::new(&options)?;
        let path = path.as_ref();
        let (shared, recovery) = match open_shared(path, &options, init_schema) {
            Err(cause @ Error::Corrupt { .. }) if options.get_recover_corrupt() => {
                let recovery = crate::recover::move_aside(path, &cause)?;
                (open_shared(path, &options, init_schema)?, Some(recovery))
            }
            other => (other?, None),
        };
        Ok(Store {
            shared,
            options,
            pipeline,
            recovery,
        })
    }

    /// What this `open` did with a damaged file, when
    /// [`Options::recover_corrupt`](crate::Options::recover_corrupt) moved one aside; `None`
    /// otherwise. See [`Recovery`](crate::Recovery).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// assert!(store.recovery().is_none());
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn recovery(&self) -> Option<&crate::Recovery> {
        self.recovery.as_ref()
    }

    /// The canonical path of the database file.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = citail::Store::open(dir.path().join("logs.redb"), citail::Options::default())?;
    /// assert!(store.path().is_absolute() && store.path().ends_with("logs.redb"));
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        self.shared.path()
    }

    /// The options this handle was opened with.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let options = citail::Options::default().max_lines(20);
    /// let store = citail::Store::open(dir.path().join("logs.redb"), options.clone())?;
    /// assert_eq!(store.options(), &options);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Stores `log` with `created_at` = now. See [`Store::ingest_at`].
    ///
    /// # Errors
    /// As [`Store::ingest_at`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: "test",
    ///     head_sha: &"c".repeat(40), conclusion: "failure", log_tail: "FAILED\n" };
    /// let ingested = store.ingest(&log)?;
    /// assert!(ingested.created_at > 1_700_000_000_000); // epoch milliseconds
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn ingest(&self, log: &NewLog<'_>) -> Result<Ingested> {
        self.ingest_at(log, clock::now_ms())
    }

    /// Validates `log`, runs its tail through the [`Pipeline`] (normalise, redact, truncate, as
    /// the options say) and stores it with the given creation time, replacing any row with the
    /// same (repo, head_sha, run_id, job_id, step_name).
    ///
    /// The write joins the next group commit (see [`Store::submit`]): threads ingesting at once
    /// share one transaction and one fsync, and each call returns only once its row is on disk.
    ///
    /// # Errors
    /// [`Error::InvalidField`] or [`Error::PayloadTooLarge`] for bad input, storage errors
    /// otherwise. On any error nothing is written.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let sha = "f".repeat(40);
    /// let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: "test",
    ///     head_sha: &sha, conclusion: "failure", log_tail: "first try\n" };
    /// assert!(!store.ingest_at(&log, 10)?.replaced);
    /// let retry = citail::NewLog { log_tail: "second try\n", ..log };
    /// assert!(store.ingest_at(&retry, 20)?.replaced);
    /// assert_eq!(store.logs_for_at("acme/app", &sha, 30)?.len(), 1);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn ingest_at(&self, log: &NewLog<'_>, created_at_ms: u64) -> Result<Ingested> {
        let prepared = self.prepare(log, created_at_ms)?;
        // Taken after validation, so a refused payload consumes no id.
        let ticket = self.ticket();
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        self.commit(ticket, prepared, move |result| {
            let _ = sender.send(result);
        });
        receiver.recv().unwrap_or_else(|_| Err(Error::closed()))
    }

    /// Takes this ingest's place in the arrival order: the id its row will get. Ids are handed
    /// out in call order across every handle on the file, and when two rows of one step are
    /// committed, the one with the larger id is the one kept. Take the ticket when the request
    /// arrives, before any work that may finish out of order, and pass it to [`Store::submit`].
    ///
    /// A ticket that is never submitted leaves a gap in the ids; nothing else.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let (first, second) = (store.ticket(), store.ticket());
    /// assert!(first.id() < second.id());
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn ticket(&self) -> Ticket {
        Ticket {
            id: self.shared.take_id(),
        }
    }

    /// Validates `log` and runs the [`Pipeline`] on the calling thread, then queues the row for
    /// the writer thread, which commits it together with every row queued behind the commit in
    /// flight (group commit: one transaction and one fsync for many rows). `done` runs once:
    /// with the outcome, after the row's transaction is on disk (per [`Options::durable`]), on
    /// the writer thread; or at once, on this thread, with a validation error.
    ///
    /// Of two rows of one step, the one with the later `ticket` is kept, whichever commits
    /// first; the other reports [`Ingested::superseded`]. [`Store::ingest_at`] is this, waited
    /// for.
    ///
    /// `done` must not block for long: the writer runs it before committing the next group.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let sha = "e".repeat(40);
    /// let post = |text: &'static str| citail::NewLog { repo: "acme/app", run_id: "1",
    ///     job_id: "1", step_name: "test", head_sha: "", conclusion: "failure", log_tail: text };
    /// let (early, late) = (store.ticket(), store.ticket());
    /// let (sender, receiver) = std::sync::mpsc::channel();
    /// let sender2 = sender.clone();
    /// // The later post is prepared and committed first; the earlier one arrives after it.
    /// store.submit(late, &citail::NewLog { head_sha: &sha, ..post("second\n") }, 2,
    ///     move |r| sender.send(r).expect("send"));
    /// receiver.recv().expect("done")?;
    /// store.submit(early, &citail::NewLog { head_sha: &sha, ..post("first\n") }, 1,
    ///     move |r| sender2.send(r).expect("send"));
    /// assert!(receiver.recv().expect("done")?.superseded);
    /// assert_eq!(store.logs_for_at("acme/app", &sha, 3)?[0].log_tail, "second\n");
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn submit(
        &self,
        ticket: Ticket,
        log: &NewLog<'_>,
        created_at_ms: u64,
        done: impl FnOnce(Result<Ingested>) + Send + 'static,
    ) {
        match self.prepare(log, created_at_ms) {
            Ok(prepared) => self.commit(ticket, prepared, done),
            Err(err) => done(Err(err)),
        }
    }

    /// Validation, size check and the pipeline: everything before the write.
    fn prepare(&self, log: &NewLog<'_>, created_at_ms: u64) -> Result<Prepared> {
        let valid = self.validated(log)?;
        let processed = self.pipeline.run(valid.log_tail);
        let value = RowValue {
            run_id: valid.run_id.to_owned(),
            job_id: valid.job_id.to_owned(),
            step_name: valid.step_name.to_owned(),
            conclusion: valid.conclusion.to_owned(),
            truncated: processed.truncated,
            original_bytes: valid.log_tail.len() as u64,
            original_lines: processed.original_lines as u64,
            tail_bytes: processed.tail.len() as u64,
        };
        Ok(Prepared {
            repo: valid.repo.to_owned(),
            sha: valid.head_sha,
            created_at: created_at_ms,
            value,
            tail: processed.tail,
            highlights: processed.highlights,
            redactions: processed.redactions,
            masked_at_source: processed.masked_at_source,
        })
    }

    /// The field checks of [`NewLog`] and the `max_input_bytes` limit, shared by ingest and
    /// import.
    fn validated<'a>(&self, log: &NewLog<'a>) -> Result<crate::validate::ValidLog<'a>> {
        let valid = log.validated()?;
        let max_input = self.options.get_max_input_bytes();
        if valid.log_tail.len() > max_input {
            return Err(Error::PayloadTooLarge {
                len: valid.log_tail.len(),
                max: max_input,
            });
        }
        Ok(valid)
    }

    /// Hands a prepared row to the writer thread; `done` gets the caller's view of the outcome.
    fn commit(
        &self,
        Ticket { id }: Ticket,
        prepared: Prepared,
        done: impl FnOnce(Result<Ingested>) + Send + 'static,
    ) {
        let committer = match self.shared.committer() {
            Ok(committer) => committer,
            Err(err) => return done(Err(err)),
        };
        // Compressed here, on the ingesting thread, not in the writer (see `PackedText`).
        let text = match PackedText::pack(&prepared.tail, &prepared.highlights) {
            Ok(text) => text,
            Err(err) => return done(Err(err)),
        };
        let report = Ingested {
            id,
            created_at: prepared.created_at,
            stored_bytes: prepared.tail.len(),
            stored_lines: count_lines(&prepared.tail),
            truncated: prepared.value.truncated,
            replaced: false,
            superseded: false,
            redactions: prepared.redactions,
            masked_at_source: prepared.masked_at_source,
            highlights: prepared.highlights.len(),
        };
        let row = PendingRow {
            repo: prepared.repo,
            sha: prepared.sha,
            created_at: prepared.created_at,
            id,
            value: prepared.value,
            text,
            durable: self.options.get_durable(),
        };
        committer.submit(row, move |applied| {
            done(applied.map(|applied| Ingested {
                replaced: applied.replaced,
                superseded: applied.superseded,
                ..report
            }));
        });
    }

    /// The live rows of (repo, head_sha) at the current time. See [`Store::logs_for_at`].
    ///
    /// # Errors
    /// As [`Store::logs_for_at`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let sha = "d".repeat(40);
    /// let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: "test",
    ///     head_sha: &sha, conclusion: "failure", log_tail: "FAILED\n" };
    /// store.ingest(&log)?;
    /// assert_eq!(store.logs_for("acme/app", &sha.to_uppercase())?[0].log_tail, "FAILED\n");
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn logs_for(&self, repo: &str, head_sha: &str) -> Result<Vec<CiLog>> {
        self.logs_for_at(repo, head_sha, clock::now_ms())
    }

    /// The rows of (repo, head_sha) with `created_at >= now_ms - retention`, oldest first.
    /// Expired rows are never returned, pruned or not. No match is an empty `Vec`. `head_sha`
    /// may be any case.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a malformed `repo` or `head_sha`; storage errors otherwise.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// assert!(store.logs_for_at("acme/app", &"0".repeat(40), 0)?.is_empty());
    /// assert!(store.logs_for_at("not a repo", &"0".repeat(40), 0).is_err());
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn logs_for_at(&self, repo: &str, head_sha: &str, now_ms: u64) -> Result<Vec<CiLog>> {
        self.recent_logs_for_at(repo, head_sha, now_ms, usize::MAX)
    }

    /// Whether (repo, head_sha) has a live row at `now_ms`: what
    /// `logs_for_at(repo, head_sha, now_ms)?.is_empty()` would answer, negated, from one index
    /// key and no row value. A lookup that finds nothing costs a few microseconds this way, so
    /// the binding answers such a lookup on the calling thread.
    ///
    /// # Errors
    /// As [`Store::logs_for_at`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let sha = "c".repeat(40);
    /// assert!(!store.has_logs_at("acme/app", &sha, 5)?);
    /// let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: "t",
    ///     head_sha: &sha, conclusion: "failure", log_tail: "" };
    /// store.ingest_at(&log, 5)?;
    /// assert!(store.has_logs_at("acme/app", &sha, 5)?);
    /// const DAY: u64 = 24 * 60 * 60 * 1000;
    /// assert!(!store.has_logs_at("acme/app", &sha, 5 + 15 * DAY)?); // expired
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn has_logs_at(&self, repo: &str, head_sha: &str, now_ms: u64) -> Result<bool> {
        let (sha, cutoff) = self.lookup_bounds(repo, head_sha, now_ms)?;
        self.shared.run("read", |db| {
            reads::has_rows(&db.begin_read()?, repo, &sha, cutoff)
        })
    }

    /// The newest `limit` live rows of (repo, head_sha) at the current time. See
    /// [`Store::recent_logs_for_at`].
    ///
    /// # Errors
    /// As [`Store::logs_for_at`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// assert!(store.recent_logs_for("acme/app", &"d".repeat(40), 50)?.is_empty());
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn recent_logs_for(&self, repo: &str, head_sha: &str, limit: usize) -> Result<Vec<CiLog>> {
        self.recent_logs_for_at(repo, head_sha, clock::now_ms(), limit)
    }

    /// Like [`Store::logs_for_at`], but only the newest `limit` rows (still returned oldest
    /// first). The rows are read newest first and the read stops at `limit`, so a commit with
    /// thousands of rows (a retry loop gone wrong) costs no more than `limit` rows: this is the
    /// lookup for the prompt path.
    ///
    /// # Errors
    /// As [`Store::logs_for_at`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let sha = "e".repeat(40);
    /// for (i, step) in ["build", "lint", "test"].iter().enumerate() {
    ///     let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: step,
    ///         head_sha: &sha, conclusion: "failure", log_tail: "boom\n" };
    ///     store.ingest_at(&log, i as u64)?;
    /// }
    /// let newest: Vec<_> = store.recent_logs_for_at("acme/app", &sha, 10, 2)?
    ///     .into_iter().map(|r| r.step_name).collect();
    /// assert_eq!(newest, ["lint", "test"]);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn recent_logs_for_at(
        &self,
        repo: &str,
        head_sha: &str,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<CiLog>> {
        let (sha, cutoff) = self.lookup_bounds(repo, head_sha, now_ms)?;
        self.shared.run("read", |db| {
            reads::recent_rows(&db.begin_read()?, repo, &sha, cutoff, limit)
        })
    }

    /// The live steps of `row`'s commit stored before `row` at `now_ms`: how many, and the
    /// newest `names` of them (oldest first), without their logs. After
    /// [`Store::recent_logs_for_at`] returned `limit` rows, this on the oldest of them says what
    /// the lookup did not read, so the prompt can name it
    /// ([`render_prompt_block_noting`](crate::render_prompt_block_noting)). Costs one index key
    /// per older row plus `names` row values; reads no tail.
    ///
    /// # Errors
    /// As [`Store::logs_for_at`], for `row.repo` and `row.head_sha`.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let sha = "e".repeat(40);
    /// for (i, step) in ["build", "lint", "test"].iter().enumerate() {
    ///     let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: step,
    ///         head_sha: &sha, conclusion: "failure", log_tail: "boom\n" };
    ///     store.ingest_at(&log, i as u64)?;
    /// }
    /// let read = store.recent_logs_for_at("acme/app", &sha, 10, 1)?;
    /// let older = store.steps_before_at(&read[0], 10, 1)?;
    /// assert_eq!(older.count, 2);
    /// assert_eq!(older.newest[0].step_name, "lint");
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn steps_before_at(
        &self,
        row: &CiLog,
        now_ms: u64,
        names: usize,
    ) -> Result<crate::OlderSteps> {
        let (sha, cutoff) = self.lookup_bounds(&row.repo, &row.head_sha, now_ms)?;
        let before = (row.created_at, row.id);
        self.shared.run("read", |db| {
            reads::steps_before(&db.begin_read()?, &row.repo, &sha, cutoff, before, names)
        })
    }

    /// A lookup's checked arguments: the lowercase SHA, and the oldest `created_at` still live
    /// at `now_ms`.
    fn lookup_bounds(&self, repo: &str, head_sha: &str, now_ms: u64) -> Result<(String, u64)> {
        reads::lookup_bounds(repo, head_sha, now_ms, self.options.get_retention_ms())
    }

    /// Deletes rows past retention at the current time. See [`Store::prune_at`].
    ///
    /// # Errors
    /// As [`Store::prune_at`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// # let sha = "e".repeat(40);
    /// # let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "t",
    /// #     head_sha: &sha, conclusion: "failure", log_tail: "" };
    /// store.ingest_at(&log, 0)?; // created in 1970: long expired
    /// assert_eq!(store.prune()?, 1);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn prune(&self) -> Result<u64> {
        self.prune_at(clock::now_ms())
    }

    /// Deletes every row with `created_at < now_ms - retention` and returns how many.
    ///
    /// Walks the time index, so the cost is proportional to the rows deleted, not the rows kept;
    /// deletes at most 512 rows per transaction, so ingests interleave with a large prune.
    ///
    /// Only the last batch is committed durably (it persists the ones before it): an expired row
    /// is already invisible, so a batch lost to a crash only means those rows are deleted again
    /// by the next prune. After an error, the batches before it stay deleted.
    ///
    /// # Errors
    /// Storage errors.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// # let sha = "a".repeat(40);
    /// # let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "t",
    /// #     head_sha: &sha, conclusion: "failure", log_tail: "" };
    /// const DAY: u64 = 24 * 60 * 60 * 1000;
    /// store.ingest_at(&log, DAY)?;
    /// assert_eq!(store.prune_at(14 * DAY)?, 0); // exactly 13 days old: kept
    /// assert_eq!(store.prune_at(16 * DAY)?, 1);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn prune_at(&self, now_ms: u64) -> Result<u64> {
        let cutoff = now_ms.saturating_sub(self.options.get_retention_ms());
        let mut total = 0;
        loop {
            let deleted = self.shared.run("prune", |db| {
                let mut tx = db.begin_write()?;
                tx.set_quick_repair(self.shared.quick_repair());
                let deleted = prune_batch(&tx, cutoff)?;
                if deleted == PRUNE_BATCH || !self.options.get_durable() {
                    tx.set_durability(Durability::None)?;
                }
                tx.commit()?;
                Ok(deleted)
            })?;
            total += deleted as u64;
            if deleted < PRUNE_BATCH {
                return Ok(total);
            }
        }
    }

    /// Row count, stored bytes, the oldest and newest `created_at`, and the file's size.
    ///
    /// # Errors
    /// Storage errors, or [`Error::Io`] if the file's size cannot be read.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// # let sha = "e".repeat(40);
    /// let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "t",
    ///     head_sha: &sha, conclusion: "failure", log_tail: "boom\n" };
    /// store.ingest_at(&log, 42)?;
    /// let stats = store.stats()?;
    /// assert_eq!((stats.rows, stats.stored_bytes, stats.oldest_created_at), (1, 5, Some(42)));
    /// assert!(stats.file_bytes > 0);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn stats(&self) -> Result<Stats> {
        let mut stats = self
            .shared
            .run("read", |db| reads::stats(&db.begin_read()?))?;
        stats.file_bytes = reads::file_bytes(self.path())?;
        Ok(stats)
    }

    /// What group commit has done on this file since it was opened in this process: write
    /// transactions and the rows they carried, and how often the file was reopened after a
    /// failed write. `rows / transactions` is the average group size; it grows with the number
    /// of ingests arriving while a commit is in flight.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "t",
    ///     head_sha: &"e".repeat(40), conclusion: "failure", log_tail: "boom\n" };
    /// store.ingest(&log)?;
    /// let stats = store.commit_stats();
    /// assert_eq!((stats.transactions, stats.rows, stats.reopens), (1, 1, 0));
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn commit_stats(&self) -> CommitStats {
        let (transactions, rows) = self
            .shared
            .committer()
            .map_or((0, 0), crate::commit::Committer::totals);
        CommitStats {
            transactions,
            rows,
            reopens: self.shared.reopens(),
        }
    }

    /// Stores a row as [`Store::export`](crate::ExportedRow)ed from a citail store, keeping its
    /// `created_at`, counts and highlights: the way to restore a backup or move rows between
    /// files or schema versions. See [`Store::submit_import`].
    ///
    /// # Errors
    /// As [`Store::submit_import`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let from = citail::Store::open(dir.path().join("a.redb"), citail::Options::default())?;
    /// let to = citail::Store::open(dir.path().join("b.redb"), citail::Options::default())?;
    /// let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "t",
    ///     head_sha: &"e".repeat(40), conclusion: "failure", log_tail: "error: boom\n" };
    /// from.ingest_at(&log, 42)?;
    /// for row in from.rows(&citail::RowFilter::default())? {
    ///     to.import(&citail::ExportedRow::from(row?))?;
    /// }
    /// let copied = to.logs_for_at("a/b", &"e".repeat(40), 42)?;
    /// assert_eq!((copied[0].created_at, copied[0].highlights.len()), (42, 1));
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn import(&self, row: &crate::ExportedRow) -> Result<Ingested> {
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        self.submit_import(self.ticket(), row, move |result| {
            let _ = sender.send(result);
        });
        receiver.recv().unwrap_or_else(|_| Err(Error::closed()))
    }

    /// Like [`Store::submit`] for an exported row: the same field validation and size limit, the
    /// text cleaned as an ingest would clean it (escapes resolved, secrets redacted, the tail cut
    /// to this store's caps, highlights to its highlight caps), but `created_at`, `truncated`,
    /// the original counts and the highlights are the row's own: highlights cannot be found
    /// again from a tail. A row of a step already stored replaces it as a re-post would.
    ///
    /// Highlights must be numbered from 1, increasing, one line each, with `repeats >= 1`.
    ///
    /// # Errors
    /// (Through `done`.) [`Error::InvalidField`] for a bad field (`highlights` among them),
    /// [`Error::PayloadTooLarge`] for a tail over `max_input_bytes`, storage errors otherwise.
    pub fn submit_import(
        &self,
        ticket: Ticket,
        row: &crate::ExportedRow,
        done: impl FnOnce(Result<Ingested>) + Send + 'static,
    ) {
        match self.prepare_import(row) {
            Ok(prepared) => self.commit(ticket, prepared, done),
            Err(err) => done(Err(err)),
        }
    }

    fn prepare_import(&self, row: &crate::ExportedRow) -> Result<Prepared> {
        let log = NewLog {
            repo: &row.repo,
            run_id: &row.run_id,
            job_id: &row.job_id,
            step_name: &row.step_name,
            head_sha: &row.head_sha,
            conclusion: &row.conclusion,
            log_tail: &row.log_tail,
        };
        let valid = self.validated(&log)?;
        let cleaned = crate::dump::clean_import(&self.pipeline, row)?;
        Ok(Prepared {
            repo: valid.repo.to_owned(),
            sha: valid.head_sha,
            created_at: row.created_at,
            value: RowValue {
                run_id: valid.run_id.to_owned(),
                job_id: valid.job_id.to_owned(),
                step_name: valid.step_name.to_owned(),
                conclusion: valid.conclusion.to_owned(),
                truncated: cleaned.truncated,
                original_bytes: row.original_bytes,
                original_lines: row.original_lines,
                tail_bytes: cleaned.tail.len() as u64,
            },
            tail: cleaned.tail,
            highlights: cleaned.highlights,
            redactions: cleaned.redactions,
            // An exported row's placeholders were counted when it was first ingested.
            masked_at_source: 0,
        })
    }

    /// Every stored row `filter` admits (expired-but-unpruned ones included), in key order:
    /// repo, head SHA, `created_at`, id. The iterator reads one snapshot and never blocks
    /// writers; see [`Rows`](crate::Rows).
    ///
    /// # Errors
    /// Storage errors opening the snapshot; each item is a `Result` too.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// for (repo, t) in [("a/one", 1), ("a/two", 2), ("a/one", 3)] {
    ///     let step = t.to_string();
    ///     let log = citail::NewLog { repo, run_id: "1", job_id: "1", step_name: &step,
    ///         head_sha: &"e".repeat(40), conclusion: "failure", log_tail: "" };
    ///     store.ingest_at(&log, t)?;
    /// }
    /// let one: Vec<u64> = store.rows(&citail::RowFilter::default().repo("a/one").since(2))?
    ///     .map(|row| row.map(|r| r.created_at)).collect::<citail::Result<_>>()?;
    /// assert_eq!(one, [3]);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn rows(&self, filter: &crate::RowFilter) -> Result<crate::Rows> {
        self.shared.run("read", |db| {
            crate::Rows::new(&db.begin_read()?, filter.clone())
        })
    }

    /// The `limit` commits whose newest admitted row is newest, newest first, with their row
    /// counts and steps: what `citail list` prints.
    ///
    /// # Errors
    /// Storage errors.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// for (sha, step, t) in [("a", "lint", 1), ("b", "test", 2), ("a", "test", 3)] {
    ///     let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: step,
    ///         head_sha: &sha.repeat(40), conclusion: "failure", log_tail: "" };
    ///     store.ingest_at(&log, t)?;
    /// }
    /// let commits = store.commits(&citail::RowFilter::default(), 10)?;
    /// assert_eq!(commits[0].head_sha, "a".repeat(40));
    /// assert_eq!((commits[0].rows, commits[0].steps.clone()), (2, vec!["lint".into(), "test".into()]));
    /// assert_eq!(commits.len(), 2);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn commits(
        &self,
        filter: &crate::RowFilter,
        limit: usize,
    ) -> Result<Vec<crate::CommitSummary>> {
        self.shared.run("read", |db| {
            crate::scan::commits(&db.begin_read()?, filter, limit)
        })
    }

    /// Checks every invariant of the file over one snapshot: each row decodes (value, tail,
    /// highlights) and has its time-index and identity entries pointing back; each index entry
    /// points at a row; no tail chunk or highlight list belongs to no row; ids are unique and
    /// below the next id; the row and byte counters add up. Writers are not blocked.
    ///
    /// For redb's own page checksums, open with
    /// [`Options::verify_on_open`](crate::Options::verify_on_open).
    ///
    /// # Errors
    /// Storage errors that stop the walk (a problem found is in the report, not an error).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// assert!(store.check()?.is_clean());
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn check(&self) -> Result<crate::CheckReport> {
        self.check_with_progress(&mut |_| {})
    }

    /// [`Store::check`], calling `progress` with the rows checked so far after each row.
    ///
    /// # Errors
    /// As [`Store::check`].
    pub fn check_with_progress(&self, progress: &mut dyn FnMut(u64)) -> Result<crate::CheckReport> {
        self.shared.run("read", |db| {
            crate::check::check(&db.begin_read()?, progress)
        })
    }
}

/// Deletes up to [`PRUNE_BATCH`] rows older than `cutoff` inside `tx`; returns how many.
fn prune_batch(tx: &WriteTransaction, cutoff: u64) -> Result<usize> {
    WriteTables::open(tx)?.delete_expired(cutoff, PRUNE_BATCH)
}

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
fn init_schema(db: &redb::Database) -> Result<u64> {
    let tx = db.begin_write()?;
    {
        tx.open_table(ROWS)?;
        tx.open_table(TAILS)?;
        tx.open_table(ZTAILS)?;
        tx.open_table(BY_TIME)?;
        tx.open_table(IDENTITY)?;
        tx.open_table(HIGHLIGHTS)?;
        tx.open_table(ZHIGHLIGHTS)?;
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
                // Version 1 to 3: the new tables were just created; record the upgrade.
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

/// What [`Store::prepare`] hands to [`Store::commit`].
struct Prepared {
    repo: String,
    sha: String,
    created_at: u64,
    value: RowValue,
    tail: String,
    highlights: Vec<crate::Highlight>,
    redactions: usize,
    masked_at_source: usize,
}

/// Totals of group commit since the file was opened in this process; see
/// [`Store::commit_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommitStats {
    /// Write transactions the writer thread ran for ingests.
    pub transactions: u64,
    /// Rows those transactions carried.
    pub rows: u64,
    /// Times the file was closed and opened again in place because redb had latched an I/O
    /// failure (a full disk, say); see the `live` module. Nonzero means the disk failed a write.
    pub reopens: u64,
}

/// A place in the arrival order of ingests, from [`Store::ticket`]: the id the row will get.
#[derive(Debug)]
#[must_use = "a ticket is used by passing it to Store::submit"]
pub struct Ticket {
    id: u64,
}

impl Ticket {
    /// The id the row will be stored under.
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// `Store` must stay shareable across threads; this fails to compile if it stops being so.
const _: fn() = || {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Store>();
};
