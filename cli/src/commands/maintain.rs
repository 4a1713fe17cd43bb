//! Keeping a store healthy: `check` its consistency, `compact` its file.

use super::{no_store, print_json};
use crate::args::FileArgs;
use crate::failure::Failure;
use crate::output::outln;
use crate::view;
use serde_json::json;
use std::process::ExitCode;

pub fn check(args: &FileArgs) -> Result<ExitCode, Failure> {
    let file = &args.file;
    // redb's page checksums first (a damaged file fails here with exit status 4), then citail's
    // own invariants. Both run on a private copy: checking never writes to the file.
    if !file.is_file() {
        return Err(no_store(file));
    }
    let store =
        citail::ReadOnlyStore::open_copy(file, citail::Options::default().verify_on_open(true))
            .map_err(|e| Failure::store(file, e))?;
    let total = store.stats().map_err(|e| Failure::store(file, e))?.rows;
    let bar = view::progress(total, "checking");
    let report = store
        .check_with_progress(&mut |done| bar.set_position(done))
        .map_err(|e| Failure::store(file, e))?;
    bar.finish_and_clear();
    if args.json {
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        print_json(&json!({
            "rows_checked": report.rows_checked,
            "clean": report.is_clean(),
            "problems": problems,
            "more_problems": report.more_problems,
        }))?;
    } else if report.is_clean() {
        outln!(
            "{}: {} row(s) checked, no problem found",
            file.display(),
            report.rows_checked
        )?;
    } else {
        for problem in &report.problems {
            outln!("problem: {problem}")?;
        }
        if report.more_problems > 0 {
            outln!("… and {} more", report.more_problems)?;
        }
        outln!(
            "{}: {} row(s) checked, {} problem(s). Export what still reads (citail export), \
             import it into a new file, and switch the server to it.",
            file.display(),
            report.rows_checked,
            report.problems.len() as u64 + report.more_problems
        )?;
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn compact(args: &FileArgs) -> Result<ExitCode, Failure> {
    let file = &args.file;
    if !file.is_file() {
        return Err(Failure::Message(format!("no store at {}", file.display())));
    }
    let bar = view::spinner("compacting");
    let sizes = citail::compact(file).map_err(|e| Failure::store(file, e))?;
    bar.finish_and_clear();
    if args.json {
        print_json(&json!({ "before": sizes.before, "after": sizes.after }))?;
    } else {
        outln!(
            "{}: {} → {}",
            file.display(),
            view::bytes(sizes.before),
            view::bytes(sizes.after)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
