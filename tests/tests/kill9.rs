//! Durability under kill -9: a child process ingests bursts of concurrent durable ingests and
//! prints each acknowledged step; it is SIGKILLed at a random moment; the store is reopened and
//! every acknowledged row must be there, byte for byte; odd trials commit with quick repair on,
//! so both of redb's repair paths are crossed. `CITAIL_KILL_TRIALS` sets the number of
//! trials (default 40; `scripts/test.sh` runs 200; set thousands for a long run).
//!
//! Three trials in four wait for the writer's first acknowledgement before the random delay
//! starts, so they kill during the writes however slow a loaded machine is to start a process
//! and repair the store; the fourth kills at a random moment from the spawn, which may fall in
//! the open or the repair itself. A waiting trial whose writer acknowledges nothing within
//! [`FIRST_ACK_TIMEOUT`] fails the test: the store could not be reopened and written to.
use citail::{Options, Store};
use citail_tests::{crash_tail, sha};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Trials that share one store file. A file that grew over hundreds of trials made each
/// reopen's repair and integrity check slower than the last (debug builds walk every page);
/// a fresh file every so many trials keeps a trial's cost flat, and every trial still crosses
/// a kill of a file holding the rows of the trials before it.
const TRIALS_PER_FILE: u64 = 25;

/// How long a waiting trial gives the writer to acknowledge its first row: a process start,
/// a repair of the store left by the last kill, one durable commit, on a busy machine.
const FIRST_ACK_TIMEOUT: Duration = Duration::from_secs(120);

#[test]
fn every_acknowledged_row_survives_kill_9() {
    let trials: u64 = std::env::var("CITAIL_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let dir = tempfile::tempdir().expect("dir");
    let mut acknowledged: Vec<String> = Vec::new();
    let mut checked: usize = 0;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let started = Instant::now();
    let mut waiting_trials: u64 = 0;
    for trial in 0..trials {
        let path = dir
            .path()
            .join(format!("crash-{}.redb", trial / TRIALS_PER_FILE));
        if trial % TRIALS_PER_FILE == 0 {
            checked += acknowledged.len();
            acknowledged.clear();
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
            .arg(&path)
            .arg(trial.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the writer");
        let stdout = child.stdout.take().expect("stdout");
        let (first_ack_tx, first_ack) = mpsc::channel::<()>();
        let reader = std::thread::spawn(move || {
            // Only complete lines count: a line cut by the kill was never acknowledged.
            let mut acks = Vec::new();
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if let Some(step) = line.strip_prefix("ack ").and_then(|l| l.strip_suffix('\n')) {
                    acks.push(step.to_owned());
                    let _ = first_ack_tx.send(());
                }
                line.clear();
            }
            acks
        });
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let waits_for_first_ack = trial % 4 != 3;
        if waits_for_first_ack {
            waiting_trials += 1;
            if first_ack.recv_timeout(FIRST_ACK_TIMEOUT).is_err() {
                let _ = child.kill();
                panic!("trial {trial}: the writer acknowledged nothing in {FIRST_ACK_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis((seed >> 33) % 250));
        } else {
            std::thread::sleep(Duration::from_millis((seed >> 33) % 400));
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        acknowledged.extend(reader.join().expect("reader"));

        let store = Store::open(&path, Options::default()).expect("reopen after kill -9");
        let rows = store.logs_for("acme/app", &sha(1)).expect("lookup");
        let stored: std::collections::HashMap<&str, &str> = rows
            .iter()
            .map(|r| (r.step_name.as_str(), r.log_tail.as_str()))
            .collect();
        for step in &acknowledged {
            match stored.get(step.as_str()) {
                Some(tail) => assert_eq!(*tail, crash_tail(step), "trial {trial}: {step} damaged"),
                None => panic!("trial {trial}: acknowledged row {step} lost"),
            }
        }
        assert_eq!(store.stats().expect("stats").rows as usize, rows.len());
    }
    eprintln!(
        "kill -9: {trials} trials ({waiting_trials} killed during writes), {} acknowledged rows checked, 0 lost ({:.1} s)",
        checked + acknowledged.len(),
        started.elapsed().as_secs_f64()
    );
}
