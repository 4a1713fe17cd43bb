//! The ingest pipeline after validation: normalise → redact → highlight → truncate.
//!
//! The order matters. Normalising first means redaction sees `ghp_…` rather than
//! `gh\x1b[0mp_…`, and truncation never leaves `[31m` debris at the cut; redacting before
//! truncation means a token that straddles the cut is still found whole.

use crate::error::Result;
use crate::ingest::highlight::Highlighter;
use crate::ingest::normalize::normalize;
use crate::ingest::redact::Redactor;
use crate::ingest::truncate::{count_lines, truncate_tail};
use crate::model::Highlight;
use crate::options::Options;
use std::borrow::Cow;

/// The configured stages, compiled once; a [`Store`](crate::Store) keeps one.
///
/// ```
/// let pipeline = citail::Pipeline::new(&citail::Options::default().max_lines(1))?;
/// let out = pipeline.run("\u{1b}[32mok\u{1b}[0m\r\npassword=Tr0ub4dor-3x!Q\n");
/// assert_eq!(out.tail, "password=[REDACTED:password-assignment]\n");
/// assert_eq!((out.redactions, out.original_lines, out.truncated), (1, 2, true));
/// # Ok::<(), citail::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pipeline {
    normalize: bool,
    strip_timestamps: bool,
    redactor: Option<Redactor>,
    highlighter: Highlighter,
    max_highlights: usize,
    max_highlight_bytes: usize,
    max_lines: usize,
    max_stored_bytes: usize,
}

/// What [`Pipeline::run`] made of one posted log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// The text to store: the last `max_lines` lines / `max_stored_bytes` bytes of the
    /// normalised, redacted input.
    pub tail: String,
    /// Secrets replaced in the whole input (not only in the kept tail).
    pub redactions: usize,
    /// Secrets the sender had already masked: `[REDACTED:workflow-secret]` and
    /// `[REDACTED:add-mask]` placeholders in the input as posted (see [`masked_at_source`]).
    pub masked_at_source: usize,
    /// Lines of the whole processed input. Normalising and redacting keep every `\n`, so line
    /// numbers are the posted ones; only a last line that shows nothing (`"…\n\r"`) is gone.
    pub original_lines: usize,
    /// Whether `tail` is shorter than the processed input.
    pub truncated: bool,
    /// The failure lines of the whole processed input (not only of the tail), in log order.
    pub highlights: Vec<Highlight>,
}

impl Pipeline {
    /// Compiles the stages `options` asks for.
    ///
    /// # Errors
    /// [`Error::InvalidOption`](crate::Error::InvalidOption) for a bad option, a custom redaction
    /// pattern among them.
    ///
    /// ```
    /// let raw = citail::Options::default().normalize(false).redact_secrets(false);
    /// let out = citail::Pipeline::new(&raw)?.run("\u{1b}[1mtoken=ghp_x\r\n");
    /// assert_eq!(out.tail, "\u{1b}[1mtoken=ghp_x\r\n");
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn new(options: &Options) -> Result<Pipeline> {
        let (redactor, highlighter) = options.compile()?;
        Ok(Pipeline {
            normalize: options.get_normalize(),
            strip_timestamps: options.get_strip_timestamps(),
            redactor: options.get_redact_secrets().then_some(redactor),
            highlighter,
            max_highlights: options.get_max_highlights(),
            max_highlight_bytes: options.get_max_highlight_bytes(),
            max_lines: options.get_max_lines(),
            max_stored_bytes: options.get_max_stored_bytes(),
        })
    }

    /// Runs normalise → redact → highlight → truncate on `input`. Never fails: every stage is
    /// total. Highlights are found in the whole normalised, redacted input, so a cause far above
    /// the kept tail is still named.
    ///
    /// The tail is valid UTF-8 within both caps, and with both switches off it is exactly
    /// [`truncate_tail`] of the input.
    ///
    /// ```
    /// # let pipeline = citail::Pipeline::new(&citail::Options::default())?;
    /// let out = pipeline.run("downloading 5%\rdownloading 100%\n");
    /// assert_eq!(out.tail, "downloading 100%\n");
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn run(&self, input: &str) -> Processed {
        let masked_at_source = masked_at_source(input);
        let text: Cow<'_, str> = if self.normalize {
            Cow::Owned(normalize(input, self.strip_timestamps))
        } else {
            Cow::Borrowed(input)
        };
        let (text, redactions) = self.redact(text);
        let highlights = if self.max_highlights == 0 {
            Vec::new()
        } else {
            self.highlighter
                .find(&text, self.max_highlights, self.max_highlight_bytes)
        };
        let tail = truncate_tail(&text, self.max_lines, self.max_stored_bytes);
        Processed {
            highlights,
            truncated: tail.len() != text.len(),
            tail: tail.to_owned(),
            redactions,
            masked_at_source,
            original_lines: count_lines(&text),
        }
    }
}

impl Pipeline {
    /// Redacts `text` when redaction is on; returns the text and the secrets replaced.
    fn redact<'t>(&self, text: Cow<'t, str>) -> (Cow<'t, str>, usize) {
        match &self.redactor {
            Some(redactor) => {
                let out = redactor.redact(&text);
                match out.text {
                    Cow::Owned(redacted) => (Cow::Owned(redacted), out.count),
                    Cow::Borrowed(_) => (text, 0),
                }
            }
            None => (text, 0),
        }
    }

    /// What an imported row's text goes through (see [`Store::import`](crate::Store::import)):
    /// escapes and carriage returns resolved (timestamps kept: stripping is not idempotent) and
    /// secrets redacted. Idempotent on text it produced, so an exported row imports unchanged.
    pub(crate) fn clean_imported<'t>(&self, text: &'t str) -> (Cow<'t, str>, usize) {
        let text = if self.normalize {
            Cow::Owned(normalize(text, false))
        } else {
            Cow::Borrowed(text)
        };
        self.redact(text)
    }

    /// `(max_lines, max_stored_bytes)`: the caps a stored tail keeps to.
    pub(crate) fn tail_caps(&self) -> (usize, usize) {
        (self.max_lines, self.max_stored_bytes)
    }

    /// `(max_highlights, max_highlight_bytes)`: the caps a row's highlights keep to.
    pub(crate) fn highlight_caps(&self) -> (usize, usize) {
        (self.max_highlights, self.max_highlight_bytes)
    }
}

/// The placeholders a sender writes for the values it masked before posting: the step script
/// (`examples/forgejo/post-ci-log.sh`) writes these two for the workflow's secrets and for
/// `::add-mask::` values. Counted apart from [`Processed::redactions`] so an operator sees which
/// layer caught what.
pub const SOURCE_MASKS: [&str; 2] = ["[REDACTED:workflow-secret]", "[REDACTED:add-mask]"];

/// How many [`SOURCE_MASKS`] placeholders `input` holds.
///
/// ```
/// let posted = "token [REDACTED:workflow-secret] and [REDACTED:add-mask]\n";
/// assert_eq!(citail::masked_at_source(posted), 2);
/// ```
#[must_use]
pub fn masked_at_source(input: &str) -> usize {
    SOURCE_MASKS.iter().map(|p| input.matches(p).count()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalising_first_lets_redaction_see_a_token_split_by_escapes() {
        let pipeline = Pipeline::new(&Options::default()).expect("pipeline");
        let out = pipeline.run("token gh\u{1b}[0mp_0123456789abcdefghijABCDEFGHIJ012345 used\n");
        assert_eq!(out.tail, "token [REDACTED:github-token] used\n");
        assert_eq!(out.redactions, 1);
    }

    fn hostile() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("\n".to_owned()),
                Just("\r".to_owned()),
                Just("\u{1b}[31m".to_owned()),
                Just("\u{1b}]8;;x\u{7}".to_owned()),
                Just("token=".to_owned()),
                Just("ghp_0123456789abcdefghijABCDEFGHIJ012345".to_owned()),
                Just("-----BEGIN PRIVATE KEY-----\n".to_owned()),
                Just("é日🦀".to_owned()),
                "[ -~]{0,12}",
                any::<char>().prop_map(String::from),
            ],
            0..60,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(1024)))]

        #[test]
        fn the_pipeline_is_total_and_within_both_caps(
            text in hostile(), lines in 1usize..20, bytes in 1usize..400,
            normalize in any::<bool>(), redact in any::<bool>(),
        ) {
            let options = Options::default()
                .max_lines(lines)
                .max_stored_bytes(bytes)
                .normalize(normalize)
                .redact_secrets(redact);
            let out = Pipeline::new(&options).expect("valid").run(&text);
            prop_assert!(out.tail.len() <= bytes);
            prop_assert!(count_lines(&out.tail) <= lines);
            if !normalize && !redact {
                prop_assert_eq!(out.tail.as_str(), truncate_tail(&text, lines, bytes));
                prop_assert_eq!(out.original_lines, count_lines(&text));
            }
            if normalize {
                let clean = !out.tail.contains(['\u{1b}', '\r']);
                prop_assert!(clean, "escape or CR left in {:?}", out.tail);
            }
            // Normalising and redacting keep every `\n`; only a last line that showed nothing
            // (`"…\n\r"`) can disappear.
            let posted = count_lines(&text);
            prop_assert!(out.original_lines <= posted && out.original_lines + 1 >= posted);
        }
    }
}
