//! Decoding a stored value (row, highlights raw or compressed, compressed tail) from arbitrary bytes is an error,
//! never a panic or a huge allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = citail::fuzzing::decode_row(data) {
        assert!(matches!(e, citail::Error::Corrupt { .. }), "{e:?}");
    }
    if let Err(e) = citail::fuzzing::decode_highlights(data) {
        assert!(matches!(e, citail::Error::Corrupt { .. }), "{e:?}");
    }
    if let Err(e) = citail::fuzzing::decode_compressed_highlights(data) {
        assert!(matches!(e, citail::Error::Corrupt { .. }), "{e:?}");
    }
    // A damaged compressed tail, with the length its row claims taken from the first bytes.
    if let Some((head, compressed)) = data.split_first_chunk::<2>() {
        let claimed = usize::from(u16::from_le_bytes(*head)) * 16;
        match citail::fuzzing::decompress_tail(compressed, claimed) {
            Ok(len) => assert_eq!(len, claimed),
            Err(e) => assert!(matches!(e, citail::Error::Corrupt { .. }), "{e:?}"),
        }
    }
});
