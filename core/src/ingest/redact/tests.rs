use super::*;
use proptest::prelude::*;
use std::fmt::Write as _;

fn redact(text: &str) -> (String, usize) {
    let out = Redactor::builtin().redact(text);
    (out.text.into_owned(), out.count)
}

/// Asserts no 12-byte window of `secret` survives in `text`.
fn assert_gone(text: &str, secret: &str) {
    let bytes = secret.as_bytes();
    for window in bytes.windows(12.min(bytes.len())) {
        let piece = String::from_utf8_lossy(window);
        assert!(
            !text.contains(piece.as_ref()),
            "a piece {piece:?} of {secret:?} survived in {text:?}"
        );
    }
}

/// A fake credential of every supported format (generated, never real), the log line it is
/// embedded in, and the rule expected to name it.
fn fake_secrets() -> impl Strategy<Value = (String, String, &'static str)> {
    let alnum =
        |n: usize| proptest::string::string_regex(&format!("[A-Za-z0-9]{{{n}}}")).expect("regex");
    let b64url =
        |n: usize| proptest::string::string_regex(&format!("[A-Za-z0-9_-]{{{n}}}")).expect("regex");
    let hex40 = || proptest::string::string_regex("[0-9a-f]{40}").expect("regex");
    prop_oneof![
        (prop_oneof![Just("ghp_"), Just("gho_"), Just("ghu_"), Just("ghs_"), Just("ghr_")], alnum(36))
            .prop_map(|(p, s)| { let t = format!("{p}{s}"); (format!("GITHUB_TOKEN={t}"), t, "github-token") }),
        (alnum(22), alnum(59)).prop_map(|(a, b)| {
            let t = format!("github_pat_{a}_{b}");
            (format!("remote: https://x-access-token:{t}@github.com/acme/app.git"), t, "any")
        }),
        b64url(20).prop_map(|s| { let t = format!("glpat-{s}"); (format!("  PRIVATE-TOKEN: {t}"), t, "gitlab-token") }),
        b64url(93).prop_map(|s| { let t = format!("sk-ant-api03-{s}"); (format!("ANTHROPIC_API_KEY=\"{t}\""), t, "anthropic-key") }),
        b64url(48).prop_map(|s| { let t = format!("sk-proj-{s}"); (format!("{{\"openai\": \"{t}\"}}"), t, "openai-key") }),
        (prop_oneof![Just("AKIA"), Just("ASIA")], "[A-Z2-7]{16}")
            .prop_map(|(p, s)| { let t = format!("{p}{s}"); (format!("aws_access_key_id = {t}"), t, "aws-access-key-id") }),
        "[A-Za-z0-9/+]{40}".prop_map(|t| (format!("aws_secret_access_key={t}"), t, "any")),
        ("[0-9]{12}", "[0-9]{13}", alnum(24)).prop_map(|(a, b, c)| {
            let t = format!("xoxb-{a}-{b}-{c}"); (format!("slack: token {t} posted"), t, "slack-token")
        }),
        ("[A-Z0-9]{10}", "[A-Z0-9]{11}", alnum(24)).prop_map(|(a, b, c)| {
            let t = format!("https://hooks.slack.com/services/T{a}/B{b}/{c}");
            (format!("curl -X POST {t}"), format!("T{a}/B{b}/{c}"), "slack-webhook")
        }),
        alnum(36).prop_map(|s| { let t = format!("npm_{s}"); (format!("//registry.npmjs.org/:_authToken={t}"), t, "any") }),
        b64url(30).prop_map(|t| (format!("//npm.pkg.example.com/:_authToken=\"{t}\""), t, "npmrc-auth")),
        b64url(70).prop_map(|s| { let t = format!("pypi-AgEIcHlwaS5vcmc{s}"); (format!("password = {t}"), t, "any") }),
        alnum(34).prop_map(|s| { let t = format!("hf_{s}"); (format!("HF_TOKEN: {t}"), t, "any") }),
        b64url(35).prop_map(|s| { let t = format!("AIza{s}"); (format!("key={t}&q=1"), t, "google-api-key") }),
        (b64url(20), b64url(40), b64url(43)).prop_map(|(a, b, c)| {
            let t = format!("eyJ{a}.eyJ{b}.{c}"); (format!("id_token {t}"), t, "jwt")
        }),
        (b64url(20), prop_oneof![Just("Bearer"), Just("bearer"), Just("Basic"), Just("token"), Just("TOKEN")],
         prop_oneof![Just("Authorization"), Just("authorization"), Just("AUTHORIZATION")])
            .prop_map(|(t, scheme, header)| (format!("> {header}: {scheme} {t}"), t, "authorization-header")),
        (prop_oneof!["[a-z]{4,8}", proptest::sample::select(USER_NAMES_WITH_KEYWORDS).prop_map(str::to_owned)], "[A-Za-z0-9!%^*_+-]{12,24}").prop_map(|(user, pass)| {
            (format!("fatal: unable to access 'https://{user}:{pass}@git.example.com/a/b.git/'"), pass, "url-credentials")
        }),
        hex40().prop_map(|t| (format!("curl 'https://forgejo.example.com/api/v1/repos?token={t}'"), t, "any")),
        hex40().prop_map(|t| (format!("GITEA_TOKEN={t}"), t, "forgejo-token")),
        hex40().prop_map(|t| (format!("Authorization: token {t}"), t, "authorization-header")),
        ("[A-Z_]{0,8}", prop_oneof![Just("API_KEY"), Just("SECRET"), Just("PASSWORD"), Just("TOKEN"), Just("CLIENT_SECRET")], alnum(24))
            .prop_map(|(prefix, key, t)| (format!("{prefix}{key}={t}"), t, "any")),
        alnum(20).prop_map(|t| (format!("  db_password: \"{t}\""), t, "password-assignment")),
        alnum(20).prop_map(|t| (format!("deploy --api-key {t} --env prod"), t, "secret-assignment")),
        (alnum(40), alnum(64), alnum(30)).prop_map(|(a, b, c)| {
            let body = format!("{a}\n{b}\n{c}==");
            (format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"), body, "private-key")
        }),
        (alnum(40), alnum(64)).prop_map(|(a, b)| {
            let body = format!("{a}\\n{b}");
            (format!("{{\"key\": \"-----BEGIN OPENSSH PRIVATE KEY-----\\n{body}\\n-----END OPENSSH PRIVATE KEY-----\\n\"}}"), body, "private-key")
        }),
    ]
}

/// User names in a URL's userinfo that hold a secret key word, as CI logs show them.
const USER_NAMES_WITH_KEYWORDS: &[&str] = &[
    "gitlab-ci-token",
    "x-access-token",
    "oauth2token",
    "apwd",
    "deploy_key",
    "secret",
    "api_key",
    "token",
];

/// A URL's user name that holds a secret key word (`gitlab-ci-token`, `apwd`) is not a
/// `key: value` assignment: the password is a URL credential, and the host and path stay.
#[test]
fn a_key_word_in_a_urls_user_name_leaves_the_host_and_path_readable() {
    for (user, pass) in [
        ("apwd", "^%*Aa-*A*!*a"),
        ("gitlab-ci-token", "64_Zx9vQ2kLmNp7Rt4Wy"),
        ("x-access-token", "Qm9vcGxlLW5vdC1hLXRva2Vu"),
        ("deploy_key", "p@ss:w0rd-with-an-at"),
    ] {
        let line =
            format!("fatal: unable to access 'https://{user}:{pass}@git.example.com/a/b.git/'");
        let (out, count) = redact(&line);
        assert_eq!(
            out,
            format!("fatal: unable to access 'https://{user}:[REDACTED:url-credentials]@git.example.com/a/b.git/'"),
            "{line}"
        );
        assert_eq!(count, 1);
    }
}

/// A raw `@` in a URL's password: everything up to the host's `@` is the secret.
#[test]
fn a_url_password_with_a_raw_at_sign_is_redacted_whole() {
    let (out, _) = redact("remote: https://ci:hunter@22xyz@git.example.com/o/r.git");
    assert_eq!(
        out,
        "remote: https://ci:[REDACTED:url-credentials]@git.example.com/o/r.git"
    );
    // A scoped package in the path is not part of the password.
    let (out, _) = redact("GET https://ci:s3cr3tPassw0rd@registry.example.com/@acme%2fwidget");
    assert_eq!(
        out,
        "GET https://ci:[REDACTED:url-credentials]@registry.example.com/@acme%2fwidget"
    );
}

/// Text that is not secret and must come through untouched.
const SURVIVORS: &[&str] = &[
    "HEAD is now at 3f786850e387550fdab836ed7e6dc881de23001b Merge pull request #12",
    "Checking out 3f786850e387550fdab836ed7e6dc881de23001b as detached HEAD",
    "request id 123e4567-e89b-12d3-a456-426614174000 failed",
    "FROM node@sha256:2c5b2a1e8f9d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
    "digest: sha256:2c5b2a1e8f9d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b size: 1573",
    "  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
    "  token: ${{ secrets.FORGEJO_TOKEN }}",
    "Authorization: Bearer ***",
    "GITHUB_TOKEN=***",
    "export NPM_TOKEN=$NPM_TOKEN",
    "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
    "Cache restored from key: node-cache-Linux-x64-npm-209c8f1b5e4d3a2f",
    "data: aGVsbG8gd29ybGQsIHRoaXMgaXMgbm90IGEgc2VjcmV0Cg==",
    "max_tokens: 4096, tokens used: 12345678",
    "test tokenizer::parses_keywords ... ok",
    "Using password authentication: true",
    "PWD=/home/runner/work/acme/app",
    "error: the token is invalid",
    "skipping sk-learn install",
    "https://github.com/acme/app/actions/runs/812",
    "npm ERR! 404 Not Found - GET https://registry.npmjs.org/@acme%2fwidget",
    // Keys that describe a secret rather than hold one, and values that are plainly not one.
    "token_type=bearer",
    "PASSWORD_MIN_LENGTH=12",
    "TOKEN_EXPIRES_IN=3600",
    "DB_PASSWORD_FILE=/run/secrets/db_password",
    "  password: ${{ secrets.DB_PASSWORD }}",
    "DB_PASS=***",
    "E2E_PASS_RATE=97%",
    "echo \"$CR_PAT\" | docker login --password-stdin -u ci registry.example.com",
    "PASS: tests/test_basic.sh",
    "BYPASS_CACHE=true",
    "mysql -P 3306 -h db -u app -p",
    "curl -u \"$API_USER:$API_PASS\" https://api.example.com",
    "Using token from the environment",
    "git clone https://forge.example.org/acme/app.git",
    "git clone https://git@forge.example.org/acme/app.git",
    "{\"sha\": \"3f786850e387550fdab836ed7e6dc881de23001b\", \"sha1\": \"3f786850e387550fdab836ed7e6dc881de23001b\"}",
    "module.db.module.admin_secret.data.aws_region.current: Reading...",
    "  + customer_master_key_spec           = \"SYMMETRIC_DEFAULT\"",
    "cli_config_credentials_hostname: app.terraform.io",
    "GET /search?q=test%20token%20refresh&page=2",
    "aws s3 cp s3://acme-artifacts/3f786850e387550fdab836ed7e6dc881de23001b.tar.gz .",
];

#[test]
fn non_secrets_survive() {
    for line in SURVIVORS {
        assert_eq!(redact(line), ((*line).to_owned(), 0), "{line}");
    }
}

#[test]
fn a_multi_line_key_keeps_the_line_count_and_an_unterminated_one_is_still_redacted() {
    let text = "before\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF\n-----END PRIVATE KEY-----\nafter\n";
    let (out, count) = redact(text);
    assert_eq!(out, "before\n[REDACTED:private-key]\n\n\n\nafter\n");
    assert_eq!(count, 1);
    let cut = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk\n";
    let (out, _) = redact(cut);
    assert_gone(&out, "MHcCAQEEIBkg4LVWM9nuwNSk");
}

#[test]
fn custom_patterns_run_after_the_builtin_rules() {
    let redactor = Redactor::with_patterns(&[
        RedactPattern::new("acme-key", r"ACME-[0-9A-F]{16}"),
        RedactPattern::new("internal-id", r"id=(?P<secret>INT\d{6})"),
    ])
    .expect("valid patterns");
    let out = redactor
        .redact("k=ACME-0123456789ABCDEF id=INT123456 ghp_0123456789abcdefghijABCDEFGHIJ012345");
    assert_eq!(
        out.text,
        "k=[REDACTED:acme-key] id=[REDACTED:internal-id] [REDACTED:github-token]"
    );
    assert_eq!(out.count, 3);
}

/// The built-in rules with every rule run over the whole text, as before rules were run only on
/// the lines their keywords are on: the reference for the line-gated scan.
/// Built once: a clone per case would rebuild every regex's search cache.
fn whole_text_redactor() -> &'static Redactor {
    static WHOLE: std::sync::LazyLock<Redactor> = std::sync::LazyLock::new(|| {
        let mut redactor = Redactor::builtin().clone();
        for rule in &mut redactor.rules {
            rule.lines_only = false;
        }
        redactor
    });
    &WHOLE
}

/// Text that puts secrets, their keywords and near misses next to line breaks, word characters,
/// quotes and non-ASCII characters: where a line-gated scan could differ from a whole-text one.
fn keyword_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        fake_secrets().prop_map(|(line, _, _)| line),
        proptest::sample::select(SURVIVORS).prop_map(str::to_owned),
        proptest::sample::select(vec![
            "\n",
            "\r\n",
            " ",
            "\t",
            "=",
            ": ",
            "\"",
            "'",
            "x",
            "_",
            "é",
            "🦀",
            "token",
            "KEY",
            "aws_secret_access_key=",
            "Authorization: Bearer ",
            "://",
            "u:p@",
            "@h",
            "passwd ",
            "--api-key ",
            "_auth=",
            "-----BEGIN RSA PRIVATE KEY-----\n",
            "0123456789abcdef",
            "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AB",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,12}",
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|parts| parts.concat())
}

#[test]
fn a_secret_at_the_end_of_a_line_or_of_the_text_is_found_by_the_line_scan() {
    let key = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AB";
    for text in [
        format!("aws_secret_access_key={key}"),
        format!("aws_secret_access_key={key}\nnext"),
        format!("a\nAWS_SECRET_ACCESS_KEY: {key}\r\n"),
    ] {
        let (out, count) = redact(&text);
        assert_eq!(count, 1, "{text:?} -> {out:?}");
        assert_gone(&out, key);
    }
}

/// The placements a Forgejo shop's CI prints secrets in (issue: "secrets of a Forgejo shop"):
/// each a realistic line with fresh random values, and the pieces that must not survive.
/// `n` characters drawn uniformly from `alphabet`, as a token generator draws them (proptest's
/// regex strategy favours some characters, which no real token does).
fn uniform(alphabet: &'static str, n: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), n).prop_map(String::from_iter)
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn forgejo_shop_leaks() -> impl Strategy<Value = (String, Vec<String>)> {
    let hex40 = || uniform("0123456789abcdef", 40);
    let re = |r: &str| proptest::string::string_regex(r).expect("regex");
    let password = || re("[A-Za-z][A-Za-z0-9!#%^*_+=~-]{7,15}");
    prop_oneof![
        hex40().prop_map(|t| (format!("+ git clone https://{t}@forge.example.org/acme/app.git"), vec![t])),
        hex40().prop_map(|t| {
            let last = t[32..].to_owned();
            (format!("{{\"id\":7,\"name\":\"ci\",\"sha1\":\"{t}\",\"token_last_eight\":\"{last}\",\"scopes\":[\"write:repository\"]}}"), vec![t])
        }),
        hex40().prop_map(|t| {
            let last = t[32..].to_owned();
            (format!("{{\n  \"id\": 7,\n  \"name\": \"ci\",\n  \"sha1\": \"{t}\",\n  \"token_last_eight\": \"{last}\"\n}}"), vec![t])
        }),
        (prop_oneof![Just("FORGEJO_PAT"), Just("GITEA_TOKEN"), Just("FORGEJO_TOKEN"), Just("GH_PAT")], hex40())
            .prop_map(|(k, t)| (format!("{k}={t}"), vec![t])),
        (prop_oneof![Just("DB_PASS"), Just("SMTP_PASS"), Just("REDIS_PWD"), Just("GCP_CREDENTIALS"), Just("PGPASSWORD"), Just("MYSQL_ROOT_PASSWORD")], re("[a-z]{5,8}[0-9]{2,3}"))
            .prop_map(|(k, v)| (format!("export {k}={v}"), vec![v])),
        hex40().prop_map(|t| (format!("Using token {t}"), vec![t])),
        uniform(B64URL, 40).prop_filter("letters and digits", |t| t.bytes().any(|b| b.is_ascii_digit()) && t.bytes().any(|b| b.is_ascii_alphabetic()))
            .prop_map(|t| (format!("[wrangler:debug] using API token {t}"), vec![t])),
        uniform(B64URL, 93).prop_map(|s| {
            let encoded = format!("sk%2Dant%2Dapi03%2D{s}");
            (format!("GET https://proxy.example.com/v1?key={encoded}&x=1"), vec![encoded, s])
        }),
        password().prop_map(|p| (format!("+ mysql -uapp -p{p} -h db.internal app_test"), vec![p])),
        password().prop_map(|p| (format!("+ sshpass -p '{p}' ssh deploy@10.0.0.7"), vec![p])),
        password().prop_map(|p| (format!("+ docker login -u ci -p {p} registry.example.com"), vec![p])),
        password().prop_map(|p| (format!("+ curl -sS -u deploy:{p} https://nexus.example.com/repo"), vec![p])),
        password().prop_map(|p| (format!("+ ./migrate --password={p} --host db"), vec![p])),
        uniform(ALNUM, 24).prop_map(|t| (format!("+ forgejo-cli --token {t} release create"), vec![t])),
        (password(), re("[A-Za-z0-9]{6}")).prop_map(|(a, b)| {
            let p = format!("{a}@{b}");
            (format!("fatal: unable to access 'https://ci:{p}@git.example.com/o/r.git/'"), vec![p])
        }),
        ("[A-Z2-7]{16}", uniform(B64, 40)).prop_filter("mixed case and digits", |(_, k)| {
            k.bytes().any(|b| b.is_ascii_digit()) && k.bytes().any(|b| b.is_ascii_uppercase()) && k.bytes().any(|b| b.is_ascii_lowercase())
        }).prop_map(|(id, key)| {
            let id = format!("AKIA{id}");
            (format!("aws creds: {id} {key}"), vec![id, key])
        }),
    ]
}

/// A log that declares thousands of values: every one is masked as it is (past the first
/// [`known_values::MAX_ENCODED_VALUES`], not in its encodings), in one pass.
#[test]
fn thousands_of_add_mask_values_are_all_masked() {
    let mut values: Vec<String> = vec!["the longest one: a b!".to_owned()];
    values.extend((1..3000).map(|i| format!("secret-{i:05}")));
    let mut text = String::new();
    for v in &values {
        let _ = writeln!(text, "::add-mask::{v}\nusing {v}");
    }
    let (out, count) = redact(&text);
    assert_eq!(count, 6000, "every declaration and every use");
    for v in &values {
        assert_gone(&out, v);
    }
    // The longest values are masked in their encodings too.
    let first = values.first().expect("values");
    assert_ne!(&known_values::percent_encoded(first), first);
    let (out, _) = redact(&format!(
        "{text}json \"{}\"\n",
        known_values::percent_encoded(first)
    ));
    assert!(
        out.ends_with("json \"[REDACTED:add-mask]\"\n"),
        "{}",
        out.get(out.len() - 80..).unwrap_or_default()
    );
}

/// Hand-made: the keys of an add-mask value, wherever and however it is written.
#[test]
fn add_mask_values_are_masked_everywhere_in_every_form() {
    let value = "Zq7-pl@in words!";
    let text = format!(
        "::add-mask::{value}\nconnecting with {value}\nbasic {b64}\nurl ?p={pct}\njson {{\"p\":\"{json}\"}}\n",
        b64 = known_values::base64_inner(value.as_bytes(), 0),
        pct = known_values::percent_encoded(value),
        json = known_values::json_escaped(value),
    );
    let (out, count) = redact(&text);
    assert_eq!(count, 5, "{out}");
    assert_eq!(out.matches("[REDACTED:add-mask]").count(), 5, "{out}");
    assert_gone(&out, value);
    assert_gone(&out, &known_values::percent_encoded(value));
    // A value inside a longer base64 string, at any alignment.
    for prefix in ["", "u:", "us:", "use:"] {
        let line = format!(
            "::add-mask::{value}\nAuthorization: Basic {}",
            base64_full(format!("{prefix}{value}").as_bytes())
        );
        let (out, _) = redact(&line);
        assert!(
            !out.contains(&known_values::base64_inner(
                value.as_bytes(),
                prefix.len() % 3
            )),
            "{out}"
        );
    }
    // Too short to mask, and a mask line that holds a placeholder, change nothing else.
    let (out, count) = redact("::add-mask::abc\nabc abc\n::add-mask::***\n");
    assert_eq!(
        (out.as_str(), count),
        ("::add-mask::abc\nabc abc\n::add-mask::***\n", 0)
    );
}

/// Standard base64 with padding, for the test above.
fn base64_full(bytes: &[u8]) -> String {
    let mut out = known_values::base64_inner(bytes, 0);
    let rem = bytes.len() % 3;
    if rem > 0 {
        let mut last = bytes.get(bytes.len() - rem..).unwrap_or_default().to_vec();
        last.resize(3, 0);
        let chunk = known_values::base64_inner(&last, 0);
        out.push_str(chunk.get(..=rem).unwrap_or_default());
        out.push_str(&"=".repeat(3 - rem));
    }
    out
}

#[test]
fn a_percent_encoded_secret_is_matched_decoded_and_redacted_encoded() {
    let (out, count) = redact("url=https://ci:p%40ss%2Dw0rd@git.example.com/o/r.git q=a%20b");
    assert_eq!(
        out,
        "url=https://ci:[REDACTED:url-credentials]@git.example.com/o/r.git q=a%20b"
    );
    assert_eq!(count, 1);
}

/// Escapes on every line: the whole text is decoded once, and finds what the line-by-line
/// view finds.
#[test]
fn a_text_dense_in_percent_escapes_is_redacted_as_line_by_line() {
    let line = "url=https://ci:p%40ss%2Dw0rd@git.example.com/o/r.git q=a%20b\n";
    let (alone, _) = redact(line);
    let noise = "progress 50%25 of a%20b\n".repeat(600);
    let (out, count) = redact(&format!("{noise}{line}{noise}"));
    assert_eq!(out, format!("{noise}{alone}{noise}"));
    assert_eq!(count, 1);
}

#[test]
fn key_words_that_describe_a_secret_are_not_secrets() {
    for key in [
        "token_type",
        "PASSWORD_MIN_LENGTH",
        "TOKEN_EXPIRES_IN",
        "tokenExpiresIn",
        "password-stdin",
        "a.db_secret.data.region",
    ] {
        assert!(key_holds_no_secret(key), "{key}");
    }
    for key in [
        "GITHUB_TOKEN",
        "db_password",
        "clientSecret",
        "FORGEJO_PAT",
        "token_last_eight",
        "spring.datasource.password",
    ] {
        assert!(!key_holds_no_secret(key), "{key}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(1024)))]

    #[test]
    fn no_piece_of_a_forgejo_shop_secret_survives(
        leaks in proptest::collection::vec(forgejo_shop_leaks(), 1..4),
        keep in proptest::sample::select(SURVIVORS),
    ) {
        // One to three placements on one line: every secret on it is found.
        let line = leaks.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join(" ; ");
        let text = format!("{keep}\n{line}\n{keep}\n");
        let (out, count) = redact(&text);
        for (_, secrets) in &leaks {
            for secret in secrets {
                assert_gone(&out, secret);
            }
        }
        prop_assert!(count >= leaks.len());
        prop_assert!(out.starts_with(&format!("{keep}\n")) && out.ends_with(&format!("\n{keep}\n")), "{:?}", out);
        prop_assert_eq!(out.matches('\n').count(), text.matches('\n').count());
        prop_assert_eq!(redact(&out), (out.clone(), 0));
    }

    #[test]
    fn scanning_only_the_keyword_lines_finds_what_a_whole_text_scan_finds(text in keyword_soup()) {
        let reference = whole_text_redactor().redact(&text);
        let gated = Redactor::builtin().redact(&text);
        prop_assert_eq!(gated, reference);
    }

    #[test]
    fn no_piece_of_a_fake_secret_survives((line, secret, rule) in fake_secrets(), keep in proptest::sample::select(SURVIVORS)) {
        let text = format!("{keep}\n{line}\n{keep}\n");
        let (out, count) = redact(&text);
        assert_gone(&out, &secret);
        prop_assert!(count >= 1);
        if rule != "any" {
            let placeholder = format!("[REDACTED:{rule}]");
            prop_assert!(out.contains(&placeholder), "{} not in {:?}", placeholder, out);
        }
        prop_assert!(out.starts_with(&format!("{keep}\n")) && out.ends_with(&format!("\n{keep}\n")), "{:?}", out);
        prop_assert_eq!(out.matches('\n').count(), text.matches('\n').count());
        // Idempotent: the placeholders match no rule.
        prop_assert_eq!(redact(&out), (out.clone(), 0));
    }

    #[test]
    fn redact_is_idempotent_on_arbitrary_text(text in "[ -~\n]{0,300}") {
        let (once, _) = redact(&text);
        prop_assert_eq!(redact(&once), (once.clone(), 0));
    }
}

proptest! {
    // A fixed count: each case is a long text, and CI's CITAIL_PROPTEST_CASES (4096) would make
    // this one test minutes long.
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A keyword on most short lines: the rule scans the whole text in one pass instead, and
    /// finds what the whole-text scan finds.
    #[test]
    fn a_text_dense_in_keywords_finds_what_a_whole_text_scan_finds(
        parts in proptest::collection::vec(keyword_soup(), 20..60),
    ) {
        let text = parts.join("\nkey\ntoken\n");
        let reference = whole_text_redactor().redact(&text);
        let gated = Redactor::builtin().redact(&text);
        prop_assert_eq!(gated, reference);
    }
}
