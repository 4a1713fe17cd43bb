//! N-API binding of citail: the npm package `citail` for Bun and Node.
//!
//! The binding is thin: it converts JS values, maps errors to stable codes (see `error.rs`) and
//! moves disk work off the JS thread. Behaviour lives in the `citail` crate and is tested there.
#![deny(clippy::unwrap_used)]

mod convert;
mod error;
mod packed;
mod store;

use convert::{read_history_opt, read_logs, read_number_opt, read_older_opt, read_text, Highlight};
use error::{guarded, Failure};
use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;

/// Default byte budget of `renderPromptBlock`.
const DEFAULT_PROMPT_BYTES: usize = 64 * 1024;

/// Renders rows from `logsFor` as the Markdown block appended to a fix-CI prompt: `""` for no
/// rows; otherwise a heading saying the excerpts are data, then per step a header, its failure
/// highlights (`L812: ...`) and its tail, each in a fence no log line can close. At most
/// `maxBytes` bytes (default 65536): every step is named with its highlights while they fit and
/// the tails share the rest; otherwise highlights shrink, then the oldest steps are left out and
/// named in a closing note. `older` (from `stepsBefore` on the oldest row a limited `logsFor`
/// read) is counted and named in a last note, so no step is lost silently. `history` (from
/// `historyFor` on the same rows) adds one line per step that has something to say (the same
/// failure on other commits, on this branch before, on earlier attempts, or new) and a summary
/// when several do; a row's `command` is shown under its header.
#[napi(
    catch_unwind,
    ts_args_type = "logs: CiLog[], options?: { maxBytes?: number; older?: OlderSteps; history?: FailureHistory[] }"
)]
pub fn render_prompt_block(
    env: Env,
    logs: Unknown,
    options: Option<Unknown>,
) -> napi::Result<String> {
    guarded(|| {
        let max = read_number_opt(options, "maxBytes")?.map_or(DEFAULT_PROMPT_BYTES, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        });
        let context = citail::PromptContext {
            older: read_older_opt(options)?,
            history: read_history_opt(options)?,
        };
        Ok(citail::render_prompt_block_with(
            &read_logs(logs)?,
            &context,
            max,
        ))
    })
    .map_err(|f: Failure| f.into_napi(&env))
}

/// The lines of `text` that name a failure (compiler and type errors, test failures, panics,
/// crashes, runner errors, ...), in log order, repeats collapsed into one with a count: at most
/// `maxLines` (default 30) and `maxBytes` of text (default 4096). The same rules ingest uses.
#[napi(
    catch_unwind,
    ts_args_type = "text: string, options?: { maxLines?: number; maxBytes?: number }"
)]
pub fn find_highlights(
    env: Env,
    text: Unknown,
    options: Option<Unknown>,
) -> napi::Result<Vec<Highlight>> {
    guarded(|| {
        let text = read_text(text, "text")?;
        let lines = read_number_opt(options, "maxLines")?.map_or(30, usize_of);
        let bytes = read_number_opt(options, "maxBytes")?.map_or(4096, usize_of);
        Ok(citail::find_highlights(&text, lines, bytes)
            .into_iter()
            .map(Highlight::from)
            .collect())
    })
    .map_err(|f| f.into_napi(&env))
}

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The longest suffix of `text` with at most `maxLines` lines (default 200) and at most
/// `maxBytes` UTF-8 bytes (default 32768), never splitting a character.
#[napi(
    catch_unwind,
    ts_args_type = "text: string, maxLines?: number, maxBytes?: number"
)]
pub fn truncate_tail(
    env: Env,
    text: Unknown,
    max_lines: Option<Unknown>,
    max_bytes: Option<Unknown>,
) -> napi::Result<String> {
    guarded(|| {
        let text = read_text(text, "text")?;
        let lines = convert::read_count_arg(max_lines, "maxLines")?.unwrap_or(200);
        let bytes = convert::read_count_arg(max_bytes, "maxBytes")?.unwrap_or(32 * 1024);
        Ok(citail::truncate_tail(&text, lines, bytes).to_owned())
    })
    .map_err(|f| f.into_napi(&env))
}

/// Whether `value` is an error thrown or rejected by citail: an `Error` whose `code` is one of
/// `CiLogErrorCode`. Narrows `unknown` in a `catch` block.
#[napi(
    catch_unwind,
    ts_args_type = "value: unknown",
    ts_return_type = "value is CiLogError"
)]
pub fn is_ci_log_error(value: Unknown) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        error::is_ci_log_error(value)
    }))
    .unwrap_or(false)
}
