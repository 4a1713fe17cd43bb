//! Masking by value: the secrets a log declares with `::add-mask::VALUE`, found wherever they
//! occur in the text, in the forms a program prints them.
//!
//! A workflow registers a value with `::add-mask::` so the runner hides it in the runner's own
//! log; the copy the step script tees to a file keeps it in clear, and no pattern knows the
//! shape of a random password. So the redactor reads every `::add-mask::` line of the text and
//! replaces each value, and its encodings, everywhere: the command line itself included.
//!
//! Invariants:
//! - a value shorter than [`MIN_VALUE_CHARS`] characters (after trimming) is not masked: masking
//!   `ab` everywhere would make the log unreadable, and runners skip such values too;
//! - a value that is already a placeholder (`[REDACTED:…]`, `***`, `$VAR`) is not masked;
//! - the forms are the value itself, its base64 at each of the three byte alignments it can
//!   take inside a longer base64 string (only the characters that depend on the value alone),
//!   its percent-encoding (strict, and as `encodeURIComponent` writes it) and its JSON-escaped
//!   form (for the [`MAX_ENCODED_VALUES`] longest values; a log that declares more has the
//!   rest masked as they are); each of a multi-line value's lines is a value of its own. The
//!   step script (`examples/forgejo/post-ci-log.sh`) masks the same forms before it posts.

/// Values shorter than this many characters are not masked.
pub(crate) const MIN_VALUE_CHARS: usize = 4;

/// How many declared values (the longest) are masked in every form; the others as they are.
pub(crate) const MAX_ENCODED_VALUES: usize = 256;

/// The command that declares a value secret, as the runner reads it from a step's output.
const ADD_MASK: &str = "::add-mask::";

/// The values declared with `::add-mask::` in `text`, each at most once, longest first.
pub(crate) fn declared(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut values: Vec<String> = Vec::new();
    for (at, _) in text.match_indices(ADD_MASK) {
        let rest = text.get(at + ADD_MASK.len()..).unwrap_or_default();
        let line = rest.split('\n').next().unwrap_or_default();
        let value = line.trim();
        if usable(value) && seen.insert(value) {
            values.push(value.to_owned());
        }
    }
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values
}

/// Every form of `value` to look for, longest first, none shorter than [`MIN_VALUE_CHARS`].
pub(crate) fn forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    for line in value.lines().map(str::trim) {
        forms.push(line.to_owned());
    }
    for shift in 0..3 {
        forms.push(base64_inner(value.as_bytes(), shift));
    }
    forms.push(percent_encoded(value));
    forms.push(uri_component_encoded(value));
    forms.push(json_escaped(value));
    forms.retain(|f| usable(f));
    // Longest first; equal forms end up side by side, so `dedup` removes every copy.
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    forms
}

fn usable(value: &str) -> bool {
    value.chars().count() >= MIN_VALUE_CHARS
        && !value.starts_with("[REDACTED")
        && !value.starts_with('$')
        && !value.bytes().all(|b| b == b'*')
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The base64 characters that depend on `bytes` alone when `bytes` starts `shift` bytes (0–2)
/// into a longer encoded string: the characters that also cover a neighbour's bits are left
/// out, and so is the padding.
pub(crate) fn base64_inner(bytes: &[u8], shift: usize) -> String {
    let mut padded = vec![0u8; shift];
    padded.extend_from_slice(bytes);
    let mut out = String::with_capacity(padded.len() * 4 / 3 + 4);
    for chunk in padded.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            let index = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(
                BASE64.get(index as usize).copied().unwrap_or(b'A'),
            ));
        }
    }
    // Characters 6k..6k+5 of the bit stream: keep those wholly inside the value's bits.
    let first = (8 * shift).div_ceil(6);
    let last = (8 * padded.len()) / 6;
    out.get(first..last).unwrap_or_default().to_owned()
}

/// `value` with every byte outside `A-Z a-z 0-9 - _ . ~` as `%XX` (upper-case hex), as
/// Python's `quote(v, safe="")` writes it.
pub(crate) fn percent_encoded(value: &str) -> String {
    percent_encoded_keeping(value, b"-_.~")
}

/// `value` as JavaScript's `encodeURIComponent` (and jq 1.6's `@uri`) write it: as
/// [`percent_encoded`], but `! * ' ( )` stay as they are.
pub(crate) fn uri_component_encoded(value: &str) -> String {
    percent_encoded_keeping(value, b"-_.~!*'()")
}

/// `value` with every byte but ASCII letters, digits and `keep` as `%XX` (upper-case hex).
fn percent_encoded_keeping(value: &str, keep: &[u8]) -> String {
    let hex = |n: u8| char::from_digit(u32::from(n), 16).map_or('0', |c| c.to_ascii_uppercase());
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex(b >> 4));
            out.push(hex(b & 15));
        }
    }
    out
}

/// `value` as it stands between the quotes of a JSON string (serde_json's escaping).
pub(crate) fn json_escaped(value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_inner_is_a_substring_of_any_embedding() {
        let value = b"s3cr3t-Value!";
        for prefix in 0..6usize {
            for suffix in 0..4usize {
                let mut whole = vec![b'x'; prefix];
                whole.extend_from_slice(value);
                whole.extend(std::iter::repeat_n(b'y', suffix));
                // Every character of the standard encoding but the last partial one and the
                // padding.
                let full = base64_inner(&whole, 0);
                let inner = base64_inner(value, prefix % 3);
                assert!(
                    full.contains(&inner),
                    "{inner} not in {full} (prefix {prefix})"
                );
            }
        }
        assert_eq!(base64_inner(b"hello", 0), "aGVsbG"); // "aGVsbG8=" less the partial "8="
        assert_eq!(base64_inner(b"abc", 0), "YWJj");
    }

    #[test]
    fn declared_values_are_read_from_every_add_mask_line() {
        let text = "::add-mask::hunter2pw\r\nx ::add-mask::  spaced value  \n::add-mask::ab\n::add-mask::hunter2pw\n::add-mask::[REDACTED:add-mask]\n";
        assert_eq!(declared(text), ["spaced value", "hunter2pw"]);
    }

    #[test]
    fn forms_cover_the_encodings() {
        let forms = forms("p@ss \"w\"");
        assert!(forms.contains(&"p@ss \"w\"".to_owned()));
        assert!(forms.contains(&"p%40ss%20%22w%22".to_owned()));
        assert!(forms.contains(&"p@ss \\\"w\\\"".to_owned()));
        assert!(forms.contains(&base64_inner(b"p@ss \"w\"", 0)));
        assert!(forms.iter().all(|f| f.chars().count() >= MIN_VALUE_CHARS));
    }
}
