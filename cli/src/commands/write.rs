//! Changing a store by hand: `ingest` a log from stdin, `prune` expired rows.

use super::{open, open_existing, print_json};
use crate::args::{IngestArgs, PruneArgs};
use crate::failure::Failure;
use crate::output::outln;
use crate::view;
use serde_json::json;
use std::io::Read;
use std::process::ExitCode;

pub fn ingest(args: &IngestArgs) -> Result<ExitCode, Failure> {
    let file = &args.file.file;
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Message(format!("reading the log from stdin: {e}")))?;
    // A log is text; bytes that are not UTF-8 become U+FFFD rather than refusing the log.
    let text = String::from_utf8_lossy(&bytes);
    let store = open(file, citail::Options::default())?;
    let log = citail::NewLog {
        repo: &args.repo,
        run_id: &args.run,
        job_id: &args.job,
        step_name: &args.step,
        head_sha: &args.sha,
        conclusion: &args.conclusion,
        log_tail: &text,
        ..Default::default()
    };
    let done = store.ingest(&log).map_err(|e| Failure::store(file, e))?;
    if args.file.json {
        print_json(&json!({
            "id": done.id, "created_at": done.created_at, "stored_bytes": done.stored_bytes,
            "stored_lines": done.stored_lines, "truncated": done.truncated,
            "replaced": done.replaced, "redactions": done.redactions,
            "masked_at_source": done.masked_at_source, "highlights": done.highlights,
        }))?;
    } else {
        outln!(
            "stored row {}: {} lines, {}{}{}; {} secret(s) redacted{}, {} highlight(s)",
            done.id,
            done.stored_lines,
            view::bytes(done.stored_bytes as u64),
            if done.truncated { ", truncated" } else { "" },
            if done.replaced {
                ", replacing the step's earlier row"
            } else {
                ""
            },
            done.redactions,
            if done.masked_at_source > 0 {
                format!(" ({} masked before posting)", done.masked_at_source)
            } else {
                String::new()
            },
            done.highlights
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn prune(args: &PruneArgs) -> Result<ExitCode, Failure> {
    let file = &args.file.file;
    let store = open_existing(
        file,
        citail::Options::default().retention_ms(args.retention),
    )?;
    let now = args.now.unwrap_or_else(citail::now_ms);
    let deleted = store.prune_at(now).map_err(|e| Failure::store(file, e))?;
    let cutoff = now.saturating_sub(args.retention);
    if args.file.json {
        print_json(&json!({ "deleted": deleted, "cutoff": cutoff }))?;
    } else {
        outln!(
            "deleted {deleted} row(s) created before {}",
            view::time(cutoff)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
