//! Group commit seen from the public API: concurrent ingests all land, each acknowledged once
//! on disk, and of re-posts of one step the last arrival (ticket) is kept whatever order the
//! threads preparing them finish in.
mod common;

use citail::{Options, Store};
use citail_tests::sha;
use common::{log, temp_store};
use std::sync::mpsc::channel;
use std::sync::Arc;

#[test]
fn re_posts_submitted_in_reverse_arrival_order_keep_the_last_arrival() {
    let (_dir, store) = temp_store(Options::default());
    let head = sha(7);
    let tickets: Vec<_> = (0..200).map(|_| store.ticket()).collect();
    let last_id = tickets.last().map(citail::Ticket::id).expect("tickets");
    let (done, results) = channel();
    // Worst case for a naive "last commit wins": the last arrival is submitted first.
    for (n, ticket) in tickets.into_iter().enumerate().rev() {
        let done = done.clone();
        let tail = format!("attempt {n}\n");
        store.submit(
            ticket,
            &log("acme/app", &head, "test", &tail),
            10,
            move |r| {
                done.send(r).expect("send");
            },
        );
    }
    drop(done);
    let results: Vec<_> = results.iter().map(|r| r.expect("ingest")).collect();
    assert_eq!(results.len(), 200);
    // Only the last arrival was ever written; every earlier one found it already stored.
    assert_eq!(results.iter().filter(|r| r.superseded).count(), 199);
    let rows = store.logs_for_at("acme/app", &head, 11).expect("lookup");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].id, rows[0].log_tail.as_str()),
        (last_id, "attempt 199\n")
    );
    assert_eq!(store.stats().expect("stats").rows, 1);
}

#[test]
fn concurrent_threads_all_land_with_distinct_ids_and_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("g.redb");
    let store = Arc::new(Store::open(&path, Options::default()).expect("open"));
    let head = sha(8);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (store, head) = (Arc::clone(&store), head.clone());
            std::thread::spawn(move || {
                (0..250)
                    .map(|n| {
                        let step = format!("w{t}-n{n}");
                        let tail = format!("{step}\n");
                        store
                            .ingest_at(&log("acme/app", &head, &step, &tail), 5)
                            .expect("ingest")
                            .id
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2000);
    drop(store);
    let store = Store::open(&path, Options::default()).expect("reopen");
    let rows = store.logs_for_at("acme/app", &head, 6).expect("lookup");
    assert_eq!(rows.len(), 2000);
    assert!(rows
        .iter()
        .all(|r| r.log_tail == format!("{}\n", r.step_name)));
    // Ids are never reused after a reopen.
    let next = store
        .ingest_at(&log("acme/app", &head, "after", "x\n"), 7)
        .expect("ingest");
    assert!(next.id > *ids.last().expect("ids"));
}

#[test]
fn a_handle_closed_with_rows_in_flight_still_commits_them() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.redb");
    let head = sha(9);
    let (done, results) = channel();
    {
        let store = Store::open(&path, Options::default()).expect("open");
        for n in 0..100 {
            let done = done.clone();
            let step = format!("s{n}");
            let ticket = store.ticket();
            store.submit(ticket, &log("acme/app", &head, &step, "x\n"), 5, move |r| {
                done.send(r.is_ok()).expect("send");
            });
        }
    } // dropped: the writer drains its queue before the file closes
    drop(done);
    assert_eq!(results.iter().filter(|ok| *ok).count(), 100);
    let store = Store::open(&path, Options::default()).expect("reopen");
    assert_eq!(
        store
            .logs_for_at("acme/app", &head, 6)
            .expect("lookup")
            .len(),
        100
    );
}
