import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestServer } from './harness.js';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * The one line of a doc that names the server (docs: "so another port is one line"): every
 * command after it says `$ISSUER`. The tests change this line and nothing else.
 */
export const ISSUER_LINE = 'ISSUER=http://127.0.0.1:8080/t/default';

/** The runnable examples of a doc: its ```bash blocks, in order (```sh blocks are illustrations). */
export function runnableBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

export interface DocRun {
  /** What the blocks printed on stdout; each block ends with a line `@@block N ok`. */
  stdout: string;
  /** stdout and stderr, for assertion messages. */
  output: string;
}

/**
 * Runs a doc's bash blocks top to bottom in one shell against `server`, the issuer line pointed
 * at it, from the repository root with the CLI on the server's database. Fails unless every
 * block ran and none names the default port itself.
 */
export async function runDoc(path: string, server: TestServer, epilogue = ''): Promise<DocRun> {
  const blocks = runnableBlocks(readFileSync(`${ROOT}${path}`, 'utf8'));
  const issuerLines = blocks.join('\n').split('\n').filter((line) => line === ISSUER_LINE);
  assert.equal(issuerLines.length, 1, `${path} sets ${ISSUER_LINE} once`);
  for (const block of blocks) assert.ok(!block.replace(ISSUER_LINE, '').includes('127.0.0.1:8080'), `${path}: a command names the server instead of using $ISSUER:\n${block}`);
  const script = [
    'set -euo pipefail',
    ...blocks.map((block, i) => `${block.replace(ISSUER_LINE, `ISSUER=${server.issuer}`)}\necho; echo "@@block ${i} ok"`),
    epilogue,
  ].join('\n');
  // Asynchronous: the server answering the commands runs in this very process.
  const result = await new Promise<{ failed: boolean; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', ['-c', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, ...server.env, HOST: '127.0.0.1', PORT: new URL(server.url).port },
    }, (error, stdout, stderr) => resolve({ failed: error !== null, stdout, stderr }));
  });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.ok(!result.failed, output);
  for (let i = 0; i < blocks.length; i++) assert.match(result.stdout, new RegExp(`@@block ${i} ok`), output);
  return { stdout: result.stdout, output };
}
