//! Secret redaction: every credential the rules find becomes `[REDACTED:<rule>]`.
//!
//! A keyword gate (`keywords.rs`) finds which rules' keywords occur in the text; only those
//! rules' regexes then run. The `regex` crate guarantees time linear in the input for
//! built-in and custom patterns alike. Two more passes find what no pattern sees in the text
//! as written: each line with percent escapes is scanned again decoded (`percent.rs`), and
//! every value the text declares with `::add-mask::` is masked wherever it occurs, in its
//! encoded forms too (`known_values.rs`).

mod keywords;
mod known_values;
mod percent;
mod rules;

use crate::error::{Error, Result};
use crate::ingest::truncate::line_around;
use aho_corasick::AhoCorasick;
use keywords::KeywordGate;
use regex::{Regex, RegexBuilder};
use rules::Check;
use std::borrow::Cow;
use std::sync::LazyLock;

/// A pattern of the repository's own, for [`Options::redact_patterns`](crate::Options::redact_patterns).
///
/// The text its `regex` matches, or only the capture group named `secret` when it has one, is
/// replaced with `[REDACTED:<name>]`.
///
/// ```
/// let pattern = citail::RedactPattern::new("acme-key", r"ACME-[0-9A-F]{16}");
/// let redactor = citail::Redactor::with_patterns(&[pattern])?;
/// assert_eq!(redactor.redact("key ACME-0123456789ABCDEF").text, "key [REDACTED:acme-key]");
/// # Ok::<(), citail::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactPattern {
    /// Shown in the placeholder: 1–40 of `[a-z0-9_-]`.
    pub name: String,
    /// A `regex` crate pattern; compiled with a 1 MiB size limit.
    pub regex: String,
}

impl RedactPattern {
    /// A pattern named `name`.
    ///
    /// ```
    /// let p = citail::RedactPattern::new("internal-id", r"INT-\d{8}");
    /// assert_eq!(p.name, "internal-id");
    /// ```
    pub fn new(name: impl Into<String>, regex: impl Into<String>) -> Self {
        RedactPattern {
            name: name.into(),
            regex: regex.into(),
        }
    }
}

/// The result of [`Redactor::redact`]: the text with secrets replaced, and how many were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted<'a> {
    /// The text; borrowed when nothing was redacted.
    pub text: Cow<'a, str>,
    /// Number of secrets replaced.
    pub count: usize,
}

/// A compiled set of redaction rules: the built-in ones, plus any custom patterns.
///
/// Guarantees, for every input:
/// - each secret found is replaced whole by `[REDACTED:<rule>]`; overlapping finds are merged into
///   one replacement;
/// - the number of lines never changes (a multi-line private key keeps its line breaks after
///   the placeholder), so line numbers stay true;
/// - redacting twice changes nothing the second time (no rule matches a placeholder);
/// - commit SHAs, UUIDs, `sha256:` digests, `${{ secrets.X }}` placeholders and the runner's
///   `***` mask are not secrets and stay.
///
/// ```
/// let r = citail::Redactor::builtin();
/// let out = r.redact("curl -H 'Authorization: Bearer abc123def456ghi789' https://x");
/// assert_eq!(out.text, "curl -H 'Authorization: Bearer [REDACTED:authorization-header]' https://x");
/// assert_eq!(out.count, 1);
/// ```
#[derive(Debug, Clone)]
pub struct Redactor {
    rules: Vec<CompiledRule>,
    /// Which rules' keywords occur in a text.
    keywords: KeywordGate,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    name: String,
    regex: Regex,
    check: Check,
    /// Rules without keywords (custom patterns) always run.
    always: bool,
    /// Run only on the lines where the rule's keywords occur (see `rules::Rule::spans_lines`).
    lines_only: bool,
    /// See `rules::Rule::stops_at_url_host`.
    stops_at_url_host: bool,
    /// Capture groups named `secret…`: a rule with alternatives names one per alternative.
    secret_groups: Vec<usize>,
    /// Capture groups named `key…`: the assignment's key, judged by [`key_holds_no_secret`].
    key_groups: Vec<usize>,
}

/// The rule index that stands for `::add-mask::` values in a span, and the gate's index for
/// the `::add-mask::` keyword.
const ADD_MASK_RULE: usize = usize::MAX;

/// A rule whose keyword is found more than once per this many bytes of text (and more than
/// [`MIN_DENSE_HITS`] times) scans the whole text in one pass instead of line by line (see
/// `Redactor::find_spans`).
const DENSE_HIT_BYTES: usize = 256;
/// See [`DENSE_HIT_BYTES`].
const MIN_DENSE_HITS: usize = 16;

/// Largest compiled program of a custom pattern.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

static BUILTIN: LazyLock<Redactor> = LazyLock::new(|| {
    // The built-in table is tested to compile; an empty redactor is the impossible fallback.
    Redactor::build(&[]).unwrap_or_else(|_| Redactor::empty())
});

impl Redactor {
    /// The built-in rules, compiled once per process.
    ///
    /// ```
    /// let r = citail::Redactor::builtin();
    /// assert!(r.rule_names().any(|n| n == "github-token"));
    /// ```
    pub fn builtin() -> &'static Redactor {
        &BUILTIN
    }

    /// The built-in rules followed by `patterns`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] (`redact_patterns`) naming the first pattern with a bad name or a
    /// regex that does not compile within the size limit.
    ///
    /// ```
    /// let bad = citail::Redactor::with_patterns(&[citail::RedactPattern::new("x", "(")]);
    /// assert!(matches!(bad, Err(citail::Error::InvalidOption { option: "redact_patterns", .. })));
    /// ```
    pub fn with_patterns(patterns: &[RedactPattern]) -> Result<Redactor> {
        if patterns.is_empty() {
            return Ok(Redactor::builtin().clone());
        }
        Redactor::build(patterns)
    }

    /// The names of the rules, built-in ones first, in priority order.
    ///
    /// ```
    /// assert_eq!(citail::Redactor::builtin().rule_names().next(), Some("private-key"));
    /// ```
    pub fn rule_names(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.name.as_str())
    }

    /// Replaces every secret in `text`. See the type's guarantees.
    ///
    /// ```
    /// let r = citail::Redactor::builtin();
    /// let sha = "HEAD is now at 3f786850e387550fdab836ed7e6dc881de23001b fix";
    /// assert_eq!(r.redact(sha).count, 0);
    /// let url = "git remote: https://ci-bot:s3cr3tPassw0rd@git.example.com/acme/app.git";
    /// assert_eq!(r.redact(url).text,
    ///     "git remote: https://ci-bot:[REDACTED:url-credentials]@git.example.com/acme/app.git");
    /// ```
    pub fn redact<'a>(&self, text: &'a str) -> Redacted<'a> {
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        let declares_masks = self.find_spans(text, &mut spans);
        self.find_percent_encoded(text, &mut spans);
        if declares_masks {
            find_declared_values(text, &mut spans);
        }
        if spans.is_empty() {
            return Redacted {
                text: Cow::Borrowed(text),
                count: 0,
            };
        }
        // Earliest first; at one start, the longer span, then the higher-priority rule.
        spans.sort_by_key(|&(start, end, rule)| (start, std::cmp::Reverse(end), rule));
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut count = 0;
        let mut spans = spans.into_iter().peekable();
        while let Some((start, mut end, rule)) = spans.next() {
            while let Some(&(next_start, next_end, _)) = spans.peek() {
                if next_start >= end {
                    break;
                }
                end = end.max(next_end);
                spans.next();
            }
            let (Some(before), Some(secret)) = (text.get(copied..start), text.get(start..end))
            else {
                continue;
            };
            out.push_str(before);
            out.push_str("[REDACTED:");
            out.push_str(self.rule_name(rule));
            out.push(']');
            // Keep the line count: a multi-line secret leaves its line breaks behind.
            out.extend(std::iter::repeat_n('\n', secret.matches('\n').count()));
            copied = end;
            count += 1;
        }
        out.push_str(text.get(copied..).unwrap_or_default());
        Redacted {
            text: Cow::Owned(out),
            count,
        }
    }

    fn rule_name(&self, rule: usize) -> &str {
        if rule == ADD_MASK_RULE {
            return "add-mask";
        }
        self.rules.get(rule).map_or("secret", |r| r.name.as_str())
    }

    /// Pushes `(start, end, rule)` for every secret the rules find in `text`; returns whether
    /// the gate saw `::add-mask::` in it.
    fn find_spans(&self, text: &str, spans: &mut Vec<(usize, usize, usize)>) -> bool {
        // More hits than this for one rule: it scans the whole text in one pass, which costs
        // less than a scan started on each line and finds the same secrets (a keyword is in
        // every line a rule matches, and a line scan sees the text as a whole-text scan does).
        let cap = (text.len() / DENSE_HIT_BYTES).max(MIN_DENSE_HITS);
        let hits = self.keywords.find(text, self.rules.len(), cap);
        let declares_masks = !hits.of(ADD_MASK_RULE).is_empty();
        for (index, rule) in self.rules.iter().enumerate() {
            let own = hits.of(index);
            if rule.always || (!rule.lines_only && !own.is_empty()) || hits.dense(index) {
                rule.scan(text, 0, index, spans);
                continue;
            }
            let mut scanned_to = 0;
            for &at in own {
                if at < scanned_to {
                    continue;
                }
                let (start, end) = line_around(text, at);
                // The line with its `\n`, as a whole-text scan would see it.
                let end = (end + 1).min(text.len());
                if let Some(line) = text.get(..end) {
                    rule.scan(line, start, index, spans);
                }
                scanned_to = end;
            }
        }
        declares_masks
    }

    /// Scans each line that holds a printable-ASCII percent escape again, decoded, and pushes
    /// what the rules find there as spans of the original text.
    fn find_percent_encoded(&self, text: &str, spans: &mut Vec<(usize, usize, usize)>) {
        let percents = text.bytes().filter(|&b| b == b'%').count();
        if percents > MIN_DENSE_HITS && percents.saturating_mul(DENSE_HIT_BYTES) > text.len() {
            // Escapes on most lines: one view of the whole text, one scan. The view has the same
            // lines, rules do not cross them, and a line without escapes yields the spans the
            // first pass found (merged with them), so the result is the line-by-line one.
            if let Some(view) = percent::Decoded::of(text) {
                let mut found = Vec::new();
                let _ = self.find_spans(&view.text, &mut found);
                for (s, e, rule) in found {
                    if let Some(span) = view.original(s, e) {
                        spans.push((span.0, span.1, rule));
                    }
                }
            }
            return;
        }
        let mut scanned_to = 0;
        for (at, _) in text.match_indices('%') {
            if at < scanned_to {
                continue;
            }
            let (start, end) = line_around(text, at);
            scanned_to = end + 1;
            let Some(view) = text.get(start..end).and_then(percent::Decoded::of) else {
                continue;
            };
            let mut found = Vec::new();
            // Only the rules run on the decoded view: `::add-mask::` values are found whole.
            let _ = self.find_spans(&view.text, &mut found);
            for (s, e, rule) in found {
                if let Some((s, e)) = view.original(s, e) {
                    spans.push((start + s, start + e, rule));
                }
            }
        }
    }

    fn build(custom: &[RedactPattern]) -> Result<Redactor> {
        let mut rules = Vec::new();
        let mut keywords: Vec<(&str, usize)> = Vec::new();
        for rule in rules::BUILTIN {
            let regex = Regex::new(rule.pattern).map_err(|e| {
                Error::corrupt(format!("built-in rule {} does not compile: {e}", rule.name))
            })?;
            for keyword in rule.keywords {
                keywords.push((keyword, rules.len()));
            }
            let (secret_groups, key_groups) = named_groups(&regex);
            rules.push(CompiledRule {
                name: rule.name.to_owned(),
                regex,
                check: rule.check,
                always: false,
                lines_only: !rule.spans_lines,
                stops_at_url_host: rule.stops_at_url_host,
                secret_groups,
                key_groups,
            });
        }
        for (index, pattern) in custom.iter().enumerate() {
            rules.push(compile_custom(index, pattern)?);
        }
        // The `::add-mask::` pass rides on the same gate: no text search of its own. (Percent
        // escapes do not: two-byte keywords such as `%2` cost the automaton its prefilter.)
        keywords.push(("::add-mask::", ADD_MASK_RULE));
        Ok(Redactor {
            rules,
            keywords: KeywordGate::new(&keywords)?,
        })
    }

    fn empty() -> Redactor {
        Redactor {
            rules: Vec::new(),
            keywords: KeywordGate::new(&[]).unwrap_or_else(|_| unreachable!()),
        }
    }
}

/// Replaces the secrets in `text` with the built-in rules.
///
/// ```
/// let out = citail::redact_secrets("export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345");
/// assert_eq!(out.text, "export GITHUB_TOKEN=[REDACTED:github-token]");
/// ```
#[must_use]
pub fn redact_secrets(text: &str) -> Redacted<'_> {
    Redactor::builtin().redact(text)
}

fn compile_custom(index: usize, pattern: &RedactPattern) -> Result<CompiledRule> {
    let bad = |reason: String| Error::InvalidOption {
        option: "redact_patterns",
        reason: format!("pattern {index} ({:?}): {reason}", pattern.name),
    };
    let name_ok = (1..=40).contains(&pattern.name.len())
        && pattern
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !name_ok {
        return Err(bad("the name must be 1-40 of a-z 0-9 _ -".to_owned()));
    }
    let regex = RegexBuilder::new(&pattern.regex)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .map_err(|e| bad(e.to_string()))?;
    if regex.is_match("") {
        return Err(bad("the regex matches the empty string".to_owned()));
    }
    Ok(CompiledRule {
        name: pattern.name.clone(),
        secret_groups: regex
            .capture_names()
            .position(|n| n == Some("secret"))
            .into_iter()
            .collect(),
        key_groups: Vec::new(),
        regex,
        check: Check::Shape,
        always: true,
        lines_only: false,
        stops_at_url_host: false,
    })
}

/// The indices of a built-in rule's `secret…` and `key…` groups.
fn named_groups(regex: &Regex) -> (Vec<usize>, Vec<usize>) {
    let mut secrets = Vec::new();
    let mut keys = Vec::new();
    for (index, name) in regex.capture_names().enumerate() {
        match name {
            Some(n) if n.starts_with("secret") => secrets.push(index),
            Some(n) if n.starts_with("key") => keys.push(index),
            _ => {}
        }
    }
    (secrets, keys)
}

/// Pushes a span for every occurrence of every form of every value `text` declares with
/// `::add-mask::` (see `known_values.rs`).
///
/// One automaton over every form of every value, one pass over the text: a log that declares
/// thousands of values costs a pass, not a pass per form (83 ms for 64 KiB of `::add-mask::`
/// lines when each form was searched on its own).
fn find_declared_values(text: &str, spans: &mut Vec<(usize, usize, usize)>) {
    let values = known_values::declared(text);
    // Every value is masked as it is; the first (longest) ones in their encodings too. A log
    // that declares thousands of values is not a workflow's: its encodings would cost the
    // automaton more than the rest of the pipeline.
    let mut forms: Vec<String> = values
        .iter()
        .take(known_values::MAX_ENCODED_VALUES)
        .flat_map(|value| known_values::forms(value))
        .collect();
    forms.extend(
        values
            .iter()
            .skip(known_values::MAX_ENCODED_VALUES)
            .cloned(),
    );
    forms.sort_unstable();
    forms.dedup();
    match AhoCorasick::new(&forms) {
        Ok(automaton) => {
            for found in automaton.find_overlapping_iter(text) {
                spans.push((found.start(), found.end(), ADD_MASK_RULE));
            }
        }
        // Too large to build: the same spans, form by form.
        Err(_) => {
            for form in &forms {
                for (at, found) in text.match_indices(form.as_str()) {
                    spans.push((at, at + found.len(), ADD_MASK_RULE));
                }
            }
        }
    }
}

impl CompiledRule {
    /// Pushes `(start, end, rule)` for each secret the rule finds in `haystack` from `from` on.
    ///
    /// The search sees the text before `from`, so a `\b` or `^` there is judged as in the whole
    /// text; `haystack` ends after the line's `\n` when only a line is searched.
    fn scan(
        &self,
        haystack: &str,
        from: usize,
        rule: usize,
        spans: &mut Vec<(usize, usize, usize)>,
    ) {
        let mut at = from;
        while at <= haystack.len() {
            let Some(caps) = self.regex.captures_at(haystack, at) else {
                break;
            };
            let Some(whole) = caps.get(0) else { break };
            let secret = if self.secret_groups.is_empty() {
                Some(whole)
            } else {
                self.secret_groups.iter().find_map(|&g| caps.get(g))
            };
            let key = self.key_groups.iter().find_map(|&g| caps.get(g));
            let mut resume = whole.end();
            if let Some(secret) = secret {
                let end = self.secret_end(haystack, whole.start(), secret);
                let value = haystack.get(secret.start()..end).unwrap_or_default();
                let no_secret_key = key.is_some_and(|k| key_holds_no_secret(k.as_str()));
                if !value.is_empty() && !no_secret_key && confirmed(self.check, value) {
                    spans.push((secret.start(), end, rule));
                }
                // What the match read after the secret (a delimiter) may start the next one.
                resume = resume.min(end.max(secret.start()));
            }
            at = if resume > whole.start() {
                resume
            } else {
                // An empty match, or a secret at its start: step over one character.
                whole.start()
                    + haystack
                        .get(whole.start()..)
                        .and_then(|rest| rest.chars().next())
                        .map_or(1, char::len_utf8)
            };
        }
    }
}

impl CompiledRule {
    /// Where the secret found by a match starting at `match_start` ends. For a rule that
    /// [stops at a URL's host](rules::Rule::stops_at_url_host), a key that is a URL's user name
    /// (`://` right before it) ends its secret before the value's last `@`, where the host
    /// begins; otherwise the secret is the whole group.
    fn secret_end(&self, haystack: &str, match_start: usize, secret: regex::Match<'_>) -> usize {
        let in_userinfo = self.stops_at_url_host
            && haystack
                .get(..match_start)
                .is_some_and(|before| before.ends_with("://"));
        if !in_userinfo {
            return secret.end();
        }
        secret
            .as_str()
            .rfind('@')
            .map_or(secret.end(), |at| secret.start() + at)
    }
}

/// Values that are clearly not secrets: placeholders, references, earlier redactions.
fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    // The runner's mask replaces a whole value; `***123` may still hold part of a secret.
    is_variable_reference(value)
        || (value.starts_with('<') && value.ends_with('>'))
        || value.starts_with("[REDACTED")
        || value.starts_with("{{")
        || value.bytes().all(|b| b == b'x' || b == b'X' || b == b'*')
        || matches!(
            lower.as_str(),
            "null" | "none" | "true" | "false" | "undefined" | "required" | "optional"
        )
}

fn confirmed(check: Check, value: &str) -> bool {
    let digest = |prefix: &str| {
        value
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let plain = || {
        !is_placeholder(value)
            && !value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && !looks_like_path(value)
            && !value.contains("://")
            && !digest("sha256:")
            && !digest("sha512:")
    };
    match check {
        Check::Shape => true,
        Check::NotPlaceholder => !is_placeholder(value),
        Check::Entropy(min_bits) => plain() && shannon_entropy(value) >= min_bits,
        Check::Password => {
            plain()
                && !value.starts_with('-')
                && !value
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'%' | b'+' | b'-'))
                && !matches!(
                    value.to_ascii_lowercase().as_str(),
                    "yes" | "no" | "on" | "off" | "empty" | "unset" | "none" | "nil" | "n/a"
                )
        }
        Check::TokenLike(min_bits) => {
            plain()
                && value.bytes().any(|b| b.is_ascii_digit())
                && value.bytes().any(|b| b.is_ascii_alphabetic())
                && shannon_entropy(value) >= min_bits
        }
        Check::MixedCase => {
            value.bytes().any(|b| b.is_ascii_digit())
                && value.bytes().any(|b| b.is_ascii_uppercase())
                && value.bytes().any(|b| b.is_ascii_lowercase())
        }
    }
}

/// Words that, after the secret word in a key, say the key describes a secret rather than holds
/// one: `token_type=bearer`, `PASSWORD_MIN_LENGTH=12`, `TOKEN_EXPIRES_IN=3600`,
/// `DB_PASSWORD_FILE=/run/secrets/db`, `--password-stdin`, `customer_master_key_spec`.
const DESCRIPTIVE_WORDS: &[&str] = &[
    "type",
    "types",
    "kind",
    "min",
    "max",
    "length",
    "len",
    "size",
    "expires",
    "expiry",
    "expiration",
    "expire",
    "expired",
    "ttl",
    "lifetime",
    "age",
    "file",
    "path",
    "dir",
    "env",
    "var",
    "name",
    "count",
    "policy",
    "required",
    "enabled",
    "disabled",
    "enable",
    "disable",
    "prompt",
    "stdin",
    "field",
    "header",
    "url",
    "uri",
    "endpoint",
    "hint",
    "mode",
    "version",
    "format",
    "scope",
    "scopes",
    "rotation",
    "reset",
    "strength",
    "pattern",
    "regex",
    "limit",
    "timeout",
    "interval",
    "source",
    "provider",
    "method",
    "spec",
    "usage",
    "arn",
    "alias",
    "algorithm",
    "algo",
    "status",
    "state",
    "store",
    "manager",
    "backend",
    "location",
    "region",
    "host",
    "hostname",
    "server",
    "domain",
    "port",
    "user",
    "username",
    "email",
];

/// Whether a key segment (lower case) names a secret.
fn is_secret_word(segment: &str) -> bool {
    [
        "secret",
        "token",
        "passw",
        "passphrase",
        "credential",
        "apikey",
    ]
    .iter()
    .any(|w| segment.contains(w))
        || matches!(segment, "pwd" | "pass" | "pat")
        || segment.ends_with("key")
}

/// Whether the assignment key `key` holds no secret: it describes one or names something else.
/// A key that holds one has the secret word in its last dotted part (in
/// `module.db_secret.data.aws_region.current: Reading...`, a Terraform address, it does not),
/// and no segment after that word may be one of [`DESCRIPTIVE_WORDS`]. Segments split at
/// `_ -` and at a lower-to-upper case change.
fn key_holds_no_secret(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    let mut segments: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in last.chars() {
        let boundary = matches!(c, '_' | '-') || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !current.is_empty() {
            segments.push(std::mem::take(&mut current));
        }
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase();
    }
    if !current.is_empty() {
        segments.push(current);
    }
    let Some(last_secret) = segments.iter().rposition(|s| is_secret_word(s)) else {
        return true;
    };
    segments
        .iter()
        .skip(last_secret + 1)
        .any(|s| DESCRIPTIVE_WORDS.contains(&s.as_str()))
}

/// `$NAME`, `${NAME}`, `${{ secrets.NAME }}`, `$(cmd)`, `%NAME%`: the value is looked up
/// elsewhere, so the log shows no secret.
fn is_variable_reference(value: &str) -> bool {
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if let Some(rest) = value.strip_prefix('$') {
        return rest.starts_with(['{', '(']) || ident(rest);
    }
    value.len() > 2
        && value.starts_with('%')
        && value.ends_with('%')
        && value.get(1..value.len() - 1).is_some_and(ident)
}

/// `/home/runner/work`, `./dist`, `~/.npmrc`: a path, not a secret (base64 may start with `/`
/// too, but then it has `+` or `=` in it).
fn looks_like_path(value: &str) -> bool {
    (value.starts_with('/') || value.starts_with("./") || value.starts_with("~/"))
        && !value.contains(['+', '='])
}

/// Bits of Shannon entropy per byte of `value`.
#[allow(clippy::cast_precision_loss)]
fn shannon_entropy(value: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in value.bytes() {
        if let Some(slot) = counts.get_mut(usize::from(b)) {
            *slot += 1;
        }
    }
    let len = value.len() as f64;
    counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = n as f64 / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests;
