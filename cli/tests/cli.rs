//! Every `citail` subcommand run as a process on a store built from the fixture logs: output,
//! `--json` shapes, exit statuses, the lock message, backup round trips and damage reports.

use citail::{NewLog, Options, Store};
use citail_tests::{load_fixtures, log, sha};
use redb::ReadableTable as _;
use serde_json::Value;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const REPO: &str = "acme/widgets";
/// 2026-01-01T00:00:00Z; rows are created one second apart from here.
const T0: u64 = 1_767_225_600_000;

/// A store holding every fixture log: commits 0, 1 and 2 of `REPO` get a third of them each,
/// and commit 9 of `other/repo` one; returns the folder and the file.
fn fixture_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ci-logs.redb");
    let store = Store::open(&path, Options::default()).expect("open");
    let now = citail::now_ms();
    for (i, fixture) in load_fixtures().iter().enumerate() {
        let head = sha(i as u64 % 3);
        let log = NewLog {
            repo: REPO,
            run_id: "812",
            job_id: "3",
            step_name: &fixture.name,
            head_sha: &head,
            conclusion: "failure",
            log_tail: fixture.wire_tail(),
            ..Default::default()
        };
        // Recent, so `show` (which hides expired rows) sees them.
        store
            .ingest_at(&log, now - 10_000 + i as u64)
            .expect("ingest");
    }
    let other = sha(9);
    let log = NewLog {
        repo: "other/repo",
        run_id: "1",
        job_id: "1",
        step_name: "build",
        head_sha: &other,
        conclusion: "failure",
        log_tail: "error: other\n",
        ..Default::default()
    };
    store.ingest_at(&log, now - 120_000).expect("ingest");
    (dir, path)
}

fn citail(args: &[&str], stdin: &[u8]) -> Output {
    citail_env(args, stdin, &[])
}

fn citail_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_citail"))
        .args(args)
        .env_remove("CITAIL_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn citail");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn json(output: &Output) -> Value {
    assert!(output.status.success(), "failed: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

#[test]
fn stats_reports_rows_bytes_times_and_schema() {
    let (_dir, path) = fixture_store();
    let n = load_fixtures().len() as u64 + 1;
    let stats = json(&citail(&["stats", p(&path), "--json"], b""));
    assert_eq!(stats["rows"], n);
    assert_eq!(stats["schema_version"], citail::SCHEMA_VERSION);
    assert!(stats["stored_bytes"].as_u64().expect("bytes") > 10_000);
    assert!(stats["oldest_created_at"].as_u64() < stats["newest_created_at"].as_u64());
    let human = citail(&["stats", p(&path)], b"");
    assert!(human.status.success());
    assert!(text(&human.stdout).contains(&format!("rows          {n}\n")));
}

#[test]
fn list_names_commits_newest_first_with_counts_and_steps() {
    let (_dir, path) = fixture_store();
    let all = json(&citail(&["list", p(&path), "--json"], b""));
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 4);
    let fixtures = load_fixtures();
    let newest = &all[0];
    let last = fixtures.len() - 1;
    assert_eq!(newest["head_sha"], sha(last as u64 % 3));
    let total: u64 = all.iter().map(|c| c["rows"].as_u64().expect("rows")).sum();
    assert_eq!(total, fixtures.len() as u64 + 1);
    assert!(newest["steps"]
        .as_array()
        .expect("steps")
        .contains(&Value::from(fixtures[last].name.as_str())));
    assert_eq!(all[3]["repo"], "other/repo");
    let only = json(&citail(
        &["list", p(&path), "--repo", "other/repo", "--json"],
        b"",
    ));
    assert_eq!(only.as_array().expect("array").len(), 1);
    let two = json(&citail(&["list", p(&path), "--limit", "2", "--json"], b""));
    assert_eq!(two.as_array().expect("array").len(), 2);
    let recent = json(&citail(
        &["list", p(&path), "--since", "90s", "--json"],
        b"",
    ));
    assert_eq!(
        recent.as_array().expect("array").len(),
        3,
        "other/repo is 2 minutes old"
    );
}

#[test]
fn show_prints_the_rows_and_exactly_the_dispatch_prompt() {
    let (_dir, path) = fixture_store();
    let head = sha(1);
    let expected = {
        let store = Store::open(&path, Options::default()).expect("open");
        let rows = store.recent_logs_for(REPO, &head, 50).expect("rows");
        let history = store.history_at(&rows, citail::now_ms()).expect("history");
        let context = citail::PromptContext {
            history,
            ..Default::default()
        };
        (
            rows.len(),
            citail::render_prompt_block_with(&rows, &context, 20_000),
        )
    };
    let prompt = citail(
        &[
            "show",
            p(&path),
            REPO,
            &head,
            "--prompt",
            "--budget",
            "20000",
        ],
        b"",
    );
    assert!(prompt.status.success());
    assert_eq!(text(&prompt.stdout), expected.1);
    let rows = json(&citail(&["show", p(&path), REPO, &head, "--json"], b""));
    assert_eq!(rows.as_array().expect("array").len(), expected.0);
    assert!(!rows[0]["log_tail"].as_str().expect("tail").is_empty());
    let human = text(&citail(&["show", p(&path), REPO, &head], b"").stdout);
    assert!(human.contains("── ") && human.contains("highlights:"));
    let none = citail(
        &["show", p(&path), REPO, &"deadbeef".repeat(5), "--prompt"],
        b"",
    );
    assert!(none.status.success() && none.stdout.is_empty());
    let bad = citail(&["show", p(&path), REPO, "xyz"], b"");
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("invalid field `head_sha`"));
    let usage = citail(&["show", REPO, &head], b"");
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage.stderr));
}

#[test]
fn ingest_stores_stdin_through_the_pipeline_and_refuses_bad_fields_writing_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("new.redb");
    let head = sha(4);
    let log = b"\x1b[31merror[E0425]: cannot find value `x`\x1b[0m\r\ntoken=ghp_0123456789abcdefghijABCDEFGHIJ012345\n";
    let done = json(&citail(
        &[
            "ingest",
            p(&path),
            "--repo",
            REPO,
            "--sha",
            &head,
            "--step",
            "build",
            "--json",
        ],
        log,
    ));
    assert_eq!(
        (done["redactions"].as_u64(), done["highlights"].as_u64()),
        (Some(1), Some(1))
    );
    let rows = json(&citail(&["show", p(&path), REPO, &head, "--json"], b""));
    assert_eq!(
        rows[0]["log_tail"],
        "error[E0425]: cannot find value `x`\ntoken=[REDACTED:github-token]\n"
    );
    let bad = citail(
        &[
            "ingest",
            p(&path),
            "--repo",
            "no-slash",
            "--sha",
            &head,
            "--step",
            "x",
        ],
        b"boom\n",
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("invalid field `repo`"));
    let stats = json(&citail(&["stats", p(&path), "--json"], b""));
    assert_eq!(stats["rows"], 1);
}

#[test]
fn prune_deletes_what_is_past_retention_at_the_given_time() {
    let (_dir, path) = fixture_store();
    let kept = json(&citail(&["prune", p(&path), "--json"], b""));
    assert_eq!(kept["deleted"], 0);
    let day = json(&citail(
        &["prune", p(&path), "--retention", "1m", "--json"],
        b"",
    ));
    assert_eq!(day["deleted"], 1, "only other/repo is over a minute old");
    let all = json(&citail(
        &["prune", p(&path), "--now", "2099-01-01T00:00:00Z", "--json"],
        b"",
    ));
    assert_eq!(all["deleted"], load_fixtures().len() as u64);
}

#[test]
fn export_import_export_is_byte_identical() {
    let (dir, path) = fixture_store();
    let first = citail(&["export", p(&path)], b"");
    assert!(first.status.success());
    let lines = text(&first.stdout).lines().count();
    assert_eq!(lines, load_fixtures().len() + 1);
    let copy = dir.path().join("copy.redb");
    let imported = json(&citail(&["import", p(&copy), "--json"], &first.stdout));
    assert_eq!(imported["imported"], lines);
    assert_eq!(imported["rejected"], Value::Array(vec![]));
    let second = citail(&["export", p(&copy)], b"");
    assert!(first.stdout == second.stdout, "the second export differs");
    // Highlights and created_at came across, not recomputed.
    let row: citail::ExportedRow =
        serde_json::from_str(text(&second.stdout).lines().next().expect("line")).expect("row");
    assert!(row.created_at > T0);
    let repo_only = citail(&["export", p(&path), "--repo", "other/repo"], b"");
    assert_eq!(text(&repo_only.stdout).lines().count(), 1);
}

#[test]
fn import_reports_bad_lines_by_number_and_keeps_the_good_ones() {
    let (dir, path) = fixture_store();
    let export = text(&citail(&["export", p(&path), "--repo", "other/repo"], b"").stdout);
    let good = export.trim_end();
    let bad_sha = good.replace(&sha(9), &"z".repeat(40));
    let bad_highlight = good.replace(
        "\"highlights\":[",
        "\"highlights\":[{\"line\":0,\"text\":\"x\",\"repeats\":1},",
    );
    let input = format!(
        "{good}\n{{\"repo\":1}}\nnot json\n\n{bad_sha}\n{}\n{bad_highlight}\n",
        good.replace("\"build\"", "\"lint\"")
    );
    let target = dir.path().join("target.redb");
    let out = citail(&["import", p(&target), "--json"], input.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["imported"], 2);
    let lines: Vec<u64> = report["rejected"]
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, [2, 3, 5, 7]);
    assert!(report["rejected"][2]["error"]
        .as_str()
        .expect("error")
        .contains("head_sha"));
    let human = citail(
        &["import", p(&dir.path().join("t2.redb"))],
        input.as_bytes(),
    );
    assert!(text(&human.stderr).contains("line 7: invalid field `highlights`"));
}

#[test]
fn check_is_clean_on_a_healthy_store_and_reports_damage_with_status_1() {
    let (_dir, path) = fixture_store();
    let clean = json(&citail(&["check", p(&path), "--json"], b""));
    assert_eq!(clean["clean"], true);
    assert_eq!(clean["rows_checked"], load_fixtures().len() as u64 + 1);
    // Damage it behind citail's back: drop a time-index entry and skew a counter.
    {
        let db = redb::Database::open(&path).expect("raw open");
        let tx = db.begin_write().expect("tx");
        {
            let mut by_time = tx
                .open_table(redb::TableDefinition::<(u64, u64), (&str, &str)>::new(
                    "by_time",
                ))
                .expect("by_time");
            let first = by_time.first().expect("first").expect("an entry").0.value();
            by_time.remove(first).expect("remove");
            tx.open_table(redb::TableDefinition::<&str, u64>::new("meta"))
                .expect("meta")
                .insert("rows", 999)
                .expect("skew");
        }
        tx.commit().expect("commit");
    }
    let damaged = citail(&["check", p(&path), "--json"], b"");
    assert_eq!(damaged.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&damaged.stdout).expect("json");
    let problems = report["problems"].to_string();
    assert!(
        problems.contains("no matching time-index entry"),
        "{problems}"
    );
    assert!(problems.contains("counter rows records 999"), "{problems}");
    let human = text(&citail(&["check", p(&path)], b"").stdout);
    assert!(
        human.contains("problem: ") && human.contains("2 problem(s)"),
        "{human}"
    );
}

#[test]
fn a_damaged_store_is_exit_status_4_with_what_to_do() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("junk.redb");
    // redb's file signature, then garbage: a store file that is damaged.
    let mut bytes = b"redb\x1a\x0a\xa9\x0d\x0a".to_vec();
    bytes.resize(64 * 1024, 0x5a);
    std::fs::write(&path, &bytes).expect("write");
    let out = citail(&["check", p(&path)], b"");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is damaged"));
    assert!(text(&out.stderr).contains("citail import"));
}

/// A path that names some other file is said to be one, never called damaged, and the file is
/// left byte for byte by every subcommand.
#[test]
fn a_file_that_is_not_a_store_is_named_as_such_and_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("settings.toml");
    let bytes = b"listen = \"127.0.0.1:8787\"\n".to_vec();
    std::fs::write(&path, &bytes).expect("write");
    let sha = sha(1);
    for args in [
        vec!["stats", p(&path)],
        vec!["list", p(&path)],
        vec!["show", p(&path), REPO, &sha],
        vec!["export", p(&path)],
        vec!["check", p(&path)],
        vec!["prune", p(&path)],
        vec!["compact", p(&path)],
        vec![
            "ingest",
            p(&path),
            "--repo",
            REPO,
            "--sha",
            &sha,
            "--step",
            "t",
        ],
        vec!["import", p(&path)],
    ] {
        let out = citail(&args, b"");
        let message = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {message}");
        assert!(
            message.contains("is not a citail store: a text file"),
            "{args:?}: {message}"
        );
        assert!(!message.contains("damaged"), "{args:?}: {message}");
        assert_eq!(std::fs::read(&path).expect("read"), bytes, "{args:?}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

/// sha256 of a file, through the standard tool (no hashing crate for one test).
fn digest(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `stats`, `list`, `show`, `export` and `check` open the file without writing to it: its
/// checksum is the same after each, however often they run.
#[test]
fn reading_commands_never_change_the_file() {
    let (_dir, path) = fixture_store();
    let before = digest(&path);
    let sha = sha(0);
    for _ in 0..2 {
        for args in [
            vec!["stats", p(&path)],
            vec!["list", p(&path), "--limit", "400"],
            vec!["show", p(&path), REPO, &sha],
            vec!["show", p(&path), REPO, &sha, "--prompt"],
            vec!["export", p(&path)],
            vec!["check", p(&path)],
        ] {
            let out = citail(&args, b"");
            assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
            assert_eq!(digest(&path), before, "{args:?} changed the file");
        }
    }
}

/// The same commands on a copy the process cannot write: a read-only file in a folder it cannot
/// write, read by an unprivileged user (CI runs as root, who can write anything, so the binary
/// is run as `nobody` there).
#[test]
fn reading_commands_work_on_a_file_the_process_cannot_write() {
    let (_dir, path) = fixture_store();
    let shared = tempfile::tempdir().expect("dir");
    let copy = shared.path().join("backup.redb");
    std::fs::copy(&path, &copy).expect("copy");
    let binary = shared.path().join("citail");
    std::fs::copy(env!("CARGO_BIN_EXE_citail"), &binary).expect("copy binary");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let root = text(&Command::new("id").arg("-u").output().expect("id").stdout).trim() == "0";
    let sha = sha(0);
    for args in [
        vec!["stats", p(&copy), "--json"],
        vec!["list", p(&copy)],
        vec!["show", p(&copy), REPO, &sha, "--prompt"],
        vec!["export", p(&copy)],
        vec!["check", p(&copy)],
    ] {
        let mut command = if root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
            c.arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        let out = command
            .args(&args)
            .env_remove("CITAIL_TOKEN")
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{args:?} as {}: {}",
            if root { "nobody" } else { "this user" },
            text(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
    }
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod back");
}

/// A reader that goes away (`citail list … | head -1`) ends the command quietly: exit 0, no
/// panic, nothing on stderr.
#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let (_dir, path) = fixture_store();
    let sha = sha(0);
    for args in [
        vec!["stats", p(&path)],
        vec!["list", p(&path), "--limit", "400"],
        vec!["list", p(&path), "--json"],
        vec!["show", p(&path), REPO, &sha],
        vec!["show", p(&path), REPO, &sha, "--prompt"],
        vec!["export", p(&path)],
        vec!["check", p(&path)],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_citail"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // The reader is gone before the first byte is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[test]
fn compact_gives_space_back_after_a_large_prune() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("big.redb");
    {
        let store = Store::open(&path, Options::default().durable(false)).expect("open");
        let fixtures = load_fixtures();
        for round in 0..20u64 {
            for fixture in &fixtures {
                let head = sha(round);
                let log = log(REPO, &head, &fixture.name, fixture.wire_tail());
                store.ingest_at(&log, T0 + round).expect("ingest");
            }
        }
        assert!(store.prune_at(u64::MAX / 2).expect("prune") > 400);
    }
    let sizes = json(&citail(&["compact", p(&path), "--json"], b""));
    let (before, after) = (
        sizes["before"].as_u64().expect("before"),
        sizes["after"].as_u64().expect("after"),
    );
    assert!(after * 2 < before, "{before} -> {after}");
    assert_eq!(std::fs::metadata(&path).expect("stat").len(), after);
    let stats = json(&citail(&["stats", p(&path), "--json"], b""));
    assert_eq!(stats["rows"], 0);
}

/// A held file is refused at once rather than waited on; the bound is loose because a busy
/// two-core machine can take a second or more just to start a process.
#[test]
fn a_store_held_by_another_process_is_explained_without_waiting() {
    let (_dir, path) = fixture_store();
    // This test process holds the file, as the server would.
    let held = Store::open(&path, Options::default()).expect("open");
    for args in [
        vec!["stats", p(&path)],
        vec!["list", p(&path)],
        vec!["export", p(&path)],
        vec!["check", p(&path)],
        vec!["compact", p(&path)],
        vec!["prune", p(&path)],
    ] {
        let started = std::time::Instant::now();
        let out = citail(&args, b"");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{args:?} waited for the lock"
        );
        assert_eq!(
            out.status.code(),
            Some(3),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let message = text(&out.stderr);
        assert!(message.contains(p(&path)), "{message}");
        assert!(message.contains("open in another process"), "{message}");
        assert!(message.contains("citail show --url"), "{message}");
    }
    drop(held);
}

#[test]
fn a_missing_file_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("typo.redb");
    for command in ["stats", "list", "check", "compact", "prune", "export"] {
        let out = citail(&[command, p(&path)], b"");
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert!(text(&out.stderr).contains("no store at"), "{command}");
        assert!(!path.exists(), "{command} created the file");
    }
}

#[test]
fn show_url_reads_the_route_with_the_token_from_the_environment() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr");
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().expect("accept");
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let body = "{\"rows\":[],\"prompt\":\"\\n\\n## CI log excerpts\\n\"}";
        write!(
            socket,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("answer");
        String::from_utf8_lossy(&request).into_owned()
    });
    let token = "t".repeat(40);
    let url = format!("http://{address}");
    let head = sha(1);
    let out = citail_env(
        &["show", "--url", &url, REPO, &head, "--prompt"],
        b"",
        &[("CITAIL_TOKEN", &token)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "\n\n## CI log excerpts\n");
    let request = server.join().expect("server");
    assert!(
        request.starts_with(&format!(
            "GET /internal/ci-log?repo=acme%2Fwidgets&head_sha={head} HTTP/1.1"
        )),
        "{request}"
    );
    assert!(request
        .to_lowercase()
        .contains(&format!("authorization: bearer {token}")));
    let no_token = citail(&["show", "--url", &url, REPO, &head], b"");
    assert_eq!(no_token.status.code(), Some(1));
    assert!(text(&no_token.stderr).contains("CITAIL_TOKEN"));
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    for command in [
        "stats", "list", "show", "ingest", "prune", "export", "import", "check", "compact",
    ] {
        let out = citail(&[command, "--help"], b"");
        assert!(out.status.success(), "{command}");
        assert!(
            text(&out.stdout).contains("Example"),
            "{command} --help has no example"
        );
    }
}

#[test]
fn history_says_what_failed_the_same_way_elsewhere() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("memory.redb");
    let failing = "thread 'parse::empty' panicked at src/parse.rs:41:9:\nindex out of bounds\n";
    {
        let store = Store::open(&path, Options::default()).expect("open");
        for (n, git_ref, tail) in [
            (1, "main", failing),
            (2, "feature/x", failing),
            (
                3,
                "feature/x",
                "error[E0425]: cannot find value `x` in this scope\n",
            ),
        ] {
            let head = sha(n);
            let log = NewLog {
                git_ref: Some(git_ref),
                ..log(REPO, &head, "test", tail)
            };
            store.ingest(&log).expect("ingest");
        }
    }
    let c2 = text(&citail(&["history", p(&path), REPO, &sha(2)], b"").stdout);
    assert!(
        c2.contains("── test · run 100 · id 2 · feature/x\n"),
        "{c2}"
    );
    assert!(
        c2.contains("the same failure on 1 other commit(s)\n"),
        "{c2}"
    );
    let first = format!("   first:  {} (main, ", &sha(1)[..7]);
    assert!(c2.contains(&first), "{c2}");
    let c3 = text(&citail(&["history", p(&path), REPO, &sha(3)], b"").stdout);
    assert!(
        c3.contains("   new: no other commit failed this way\n"),
        "{c3}"
    );
    let json = json(&citail(
        &["history", p(&path), REPO, &sha(2), "--json"],
        b"",
    ));
    assert_eq!(json[0]["other_commits"], 1);
    assert_eq!(json[0]["first"]["ref"], "main");
    let bad = citail(&["history", p(&path), REPO], b"");
    assert_eq!(bad.status.code(), Some(2));
}
