import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { AdminClient } from '../admin/testing.js';
import { keymintCli, keymintCliText } from '../testing/cli.js';
import { createPostgresDatabase, TEST_DATABASE, type ThrowawayDatabase } from '../testing/databases.js';
import { startTestServer, type TestServer } from '../testing/harness.js';

// Issue 21 item 3: export from a server on one database, apply to a fresh server on the other
// (SQLite → PostgreSQL in the SQLite run, PostgreSQL → SQLite in the PostgreSQL run), export again:
// the same document, the same client ids, and the apps' new secrets work at the new token endpoint.

let source: TestServer;
let target: TestServer;
let targetDb: ThrowawayDatabase | null = null;
const files = mkdtempSync(join(tmpdir(), 'keymint-cac-'));

before(async () => {
  source = await startTestServer();
  if (TEST_DATABASE === 'sqlite') {
    targetDb = await createPostgresDatabase();
    target = await startTestServer({ databaseUrl: targetDb.url });
  } else {
    target = await startTestServer({ databaseUrl: `sqlite:${join(files, 'target.db')}` });
  }
});
after(async () => {
  await source.close();
  await target.close();
  await targetDb?.drop();
  rmSync(files, { recursive: true, force: true });
});

async function clientCredentials(server: TestServer, tenant: string, clientId: string, secret: string) {
  const issuer = new URL(`${server.url}/t/${tenant}`);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
  const client = { client_id: clientId };
  const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(secret), new URLSearchParams(), { [oauth.allowInsecureRequests]: true });
  return oauth.processClientCredentialsResponse(as, client, response);
}

test('export from one database, apply to a fresh server on the other, export again: equal, ids kept, secrets new and working', async () => {
  await keymintCli(source, 'tenant', 'create', 'acme', '--signing-alg', 'RS256');
  await keymintCli(source, 'tenant', 'settings', 'acme', '--signed-request-window', '30');
  await keymintCli(source, '--tenant', 'acme', 'users', 'settings', '--origins', 'https://app.acme.example', '--mode', 'cookie');
  const billing = await keymintCli(source, '--tenant', 'acme', 'app', 'create', '--name', 'Billing', '--scopes', 'contacts_read', '--format', 'opaque', '--audiences', 'https://billing.acme.example', '--lifetime', '600');
  const old = await keymintCli(source, 'app', 'create', '--name', 'Old', '--auth-methods', 'client_secret_post,signed_request');
  await keymintCli(source, 'app', 'disable', old.client_id);
  await keymintCli(source, '--tenant', 'acme', 'token', 'create', '--name', 'ci', '--scopes', 'contacts_read');

  const exported = await keymintCliText(source, 'export', '--format', 'yaml');
  assert.equal(exported.code, 0, exported.stderr);
  for (const credential of [billing.client_secret, old.client_secret]) assert.ok(!exported.stdout.includes(credential));
  assert.doesNotMatch(exported.stdout, /kms_|kmk_|hash|sealed/, 'no secret, token or hash is exported');
  writeFileSync(join(files, 'keymint.yaml'), exported.stdout);

  const plan = await keymintCli(target, 'apply', join(files, 'keymint.yaml'), '--dry-run');
  assert.equal(plan.applied, false);
  assert.deepEqual((await keymintCli(target, 'export')).tenants.map((t: { slug: string }) => t.slug), ['default'], 'a dry run changes nothing');
  const applied = await keymintCli(target, 'apply', join(files, 'keymint.yaml'));
  assert.equal(applied.changes, plan.changes);
  assert.deepEqual(applied.secrets.map((s: { client_id: string }) => s.client_id).sort(), [billing.client_id, old.client_id].sort(), 'one new secret per created app');

  const [before, after] = [JSON.parse((await keymintCliText(source, 'export')).stdout), JSON.parse((await keymintCliText(target, 'export')).stdout)];
  assert.deepEqual(after, before);
  assert.equal((await keymintCli(target, 'apply', join(files, 'keymint.yaml'))).changes, 0, 'idempotent: {"changes": 0} on the second run');
  assert.equal((await keymintCli(source, 'apply', join(files, 'keymint.yaml'))).changes, 0, 'the source already matches its own export');

  // The same client_id authenticates on the new installation with the secret apply printed.
  const secret = applied.secrets.find((s: { client_id: string }) => s.client_id === billing.client_id).client_secret;
  const token = await clientCredentials(target, 'acme', billing.client_id, secret);
  assert.match(token.access_token, /^kma_/, 'the app kept its opaque token format');
  assert.equal(token.expires_in, 600);
  await assert.rejects(clientCredentials(target, 'acme', billing.client_id, billing.client_secret), 'the source secret was never exported');

  // The admin API answers the same document for one tenant (GET …/export).
  const adminToken = await keymintCli(target, 'admin', 'token', 'create', '--name', 'export', '--expires-in', '1h');
  const fromApi = await AdminClient.withToken(target, adminToken.token).call('GET', '/tenants/acme/export');
  assert.equal(fromApi.status, 200);
  assert.deepEqual(fromApi.body, await keymintCli(target, '--tenant', 'acme', 'export'));
});

test('apply audits one entry per change with actor cli; a refused file, a wrong field or a bad file changes nothing and says where', async () => {
  const file = join(files, 'audit.json');
  const document = {
    version: 1,
    tenants: [{
      slug: 'audited',
      name: 'Audited',
      settings: { default_token_lifetime: 900 },
      scopes: [{ name: 'reports_read', description: 'Read reports' }],
      apps: [{ client_id: 'reporting-service', name: 'Reporting', scopes: ['reports_read'] }, { client_id: 'retired-service', name: 'Retired', status: 'disabled' }],
    }],
  };
  writeFileSync(file, JSON.stringify(document));
  const applied = await keymintCli(target, 'apply', file);
  assert.deepEqual(applied.plan.map((c: { action: string; resource: string }) => `${c.action} ${c.resource}`), ['create tenant', 'update settings', 'create scope', 'create app', 'create app']);
  await target.server.keymint.audit.flush();
  const { events } = await keymintCli(target, '--tenant', 'audited', 'audit', 'list');
  const actions = events.filter((e: { action: string }) => !e.action.startsWith('signing_key.')).map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`).sort();
  assert.deepEqual(actions, ['cli app.created', 'cli app.created', 'cli app.disabled', 'cli scope.added', 'cli tenant.created', 'cli tenant.settings_updated']);

  // Re-enabling a disabled app is refused before anything is written (renaming the tenant too).
  writeFileSync(file, JSON.stringify({ ...document, tenants: [{ ...document.tenants[0], name: 'Renamed', apps: [{ client_id: 'retired-service', name: 'Retired' }] }] }));
  const refused = await keymintCliText(target, 'apply', file);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^keymint: nothing applied: audited: app retired-service is disabled and apply does not re-enable apps/);
  assert.equal((await keymintCli(target, '--tenant', 'audited', 'export')).tenants[0].name, 'Audited');

  // Client ids are unique per installation: another tenant cannot take one (409 Conflict from AppService).
  writeFileSync(file, JSON.stringify({ version: 1, tenants: [{ slug: 'default', name: 'Default', apps: [{ client_id: 'reporting-service', name: 'Copy' }] }] }));
  const taken = await keymintCliText(target, 'apply', file);
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /^keymint: client_id reporting-service is taken\n$/);

  writeFileSync(file, JSON.stringify({ version: 1, tenants: [{ slug: 'audited', apps: [{ client_id: 'x1', name: 'X', token_lifetme: 60 }] }] }));
  const typo = await keymintCliText(target, 'apply', file);
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /^keymint: tenants\[0\]\.apps\[0\]\.token_lifetme: Unexpected property/);
  writeFileSync(file, '{"version": 1, "tenants": [');
  const broken = await keymintCliText(target, 'apply', file);
  assert.match(broken.stderr, /^keymint: .*audit\.json is not valid JSON/);
  writeFileSync(file, JSON.stringify({ version: 2, tenants: [] }));
  assert.match((await keymintCliText(target, 'apply', file)).stderr, /^keymint: version: /);
});
