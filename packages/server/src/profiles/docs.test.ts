import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '../testing/harness.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DOC = fileURLToPath(new URL('../../../../docs/profiles.md', import.meta.url));

/** The runnable examples of a doc: its ```bash blocks, in order (```sh blocks are illustrations). */
export function runnableBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

test('docs/profiles.md: every bash example runs as written against a server (port substituted)', async () => {
  const blocks = runnableBlocks(readFileSync(DOC, 'utf8'));
  assert.ok(blocks.length >= 8, `found ${blocks.length} runnable blocks`);
  const server = await startTestServer();
  try {
    const port = new URL(server.url).port;
    const script = [
      'set -euo pipefail',
      ...blocks.map((block, i) => `${block.replaceAll('http://127.0.0.1:8080', server.url)}\necho; echo "@@block ${i} ok"`),
      // The IdentityServer example keeps the token for its API call.
      'test -n "$TOKEN" && echo "@@token ok"',
    ].join('\n');
    // Asynchronous: the server answering the examples runs in this very process.
    const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', ['-c', script], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 90_000,
        // The CLI in the examples must reach the test server's database and master key.
        env: { ...process.env, ...server.env, HOST: '127.0.0.1', PORT: port },
      }, (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
    });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.status, 0, output);
    for (let i = 0; i < blocks.length; i++) assert.match(result.stdout, new RegExp(`@@block ${i} ok`), output);
    assert.match(result.stdout, /@@token ok/);
    // Each token request printed a token: RFC 6749 ×2, envelope, signed ×2 (the IdentityServer one is captured).
    assert.equal(result.stdout.match(/"access_token":"ey/g)?.length, 5, output);
    assert.match(result.stdout, /"data":\{"access_token"/);
    assert.match(result.stdout, /"expires_in":300/);
    assert.match(result.stdout, /"expires_in":600/);
  } finally {
    await server.close();
  }
});
