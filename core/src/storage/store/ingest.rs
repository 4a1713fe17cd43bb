//! [`Store`]'s ingest family: validate, run the pipeline, take an id in arrival order, queue
//! the row for group commit and wait for its durable commit; and import, which re-cleans an
//! exported row the same way.

use super::{Store, Ticket};
use crate::clock;
use crate::error::{Error, Result};
use crate::ingest::fingerprint::fingerprint;
use crate::ingest::truncate::count_lines;
use crate::ingest::validate::ValidLog;

use crate::model::{Highlight, Ingested, NewLog};
use crate::storage::commit::PendingRow;
use crate::storage::dump::{clean_import, ExportedRow};
use crate::storage::layout::{PackedText, RowExtras, RowValue};

impl Store {
    /// Stores `log` with `created_at` = now. See [`Store::ingest_at`].
    ///
    /// # Errors
    /// As [`Store::ingest_at`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: "test",
    ///     head_sha: &"c".repeat(40), conclusion: "failure", log_tail: "FAILED\n", ..Default::default() };
    /// let ingested = store.ingest(&log)?;
    /// assert!(ingested.created_at > 1_700_000_000_000); // epoch milliseconds
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn ingest(&self, log: &NewLog<'_>) -> Result<Ingested> {
        self.ingest_at(log, clock::now_ms())
    }

    /// Validates `log`, runs its tail through the [`Pipeline`](crate::Pipeline) (normalise, redact, truncate, as
    /// the options say) and stores it with the given creation time, replacing any row with the
    /// same (repo, head_sha, run_id, job_id, step_name).
    ///
    /// The write joins the next group commit (see [`Store::submit`]): threads ingesting at once
    /// share one transaction and one fsync, and each call returns only once its row is on disk.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) or [`Error::PayloadTooLarge`](crate::Error::PayloadTooLarge) for bad input, storage errors
    /// otherwise. On any error nothing is written.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let sha = "f".repeat(40);
    /// let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: "test",
    ///     head_sha: &sha, conclusion: "failure", log_tail: "first try\n", ..Default::default() };
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

    /// Validates `log` and runs the [`Pipeline`](crate::Pipeline) on the calling thread, then queues the row for
    /// the writer thread, which commits it together with every row queued behind the commit in
    /// flight (group commit: one transaction and one fsync for many rows). `done` runs once:
    /// with the outcome, after the row's transaction is on disk (per [`Options::durable`](crate::Options::durable)), on
    /// the writer thread; or at once, on this thread, with a validation error.
    ///
    /// Of two rows of one step, the one with the later `ticket` is kept, whichever commits
    /// first; the other reports [`Ingested::superseded`](crate::Ingested::superseded). [`Store::ingest_at`] is this, waited
    /// for.
    ///
    /// `done` must not block for long: the writer runs it before committing the next group.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let sha = "e".repeat(40);
    /// let post = |text: &'static str| citail::NewLog { repo: "acme/app", run_id: "1",
    ///     job_id: "1", step_name: "test", head_sha: "", conclusion: "failure", log_tail: text, ..Default::default() };
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
        let (command, command_redactions) = self.cleaned_command(valid.command);
        let extras = RowExtras {
            fingerprint: fingerprint(valid.step_name, &processed.highlights, &processed.tail),
            git_ref: valid.git_ref.map(str::to_owned),
            run_attempt: valid.run_attempt,
            command,
        };
        let value = RowValue {
            run_id: valid.run_id.to_owned(),
            job_id: valid.job_id.to_owned(),
            step_name: valid.step_name.to_owned(),
            conclusion: valid.conclusion.to_owned(),
            truncated: processed.truncated,
            original_bytes: valid.log_tail.len() as u64,
            original_lines: processed.original_lines as u64,
            tail_bytes: processed.tail.len() as u64,
            extras,
        };
        Ok(Prepared {
            repo: valid.repo.to_owned(),
            sha: valid.head_sha,
            created_at: created_at_ms,
            value,
            tail: processed.tail,
            highlights: processed.highlights,
            redactions: processed.redactions + command_redactions,
            masked_at_source: processed.masked_at_source,
        })
    }

    /// The command as stored: escapes resolved and secrets redacted like the log (timestamps
    /// kept, as in an import: a script has none), without trailing newlines; `None` when it
    /// is empty once cleaned. Returns the secrets it replaced.
    fn cleaned_command(&self, command: Option<&str>) -> (Option<String>, usize) {
        let Some(command) = command else {
            return (None, 0);
        };
        let (text, redactions) = self.pipeline.clean_imported(command);
        let text = text.trim_end();
        (
            (!text.trim().is_empty()).then(|| text.to_owned()),
            redactions,
        )
    }

    /// The field checks of [`NewLog`](crate::NewLog) and the `max_input_bytes` limit, shared by ingest and
    /// import.
    fn validated<'a>(&self, log: &NewLog<'a>) -> Result<ValidLog<'a>> {
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
    ///     head_sha: &"e".repeat(40), conclusion: "failure", log_tail: "error: boom\n", ..Default::default() };
    /// from.ingest_at(&log, 42)?;
    /// for row in from.rows(&citail::RowFilter::default())? {
    ///     to.import(&citail::ExportedRow::from(row?))?;
    /// }
    /// let copied = to.logs_for_at("a/b", &"e".repeat(40), 42)?;
    /// assert_eq!((copied[0].created_at, copied[0].highlights.len()), (42, 1));
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn import(&self, row: &ExportedRow) -> Result<Ingested> {
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
    /// (Through `done`.) [`Error::InvalidField`](crate::Error::InvalidField) for a bad field (`highlights` among them),
    /// [`Error::PayloadTooLarge`](crate::Error::PayloadTooLarge) for a tail over `max_input_bytes`, storage errors otherwise.
    pub fn submit_import(
        &self,
        ticket: Ticket,
        row: &ExportedRow,
        done: impl FnOnce(Result<Ingested>) + Send + 'static,
    ) {
        match self.prepare_import(row) {
            Ok(prepared) => self.commit(ticket, prepared, done),
            Err(err) => done(Err(err)),
        }
    }

    fn prepare_import(&self, row: &ExportedRow) -> Result<Prepared> {
        let log = NewLog {
            repo: &row.repo,
            run_id: &row.run_id,
            job_id: &row.job_id,
            step_name: &row.step_name,
            head_sha: &row.head_sha,
            conclusion: &row.conclusion,
            log_tail: &row.log_tail,
            git_ref: row.git_ref.as_deref(),
            run_attempt: row.run_attempt,
            command: row.command.as_deref(),
        };
        let valid = self.validated(&log)?;
        let cleaned = clean_import(&self.pipeline, row)?;
        let (command, command_redactions) = self.cleaned_command(valid.command);
        let extras = RowExtras {
            fingerprint: fingerprint(valid.step_name, &cleaned.highlights, &cleaned.tail),
            git_ref: valid.git_ref.map(str::to_owned),
            run_attempt: valid.run_attempt,
            command,
        };
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
                extras,
            },
            tail: cleaned.tail,
            highlights: cleaned.highlights,
            redactions: cleaned.redactions + command_redactions,
            // An exported row's placeholders were counted when it was first ingested.
            masked_at_source: 0,
        })
    }
}

/// What [`Store::prepare`] hands to [`Store::commit`].
struct Prepared {
    repo: String,
    sha: String,
    created_at: u64,
    value: RowValue,
    tail: String,
    highlights: Vec<Highlight>,
    redactions: usize,
    masked_at_source: usize,
}
