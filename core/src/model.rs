//! The values that cross the API: what a workflow posts, what an ingest reports, what a lookup
//! returns.

/// One failed step's log tail as the workflow posts it; borrowed, so ingesting copies only what
/// is stored.
///
/// ```
/// let log = citail::NewLog {
///     repo: "acme/widgets",
///     run_id: "812",
///     job_id: "3",
///     step_name: "test",
///     head_sha: "0123456789abcdef0123456789abcdef01234567",
///     conclusion: "failure",
///     log_tail: "error: 1 test failed\n",
/// };
/// assert!(log.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLog<'a> {
    /// `<owner>/<name>`, each part 1–100 of `[A-Za-z0-9_.-]`, neither part `.` or `..`.
    pub repo: &'a str,
    /// The workflow run id; non-empty, at most 128 bytes, no control or invisible formatting
    /// characters.
    pub run_id: &'a str,
    /// The job id within the run; non-empty, at most 128 bytes, no control or invisible
    /// formatting characters.
    pub job_id: &'a str,
    /// The failed step's name; non-empty, at most 256 bytes, no control or invisible formatting
    /// characters (see [`NewLog::validate`]).
    pub step_name: &'a str,
    /// The commit the run tested: 40 or 64 hex digits, any case (stored lowercase).
    pub head_sha: &'a str,
    /// How the step ended, e.g. `failure`: non-empty, at most 32 bytes of `[a-z_]`.
    pub conclusion: &'a str,
    /// The end of the step's output; may be empty. Normalised, redacted and truncated before
    /// storage (see [`Pipeline`](crate::Pipeline)).
    pub log_tail: &'a str,
}

/// What [`Store::ingest`](crate::Store::ingest) stored.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
/// # let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "test",
/// #     head_sha: &"a".repeat(40), conclusion: "failure", log_tail: "x\n" };
/// let ingested = store.ingest_at(&log, 1_000)?;
/// assert_eq!((ingested.created_at, ingested.stored_lines, ingested.truncated), (1_000, 1, false));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// The row's id; unique in the file, increasing with every ingest.
    pub id: u64,
    /// Creation time, epoch milliseconds.
    pub created_at: u64,
    /// Bytes of tail kept.
    pub stored_bytes: usize,
    /// Lines of tail kept.
    pub stored_lines: usize,
    /// Whether the tail was shortened to fit the limits.
    pub truncated: bool,
    /// Whether a row with the same identity (repo, head_sha, run_id, job_id, step_name) was
    /// replaced.
    pub replaced: bool,
    /// Whether a later arrival of the same step was already stored, so this row was not kept
    /// (see [`Store::submit`](crate::Store::submit)). Never set by sequential ingests.
    pub superseded: bool,
    /// Secrets replaced with `[REDACTED:<rule>]` in the posted log (0 with
    /// [`Options::redact_secrets`](crate::Options::redact_secrets) off).
    pub redactions: usize,
    /// Secrets the sender masked before posting (`[REDACTED:workflow-secret]`,
    /// `[REDACTED:add-mask]` in the posted log; see [`masked_at_source`](crate::masked_at_source)).
    pub masked_at_source: usize,
    /// Failure highlights stored with the row (see [`CiLog::highlights`]).
    pub highlights: usize,
}

/// A stored row, as [`Store::logs_for`](crate::Store::logs_for) returns it. Serialises (serde)
/// with the field names below, the same shape as the binding's `CiLog`.
///
/// ```
/// let log = citail::CiLog {
///     id: 1, repo: "a/b".into(), head_sha: "a".repeat(40), run_id: "1".into(),
///     job_id: "2".into(), step_name: "test".into(), conclusion: "failure".into(),
///     log_tail: "boom\n".into(), created_at: 0, truncated: false,
///     original_bytes: 5, original_lines: 1, highlights: vec![],
/// };
/// assert!(citail::render_prompt_block(&[log], 10_000).contains("boom"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CiLog {
    /// The row's id.
    pub id: u64,
    /// `<owner>/<name>`.
    pub repo: String,
    /// Lowercase hex commit id.
    pub head_sha: String,
    /// Workflow run id.
    pub run_id: String,
    /// Job id.
    pub job_id: String,
    /// Step name.
    pub step_name: String,
    /// How the step ended.
    pub conclusion: String,
    /// The stored tail: the end of the posted log after normalisation and redaction.
    pub log_tail: String,
    /// Creation time, epoch milliseconds.
    pub created_at: u64,
    /// Whether `log_tail` is shorter than what was posted.
    pub truncated: bool,
    /// Bytes posted.
    pub original_bytes: usize,
    /// Lines posted.
    pub original_lines: usize,
    /// The lines of the whole posted log that name the failure, in log order, with their line
    /// numbers (see [`find_highlights`](crate::find_highlights)); empty for rows stored before
    /// schema 2.
    pub highlights: Vec<Highlight>,
}

/// A stored step named without its log: what a prompt names when it does not show the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRef {
    /// The row's id.
    pub id: u64,
    /// Creation time, epoch milliseconds.
    pub created_at: u64,
    /// Workflow run id.
    pub run_id: String,
    /// Job id.
    pub job_id: String,
    /// Step name.
    pub step_name: String,
    /// How the step ended.
    pub conclusion: String,
}

/// The live steps of a commit stored before a given row, from
/// [`Store::steps_before_at`](crate::Store::steps_before_at): what a lookup limited to the
/// newest rows did not read, so a prompt can say so (see
/// [`render_prompt_block_noting`](crate::render_prompt_block_noting)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OlderSteps {
    /// How many there are.
    pub count: u64,
    /// The newest of them, at most the number asked for, oldest first.
    pub newest: Vec<StepRef>,
}

/// A summary of a store, from [`Store::stats`](crate::Store::stats).
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
/// let stats = store.stats()?;
/// assert_eq!((stats.rows, stats.oldest_created_at), (0, None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// The file's schema version (see [`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    pub schema_version: u64,
    /// Rows stored, expired-but-unpruned ones included.
    pub rows: u64,
    /// Sum of stored tail bytes.
    pub stored_bytes: u64,
    /// Oldest `created_at`, if any row exists.
    pub oldest_created_at: Option<u64>,
    /// Newest `created_at`, if any row exists.
    pub newest_created_at: Option<u64>,
    /// Size of the database file on disk.
    pub file_bytes: u64,
}

/// One line that names a failure.
///
/// ```
/// let found = citail::find_highlights("ok\nerror[E0425]: cannot find value `x`\n", 20, 4096);
/// assert_eq!(found[0].line, 2);
/// assert_eq!(found[0].text, "error[E0425]: cannot find value `x`");
/// assert_eq!(found[0].repeats, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Highlight {
    /// 1-based line number in the posted log (normalising and redacting keep line numbers).
    pub line: u64,
    /// The line without its newline: verbatim, or its first
    /// [`MAX_HIGHLIGHT_LINE_BYTES`](crate::MAX_HIGHLIGHT_LINE_BYTES) bytes (cut on a character boundary).
    pub text: String,
    /// How many times this exact line occurred; `line` is the first.
    pub repeats: u32,
}
