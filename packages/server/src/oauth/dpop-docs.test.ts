import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ROOT, runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';

const DOC = 'docs/dpop.md';

test(`${DOC}: require_dpop refuses an unbound request, and examples/dpop.mjs (Node SDK, oauth4webapi, the SDK middleware) runs as written`, { timeout: 90_000 }, async () => {
  const shown = /<!-- example: examples\/dpop\.mjs -->\n```js\n([\s\S]*?)```/.exec(readFileSync(`${ROOT}${DOC}`, 'utf8'))?.[1];
  assert.equal(shown, readFileSync(`${ROOT}examples/dpop.mjs`, 'utf8'));
  // The browser page of "End-user sessions in the browser" runs in Chromium: users/browser-dpop.test.ts.
  const page = /<!-- example: examples\/end-users\/dpop-page\.js -->\n```js\n([\s\S]*?)```/.exec(readFileSync(`${ROOT}${DOC}`, 'utf8'))?.[1];
  assert.equal(page, readFileSync(`${ROOT}examples/end-users/dpop-page.js`, 'utf8'));
  const server = await startTestServer();
  try {
    const { stdout, output } = await runDoc(DOC, server);
    assert.match(stdout, /^\{"error_description":"this app requires DPoP: send a DPoP proof \(RFC 9449\) with the token request","error":"invalid_dpop_proof"\}$/m, output);
    assert.match(stdout, /^sdk 200$/m, output);
    assert.match(stdout, /^oauth4webapi dpop 200$/m, output);
    assert.match(stdout, new RegExp(`^as Bearer 401 DPoP realm="${server.issuer}"$`, 'm'), output);
    assert.match(stdout, /^your API 200$/m, output);
  } finally {
    await server.close();
  }
});
