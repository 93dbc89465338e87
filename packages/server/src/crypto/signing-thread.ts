import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { SigningAlgorithm } from './algorithms.js';
import type { SigningAnswer, SigningBatch, SigningJob, SigningThreadData } from './signing-thread-worker.js';

/** A batch leaves for a thread once this many signatures wait, or at the end of the event loop's turn. */
const BATCH_SIZE = 4;
/**
 * Two, whatever the machine: one thread signs faster than one event loop asks, but an end-user
 * refresh asks for two signatures at once, and a second thread signs the other while the event
 * loop waits. More cores are used by `serve --workers N` (two threads per worker).
 */
const SIGNING_THREADS = 2;
/**
 * The event loop is the server's bottleneck and these threads have time to spare (idle ~85 % under
 * the JWT load). At equal priority, on a machine whose cores are all busy, waking a thread for a
 * batch let the scheduler run it in place of the event loop that had just posted the batch; a
 * higher nice value (Linux keeps one per thread) lets the event loop keep its core
 * (docs/benchmarks.md "What made the difference").
 */
export const SIGNING_THREAD_NICENESS = 5;

interface Pending {
  job: SigningJob;
  resolve: (signature: string) => void;
  reject: (error: Error) => void;
}

/**
 * JWS signatures on threads of their own, in small batches. Signing is most of a token's CPU.
 * On the event loop it would run after the HTTP work instead of beside it; on libuv's thread
 * pool (node:crypto's callback form) every signature is a job that wakes a pool thread, which
 * the profile showed costing the event loop as much as the signature itself, and token
 * signatures queue behind password hashing (scrypt, tens of ms). Here a few signatures travel
 * as one message each way, soon enough that a thread signs while the event loop parses the next
 * requests (docs/benchmarks.md "What made the difference").
 */
export class SigningThreads {
  private readonly threads: (Thread | null)[];
  private readonly keys = new Map<KeyObject, number>();
  private readonly keysById = new Map<number, { alg: SigningAlgorithm; key: KeyObject }>();
  private queued: Pending[] = [];
  private nextBatch = 1;
  private scheduled = false;

  constructor(count: number) {
    this.threads = Array.from({ length: count }, () => null);
  }

  /** The base64url signature of `input` by `key` (RFC 7515 §5.2). Rejects when the key cannot sign with `alg`. */
  sign(alg: SigningAlgorithm, key: KeyObject, input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.queued.push({ job: [this.keyId(alg, key), input], resolve, reject });
      if (this.queued.length >= BATCH_SIZE) this.send();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.send();
        });
      }
    });
  }

  private keyId(alg: SigningAlgorithm, key: KeyObject): number {
    let id = this.keys.get(key);
    if (id === undefined) {
      id = this.keys.size + 1;
      this.keys.set(key, id);
      this.keysById.set(id, { alg, key });
    }
    return id;
  }

  private send(): void {
    if (this.queued.length === 0) return;
    const pending = this.queued;
    this.queued = [];
    const batch = this.nextBatch++;
    const thread = this.leastBusy();
    thread.inFlight.set(batch, pending);
    const keys: SigningBatch['keys'] = [];
    for (const { job: [id] } of pending) {
      if (thread.keys.has(id)) continue;
      thread.keys.add(id);
      const { alg, key } = this.keysById.get(id)!;
      keys.push([id, alg, key]);
    }
    thread.worker.postMessage({ batch, keys, jobs: pending.map((entry) => entry.job) } satisfies SigningBatch);
    // Referenced only while signatures are awaited: an idle thread never keeps a process (a CLI command) alive.
    thread.worker.ref();
  }

  /** The thread with the fewest batches in flight, started if it is not running. */
  private leastBusy(): Thread {
    let best = -1;
    for (let index = 0; index < this.threads.length; index++) {
      const thread = this.threads[index];
      if (!thread) return (this.threads[index] = this.start(index));
      if (best === -1 || thread.inFlight.size < this.threads[best]!.inFlight.size) best = index;
    }
    return this.threads[best]!;
  }

  private start(index: number): Thread {
    const worker = new Worker(new URL('./signing-thread-worker.js', import.meta.url), { workerData: { niceness: SIGNING_THREAD_NICENESS } satisfies SigningThreadData });
    const thread: Thread = { worker, inFlight: new Map(), keys: new Set() };
    worker.on('message', ({ batch, signatures }: SigningAnswer) => {
      const pending = thread.inFlight.get(batch) ?? [];
      thread.inFlight.delete(batch);
      pending.forEach((entry, position) => {
        const signature = signatures[position];
        if (typeof signature === 'string') entry.resolve(signature);
        else entry.reject(new Error(`signing failed: ${signature?.error ?? 'no answer'}`));
      });
      if (thread.inFlight.size === 0) worker.unref();
    });
    // The thread died: what it held fails, and the next batch starts a new one (and sends it its keys again).
    const lost = (error: Error) => {
      if (this.threads[index] !== thread) return;
      this.threads[index] = null;
      for (const pending of thread.inFlight.values()) for (const entry of pending) entry.reject(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`a signing thread exited with code ${code}`)));
    return thread;
  }
}

interface Thread {
  worker: Worker;
  /** Batches sent and not yet answered, by batch number. */
  inFlight: Map<number, Pending[]>;
  /** Key ids this thread has been sent. */
  keys: Set<number>;
}

/** The process's signing threads, started by the first signatures. */
export const signingThreads = new SigningThreads(SIGNING_THREADS);
