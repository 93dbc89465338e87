import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kysely } from 'kysely';
import { startTestServer } from '../testing/harness.js';
import { down, up } from './migrations/0008_email_proof.js';

test('migration 0008: stored emails become NFC (RFC 6532 §3.1) unless that would merge two accounts; code-only accounts count as proven, password accounts do not', async () => {
  const server = await startTestServer();
  try {
    const db = server.server.keymint.db as unknown as Kysely<any>;
    const tenantId = (await server.server.keymint.tenants.get('default')).id;
    await down(db);
    const row = (id: string, email: string, password: string | null, at: number) => ({ id, tenant_id: tenantId, email, email_normalized: email, password_hash: password, created_at: at, updated_at: at });
    await db.insertInto('end_users').values([
      row('usr_nfd', 'zoe\u0308@example.com', 'scrypt$x', 1),
      row('usr_code', 'ana\u0301@example.com', null, 2),
      // Two accounts that NFC makes one: the older keeps the address, the other keeps its old key.
      row('usr_twin_old', 'rene\u0301@example.com', 'scrypt$y', 3),
      row('usr_twin_new', 'ren\u00e9@example.com', 'scrypt$z', 4),
    ]).execute();
    await db.insertInto('otp_codes').values([
      { tenant_id: tenantId, email_normalized: 'zoe\u0308@example.com', code_hash: 'h1', attempts: 0, expires_at: Date.now() + 60_000, created_at: 1 },
      { tenant_id: tenantId, email_normalized: 'ok@example.com', code_hash: 'h2', attempts: 0, expires_at: Date.now() + 60_000, created_at: 1 },
    ]).execute();
    await up(db);

    const rows = await db.selectFrom('end_users').select(['id', 'email_normalized', 'email_verified_at']).orderBy('created_at').execute();
    assert.deepEqual(rows.map((r: any) => [r.id, r.email_normalized, r.email_verified_at === null ? null : Number(r.email_verified_at)]), [
      ['usr_nfd', 'zo\u00eb@example.com', null],
      ['usr_code', 'an\u00e1@example.com', 2],
      ['usr_twin_old', 'rene\u0301@example.com', null],
      ['usr_twin_new', 'ren\u00e9@example.com', null],
    ]);
    const codes = await db.selectFrom('otp_codes').select('email_normalized').execute();
    assert.deepEqual(codes.map((c: any) => c.email_normalized), ['ok@example.com'], 'a code under a non-NFC key is dropped');
  } finally {
    await server.close();
  }
});
