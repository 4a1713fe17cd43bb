//! Does the file level off? Simulates days of traffic on a simulated clock
//! (`citail_tests::growth`): fixture rows in bursts of a failing matrix, durable ingests, a
//! prune every 10 simulated minutes, 14-day retention. Prints, at the end of each day, the live
//! rows, the file's size and its size per live row, then what an offline compaction would give
//! back.
//!
//! Run: `cargo run --release -p citail-examples --bin growth` (30 days, 2,000 rows a day: about
//! half a minute), or `-- --quick` (5 days, 2-day retention, 200 rows a day: proves it works).
//! Prints a Markdown table.

use citail_tests::growth::{simulate, Traffic, BURST};

fn main() -> Result<(), citail::Error> {
    let traffic = if std::env::args().any(|a| a == "--quick") {
        Traffic {
            days: 5,
            rows_per_day: 200,
            retention_days: 2,
        }
    } else {
        Traffic {
            days: 30,
            rows_per_day: 2_000,
            retention_days: 14,
        }
    };
    let dir = std::env::temp_dir().join(format!("citail-growth-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("growth.redb");
    println!(
        "{} days, {} rows a day in bursts of {BURST}, a prune every 10 minutes, {}-day retention",
        traffic.days, traffic.rows_per_day, traffic.retention_days
    );
    println!("\n| day | rows posted | live rows | file | file per live row |");
    println!("|---:|---:|---:|---:|---:|");
    let simulated = simulate(&path, traffic, |end| {
        println!(
            "| {} | {} | {} | {:.1} MB | {} B |",
            end.day,
            end.posted,
            end.rows,
            mb(end.file_bytes),
            end.file_bytes / end.rows.max(1),
        );
    });
    let compacted = simulated.and_then(|()| citail::compact(&path));
    std::fs::remove_dir_all(&dir)?;
    let compacted = compacted?;
    println!(
        "\nclosed after day {}: {:.1} MB; `citail compact` would make it {:.1} MB",
        traffic.days,
        mb(compacted.before),
        mb(compacted.after)
    );
    Ok(())
}

#[allow(clippy::cast_precision_loss)]
fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}
