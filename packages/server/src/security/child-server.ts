// Test support: the real `keymint serve` as a child process (so a test can kill -9 it), and the
// real CLI against the same storage. Tests only: nothing in the server imports this file.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CLI = fileURLToPath(new URL('../../../cli/bin/keymint.js', import.meta.url));
const run = promisify(execFile);

export class ChildServer {
  private child: ChildProcess | null = null;
  output = '';
  readonly url: string;

  constructor(
    readonly port: number,
    readonly env: Record<string, string>,
    readonly cwd: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** The server's process id while it runs (for RSS samples from /proc). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get issuer(): string {
    return `${this.url}/t/default`;
  }

  /** Spawns `keymint serve` and waits until /readyz answers 200. */
  async start(timeoutMs = 20_000): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(this.port), '--host', '127.0.0.1'], {
      cwd: this.cwd,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`keymint serve exited with ${child.exitCode}: ${this.output.slice(-2000)}`);
      try {
        if ((await fetch(`${this.url}/readyz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`keymint serve not ready after ${timeoutMs} ms: ${this.output.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL: no shutdown hook, no flush, no checkpoint. Resolves once the process is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    this.child = null;
  }

  /** `keymint … --json` against the same storage; its JSON output is the acknowledgement. */
  async cli(...args: string[]): Promise<any> {
    const { stdout } = await run(process.execPath, [CLI, ...args, '--json'], { cwd: this.cwd, env: { ...process.env, ...this.env } });
    return JSON.parse(stdout);
  }

  /** A CLI command killed with SIGKILL after `afterMs`, mid-write if the timing falls so. */
  async cliKilledAfter(afterMs: number, ...args: string[]): Promise<void> {
    const child = spawn(process.execPath, [CLI, ...args, '--json'], { cwd: this.cwd, env: { ...process.env, ...this.env }, stdio: 'ignore' });
    const gone = new Promise((resolve) => child.once('exit', resolve));
    setTimeout(() => child.kill('SIGKILL'), afterMs);
    await gone;
  }
}
