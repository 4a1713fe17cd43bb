//! The one place citail reads the wall clock. Everything else takes `now` as a parameter, so
//! retention is exact in tests.

/// Milliseconds since the Unix epoch; 0 if the clock reads before 1970.
pub(crate) fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}
