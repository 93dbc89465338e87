import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ROOT, runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';

const DOC = 'docs/client-authentication.md';

test(`${DOC}: the example shown is the file that runs, and every bash block runs as written (app with a JWKS, SDK, curl assertion, replay refused, key rotation)`, { timeout: 180_000 }, async () => {
  const markdown = readFileSync(`${ROOT}${DOC}`, 'utf8');
  const examples = [...markdown.matchAll(/<!-- example: (\S+) -->\n```[a-z]*\n([\s\S]*?)```/g)];
  assert.deepEqual(examples.map((m) => m[1]), ['examples/private-key-jwt/call-api.mjs']);
  for (const [, path, code] of examples) assert.equal(code, readFileSync(`${ROOT}${path}`, 'utf8'), `${path} is shown as it is`);

  const server = await startTestServer();
  try {
    const { stdout, output } = await runDoc(DOC, server, 'rm -rf "$KEYDIR"');
    assert.match(stdout, /^null$/m, `no secret for a private_key_jwt app\n${output}`);
    assert.match(stdout, /^200 \{"data":\[\],"next_cursor":null\}$/m, output);
    assert.match(stdout, /"access_token":"ey/, output);
    assert.match(stdout, /^401$/m, `the replayed assertion\n${output}`);
    // After rotation only key-2 is listed.
    assert.match(stdout, /^removed key key-1; app \S+ has keys key-2$/m, output);
    assert.match(stdout, /^key-2 +\S{43} +EC +ES256 /m, output);
    assert.doesNotMatch(stdout, /^key-1 /m, output);
  } finally {
    await server.close();
  }
});
