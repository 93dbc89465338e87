import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../config.js';
import { TestClock } from '../testing/harness.js';
import { downloadGitHubKeys, GitHubKeySource } from './github-keys.js';

const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
const document = (...ids: string[]) => ({ public_keys: ids.map((id, i) => ({ key_identifier: id, key: pem(), is_current: i === 0 })) });

/** A local HTTP server standing in for api.github.com's key URL; counts the fetches it answers. */
async function keyServer(initial: unknown) {
  let served = initial;
  let status = 200;
  let fetches = 0;
  const server = createServer((_request, response) => {
    fetches++;
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(served));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/meta/public_keys/secret_scanning`,
    fetches: () => fetches,
    serve(next: unknown, nextStatus = 200) {
      served = next;
      status = nextStatus;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('GitHub keys: fetched once and cached; an unknown key id fetches again at most once a minute; concurrent lookups share one fetch', async () => {
  const github = await keyServer(document('k1'));
  const clock = new TestClock();
  const keys = new GitHubKeySource({ fixed: null, download: () => downloadGitHubKeys(github.url), now: clock.now });
  try {
    const found = await Promise.all(Array.from({ length: 10 }, () => keys.find('k1')));
    assert.ok(found.every((key) => key !== null));
    assert.equal(github.fetches(), 1, 'ten concurrent first lookups, one fetch');
    assert.ok(await keys.find('k1'));
    assert.equal(github.fetches(), 1, 'a known key costs no fetch');

    // Forged key ids in a burst: none is found, and they cost at most one fetch a minute.
    clock.advance(61_000);
    for (let i = 0; i < 20; i++) assert.equal(await keys.find(`forged-${i}`), null);
    assert.equal(github.fetches(), 2);

    // GitHub rotates: the new id is found once a minute has passed since the last fetch.
    github.serve(document('k2', 'k1'));
    assert.equal(await keys.find('k2'), null, 'within the minute: not fetched again');
    clock.advance(61_000);
    assert.ok(await keys.find('k2'));
    assert.equal(github.fetches(), 3);

    // After six hours the keys are fetched again even when known; a failing GitHub throws (the route answers 503).
    github.serve({ message: 'rate limited' }, 403);
    clock.advance(6 * 3_600_000);
    await assert.rejects(keys.find('k1'), /HTTP 403/);
    clock.advance(61_000);
    github.serve(document('k3'));
    assert.ok(await keys.find('k3'), 'tried again a minute after the failure');
  } finally {
    await github.close();
  }
});

test('GitHub keys: KEYMINT_GITHUB_SECRET_SCANNING_KEYS names a key file; unreadable or invalid stops start-up naming the setting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-gh-'));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const config = loadConfig({ env: { KEYMINT_GITHUB_SECRET_SCANNING_KEYS: write('good.json', JSON.stringify(document('a', 'b'))) }, cwd: dir });
  assert.deepEqual(config.leaks.githubKeys?.map((k) => k.keyIdentifier), ['a', 'b']);
  assert.equal(loadConfig({ env: {}, cwd: dir }).leaks.githubKeys, null, 'unset: fetched from GitHub');

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' });
  for (const path of [
    join(dir, 'missing.json'),
    write('not-json.json', 'public_keys:'),
    write('empty.json', '{"public_keys":[]}'),
    write('no-id.json', JSON.stringify({ public_keys: [{ key: pem() }] })),
    write('rsa.json', JSON.stringify({ public_keys: [{ key_identifier: 'r', key: rsa }] })),
    write('garbage-key.json', JSON.stringify({ public_keys: [{ key_identifier: 'g', key: 'not a key' }] })),
  ]) {
    assert.throws(() => loadConfig({ env: { KEYMINT_GITHUB_SECRET_SCANNING_KEYS: path }, cwd: dir }), (error: unknown) => error instanceof ConfigError && error.setting === 'KEYMINT_GITHUB_SECRET_SCANNING_KEYS', path);
  }
});

test('Expiry warnings: KEYMINT_EXPIRY_WARNING_DAYS is read largest first; bad lists stop start-up naming the setting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-exp-'));
  assert.deepEqual(loadConfig({ env: {}, cwd: dir }).expiryWarningDays, [30, 7, 1]);
  assert.deepEqual(loadConfig({ env: { KEYMINT_EXPIRY_WARNING_DAYS: '1, 14,60' }, cwd: dir }).expiryWarningDays, [60, 14, 1]);
  assert.deepEqual(loadConfig({ env: { KEYMINT_EXPIRY_WARNING_DAYS: 'none' }, cwd: dir }).expiryWarningDays, []);
  for (const bad of ['0', '7,7', 'soon', '400', '7,,1', '-1']) {
    assert.throws(() => loadConfig({ env: { KEYMINT_EXPIRY_WARNING_DAYS: bad }, cwd: dir }), (error: unknown) => error instanceof ConfigError && error.setting === 'KEYMINT_EXPIRY_WARNING_DAYS', bad);
  }
});
