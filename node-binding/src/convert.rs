//! Conversion between JS values and citail's types. Every JS input is type-checked here, so a
//! wrong type is an `INVALID_FIELD` (or `INVALID_OPTION`) error naming the field, never a crash.

use crate::error::Failure;
use napi::bindgen_prelude::{FromNapiValue, Object, Unknown};
use napi::{JsValue, ValueType};
use napi_derive::napi;

/// Largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Times (`createdAt`, `now`) are epoch milliseconds from 2000-01-01 to 2100-01-01: `0` would
/// store a row hidden at once, `8.64e15` one that never expires.
const TIME_RANGE: std::ops::Range<u64> = 946_684_800_000..4_102_444_800_000;

/// Options for `CiLogStore.open`; every field is optional and defaults as documented.
///
/// Declared for the generated TypeScript types; `read_options` reads the JS object by hand so a
/// wrong type is an `INVALID_OPTION` error naming the field.
#[napi(object)]
#[allow(dead_code)]
pub struct StoreOptions {
    /// Rows older than this many milliseconds are hidden and pruned. Default 14 days.
    pub retention_ms: Option<f64>,
    /// Most lines kept from the end of each tail. Default 200.
    pub max_lines: Option<f64>,
    /// Most bytes kept from the end of each tail. Default 32768.
    pub max_stored_bytes: Option<f64>,
    /// Larger tails are refused with `PAYLOAD_TOO_LARGE`. Default 65536.
    pub max_input_bytes: Option<f64>,
    /// Fsync every write before acknowledging it. Default true; false only for throwaway stores.
    pub durable: Option<bool>,
    /// Remove terminal escapes, collapse `\r` redraws to what a terminal shows, drop invisible
    /// characters. Default true; false stores the tail as posted (then truncated).
    pub normalize: Option<bool>,
    /// With `normalize`, also remove runner timestamps (`2026-02-14T07:36:53.8244619Z `) at the
    /// start of lines. Default true.
    pub strip_timestamps: Option<bool>,
    /// Replace secrets with `[REDACTED:<rule>]` before storage. Default true.
    pub redact_secrets: Option<bool>,
    /// Extra redaction patterns (`regex` crate syntax), run after the built-in rules. The match,
    /// or its `(?P<secret>…)` group, becomes `[REDACTED:<name>]`. Default none.
    pub redact_patterns: Option<Vec<RedactPatternOption>>,
    /// Most failure highlights kept per row. Default 30; 0 turns highlights off.
    pub max_highlights: Option<f64>,
    /// Most bytes of highlight text kept per row. Default 4096.
    pub max_highlight_bytes: Option<f64>,
    /// Extra highlight rules: a GitHub Actions problem-matcher file (`{ problemMatcher: [...] }`),
    /// as an object or as its JSON text. Regexes use the Rust `regex` crate's syntax.
    #[napi(ts_type = "string | { problemMatcher: ProblemMatcher[] }")]
    pub problem_matchers: Option<serde_json::Value>,
    /// Verify every page checksum when the file is first opened in this process: a damaged file
    /// opens in its last consistent state or throws `CORRUPT`. Default true; reads the file once.
    pub verify_on_open: Option<bool>,
    /// Record redb's allocator state in every commit, so opening after a crash does not walk
    /// the whole file to rebuild it; commits then take two fsyncs. Default false. Costs measured
    /// in docs/reliability.md.
    pub quick_repair: Option<bool>,
    /// When the file is damaged (`CORRUPT`), rename it to `<file>.corrupt-<UTC time>` and open a
    /// fresh store in its place; `store.recovered` then says so. Never deletes. Default false.
    pub recover_corrupt: Option<bool>,
}

/// What `open` did with a damaged file under `recoverCorrupt` (see `CiLogStore.recovered`).
#[napi(object)]
#[derive(Clone)]
pub struct Recovered {
    /// Where the damaged file is now.
    #[napi(js_name = "movedTo")]
    pub moved_to: String,
    /// Why it could not be opened.
    pub reason: String,
}

/// One GitHub Actions problem matcher (see `StoreOptions.problemMatchers`).
#[napi(object)]
#[allow(dead_code)]
pub struct ProblemMatcher {
    /// The matcher's name; errors quote it.
    pub owner: String,
    /// `error` (default) or `warning`; warnings are not highlights.
    pub severity: Option<String>,
    /// Consecutive line patterns; the last may `loop`.
    pub pattern: Vec<MatcherPattern>,
}

/// One line pattern of a problem matcher; group numbers are 1-based.
#[napi(object)]
#[allow(dead_code)]
pub struct MatcherPattern {
    /// The regex.
    pub regexp: String,
    /// Group holding the file.
    pub file: Option<u32>,
    /// Group holding the line number.
    pub line: Option<u32>,
    /// Group holding the column.
    pub column: Option<u32>,
    /// Group holding `error`, `warning`, ...
    pub severity: Option<u32>,
    /// Group holding the rule code.
    pub code: Option<u32>,
    /// Group holding the message (required in the last pattern).
    pub message: Option<u32>,
    /// The last pattern repeats on the following lines.
    #[napi(js_name = "loop")]
    pub repeat: Option<bool>,
}

/// A line that names the failure, from the whole posted log.
#[napi(object)]
pub struct Highlight {
    /// 1-based line number in the posted log.
    pub line: f64,
    /// The line without its newline (its first 512 bytes when longer).
    pub text: String,
    /// How many times this exact line occurred; `line` is the first.
    pub repeats: f64,
}

/// A custom redaction pattern for `StoreOptions.redactPatterns`.
#[napi(object)]
#[allow(dead_code)]
pub struct RedactPatternOption {
    /// Shown in the placeholder: 1-40 of `a-z 0-9 _ -`.
    pub name: String,
    /// The pattern, in the Rust `regex` crate's syntax (linear time; no look-around).
    pub pattern: String,
}

/// A stored step named without its log (see `stepsBefore`).
#[napi(object)]
pub struct StepRef {
    /// The row's id.
    pub id: f64,
    /// Creation time, epoch milliseconds.
    #[napi(js_name = "created_at")]
    pub created_at: f64,
    /// Workflow run id.
    #[napi(js_name = "run_id")]
    pub run_id: String,
    /// Job id.
    #[napi(js_name = "job_id")]
    pub job_id: String,
    /// Step name.
    #[napi(js_name = "step_name")]
    pub step_name: String,
    /// How the step ended.
    pub conclusion: String,
}

/// The live steps of a commit stored before a row: what a limited `logsFor` did not read.
#[napi(object)]
pub struct OlderSteps {
    /// How many there are.
    pub count: f64,
    /// The newest of them (at most `names`), oldest first.
    pub newest: Vec<StepRef>,
}

impl From<citail::OlderSteps> for OlderSteps {
    fn from(o: citail::OlderSteps) -> Self {
        OlderSteps {
            count: num(o.count),
            newest: o
                .newest
                .into_iter()
                .map(|s| StepRef {
                    id: num(s.id),
                    created_at: num(s.created_at),
                    run_id: s.run_id,
                    job_id: s.job_id,
                    step_name: s.step_name,
                    conclusion: s.conclusion,
                })
                .collect(),
        }
    }
}

/// Reads `renderPromptBlock`'s optional `older` (an `OlderSteps` from `stepsBefore`).
pub fn read_older_opt(options: Option<Unknown>) -> Result<citail::OlderSteps, Failure> {
    const KEY: &str = "older";
    let Some(options) = present(options).and_then(as_object) else {
        return Ok(citail::OlderSteps::default());
    };
    let Some(older) = prop(&options, KEY)? else {
        return Ok(citail::OlderSteps::default());
    };
    let shape = || Failure::field(KEY, "must be { count, newest } as stepsBefore returns it");
    let older = as_object(older).ok_or_else(shape)?;
    let count = prop(&older, "count")?.ok_or_else(shape)?;
    let count = whole_number(count, KEY, Failure::field)?;
    let newest = prop(&older, "newest")?.ok_or_else(shape)?;
    if !newest.is_array().unwrap_or(false) {
        return Err(shape());
    }
    let newest = Vec::<Unknown>::from_unknown(newest)
        .map_err(napi_failure)?
        .into_iter()
        .map(|item| {
            let step = as_object(item).ok_or_else(shape)?;
            let number = |key: &'static str| -> Result<u64, Failure> {
                let v = prop(&step, key)?.ok_or_else(shape)?;
                whole_number(v, KEY, Failure::field)
            };
            let text = |key: &'static str| string_prop(&step, key).map_err(|_| shape());
            Ok(citail::StepRef {
                id: number("id")?,
                created_at: number("created_at")?,
                run_id: text("run_id")?,
                job_id: text("job_id")?,
                step_name: text("step_name")?,
                conclusion: text("conclusion")?,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(citail::OlderSteps { count, newest })
}

/// Reads the row `stepsBefore` counts back from: its `repo`, `head_sha`, `created_at` and `id`
/// (a `CiLog` from `logsFor`; other fields are not read).
pub fn read_row_position(row: Unknown) -> Result<citail::CiLog, Failure> {
    let obj =
        as_object(row).ok_or_else(|| Failure::field("row", "must be a CiLog from logsFor"))?;
    let number = |key: &'static str| -> Result<u64, Failure> {
        let v = prop(&obj, key)?.ok_or_else(|| Failure::field(key, "is required"))?;
        whole_number(v, key, Failure::field)
    };
    Ok(citail::CiLog {
        id: number("id")?,
        repo: string_prop(&obj, "repo")?,
        head_sha: string_prop(&obj, "head_sha")?,
        created_at: number("created_at")?,
        run_id: String::new(),
        job_id: String::new(),
        step_name: String::new(),
        conclusion: String::new(),
        log_tail: String::new(),
        truncated: false,
        original_bytes: 0,
        original_lines: 0,
        highlights: Vec::new(),
        ..Default::default()
    })
}

/// Reads the rows `historyFor` looks up: of each, what its history depends on (`id`, `repo`,
/// `head_sha`, `created_at`, `run_id`, `fingerprint`, `ref`, `run_attempt`); tails are not
/// read, so a commit's 50 rows cross for the cost of their labels.
pub fn read_history_rows(rows: Unknown) -> Result<Vec<citail::CiLog>, Failure> {
    if !rows.is_array().unwrap_or(false) {
        return Err(Failure::field(
            "rows",
            "must be an array of CiLog from logsFor",
        ));
    }
    Vec::<Unknown>::from_unknown(rows)
        .map_err(napi_failure)?
        .into_iter()
        .map(|item| {
            let mut row = read_row_position(item)?;
            let obj =
                as_object(item).ok_or_else(|| Failure::field("rows", "must be CiLog objects"))?;
            row.run_id = id_prop(&obj, "run_id")?;
            row.fingerprint = optional_string_prop(&obj, "fingerprint")?;
            row.git_ref = optional_string_prop(&obj, "ref")?;
            row.run_attempt = prop(&obj, "run_attempt")?
                .map(|v| whole_number(v, "run_attempt", Failure::field))
                .transpose()?
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
            Ok(row)
        })
        .collect()
}

/// What an ingest stored.
#[napi(object)]
pub struct IngestResult {
    /// Row id, increasing with every ingest.
    pub id: f64,
    /// Creation time, epoch milliseconds.
    #[napi(js_name = "created_at")]
    pub created_at: f64,
    /// Bytes of tail kept.
    #[napi(js_name = "stored_bytes")]
    pub stored_bytes: f64,
    /// Lines of tail kept.
    #[napi(js_name = "stored_lines")]
    pub stored_lines: f64,
    /// Whether the tail was shortened to the limits.
    pub truncated: bool,
    /// Whether an earlier post of the same step was replaced.
    pub replaced: bool,
    /// Whether a later post of the same step (called after this one) was already stored, so
    /// this row was not kept: the last post called wins.
    pub superseded: bool,
    /// Secrets replaced with `[REDACTED:<rule>]` in the posted log.
    pub redactions: f64,
    /// Secrets the sender had masked before posting (`[REDACTED:workflow-secret]`,
    /// `[REDACTED:add-mask]` in the posted log), counted apart from `redactions`.
    #[napi(js_name = "masked_at_source")]
    pub masked_at_source: f64,
    /// Failure highlights stored with the row.
    pub highlights: f64,
}

/// A stored row.
///
/// Declared for the generated TypeScript types: `index.js` builds these objects from the packed
/// form of `packed.rs`.
#[napi(object)]
#[allow(dead_code)]
pub struct CiLog {
    /// Row id.
    pub id: f64,
    /// `<owner>/<name>`.
    pub repo: String,
    /// Lowercase hex commit id.
    #[napi(js_name = "head_sha")]
    pub head_sha: String,
    /// Workflow run id.
    #[napi(js_name = "run_id")]
    pub run_id: String,
    /// Job id.
    #[napi(js_name = "job_id")]
    pub job_id: String,
    /// Step name.
    #[napi(js_name = "step_name")]
    pub step_name: String,
    /// How the step ended, e.g. `failure`.
    pub conclusion: String,
    /// The stored tail: a suffix of what was posted.
    #[napi(js_name = "log_tail")]
    pub log_tail: String,
    /// Creation time, epoch milliseconds.
    #[napi(js_name = "created_at")]
    pub created_at: f64,
    /// Whether `log_tail` is shorter than what was posted.
    pub truncated: bool,
    /// Bytes posted.
    #[napi(js_name = "original_bytes")]
    pub original_bytes: f64,
    /// Lines posted.
    #[napi(js_name = "original_lines")]
    pub original_lines: f64,
    /// The lines of the whole posted log that name the failure, in log order.
    pub highlights: Vec<Highlight>,
    /// What stays the same when the same failure happens again (`v1:` and 16 hex digits);
    /// `null` when nothing specific names the failure, and for rows stored before schema 5.
    pub fingerprint: Option<String>,
    /// The branch or tag the run was for, when the workflow sent it.
    #[napi(js_name = "ref")]
    pub git_ref: Option<String>,
    /// The run attempt, when the workflow sent it.
    #[napi(js_name = "run_attempt")]
    pub run_attempt: Option<f64>,
    /// The command the step ran (normalised and redacted), when the workflow sent it.
    pub command: Option<String>,
}

/// A commit on which a stored failure was seen.
#[napi(object)]
pub struct SeenOn {
    /// The commit, lowercase hex.
    #[napi(js_name = "head_sha")]
    pub head_sha: String,
    /// Its branch or tag, when the workflow sent it.
    #[napi(js_name = "ref")]
    pub git_ref: Option<String>,
    /// When the failure was stored, epoch milliseconds.
    #[napi(js_name = "created_at")]
    pub created_at: f64,
}

/// What the store remembers of one row's failure (see `historyFor`).
#[napi(object)]
pub struct FailureHistory {
    /// The row this is about.
    pub id: f64,
    /// Its fingerprint; `null` when it has none (then nothing is known).
    pub fingerprint: Option<String>,
    /// Other commits of the repository on which a step failed the same way.
    #[napi(js_name = "other_commits")]
    pub other_commits: f64,
    /// Whether `other_commits` stopped at the read limit (a lower bound then).
    #[napi(js_name = "other_commits_capped")]
    pub other_commits_capped: bool,
    /// The oldest of them.
    pub first: Option<SeenOn>,
    /// The newest of them.
    pub newest: Option<SeenOn>,
    /// Their branches and tags, newest first, at most 5.
    pub refs: Vec<String>,
    /// The newest other commit of the row's own branch, stored before it, that failed the same
    /// way.
    #[napi(js_name = "same_branch")]
    pub same_branch: Option<SeenOn>,
    /// Earlier attempts of the same run on the same commit whose step failed the same way.
    #[napi(js_name = "earlier_attempts")]
    pub earlier_attempts: f64,
    /// Whether the failure is new: a fingerprint, and no other commit or earlier attempt.
    #[napi(js_name = "is_new")]
    pub is_new: bool,
}

impl From<citail::SeenOn> for SeenOn {
    fn from(s: citail::SeenOn) -> Self {
        SeenOn {
            head_sha: s.head_sha,
            git_ref: s.git_ref,
            created_at: num(s.created_at),
        }
    }
}

impl From<citail::FailureHistory> for FailureHistory {
    fn from(h: citail::FailureHistory) -> Self {
        let is_new = h.is_new();
        FailureHistory {
            id: num(h.id),
            fingerprint: h.fingerprint,
            other_commits: num(h.other_commits),
            other_commits_capped: h.other_commits_capped,
            first: h.first.map(SeenOn::from),
            newest: h.newest.map(SeenOn::from),
            refs: h.refs,
            same_branch: h.same_branch.map(SeenOn::from),
            earlier_attempts: num(h.earlier_attempts),
            is_new,
        }
    }
}

/// Reads `renderPromptBlock`'s optional `history` (what `historyFor` returns).
pub fn read_history_opt(options: Option<Unknown>) -> Result<Vec<citail::FailureHistory>, Failure> {
    const KEY: &str = "history";
    let Some(options) = present(options).and_then(as_object) else {
        return Ok(Vec::new());
    };
    let Some(list) = prop(&options, KEY)? else {
        return Ok(Vec::new());
    };
    let shape = || {
        Failure::field(
            KEY,
            "must be an array of FailureHistory as historyFor returns it",
        )
    };
    if !list.is_array().unwrap_or(false) {
        return Err(shape());
    }
    Vec::<Unknown>::from_unknown(list)
        .map_err(napi_failure)?
        .into_iter()
        .map(|item| {
            let h = as_object(item).ok_or_else(shape)?;
            let number = |key: &'static str| -> Result<u64, Failure> {
                prop(&h, key)?.map_or(Ok(0), |v| whole_number(v, KEY, Failure::field))
            };
            let seen = |key: &'static str| -> Result<Option<citail::SeenOn>, Failure> {
                let Some(value) = prop(&h, key)? else {
                    return Ok(None);
                };
                let at = as_object(value).ok_or_else(shape)?;
                Ok(Some(citail::SeenOn {
                    head_sha: string_prop(&at, "head_sha").map_err(|_| shape())?,
                    git_ref: optional_string_prop(&at, "ref").map_err(|_| shape())?,
                    created_at: prop(&at, "created_at")?
                        .map_or(Ok(0), |v| whole_number(v, KEY, Failure::field))?,
                }))
            };
            let refs = match prop(&h, "refs")? {
                None => Vec::new(),
                Some(v) if v.is_array().unwrap_or(false) => Vec::<Unknown>::from_unknown(v)
                    .map_err(napi_failure)?
                    .into_iter()
                    .map(|r| read_text(r, KEY).map_err(|_| shape()))
                    .collect::<Result<Vec<_>, Failure>>()?,
                Some(_) => return Err(shape()),
            };
            let capped = match prop(&h, "other_commits_capped")? {
                None => false,
                Some(v) => bool::from_unknown(v).map_err(|_| shape())?,
            };
            Ok(citail::FailureHistory {
                id: prop(&h, "id")?
                    .ok_or_else(shape)
                    .and_then(|v| whole_number(v, KEY, Failure::field))?,
                fingerprint: optional_string_prop(&h, "fingerprint").map_err(|_| shape())?,
                other_commits: number("other_commits")?,
                other_commits_capped: capped,
                first: seen("first")?,
                newest: seen("newest")?,
                refs,
                same_branch: seen("same_branch")?,
                earlier_attempts: u32::try_from(number("earlier_attempts")?).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// A summary of the store. Field names are snake_case like the other result objects.
#[napi(object)]
pub struct StoreStats {
    /// Rows stored, expired-but-unpruned ones included.
    pub rows: f64,
    /// Sum of stored tail bytes.
    #[napi(js_name = "stored_bytes")]
    pub stored_bytes: f64,
    /// Oldest `created_at`; absent when the store is empty.
    #[napi(js_name = "oldest_created_at")]
    pub oldest_created_at: Option<f64>,
    /// Newest `created_at`; absent when the store is empty.
    #[napi(js_name = "newest_created_at")]
    pub newest_created_at: Option<f64>,
    /// Size of the database file in bytes.
    #[napi(js_name = "file_bytes")]
    pub file_bytes: f64,
}

/// A count or time as a JS number: exact below 2^53, which every stored count and time is.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn num(n: impl TryInto<u64>) -> f64 {
    n.try_into().unwrap_or(u64::MAX) as f64
}

/// Group commit totals since the file was opened in this process.
#[napi(object)]
pub struct CommitStats {
    /// Write transactions the writer thread ran for ingests.
    pub transactions: f64,
    /// Rows those transactions carried; `rows / transactions` is the average group size.
    pub rows: f64,
    /// Times the file was closed and opened again in place because a write had failed at the
    /// disk (a full disk, say). Nonzero means the disk failed a write.
    pub reopens: f64,
}

impl From<citail::CommitStats> for CommitStats {
    fn from(c: citail::CommitStats) -> Self {
        CommitStats {
            transactions: num(c.transactions),
            rows: num(c.rows),
            reopens: num(c.reopens),
        }
    }
}

impl From<citail::Ingested> for IngestResult {
    fn from(i: citail::Ingested) -> Self {
        IngestResult {
            id: num(i.id),
            created_at: num(i.created_at),
            stored_bytes: num(i.stored_bytes),
            stored_lines: num(i.stored_lines),
            truncated: i.truncated,
            replaced: i.replaced,
            superseded: i.superseded,
            redactions: num(i.redactions),
            masked_at_source: num(i.masked_at_source),
            highlights: num(i.highlights),
        }
    }
}

impl From<citail::Highlight> for Highlight {
    fn from(h: citail::Highlight) -> Self {
        Highlight {
            line: num(h.line),
            text: h.text,
            repeats: num(h.repeats),
        }
    }
}

impl From<citail::Stats> for StoreStats {
    fn from(s: citail::Stats) -> Self {
        StoreStats {
            rows: num(s.rows),
            stored_bytes: num(s.stored_bytes),
            oldest_created_at: s.oldest_created_at.map(num),
            newest_created_at: s.newest_created_at.map(num),
            file_bytes: num(s.file_bytes),
        }
    }
}

/// A wire payload with owned strings, ready to cross to a worker thread.
#[derive(Debug)]
pub struct OwnedLog {
    repo: String,
    run_id: String,
    job_id: String,
    step_name: String,
    head_sha: String,
    conclusion: String,
    log_tail: String,
    git_ref: Option<String>,
    run_attempt: Option<u32>,
    command: Option<String>,
}

impl OwnedLog {
    /// Borrowed view for the core.
    pub fn as_new_log(&self) -> citail::NewLog<'_> {
        citail::NewLog {
            repo: &self.repo,
            run_id: &self.run_id,
            job_id: &self.job_id,
            step_name: &self.step_name,
            head_sha: &self.head_sha,
            conclusion: &self.conclusion,
            log_tail: &self.log_tail,
            git_ref: self.git_ref.as_deref(),
            run_attempt: self.run_attempt,
            command: self.command.as_deref(),
        }
    }
}

/// Reads the wire body `{ repo, run_id, job_id, step_name, head_sha, conclusion, log_tail }`
/// and its optional `ref`, `run_attempt` and `command` (absent or `null`: not sent). `run_id`
/// and `job_id` may be non-negative integer numbers, `run_attempt` a number or a string of
/// digits (runners expose it as an environment variable); extra keys are ignored.
pub fn read_payload(payload: Unknown) -> Result<OwnedLog, Failure> {
    let obj = as_object(payload).ok_or_else(|| Failure::field("payload", "must be an object"))?;
    Ok(OwnedLog {
        repo: string_prop(&obj, "repo")?,
        run_id: id_prop(&obj, "run_id")?,
        job_id: id_prop(&obj, "job_id")?,
        step_name: string_prop(&obj, "step_name")?,
        head_sha: string_prop(&obj, "head_sha")?,
        conclusion: string_prop(&obj, "conclusion")?,
        log_tail: string_prop(&obj, "log_tail")?,
        git_ref: optional_string_prop(&obj, "ref")?,
        run_attempt: optional_attempt_prop(&obj, "run_attempt")?,
        command: optional_string_prop(&obj, "command")?,
    })
}

/// An optional string property: `None` when absent or `null`.
fn optional_string_prop(obj: &Object, key: &'static str) -> Result<Option<String>, Failure> {
    match prop(obj, key)? {
        None => Ok(None),
        Some(value) => match value.get_type() {
            Ok(ValueType::String) => String::from_unknown(value).map(Some).map_err(napi_failure),
            _ => Err(Failure::field(key, "must be a string when present")),
        },
    }
}

/// An optional run attempt: a whole number, or a string of digits; the range is the core's.
fn optional_attempt_prop(obj: &Object, key: &'static str) -> Result<Option<u32>, Failure> {
    let Some(value) = prop(obj, key)? else {
        return Ok(None);
    };
    let number = match value.get_type() {
        Ok(ValueType::String) => {
            let text = String::from_unknown(value).map_err(napi_failure)?;
            text.trim()
                .parse::<u64>()
                .map_err(|_| Failure::field(key, "must be a whole number when present"))?
        }
        _ => whole_number(value, key, Failure::field)?,
    };
    // Out of u32 is out of range: let the core say so with its own message.
    Ok(Some(u32::try_from(number).unwrap_or(u32::MAX)))
}

/// Reads an optional non-negative integer from an options object such as `{ createdAt }`,
/// `{ now }` or `{ maxBytes }`.
pub fn read_number_opt(opts: Option<Unknown>, key: &'static str) -> Result<Option<u64>, Failure> {
    let Some(obj) = present(opts) else {
        return Ok(None);
    };
    let obj = as_object(obj).ok_or_else(|| Failure::field(key, "options must be an object"))?;
    match prop(&obj, key)? {
        None => Ok(None),
        Some(value) => Ok(Some(whole_number(value, key, Failure::field)?)),
    }
}

/// Reads an optional time (`createdAt`, `now`) from an options object: epoch milliseconds in
/// [`TIME_RANGE`], else `INVALID_FIELD` naming it.
pub fn read_time_opt(opts: Option<Unknown>, key: &'static str) -> Result<Option<u64>, Failure> {
    let time = read_number_opt(opts, key)?;
    match time {
        Some(t) if !TIME_RANGE.contains(&t) => Err(Failure::field(
            key,
            format!("must be epoch milliseconds between 2000-01-01 and 2100-01-01, got {t}"),
        )),
        other => Ok(other),
    }
}

/// Reads `StoreOptions` into core options; `INVALID_OPTION` names a bad one.
pub fn read_options(opts: Option<Unknown>) -> Result<citail::Options, Failure> {
    let mut options = citail::Options::default();
    let Some(obj) = present(opts) else {
        return Ok(options);
    };
    let obj = as_object(obj).ok_or_else(|| Failure::option("options", "must be an object"))?;
    let get = |key: &'static str| -> Result<Option<u64>, Failure> {
        prop(&obj, key)?
            .map(|v| whole_number(v, key, Failure::option))
            .transpose()
    };
    if let Some(v) = get("retentionMs")? {
        options = options.retention_ms(v);
    }
    if let Some(v) = get("maxLines")? {
        options = options.max_lines(usize_of(v));
    }
    if let Some(v) = get("maxStoredBytes")? {
        options = options.max_stored_bytes(usize_of(v));
    }
    if let Some(v) = get("maxInputBytes")? {
        options = options.max_input_bytes(usize_of(v));
    }
    let flag = |key: &'static str| -> Result<Option<bool>, Failure> {
        match prop(&obj, key)? {
            None => Ok(None),
            Some(v) => match v.get_type() {
                Ok(ValueType::Boolean) => Ok(Some(bool::from_unknown(v).map_err(napi_failure)?)),
                _ => Err(Failure::option(key, "must be a boolean")),
            },
        }
    };
    if let Some(v) = flag("durable")? {
        options = options.durable(v);
    }
    if let Some(v) = flag("normalize")? {
        options = options.normalize(v);
    }
    if let Some(v) = flag("stripTimestamps")? {
        options = options.strip_timestamps(v);
    }
    if let Some(v) = flag("redactSecrets")? {
        options = options.redact_secrets(v);
    }
    if let Some(v) = flag("verifyOnOpen")? {
        options = options.verify_on_open(v);
    }
    if let Some(v) = flag("quickRepair")? {
        options = options.quick_repair(v);
    }
    if let Some(v) = flag("recoverCorrupt")? {
        options = options.recover_corrupt(v);
    }
    if let Some(v) = prop(&obj, "redactPatterns")? {
        options = options.redact_patterns(read_patterns(v)?);
    }
    if let Some(v) = get("maxHighlights")? {
        options = options.max_highlights(usize_of(v));
    }
    if let Some(v) = get("maxHighlightBytes")? {
        options = options.max_highlight_bytes(usize_of(v));
    }
    if let Some(v) = prop(&obj, "problemMatchers")? {
        options = options.problem_matchers(read_matchers(v)?);
    }
    Ok(options)
}

/// Reads `problemMatchers`: the JSON text of a problem-matcher file, or the object itself.
fn read_matchers(value: Unknown) -> Result<Vec<citail::ProblemMatcher>, Failure> {
    let json = match value.get_type() {
        Ok(ValueType::String) => String::from_unknown(value).map_err(napi_failure)?,
        Ok(ValueType::Object) => serde_json::Value::from_unknown(value)
            .map_err(|e| {
                Failure::option("problemMatchers", format!("cannot read the object: {e}"))
            })?
            .to_string(),
        _ => {
            return Err(Failure::option(
                "problemMatchers",
                "must be a problem-matcher object or its JSON text",
            ))
        }
    };
    Ok(citail::ProblemMatcher::parse(&json)?)
}

/// Reads `redactPatterns: { name, pattern }[]`; a wrong shape is `INVALID_OPTION`
/// (`redactPatterns`). Names and regexes are checked by the core when the store opens.
fn read_patterns(value: Unknown) -> Result<Vec<citail::RedactPattern>, Failure> {
    const KEY: &str = "redactPatterns";
    if !value.is_array().unwrap_or(false) {
        return Err(Failure::option(
            KEY,
            "must be an array of { name, pattern }",
        ));
    }
    let items = Vec::<Unknown>::from_unknown(value).map_err(napi_failure)?;
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let shape = || {
                Failure::option(
                    KEY,
                    format!("item {index} must be {{ name: string, pattern: string }}"),
                )
            };
            let obj = as_object(item).ok_or_else(shape)?;
            let text = |key: &'static str| -> Result<String, Failure> {
                let v = prop(&obj, key)?.ok_or_else(shape)?;
                match v.get_type() {
                    Ok(ValueType::String) => String::from_unknown(v).map_err(napi_failure),
                    _ => Err(shape()),
                }
            };
            Ok(citail::RedactPattern::new(text("name")?, text("pattern")?))
        })
        .collect()
}

/// Reads `CiLog[]` (as returned by `logsFor`) for rendering.
pub fn read_logs(logs: Unknown) -> Result<Vec<citail::CiLog>, Failure> {
    if !logs.is_array().unwrap_or(false) {
        return Err(Failure::field("logs", "must be an array of CiLog"));
    }
    let items = Vec::<Unknown>::from_unknown(logs).map_err(napi_failure)?;
    items
        .into_iter()
        .map(|item| {
            let obj = as_object(item)
                .ok_or_else(|| Failure::field("logs", "each item must be a CiLog object"))?;
            let number = |key: &'static str| -> Result<u64, Failure> {
                let v = prop(&obj, key)?.ok_or_else(|| Failure::field(key, "is required"))?;
                whole_number(v, key, Failure::field)
            };
            Ok(citail::CiLog {
                id: number("id")?,
                repo: string_prop(&obj, "repo")?,
                head_sha: string_prop(&obj, "head_sha")?,
                run_id: id_prop(&obj, "run_id")?,
                job_id: id_prop(&obj, "job_id")?,
                step_name: string_prop(&obj, "step_name")?,
                conclusion: string_prop(&obj, "conclusion")?,
                log_tail: string_prop(&obj, "log_tail")?,
                created_at: number("created_at")?,
                truncated: bool_prop(&obj, "truncated")?,
                original_bytes: usize_of(number("original_bytes")?),
                original_lines: usize_of(number("original_lines")?),
                highlights: read_highlights(&obj)?,
                fingerprint: optional_string_prop(&obj, "fingerprint")?,
                git_ref: optional_string_prop(&obj, "ref")?,
                run_attempt: prop(&obj, "run_attempt")?
                    .map(|v| whole_number(v, "run_attempt", Failure::field))
                    .transpose()?
                    .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
                command: optional_string_prop(&obj, "command")?,
            })
        })
        .collect()
}

/// Reads a row's optional `highlights` (rows built by hand may leave it out).
fn read_highlights(row: &Object) -> Result<Vec<citail::Highlight>, Failure> {
    const KEY: &str = "highlights";
    let Some(value) = prop(row, KEY)? else {
        return Ok(Vec::new());
    };
    if !value.is_array().unwrap_or(false) {
        return Err(Failure::field(
            KEY,
            "must be an array of { line, text, repeats }",
        ));
    }
    Vec::<Unknown>::from_unknown(value)
        .map_err(napi_failure)?
        .into_iter()
        .map(|item| {
            let obj = as_object(item)
                .ok_or_else(|| Failure::field(KEY, "each item must be { line, text, repeats }"))?;
            let number = |key: &'static str| -> Result<u64, Failure> {
                let v = prop(&obj, key)?
                    .ok_or_else(|| Failure::field(KEY, format!("an item lacks `{key}`")))?;
                whole_number(v, KEY, Failure::field)
            };
            Ok(citail::Highlight {
                line: number("line")?,
                text: string_prop(&obj, "text")
                    .map_err(|_| Failure::field(KEY, "an item's `text` must be a string"))?,
                repeats: u32::try_from(number("repeats")?).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// Reads an optional non-negative integer argument (e.g. `maxBytes`); `undefined` and `null`
/// mean absent, any other type is `INVALID_FIELD` naming it.
pub fn read_count_arg(
    value: Option<Unknown>,
    field: &'static str,
) -> Result<Option<usize>, Failure> {
    present(value)
        .map(|v| whole_number(v, field, Failure::field).map(usize_of))
        .transpose()
}

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn napi_failure(err: napi::Error) -> Failure {
    Failure::Panic(format!("napi conversion failed: {err}"))
}

/// `None` for a missing, `undefined` or `null` value.
fn present(value: Option<Unknown>) -> Option<Unknown> {
    value.filter(|v| !matches!(v.get_type(), Ok(ValueType::Undefined | ValueType::Null)))
}

fn as_object(value: Unknown) -> Option<Object> {
    match value.get_type() {
        Ok(ValueType::Object) if !value.is_array().unwrap_or(true) => {
            Object::from_unknown(value).ok()
        }
        _ => None,
    }
}

/// The property's value, `None` when absent, `undefined` or `null`.
fn prop<'env>(obj: &Object<'env>, key: &'static str) -> Result<Option<Unknown<'env>>, Failure> {
    let value = obj.get::<Unknown>(key).map_err(napi_failure)?;
    Ok(present(value))
}

fn string_prop(obj: &Object, key: &'static str) -> Result<String, Failure> {
    let value = prop(obj, key)?.ok_or_else(|| Failure::field(key, "is required"))?;
    match value.get_type() {
        Ok(ValueType::String) => String::from_unknown(value).map_err(napi_failure),
        _ => Err(Failure::field(key, "must be a string")),
    }
}

/// A string argument; any other type is `INVALID_FIELD` naming `field`.
pub fn read_text(value: Unknown, field: &'static str) -> Result<String, Failure> {
    match value.get_type() {
        Ok(ValueType::String) => String::from_unknown(value).map_err(napi_failure),
        _ => Err(Failure::field(field, "must be a string")),
    }
}

fn bool_prop(obj: &Object, key: &'static str) -> Result<bool, Failure> {
    let value = prop(obj, key)?.ok_or_else(|| Failure::field(key, "is required"))?;
    match value.get_type() {
        Ok(ValueType::Boolean) => bool::from_unknown(value).map_err(napi_failure),
        _ => Err(Failure::field(key, "must be a boolean")),
    }
}

/// A string, or a non-negative integer number rendered in decimal.
fn id_prop(obj: &Object, key: &'static str) -> Result<String, Failure> {
    let value = prop(obj, key)?.ok_or_else(|| Failure::field(key, "is required"))?;
    match value.get_type() {
        Ok(ValueType::String) => String::from_unknown(value).map_err(napi_failure),
        Ok(ValueType::Number) => Ok(whole_number(value, key, Failure::field)?.to_string()),
        _ => Err(Failure::field(key, "must be a string or an integer")),
    }
}

fn whole_number(
    value: Unknown,
    key: &'static str,
    fail: fn(&'static str, String) -> Failure,
) -> Result<u64, Failure> {
    match value.get_type() {
        Ok(ValueType::Number) => {
            check_whole(f64::from_unknown(value).map_err(napi_failure)?, key, fail)
        }
        _ => Err(fail(key, "must be a number".to_owned())),
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn check_whole(
    n: f64,
    key: &'static str,
    fail: fn(&'static str, String) -> Failure,
) -> Result<u64, Failure> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER {
        Ok(n as u64)
    } else {
        Err(fail(
            key,
            format!("must be a non-negative safe integer, got {n}"),
        ))
    }
}
