//! Writing to stdout: a reader that goes away (`citail list … | head -1`) ends the command
//! quietly, as Unix tools do, instead of a panic from `println!`.

use crate::failure::Failure;
use std::io::Write;

/// Writes `text` to stdout. A closed pipe is [`Failure::ReaderGone`]; another write error is a
/// failure in words.
///
/// # Errors
/// As above.
pub fn write(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| written(&e))
}

/// The failure for a write error on stdout.
pub fn written(error: &std::io::Error) -> Failure {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::ReaderGone
    } else {
        Failure::Message(format!("writing to stdout: {error}"))
    }
}

/// `print!` that returns [`Failure::ReaderGone`] when the reader has gone.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(&format!($($arg)*))
    };
}

/// `println!` that returns [`Failure::ReaderGone`] when the reader has gone.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};
