//! The built-in highlight rules: lines that say why a step failed.
//!
//! Each rule is a regex over one line (the text is scanned in multi-line mode, so `^` and `$` are
//! line boundaries). All word boundaries are ASCII (`(?-u:\b)`), which keeps the regex crate on
//! its fast lazy DFA for any input.

/// Decoration a runner or a tool puts before a line's message: spaces, quote markers, bullets,
/// emoji (`🚨 Error:`, `❗ ::error::`, `❌ Failure`), act's `[job name]` column.
const LEAD: &str = r"(?:\[[^\]\n]{1,60}\][ \t]*)?(?:[ \t>|*#•]|[^\x00-\x7F]){0,8}";

/// `(name, pattern)`: a line matching any pattern is a highlight, unless [`EXCLUDE`] matches it.
/// No rule may match across a line break: `[ \t]` stands where `\s` would (in multi-line mode
/// `^\s*` would start a match on a blank line and end it on the next).
pub(crate) const RULES: &[(&str, &str)] = &[
    // Compilers and type checkers.
    (
        "rust-error",
        r"^[ \t]*error(?:\[[A-Za-z]?[0-9]{1,5}\]|\[[a-z-]{1,40}\])?: ",
    ),
    ("tsc-error", r"(?-u:\b)error TS[0-9]{1,5}:"),
    (
        "file-line-error",
        r"^[ \t]*[^ \t\n:]{1,200}:[0-9]{1,7}(?::[0-9]{1,5})?:[ \t]*(?:(?:fatal )?error|undefined|cannot|syntax error|unexpected)(?-u:\b)",
    ),
    (
        "eslint-error",
        r"^[ \t]*[0-9]{1,6}:[0-9]{1,5}[ \t]+error[ \t]",
    ),
    // `Error: …`, `TypeError: …`, `java.lang.IllegalStateException: …`, `configure: error: …`,
    // `ERROR: …`, pytest's `E   subprocess.CalledProcessError: …`.
    (
        "error-line",
        r"LEAD(?:E[ \t]+)?(?:[A-Za-z0-9_./-]{1,80}: )?(?i:error|fatal error)(?-u:\b)[ \t]*:(?:[^:]|$)",
    ),
    (
        "exception",
        r"LEAD(?:E[ \t]+)?(?:[A-Za-z_][A-Za-z0-9_$]*\.){0,8}[A-Z][A-Za-z0-9_]*(?:Error|Exception|Failure)(?-u:\b)(?::|[ \t]*$)",
    ),
    (
        "uncaught",
        r"(?i:uncaught|unhandled(?: promise)? rejection|unhandled exception)",
    ),
    ("traceback", r"^[ \t]*Traceback \(most recent call last\):"),
    // Test runners.
    ("test-fail", r"LEAD(?:FAIL|FAILED|ERROR)(?-u:\b)"),
    ("go-test-fail", r"--- FAIL: "),
    // The race detector's report: the cause of a `-race` failure, though it says WARNING.
    ("go-race", r"^[ \t]*WARNING: DATA RACE"),
    // What `go test -race` says about the test the race failed.
    ("go-race-test", r"race detected during execution of test"),
    ("failed-word", r"(?-u:\b)FAILED(?-u:\b)"),
    (
        "failed-count",
        r"(?-u:\b)[1-9][0-9]{0,6} (?:failed|failures?|errors?|failing)(?-u:\b)",
    ),
    ("fail-mark", r"LEAD[✗✘×✖](?:[ \t]|$)"),
    ("jest-bullet", r"^[ \t]*● "),
    ("vitest-arrow", r"^[ \t]*→ "),
    (
        "expected-actual",
        r"^[ \t]*(?:Expected|Received|expected|received|Actual|actual|left|right)(?: value)?[ \t]*:",
    ),
    ("pytest-e", r"^E {2,}\S"),
    (
        "pytest-section",
        r"^=+ (?:ERRORS|FAILURES|short test summary info) =+$",
    ),
    // pytest's header of a test that errored before or after it ran: `____ ERROR at setup of
    // test_x ____`.
    (
        "pytest-error-header",
        r"^_{3,} ERROR at (?:setup|teardown|collection) of [^\n]{1,200} _{3,}$",
    ),
    // A linter's count of what it found: `Found 1 problem` (deno lint), `Found 3 problems`.
    (
        "problems-found",
        r"^[ \t]*Found [1-9][0-9]{0,5} problems?(?-u:\b)",
    ),
    (
        "assertion",
        r"(?i:assertion(?:error)?(?-u:\b).{0,200}(?-u:\b)failed|assert(?:ion)? failed|AssertionError)",
    ),
    // Crashes.
    ("panic", r"panicked at|^panic: |^fatal error: "),
    (
        "crash",
        r"Segmentation fault|(?-u:\b)segfault|core dumped|(?-u:\b)SIG(?:SEGV|ABRT|ILL|BUS|FPE)(?-u:\b)|wasm trap:|(?-u:\b)Aborted(?-u:\b)|out of memory|OOMKilled|stack overflow",
    ),
    ("fatal", r"^[ \t]*fatal: |^FATAL(?-u:\b)|(?-u:\b)FATAL:"),
    // The runner and build tools.
    // `##[error]…` anywhere; the `::error …::` workflow command only where a line starts.
    ("runner-error", r"##\[error\]"),
    ("workflow-error", r"LEAD::error(?:[ \t]|::)"),
    (
        "job-failed",
        r"(?-u:\b)Job failed(?-u:\b)|(?-u:\b)Failure - ",
    ),
    (
        "exit-code",
        r"(?i:exit(?:ed)?(?: with)? (?:status|code) [1-9][0-9]{0,3}|exitcode '[1-9][0-9]{0,3}')",
    ),
    (
        "npm-error",
        r"^npm (?:ERR!|error) |^[0-9]{1,6} error |^[0-9]{1,6} verbose stack [A-Za-z]{0,40}Error: ",
    ),
    // cargo's line naming the program that failed: a build script, a test binary.
    ("cargo-process", r"process didn't exit successfully: "),
    ("pnpm-error", r"ERR_PNPM_[A-Z_]{2,60}"),
    // The shell and the system: `bash: line 1: wrangler: command not found`, `sh: 1: x: not
    // found` is `command not found`'s dash spelling.
    (
        "shell-error",
        r"command not found|: No such file or directory|^[ \t]*Killed(?:[ \t]|$)|: Permission denied",
    ),
    ("docker-daemon", r"Error response from daemon"),
    // BuildKit's failed step, whatever prefix the line has: `#12 ERROR: process "/bin/sh -c npm
    // ci" did not complete successfully: exit code: 1`.
    (
        "buildkit-error",
        r"^#[0-9]{1,5} (?:[0-9]{1,6}\.[0-9]{1,3} )?ERROR:",
    ),
    // `path(line, col): error CS1002: …` (MSBuild), `path(line, col) Error: …` (Nim).
    (
        "paren-line-error",
        r"^[ \t]*[^ \t\n(]{1,200}\([0-9]{1,7}(?:, ?[0-9]{1,5})?\):?[ \t]*(?i:error|fatal)(?-u:\b)",
    ),
    // Biome's diagnostic header names the file and the rule:
    // `src/a.ts:8:60 lint/suspicious/noDebugger  FIXABLE  ━━━━━━`.
    (
        "biome-header",
        r"^[^ \t\n]{1,200}(?::[0-9]{1,7}:[0-9]{1,5})?[ \t]+(?:lint|format|parse|assist|organizeImports)[/A-Za-z]*[ \t].*━━",
    ),
    // Prettier `--check`: the files it counts in `Code style issues found in 2 files`.
    (
        "prettier-check",
        r"^\[warn\] (?:[^ \t\n]{1,200}\.[A-Za-z0-9]{1,8}[ \t]*$|Code style issues)",
    ),
    // gotestsum's `dots` format: a package whose row holds a failed test (`✖`).
    (
        "gotestsum-dots",
        r"^[ \t]*(?:[0-9]{1,6}m?s[ \t]+)?[A-Za-z0-9_./-]{1,200} [·↷✖]*✖",
    ),
    // `cargo fmt --check` / `rustfmt --check`: each file it would change.
    ("rustfmt-diff", r"^Diff in [^\n]{1,300} at line [0-9]{1,7}:"),
    // A heading whose items follow it (see `companions.rs`).
    (
        "failure-heading",
        r"^[ \t]*(?:Failures|Errors|Failed tests|Failing tests|failures)[ \t]*:[ \t]*$",
    ),
    (
        "build-failed",
        r"Finished: FAILURE|BUILD FAILED|BUILD FAILURE|^\[ERROR\]|make(?:\[[0-9]{1,3}\])?: \*\*\*|marked build as failure",
    ),
];

/// Words every line a rule matches contains, in lower case: a line with none of them, in any
/// ASCII case, is not searched. A new rule must add one of its own unless one here is already in
/// every line it matches (`highlight/tests.rs` compares the gated search with a whole-text one on
/// the fixture logs and on generated text).
pub(crate) const LITERALS: &[&str] = &[
    // rust-error, tsc-error, file-line-error, eslint-error, error-line, exception, test-fail,
    // failed-count, pytest-section, runner-error, workflow-error, npm-error, build-failed
    "error",
    // exception, test-fail, go-test-fail, failed-word, failed-count, pytest-section,
    // job-failed, build-failed
    "fail",
    // file-line-error
    "undefined",
    "cannot",
    "unexpected",
    // exception
    "exception",
    // uncaught
    "uncaught",
    "unhandled",
    // traceback
    "traceback",
    // fail-mark (`×` is two bytes: spelt with what must follow it, so that every literal is at
    // least three bytes long, which keeps the literal search's false hits rare; `×` at the very
    // end of the text is checked apart), jest-bullet, vitest-arrow
    "✗",
    "✘",
    "× ",
    "×\t",
    "×\n",
    "✖",
    "●",
    "→",
    // expected-actual
    "expected",
    "received",
    "actual",
    "left",
    "right",
    // pytest-e
    "e  ",
    // pytest-section
    "short test summary info",
    // assertion
    "assert",
    // panic, fatal
    "panic",
    "fatal",
    // crash
    "fault",
    "core dumped",
    "sig",
    "wasm trap:",
    "aborted",
    "out of memory",
    "oomkilled",
    "stack overflow",
    // exit-code, cargo-process
    "exit",
    // npm-error
    "npm ",
    // build-failed
    "make",
    // pnpm-error
    "err_pnpm",
    // shell-error
    "command not found",
    "no such file",
    "killed",
    "permission denied",
    // biome-header
    "━━",
    // prettier-check
    "[warn]",
    // rustfmt-diff
    "diff in",
    // go-race
    "data race",
    // go-race-test
    "race detected",
    // problems-found
    "problem",
];

/// Lines that are highlights even though [`EXCLUDE`] matches them: warnings that are the cause.
pub(crate) const ALWAYS: &str = r"^[ \t]*WARNING: DATA RACE";

/// Lines that look like a failure but report a pass or a warning, and npm's boilerplate under
/// every error (`npm ERR! argv …`, `npm ERR! node v4.4.7`, `If you need help, you may report
/// this error at:`, `A complete log of this run can be found in:`): a blind reader of the demo
/// prompt named them as lines that sent it nowhere.
pub(crate) const EXCLUDE: &str = r"[✓✔√]|^[ \t]*PASS(?-u:\b)|^[ \t]*--- PASS|::warning|##\[warning\]|^[ \t]*(?i:warning)(?:\[[^\]]*\])?:|\.\.\. ok$|^ok[ \t]|^(?:npm (?:ERR!|error)|[0-9]{1,6} error)[ \t]+(?:argv |node v[0-9]|npm +v[0-9]|If you need help|<https?://|A complete log of this run|(?:Darwin|Linux|Windows_NT|FreeBSD) [0-9])";

/// The rules as one multi-line regex.
pub(crate) fn combined() -> String {
    let alternatives: Vec<String> = RULES
        .iter()
        .map(|(_, pattern)| format!("(?:{})", pattern.replace("LEAD", &format!("^{LEAD}"))))
        .collect();
    format!("(?m){}", alternatives.join("|"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_rule_crosses_a_line() {
        for (name, pattern) in super::RULES {
            assert!(!pattern.contains(r"\s"), "{name}: use [ \\t], not \\s");
        }
        assert!(!super::LEAD.contains(r"\s"));
    }

    #[test]
    fn word_boundaries_are_ascii() {
        for (name, pattern) in super::RULES {
            let bare = pattern.replace(r"(?-u:\b)", "");
            assert!(!bare.contains(r"\b"), "{name}: use (?-u:\\b)");
        }
    }
}
