import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestServer, TestClock } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('key rotation: a verifier with a cached JWKS verifies a stream of fresh tokens across two rotations with zero failures', { timeout: 60_000 }, async () => {
  // A 1 s JWKS max-age and a 1 s maintenance period keep the real-time waits short.
  const server = await startTestServer({ env: { KEYMINT_JWKS_MAX_AGE: '1', KEYMINT_KEY_CHECK_INTERVAL: '1' } });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const app = await server.createApp();
    // jose's own cache, for as long as the server allows; an unknown kid does NOT trigger an
    // early refetch (long cooldown), so only pre-publication can make the rotation seamless.
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`), { cacheMaxAge: 1_000, cooldownDuration: 600_000 });

    let done = false;
    let verified = 0;
    const failures: string[] = [];
    const kids = new Set<string>();
    const stream = (async () => {
      for (let i = 0; i < 20_000 && !done; i++) {
        const token = await fetchToken(server.issuer, app.clientId, app.clientSecret);
        kids.add(decodeProtectedHeader(token).kid!);
        try {
          await jwtVerify(token, jwks, { issuer: server.issuer, typ: 'at+jwt', algorithms: ['ES256'] });
          verified++;
        } catch (error) {
          failures.push(String(error));
        }
      }
    })();

    const states = async () => Object.fromEntries((await keymint.keys.list(tenant.id)).map((k) => [k.kid, k.state]));
    const [first] = Object.entries(await states()).filter(([, state]) => state === 'current').map(([kid]) => kid);

    // Rotation 1: the next key staged at start has been published longer than one max-age.
    await sleep(1_300);
    const one = await keymint.keys.rotate(tenant.id, { actor: 'cli' });
    assert.ok(one.promoted, 'a next key published long enough is promoted at once');
    assert.notEqual(one.promoted, first);

    // Rotation 2, asked for right away: the new next key is too young, so it is only scheduled
    // and the maintenance loop promotes it once verifiers can have it.
    const two = await keymint.keys.rotate(tenant.id, { actor: 'cli' });
    assert.equal(two.promoted, null, 'a key published less than one max-age ago never signs');
    assert.ok(two.next.activatesAt > keymint.now());
    const deadline = Date.now() + 10_000;
    while ((await states())[two.next.kid] !== 'current' && Date.now() < deadline) await sleep(100);
    assert.equal((await states())[two.next.kid], 'current');

    await sleep(1_500);
    done = true;
    await stream;
    assert.deepEqual(failures, []);
    assert.ok(kids.has(first!) && kids.has(one.promoted!) && kids.has(two.next.kid), 'tokens were signed by all three keys');
    assert.equal(kids.size, 3);
    const final = await states();
    assert.equal(final[first!], 'retired');
    assert.equal(final[one.promoted!], 'retired');
    assert.equal(Object.values(final).filter((s) => s === 'next').length, 1, 'a new next key is always staged');
    console.log(`# key rotation: ${verified} tokens verified across two rotations, 0 failures`);
  } finally {
    await server.close();
  }
});

test('key lifecycle: automatic rotation after KEYMINT_KEY_ROTATION_DAYS; retired keys stay published for the longest token lifetime, then go', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock, env: { KEYMINT_KEY_ROTATION_DAYS: '30', KEYMINT_KEY_CHECK_INTERVAL: '3600' } });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const jwksKids = async () => ((await (await fetch(`${server.issuer}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
    const byState = async (state: string) => (await keymint.keys.list(tenant.id)).filter((k) => k.state === state).map((k) => k.kid);

    const [original] = await byState('current');
    const [next] = await byState('next');
    assert.deepEqual(await jwksKids(), [original, next].sort(), 'the next key is published before it signs');

    clock.advance(29 * 86_400_000);
    await keymint.keys.maintainAll();
    assert.deepEqual(await byState('current'), [original], 'not due yet');

    clock.advance(86_400_000 + 1_000);
    await keymint.keys.maintainAll();
    assert.deepEqual(await byState('current'), [next], 'due: the published next key signs');
    assert.deepEqual(await byState('retired'), [original]);
    const [staged] = await byState('next');
    assert.deepEqual(await jwksKids(), [original, next, staged].sort(), 'retired key still published');

    clock.advance(86_400_000); // tokens live at most one day, plus leeway
    await keymint.keys.maintainAll();
    assert.deepEqual(await byState('retired'), [original], 'kept while a token it signed may live');
    clock.advance(61_000);
    await keymint.keys.maintainAll();
    assert.deepEqual(await byState('retired'), []);
    assert.deepEqual(await jwksKids(), [next, staged].sort(), 'removed from the JWKS');

    const actions = (await keymint.audit.list(tenant.id)).map((e) => e.action);
    assert.ok(actions.includes('signing_key.rotated') && actions.includes('signing_key.removed') && actions.includes('signing_key.staged'));
  } finally {
    await server.close();
  }
});

test('an operator rotation racing the maintenance step leaves exactly one next key', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    for (let round = 0; round < 3; round++) {
      // The published next key is old enough to sign, so both paths want to promote and restage.
      clock.advance(400_000);
      await Promise.all([keymint.keys.rotate(tenant.id), keymint.keys.maintain(tenant.id), keymint.keys.maintain(tenant.id)]);
      const states = (await keymint.keys.list(tenant.id)).map((k) => k.state);
      assert.equal(states.filter((s) => s === 'next').length, 1, `round ${round}: ${states.join(', ')}`);
      assert.equal(states.filter((s) => s === 'current').length, 1);
    }
  } finally {
    await server.close();
  }
});
