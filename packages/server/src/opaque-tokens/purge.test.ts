import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer, TestClock } from '../testing/harness.js';
import { introspect } from '../testing/tokens.js';

test('purge: 100k opaque tokens with a 1 s lifetime are deleted, live ones stay, so storage is bounded by live tokens', { timeout: 120_000 }, async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const app = await server.createApp({ tokenFormat: 'opaque' });
    const now = keymint.now();
    const shortLived = Array.from({ length: 100_000 }, () => ({
      tenantId: tenant.id, clientId: app.clientId, scopes: ['contacts_read'], audience: `${server.issuer}/api`, issuedAt: now, expiresAt: now + 1_000,
    }));
    const started = Date.now();
    await keymint.opaqueTokens.issueMany(shortLived);
    const inserted = Date.now() - started;
    const live = await keymint.opaqueTokens.issueMany(Array.from({ length: 10 }, () => ({ ...shortLived[0]!, expiresAt: now + 3_600_000 })));
    assert.equal(await keymint.opaqueTokens.count(), 100_010);

    clock.advance(1_001);
    const purgeStarted = Date.now();
    const { opaqueTokens } = await keymint.purgeExpired();
    const purged = Date.now() - purgeStarted;
    assert.equal(opaqueTokens, 100_000);
    assert.equal(await keymint.opaqueTokens.count(), 10);
    const caller = await server.createApp({ scopes: [] });
    assert.equal((await introspect(server.issuer, caller.clientId, caller.clientSecret, live[0]!)).body.active, true);
    console.log(`# 100k opaque tokens: insert ${inserted} ms, purge ${purged} ms`);
  } finally {
    await server.close();
  }
});

test('purge runs on its own on the configured interval (KEYMINT_PURGE_INTERVAL)', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock, env: { KEYMINT_PURGE_INTERVAL: '1' } });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const app = await server.createApp({ tokenFormat: 'opaque' });
    const now = keymint.now();
    await keymint.opaqueTokens.issueMany([{ tenantId: tenant.id, clientId: app.clientId, scopes: [], audience: 'a', issuedAt: now, expiresAt: now + 1_000 }]);
    clock.advance(2_000);
    const deadline = Date.now() + 5_000;
    while ((await keymint.opaqueTokens.count()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await keymint.opaqueTokens.count(), 0);
  } finally {
    await server.close();
  }
});
