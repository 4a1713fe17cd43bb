//! Measures bytes on disk per stored row for the fixture corpus.
//!
//! Ingests every fixture log `ROUNDS` times under distinct identities (so the file holds a few
//! thousand rows of the real size mix), then prints rows, tail bytes, file bytes and the ratio.
//! Beside it, in the same run, the same rows go into a plain redb table that stores each row as
//! one value (key, metadata and whole tail together): the layout citail avoids, because a value
//! just over 32 KiB lands in a 64 KiB page.
//! Run: `cargo run --release -p citail-examples --bin disk-usage`.

use citail::{NewLog, Options, Store};
use citail_tests::{load_fixtures, sha};

const ROUNDS: u64 = 100;

fn main() -> Result<(), citail::Error> {
    let dir = std::env::temp_dir().join(format!("citail-disk-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("usage.redb");
    let store = Store::open(&path, Options::default())?;
    let fixtures = load_fixtures();
    for round in 0..ROUNDS {
        let head = sha(round);
        for fixture in &fixtures {
            let log = NewLog {
                repo: "acme/widgets",
                run_id: "1",
                job_id: "1",
                step_name: &fixture.name,
                head_sha: &head,
                conclusion: "failure",
                log_tail: fixture.wire_tail(),
                ..Default::default()
            };
            store.ingest_at(&log, round)?;
        }
    }
    let stats = store.stats()?;
    let rows = stats.rows.max(1);
    println!(
        "fixtures: {} logs x {ROUNDS} rounds = {} rows",
        fixtures.len(),
        stats.rows
    );
    println!(
        "stored tail bytes: {} ({} per row)",
        stats.stored_bytes,
        stats.stored_bytes / rows
    );
    println!(
        "file bytes:        {} ({} per row)",
        stats.file_bytes,
        stats.file_bytes / rows
    );
    #[allow(clippy::cast_precision_loss)]
    let ratio = stats.file_bytes as f64 / stats.stored_bytes.max(1) as f64;
    println!("file / stored tail bytes: {ratio:.2}x");
    drop(store);
    // redb grows its file in large regions, so the file size moves in steps; the size after
    // compaction is what the rows themselves take.
    let compacted = compacted_bytes(&path)?;
    #[allow(clippy::cast_precision_loss)]
    let compacted_ratio = compacted as f64 / stats.stored_bytes.max(1) as f64;
    println!(
        "after compaction:  {compacted} ({} per row), {compacted_ratio:.2}x",
        compacted / rows
    );

    let single = single_value_layout(&dir.join("single-value.redb"), &fixtures)?;
    #[allow(clippy::cast_precision_loss)]
    let single_ratio = single as f64 / stats.stored_bytes.max(1) as f64;
    println!(
        "peer, one redb value per row: file {single} bytes ({} per row), {single_ratio:.2}x",
        single / rows
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Compacts the closed store at `path` with redb and returns the file size after.
fn compacted_bytes(path: &std::path::Path) -> Result<u64, citail::Error> {
    let storage = |e: redb::Error| citail::Error::Storage(e);
    let mut db = redb::Database::open(path).map_err(|e| storage(e.into()))?;
    db.compact().map_err(|e| storage(e.into()))?;
    drop(db);
    Ok(std::fs::metadata(path)?.len())
}

/// The same rows stored one redb value each; returns the file size.
fn single_value_layout(
    path: &std::path::Path,
    fixtures: &[citail_tests::Fixture],
) -> Result<u64, citail::Error> {
    const TABLE: redb::TableDefinition<(&str, &str, u64, u64), &[u8]> =
        redb::TableDefinition::new("rows");
    let storage = |e: redb::Error| citail::Error::Storage(e);
    let db = redb::Database::create(path).map_err(|e| storage(e.into()))?;
    let mut id = 0;
    for round in 0..ROUNDS {
        let head = sha(round);
        for fixture in fixtures {
            id += 1;
            let tail = citail::truncate_tail(fixture.wire_tail(), 200, 32 * 1024);
            // run_id, job_id, step_name, conclusion and counters, then the tail.
            let mut value =
                format!("1\x001\x00{}\x00failure\x00{:016}", fixture.name, 0).into_bytes();
            value.extend_from_slice(tail.as_bytes());
            // One transaction per row, as citail commits each ingest.
            let tx = db.begin_write().map_err(|e| storage(e.into()))?;
            {
                let mut table = tx.open_table(TABLE).map_err(|e| storage(e.into()))?;
                table
                    .insert(("acme/widgets", head.as_str(), round, id), value.as_slice())
                    .map_err(|e| storage(e.into()))?;
            }
            tx.commit().map_err(|e| storage(e.into()))?;
        }
    }
    drop(db);
    Ok(std::fs::metadata(path)?.len())
}
