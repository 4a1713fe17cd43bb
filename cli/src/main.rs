//! `citail`: the operator's tool for a citail store. A thin shell over the `citail` crate: each
//! subcommand (in `commands/`) opens the store, calls the library, and prints for people or, with
//! `--json`, for scripts.

mod args;
mod commands;
mod failure;
mod output;
mod remote;
mod view;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli.command) {
        Ok(code) => code,
        // The reader of stdout went away (`| head`): stop quietly, as Unix tools do.
        Err(failure::Failure::ReaderGone) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("citail: {failure}");
            failure.exit_code()
        }
    }
}
