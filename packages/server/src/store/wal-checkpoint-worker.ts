// The background checkpointer's thread (store/wal-checkpointer.ts): its own connection to the
// database file, checkpointing the WAL whenever frames have piled up, so the fsyncs of a
// checkpoint never run on the event loop.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const sqlite = new SQLite(path);
// A checkpoint that finds the writer busy just tries again on the next tick.
sqlite.pragma('busy_timeout = 0');
sqlite.pragma('wal_autocheckpoint = 0');

const timer = setInterval(() => {
  try {
    sqlite.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY or a file being replaced by a restore: the next tick tries again.
  }
}, intervalMs);

parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  sqlite.close();
  parentPort?.close();
});
