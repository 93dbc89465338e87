import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_LIMITS } from '../limits/model.js';
import { sha256 } from '../crypto/hash.js';
import { InvalidRequest, InvalidToken } from '../errors.js';
import { ChangeFeed } from '../store/change-log.js';
import { startTestServer, TestClock } from '../testing/harness.js';
import { QueryCounter } from '../testing/query-counter.js';
import { ApiTokenService } from './service.js';

const CLI = { actor: 'cli' } as const;

/** Flips one character of the random part, keeping the format: what a typo does. */
function mistype(token: string): string {
  const i = 10;
  return token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1);
}

test('API tokens: created once in plaintext, stored as SHA-256, listed without the token, resolved into a principal', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const catalog = await keymint.tenants.scopes(tenant.id);
    const created = await keymint.apiTokens.create(tenant.id, catalog, { name: 'ci', scopes: ['contacts_read', 'contacts_write'], expiresInSeconds: 3600 }, CLI);
    assert.match(created.token, /^kmk_[0-9A-Za-z]{38}$/);

    const row = await keymint.db.selectFrom('api_tokens').selectAll().where('id', '=', created.info.id).executeTakeFirstOrThrow();
    assert.equal(row.token_hash, sha256(created.token));
    assert.ok(!JSON.stringify(row).includes(created.token.slice(4)), 'no plaintext column holds the token');

    const principal = await keymint.principals.resolveBearer(created.token);
    assert.deepEqual(principal, {
      tenantSlug: 'default', clientId: null, scopes: ['contacts_read', 'contacts_write'], kind: 'api_token', subject: created.info.id,
      limits: NO_LIMITS, expiresAt: created.info.expiresAt,
    });

    const [listed] = await keymint.apiTokens.list(tenant.id);
    assert.equal(listed!.hint, created.token.slice(0, 8));
    assert.equal(listed!.status, 'active');
    assert.ok(listed!.lastUsedAt !== null, 'last used is written (batched, flushed before listing)');
    assert.ok(!JSON.stringify(listed).includes(created.token));

    await assert.rejects(keymint.apiTokens.create(tenant.id, catalog, { name: 'x', scopes: ['admin'] }, CLI), InvalidRequest);

    clock.advance(3601_000);
    await assert.rejects(keymint.principals.resolveBearer(created.token), InvalidToken, 'expired');
    assert.equal((await keymint.apiTokens.list(tenant.id))[0]!.status, 'expired');

    const audit = await keymint.audit.list(tenant.id);
    assert.ok(audit.some((e) => e.action === 'api_token.created' && e.actor === 'cli' && e.target === created.info.id));
  } finally {
    await server.close();
  }
});

test('API tokens: a mistyped token is refused with zero database queries; a cached valid one costs none either', async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const counter = new QueryCounter();
    // The same service over the real database, with every executed query counted.
    const service = new ApiTokenService(keymint.db.withPlugin(counter), keymint.changes, keymint.now, keymint.audit);
    const tenant = await keymint.tenants.get('default');
    const { token } = await service.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'scanner-visible' }, CLI);

    counter.count = 0;
    for (const bad of [mistype(token), token.slice(0, -1), `${token}x`, 'kmk_', 'garbage', token.replace('kmk_', 'kma_')]) {
      await assert.rejects(service.resolve(bad), InvalidToken);
    }
    assert.equal(counter.count, 0, 'checksum and shape are checked before any database read');

    await service.resolve(token);
    assert.equal(counter.count, 1, 'the first valid lookup reads once (and proves the counter counts)');
    await service.resolve(token);
    assert.equal(counter.count, 1, 'positive lookups are served from memory');
  } finally {
    await server.close();
  }
});

test('API tokens: revocation reaches a running server through the change feed (another process writing)', async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    // A second service on the same database stands in for the CLI: its write reaches the
    // server's cache only through the change log.
    const cli = new ApiTokenService(keymint.db, new ChangeFeed(keymint.db, 1000, () => {}), keymint.now, keymint.audit);
    const { token, info } = await cli.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'x' }, CLI);
    await keymint.principals.resolveBearer(token);
    await cli.revoke(tenant.id, info.id, CLI);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await assert.rejects(keymint.principals.resolveBearer(token), InvalidToken);
  } finally {
    await server.close();
  }
});
