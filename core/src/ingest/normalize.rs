//! Terminal normalisation: what a terminal would finally show, as plain text.
//!
//! Each line (split on `\n`) is replayed through a one-line terminal model driven by the `vte`
//! parser: printable characters overwrite the cell under the cursor, `\r` returns to column 0,
//! backspace and the CSI cursor moves `C`, `D`, `G` move within the line, `CSI K` erases, and every
//! other escape sequence (colours, cursor queries, modes, OSC titles and hyperlinks, DCS, APC, PM,
//! SOS strings, charset selects) is dropped. Lines that need none of this are copied as they are.

use vte::{Params, Parser, Perform};

/// Returns `text` as a terminal would show it, one line per `\n`, with invisible characters
/// removed.
///
/// Guarantees, for every input:
/// - the result has exactly as many `\n` as `text`, so line numbers are unchanged;
/// - it contains no ESC, no `\r`, no C0 control but `\n` and `\t`, no DEL, no C1 control, no BOM
///   (U+FEFF), no Unicode tag character (U+E0000–E007F) and no bidi control (U+061C, U+200E,
///   U+200F, U+202A–202E, U+2066–2069);
/// - it is never longer than `text` (cursor moves never create blank cells), and
///   `normalize(normalize(t)) == normalize(t)`;
/// - a line that has none of the characters above is kept byte for byte (after the optional
///   timestamp prefix is removed).
///
/// `\r` redraws keep what the line finally shows: `"10%\r100%"` becomes `"100%"`, `"abcd\rXY"`
/// becomes `"XYcd"`. Escape sequences cannot span lines: an unterminated OSC, DCS or APC string
/// ends at the end of its line, so it can never swallow the rest of the log. Cursor moves to
/// other lines (`CSI A`, `CSI B`, `CSI J`) are ignored: a redrawn block appears as the successive
/// lines that were printed, as a log viewer shows it.
///
/// With `strip_timestamps`, a runner timestamp at the start of a line
/// (`2026-02-14T07:36:53.8244619Z `: RFC 3339, UTC, fractional seconds, one space) is removed,
/// as are repeats of it.
///
/// ```
/// let raw = "\u{1b}[31mnpm\u{1b}[0m ERR! 404\r\n\
///            2026-02-14T07:36:53.8244619Z Downloading 10%\rDownloading 100%\n";
/// assert_eq!(citail::normalize(raw, true), "npm ERR! 404\nDownloading 100%\n");
/// assert_eq!(citail::normalize("plain 日本 ✓\ttab\n", true), "plain 日本 ✓\ttab\n");
/// ```
#[must_use]
pub fn normalize(text: &str, strip_timestamps: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut line_model = LineModel::default();
    for (index, raw) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        // A trailing `\r` (CRLF, CR CR LF) moves the cursor and shows nothing: drop it so the
        // line can take the fast path.
        let raw = raw.trim_end_matches('\r');
        let raw = if strip_timestamps {
            strip_timestamp_prefix(raw)
        } else {
            raw
        };
        let start = out.len();
        match classify(raw) {
            // Shown as it is, and its leading timestamps are already gone.
            Line::Plain => {
                out.push_str(raw);
                continue;
            }
            Line::Invisible => out.extend(raw.chars().filter(|&c| !is_invisible(c))),
            Line::Terminal => line_model.replay(raw, &mut out),
        }
        if strip_timestamps {
            let shown = out.get(start..).unwrap_or_default();
            let cut = shown.len() - strip_timestamp_prefix(shown).len();
            if cut > 0 {
                out.replace_range(start..start + cut, "");
            }
        }
    }
    out
}

/// What a line (no `\n` in it) needs before it is shown.
enum Line {
    /// Nothing: no control character, no invisible character.
    Plain,
    /// Invisible characters removed, and nothing else: it has no control character.
    Invisible,
    /// A replay through the terminal model: it has a control character (ESC, `\r`, backspace…).
    Terminal,
}

/// Sorts a line in one pass over its bytes; runs of printable ASCII are skipped 16 bytes at a
/// time, and only a non-ASCII character's first byte is decoded.
fn classify(line: &str) -> Line {
    let bytes = line.as_bytes();
    let mut kind = Line::Plain;
    let mut index = 0;
    loop {
        index += printable_ascii_run(bytes.get(index..).unwrap_or_default());
        let Some(&byte) = bytes.get(index) else {
            return kind;
        };
        if byte < b' ' || byte == 0x7f {
            return Line::Terminal;
        }
        if byte >= 0xc0 && matches!(kind, Line::Plain) {
            let c = line.get(index..).and_then(|rest| rest.chars().next());
            if c.is_some_and(is_invisible) {
                kind = Line::Invisible;
            }
        }
        index += 1;
    }
}

/// Length of the run of printable ASCII and tabs that `bytes` starts with.
fn printable_ascii_run(bytes: &[u8]) -> usize {
    let printable = |b: u8| (b' '..=b'~').contains(&b) || b == b'\t';
    let mut run = 0;
    for chunk in bytes.chunks_exact(16) {
        // No early exit inside a chunk, so the compiler checks it in vector registers.
        if !chunk.iter().fold(true, |all, &b| all & printable(b)) {
            break;
        }
        run += 16;
    }
    let rest = bytes.get(run..).unwrap_or_default();
    run + rest
        .iter()
        .position(|&b| !printable(b))
        .unwrap_or(rest.len())
}

/// Characters a reader cannot see that [`normalize`] removes wherever they appear: controls
/// (handled by the terminal model when they are `\r`, `\t` or backspace), BOMs, tag characters and
/// bidi controls.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{feff}'
        | '\u{e0000}'..='\u{e007f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `line` without any leading runner timestamps (`YYYY-MM-DDTHH:MM:SS.fZ ` with 1–9 fraction
/// digits).
fn strip_timestamp_prefix(mut line: &str) -> &str {
    while let Some(rest) = timestamp_len(line.as_bytes()).and_then(|n| line.get(n..)) {
        line = rest;
    }
    line
}

/// Length of a runner timestamp and its one trailing space at the start of `b`, if there is one.
fn timestamp_len(b: &[u8]) -> Option<usize> {
    const SHAPE: &[u8; 20] = b"dddd-dd-ddTdd:dd:dd.";
    let head = b.get(..SHAPE.len())?;
    let shape_ok = head.iter().zip(SHAPE).all(|(&c, &want)| {
        if want == b'd' {
            c.is_ascii_digit()
        } else {
            c == want
        }
    });
    if !shape_ok {
        return None;
    }
    let rest = b.get(SHAPE.len()..)?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=9).contains(&digits) {
        return None;
    }
    (rest.get(digits..digits + 2)? == b"Z ").then_some(SHAPE.len() + digits + 2)
}

/// The one-line terminal: cells (an erased cell is `None`) and a cursor.
#[derive(Default)]
struct LineModel {
    cells: Vec<Option<char>>,
    cursor: usize,
    /// SGR 8 is in force: a terminal prints nothing (Jenkins hides its ConsoleNote blobs so).
    concealed: bool,
}

impl LineModel {
    /// Replays one line (no `\n` in it) and appends what it shows to `out`.
    fn replay(&mut self, line: &str, out: &mut String) {
        self.cells.clear();
        self.cursor = 0;
        self.concealed = false;
        let line = drop_string_sequences(line);
        // A fresh parser per line: no sequence state crosses a line break.
        Parser::new().advance(self, line.as_bytes());
        let shown = self
            .cells
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |last| last + 1);
        for cell in self.cells.iter().take(shown) {
            out.push(cell.unwrap_or(' '));
        }
    }

    fn put(&mut self, c: char) {
        match self.cells.get_mut(self.cursor) {
            Some(cell) => *cell = Some(c),
            None => self.cells.push(Some(c)),
        }
        self.cursor += 1;
    }

    /// Moves the cursor to `column`, never past the end of what was printed.
    fn move_to(&mut self, column: usize) {
        self.cursor = column.min(self.cells.len());
    }

    fn erase(&mut self, mode: u16) {
        let end = self.cells.len();
        let range = match mode {
            0 => self.cursor..end,
            1 => 0..(self.cursor + 1).min(end),
            _ => 0..end,
        };
        for cell in self.cells.get_mut(range).unwrap_or_default() {
            *cell = None;
        }
    }
}

impl Perform for LineModel {
    fn print(&mut self, c: char) {
        if !self.concealed && !is_invisible(c) {
            self.put(c);
        }
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\r' => self.cursor = 0,
            b'\t' => self.put('\t'),
            0x08 => self.cursor = self.cursor.saturating_sub(1),
            _ => {}
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        if ignore || !intermediates.is_empty() {
            return;
        }
        let first = params
            .iter()
            .next()
            .and_then(|p| p.first().copied())
            .unwrap_or(0);
        let count = usize::from(first.max(1));
        match action {
            'C' | 'a' => self.move_to(self.cursor.saturating_add(count)),
            'D' => self.move_to(self.cursor.saturating_sub(count)),
            'G' | '`' => self.move_to(count - 1),
            'K' => self.erase(first),
            'm' => {
                for param in params.iter().filter_map(|p| p.first()) {
                    match param {
                        8 => self.concealed = true,
                        0 | 28 => self.concealed = false,
                        _ => {}
                    }
                }
                if params.is_empty() {
                    self.concealed = false;
                }
            }
            _ => {}
        }
    }
}

/// `line` without its SOS, PM and APC strings (`ESC X`, `ESC ^`, `ESC _` up to ST, BEL, CAN, SUB,
/// the next ESC or the end of the line). Terminals disagree on BEL here; Buildkite ends its
/// `ESC _bk;t=…` timestamps with BEL, so citail accepts it.
fn drop_string_sequences(line: &str) -> std::borrow::Cow<'_, str> {
    let bytes = line.as_bytes();
    let starts = |i: usize| {
        bytes.get(i) == Some(&0x1b) && matches!(bytes.get(i + 1), Some(b'X' | b'^' | b'_'))
    };
    if !(0..bytes.len()).any(starts) {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut kept = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !starts(i) {
            kept.push(b);
            i += 1;
            continue;
        }
        i += 2;
        while let Some(&c) = bytes.get(i) {
            match c {
                0x07 | 0x18 | 0x1a => {
                    i += 1;
                    break;
                }
                0x1b if bytes.get(i + 1) == Some(&b'\\') => {
                    i += 2;
                    break;
                }
                0x1b => break,
                _ => i += 1,
            }
        }
    }
    // Only whole ASCII sequences were removed, so the rest is still UTF-8.
    std::borrow::Cow::Owned(String::from_utf8_lossy(&kept).into_owned())
}

#[cfg(test)]
mod tests;
