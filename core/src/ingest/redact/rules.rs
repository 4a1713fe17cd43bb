//! The built-in secret rules. Written for citail after reading gitleaks' default rules and
//! detect-secrets' plugins; each rule names the credential it finds.
//!
//! A rule's regex finds a candidate; its `secret` group (or the whole match) is what gets
//! replaced. `keywords` gate the rule: it only runs when one of them occurs in the text (ASCII
//! case-insensitive), so a log with no `ghp_` never runs the GitHub rule. Rules earlier in the
//! table win when two find the same span.

/// How a candidate is confirmed before it is redacted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Check {
    /// The token's shape alone is specific enough.
    Shape,
    /// The value must not be a placeholder (`***`, `$VAR`, `${{ … }}`, `<token>`, an earlier
    /// redaction).
    NotPlaceholder,
    /// Not a placeholder, and the value's Shannon entropy is at least this many bits per byte.
    Entropy(f64),
    /// A value a password-named key holds: redacted whatever its entropy (people choose
    /// passwords), unless it is plainly not a secret: a placeholder, a number, a boolean word,
    /// a flag (`-u`), a path.
    Password,
    /// A token in free text: not a placeholder, letters and digits both, at least this many
    /// bits of entropy per byte, and not a path, URL or digest.
    TokenLike(f64),
    /// A standalone 40-character AWS secret access key beside its key id: upper- and lower-case
    /// letters and digits (a commit SHA or a hex digest has no upper case).
    MixedCase,
}

/// One built-in rule.
pub(crate) struct Rule {
    pub name: &'static str,
    pub keywords: &'static [&'static str],
    pub pattern: &'static str,
    pub check: Check,
    /// Whether a match can hold a line break before its last character. A rule that cannot
    /// (every match contains one of its keywords, on one line) is only run on the lines where
    /// its keywords occur.
    pub spans_lines: bool,
    /// Whether a match whose key is a URL's user name (`scheme://db_password:value@host/path`)
    /// ends before the value's last `@`: the host and path after it are not secret and stay
    /// readable. Only for rules whose key may stand right after `://`.
    pub stops_at_url_host: bool,
}

/// Key names that mark an assignment's value as a password or a credential: a person may have
/// chosen it, so its entropy says nothing. `pass`, `pat` and `pwd` only as a segment after another (`DB_PASS`,
/// `FORGEJO_PAT`, `SMTP_PWD`): alone, `PASS:` starts a test result and `PWD` is the working
/// folder.
macro_rules! password_key {
    () => {
        r"(?:passw(?:or)?d|passwd|passphrase|credentials?|[A-Za-z0-9][_.-](?:pass|pwd|pat))"
    };
}

/// Key names that mark an assignment's value as a secret (matched inside longer identifiers:
/// `GITHUB_TOKEN`, `db_password`, `clientSecret`). A bare `key` is not one: cache keys are
/// everywhere in CI logs.
macro_rules! secret_key {
    () => {
        r"(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|passwd|passphrase|pwd|auth[_-]?key|access[_-]?key|private[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|credentials?)"
    };
}

/// The rules, most specific first.
pub(crate) const BUILTIN: &[Rule] = &[
    Rule {
        name: "private-key",
        keywords: &["-----begin"],
        // The whole PEM block up to its END marker, across lines (real or JSON-escaped
        // `\n`); without an END marker (cut off), the base64 lines that follow the header.
        pattern: concat!(
            r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----",
            r"(?:[A-Za-z0-9+/=:,.\\ \t\r\n-]*?-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----",
            r"|(?:\s|\\[nr])*(?:[A-Za-z0-9+/=]{16,}(?:\s|\\[nr])*)*)"
        ),
        check: Check::Shape,
        spans_lines: true,
        stops_at_url_host: false,
    },
    Rule {
        name: "github-token",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"(?-u:\b)gh[pousr]_[A-Za-z0-9]{36,255}(?-u:\b)",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "github-pat",
        keywords: &["github_pat_"],
        pattern: r"(?-u:\b)github_pat_[A-Za-z0-9_]{22,255}(?-u:\b)",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "gitlab-token",
        keywords: &["glpat-"],
        pattern: r"(?-u:\b)glpat-[A-Za-z0-9_-]{20,}",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "anthropic-key",
        keywords: &["sk-ant-"],
        pattern: r"(?-u:\b)sk-ant-[A-Za-z0-9_-]{20,}",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "openai-key",
        keywords: &["sk-"],
        pattern: r"(?-u:\b)sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "aws-access-key-id",
        keywords: &["akia", "asia", "abia", "acca"],
        pattern: r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?-u:\b)",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "aws-secret-key",
        keywords: &["aws"],
        pattern: r#"(?i)aws_?(?:secret)?_?(?:access)?_?key["']?[ \t]*[:=][ \t]*["']?(?P<secret>[A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        check: Check::NotPlaceholder,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "slack-token",
        keywords: &["xox"],
        pattern: r"(?-u:\b)xox[abposr]-[A-Za-z0-9-]{10,}",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "slack-webhook",
        keywords: &["hooks.slack.com"],
        pattern: r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "npm-token",
        keywords: &["npm_"],
        pattern: r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "npmrc-auth",
        keywords: &["_auth", "_password"],
        pattern: r#"(?i)(?:_authToken|_auth|_password)[ \t]*=[ \t]*["']?(?P<secret>[^\s"']+)"#,
        check: Check::NotPlaceholder,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "pypi-token",
        keywords: &["pypi-"],
        pattern: r"(?-u:\b)pypi-[A-Za-z0-9_-]{50,}",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "huggingface-token",
        keywords: &["hf_"],
        pattern: r"(?-u:\b)hf_[A-Za-z0-9]{30,}(?-u:\b)",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "google-api-key",
        keywords: &["aiza"],
        pattern: r"(?-u:\b)AIza[0-9A-Za-z_-]{35}",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "jwt",
        keywords: &["eyj"],
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "authorization-header",
        keywords: &["authorization"],
        pattern: r#"(?i)(?-u:\b)(?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?(?:bearer|basic|token|bot|digest|negotiate)[ \t]+(?P<secret>[^\s"',;]+)"#,
        check: Check::NotPlaceholder,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "url-credentials",
        keywords: &["://"],
        pattern: r#"(?-u:\b)[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s/:@"'<>\[\]]{1,200}:(?P<secret>[^\s/"'<>]{1,500})@[A-Za-z0-9.\[-]"#,
        check: Check::NotPlaceholder,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "forgejo-token",
        keywords: &["token", "authorization"],
        // 40 hex digits only with a token context: a bare one is a commit SHA. After `token`
        // with `=`, `:` or only a space (`Using token <hex>`).
        pattern: r#"(?i)(?:token|authorization)["']?(?:[ \t]*[:=][ \t]*["']?|[ \t]+)(?:(?:token|bearer|basic)[ \t]+)?(?P<secret>[0-9a-f]{40})(?-u:\b)"#,
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "forgejo-token",
        keywords: &["://"],
        // 40 hex digits as a URL's user name (`https://<token>@forge/…`): how `actions/checkout`
        // and scripts clone with a Forgejo token. A commit SHA never stands before an `@`.
        pattern: r"(?-u:\b)[A-Za-z][A-Za-z0-9+.-]{1,20}://(?P<secret>[0-9a-fA-F]{40})@",
        check: Check::Shape,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "url-token",
        keywords: &["://"],
        // A token as a URL's user name with no password (`https://<token>@host/…`), the usual
        // way a Forgejo token shows in a clone URL. 20+ characters of high entropy: an ordinary
        // user name (`git@`, `ci-bot@`) is shorter or plainer.
        pattern: r"(?-u:\b)[A-Za-z][A-Za-z0-9+.-]{1,20}://(?P<secret>[A-Za-z0-9_-]{20,200})@[A-Za-z0-9.\[-]",
        check: Check::TokenLike(3.0),
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "forgejo-token",
        keywords: &["token_last_eight"],
        // Forgejo's token-creation answer (`POST /users/{name}/tokens`) holds the whole token
        // in `sha1`; only inside a JSON object that also has `token_last_eight` (`[^{}]` keeps
        // the match in one object), since `sha1` elsewhere is a digest. May span lines:
        // pretty-printed JSON puts the two fields on different lines.
        pattern: concat!(
            r#""sha1"[ \t]*:[ \t]*"(?P<secret>[0-9a-f]{40})"[^{}]{0,400}?"token_last_eight""#,
            r#"|"token_last_eight"[^{}]{0,400}?"sha1"[ \t]*:[ \t]*"(?P<secret2>[0-9a-f]{40})""#,
        ),
        check: Check::Shape,
        spans_lines: true,
        stops_at_url_host: false,
    },
    Rule {
        name: "password-flag",
        keywords: &["mysql", "mariadb", "sshpass", "login", "curl"],
        // Passwords given as command-line flags, as a `set -x` trace or an echoed command
        // shows them: `mysql -pS3cr3t`, `sshpass -p pw`, `docker login -p pw`,
        // `curl -u user:pw`. Case-sensitive: `mysql -P 3306` is a port.
        pattern: concat!(
            r"(?-u:\b)(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)(?:[ \t]+[^\s]+)*?[ \t]+-p(?P<secret>[^\s'\x22]+)",
            r"|(?-u:\b)sshpass[ \t]+-p[ \t]*['\x22]?(?P<secret2>[^\s'\x22]+)",
            r"|(?-u:\b)(?:docker|podman|nerdctl|buildah|skopeo|helm|oras|crane)(?:[ \t]+registry)?[ \t]+login(?:[ \t]+[^\s]+)*?[ \t]+(?:-p|--password)(?:[ \t]+|=)['\x22]?(?P<secret3>[^\s'\x22]+)",
            r"|(?-u:\b)curl(?:[ \t]+[^\s]+)*?[ \t]+(?:-u|--user)(?:[ \t]+|=)?['\x22]?[^\s:'\x22]*:(?P<secret4>[^\s'\x22]+)",
        ),
        check: Check::Password,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "aws-secret-key",
        keywords: &["akia", "asia", "aws"],
        // A bare 40-character secret access key on the line of its key id or of `aws`
        // (`aws creds: AKIA… <secret>`), where no `key=` names it; `(?i:…)` keeps the rest of
        // the pattern case-sensitive.
        // The keyword is part of the match, so the rule reads only its own line.
        pattern: concat!(
            r"(?i:aws|akia|asia)[^\n]*?[^A-Za-z0-9/+=\n](?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|(?m:$))",
            r"|(?:(?m:^)|[^A-Za-z0-9/+=])(?P<secret2>[A-Za-z0-9/+]{40})[^A-Za-z0-9/+=\n][^\n]*?(?i:aws|akia|asia)",
        ),
        check: Check::MixedCase,
        spans_lines: false,
        stops_at_url_host: false,
    },
    Rule {
        name: "password-assignment",
        keywords: &["pass", "pwd", "credential", "_pat", "-pat", ".pat"],
        // As `secret-assignment`, for keys that name a password, with any value of 3+
        // characters that is not plainly something else (see `Check::Password`).
        pattern: concat!(
            r#"(?i)(?:(?-u:\b)(?P<key>[A-Za-z0-9_.-]*"#,
            password_key!(),
            r#"(?:[_.-][A-Za-z0-9_.-]*)?)["']?[ \t]*[:=][ \t]*|--(?P<keyflag>[A-Za-z0-9-]*"#,
            password_key!(),
            r#"(?:-[A-Za-z0-9-]*)?)(?:=|[ \t]+))["']?(?P<secret>[^\s"'`,;&<>(){}\[\]:][^\s"'`,;&<>(){}\[\]]{2,})"#
        ),
        check: Check::Password,
        spans_lines: false,
        stops_at_url_host: true,
    },
    Rule {
        name: "secret-assignment",
        keywords: &["key", "secret", "token", "passw", "pwd", "credential"],
        // env `NAME=v`, YAML `name: v`, JSON `"name": "v"`, flags `--name=v` / `--name v`.
        pattern: concat!(
            r#"(?i)(?:(?-u:\b)(?P<key>[A-Za-z0-9_.-]*"#,
            secret_key!(),
            r#"[A-Za-z0-9_.-]*)["']?[ \t]*[:=][ \t]*|--(?P<keyflag>[A-Za-z0-9-]*"#,
            secret_key!(),
            r#"[A-Za-z0-9-]*)(?:=|[ \t]+))["']?(?P<secret>[^\s"'`,;&<>(){}\[\]:][^\s"'`,;&<>(){}\[\]]{7,})"#
        ),
        check: Check::Entropy(2.5),
        spans_lines: false,
        stops_at_url_host: true,
    },
    Rule {
        name: "token-phrase",
        keywords: &["token", "secret", "pass", "api"],
        // A token named in prose rather than assigned: `Using token <hex>`, `using API token
        // <40 chars>`, `the secret is <value>`. 20+ characters with letters and digits.
        pattern: r#"(?i)(?-u:\b)(?:token|secret|password|passphrase|api[ _-]?key)[ \t]+(?:is[ \t]+)?["'`]?(?P<secret>[A-Za-z0-9_-][A-Za-z0-9_+/=.~-]{19,})"#,
        check: Check::TokenLike(3.0),
        spans_lines: false,
        stops_at_url_host: false,
    },
];

#[cfg(test)]
mod tests {
    /// A Unicode `\b` makes the regex crate's lazy DFA give up on non-ASCII input and fall back
    /// to a slower engine: 30× slower on a 64 KiB log with a 40 KB line. Rules use `(?-u:\b)`.
    #[test]
    fn word_boundaries_are_ascii() {
        for rule in super::BUILTIN {
            let bare = rule.pattern.replace(r"(?-u:\b)", "");
            assert!(!bare.contains(r"\b"), "{}: use (?-u:\\b)", rule.name);
        }
    }
}
