import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kysely } from 'kysely';
import { call } from '../testing/end-users.js';
import { startTestServer } from '../testing/harness.js';
import { down, up } from './migrations/0015_refresh_on_session.js';

test('migration 0015: refresh tokens issued before it are refused with 400 invalid_grant (never a 5xx), their sessions are kept, and new sign-ins rotate; down and up round-trip', async () => {
  const server = await startTestServer();
  try {
    const db = server.server.keymint.db as unknown as Kysely<any>;
    const before = await call(`${server.issuer}/auth/signup`, { email: 'upgrade@example.com', password: 'upgrade password' });
    assert.equal(before.status, 201);
    await down(db);
    // What 0005-0014 stored for that session: a row per token, keyed by its hash.
    const session = await db.selectFrom('user_sessions').select(['id', 'tenant_id']).executeTakeFirstOrThrow();
    await db.insertInto('refresh_tokens').values({ token_hash: 'old-hash', session_id: session.id, tenant_id: session.tenant_id, created_at: 1, used_at: null }).execute();
    await up(db);

    assert.equal((await db.selectFrom('user_sessions').select('id').execute()).length, 1, 'the session row stays');
    const refused = await call(`${server.issuer}/auth/refresh`, { refresh_token: before.body.refresh_token });
    assert.equal(refused.status, 400);
    assert.deepEqual([refused.body.error, refused.body.error_description], ['invalid_grant', 'the refresh token is not valid']);
    assert.equal((await call(`${server.issuer}/auth/signout`, { refresh_token: before.body.refresh_token })).status, 401, 'it names no session any more');

    const after = await call(`${server.issuer}/auth/signin`, { email: 'upgrade@example.com', password: 'upgrade password' });
    const rotated = await call(`${server.issuer}/auth/refresh`, { refresh_token: after.body.refresh_token });
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.refresh_token.slice(0, 15), after.body.refresh_token.slice(0, 15), 'the successor keeps the session handle');
  } finally {
    await server.close();
  }
});
