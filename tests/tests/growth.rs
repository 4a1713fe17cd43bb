//! The file levels off: once rows expire, pruned pages are reused, so eight simulated days at a
//! one-day retention end with a file no larger than twice its size after day two. A store that
//! never reused a page would hold the pages of all eight days' rows: about 8 MB of tails against
//! 1.7 MB measured. Figures for 30 days:
//! `cargo run --release -p citail-examples --bin growth`.
use citail_tests::growth::{simulate, Traffic};

#[test]
fn the_file_levels_off_once_rows_expire() {
    let dir = tempfile::tempdir().expect("dir");
    let traffic = Traffic {
        days: 8,
        rows_per_day: 300,
        retention_days: 1,
    };
    let mut days = Vec::new();
    simulate(&dir.path().join("growth.redb"), traffic, |end| {
        days.push(end)
    })
    .expect("simulate");
    let steady = days[1].file_bytes;
    let last = days[7];
    // One day of rows live (plus at most one 10-minute interval's worth awaiting prune).
    assert!(last.rows >= 300 && last.rows <= 303, "{last:?}");
    println!(
        "file bytes at the end of each day: {:?}",
        days.iter().map(|d| d.file_bytes).collect::<Vec<_>>()
    );
    assert!(
        last.file_bytes <= 2 * steady,
        "the file keeps growing: {:?}",
        days.iter().map(|d| d.file_bytes).collect::<Vec<_>>()
    );
}
