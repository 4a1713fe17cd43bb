//! One function per subcommand, grouped by what they do to the store.

mod dump;
mod inspect;
mod maintain;
mod write;

use crate::args::Command;
use crate::failure::Failure;
use crate::output::outln;
use std::path::Path;
use std::process::ExitCode;

/// Runs one subcommand; the exit code says how it went.
pub fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Stats(args) => inspect::stats(&args),
        Command::List(args) => inspect::list(&args),
        Command::Show(args) => inspect::show(&args),
        Command::History(args) => inspect::history(&args),
        Command::Ingest(args) => write::ingest(&args),
        Command::Prune(args) => write::prune(&args),
        Command::Export(args) => dump::export(&args),
        Command::Import(args) => dump::import(&args),
        Command::Check(args) => maintain::check(&args),
        Command::Compact(args) => maintain::compact(&args),
    }
}

/// Opens a store that must already exist: a mistyped path is an error, not a new empty store.
fn open_existing(file: &Path, options: citail::Options) -> Result<citail::Store, Failure> {
    if !file.is_file() {
        return Err(no_store(file));
    }
    open(file, options)
}

/// Opens an existing store for reading only: the file is not written to, so it may be a
/// read-only backup or another user's file. A file that needs a crash repair or a schema upgrade
/// first is read through a private repaired copy (said on stderr); the file stays as it is.
fn open_for_reading(
    file: &Path,
    options: citail::Options,
) -> Result<citail::ReadOnlyStore, Failure> {
    if !file.is_file() {
        return Err(no_store(file));
    }
    match citail::ReadOnlyStore::open(file, options.clone()) {
        Err(citail::Error::NeedsWrite { reason, .. }) => {
            eprintln!(
                "citail: {}: {reason}. Reading a private repaired copy instead; the file is \
                 left as it is.",
                file.display()
            );
            citail::ReadOnlyStore::open_copy(file, options).map_err(|e| Failure::store(file, e))
        }
        other => other.map_err(|e| Failure::store(file, e)),
    }
}

fn no_store(file: &Path) -> Failure {
    Failure::Message(format!(
        "no store at {}: check the path (only `ingest` and `import` create a store)",
        file.display()
    ))
}

/// Opens (or creates) a store.
fn open(file: &Path, options: citail::Options) -> Result<citail::Store, Failure> {
    citail::Store::open(file, options).map_err(|e| Failure::store(file, e))
}

/// Prints `value` as one line of JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Message(format!("encoding JSON: {e}")))?;
    outln!("{text}")?;
    Ok(())
}
