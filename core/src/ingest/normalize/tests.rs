use super::*;
use proptest::prelude::*;

fn norm(text: &str) -> String {
    normalize(text, true)
}

/// What the normaliser promises never to leave in its output.
fn assert_clean(out: &str) {
    for c in out.chars() {
        assert!(
            c == '\n' || c == '\t' || !is_invisible(c),
            "{c:?} left in {out:?}"
        );
    }
}

#[test]
fn line_endings_and_carriage_return_redraws() {
    assert_eq!(norm("a\r\nb\r\n"), "a\nb\n");
    assert_eq!(norm("10%\r50%\r100%\n"), "100%\n");
    // A terminal overwrites cell by cell: the tail of the longer frame stays visible.
    assert_eq!(norm("abcdef\rXY"), "XYcdef");
    // Erase-in-line then redraw: what progress bars emit.
    assert_eq!(norm("Downloading 10%\r\u{1b}[KDone"), "Done");
    assert_eq!(norm("Downloading 10%\u{1b}[2K\rDone"), "Done");
    // CR CR LF (Buildkite) is one line break.
    assert_eq!(norm("x\r\r\ny"), "x\ny");
    // Backspace and cursor moves stay within what was printed.
    assert_eq!(norm("ab\u{8}c"), "ac");
    assert_eq!(norm("abc\u{1b}[2DX"), "aXc");
    assert_eq!(norm("abc\u{1b}[1GX"), "Xbc");
    assert_eq!(norm("ab\u{1b}[99Cc"), "abc");
    // Erase to the start leaves blanks a terminal shows as spaces, trailing blanks are dropped.
    assert_eq!(norm("abcd\u{1b}[2D\u{1b}[1KX"), "  Xd");
    assert_eq!(norm("abcd\u{1b}[2D\u{1b}[K"), "ab");
}

#[test]
fn escape_sequences_of_every_kind_are_removed() {
    let cases = [
        ("\u{1b}[0m\u{1b}[37m\u{1b}[40mnpm\u{1b}[0m ok", "npm ok"),
        ("\u{1b}[38;2;255;0;0mred\u{1b}[m", "red"),
        ("query\u{1b}[6n here", "query here"),
        ("\u{1b}[?25lhidden cursor\u{1b}[?25h", "hidden cursor"),
        ("\u{1b}]0;window title\u{7}text", "text"),
        ("\u{1b}]2;title\u{1b}\\text", "text"),
        // OSC 8 hyperlink: the link text stays.
        (
            "see \u{1b}]8;;https://example.com/x\u{1b}\\the docs\u{1b}]8;;\u{1b}\\ now",
            "see the docs now",
        ),
        ("\u{1b}P1$tx\u{1b}\\after dcs", "after dcs"),
        // Buildkite's APC timestamps end with BEL.
        ("\u{1b}_bk;t=1729032357206\u{7}STEP 1/4", "STEP 1/4"),
        ("\u{1b}^private\u{1b}\\pm gone", "pm gone"),
        ("\u{1b}Xsos\u{1b}\\sos gone", "sos gone"),
        ("\u{1b}(Bcharset\u{1b})0", "charset"),
        ("\u{1b}7saved\u{1b}8", "saved"),
        // Jenkins ConsoleNote: concealed (SGR 8) text is not shown by a terminal.
        (
            "\u{1b}[8mha:////4MIIb3ZeqW0AAAA=\u{1b}[0m[Pipeline] sh",
            "[Pipeline] sh",
        ),
    ];
    for (raw, want) in cases {
        assert_eq!(norm(raw), want, "{raw:?}");
    }
}

#[test]
fn an_unterminated_sequence_ends_with_its_line() {
    for opener in [
        "\u{1b}]0;title ...",
        "\u{1b}P1$t ...",
        "\u{1b}_bk;t=1 ...",
        "\u{1b}[12;",
    ] {
        let raw = format!("before{opener}\nerror: the cause\nlast line\n");
        assert_eq!(
            norm(&raw),
            "before\nerror: the cause\nlast line\n",
            "{opener:?}"
        );
    }
}

#[test]
fn invisible_characters_are_removed_and_text_is_kept() {
    let raw = "\u{feff}a\u{0}b\u{7}c\u{7f}d\u{85}e\u{9b}f\u{200e}g\u{202e}h\u{2066}i\u{2069}j\
               \u{e0041}\u{e0042}k\u{feff}l\u{1}\u{1f}m";
    assert_eq!(norm(raw), "abcdefghijklm");
    let kept = "emoji 🚨🦀 CJK 日本語 tab\there é ✓ ✗ × 👩‍💻 zero\u{200b}width\n";
    assert_eq!(norm(kept), kept);
}

#[test]
fn runner_timestamps_are_optional() {
    let raw = "2026-02-14T07:36:53.8244619Z ##[group]Run cargo test\n\
               2024-10-08T13:24:44.9714395Z 2024-10-08T13:24:44.9714395Z twice\n\
               2026-02-14T07:36:53Z no fraction: kept\n\
               2026-02-14 07:36:53.1Z not the runner's shape: kept\n";
    assert_eq!(
        normalize(raw, true),
        "##[group]Run cargo test\ntwice\n\
         2026-02-14T07:36:53Z no fraction: kept\n\
         2026-02-14 07:36:53.1Z not the runner's shape: kept\n"
    );
    assert_eq!(normalize(raw, false), raw);
    // A timestamp before a colour code, and a redraw after the timestamp.
    assert_eq!(
        normalize(
            "2026-02-14T07:36:53.1Z \u{1b}[36;1mecho hi\u{1b}[0m\n\
             2026-02-14T07:36:53.1Z 10%\r100%",
            true
        ),
        "echo hi\n100%"
    );
}

fn hostile_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("\n".to_owned()),
            Just("\r".to_owned()),
            Just("\r\n".to_owned()),
            Just("\u{1b}".to_owned()),
            Just("\u{1b}[".to_owned()),
            Just("\u{1b}]".to_owned()),
            Just("\u{1b}_".to_owned()),
            Just("\u{1b}P".to_owned()),
            Just("\u{7}".to_owned()),
            Just("\u{8}".to_owned()),
            Just("\u{1b}\\".to_owned()),
            Just("2026-02-14T07:36:53.8244619Z ".to_owned()),
            Just("\u{1b}[8m".to_owned()),
            Just("\u{1b}[2K".to_owned()),
            Just("\u{1b}[1K".to_owned()),
            Just("\u{1b}[3D".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("\u{202e}".to_owned()),
            Just("\u{e0041}".to_owned()),
            Just("\u{85}".to_owned()),
            "[0-9;mK?a-z é✓日]{0,6}",
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(2048)))]

    #[test]
    fn normalize_is_idempotent_shrinking_and_clean(text in hostile_text(), strip in any::<bool>()) {
        let once = normalize(&text, strip);
        prop_assert!(once.len() <= text.len(), "grew: {:?} -> {:?}", text, once);
        prop_assert_eq!(once.matches('\n').count(), text.matches('\n').count());
        assert_clean(&once);
        let twice = normalize(&once, strip);
        prop_assert_eq!(&twice, &once, "not idempotent on {:?}", text);
    }

    #[test]
    fn plain_lines_are_kept_byte_for_byte(text in "[ -~\t\né日✓🦀]{0,200}") {
        prop_assert_eq!(normalize(&text, false), text);
    }
}
