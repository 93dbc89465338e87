import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own. By default SQLite checkpoints inside the COMMIT that
 * takes the WAL past 1000 pages: that commit writes 4 MB to the database file and fsyncs it,
 * which blocks the event loop for tens of milliseconds every few hundred writes (most of a
 * refresh-token rotation's cost, docs/benchmarks.md). A long-running server turns automatic
 * checkpoints off on its connection and starts this thread, which checkpoints (PASSIVE: never
 * blocking a writer or a reader) every `intervalMs`. Durability is unchanged: a commit is in the
 * WAL before it is acknowledged, and a checkpoint only copies committed pages into the main file.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<unknown>;

  /** `onFailure`: the thread died; the caller hands checkpoints back to SQLite so the WAL cannot grow without bound. */
  constructor(path: string, onFailure: (error: Error) => void, intervalMs = 100) {
    this.worker = new Worker(new URL('./wal-checkpoint-worker.js', import.meta.url), { workerData: { path, intervalMs } });
    // Never what keeps a process alive.
    this.worker.unref();
    this.worker.on('error', onFailure);
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  /** Lets the thread close its connection (an interrupted checkpoint is harmless, but a clean close is tidier). */
  async stop(): Promise<void> {
    // Referenced again while it winds down: an unreferenced thread would let the process's
    // event loop end with this wait still pending.
    this.worker.ref();
    this.worker.postMessage('stop');
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}
