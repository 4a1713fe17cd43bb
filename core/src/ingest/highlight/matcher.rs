//! GitHub Actions problem matchers as extra highlight rules.
//!
//! Setup actions register matchers for compilers and linters with `::add-matcher::`; the Forgejo
//! runner ignores that command, but a repository can hand the same JSON to citail. The format is
//! GitHub's: `{ "problemMatcher": [ { "owner", "severity"?, "pattern": [ { "regexp", "file"?,
//! "line"?, "column"?, "severity"?, "code"?, "message"?, "loop"? } ] } ] }`.

use super::invalid_matcher;
use crate::error::Result;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// Largest compiled program of one matcher regex.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One problem matcher, as GitHub documents it.
///
/// ```
/// let json = r#"{"problemMatcher":[{"owner":"tsc","pattern":[
///     {"regexp":"^(.+)\\((\\d+),(\\d+)\\): (error|warning) (TS\\d+): (.*)$",
///      "file":1,"line":2,"column":3,"severity":4,"code":5,"message":6}]}]}"#;
/// let matchers = citail::ProblemMatcher::parse(json)?;
/// assert_eq!(matchers[0].owner, "tsc");
/// # Ok::<(), citail::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemMatcher {
    /// The matcher's name; errors about it quote it.
    pub owner: String,
    /// Severity of what it finds when no `severity` group says otherwise: `error` (default) or
    /// `warning`. Warnings are not highlights.
    #[serde(default)]
    pub severity: Option<String>,
    /// Consecutive line patterns; the last may `loop`.
    pub pattern: Vec<MatcherPattern>,
}

/// One line pattern of a [`ProblemMatcher`]. Group numbers are 1-based capture groups.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct MatcherPattern {
    /// The regex (the Rust `regex` crate's syntax: JavaScript's look-around and back-references
    /// are refused).
    pub regexp: String,
    #[serde(default)]
    pub file: Option<usize>,
    #[serde(default)]
    pub line: Option<usize>,
    #[serde(default)]
    pub column: Option<usize>,
    /// The group holding `error`, `warning`, … for this line.
    #[serde(default)]
    pub severity: Option<usize>,
    #[serde(default)]
    pub code: Option<usize>,
    #[serde(default)]
    pub message: Option<usize>,
    /// The last pattern repeats on the following lines (one problem per line).
    #[serde(default, rename = "loop")]
    pub repeat: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    problem_matcher: Vec<ProblemMatcher>,
}

impl ProblemMatcher {
    /// Parses a problem-matcher file (`{ "problemMatcher": [ … ] }`).
    ///
    /// # Errors
    /// [`Error::InvalidOption`](crate::Error::InvalidOption) (`problem_matchers`) when the JSON
    /// is malformed or not of that shape. Regexes are checked when a store opens (or by
    /// [`Highlighter::with_matchers`](crate::Highlighter::with_matchers)).
    ///
    /// ```
    /// assert!(citail::ProblemMatcher::parse("{}").is_err());
    /// ```
    pub fn parse(json: &str) -> Result<Vec<ProblemMatcher>> {
        serde_json::from_str::<Document>(json)
            .map(|doc| doc.problem_matcher)
            .map_err(|e| invalid_matcher("(file)", e))
    }
}

/// A matcher with its regexes compiled.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    default_is_error: bool,
    patterns: Vec<(Regex, Option<usize>)>,
    repeat: bool,
}

impl Compiled {
    pub(crate) fn new(matcher: &ProblemMatcher) -> Result<Compiled> {
        let owner = matcher.owner.as_str();
        let bad = |reason: String| invalid_matcher(owner, reason);
        if owner.is_empty() {
            return Err(bad("owner must not be empty".into()));
        }
        let default_is_error = match matcher.severity.as_deref() {
            None | Some("error") => true,
            Some("warning") => false,
            Some(other) => {
                return Err(bad(format!(
                    "severity must be error or warning, not {other:?}"
                )))
            }
        };
        let Some(last) = matcher.pattern.last() else {
            return Err(bad("pattern must not be empty".into()));
        };
        if last.message.is_none() {
            return Err(bad("the last pattern needs a message group".into()));
        }
        let mut patterns = Vec::with_capacity(matcher.pattern.len());
        for (index, p) in matcher.pattern.iter().enumerate() {
            if p.repeat && index + 1 != matcher.pattern.len() {
                return Err(bad(format!(
                    "pattern {index}: only the last pattern may loop"
                )));
            }
            let regex = RegexBuilder::new(&p.regexp)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| bad(format!("pattern {index}: {e}")))?;
            let groups = regex.captures_len() - 1;
            for (name, group) in [
                ("file", p.file),
                ("line", p.line),
                ("column", p.column),
                ("severity", p.severity),
                ("code", p.code),
                ("message", p.message),
            ] {
                if group.is_some_and(|g| g == 0 || g > groups) {
                    return Err(bad(format!(
                        "pattern {index}: {name} names group {}, the regex has {groups}",
                        group.unwrap_or(0)
                    )));
                }
            }
            patterns.push((regex, p.severity));
        }
        if last.repeat && patterns.len() < 2 {
            return Err(bad("a single pattern cannot loop".into()));
        }
        Ok(Compiled {
            default_is_error,
            patterns,
            repeat: last.repeat,
        })
    }

    /// 0-based indexes of the lines this matcher reports as errors.
    pub(crate) fn matching_lines(&self, lines: &[&str]) -> Vec<usize> {
        let mut out = Vec::new();
        let Some(((last, last_severity), head)) = self.patterns.split_last() else {
            return out;
        };
        let mut i = 0;
        while i < lines.len() {
            let head_ok = head
                .iter()
                .enumerate()
                .all(|(k, (regex, _))| lines.get(i + k).is_some_and(|line| regex.is_match(line)));
            if !head_ok {
                i += 1;
                continue;
            }
            let mut j = i + head.len();
            let mut found = Vec::new();
            while let Some(line) = lines.get(j) {
                let Some(caps) = last.captures(line) else {
                    break;
                };
                if self.is_error(
                    caps.get(last_severity.unwrap_or(0))
                        .filter(|_| last_severity.is_some()),
                ) {
                    found.push(j);
                }
                j += 1;
                if !self.repeat {
                    break;
                }
            }
            if j == i + head.len() {
                i += 1;
                continue;
            }
            if !found.is_empty() {
                out.extend(i..i + head.len());
                out.extend(found);
            }
            i = j;
        }
        out
    }

    fn is_error(&self, severity: Option<regex::Match<'_>>) -> bool {
        match severity.map(|m| m.as_str().to_ascii_lowercase()) {
            Some(s)
                if s.starts_with("warn") || s.starts_with("notice") || s.starts_with("info") =>
            {
                false
            }
            Some(s) if s.starts_with("err") || s.starts_with("fatal") => true,
            _ => self.default_is_error,
        }
    }
}
