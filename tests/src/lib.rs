//! Shared helpers for citail's integration tests and examples: the real-log fixture corpus.
//!
//! The fixtures in `tests/fixtures/` are real CI logs written by other projects (see
//! `tests/fixtures/SOURCES.md` for repository, commit and licence of each).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;

pub mod growth;

/// Most bytes the workflow's step script posts, under the store's 64 KiB input limit.
pub const WIRE_MAX_BYTES: usize = 60 * 1024;

/// One fixture log, decoded to text.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// File name in `tests/fixtures/`.
    pub name: String,
    /// The whole log as text (see [`decode_log`]).
    pub text: String,
}

impl Fixture {
    /// What the workflow's step script would post for this log
    /// (`examples/forgejo/post-ci-log.sh`): its last 60 KiB; when that cuts a line and more than
    /// one line follows, without the partial first line.
    pub fn wire_tail(&self) -> &str {
        let cut = citail::truncate_tail(&self.text, usize::MAX, WIRE_MAX_BYTES);
        let start = self.text.len() - cut.len();
        if start == 0 || self.text.as_bytes().get(start - 1) == Some(&b'\n') {
            return cut;
        }
        match cut.find('\n') {
            Some(first) if cut.matches('\n').count() >= 2 => cut.get(first + 1..).unwrap_or(cut),
            _ => cut,
        }
    }
}

/// `text` repeated until it has at least `bytes` bytes, then its last `bytes` bytes (moved
/// forward to a character boundary): a full-size input built from a real log.
pub fn fill_to(text: &str, bytes: usize) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut big = String::with_capacity(bytes + text.len());
    while big.len() < bytes {
        big.push_str(text);
    }
    let mut start = big.len() - bytes;
    while !big.is_char_boundary(start) {
        start += 1;
    }
    big.split_off(start)
}

/// The folder holding the fixture logs.
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every fixture log (everything in the folder but `SOURCES.md`), sorted by name.
///
/// # Panics
/// If the fixture folder cannot be read: the corpus ships with the repository.
pub fn load_fixtures() -> Vec<Fixture> {
    let mut out: Vec<Fixture> = std::fs::read_dir(fixture_dir())
        .expect("tests/fixtures is part of the repository")
        .map(|entry| entry.expect("readable fixture entry").path())
        .filter(|path| path.file_name().is_some_and(|n| n != "SOURCES.md"))
        .map(|path| Fixture {
            name: path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            text: decode_log(&std::fs::read(&path).expect("readable fixture")),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Bytes of a log file as text: UTF-16LE when it starts with that byte-order mark (PowerShell
/// writes such logs), otherwise UTF-8 with invalid sequences replaced by U+FFFD.
pub fn decode_log(bytes: &[u8]) -> String {
    if let Some(utf16) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = utf16
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// The tail the crash writer stores for `step` (`tests/src/bin/crash_writer.rs`): plain text
/// that normalisation and redaction leave unchanged, 1 to 60 lines depending on the name, so the
/// parent can check every acknowledged row byte for byte.
pub fn crash_tail(step: &str) -> String {
    let lines = 1 + step.bytes().map(usize::from).sum::<usize>() % 60;
    (0..lines)
        .map(|i| format!("{step} output line {i}\n"))
        .collect()
}

/// Every fixture's wire tail after citail's default pipeline, in fixture order: clean text
/// (7.5 KiB on average) that the engine comparisons store on every side, as
/// `examples/bench/compare.ts` does, and that builds large stores fast.
///
/// # Panics
/// If the default options fail to compile (they are tested to).
pub fn clean_payloads() -> Vec<String> {
    let pipeline = citail::Pipeline::new(&citail::Options::default()).expect("default options");
    load_fixtures()
        .iter()
        .map(|f| pipeline.run(f.wire_tail()).tail)
        .collect()
}

/// A failed-step payload for `repo`/`sha` with the given step name and tail (run 100, job 7).
pub fn log<'a>(repo: &'a str, sha: &'a str, step: &'a str, tail: &'a str) -> citail::NewLog<'a> {
    citail::NewLog {
        repo,
        run_id: "100",
        job_id: "7",
        step_name: step,
        head_sha: sha,
        conclusion: "failure",
        log_tail: tail,
        ..Default::default()
    }
}

/// A deterministic 40-hex-digit commit id for test number `n`.
pub fn sha(n: u64) -> String {
    format!("{n:040x}")
}

/// The repository README's Rust snippet, compiled and run as a doc test (the crate's own README
/// is tested by `citail` itself).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
