pub fn retries(limit: &str) -> u32 {
    let n: u32 = limit;
    n
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_the_limit() {
        assert_eq!(super::retries("3"), 3);
    }
}
