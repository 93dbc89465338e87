import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ISSUER_LINE } from './testing/docs.js';
import { startTestServer } from './testing/harness.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

test('README states the two commands exactly', () => {
  assert.ok(readme.includes('npm ci && npm start'));
  assert.ok(readme.includes('npm ci && npm test'));
});

test('the README walk-through works as written and returns a token that jose verifies against the JWKS', async () => {
  const block = /<!-- walkthrough:start -->\n```bash\n([\s\S]*?)```\n<!-- walkthrough:end -->/.exec(readme)?.[1];
  assert.ok(block, 'the walk-through block is in the README');
  const server = await startTestServer();
  try {
    // The only change: the issuer line names the test server (no other command names the server).
    assert.ok(!block.replace(ISSUER_LINE, '').includes('127.0.0.1:8080'), 'every command uses $ISSUER');
    const script = `set -euo pipefail\n${block.replace(ISSUER_LINE, `ISSUER=${server.issuer}`)}\necho; echo "ACCESS_TOKEN=$ACCESS_TOKEN"\n`;
    // Asynchronous: the server answering curl lives in this process.
    const result = await promisify(execFile)('bash', ['-c', script], {
      cwd: root,
      env: { ...process.env, ...server.env },
      timeout: 60_000,
    });
    const accessToken = /^ACCESS_TOKEN=(.+)$/m.exec(result.stdout)?.[1];
    assert.ok(accessToken, result.stdout);
    assert.match(result.stdout, /client_id: '[a-z0-9]{24}'/, 'the decoded claims are printed');
    assert.match(result.stdout, /"keys":\[/);
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(accessToken, jwks, { issuer: server.issuer, audience: `${server.issuer}/api`, typ: 'at+jwt' });
    assert.equal(payload.scope, 'contacts_read');
  } finally {
    await server.close();
  }
});

test('the README configuration table names every setting Keymint reads', () => {
  const source = readFileSync(`${root}packages/server/src/config.ts`, 'utf8');
  const settings = new Set(source.match(/'(?:KEYMINT_[A-Z_]+|PORT|HOST)'/g)!.map((quoted) => quoted.slice(1, -1)));
  for (const setting of settings) assert.ok(readme.includes(`\`${setting}\``), `${setting} is missing from the README`);
});

test('every docs/ link in the README points at a file that exists', () => {
  for (const [, path] of readme.matchAll(/\]\((docs\/[^)]+)\)/g)) {
    assert.ok(existsSync(`${root}${path}`), `${path} does not exist`);
  }
});
