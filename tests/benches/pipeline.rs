//! How much the ingest pipeline (normalise → redact → truncate) costs on a full 64 KiB input,
//! next to the durable commit that follows it in `Store::ingest`, measured in the same run.
//!
//!   cargo bench -p citail-tests --bench pipeline
//!
//! Inputs: each fixture log repeated to 64 KiB (the largest tail the store accepts), so every
//! kind of text is measured at full size: ANSI-heavy npm output, `\r` progress redraws, a 40 KB
//! single line, GitHub job logs with timestamps, plain test output.
use citail::{Options, Pipeline, Store};
use citail_tests::{fill_to, load_fixtures, sha};
use divan::{black_box, Bencher};
use std::sync::LazyLock;

const INPUT_BYTES: usize = 64 * 1024;

/// The fixtures benchmarked: one of each kind of text in the corpus.
const FIXTURES: &[&str] = &[
    "terminal-to-html__npm.sh.raw",
    "terminal-to-html__buildah-build.sh.raw",
    "ferrotex__ci_log.txt",
    "pytest-infrahouse__job-logs.txt",
    "jenkins-ansicolor__testlog-long.log",
    "keiyoushi-extensions__act.log",
    "rust-log-analyzer__test_missing_line.txt",
    "gotestsum__go-test-json-with-parallel-fails.out",
];

static INPUTS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    let fixtures = load_fixtures();
    FIXTURES
        .iter()
        .map(|name| {
            let fixture = fixtures.iter().find(|f| f.name == *name).expect(name);
            ((*name).to_owned(), fill_to(&fixture.text, INPUT_BYTES))
        })
        .collect()
});

fn input(name: &str) -> &'static str {
    &INPUTS.iter().find(|(n, _)| n == name).expect("input").1
}

fn main() {
    divan::main();
}

/// The whole pipeline with the default options.
#[divan::bench(args = FIXTURES)]
fn pipeline_64k(bencher: Bencher, name: &str) {
    let pipeline = Pipeline::new(&Options::default()).expect("pipeline");
    let text = input(name);
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| pipeline.run(black_box(text)));
}

/// Truncation alone (both switches off): what ingest cost before this pipeline existed.
#[divan::bench(args = FIXTURES)]
fn truncate_only_64k(bencher: Bencher, name: &str) {
    let pipeline = Pipeline::new(&Options::default().normalize(false).redact_secrets(false))
        .expect("pipeline");
    let text = input(name);
    bencher.bench(|| pipeline.run(black_box(text)));
}

/// The peer: one durable ingest of an already-clean 32 KiB tail (one redb commit with fsync),
/// the work that follows the pipeline in every `Store::ingest`.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn durable_commit_32k(bencher: Bencher) {
    let dir = tempfile::tempdir().expect("dir");
    let options = Options::default().normalize(false).redact_secrets(false);
    let store = Store::open(dir.path().join("bench.redb"), options).expect("store");
    let tail = fill_to(input("pytest-infrahouse__job-logs.txt"), 32 * 1024);
    let head = sha(1);
    let mut run = 0u64;
    bencher.bench_local(|| {
        run += 1;
        let run_id = run.to_string();
        let log = citail::NewLog {
            repo: "acme/app",
            run_id: &run_id,
            job_id: "1",
            step_name: "test",
            head_sha: &head,
            conclusion: "failure",
            log_tail: &tail,
        };
        store.ingest(&log).expect("ingest")
    });
}
