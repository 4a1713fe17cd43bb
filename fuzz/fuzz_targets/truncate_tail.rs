//! `truncate_tail` equals a naive reference: the longest suffix (starting on a character
//! boundary) within both caps. Input: 2 bytes of line cap, 2 of byte cap, then the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fn naive(text: &str, max_lines: usize, max_bytes: usize) -> &str {
    (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .map(|i| &text[i..])
        .find(|s| s.len() <= max_bytes && citail::count_lines(s) <= max_lines)
        .unwrap_or("")
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    // Caps scaled to the 1 KiB inputs, so either one can be the one that binds.
    let max_lines = usize::from(u16::from_le_bytes([data[0], data[1]]) % 64);
    let max_bytes = usize::from(u16::from_le_bytes([data[2], data[3]]) % 1200);
    // The naive reference is quadratic: keep inputs small enough for many runs a second.
    let text = String::from_utf8_lossy(&data[4..data.len().min(4 + 1024)]);
    let got = citail::truncate_tail(&text, max_lines, max_bytes);
    assert!(text.ends_with(got), "not a suffix");
    assert!(
        got.len() <= max_bytes && citail::count_lines(got) <= max_lines,
        "over a cap"
    );
    assert_eq!(
        got,
        naive(&text, max_lines, max_bytes),
        "not the longest suffix"
    );
});
