//! Keeping the end of a log: the last `max_lines` lines and at most `max_bytes` bytes.

/// Counts lines the way citail does everywhere: lines are separated by `\n` (so `\r\n` is one
/// break, its `\r` belongs to the line before), and a trailing `\n` ends the last line rather
/// than starting a new, empty one. The empty string has zero lines.
///
/// ```
/// assert_eq!(citail::count_lines(""), 0);
/// assert_eq!(citail::count_lines("a"), 1);
/// assert_eq!(citail::count_lines("a\n"), 1);
/// assert_eq!(citail::count_lines("a\r\nb"), 2);
/// assert_eq!(citail::count_lines("\n"), 1);
/// ```
#[must_use]
pub fn count_lines(text: &str) -> usize {
    let breaks = text.bytes().filter(|&b| b == b'\n').count();
    if text.is_empty() || text.ends_with('\n') {
        breaks
    } else {
        breaks + 1
    }
}

/// The line holding byte `at` of `text`: `(start, end)`, `start` just after the `\n` before it
/// (or 0) and `end` at the `\n` that ends it (or `text.len()`).
pub(crate) fn line_around(text: &str, at: usize) -> (usize, usize) {
    let start = text
        .get(..at)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(at..)
        .and_then(|after| after.find('\n'))
        .map_or(text.len(), |i| at + i);
    (start, end)
}

/// Returns the longest suffix of `text` that has at most `max_lines` lines (as counted by
/// [`count_lines`]) and at most `max_bytes` bytes.
///
/// Invariants, for every input:
/// - the result is a suffix of `text`, borrowed from it (no copy), and so valid UTF-8: it starts
///   on a char boundary;
/// - `result.len() <= max_bytes` and `count_lines(result) <= max_lines`;
/// - no longer suffix satisfies both bounds. When the line bound decides, the result starts at
///   the beginning of a line; when the byte bound decides, it may start mid-line (but never
///   mid-character);
/// - if `text` already fits, the result is `text` itself.
///
/// ```
/// let log = "compiling\nerror: boom\nfailed\n";
/// assert_eq!(citail::truncate_tail(log, 2, 1024), "error: boom\nfailed\n");
/// assert_eq!(citail::truncate_tail(log, 200, 7), "failed\n");
/// // Never splits a character: "é" is two bytes, so one byte cannot hold it.
/// assert_eq!(citail::truncate_tail("é", 1, 1), "");
/// ```
#[must_use]
pub fn truncate_tail(text: &str, max_lines: usize, max_bytes: usize) -> &str {
    let start = line_start(text, max_lines).max(byte_start(text, max_bytes));
    text.get(start..).unwrap_or_default()
}

/// Start of the longest suffix with at most `max_lines` lines.
fn line_start(text: &str, max_lines: usize) -> usize {
    if max_lines == 0 {
        return text.len();
    }
    // A trailing newline closes the last line; it is not a separator to count.
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut seen = 0;
    for (index, byte) in body.bytes().enumerate().rev() {
        if byte == b'\n' {
            seen += 1;
            if seen == max_lines {
                return index + 1;
            }
        }
    }
    0
}

/// Start of the longest suffix with at most `max_bytes` bytes that begins on a char boundary.
fn byte_start(text: &str, max_bytes: usize) -> usize {
    let mut start = text.len().saturating_sub(max_bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Obviously correct and slow: try every suffix from the longest down.
    fn naive(text: &str, max_lines: usize, max_bytes: usize) -> &str {
        for start in 0..=text.len() {
            if let Some(suffix) = text.get(start..) {
                let lines = suffix.split_inclusive('\n').count();
                if suffix.len() <= max_bytes && lines <= max_lines {
                    return suffix;
                }
            }
        }
        unreachable!("the empty suffix always fits")
    }

    fn log_text() -> impl Strategy<Value = String> {
        // Newline- and multibyte-heavy text, so both bounds and char boundaries are exercised.
        proptest::collection::vec(
            prop_oneof![
                Just("\n".to_owned()),
                Just("\r\n".to_owned()),
                Just("é".to_owned()),
                Just("🚨".to_owned()),
                "[a-z ]{0,6}",
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(2048)))]

        #[test]
        fn matches_naive_reference(text in log_text(), lines in 0usize..12, bytes in 0usize..80) {
            prop_assert_eq!(truncate_tail(&text, lines, bytes), naive(&text, lines, bytes));
        }

        #[test]
        fn result_is_a_bounded_suffix(text in log_text(), lines in 0usize..12, bytes in 0usize..80) {
            let out = truncate_tail(&text, lines, bytes);
            prop_assert!(text.ends_with(out));
            prop_assert!(out.len() <= bytes);
            prop_assert!(count_lines(out) <= lines);
        }

        #[test]
        fn count_lines_matches_split_inclusive(text in log_text()) {
            prop_assert_eq!(count_lines(&text), text.split_inclusive('\n').count());
        }
    }

    #[test]
    fn fitting_text_is_returned_whole() {
        let text = "a\nb\nc";
        assert!(std::ptr::eq(truncate_tail(text, 3, 5), text));
    }

    #[test]
    fn crlf_is_one_break() {
        assert_eq!(truncate_tail("a\r\nb\r\nc\r\n", 2, 100), "b\r\nc\r\n");
    }

    #[test]
    fn trailing_newline_does_not_count_as_a_line() {
        assert_eq!(truncate_tail("a\nb\n", 1, 100), "b\n");
        assert_eq!(truncate_tail("a\n\n", 1, 100), "\n");
    }

    #[test]
    fn zero_limits_give_empty() {
        assert_eq!(truncate_tail("abc", 0, 100), "");
        assert_eq!(truncate_tail("abc", 5, 0), "");
    }
}
