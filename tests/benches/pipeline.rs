//! How much the ingest pipeline (normalise → redact → highlight → truncate) costs on a full
//! 64 KiB input, next to the durable commit that follows it in `Store::ingest`, measured in the
//! same run; and the prompt path for a commit with 10,000 rows.
//!
//!   cargo bench -p citail-tests --bench pipeline
//!
//! Inputs: each fixture log repeated to 64 KiB (the largest tail the store accepts), so every
//! kind of text is measured at full size: ANSI-heavy npm output, `\r` progress redraws, a 40 KB
//! single line, GitHub job logs with timestamps, plain test output.
use citail::{Options, Pipeline, Store};
use citail_tests::{fill_to, load_fixtures, log, sha};
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

/// Inputs that are dense in what the gates look for: every short line holds a keyword the
/// redactor or the highlighter must then look at, the worst case of a gated search.
const DENSE: &[&str] = &[
    "key\n",
    "error key=\n",
    "token: x\n",
    "password=\n",
    "error\n",
    "FAILED x\n",
    "%41%42%43\n",
    "::add-mask::",
];

/// A 64 KiB input of `unit` repeated; `::add-mask::` declares a different value on each line.
fn dense(unit: &str) -> String {
    if unit == "::add-mask::" {
        let mut text = String::new();
        let mut i = 0;
        while text.len() < INPUT_BYTES {
            text.push_str(&format!("::add-mask::value{i:05}\nvalue{i:05}\n"));
            i += 1;
        }
        return text;
    }
    fill_to(unit, INPUT_BYTES)
}

/// The whole pipeline on [`DENSE`] inputs, to compare with [`pipeline_64k`] on real logs.
#[divan::bench(args = DENSE)]
fn pipeline_dense_64k(bencher: Bencher, unit: &str) {
    let pipeline = Pipeline::new(&Options::default()).expect("pipeline");
    let text = dense(unit);
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| pipeline.run(black_box(&text)));
}

/// The stages one by one on [`DENSE`] inputs: normalising, redacting, finding highlights.
#[divan::bench(args = DENSE)]
fn stage_normalize_dense_64k(bencher: Bencher, unit: &str) {
    let text = dense(unit);
    bencher.bench(|| citail::normalize(black_box(&text), true).len());
}

/// See [`stage_normalize_dense_64k`].
#[divan::bench(args = DENSE)]
fn stage_redact_dense_64k(bencher: Bencher, unit: &str) {
    let text = dense(unit);
    bencher.bench(|| citail::redact_secrets(black_box(&text)).count);
}

/// See [`stage_normalize_dense_64k`].
#[divan::bench(args = DENSE)]
fn stage_highlights_dense_64k(bencher: Bencher, unit: &str) {
    let text = dense(unit);
    bencher.bench(|| citail::find_highlights(black_box(&text), 30, 4096).len());
}

/// Truncation alone (normalising, redaction and highlights off): what ingest cost before the
/// pipeline existed.
#[divan::bench(args = FIXTURES)]
fn truncate_only_64k(bencher: Bencher, name: &str) {
    let options = Options::default()
        .normalize(false)
        .redact_secrets(false)
        .max_highlights(0);
    let pipeline = Pipeline::new(&options).expect("pipeline");
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
            run_id: &run_id,
            ..log("acme/app", &head, "test", &tail)
        };
        store.ingest(&log).expect("ingest")
    });
}

/// The inputs as the highlighter sees them: normalised and redacted.
static CLEAN_INPUTS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    INPUTS
        .iter()
        .map(|(name, text)| {
            let clean = citail::redact_secrets(&citail::normalize(text, true))
                .text
                .into_owned();
            (name.clone(), clean)
        })
        .collect()
});

/// Finding highlights alone in a full 64 KiB input: what highlights add to every ingest.
#[divan::bench(args = FIXTURES)]
fn highlights_64k(bencher: Bencher, name: &str) {
    let text = &CLEAN_INPUTS
        .iter()
        .find(|(n, _)| n == name)
        .expect("input")
        .1;
    bencher.bench(|| citail::find_highlights(black_box(text), 20, 4096));
}

/// A commit with 10,000 rows (a retry loop gone wrong), each a 1 KiB tail with two highlights.
static BIG_SHA: LazyLock<(tempfile::TempDir, Store)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("dir");
    let options = Options::default().durable(false);
    let store = Store::open(dir.path().join("big.redb"), options).expect("store");
    let tail = format!(
        "error: attempt failed\n{}Process completed with exit code 1.\n",
        "retrying the flaky network call again\n".repeat(26)
    );
    let head = sha(7);
    for i in 0..10_000u64 {
        let step = format!("retry {i}");
        let log = log("acme/app", &head, &step, &tail);
        store.ingest_at(&log, 1_000 + i).expect("ingest");
    }
    (dir, store)
});

/// The prompt path for that commit: the newest 50 rows, rendered into 64 KiB.
#[divan::bench(sample_count = 30)]
fn prompt_10k_rows_newest_50(bencher: Bencher) {
    let store = &BIG_SHA.1;
    let head = sha(7);
    bencher.bench(|| {
        let rows = store
            .recent_logs_for_at("acme/app", &head, 20_000, 50)
            .expect("lookup");
        citail::render_prompt_block(&rows, 64 * 1024)
    });
}

/// The prompt path with failure memory, as `buildFixCiPrompt` runs it: the newest 50 rows, their
/// history (all 10,000 rows share one fingerprint: the read stops at its limit, once for all
/// 50), rendered into 64 KiB.
#[divan::bench(sample_count = 30)]
fn prompt_10k_rows_newest_50_with_history(bencher: Bencher) {
    let store = &BIG_SHA.1;
    let head = sha(7);
    bencher.bench(|| {
        let rows = store
            .recent_logs_for_at("acme/app", &head, 20_000, 50)
            .expect("lookup");
        let history = store.history_at(&rows, 20_000).expect("history");
        let context = citail::PromptContext {
            history,
            ..Default::default()
        };
        citail::render_prompt_block_with(&rows, &context, 64 * 1024)
    });
}

/// The peer: every row read and handed to the renderer, as `logsFor` did before the limit.
#[divan::bench(sample_count = 10)]
fn prompt_10k_rows_all(bencher: Bencher) {
    let store = &BIG_SHA.1;
    let head = sha(7);
    bencher.bench(|| {
        let rows = store
            .logs_for_at("acme/app", &head, 20_000)
            .expect("lookup");
        citail::render_prompt_block(&rows, 64 * 1024)
    });
}

/// Runs `work` on each of the 23 fixture logs after the pipeline (the payloads of the engine
/// comparisons, 7.5 KiB on average), counting payloads; `work` returns a size so nothing is
/// optimised away.
fn over_clean_payloads(bencher: Bencher, work: impl Fn(&str) -> usize + Sync) {
    let payloads = citail_tests::clean_payloads();
    bencher
        .counter(divan::counter::ItemsCount::new(payloads.len()))
        .bench(|| payloads.iter().map(|p| work(black_box(p))).sum::<usize>());
}

/// The payloads run through the pipeline again: what it costs each row of a benchmark burst.
#[divan::bench(sample_count = 50)]
fn pipeline_clean_payloads(bencher: Bencher) {
    let pipeline = Pipeline::new(&Options::default()).expect("pipeline");
    over_clean_payloads(bencher, |p| pipeline.run(p).tail.len());
}

/// What ingest adds after the pipeline: the fingerprint of each payload's highlights (or its
/// tail's last lines), against `pipeline_clean_payloads` in the same run.
#[divan::bench(sample_count = 50)]
fn fingerprint_clean_payloads(bencher: Bencher) {
    let pipeline = Pipeline::new(&Options::default()).expect("pipeline");
    let processed: Vec<citail::Processed> = citail_tests::clean_payloads()
        .iter()
        .map(|p| pipeline.run(p))
        .collect();
    bencher
        .counter(divan::counter::ItemsCount::new(processed.len()))
        .bench(|| {
            processed
                .iter()
                .map(|p| {
                    citail::fingerprint("test", black_box(&p.highlights), black_box(&p.tail))
                        .map_or(0, |f| f.len())
                })
                .sum::<usize>()
        });
}

/// The pipeline's stages one by one on the same payloads: normalising.
#[divan::bench(sample_count = 50)]
fn stage_normalize_clean_payloads(bencher: Bencher) {
    over_clean_payloads(bencher, |p| citail::normalize(p, true).len());
}

/// Redaction (keyword gate and the rules it triggers).
#[divan::bench(sample_count = 50)]
fn stage_redact_clean_payloads(bencher: Bencher) {
    over_clean_payloads(bencher, |p| citail::redact_secrets(p).count);
}

/// Finding highlights.
#[divan::bench(sample_count = 50)]
fn stage_highlights_clean_payloads(bencher: Bencher) {
    over_clean_payloads(bencher, |p| citail::find_highlights(p, 30, 4096).len());
}
