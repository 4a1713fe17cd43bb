//! [`Store`]'s lookup family: a commit's rows (all, or the newest few), whether it has any, the
//! steps older than those read, stats, and the scans behind the CLI. Every read is one redb
//! snapshot (see `storage::reads`).

use super::Store;
use crate::clock;
use crate::error::Result;
use crate::model::{CiLog, FailureHistory, OlderSteps, Stats};
use crate::storage::history;
use crate::storage::reads;
use crate::storage::scan::{self, CommitSummary, RowFilter, Rows};
use redb::ReadableDatabase;

impl Store {
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
    ///     head_sha: &sha, conclusion: "failure", log_tail: "FAILED\n", ..Default::default() };
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
    /// [`Error::InvalidField`](crate::Error::InvalidField) for a malformed `repo` or `head_sha`; storage errors otherwise.
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
    ///     head_sha: &sha, conclusion: "failure", log_tail: "", ..Default::default() };
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
    ///         head_sha: &sha, conclusion: "failure", log_tail: "boom\n", ..Default::default() };
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
    ///         head_sha: &sha, conclusion: "failure", log_tail: "boom\n", ..Default::default() };
    ///     store.ingest_at(&log, i as u64)?;
    /// }
    /// let read = store.recent_logs_for_at("acme/app", &sha, 10, 1)?;
    /// let older = store.steps_before_at(&read[0], 10, 1)?;
    /// assert_eq!(older.count, 2);
    /// assert_eq!(older.newest[0].step_name, "lint");
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn steps_before_at(&self, row: &CiLog, now_ms: u64, names: usize) -> Result<OlderSteps> {
        let (sha, cutoff) = self.lookup_bounds(&row.repo, &row.head_sha, now_ms)?;
        let before = (row.created_at, row.id);
        self.shared.run("read", |db| {
            reads::steps_before(&db.begin_read()?, &row.repo, &sha, cutoff, before, names)
        })
    }

    /// What the store remembers of each row's failure at `now_ms` (one [`FailureHistory`] per
    /// row, in their order): the other commits of the repository whose step failed the same
    /// way (the first, the newest, their branches, the newest on the row's own branch) and the
    /// earlier attempts of its run that did. Reads the `by_fingerprint` index: at most 2,000
    /// entries per fingerprint and commit (a retry loop's rows share the read) and one row value
    /// per other commit; no tail.
    ///
    /// # Errors
    /// As [`Store::logs_for_at`], for each row's `repo` and `head_sha`.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let post = |sha: &str, git_ref: &str, at: u64| -> citail::Result<()> {
    ///     let log = citail::NewLog { repo: "acme/app", run_id: "1", job_id: "1", step_name: "test",
    ///         head_sha: sha, conclusion: "failure", git_ref: Some(git_ref),
    ///         log_tail: "--- FAIL: TestParse (0.02s)\n", ..Default::default() };
    ///     store.ingest_at(&log, at).map(|_| ())
    /// };
    /// post(&"a".repeat(40), "main", 1_000)?;
    /// post(&"b".repeat(40), "feature", 2_000)?;
    /// let rows = store.logs_for_at("acme/app", &"b".repeat(40), 3_000)?;
    /// let history = store.history_at(&rows, 3_000)?;
    /// assert_eq!(history[0].other_commits, 1);
    /// assert_eq!(history[0].refs, ["main"]);
    /// assert!(!history[0].is_new());
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn history_at(&self, rows: &[CiLog], now_ms: u64) -> Result<Vec<FailureHistory>> {
        let cutoff = now_ms.saturating_sub(self.options.get_retention_ms());
        for row in rows {
            self.lookup_bounds(&row.repo, &row.head_sha, now_ms)?;
        }
        self.shared.run("read", |db| {
            history::history(&db.begin_read()?, rows, cutoff)
        })
    }

    /// A lookup's checked arguments: the lowercase SHA, and the oldest `created_at` still live
    /// at `now_ms`.
    fn lookup_bounds(&self, repo: &str, head_sha: &str, now_ms: u64) -> Result<(String, u64)> {
        reads::lookup_bounds(repo, head_sha, now_ms, self.options.get_retention_ms())
    }

    /// Row count, stored bytes, the oldest and newest `created_at`, and the file's size.
    ///
    /// # Errors
    /// Storage errors, or [`Error::Io`](crate::Error::Io) if the file's size cannot be read.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// # let sha = "e".repeat(40);
    /// let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "t",
    ///     head_sha: &sha, conclusion: "failure", log_tail: "boom\n", ..Default::default() };
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
    ///         head_sha: &"e".repeat(40), conclusion: "failure", log_tail: "", ..Default::default() };
    ///     store.ingest_at(&log, t)?;
    /// }
    /// let one: Vec<u64> = store.rows(&citail::RowFilter::default().repo("a/one").since(2))?
    ///     .map(|row| row.map(|r| r.created_at)).collect::<citail::Result<_>>()?;
    /// assert_eq!(one, [3]);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn rows(&self, filter: &RowFilter) -> Result<Rows> {
        self.shared
            .run("read", |db| Rows::new(&db.begin_read()?, filter.clone()))
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
    ///         head_sha: &sha.repeat(40), conclusion: "failure", log_tail: "", ..Default::default() };
    ///     store.ingest_at(&log, t)?;
    /// }
    /// let commits = store.commits(&citail::RowFilter::default(), 10)?;
    /// assert_eq!(commits[0].head_sha, "a".repeat(40));
    /// assert_eq!((commits[0].rows, commits[0].steps.clone()), (2, vec!["lint".into(), "test".into()]));
    /// assert_eq!(commits.len(), 2);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn commits(&self, filter: &RowFilter, limit: usize) -> Result<Vec<CommitSummary>> {
        self.shared
            .run("read", |db| scan::commits(&db.begin_read()?, filter, limit))
    }
}
