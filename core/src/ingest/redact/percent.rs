//! The percent-decoded view of a line, so a secret written as `sk%2Dant%2D…` or
//! `p%40ss` is matched as decoded and redacted as encoded.
//!
//! Only escapes of printable ASCII (`%20`–`%7E`) are decoded: the view is then valid UTF-8 and
//! has the same lines as the original. Each byte of the view maps back to the original offset
//! it came from, so a span found in the view is a span of the original that covers the whole
//! `%XX` escapes inside it.

/// A line with its printable-ASCII percent escapes decoded.
pub(crate) struct Decoded {
    /// The decoded text.
    pub text: String,
    /// For each byte of `text` and one past its end: the offset in the original line where it
    /// starts.
    origin: Vec<usize>,
}

impl Decoded {
    /// The view of `line`, or `None` when it holds no escape to decode.
    pub(crate) fn of(line: &str) -> Option<Decoded> {
        let bytes = line.as_bytes();
        // Most lines with a `%` hold a percentage, not an escape: look before allocating.
        if !line
            .match_indices('%')
            .any(|(at, _)| escape_at(bytes, at).is_some())
        {
            return None;
        }
        let mut text = Vec::with_capacity(bytes.len());
        let mut origin = Vec::with_capacity(bytes.len() + 1);
        let mut at = 0;
        let mut decoded_any = false;
        while let Some(&b) = bytes.get(at) {
            if b == b'%' {
                if let Some(c) = escape_at(bytes, at) {
                    text.push(c);
                    origin.push(at);
                    at += 3;
                    decoded_any = true;
                    continue;
                }
            }
            text.push(b);
            origin.push(at);
            at += 1;
        }
        origin.push(bytes.len());
        if !decoded_any {
            return None;
        }
        // ASCII replaced ASCII escapes; every other byte is copied: still UTF-8.
        let text = String::from_utf8(text).ok()?;
        Some(Decoded { text, origin })
    }

    /// The original span of the view's span `start..end`.
    pub(crate) fn original(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        Some((*self.origin.get(start)?, *self.origin.get(end)?))
    }
}

/// The printable ASCII byte `%XX` at `at` stands for.
fn escape_at(bytes: &[u8], at: usize) -> Option<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let high = hex(*bytes.get(at + 1)?)?;
    let low = hex(*bytes.get(at + 2)?)?;
    let c = u8::try_from(high * 16 + low).ok()?;
    (0x20..=0x7e).contains(&c).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_map_back_over_whole_escapes() {
        let line = "key=sk%2Dant%2Dx é %0A %zz";
        let view = Decoded::of(line).expect("has escapes");
        assert_eq!(view.text, "key=sk-ant-x é %0A %zz");
        let start = view.text.find("sk-").expect("found");
        let end = start + "sk-ant-x".len();
        let (s, e) = view.original(start, end).expect("in range");
        assert_eq!(&line[s..e], "sk%2Dant%2Dx");
        assert!(Decoded::of("no escapes %0A %zz 100%").is_none());
    }
}
