import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomKey } from '../crypto/random.js';
import { prepareTestStorage } from './harness.js';
import { freePort } from './net.js';

const CLI = fileURLToPath(new URL('../../../cli/bin/keymint.js', import.meta.url));
const run = promisify(execFile);

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  issuer: string;
  env: Record<string, string>;
  /** Everything the process wrote (stdout + stderr). */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Runs another CLI command on the same database and master key, returns its JSON. */
  cli(...args: string[]): Promise<any>;
  /** Kills what is left and removes the storage. */
  cleanup(): Promise<void>;
}

export type TestStorage = Awaited<ReturnType<typeof prepareTestStorage>>;

/**
 * The real `keymint serve` in a child process on a free port, storage of the current test
 * database kind. With `options.storage`, several processes share one database (nodes); the
 * caller then owns the storage and cleans it up.
 */
export async function spawnServe(args: string[] = [], extraEnv: Record<string, string> = {}, options: { storage?: TestStorage } = {}): Promise<ServeProcess> {
  const ownStorage = options.storage === undefined;
  const storage = options.storage ?? (await prepareTestStorage());
  const port = await freePort();
  const env: Record<string, string> = {
    KEYMINT_DATA_DIR: storage.dataDir,
    KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'),
    ...(storage.databaseUrl ? { KEYMINT_DATABASE_URL: storage.databaseUrl } : {}),
    HOST: '127.0.0.1',
    PORT: String(port),
    ...extraEnv,
  };
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env: { ...process.env, ...env }, cwd: storage.dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      if (ownStorage) await storage.cleanup();
      throw new Error(`keymint serve exited at start: ${output}`);
    }
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() - started > 60_000) {
      // Killed, or the test process would wait on it forever.
      child.kill('SIGKILL');
      await exited;
      if (ownStorage) await storage.cleanup();
      throw new Error(`keymint serve not ready within 60 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    url,
    issuer: `${url}/t/default`,
    env,
    output: () => output,
    exited,
    async cli(...cliArgs: string[]) {
      const { stdout } = await run(process.execPath, [CLI, ...cliArgs, '--json'], { env: { ...process.env, ...env }, cwd: storage.dataDir });
      return JSON.parse(stdout);
    },
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      if (ownStorage) await storage.cleanup();
    },
  };
}
