//! The one place citail reads the wall clock. Everything else takes `now` as a parameter, so
//! retention is exact in tests.

/// Milliseconds since the Unix epoch, as citail stamps rows (`created_at`) and judges retention;
/// 0 if the clock reads before 1970. Callers that take a row's time themselves (the binding,
/// when a request arrives) use this one.
///
/// ```
/// assert!(citail::now_ms() > 1_700_000_000_000);
/// ```
pub fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}
