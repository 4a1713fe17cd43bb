//! The ingest pipeline on arbitrary payloads: validation gives `Ok` or a typed error; the stored
//! tail is within both caps; normalising is idempotent and leaves no control character; redaction
//! is idempotent; every highlight is a prefix of its line. Input: one byte of switches, two of
//! caps, then the log (fixture logs are good seeds).
#![no_main]
use citail::{normalize, NewLog, Options, Pipeline, Redactor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (switches, lines, bytes) = (data[0], data[1], data[2]);
    let text = String::from_utf8_lossy(&data[3..]);
    let max_lines = 1 + usize::from(lines);
    let max_bytes = 1 + usize::from(bytes) * 128;
    let options = Options::default()
        .max_lines(max_lines)
        .max_stored_bytes(max_bytes)
        .normalize(switches & 1 == 0)
        .strip_timestamps(switches & 2 == 0)
        .redact_secrets(switches & 4 == 0);
    let pipeline = Pipeline::new(&options).expect("valid options");
    let out = pipeline.run(&text);
    assert!(out.tail.len() <= max_bytes && citail::count_lines(&out.tail) <= max_lines);
    assert!(out.highlights.len() <= options.get_max_highlights());

    let clean = normalize(&text, switches & 2 == 0);
    assert_eq!(
        normalize(&clean, switches & 2 == 0),
        clean,
        "normalize is not idempotent"
    );
    assert!(clean
        .chars()
        .all(|c| c == '\n' || c == '\t' || !c.is_control()));
    let redacted = Redactor::builtin().redact(&clean).text.into_owned();
    assert_eq!(
        Redactor::builtin().redact(&redacted).count,
        0,
        "redact is not idempotent"
    );
    if switches & 7 == 0 {
        let lines: Vec<&str> = redacted.split('\n').collect();
        for h in &out.highlights {
            // The line, its start, the line behind a runner prefix, or a `go test -json`
            // event's `Output` value: always a piece of the line itself.
            let line = lines[usize::try_from(h.line).expect("small") - 1];
            assert!(line.contains(&h.text), "highlight is not its line");
        }
    }

    // The same text as every field of a payload: Ok or a typed InvalidField, never a panic.
    let field: String = text.chars().take(300).collect();
    let log = NewLog {
        repo: &field,
        run_id: &field,
        job_id: &field,
        step_name: &field,
        head_sha: &field,
        conclusion: &field,
        log_tail: &text, ..Default::default() 
    };
    match log.validate() {
        Ok(()) | Err(citail::Error::InvalidField { .. }) => {}
        Err(other) => panic!("unexpected error {other:?}"),
    }
});
