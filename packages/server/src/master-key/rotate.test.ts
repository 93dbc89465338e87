import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomKey, randomLowerAlnum } from '../crypto/random.js';
import { signRequest } from '../profiles/signature.js';
import { basic, postForm, prepareTestStorage, startTestServer } from '../testing/harness.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../cli/bin/keymint.js', import.meta.url));

function keymint(env: Record<string, string>, ...args: string[]) {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
}

function signedBody(clientId: string, secret: string, audience: string): string {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const value = randomLowerAlnum(32);
  return JSON.stringify({ client_id: clientId, audience, timestamp, signature_value: value, signature: signRequest(secret, value, timestamp) });
}

test('keymint master-key rotate: every sealed value opens under the new key after a restart; the old key is kept aside', async () => {
  const storage = await prepareTestStorage();
  try {
    let server = await startTestServer(storage);
    const env = server.env;
    const signed = await server.createApp({ authMethods: ['signed_request'] });
    const basicApp = await server.createApp();
    await server.close();
    const before = readFileSync(join(storage.dataDir, 'master.key'), 'utf8');

    const { stdout } = await keymint(env, 'master-key', 'rotate', '--json');
    const result = JSON.parse(stdout);
    assert.ok(result.signing_keys >= 2, 'current and next signing keys re-sealed');
    assert.equal(result.client_secrets, 1, 'the signed-request secret copy re-sealed');
    const after = readFileSync(join(storage.dataDir, 'master.key'), 'utf8');
    assert.notEqual(after, before);
    assert.equal(readFileSync(join(storage.dataDir, 'master.key.previous'), 'utf8'), before);

    server = await startTestServer(storage);
    try {
      const token = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(basicApp.clientId, basicApp.clientSecret) });
      assert.equal(token.status, 200, 'the signing key opens under the new master key');
      const audience = `${server.issuer}/api`;
      const response = await fetch(`${server.issuer}/v3/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: signedBody(signed.clientId, signed.clientSecret, audience) });
      assert.equal(response.status, 200, 'the sealed secret copy opens under the new master key');
    } finally {
      await server.close();
    }
  } finally {
    await storage.cleanup();
  }
});

test('keymint master-key rotate with KEYMINT_MASTER_KEY needs --new-key-file and writes the new key there', async () => {
  const storage = await prepareTestStorage();
  const masterKey = randomKey(32).toString('base64url');
  try {
    const server = await startTestServer({ ...storage, env: { KEYMINT_MASTER_KEY: masterKey } });
    const env = { ...server.env, KEYMINT_MASTER_KEY: masterKey };
    await server.close();
    await assert.rejects(keymint(env, 'master-key', 'rotate'), /--new-key-file/);
    const file = join(storage.dataDir, 'new.key');
    await keymint(env, 'master-key', 'rotate', '--new-key-file', file);
    const newKey = readFileSync(file, 'utf8').trim();
    // The new key opens the signing keys; a node still on the old key is not ready (/readyz 503).
    for (const [key, ready] of [[newKey, 200], [masterKey, 503]] as const) {
      const node = await startTestServer({ ...storage, env: { KEYMINT_MASTER_KEY: key } });
      try {
        const readiness = await fetch(`${node.url}/readyz`);
        assert.equal(readiness.status, ready);
        if (ready === 503) assert.equal(((await readiness.json()) as { reason: string }).reason, 'signing keys not loaded');
      } finally {
        await node.close();
      }
    }
  } finally {
    await storage.cleanup();
  }
});
