pub fn checksum(bytes: &[u8]) -> u32 {
    let mut sum = 0u32;
    for b in bytes.iter() {
        sum = sum + *b as u32;
    }
    sum
}

pub fn is_empty(v: &Vec<u8>) -> bool {
    v.len() == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn checksum_of_abc() {
        assert_eq!(super::checksum(b"abc"), 295, "checksum drifted");
    }

    #[test]
    fn header_is_parsed() {
        let header: Result<u32, String> = Err("missing magic bytes".into());
        header.unwrap();
    }
}
