//! N-API binding of citail: the npm package `citail` for Bun and Node.
//!
//! The binding is thin: it converts JS values, maps errors to stable codes (see `error.rs`) and
//! moves disk work off the JS thread. Behaviour lives in the `citail` crate and is tested there.
#![deny(clippy::unwrap_used)]

mod convert;
mod error;
mod store;

use convert::{read_count, read_logs, read_number_opt};
use error::{guarded, Failure};
use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;

/// Default byte budget of `renderPromptBlock`.
const DEFAULT_PROMPT_BYTES: usize = 64 * 1024;

/// Renders rows from `logsFor` as the Markdown block appended to a fix-CI prompt: `""` for no
/// rows; otherwise a heading saying the excerpts are data, then each tail in a fence no log line
/// can close. At most `maxBytes` bytes (default 65536): the newest rows are kept whole, older ones
/// shortened or left out and named.
#[napi(
    catch_unwind,
    ts_args_type = "logs: CiLog[], options?: { maxBytes?: number }"
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
        Ok(citail::render_prompt_block(&read_logs(logs)?, max))
    })
    .map_err(|f: Failure| f.into_napi(&env))
}

/// The longest suffix of `text` with at most `maxLines` lines (default 200) and at most
/// `maxBytes` UTF-8 bytes (default 32768), never splitting a character.
#[napi(
    catch_unwind,
    ts_args_type = "text: string, maxLines?: number, maxBytes?: number"
)]
pub fn truncate_tail(
    env: Env,
    text: String,
    max_lines: Option<f64>,
    max_bytes: Option<f64>,
) -> napi::Result<String> {
    guarded(|| {
        let lines = read_count(max_lines, "maxLines")?.unwrap_or(200);
        let bytes = read_count(max_bytes, "maxBytes")?.unwrap_or(32 * 1024);
        Ok(citail::truncate_tail(&text, lines, bytes).to_owned())
    })
    .map_err(|f| f.into_napi(&env))
}
