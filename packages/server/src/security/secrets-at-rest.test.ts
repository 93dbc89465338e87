import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM } from '../audit/service.js';
import { randomLowerAlnum } from '../crypto/random.js';
import type { Keymint } from '../keymint.js';
import { signRequest } from '../profiles/signature.js';
import { isPostgres } from '../store/dialect.js';
import { basic, postForm, startTestServer } from '../testing/harness.js';
import { fetchToken, introspect, revoke } from '../testing/tokens.js';
import { tenantSigningKeys } from './forgery.js';

/** Every row of every table, as text: what a stolen backup or `pg_dump` would hold. */
async function dumpEveryTable(keymint: Keymint): Promise<string> {
  const { db } = keymint;
  const tables = isPostgres(db)
    ? (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)).rows
    : (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows;
  assert.ok(tables.length >= 8, `found the tables (${tables.map((t) => t.name).join(', ')})`);
  let dump = '';
  for (const { name } of tables) {
    const rows = (await sql`select * from ${sql.table(name)}`.execute(db)).rows;
    dump += `${name}\n${JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? String(value) : Buffer.isBuffer(value) ? value.toString('latin1') : value))}\n`;
  }
  return dump;
}

/**
 * SECURITY-CHECKLIST "A dump of the database holds no usable secret" and "Secrets/tokens never in
 * logs": a scenario issues and uses every credential kind (client secrets, an added secret, a
 * signed-request secret, API token, opaque and JWT access tokens from every token endpoint), with
 * the client mistakes that tempt logging (a token in the URL, a wrong secret), then searches the
 * captured log, every table (SELECT *) and, on SQLite, the raw database and WAL files for each.
 */
test('no secret, token, master key or private key appears in plaintext in the logs or the database', { timeout: 60_000 }, async () => {
  const server = await startTestServer({ env: { KEYMINT_LOG_LEVEL: 'trace' } });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const issued: Record<string, string> = {};

    const jwtApp = await server.createApp({ name: 'jwt app', scopes: ['contacts_read', 'contacts_write'] });
    const opaqueApp = await server.createApp({ name: 'opaque app', scopes: ['contacts_read'], tokenFormat: 'opaque' });
    const signingApp = await server.createApp({ name: 'signing app', scopes: ['contacts_read'], authMethods: ['signed_request', 'client_secret_post'] });
    const added = await keymint.apps.addSecret(tenant.id, jwtApp.clientId, 86_400);
    issued['client secret (jwt app)'] = jwtApp.clientSecret;
    issued['client secret (opaque app)'] = opaqueApp.clientSecret;
    issued['client secret (signed-request app, kept sealed)'] = signingApp.clientSecret;
    issued['added client secret'] = added.clientSecret;
    issued['API token'] = (await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'script', scopes: ['contacts_read'] }, SYSTEM)).token;

    issued['JWT from /oauth/token'] = await fetchToken(server.issuer, jwtApp.clientId, jwtApp.clientSecret, { scope: 'contacts_read contacts_write' });
    issued['JWT from /connect/token (added secret)'] = (await postForm(`${server.issuer}/connect/token`, { grant_type: 'client_credentials' }, { authorization: basic(jwtApp.clientId, added.clientSecret) })).body.access_token;
    issued['opaque token'] = await fetchToken(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret);
    issued['JWT from /v1/auth/token'] = (await postForm(`${server.issuer}/v1/auth/token`, { client_id: signingApp.clientId, client_secret: signingApp.clientSecret })).body.data.access_token;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const value = randomLowerAlnum(32);
    const signed = await fetch(`${server.issuer}/v3/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: signingApp.clientId, audience: `${server.issuer}/api`, timestamp, signature_value: value, signature: signRequest(signingApp.clientSecret, value, timestamp) }),
    });
    issued['JWT from /v3/tokens'] = ((await signed.json()) as any).access_token;
    for (const [what, secret] of Object.entries(issued)) assert.ok(typeof secret === 'string' && secret.length > 20, `${what} was issued`);

    // Use every token at the resource API, the way integrators (and their mistakes) do.
    for (const token of [issued['JWT from /oauth/token']!, issued['opaque token']!, issued['API token']!, issued['JWT from /v3/tokens']!]) {
      assert.equal((await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      assert.equal((await fetch(`${server.issuer}/api/v1/contacts?access_token=${token}`)).status, 400, 'a token in the URL is refused');
    }
    const created = await fetch(`${server.issuer}/api/v1/contacts`, { method: 'POST', headers: { authorization: `Bearer ${issued['JWT from /oauth/token']}`, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'someone@example.com', name: 'Some One' }) });
    assert.equal(created.status, 201);
    for (const token of Object.values(issued)) await introspect(server.issuer, jwtApp.clientId, jwtApp.clientSecret, token);
    assert.equal((await revoke(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret, issued['opaque token']!)).status, 200);
    assert.equal((await revoke(server.issuer, jwtApp.clientId, jwtApp.clientSecret, issued['JWT from /connect/token (added secret)']!)).status, 200);
    // Wrong secrets that are one character off a real one must not be logged either.
    await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', client_id: jwtApp.clientId, client_secret: `${jwtApp.clientSecret}x` });
    await postForm(`${server.issuer}/oauth/token`, `grant_type=client_credentials&client_id=${jwtApp.clientId}&client_secret=${jwtApp.clientSecret}&client_secret=${added.clientSecret}`);
    await keymint.apps.flushLastUsed();
    await keymint.audit.flush();

    // Key material: the master key and every private signing key.
    const masterKey = keymint.config.masterKey!.toString('base64url');
    issued['master key'] = masterKey;
    for (const key of await tenantSigningKeys(server.server.keymint)) {
      issued[`private key ${key.kid} (JWK d)`] = (key.privateKey.export({ format: 'jwk' }) as { d: string }).d;
      issued[`private key ${key.kid} (PKCS#8 body)`] = (key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string).split('\n')[1]!;
    }

    // What to look for: each secret whole, and its random body (a store could drop the prefix);
    // for a JWT its signature (the part that makes it usable).
    const needles = Object.entries(issued).flatMap(([what, secret]) => {
      if (/^km[a-z]_/.test(secret)) return [[what, secret], [`${what} (body)`, secret.slice(4, 36)]];
      if (secret.split('.').length === 3) return [[what, secret], [`${what} (signature)`, secret.split('.')[2]!]];
      return [[what, secret]];
    }) as [string, string][];

    const places: Record<string, string> = { 'captured log': server.logs(), 'SELECT * of every table': await dumpEveryTable(keymint) };
    if (keymint.config.database.kind === 'sqlite') {
      const file = keymint.config.database.path;
      for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) places[path] = readFileSync(path).toString('latin1');
      assert.ok(places[`${file}-wal`] !== undefined || places[file]!.length > 0, 'the database files were read');
    }
    assert.ok(places['captured log']!.includes('incoming request'), 'the log was captured at trace level');

    const leaks: string[] = [];
    for (const [place, text] of Object.entries(places)) {
      for (const [what, needle] of needles) if (text.includes(needle)) leaks.push(`${what} in ${place}`);
    }
    assert.deepEqual(leaks, []);
    // Hashes are what the database holds for the secrets (a control that the scan can see them).
    assert.ok(places['SELECT * of every table']!.includes(jwtApp.clientId), 'the dump does contain the apps');
  } finally {
    await server.close();
  }
});
