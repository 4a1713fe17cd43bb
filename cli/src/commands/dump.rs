//! Backup and restore: `export` rows as JSON lines, `import` them back.

use super::{open, open_for_reading, print_json};
use crate::args::{ExportArgs, ImportArgs};
use crate::failure::Failure;
use crate::output::outln;
use crate::view;
use serde_json::json;
use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;
use std::sync::mpsc;

/// Rows an import keeps in flight: enough for group commit to batch, bounded memory.
const IMPORT_WINDOW: usize = 512;

pub fn export(args: &ExportArgs) -> Result<ExitCode, Failure> {
    let file = &args.file;
    let store = open_for_reading(file, citail::Options::default())?;
    let mut filter = citail::RowFilter::default();
    if let Some(repo) = &args.repo {
        filter = filter.repo(repo);
    }
    let bar = if args.repo.is_some() {
        view::spinner("exporting")
    } else {
        view::progress(
            store.stats().map_err(|e| Failure::store(file, e))?.rows,
            "exporting",
        )
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let write_failed = |e: std::io::Error| crate::output::written(&e);
    let mut exported = 0u64;
    for row in store.rows(&filter).map_err(|e| Failure::store(file, e))? {
        let row = citail::ExportedRow::from(row.map_err(|e| Failure::store(file, e))?);
        serde_json::to_writer(&mut out, &row).map_err(|e| match e.io_error_kind() {
            Some(kind) => write_failed(kind.into()),
            None => Failure::Message(format!("writing the export: {e}")),
        })?;
        out.write_all(b"\n").map_err(write_failed)?;
        exported += 1;
        bar.inc(1);
    }
    out.flush().map_err(write_failed)?;
    bar.finish_and_clear();
    eprintln!("exported {exported} row(s)");
    Ok(ExitCode::SUCCESS)
}

/// A line that was not stored, and why.
struct Rejected {
    line: u64,
    reason: String,
}

pub fn import(args: &ImportArgs) -> Result<ExitCode, Failure> {
    let file = &args.file.file;
    let store = open(file, citail::Options::default())?;
    let bar = view::spinner("importing");
    let (sender, receiver) = mpsc::channel::<(u64, citail::Result<citail::Ingested>)>();
    let mut rejected = Vec::new();
    let (mut imported, mut replaced, mut in_flight) = (0u64, 0u64, 0usize);
    let mut settle = |outcome: (u64, citail::Result<citail::Ingested>),
                      rejected: &mut Vec<Rejected>| match outcome {
        (_, Ok(ingested)) => {
            imported += 1;
            replaced += u64::from(ingested.replaced);
        }
        (line, Err(e)) => rejected.push(Rejected {
            line,
            reason: e.to_string(),
        }),
    };
    for (index, line) in std::io::stdin().lock().lines().enumerate() {
        let number = index as u64 + 1;
        let line = line.map_err(|e| Failure::Message(format!("reading line {number}: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: citail::ExportedRow = match serde_json::from_str(&line) {
            Ok(row) => row,
            Err(e) => {
                rejected.push(Rejected {
                    line: number,
                    reason: format!("not an exported row: {e}"),
                });
                continue;
            }
        };
        // Tickets in line order: of two lines for one step, the later one is kept.
        let sender = sender.clone();
        store.submit_import(store.ticket(), &row, move |result| {
            let _ = sender.send((number, result));
        });
        in_flight += 1;
        while in_flight >= IMPORT_WINDOW {
            settle(receive(&receiver)?, &mut rejected);
            in_flight -= 1;
        }
        bar.inc(1);
    }
    for _ in 0..in_flight {
        settle(receive(&receiver)?, &mut rejected);
    }
    bar.finish_and_clear();
    rejected.sort_by_key(|r| r.line);
    if args.file.json {
        let lines: Vec<_> = rejected
            .iter()
            .map(|r| json!({ "line": r.line, "error": r.reason }))
            .collect();
        print_json(&json!({ "imported": imported, "replaced": replaced, "rejected": lines }))?;
    } else {
        for r in &rejected {
            eprintln!("line {}: {}", r.line, r.reason);
        }
        outln!(
            "imported {imported} row(s) ({} new, {replaced} replaced a stored row of the same \
             step), rejected {} line(s)",
            imported - replaced,
            rejected.len()
        )?;
    }
    Ok(if rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn receive(
    receiver: &mpsc::Receiver<(u64, citail::Result<citail::Ingested>)>,
) -> Result<(u64, citail::Result<citail::Ingested>), Failure> {
    receiver
        .recv()
        .map_err(|_| Failure::Message("the store's writer stopped during the import".to_owned()))
}
