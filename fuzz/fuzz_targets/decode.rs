//! Decoding a stored value from arbitrary bytes is an error, never a panic or a huge allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = citail::fuzzing::decode_row(data) {
        assert!(matches!(e, citail::Error::Corrupt { .. }), "{e:?}");
    }
    if let Err(e) = citail::fuzzing::decode_highlights(data) {
        assert!(matches!(e, citail::Error::Corrupt { .. }), "{e:?}");
    }
});
