import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../testing/harness.js';

const HEADERS = ['content-security-policy', 'x-frame-options', 'x-content-type-options', 'referrer-policy'];

function securityHeaders(response: Response): Record<string, string | null> {
  return Object.fromEntries(HEADERS.map((name) => [name, response.headers.get(name)]));
}

test('/docs (the API reference pages) get the console\'s security headers: no framing (clickjacking), same-origin scripts only, no sniffing, no Referer', async () => {
  const server = await startTestServer();
  try {
    const expected = {
      'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    const console = await fetch(`${server.url}/console`);
    await console.arrayBuffer();
    // Only a built console serves its page (npm run build); the headers are the same constant either way.
    if (console.status === 200) assert.deepEqual(securityHeaders(console), expected);
    for (const path of ['/docs', '/docs/', '/docs/static/index.html', '/docs/static/swagger-initializer.js']) {
      const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      await response.arrayBuffer();
      assert.ok(response.status < 400, `${path}: ${response.status}`);
      assert.deepEqual(securityHeaders(response), expected, path);
    }
  } finally {
    await server.close();
  }
});
