//! Runs the ingest pipeline's redaction over every fixture log in `tests/fixtures/` (real CI
//! logs written by other people, with no secret in them) and prints what it replaced: each
//! fixture's count and every redacted line, so a false positive can be read, not only counted.
//!
//! Run: `cargo run -p citail-examples --bin redaction-census` (no arguments). Add `--quiet` to
//! print the counts only. Exits 1 when any fixture line is redacted, so `scripts/test.sh` can
//! hold the figure at zero.

use citail::{normalize, Redactor};
use citail_tests::load_fixtures;

fn main() {
    let quiet = std::env::args().any(|a| a == "--quiet");
    let redactor = Redactor::builtin();
    let fixtures = load_fixtures();
    let mut total = 0;
    let mut bytes = 0;
    for fixture in &fixtures {
        // As the pipeline sees it: escapes resolved, runner timestamps stripped.
        let text = normalize(&fixture.text, true);
        bytes += text.len();
        let out = redactor.redact(&text);
        total += out.count;
        println!("{:>4}  {}", out.count, fixture.name);
        if quiet || out.count == 0 {
            continue;
        }
        for (before, after) in text.lines().zip(out.text.lines()) {
            if before != after {
                println!("        {after}");
            }
        }
    }
    println!(
        "{total} redactions in {} fixture logs ({:.1} MiB) that hold no secret",
        fixtures.len(),
        bytes as f64 / (1024.0 * 1024.0)
    );
    if total > 0 {
        std::process::exit(1);
    }
}
