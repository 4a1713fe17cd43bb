//! Store configuration with documented defaults.

use crate::error::{Error, Result};
use crate::ingest::highlight::{Highlighter, ProblemMatcher};
use crate::ingest::redact::{RedactPattern, Redactor};

/// One day in milliseconds.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// How a [`Store`](crate::Store) validates, truncates, keeps and commits rows.
///
/// Every setter documents its default; [`Options::default`] gives all of them. Values are checked
/// by [`Store::open`](crate::Store::open), which returns [`Error::InvalidOption`] rather than
/// panicking on an out-of-range value.
///
/// ```
/// let options = citail::Options::default()
///     .retention_ms(7 * 24 * 60 * 60 * 1000)
///     .max_lines(100);
/// assert_eq!(options.get_max_lines(), 100);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
#[allow(clippy::struct_excessive_bools)] // independent switches, each with its own setter
pub struct Options {
    retention_ms: u64,
    max_lines: usize,
    max_stored_bytes: usize,
    max_input_bytes: usize,
    durable: bool,
    cache_bytes: usize,
    normalize: bool,
    strip_timestamps: bool,
    redact_secrets: bool,
    redact_patterns: Vec<RedactPattern>,
    max_highlights: usize,
    max_highlight_bytes: usize,
    problem_matchers: Vec<ProblemMatcher>,
    verify_on_open: bool,
    quick_repair: bool,
    recover_corrupt: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retention_ms: 14 * DAY_MS,
            max_lines: 200,
            max_stored_bytes: 32 * 1024,
            max_input_bytes: 64 * 1024,
            durable: true,
            cache_bytes: 32 * 1024 * 1024,
            normalize: true,
            strip_timestamps: true,
            redact_secrets: true,
            redact_patterns: Vec::new(),
            max_highlights: 30,
            max_highlight_bytes: 4096,
            problem_matchers: Vec::new(),
            verify_on_open: true,
            quick_repair: false,
            recover_corrupt: false,
        }
    }
}

/// Largest accepted `max_input_bytes`: a tail is a tail, not a whole build log.
///
/// ```
/// let too_big = citail::Options::default().max_input_bytes(citail::MAX_INPUT_BYTES_LIMIT + 1);
/// assert!(too_big.validate().is_err());
/// ```
pub const MAX_INPUT_BYTES_LIMIT: usize = 16 * 1024 * 1024;

impl Options {
    /// How long a row is kept, in milliseconds. Rows with `created_at < now - retention` are
    /// hidden from lookups and deleted by [`Store::prune`](crate::Store::prune).
    /// Default: 14 days. Must be at least 1.
    ///
    /// ```
    /// let week = citail::Options::default().retention_ms(7 * 24 * 60 * 60 * 1000);
    /// assert_eq!(week.get_retention_ms(), 604_800_000);
    /// ```
    pub fn retention_ms(mut self, ms: u64) -> Self {
        self.retention_ms = ms;
        self
    }

    /// Most lines kept from the end of each tail. Default: 200. Must be at least 1.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().max_lines(50).get_max_lines(), 50);
    /// ```
    pub fn max_lines(mut self, lines: usize) -> Self {
        self.max_lines = lines;
        self
    }

    /// Most UTF-8 bytes kept from the end of each tail. Default: 32 KiB. Must be at least 1 and
    /// at most `max_input_bytes`.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().max_stored_bytes(4096).get_max_stored_bytes(), 4096);
    /// ```
    pub fn max_stored_bytes(mut self, bytes: usize) -> Self {
        self.max_stored_bytes = bytes;
        self
    }

    /// Largest tail accepted at all; anything longer is [`Error::PayloadTooLarge`].
    /// Default: 64 KiB. At most [`MAX_INPUT_BYTES_LIMIT`].
    ///
    /// ```
    /// let o = citail::Options::default().max_input_bytes(128 * 1024);
    /// assert_eq!(o.get_max_input_bytes(), 131_072);
    /// ```
    pub fn max_input_bytes(mut self, bytes: usize) -> Self {
        self.max_input_bytes = bytes;
        self
    }

    /// Whether each write is fsynced before it is acknowledged. Default: `true`.
    ///
    /// With `false`, an acknowledged row can be lost in a crash; meant for throwaway stores in
    /// tests only.
    ///
    /// ```
    /// assert!(!citail::Options::default().durable(false).get_durable());
    /// ```
    pub fn durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// Page cache given to redb, in bytes. Default: 32 MiB. The first `open` of a path decides
    /// it for every handle sharing that database.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().cache_bytes(1 << 20).get_cache_bytes(), 1 << 20);
    /// ```
    pub fn cache_bytes(mut self, bytes: usize) -> Self {
        self.cache_bytes = bytes;
        self
    }

    /// Whether tails are normalised before storage: terminal escapes removed, `\r` redraws
    /// collapsed to what a terminal shows, invisible characters dropped (see
    /// [`normalize`](crate::normalize())). Default: `true`. With `false` the tail is stored as
    /// posted (then truncated).
    ///
    /// ```
    /// assert!(!citail::Options::default().normalize(false).get_normalize());
    /// ```
    pub fn normalize(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self
    }

    /// Whether normalisation also removes the runner's per-line timestamps
    /// (`2026-02-14T07:36:53.8244619Z `). Default: `true`: they take about 15% of a 200-line
    /// budget, and the row keeps its own `created_at`. Has no effect with `normalize(false)`.
    ///
    /// ```
    /// assert!(!citail::Options::default().strip_timestamps(false).get_strip_timestamps());
    /// ```
    pub fn strip_timestamps(mut self, strip: bool) -> Self {
        self.strip_timestamps = strip;
        self
    }

    /// Whether secrets are replaced with `[REDACTED:<rule>]` before storage (see
    /// [`Redactor`]). Default: `true`.
    ///
    /// ```
    /// assert!(!citail::Options::default().redact_secrets(false).get_redact_secrets());
    /// ```
    pub fn redact_secrets(mut self, redact: bool) -> Self {
        self.redact_secrets = redact;
        self
    }

    /// Extra redaction patterns, run after the built-in rules. Default: none. Each must have a
    /// valid name and compile, or [`Store::open`](crate::Store::open) fails with
    /// [`Error::InvalidOption`] (`redact_patterns`).
    ///
    /// ```
    /// let p = citail::RedactPattern::new("acme-key", r"ACME-[0-9A-F]{16}");
    /// let options = citail::Options::default().redact_patterns(vec![p]);
    /// assert_eq!(options.get_redact_patterns().len(), 1);
    /// ```
    pub fn redact_patterns(mut self, patterns: Vec<RedactPattern>) -> Self {
        self.redact_patterns = patterns;
        self
    }

    /// Most failure highlights kept per row (see [`find_highlights`](crate::find_highlights)).
    /// Default: 30. 0 turns highlights off.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().max_highlights(5).get_max_highlights(), 5);
    /// ```
    pub fn max_highlights(mut self, lines: usize) -> Self {
        self.max_highlights = lines;
        self
    }

    /// Most bytes of highlight text kept per row. Default: 4 KiB. At most 64 KiB.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().max_highlight_bytes(1024).get_max_highlight_bytes(), 1024);
    /// ```
    pub fn max_highlight_bytes(mut self, bytes: usize) -> Self {
        self.max_highlight_bytes = bytes;
        self
    }

    /// Extra highlight rules as GitHub problem matchers (see [`ProblemMatcher`]). Default:
    /// none. A matcher whose regex does not compile, or whose shape is wrong, is
    /// [`Error::InvalidOption`] (`problem_matchers`) from [`Store::open`](crate::Store::open).
    ///
    /// ```
    /// let json = r#"{"problemMatcher":[{"owner":"x","pattern":[{"regexp":"^E(.*)","message":1}]}]}"#;
    /// let o = citail::Options::default().problem_matchers(citail::ProblemMatcher::parse(json)?);
    /// assert_eq!(o.get_problem_matchers()[0].owner, "x");
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn problem_matchers(mut self, matchers: Vec<ProblemMatcher>) -> Self {
        self.problem_matchers = matchers;
        self
    }

    /// Whether the first open of a file in a process verifies every page checksum (redb's
    /// integrity check) before using it. Default: `true`. A damaged file then either opens in
    /// its last consistent state (redb repairs it to its previous commit) or fails with
    /// [`Error::Corrupt`]; without the check, a flipped bit in a data page is only found when
    /// that page is read, or never. It reads the whole file once: about a second per GB here.
    ///
    /// ```
    /// assert!(!citail::Options::default().verify_on_open(false).get_verify_on_open());
    /// ```
    pub fn verify_on_open(mut self, verify: bool) -> Self {
        self.verify_on_open = verify;
        self
    }

    /// Whether every commit also records redb's allocator state (redb's "quick repair"), so
    /// that opening the file after a crash need not rebuild it by walking every table. It makes
    /// commits two-phase (two fsyncs instead of one). Default: `false`. What each choice costs,
    /// measured, is in the repository's docs/reliability.md (`cargo run --release -p
    /// citail-examples --bin recovery-time`).
    ///
    /// ```
    /// assert!(citail::Options::default().quick_repair(true).get_quick_repair());
    /// ```
    pub fn quick_repair(mut self, quick: bool) -> Self {
        self.quick_repair = quick;
        self
    }

    /// Whether commits record the allocator state for a fast open after a crash.
    ///
    /// ```
    /// assert!(!citail::Options::default().get_quick_repair());
    /// ```
    #[must_use]
    pub fn get_quick_repair(&self) -> bool {
        self.quick_repair
    }

    /// What [`Store::open`](crate::Store::open) does with a damaged file ([`Error::Corrupt`]):
    /// with `true`, it renames the file to `<file>.corrupt-<UTC time>` beside it and opens a
    /// fresh store in its place, reporting it in [`Store::recovery`](crate::Store::recovery).
    /// Never deletes anything. Default: `false` (the error is returned). A file written by a
    /// newer citail is not damaged and is never moved, and neither is a file that is not a
    /// redb file or belongs to another program ([`Error::NotAStore`](crate::Error::NotAStore)):
    /// only a recognisable redb file that fails to open or verify is.
    ///
    /// ```
    /// assert!(citail::Options::default().recover_corrupt(true).get_recover_corrupt());
    /// ```
    pub fn recover_corrupt(mut self, recover: bool) -> Self {
        self.recover_corrupt = recover;
        self
    }

    /// Whether a damaged file is moved aside.
    ///
    /// ```
    /// assert!(!citail::Options::default().get_recover_corrupt());
    /// ```
    #[must_use]
    pub fn get_recover_corrupt(&self) -> bool {
        self.recover_corrupt
    }

    /// Whether opening verifies the file.
    ///
    /// ```
    /// assert!(citail::Options::default().get_verify_on_open());
    /// ```
    #[must_use]
    pub fn get_verify_on_open(&self) -> bool {
        self.verify_on_open
    }

    /// Highlight line cap per row.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().get_max_highlights(), 30);
    /// ```
    #[must_use]
    pub fn get_max_highlights(&self) -> usize {
        self.max_highlights
    }
    /// Highlight byte cap per row.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().get_max_highlight_bytes(), 4096);
    /// ```
    #[must_use]
    pub fn get_max_highlight_bytes(&self) -> usize {
        self.max_highlight_bytes
    }
    /// The problem matchers.
    ///
    /// ```
    /// assert!(citail::Options::default().get_problem_matchers().is_empty());
    /// ```
    #[must_use]
    pub fn get_problem_matchers(&self) -> &[ProblemMatcher] {
        &self.problem_matchers
    }

    /// Whether tails are normalised.
    ///
    /// ```
    /// assert!(citail::Options::default().get_normalize());
    /// ```
    #[must_use]
    pub fn get_normalize(&self) -> bool {
        self.normalize
    }
    /// Whether runner timestamps are removed.
    ///
    /// ```
    /// assert!(citail::Options::default().get_strip_timestamps());
    /// ```
    #[must_use]
    pub fn get_strip_timestamps(&self) -> bool {
        self.strip_timestamps
    }
    /// Whether secrets are redacted.
    ///
    /// ```
    /// assert!(citail::Options::default().get_redact_secrets());
    /// ```
    #[must_use]
    pub fn get_redact_secrets(&self) -> bool {
        self.redact_secrets
    }
    /// The custom redaction patterns.
    ///
    /// ```
    /// assert!(citail::Options::default().get_redact_patterns().is_empty());
    /// ```
    #[must_use]
    pub fn get_redact_patterns(&self) -> &[RedactPattern] {
        &self.redact_patterns
    }

    /// Retention in milliseconds.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().get_retention_ms(), 14 * 24 * 60 * 60 * 1000);
    /// ```
    #[must_use]
    pub fn get_retention_ms(&self) -> u64 {
        self.retention_ms
    }
    /// Line cap on stored tails.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().get_max_lines(), 200);
    /// ```
    #[must_use]
    pub fn get_max_lines(&self) -> usize {
        self.max_lines
    }
    /// Byte cap on stored tails.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().get_max_stored_bytes(), 32 * 1024);
    /// ```
    #[must_use]
    pub fn get_max_stored_bytes(&self) -> usize {
        self.max_stored_bytes
    }
    /// Byte cap on submitted tails.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().get_max_input_bytes(), 64 * 1024);
    /// ```
    #[must_use]
    pub fn get_max_input_bytes(&self) -> usize {
        self.max_input_bytes
    }
    /// Whether commits are durable.
    ///
    /// ```
    /// assert!(citail::Options::default().get_durable());
    /// ```
    #[must_use]
    pub fn get_durable(&self) -> bool {
        self.durable
    }
    /// redb cache size in bytes.
    ///
    /// ```
    /// assert_eq!(citail::Options::default().get_cache_bytes(), 32 * 1024 * 1024);
    /// ```
    #[must_use]
    pub fn get_cache_bytes(&self) -> usize {
        self.cache_bytes
    }

    /// Checks every value; called by [`Store::open`](crate::Store::open).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the first offending option.
    ///
    /// ```
    /// assert!(citail::Options::default().validate().is_ok());
    /// assert!(citail::Options::default().retention_ms(0).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        self.compile().map(|_| ())
    }

    /// [`Options::validate`], keeping what it compiled: the redactor (built-in rules plus the
    /// custom patterns) and the highlighter, so a [`Pipeline`](crate::Pipeline) compiles nothing
    /// twice.
    pub(crate) fn compile(&self) -> Result<(Redactor, Highlighter)> {
        let bad = |option, reason: &str| {
            Err(Error::InvalidOption {
                option,
                reason: reason.to_owned(),
            })
        };
        if self.retention_ms == 0 {
            return bad("retention_ms", "must be at least 1");
        }
        if self.max_lines == 0 {
            return bad("max_lines", "must be at least 1");
        }
        if self.max_stored_bytes == 0 {
            return bad("max_stored_bytes", "must be at least 1");
        }
        if self.max_input_bytes > MAX_INPUT_BYTES_LIMIT {
            return bad("max_input_bytes", "must be at most 16 MiB");
        }
        if self.max_stored_bytes > self.max_input_bytes {
            return bad("max_stored_bytes", "must not exceed max_input_bytes");
        }
        let redactor = Redactor::with_patterns(&self.redact_patterns)?;
        if self.max_highlight_bytes > 64 * 1024 {
            return bad("max_highlight_bytes", "must be at most 64 KiB");
        }
        let highlighter = Highlighter::with_matchers(&self.problem_matchers)?;
        Ok((redactor, highlighter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let o = Options::default();
        assert!(o.validate().is_ok());
        assert_eq!(o.get_retention_ms(), 14 * DAY_MS);
        assert_eq!(o.get_max_lines(), 200);
        assert_eq!(o.get_max_stored_bytes(), 32 * 1024);
        assert_eq!(o.get_max_input_bytes(), 64 * 1024);
        assert!(o.get_durable());
        assert!(o.get_normalize() && o.get_strip_timestamps() && o.get_redact_secrets());
        assert!(o.get_redact_patterns().is_empty());
    }

    #[test]
    fn each_bad_value_names_its_option() {
        let cases = [
            (Options::default().retention_ms(0), "retention_ms"),
            (Options::default().max_lines(0), "max_lines"),
            (Options::default().max_stored_bytes(0), "max_stored_bytes"),
            (
                Options::default().max_input_bytes(MAX_INPUT_BYTES_LIMIT + 1),
                "max_input_bytes",
            ),
            (
                Options::default().max_input_bytes(10).max_stored_bytes(11),
                "max_stored_bytes",
            ),
            (
                Options::default().redact_patterns(vec![RedactPattern::new("ok", "[")]),
                "redact_patterns",
            ),
            (
                Options::default().redact_patterns(vec![RedactPattern::new("Bad Name", "x")]),
                "redact_patterns",
            ),
            (
                Options::default().redact_patterns(vec![RedactPattern::new("empty", "x*")]),
                "redact_patterns",
            ),
        ];
        for (options, name) in cases {
            match options.validate() {
                Err(Error::InvalidOption { option, .. }) => assert_eq!(option, name),
                other => panic!("{name}: expected InvalidOption, got {other:?}"),
            }
        }
    }
}
