import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateToken, TOKEN_PREFIXES } from '../crypto/token-format.js';
import { ROOT, runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';

const DOC = 'docs/leaked-credentials.md';

/** The GitHub registration table: token type, prefix, regular expression. */
function registeredPatterns(): { type: string; prefix: string; pattern: RegExp }[] {
  const rows = [...readFileSync(`${ROOT}${DOC}`, 'utf8').matchAll(/^\| `(keymint_[a-z_]+)` \| `([a-z]+_)` \| `([^`]+)` \|$/gm)];
  return rows.map(([, type, prefix, pattern]) => ({ type: type!, prefix: prefix!, pattern: new RegExp(pattern!, 'g') }));
}

test('docs/leaked-credentials.md: the regular expressions to register with GitHub find every kind of generated credential, and only its own kind', () => {
  const patterns = registeredPatterns();
  assert.deepEqual(patterns.map((p) => p.prefix).sort(), Object.values(TOKEN_PREFIXES).sort(), 'one pattern per credential prefix');
  for (const { type, prefix, pattern } of patterns) {
    for (let i = 0; i < 50; i++) {
      const mine = generateToken(prefix as (typeof TOKEN_PREFIXES)[keyof typeof TOKEN_PREFIXES]);
      // Found where people paste them: a .env line, YAML, JSON, a URL query, a shell export.
      for (const text of [`SECRET=${mine}\n`, `token: "${mine}"`, `{"key":"${mine}"}`, `https://x.example/?t=${mine}&a=1`, `export K=${mine}`]) {
        assert.deepEqual(text.match(pattern), [mine], `${type} in ${JSON.stringify(text)}`);
      }
      for (const other of Object.values(TOKEN_PREFIXES).filter((p) => p !== prefix)) {
        assert.equal(`x ${generateToken(other)} y`.match(pattern), null, `${type} does not match a ${other} credential`);
      }
      // Not a longer or shorter run, nor the credential glued inside another word.
      assert.equal(`${mine}Z`.match(pattern), null);
      assert.equal(mine.slice(0, -1).match(pattern), null);
      assert.equal(`abc${mine}`.match(pattern), null);
    }
  }
});

test('docs/leaked-credentials.md: the public revoke example runs as written and revokes the token', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { stdout, output } = await runDoc(DOC, server);
    assert.match(stdout, /^\{"status":"accepted"\}$/m, output);
    assert.match(stdout, /^pasted-in-a-ticket:revoked$/m, output);
  } finally {
    await server.close();
  }
});
