//! The `CiLogStore` class: sync methods run on the JS thread, async twins run the same work on
//! libuv's thread pool through napi's `AsyncTask`, so the event loop keeps ticking.

use crate::convert::{
    read_history_rows, read_number_opt, read_options, read_payload, read_row_position, read_text,
    read_time_opt, CommitStats, FailureHistory, IngestResult, OlderSteps, Recovered, StoreStats,
};
use crate::error::{guarded, Failure};
use crate::packed::PackedRows;
use napi::bindgen_prelude::{AsyncTask, Object, ToNapiValue, TypeName, Unknown};
use napi::JsDeferred;
use napi::{Env, Task};
use napi_derive::napi;
use std::sync::{Arc, Mutex, PoisonError};

/// A citail store opened from JS. See `CiLogStore.open`.
#[napi]
pub struct CiLogStore {
    /// `None` once `close()` ran; async work in flight keeps its own `Arc` and finishes.
    inner: Mutex<Option<Arc<citail::Store>>>,
    /// What `open` did with a damaged file, kept after `close()`.
    recovered: Option<Recovered>,
}

/// Work for the thread pool: a closure producing a result or a failure.
pub struct Job<R> {
    work: Option<Box<dyn FnOnce() -> Result<R, Failure> + Send>>,
}

impl<R> Job<R> {
    fn new(work: impl FnOnce() -> Result<R, Failure> + Send + 'static) -> AsyncTask<Self>
    where
        Self: Task,
    {
        AsyncTask::new(Job {
            work: Some(Box::new(work)),
        })
    }
}

impl<R: ToNapiValue + TypeName + Send + 'static> Task for Job<R> {
    type Output = Result<R, Failure>;
    type JsValue = R;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let work = self.work.take();
        Ok(guarded(|| match work {
            Some(work) => work(),
            None => Err(Failure::Panic("job ran twice".to_owned())),
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<R> {
        output.map_err(|failure| failure.into_napi(&env))
    }
}

#[napi]
impl CiLogStore {
    /// Opens (or creates) the store file at `path`. Opening a path already open in this process
    /// shares its database; a path held by another process throws `STORE_LOCKED`.
    #[napi(catch_unwind, ts_args_type = "path: string, options?: StoreOptions")]
    pub fn open(env: Env, path: Unknown, options: Option<Unknown>) -> napi::Result<CiLogStore> {
        let result = guarded(|| {
            let path = read_text(path, "path")?;
            if path.is_empty() {
                return Err(Failure::field("path", "must not be empty"));
            }
            let options = read_options(options)?;
            Ok(citail::Store::open(&path, options)?)
        });
        match result {
            Ok(store) => Ok(CiLogStore {
                recovered: store.recovery().map(|r| Recovered {
                    moved_to: r.moved_to.to_string_lossy().into_owned(),
                    reason: r.reason.clone(),
                }),
                inner: Mutex::new(Some(Arc::new(store))),
            }),
            Err(failure) => Err(failure.into_napi(&env)),
        }
    }

    fn handle(&self) -> Result<Arc<citail::Store>, Failure> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.as_ref().map(Arc::clone).ok_or(Failure::Closed)
    }

    /// Validates and stores one wire payload off the JS thread.
    ///
    /// The row's place in the arrival order (its id) and its `createdAt` are taken here, on the
    /// JS thread, in call order; validation and the pipeline run on the thread pool; the write
    /// joins the store's next group commit. The promise resolves once the row is on disk, and
    /// of concurrent posts of one step the last one called is the one kept.
    #[napi(
        catch_unwind,
        ts_args_type = "payload: unknown, opts?: { createdAt?: number }",
        ts_return_type = "Promise<IngestResult>"
    )]
    pub fn ingest<'env>(
        &self,
        env: &'env Env,
        payload: Unknown,
        opts: Option<Unknown>,
    ) -> napi::Result<Object<'env>> {
        let (deferred, promise) = env.create_deferred::<IngestResult, Settle>()?;
        let prepared = guarded(|| {
            let store = self.handle()?;
            let log = read_payload(payload)?;
            let created_at = read_time_opt(opts, "createdAt")?.unwrap_or_else(citail::now_ms);
            let ticket = store.ticket();
            Ok((store, log, created_at, ticket))
        });
        match prepared {
            // Argument errors reject the promise too, so callers handle one error path.
            Err(failure) => settle(deferred, Err(failure)),
            Ok((store, log, created_at, ticket)) => {
                env.spawn(Submit {
                    work: Some((store, log, created_at, ticket)),
                    deferred: Arc::new(Mutex::new(Some(deferred))),
                })?;
            }
        }
        Ok(promise)
    }

    /// `ingest`, on the calling thread.
    #[napi(
        catch_unwind,
        ts_args_type = "payload: unknown, opts?: { createdAt?: number }"
    )]
    pub fn ingest_sync(
        &self,
        env: Env,
        payload: Unknown,
        opts: Option<Unknown>,
    ) -> napi::Result<IngestResult> {
        guarded(|| {
            let store = self.handle()?;
            let log = read_payload(payload)?;
            let created_at = read_time_opt(opts, "createdAt")?;
            Ok(ingest_now(&store, &log, created_at)?.into())
        })
        .map_err(|f| f.into_napi(&env))
    }

    /// `logsFor` in the wire form `index.js` decodes (see `packed.rs`), off the JS thread.
    #[napi(catch_unwind, skip_typescript)]
    pub fn logs_for_packed(
        &self,
        repo: Unknown,
        head_sha: Unknown,
        opts: Option<Unknown>,
    ) -> AsyncTask<Job<PackedRows>> {
        // Every argument error is captured here and rejects the promise: never a sync throw.
        let prepared = guarded(|| Ok((self.handle()?, Lookup::read(repo, head_sha, opts)?)));
        Job::new(move || {
            let (store, lookup) = prepared?;
            lookup.packed(&store)
        })
    }

    /// `logsForSync` in the wire form `index.js` decodes (see `packed.rs`).
    #[napi(catch_unwind, skip_typescript)]
    pub fn logs_for_packed_sync(
        &self,
        env: Env,
        repo: Unknown,
        head_sha: Unknown,
        opts: Option<Unknown>,
    ) -> napi::Result<PackedRows> {
        guarded(|| {
            let store = self.handle()?;
            Lookup::read(repo, head_sha, opts)?.packed(&store)
        })
        .map_err(|f| f.into_napi(&env))
    }

    /// Whether `logsFor` with these arguments would find any row, answered on the calling
    /// thread from one index key (a few microseconds). `logsFor` uses it to answer a lookup that
    /// finds nothing without a trip to the thread pool. Throws as `logsForSync` does.
    #[napi(
        catch_unwind,
        ts_args_type = "repo: string, headSha: string, opts?: { now?: number; limit?: number }"
    )]
    pub fn has_logs_sync(
        &self,
        env: Env,
        repo: Unknown,
        head_sha: Unknown,
        opts: Option<Unknown>,
    ) -> napi::Result<bool> {
        guarded(|| {
            let store = self.handle()?;
            Lookup::read(repo, head_sha, opts)?.any(&store)
        })
        .map_err(|f| f.into_napi(&env))
    }

    /// The live steps of `row`'s commit stored before `row` (a `CiLog` from `logsFor`), off the
    /// JS thread: how many, and the newest `names` of them (default 20), without their logs.
    /// After `logsFor` with a `limit` returned `limit` rows, this on the first (oldest) of them
    /// says what the lookup did not read; pass it to `renderPromptBlock` as `older`.
    #[napi(
        catch_unwind,
        ts_args_type = "row: CiLog, opts?: { now?: number; names?: number }",
        ts_return_type = "Promise<OlderSteps>"
    )]
    pub fn steps_before(&self, row: Unknown, opts: Option<Unknown>) -> AsyncTask<Job<OlderSteps>> {
        let prepared = guarded(|| Ok((self.handle()?, StepsBefore::read(row, opts)?)));
        Job::new(move || {
            let (store, args) = prepared?;
            args.run(&store)
        })
    }

    /// `stepsBefore`, on the calling thread (one index key per older row plus `names` row
    /// values; no tail is read).
    #[napi(
        catch_unwind,
        ts_args_type = "row: CiLog, opts?: { now?: number; names?: number }"
    )]
    pub fn steps_before_sync(
        &self,
        env: Env,
        row: Unknown,
        opts: Option<Unknown>,
    ) -> napi::Result<OlderSteps> {
        guarded(|| StepsBefore::read(row, opts)?.run(&*self.handle()?))
            .map_err(|f| f.into_napi(&env))
    }

    /// What the store remembers of each row's failure (rows from `logsFor`), off the JS thread:
    /// one `FailureHistory` per row, in their order. The other commits of the repository whose
    /// step failed the same way (same fingerprint), the first and newest of them with their
    /// branches, the newest on the row's own branch, and the earlier attempts of its run. Pass
    /// it to `renderPromptBlock` as `history`.
    #[napi(
        catch_unwind,
        ts_args_type = "rows: CiLog[], opts?: { now?: number }",
        ts_return_type = "Promise<FailureHistory[]>"
    )]
    pub fn history_for(
        &self,
        rows: Unknown,
        opts: Option<Unknown>,
    ) -> AsyncTask<Job<Vec<FailureHistory>>> {
        let prepared = guarded(|| Ok((self.handle()?, HistoryFor::read(rows, opts)?)));
        Job::new(move || {
            let (store, args) = prepared?;
            args.run(&store)
        })
    }

    /// `historyFor`, on the calling thread (index keys and one row value per matching commit;
    /// no tail is read).
    #[napi(catch_unwind, ts_args_type = "rows: CiLog[], opts?: { now?: number }")]
    pub fn history_for_sync(
        &self,
        env: Env,
        rows: Unknown,
        opts: Option<Unknown>,
    ) -> napi::Result<Vec<FailureHistory>> {
        guarded(|| HistoryFor::read(rows, opts)?.run(&*self.handle()?))
            .map_err(|f| f.into_napi(&env))
    }

    /// Deletes rows past retention off the JS thread; resolves to the count deleted.
    #[napi(
        catch_unwind,
        ts_args_type = "opts?: { now?: number }",
        ts_return_type = "Promise<number>"
    )]
    pub fn prune(&self, opts: Option<Unknown>) -> AsyncTask<Job<f64>> {
        let prepared = guarded(|| Ok((self.handle()?, read_time_opt(opts, "now")?)));
        Job::new(move || {
            let (store, now) = prepared?;
            prune_now(&store, now)
        })
    }

    /// `prune`, on the calling thread.
    #[napi(catch_unwind, ts_args_type = "opts?: { now?: number }")]
    pub fn prune_sync(&self, env: Env, opts: Option<Unknown>) -> napi::Result<f64> {
        guarded(|| prune_now(&*self.handle()?, read_time_opt(opts, "now")?))
            .map_err(|f| f.into_napi(&env))
    }

    /// Row count, stored bytes, oldest/newest `created_at` and file size.
    #[napi(catch_unwind)]
    pub fn stats(&self, env: Env) -> napi::Result<StoreStats> {
        guarded(|| Ok(self.handle()?.stats()?.into())).map_err(|f| f.into_napi(&env))
    }

    /// Group commit totals since the file was opened in this process: write transactions and
    /// the rows they carried.
    #[napi(catch_unwind)]
    pub fn commit_stats(&self, env: Env) -> napi::Result<CommitStats> {
        guarded(|| Ok(self.handle()?.commit_stats().into())).map_err(|f| f.into_napi(&env))
    }

    /// When `recoverCorrupt` moved a damaged file aside at `open`: where it went and why; `null`
    /// otherwise. Log it loudly: the new store starts empty.
    #[napi(getter)]
    pub fn recovered(&self) -> Option<Recovered> {
        self.recovered.clone()
    }

    /// Releases this handle. Idempotent. Later calls fail with `STORE_CLOSED`; work already in
    /// flight finishes. The file closes when no handle in the process uses it any more.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

/// How an ingest promise is settled: on the JS thread, from the writer thread's result.
type Settle = Box<dyn FnOnce(Env) -> napi::Result<IngestResult> + Send>;
type Deferred = JsDeferred<IngestResult, Settle>;

fn settle(deferred: Deferred, result: Result<citail::Ingested, Failure>) {
    deferred.resolve(Box::new(move |env| {
        result
            .map(IngestResult::from)
            .map_err(|failure| failure.into_napi(&env))
    }));
}

/// Thread-pool half of `ingest`: validation and the pipeline, then the row is handed to the
/// store's writer thread, whose callback settles the promise. The task itself returns at once,
/// so a pool thread never waits for a commit.
struct Submit {
    work: Option<(
        Arc<citail::Store>,
        crate::convert::OwnedLog,
        u64,
        citail::Ticket,
    )>,
    /// Shared with the writer's callback, so a panic here still settles the promise.
    deferred: Arc<Mutex<Option<Deferred>>>,
}

impl Task for Submit {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        let slot = Arc::clone(&self.deferred);
        let work = self.work.take();
        let outcome = guarded(move || {
            if let Some((store, log, created_at, ticket)) = work {
                store.submit(ticket, &log.as_new_log(), created_at, move |result| {
                    if let Some(deferred) = take(&slot) {
                        settle(deferred, result.map_err(Failure::from));
                    }
                });
            }
            Ok(())
        });
        if let Err(failure) = outcome {
            if let Some(deferred) = take(&self.deferred) {
                settle(deferred, Err(failure));
            }
        }
        Ok(())
    }

    fn resolve(&mut self, _env: Env, (): ()) -> napi::Result<()> {
        Ok(())
    }
}

fn take(slot: &Mutex<Option<Deferred>>) -> Option<Deferred> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

fn ingest_now(
    store: &citail::Store,
    log: &crate::convert::OwnedLog,
    created_at: Option<u64>,
) -> Result<citail::Ingested, Failure> {
    let log = log.as_new_log();
    Ok(match created_at {
        Some(at) => store.ingest_at(&log, at)?,
        None => store.ingest(&log)?,
    })
}

/// The checked arguments of `logsFor`, `logsForSync` and `hasLogsSync`, read in that order:
/// `repo`, `headSha`, `opts.now`, `opts.limit`.
struct Lookup {
    repo: String,
    head_sha: String,
    /// Epoch ms; the current time when absent.
    now: u64,
    limit: usize,
}

impl Lookup {
    fn read(repo: Unknown, head_sha: Unknown, opts: Option<Unknown>) -> Result<Lookup, Failure> {
        Ok(Lookup {
            repo: read_text(repo, "repo")?,
            head_sha: read_text(head_sha, "headSha")?,
            now: read_time_opt(opts, "now")?.unwrap_or_else(citail::now_ms),
            limit: read_number_opt(opts, "limit")?
                .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX)),
        })
    }

    /// The newest `limit` live rows, oldest first, in the wire form of `packed.rs`.
    fn packed(&self, store: &citail::Store) -> Result<PackedRows, Failure> {
        let rows = store
            .recent_logs_for_at(&self.repo, &self.head_sha, self.now, self.limit)
            .map_err(js_field_names)?;
        Ok(PackedRows::pack(&rows))
    }

    /// Whether [`Lookup::packed`] would find any row (none with a limit of 0).
    fn any(&self, store: &citail::Store) -> Result<bool, Failure> {
        if self.limit == 0 {
            return Ok(false);
        }
        store
            .has_logs_at(&self.repo, &self.head_sha, self.now)
            .map_err(js_field_names)
    }
}

/// A lookup's error with the field named as in JS.
fn js_field_names(err: citail::Error) -> Failure {
    Failure::from(err).renamed("head_sha", "headSha")
}

#[allow(clippy::cast_precision_loss)]
fn prune_now(store: &citail::Store, now: Option<u64>) -> Result<f64, Failure> {
    let deleted = match now {
        Some(now) => store.prune_at(now)?,
        None => store.prune()?,
    };
    Ok(deleted as f64)
}

/// The checked arguments of `stepsBefore` and `stepsBeforeSync`.
struct StepsBefore {
    row: citail::CiLog,
    now: u64,
    names: usize,
}

impl StepsBefore {
    /// Default of `names`.
    const NAMES: usize = 20;

    fn read(row: Unknown, opts: Option<Unknown>) -> Result<StepsBefore, Failure> {
        Ok(StepsBefore {
            row: read_row_position(row)?,
            now: read_time_opt(opts, "now")?.unwrap_or_else(citail::now_ms),
            names: read_number_opt(opts, "names")?
                .map_or(Self::NAMES, |n| usize::try_from(n).unwrap_or(usize::MAX)),
        })
    }

    fn run(self, store: &citail::Store) -> Result<OlderSteps, Failure> {
        Ok(store
            .steps_before_at(&self.row, self.now, self.names)?
            .into())
    }
}

/// The checked arguments of `historyFor` and `historyForSync`.
struct HistoryFor {
    rows: Vec<citail::CiLog>,
    now: u64,
}

impl HistoryFor {
    fn read(rows: Unknown, opts: Option<Unknown>) -> Result<HistoryFor, Failure> {
        Ok(HistoryFor {
            rows: read_history_rows(rows)?,
            now: read_time_opt(opts, "now")?.unwrap_or_else(citail::now_ms),
        })
    }

    fn run(self, store: &citail::Store) -> Result<Vec<FailureHistory>, Failure> {
        Ok(store
            .history_at(&self.rows, self.now)?
            .into_iter()
            .map(FailureHistory::from)
            .collect())
    }
}
