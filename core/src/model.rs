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
///     log_tail: "error: 1 test failed\n", ..Default::default()
/// };
/// assert!(log.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
    /// The branch or tag the run was for (`main`, `refs/heads/main`, `refs/tags/v1.2.0`);
    /// optional. At most 256 bytes, no control or invisible characters; a leading
    /// `refs/heads/` is dropped, so a branch is stored by its name.
    pub git_ref: Option<&'a str>,
    /// Which attempt of the run this is: 1 for the first run, 2 for its first re-run; optional
    /// (absent means 1), at most 1000. A re-run attempt is a new row beside the earlier
    /// attempt's; a re-post of the same attempt replaces its row.
    pub run_attempt: Option<u32>,
    /// The command the step ran (its `run:` script); optional, at most 4 KiB, may span lines.
    /// Normalised and redacted like the log before it is stored; shown above the step's log.
    pub command: Option<&'a str>,
}

/// What [`Store::ingest`](crate::Store::ingest) stored.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
/// # let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "test",
/// #     head_sha: &"a".repeat(40), conclusion: "failure", log_tail: "x\n", ..Default::default() };
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
///     original_bytes: 5, original_lines: 1, highlights: vec![], ..Default::default()
/// };
/// assert!(citail::render_prompt_block(&[log], 10_000).contains("boom"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// What stays the same when the same failure happens again (see
    /// [`fingerprint`](crate::fingerprint())); `None` when nothing specific names the failure,
    /// and for rows stored before schema 5.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// The branch or tag the run was for, when the workflow sent it (`ref` in JSON).
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    /// The attempt of the run, when the workflow sent it.
    #[serde(default)]
    pub run_attempt: Option<u32>,
    /// The command the step ran, normalised and redacted, when the workflow sent it.
    #[serde(default)]
    pub command: Option<String>,
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

/// A commit on which a stored failure was seen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeenOn {
    /// The commit, lowercase hex.
    pub head_sha: String,
    /// Its branch or tag, when the workflow sent it (`ref` in JSON).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// When the failure was stored, epoch milliseconds.
    pub created_at: u64,
}

/// What the store remembers of one row's failure, from
/// [`Store::history_at`](crate::Store::history_at): the live rows of the same repository with
/// the same [`fingerprint`](crate::fingerprint()). Without a fingerprint (a row stored before
/// schema 5, or one whose failure nothing specific names) it knows nothing, and says so by
/// `fingerprint: None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FailureHistory {
    /// The row this is about.
    pub id: u64,
    /// Its fingerprint.
    pub fingerprint: Option<String>,
    /// Other commits of the repository on which a step failed the same way.
    pub other_commits: u64,
    /// Whether `other_commits` stopped at the read limit (then it is a lower bound).
    pub other_commits_capped: bool,
    /// The oldest of them.
    pub first: Option<SeenOn>,
    /// The newest of them.
    pub newest: Option<SeenOn>,
    /// The branches and tags they were on (newest first, at most 5; rows without a ref add
    /// none).
    pub refs: Vec<String>,
    /// The newest other commit of the row's own branch, stored before the row, that failed the
    /// same way: the change under review did not fix it (none when the row has no ref).
    pub same_branch: Option<SeenOn>,
    /// Earlier attempts of the same run on the same commit whose step failed the same way.
    pub earlier_attempts: u32,
}

impl FailureHistory {
    /// Whether this failure is new: it has a fingerprint, and no other commit or earlier
    /// attempt in the stored history failed the same way (a read that stopped at its limit
    /// says nothing is new).
    pub fn is_new(&self) -> bool {
        self.fingerprint.is_some()
            && !self.other_commits_capped
            && self.other_commits == 0
            && self.earlier_attempts == 0
    }
}

/// What a prompt block says besides the rows it shows (see
/// [`render_prompt_block_with`](crate::render_prompt_block_with)): the steps a limited lookup did
/// not read, and what the store remembers of each row's failure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptContext {
    /// From [`Store::steps_before_at`](crate::Store::steps_before_at).
    pub older: OlderSteps,
    /// From [`Store::history_at`](crate::Store::history_at), matched to rows by `id`.
    pub history: Vec<FailureHistory>,
}
