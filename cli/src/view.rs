//! How rows, times and sizes are shown to people, and the progress bar of long commands.

use std::io::IsTerminal;

/// Epoch milliseconds as RFC 3339 UTC, to the second.
pub fn time(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || format!("{ms} ms"),
            |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
}

/// A byte count for people: `17.7 MB (17688500 bytes)`.
pub fn bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let value = n as f64;
    let (scaled, unit) = if value >= 1e9 {
        (value / 1e9, "GB")
    } else if value >= 1e6 {
        (value / 1e6, "MB")
    } else if value >= 1e3 {
        (value / 1e3, "kB")
    } else {
        return format!("{n} bytes");
    };
    format!("{scaled:.1} {unit} ({n} bytes)")
}

/// One row's failure memory for people: the step, then what the store remembers.
pub fn history_text(row: &citail::CiLog, history: Option<&citail::FailureHistory>) -> String {
    let mut out = format!("── {} · run {} · id {}", row.step_name, row.run_id, row.id);
    if let Some(git_ref) = &row.git_ref {
        out.push_str(&format!(" · {git_ref}"));
    }
    if let Some(attempt) = row.run_attempt {
        out.push_str(&format!(" · attempt {attempt}"));
    }
    out.push('\n');
    let seen = |s: &citail::SeenOn| {
        let sha = s.head_sha.get(..7).unwrap_or(&s.head_sha);
        match &s.git_ref {
            Some(r) => format!("{sha} ({r}, {})", time(s.created_at)),
            None => format!("{sha} ({})", time(s.created_at)),
        }
    };
    match history {
        Some(h) if h.fingerprint.is_some() => {
            out.push_str(&format!(
                "   fingerprint {}\n",
                h.fingerprint.as_deref().unwrap_or_default()
            ));
            if h.is_new() {
                out.push_str("   new: no other commit failed this way\n");
            }
            if h.other_commits > 0 || h.other_commits_capped {
                let at_least = if h.other_commits_capped { "at least " } else { "" };
                out.push_str(&format!(
                    "   the same failure on {at_least}{} other commit(s)\n",
                    h.other_commits
                ));
            }
            if let Some(first) = &h.first {
                out.push_str(&format!("   first:  {}\n", seen(first)));
            }
            if let Some(newest) = &h.newest {
                out.push_str(&format!("   newest: {}\n", seen(newest)));
            }
            if let Some(branch) = &h.same_branch {
                out.push_str(&format!("   on this branch before: {}\n", seen(branch)));
            }
            if h.earlier_attempts > 0 {
                out.push_str(&format!(
                    "   earlier attempts of this run that failed the same way: {}\n",
                    h.earlier_attempts
                ));
            }
        }
        _ => out.push_str("   no fingerprint: nothing specific names this failure, or it was stored before schema 5\n"),
    }
    out
}

/// One row for people: a header line, its highlights, then the tail.
pub fn row_text(row: &citail::CiLog) -> String {
    let mut out = format!(
        "── {} · run {} · job {} · {} · {} · id {}\n",
        row.step_name,
        row.run_id,
        row.job_id,
        row.conclusion,
        time(row.created_at),
        row.id
    );
    if let Some(command) = &row.command {
        out.push_str(&format!(
            "   ran: {}\n",
            command.lines().next().unwrap_or_default()
        ));
    }
    let kept = row.log_tail.len();
    if row.truncated {
        out.push_str(&format!(
            "   last {kept} bytes of {} ({} lines posted)\n",
            row.original_bytes, row.original_lines
        ));
    }
    if !row.highlights.is_empty() {
        out.push_str("   highlights:\n");
        for h in &row.highlights {
            let repeats = if h.repeats > 1 {
                format!(" (×{})", h.repeats)
            } else {
                String::new()
            };
            out.push_str(&format!("   {:>6}: {}{repeats}\n", h.line, h.text));
        }
    }
    out.push_str(&row.log_tail);
    if !row.log_tail.is_empty() && !row.log_tail.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// A progress bar on stderr when it is a terminal; hidden when output is piped or redirected.
pub fn progress(total: u64, what: &'static str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} {bar:40} {pos}/{len} rows ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar.set_message(what);
    bar
}

/// A spinner on stderr for work of unknown length, hidden unless stderr is a terminal.
pub fn spinner(what: &'static str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(what);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
