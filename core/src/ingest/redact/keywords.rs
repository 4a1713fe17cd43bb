//! The keyword gate: which rules' keywords occur in a text, ASCII case-insensitively.
//!
//! The search runs over an ASCII-lower-cased copy of the text with lower-case keywords, which
//! lets the automaton use its SIMD prefilter (an ASCII-case-insensitive automaton has none, and
//! walked every byte: half of redaction's time on the benchmark payloads). It is a leftmost
//! search restarted one byte after each find's start, and at each find every keyword is tried,
//! so every occurrence of every keyword is seen, overlapping ones included.

use crate::error::{Error, Result};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};

/// The compiled keywords of a rule table.
#[derive(Debug, Clone)]
pub(crate) struct KeywordGate {
    /// Leftmost-first automaton over `keywords`.
    finder: AhoCorasick,
    /// Each distinct lower-case ASCII keyword once, with the indices of the rules it gates.
    /// Distinct keywords keep the automaton small: past 64 patterns it loses its SIMD
    /// prefilter, and every rule sharing `token` or `://` would otherwise add a copy.
    keywords: Vec<(Vec<u8>, Vec<usize>)>,
    /// For each first byte, the indices in `keywords` of the keywords that start with it: at a
    /// find, only those can start there.
    by_first_byte: Vec<Vec<usize>>,
}

/// Where each rule's keywords occur in a text, from [`KeywordGate::find`]: per rule, the
/// offsets by increasing value, at most `cap + 1` of them (more than `cap` means dense: the
/// caller scans the whole text for that rule, so the rest need not be kept).
#[derive(Debug, Default)]
pub(crate) struct Hits {
    by_rule: Vec<Vec<usize>>,
    /// Rules numbered past the table (the `::add-mask::` pass), with their offsets.
    others: Vec<(usize, Vec<usize>)>,
    cap: usize,
}

impl Hits {
    /// The offsets where `rule`'s keywords start, increasing; see [`Hits::dense`].
    pub(crate) fn of(&self, rule: usize) -> &[usize] {
        if let Some(at) = self.by_rule.get(rule) {
            return at;
        }
        self.others
            .iter()
            .find(|(r, _)| *r == rule)
            .map_or(&[], |(_, at)| at.as_slice())
    }

    /// Whether `rule`'s keywords occur more than `cap` times (only the first `cap + 1` are kept).
    pub(crate) fn dense(&self, rule: usize) -> bool {
        self.of(rule).len() > self.cap
    }

    fn push(&mut self, rule: usize, at: usize) {
        let cap = self.cap;
        if rule >= self.by_rule.len() && !self.others.iter().any(|(r, _)| *r == rule) {
            self.others.push((rule, Vec::new()));
        }
        let offsets = if let Some(offsets) = self.by_rule.get_mut(rule) {
            Some(offsets)
        } else {
            self.others
                .iter_mut()
                .find(|(r, _)| *r == rule)
                .map(|(_, offsets)| offsets)
        };
        if let Some(offsets) = offsets.filter(|o| o.len() <= cap) {
            offsets.push(at);
        }
    }
}

impl KeywordGate {
    /// Compiles `(keyword, rule)` pairs.
    ///
    /// # Errors
    /// [`Error::Corrupt`] for a keyword that is empty or not lower-case ASCII (the built-in
    /// table is tested to have none), or an automaton that does not build.
    pub(crate) fn new(keywords: &[(&str, usize)]) -> Result<KeywordGate> {
        if let Some((bad, _)) = keywords.iter().find(|(k, _)| {
            k.is_empty() || !k.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase())
        }) {
            return Err(Error::corrupt(format!(
                "redaction keyword {bad:?} is not lower-case ASCII"
            )));
        }
        let mut distinct: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
        for (keyword, rule) in keywords {
            match distinct.iter_mut().find(|(k, _)| k == keyword.as_bytes()) {
                Some((_, rules)) => rules.push(*rule),
                None => distinct.push((keyword.as_bytes().to_vec(), vec![*rule])),
            }
        }
        let finder = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(distinct.iter().map(|(k, _)| k))
            .map_err(|e| Error::corrupt(format!("keyword automaton: {e}")))?;
        let mut by_first_byte = vec![Vec::new(); 256];
        for (index, (keyword, _)) in distinct.iter().enumerate() {
            if let Some(slot) = keyword
                .first()
                .and_then(|&b| by_first_byte.get_mut(usize::from(b)))
            {
                slot.push(index);
            }
        }
        Ok(KeywordGate {
            finder,
            keywords: distinct,
            by_first_byte,
        })
    }

    /// Every occurrence of a keyword in `text`, in any ASCII case, as the offset (the byte where
    /// the keyword starts) of each rule it gates, by rule: rules `0..rules` and any other rule
    /// number the gate was built with; each rule keeps at most `cap + 1` offsets.
    pub(crate) fn find(&self, text: &str, rules: usize, cap: usize) -> Hits {
        let mut hits = Hits {
            by_rule: vec![Vec::new(); rules],
            others: Vec::new(),
            cap,
        };
        if self.keywords.is_empty() {
            return hits;
        }
        let lower = text.to_ascii_lowercase();
        let haystack = lower.as_bytes();
        let mut at = 0;
        while at < haystack.len() {
            let Some(found) = self
                .finder
                .find(Input::new(haystack).span(at..haystack.len()))
            else {
                break;
            };
            let rest = haystack.get(found.start()..).unwrap_or_default();
            let candidates = rest
                .first()
                .and_then(|&b| self.by_first_byte.get(usize::from(b)))
                .map_or(&[][..], Vec::as_slice);
            for &index in candidates {
                let Some((keyword, rules)) = self.keywords.get(index) else {
                    continue;
                };
                if rest.starts_with(keyword) {
                    for &rule in rules {
                        hits.push(rule, found.start());
                    }
                }
            }
            at = found.start() + 1;
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(keywords: &[(&str, usize)], text: &str) -> Vec<bool> {
        let gate = KeywordGate::new(keywords).expect("gate");
        let hits = gate.find(text, 4, usize::MAX);
        (0..4)
            .map(|rule| {
                assert!(hits.of(rule).is_sorted(), "{hits:?}");
                !hits.of(rule).is_empty()
            })
            .collect()
    }

    #[test]
    fn hits_carry_the_offset_in_the_original_text() {
        let gate = KeywordGate::new(&[("key", 0), ("ab", 1), ("ke", usize::MAX)]).expect("gate");
        let hits = gate.find("é KEY abkey", 2, usize::MAX);
        assert_eq!(
            (hits.of(0), hits.of(1), hits.of(usize::MAX)),
            (&[3, 9][..], &[7][..], &[3, 9][..])
        );
        // Past the cap, a rule keeps cap + 1 offsets and is dense.
        let hits = gate.find("key key key key", 2, 2);
        assert_eq!(hits.of(0), [0, 4, 8]);
        assert!(hits.dense(0) && !hits.dense(1));
    }

    #[test]
    fn overlapping_and_nested_keywords_are_all_seen() {
        // "passw" inside "_password", "sk-" at the start of "sk-ant-", "key" inside "apikey".
        let keywords = [("_password", 0), ("passw", 1), ("sk-", 2), ("sk-ant-", 3)];
        assert_eq!(marked(&keywords, "x_PASSWORD="), [true, true, false, false]);
        assert_eq!(marked(&keywords, "SK-ANT-1"), [false, false, true, true]);
        assert_eq!(marked(&keywords, "ssk-"), [false, false, true, false]);
        assert_eq!(marked(&keywords, "nothing here"), [false; 4]);
    }

    #[test]
    fn non_ascii_text_keeps_its_offsets() {
        assert_eq!(
            marked(&[("token", 0)], "é日🦀TOKEN"),
            [true, false, false, false]
        );
    }

    #[test]
    fn upper_case_keywords_are_refused() {
        assert!(KeywordGate::new(&[("Key", 0)]).is_err());
        assert!(KeywordGate::new(&[("", 0)]).is_err());
    }

    #[test]
    fn every_builtin_keyword_is_lower_case_ascii() {
        let pairs: Vec<(&str, usize)> = super::super::rules::BUILTIN
            .iter()
            .enumerate()
            .flat_map(|(i, rule)| rule.keywords.iter().map(move |k| (*k, i)))
            .collect();
        assert!(KeywordGate::new(&pairs).is_ok());
    }
}
