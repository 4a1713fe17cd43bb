//! Simulated weeks of traffic on one store, for the growth example and test: does the file
//! level off once rows start to expire?
//!
//! Fixture rows arrive in bursts of a failing matrix ([`BURST`] durable ingests, as the server
//! makes them), spread evenly over each simulated day; a prune runs every 10 simulated minutes.

use crate::{load_fixtures, log, sha, Fixture};
use citail::{Options, Store};
use std::path::Path;
use std::sync::mpsc::channel;

const MINUTE: u64 = 60 * 1000;
/// A simulated day, in milliseconds.
pub const DAY: u64 = 24 * 60 * MINUTE;
/// 2026-01-01T00:00:00Z: the simulation's day 0.
const START: u64 = 1_767_225_600_000;
/// Rows posted together: one failing matrix.
pub const BURST: u64 = 8;

/// How much traffic to simulate.
#[derive(Debug, Clone, Copy)]
pub struct Traffic {
    /// Simulated days.
    pub days: u64,
    /// Rows posted per day.
    pub rows_per_day: u64,
    /// How long rows live, in days.
    pub retention_days: u64,
}

/// The store at the end of one simulated day.
#[derive(Debug, Clone, Copy)]
pub struct DayEnd {
    /// 1 for the first day.
    pub day: u64,
    /// Rows posted so far.
    pub posted: u64,
    /// Rows in the store (at most one prune interval's worth of them expired).
    pub rows: u64,
    /// The file's size.
    pub file_bytes: u64,
}

/// Runs `traffic` against a fresh store at `path`, calling `day_end` after each day. The store
/// is closed when it returns.
///
/// # Errors
/// Any error of the store.
pub fn simulate(
    path: &Path,
    traffic: Traffic,
    mut day_end: impl FnMut(DayEnd),
) -> citail::Result<()> {
    let options = Options::default().retention_ms(traffic.retention_days * DAY);
    let store = Store::open(path, options)?;
    let fixtures = load_fixtures();
    let intervals_per_day = DAY / (10 * MINUTE);
    let mut posted = 0u64;
    for day in 0..traffic.days {
        for interval in 0..intervals_per_day {
            let now = START + day * DAY + interval * 10 * MINUTE;
            let due =
                (day * intervals_per_day + interval + 1) * traffic.rows_per_day / intervals_per_day;
            while posted < due {
                let burst = BURST.min(due - posted);
                post_burst(&store, &fixtures, posted, burst, now)?;
                posted += burst;
            }
            store.prune_at(now)?;
        }
        let stats = store.stats()?;
        day_end(DayEnd {
            day: day + 1,
            posted,
            rows: stats.rows,
            file_bytes: stats.file_bytes,
        });
    }
    Ok(())
}

/// Posts `count` rows at once (one failing matrix) and waits for all of them.
fn post_burst(
    store: &Store,
    fixtures: &[Fixture],
    first: u64,
    count: u64,
    now: u64,
) -> citail::Result<()> {
    let (done, results) = channel();
    for n in first..first + count {
        let fixture = &fixtures[(n % fixtures.len() as u64) as usize];
        let head = sha(n / BURST);
        let log = log("acme/widgets", &head, &fixture.name, fixture.wire_tail());
        let done = done.clone();
        store.submit(store.ticket(), &log, now, move |r| drop(done.send(r)));
    }
    drop(done);
    results.into_iter().try_for_each(|r| r.map(drop))
}
