//! The crate's modules depend on each other one way: every `use crate::…` (and every inline
//! `crate::a::b::` path in code) in `core/src` names a module of a lower layer than its own, or
//! a module inside its own. The layers are listed here, lowest first, and explained in
//! docs/design.md ("The three rooms of `core/src`"). Code under `#[cfg(test)]` and `tests.rs`
//! files may use anything. A module that is not listed fails the test, so a new one is placed
//! on purpose.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Lowest first. Modules on one line are peers: they may not use each other.
const LAYERS: &[&[&str]] = &[
    &["clock", "error", "model"],
    &["ingest::normalize", "ingest::truncate", "ingest::validate"],
    &["ingest::redact", "ingest::highlight", "ingest::fingerprint"],
    &["options"],
    &["ingest::pipeline"],
    &["prompt::render"],
    &["storage::layout"],
    &["storage::open"],
    &["storage::file_kind"],
    &["storage::tables"],
    &["storage::scan"],
    &["storage::reads", "storage::history"],
    &["storage::schema"],
    &["storage::check", "storage::dump", "storage::recover"],
    &["storage::live"],
    &["storage::commit"],
    &["storage::registry"],
    &["storage::store"],
    &["storage::read_only"],
    &["storage::compact"],
];

/// The module a path such as `storage::store::ingest` or `ingest::highlight::rules` belongs to
/// for layering: its first two segments under a room, its first one otherwise.
fn owner(path: &str) -> String {
    let parts: Vec<&str> = path.split("::").collect();
    match parts.as_slice() {
        [room @ ("ingest" | "storage" | "prompt"), module, ..] => format!("{room}::{module}"),
        [first, ..] => (*first).to_owned(),
        [] => String::new(),
    }
}

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read core/src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every module path a line names after `crate::`: `use crate::storage::layout::{…}` names
/// `storage::layout`; `use crate::{a, b}` would name `a` and `b` through lib.rs's re-exports,
/// which is itself a violation (an import must say where a thing lives).
fn named_modules(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if rest.starts_with('{') {
            found.push("{re-export}".to_owned());
            continue;
        }
        let path: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let modules: Vec<&str> = path
            .split("::")
            .take_while(|s| s.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .collect();
        // `crate::now_ms()`-style paths (a lowercase item at the crate root) end up here too;
        // they are re-exports as well.
        if !modules.is_empty() {
            found.push(modules.join("::"));
        }
    }
    found
}

#[test]
fn imports_run_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut uses_per_module: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under core/src");
        let module_path = relative
            .with_extension("")
            .to_string_lossy()
            .replace('/', "::");
        if matches!(
            module_path.as_str(),
            "lib" | "ingest" | "storage" | "prompt"
        ) || relative.file_name().is_some_and(|n| n == "tests.rs")
        {
            continue;
        }
        let me = owner(&module_path);
        let Some(my_rank) = rank(&me) else {
            problems.push(format!(
                "{}: module {me} is not in LAYERS",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read");
        for (number, line) in text.lines().enumerate() {
            if line.starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for named in named_modules(code) {
                *uses_per_module.entry(me.clone()).or_default() += 1;
                let theirs = owner(&named);
                if theirs == me {
                    continue;
                }
                // Storage sits above the prompt in the list but never uses it: the prompt
                // renders rows it is given, and storage hands rows out.
                let across = me.starts_with("storage::") && theirs.starts_with("prompt::");
                let ok = !across && rank(&theirs).is_some_and(|r| r < my_rank);
                if !ok {
                    problems.push(format!(
                        "{}:{}: {me} uses {named}, which is not below it: {}",
                        relative.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The check saw the imports it is about (a parser that found none would pass vacuously).
    for module in [
        "storage::store",
        "ingest::pipeline",
        "prompt::render",
        "storage::commit",
    ] {
        assert!(
            uses_per_module.get(module).copied().unwrap_or(0) >= 3,
            "{module}: too few crate imports found ({uses_per_module:?})"
        );
    }
}

#[test]
fn the_checker_refuses_an_upward_import() {
    // The parser and the ranks, on lines that must be refused.
    assert_eq!(
        named_modules("use crate::storage::layout::{ROWS, META};"),
        ["storage::layout"]
    );
    assert_eq!(
        named_modules("use crate::{Error, Result};"),
        ["{re-export}"]
    );
    let commit = rank(&owner("storage::commit")).expect("listed");
    let registry = rank(&owner("storage::registry")).expect("listed");
    assert!(commit < registry, "commit sits below registry");
    let pipeline = rank("ingest::pipeline").expect("listed");
    assert!(rank("storage::store").expect("listed") > pipeline);
    assert!(rank("prompt::render").expect("listed") < rank("storage::layout").expect("listed"));
    assert_eq!(owner("storage::store::ingest"), "storage::store");
}
