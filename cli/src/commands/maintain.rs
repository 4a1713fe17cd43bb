//! Keeping a store healthy: `check` its consistency, `compact` its file.

use super::{open_existing, print_json};
use crate::args::FileArgs;
use crate::failure::Failure;
use crate::view;
use serde_json::json;
use std::process::ExitCode;

pub fn check(args: &FileArgs) -> Result<ExitCode, Failure> {
    let file = &args.file;
    // redb's page checksums first (a damaged file fails here with exit status 4), then citail's
    // own invariants.
    let store = open_existing(file, citail::Options::default().verify_on_open(true))?;
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
        println!(
            "{}: {} row(s) checked, no problem found",
            file.display(),
            report.rows_checked
        );
    } else {
        for problem in &report.problems {
            println!("problem: {problem}");
        }
        if report.more_problems > 0 {
            println!("… and {} more", report.more_problems);
        }
        println!(
            "{}: {} row(s) checked, {} problem(s). Export what still reads (citail export), \
             import it into a new file, and switch the server to it.",
            file.display(),
            report.rows_checked,
            report.problems.len() as u64 + report.more_problems
        );
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
        println!(
            "{}: {} → {}",
            file.display(),
            view::bytes(sizes.before),
            view::bytes(sizes.after)
        );
    }
    Ok(ExitCode::SUCCESS)
}
