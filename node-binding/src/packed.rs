//! The wire form of a lookup's rows: two typed arrays that `index.js` turns into `CiLog`
//! objects.
//!
//! Building the objects here costs one N-API call per property and one UTF-8 conversion per
//! string; Bun's `napi_create_string_utf8` alone took a quarter of a 10-row lookup. JavaScript
//! builds the same objects from two typed arrays in a few microseconds, and decodes the text with
//! `TextDecoder` (simdutf in Bun and Node). `unpackRows` in `index.js` reads this format; the
//! two change together.
//!
//! `text` holds UTF-8: first the *labels* segment, then the *tails* segment.
//! - labels: per row `repo`, `head_sha`, `run_id`, `job_id`, `step_name`, `conclusion`, its
//!   optional `fingerprint`, `ref` and `command` (nothing when absent), then the text of each
//!   of its highlights. JS decodes the segment once and slices it, so each
//!   label's length is given in UTF-16 code units.
//! - tails: the `log_tail` of each row. JS decodes each tail on its own (a tail never shares
//!   storage with another string), so each tail's length is given in bytes.
//!
//! `numbers` holds, in order: the row count; the labels segment's length in bytes; then per row
//! `id`, `created_at`, `truncated` (1 or 0), `original_bytes`, `original_lines`, the UTF-16
//! lengths of its six labels, of its three optional labels (-1 for an absent one), its
//! `run_attempt` (-1 when absent), its tail's length in bytes, its highlight count, and per
//! highlight `line`, `repeats` and the UTF-16 length of its text. Every number is an integer
//! below 2^53.

use crate::convert::num;
use napi::bindgen_prelude::{ToNapiValue, TypeName};
use napi::{sys, ValueType};
use std::ptr;

/// A lookup's rows in the wire form described in the module documentation.
#[derive(Debug)]
pub struct PackedRows {
    labels: Vec<u8>,
    tails: Vec<u8>,
    numbers: Vec<f64>,
}

impl PackedRows {
    /// Packs `rows` in order.
    pub fn pack(rows: &[citail::CiLog]) -> PackedRows {
        let tail_bytes = rows.iter().map(|row| row.log_tail.len()).sum();
        let mut packed = PackedRows {
            labels: Vec::with_capacity(rows.len() * 128),
            tails: Vec::with_capacity(tail_bytes),
            numbers: Vec::with_capacity(2 + rows.len() * 16),
        };
        packed.numbers.push(num(rows.len()));
        packed.numbers.push(0.0); // the labels' byte length, set below
        for row in rows {
            packed.push_row(row);
        }
        packed.numbers[1] = num(packed.labels.len());
        packed
    }

    fn push_row(&mut self, row: &citail::CiLog) {
        self.numbers.extend([
            num(row.id),
            num(row.created_at),
            if row.truncated { 1.0 } else { 0.0 },
            num(row.original_bytes),
            num(row.original_lines),
        ]);
        for label in [
            &row.repo,
            &row.head_sha,
            &row.run_id,
            &row.job_id,
            &row.step_name,
            &row.conclusion,
        ] {
            self.push_label(label);
        }
        for label in [&row.fingerprint, &row.git_ref, &row.command] {
            match label {
                Some(label) => self.push_label(label),
                None => self.numbers.push(-1.0),
            }
        }
        self.numbers.push(row.run_attempt.map_or(-1.0, f64::from));
        self.tails.extend_from_slice(row.log_tail.as_bytes());
        self.numbers.push(num(row.log_tail.len()));
        self.numbers.push(num(row.highlights.len()));
        for highlight in &row.highlights {
            self.numbers.push(num(highlight.line));
            self.numbers.push(num(highlight.repeats));
            self.push_label(&highlight.text);
        }
    }

    fn push_label(&mut self, label: &str) {
        self.labels.extend_from_slice(label.as_bytes());
        self.numbers.push(num(utf16_len(label)));
    }
}

/// The length of `text` in UTF-16 code units, as JS counts it: one per scalar value, two for
/// those above U+FFFF (their UTF-8 form is the only one that starts with a byte `>= 0xF0`).
fn utf16_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let scalars = bytes.iter().filter(|&&b| (b as i8) >= -0x40).count();
    let astral = bytes.iter().filter(|&&b| b >= 0xF0).count();
    scalars + astral
}

impl TypeName for PackedRows {
    fn type_name() -> &'static str {
        "PackedRows"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for PackedRows {
    /// `[text, numbers]`: a `Uint8Array` of the labels then the tails, and a `Float64Array`,
    /// both copied into memory the JS engine owns (an external buffer per lookup, freed by a
    /// finalizer, made Bun's lookups twice as slow).
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: forwarded from the caller, who holds a live `env` on the JS thread.
        unsafe {
            let text = typed_array(
                env,
                sys::TypedarrayType::uint8_array,
                &[val.labels.as_slice(), val.tails.as_slice()],
            )?;
            let numbers = typed_array(
                env,
                sys::TypedarrayType::float64_array,
                &[f64_bytes(&val.numbers)],
            )?;
            let mut pair = ptr::null_mut();
            check(sys::napi_create_array_with_length(env, 2, &mut pair))?;
            check(sys::napi_set_element(env, pair, 0, text))?;
            check(sys::napi_set_element(env, pair, 1, numbers))?;
            Ok(pair)
        }
    }
}

/// The bytes of `numbers` in native byte order, as a `Float64Array` over them reads them.
fn f64_bytes(numbers: &[f64]) -> &[u8] {
    // SAFETY: an f64 has no padding and every byte pattern is a valid u8; the length is the
    // slice's size in bytes and the lifetime is the input's.
    unsafe { std::slice::from_raw_parts(numbers.as_ptr().cast(), std::mem::size_of_val(numbers)) }
}

/// A typed array of `kind` over a new JS-owned `ArrayBuffer` holding `parts`, concatenated.
///
/// # Safety
/// `env` is live and this runs on its JS thread.
unsafe fn typed_array(
    env: sys::napi_env,
    kind: sys::napi_typedarray_type,
    parts: &[&[u8]],
) -> napi::Result<sys::napi_value> {
    let bytes: usize = parts.iter().map(|part| part.len()).sum();
    let element = if kind == sys::TypedarrayType::float64_array {
        8
    } else {
        1
    };
    let mut data = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    // SAFETY: the caller's guarantee; napi writes `data` and `buffer` and the new buffer has
    // `bytes` writable bytes at `data`, which the copies below fill without overlap.
    unsafe {
        check(sys::napi_create_arraybuffer(
            env,
            bytes,
            &mut data,
            &mut buffer,
        ))?;
        let mut at = data.cast::<u8>();
        for part in parts {
            if !part.is_empty() {
                ptr::copy_nonoverlapping(part.as_ptr(), at, part.len());
                at = at.add(part.len());
            }
        }
        let mut array = ptr::null_mut();
        check(sys::napi_create_typedarray(
            env,
            kind,
            bytes / element,
            buffer,
            0,
            &mut array,
        ))?;
        Ok(array)
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_reason(format!(
            "creating a lookup's typed arrays failed (napi status {status})"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_len_counts_code_units_as_js_does() {
        for text in [
            "",
            "plain ascii",
            "é",
            "✓ passed",
            "😀",
            "a😀b𝄞c\u{feff}",
            "\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}",
        ] {
            assert_eq!(utf16_len(text), text.encode_utf16().count(), "{text:?}");
        }
    }

    #[test]
    fn pack_lays_out_rows_as_documented() {
        let row = citail::CiLog {
            id: 7,
            repo: "o/r".into(),
            head_sha: "ab".into(),
            run_id: "1".into(),
            job_id: "2".into(),
            step_name: "tëst 😀".into(),
            conclusion: "failure".into(),
            log_tail: "x😀\n".into(),
            created_at: 1_700_000_000_000,
            truncated: true,
            original_bytes: 90,
            original_lines: 3,
            highlights: vec![citail::Highlight {
                line: 2,
                text: "error: 😀".into(),
                repeats: 4,
            }],
            git_ref: Some("main".into()),
            run_attempt: Some(2),
            ..Default::default()
        };
        let packed = PackedRows::pack(&[row]);
        assert_eq!(
            packed.numbers,
            [
                1.0,
                39.0, // "o/r" "ab" "1" "2" "tëst 😀" (10 bytes) "failure" "main" "error: 😀" (11 bytes)
                7.0,
                1_700_000_000_000.0,
                1.0,
                90.0,
                3.0,
                3.0,
                2.0,
                1.0,
                1.0,
                7.0, // "tëst 😀": 5 scalars + a surrogate pair
                7.0,
                -1.0, // no fingerprint
                4.0,  // "main"
                -1.0, // no command
                2.0,  // run_attempt
                6.0,  // the tail's bytes
                1.0,
                2.0,
                4.0,
                9.0,
            ]
        );
        assert_eq!(
            packed.labels,
            "o/rab12tëst 😀failuremainerror: 😀".as_bytes()
        );
        assert_eq!(packed.tails, "x😀\n".as_bytes());
    }
}
