//! The keyword gate: which rules' keywords occur in a text, ASCII case-insensitively.
//!
//! The search runs over an ASCII-lower-cased copy of the text with lower-case keywords, which
//! lets the automaton use its SIMD prefilter (an ASCII-case-insensitive automaton has none, and
//! walked every byte: half of redaction's time on the benchmark payloads). It is a leftmost
//! search restarted one byte after each find's start, and at each find every keyword is tried,
//! so every occurrence of every keyword is seen, overlapping ones included.

use crate::{Error, Result};
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
        Ok(KeywordGate {
            finder,
            keywords: distinct,
        })
    }

    /// Pushes `(rule, offset)` onto `hits` for every occurrence of a keyword in `text`, in any
    /// ASCII case, by increasing offset (the byte where the keyword starts).
    pub(crate) fn find(&self, text: &str, hits: &mut Vec<(usize, usize)>) {
        if self.keywords.is_empty() {
            return;
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
            for (keyword, rules) in &self.keywords {
                if rest.starts_with(keyword) {
                    hits.extend(rules.iter().map(|&rule| (rule, found.start())));
                }
            }
            at = found.start() + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(keywords: &[(&str, usize)], text: &str) -> Vec<bool> {
        let gate = KeywordGate::new(keywords).expect("gate");
        let mut hits = Vec::new();
        gate.find(text, &mut hits);
        assert!(hits.is_sorted_by_key(|&(_, at)| at), "{hits:?}");
        (0..4)
            .map(|rule| hits.iter().any(|&(r, _)| r == rule))
            .collect()
    }

    #[test]
    fn hits_carry_the_offset_in_the_original_text() {
        let gate = KeywordGate::new(&[("key", 0), ("ab", 1)]).expect("gate");
        let mut hits = Vec::new();
        gate.find("é KEY abkey", &mut hits);
        assert_eq!(hits, [(0, 3), (1, 7), (0, 9)]);
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
