import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestServer } from './harness.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../cli/bin/keymint.js', import.meta.url));

/**
 * Runs the real `keymint … --json` CLI against a test server's database and master key, as an
 * operator would, and returns its JSON answer. Its writes reach the server through the change log.
 */
export async function keymintCli(server: TestServer, ...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--json'], {
    env: { ...process.env, ...server.env },
    cwd: server.dataDir,
  });
  return JSON.parse(stdout);
}

/** Like keymintCli, without --json: the exit code and what a person would read. */
export async function keymintCliText(server: TestServer, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...server.env }, cwd: server.dataDir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
