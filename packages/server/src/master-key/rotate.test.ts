import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { masterKeyId } from '../crypto/keyring.js';
import { decodeMasterKey } from '../crypto/master-key.js';
import { randomKey, randomLowerAlnum } from '../crypto/random.js';
import { signRequest } from '../profiles/signature.js';
import { basic, postForm, prepareTestStorage, startTestServer, type TestServer } from '../testing/harness.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../cli/bin/keymint.js', import.meta.url));

async function keymint(env: Record<string, string>, ...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--json'], { env: { ...process.env, ...env } });
  return JSON.parse(stdout);
}

function signedBody(clientId: string, secret: string, audience: string): string {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const value = randomLowerAlnum(32);
  return JSON.stringify({ client_id: clientId, audience, timestamp, signature_value: value, signature: signRequest(secret, value, timestamp) });
}

type Apps = { basicApp: { clientId: string; clientSecret: string }; signed: { clientId: string; clientSecret: string } };

/** One basic-auth token and one signed-request (/v3/tokens: opens the sealed secret copy) token; the failures. */
async function tokens(node: TestServer, apps: Apps): Promise<string[]> {
  const failures: string[] = [];
  const basicToken = await postForm(`${node.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(apps.basicApp.clientId, apps.basicApp.clientSecret) }).catch((e) => ({ status: 0, body: String(e) }));
  if (basicToken.status !== 200) failures.push(`basic ${basicToken.status} ${JSON.stringify(basicToken.body)}`);
  const signedToken = await fetch(`${node.issuer}/v3/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: signedBody(apps.signed.clientId, apps.signed.clientSecret, `${node.issuer}/api`) })
    .then(async (r) => ({ status: r.status, body: await r.text() }), (e) => ({ status: 0, body: String(e) }));
  if (signedToken.status !== 200) failures.push(`signed ${signedToken.status} ${signedToken.body}`);
  return failures;
}

const keyFiles = (dataDir: string) => readdirSync(dataDir).filter((name) => name.startsWith('master.key')).sort();

test('master-key rotate (file-based key) while the server runs: nothing fails, each retired key is kept under its date and key id, never overwritten', { timeout: 120_000 }, async () => {
  const storage = await prepareTestStorage();
  try {
    const server = await startTestServer(storage);
    try {
      const apps: Apps = { basicApp: await server.createApp(), signed: await server.createApp({ authMethods: ['signed_request'] }) };
      assert.deepEqual(await tokens(server, apps), []);
      const first = readFileSync(join(storage.dataDir, 'master.key'), 'utf8');
      const firstId = masterKeyId(decodeMasterKey(first)!);

      const once = await keymint(server.env, 'master-key', 'rotate');
      assert.ok(once.signing_keys >= 2, 'current and next signing keys re-sealed');
      assert.equal(once.client_secrets, 1, 'the signed-request secret copy re-sealed');
      assert.equal(once.remaining, 0);
      assert.match(once.retired_key_file, new RegExp(`master\\.key\\.retired-\\d{4}-\\d{2}-\\d{2}-${firstId}$`));
      assert.equal(readFileSync(once.retired_key_file, 'utf8'), first, 'the old key is kept, byte for byte');
      assert.equal(statSync(once.retired_key_file).mode & 0o777, 0o600);

      // The running server never restarted: caches dropped, it re-reads sealed values it has not seen.
      server.server.keymint.changes.resetAll();
      assert.deepEqual(await tokens(server, apps), [], 'the running server opens what was re-sealed under the new key');

      const second = readFileSync(join(storage.dataDir, 'master.key'), 'utf8');
      const twice = await keymint(server.env, 'master-key', 'rotate');
      assert.notEqual(twice.retired_key_file, once.retired_key_file);
      assert.equal(readFileSync(once.retired_key_file, 'utf8'), first, 'a second rotation leaves the first retired key alone');
      assert.equal(readFileSync(twice.retired_key_file, 'utf8'), second);
      assert.equal(keyFiles(storage.dataDir).length, 3, keyFiles(storage.dataDir).join(' '));
      server.server.keymint.changes.resetAll();
      assert.deepEqual(await tokens(server, apps), []);
      const status = await keymint(server.env, 'master-key', 'status');
      assert.equal(status.keys[0].role, 'current');
      assert.ok(status.keys[0].sealed_values >= 3);
      assert.equal(status.keys.filter((k: any) => k.role === 'previous').length, 2, 'both retired keys still open');
    } finally {
      await server.close();
    }
    // A fresh start on the rotated files serves the same apps.
    const restarted = await startTestServer(storage);
    try {
      assert.equal((await fetch(`${restarted.url}/readyz`)).status, 200);
    } finally {
      await restarted.close();
    }
  } finally {
    await storage.cleanup();
  }
});

test('rolling master-key rotation on two nodes under continuous token traffic (docs/operations.md): zero failed requests; a node without the needed key is not ready', { timeout: 240_000 }, async () => {
  const storage = await prepareTestStorage();
  const oldKey = randomKey(32).toString('base64url');
  const newKey = (await keymint({}, 'master-key', 'generate')).key as string;
  const started: TestServer[] = [];
  let running = true;
  const start = async (env: Record<string, string>) => {
    const node = await startTestServer({ ...storage, env });
    started.push(node);
    const ready = await fetch(`${node.url}/readyz`);
    return { node, ready: ready.status };
  };
  try {
    const a = await start({ KEYMINT_MASTER_KEY: oldKey });
    const b = await start({ KEYMINT_MASTER_KEY: oldKey });
    const apps: Apps = { basicApp: await a.node.createApp(), signed: await a.node.createApp({ authMethods: ['signed_request'] }) };
    // The balancer's view: nodes in rotation. A node leaves it before it drains.
    let inRotation: TestServer[] = [a.node, b.node];
    const failures: string[] = [];
    let requests = 0;
    const traffic = (async () => {
      for (let i = 0; running; i++) {
        const node = inRotation[i % inRotation.length]!;
        failures.push(...(await tokens(node, apps)));
        requests += 2;
      }
    })();
    const replace = async (old: TestServer, env: Record<string, string>) => {
      const next = await start(env);
      assert.equal(next.ready, 200, `the new node is ready with ${JSON.stringify(Object.keys(env))}`);
      inRotation = [...inRotation.filter((n) => n !== old), next.node];
      await new Promise((resolve) => setTimeout(resolve, 300));
      await old.close();
      return next.node;
    };
    const rolled = { KEYMINT_MASTER_KEY: newKey, KEYMINT_MASTER_KEY_PREVIOUS: oldKey };
    // 1. Node by node: the new key seals, the old one still opens.
    const a2 = await replace(a.node, rolled);
    const b2 = await replace(b.node, rolled);
    // 2. Re-seal everything under the new key while both serve.
    const rotated = await keymint({ ...a2.env, ...rolled }, 'master-key', 'rotate');
    assert.equal(rotated.remaining, 0);
    assert.ok(rotated.signing_keys >= 2 && rotated.client_secrets === 1, JSON.stringify(rotated));
    for (const node of [a2, b2]) node.server.keymint.changes.resetAll();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A node that only knows the old key would now fail every tenant: it is not ready.
    const stale = await start({ KEYMINT_MASTER_KEY: oldKey });
    assert.equal(stale.ready, 503, 'only the old key: not ready');
    await stale.node.close();
    // 3. Drop the old key, node by node.
    const a3 = await replace(a2, { KEYMINT_MASTER_KEY: newKey });
    const b3 = await replace(b2, { KEYMINT_MASTER_KEY: newKey });
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await traffic;
    assert.deepEqual(failures, [], 'no request failed');
    assert.ok(requests >= 20, `traffic ran throughout (${requests} requests)`);
    const status = await keymint({ ...a3.env, KEYMINT_MASTER_KEY: newKey }, 'master-key', 'status');
    assert.deepEqual(status.keys.map((k: any) => k.role), ['current'], 'nothing is sealed by any other key');
    await a3.close();
    await b3.close();
  } finally {
    running = false;
    for (const node of started) await node.close().catch(() => {});
    await storage.cleanup();
  }
});

test('KEYMINT_MASTER_KEY_PREVIOUS: bad entries and use without KEYMINT_MASTER_KEY stop start-up naming the setting', async () => {
  const { loadConfig } = await import('../config.js');
  const key = randomKey(32).toString('base64url');
  assert.throws(() => loadConfig({ env: { KEYMINT_MASTER_KEY: key, KEYMINT_MASTER_KEY_PREVIOUS: `${key},nope` }, cwd: '/tmp' }), /KEYMINT_MASTER_KEY_PREVIOUS: .*entry 2/);
  assert.throws(() => loadConfig({ env: { KEYMINT_MASTER_KEY_PREVIOUS: key }, cwd: '/tmp' }), /KEYMINT_MASTER_KEY_PREVIOUS/);
  assert.equal(loadConfig({ env: { KEYMINT_MASTER_KEY: key, KEYMINT_MASTER_KEY_PREVIOUS: ` ${key} , ${key}` }, cwd: '/tmp' }).masterKeyPrevious.length, 2);
});
