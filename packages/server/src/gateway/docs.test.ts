import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ROOT, runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';

const DOC = 'docs/gateway.md';

test(`${DOC}: limits, the 429 and its fields, the verify API from curl and Node, and per-key usage, as written`, { timeout: 120_000 }, async () => {
  const shown = /<!-- example: examples\/gateway-verify\.mjs -->\n```js\n([\s\S]*?)```/.exec(readFileSync(`${ROOT}${DOC}`, 'utf8'))?.[1];
  assert.equal(shown, readFileSync(`${ROOT}examples/gateway-verify.mjs`, 'utf8'), 'the example file is the one shown');
  const server = await startTestServer();
  try {
    const { stdout, output } = await runDoc(DOC, server);
    // Each block's output as the doc shows it, in order.
    const expected = [...readFileSync(`${ROOT}${DOC}`, 'utf8').matchAll(/^```bash\n[\s\S]*?^```\n\n```\n([\s\S]*?)^```$/gm)].map((m) => m[1]!.trim());
    assert.equal(expected.length, 5);
    for (const shownOutput of expected) assert.ok(stdout.includes(shownOutput), `${DOC} shows:\n${shownOutput}\n\nbut the commands printed:\n${output}`);
  } finally {
    await server.close();
  }
});
