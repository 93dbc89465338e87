import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { keymintCli } from '../testing/cli.js';
import { startTestServer } from '../testing/harness.js';
import { postJson } from '../testing/end-users.js';
import * as S from './schemas.js';
import { AdminClient } from './testing.js';

const T = '/tenants/default';
type Json = Record<string, unknown>;
// The ISO 8601 times both sides print (toISOString).
FormatRegistry.Set('date-time', (value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value));

/**
 * Issue 17 item 3: one contract per resource. The CLI's `--json` and the admin API describe the
 * same record with the same fields and the same values, and both match the schema the console's
 * types come from. A field renamed, added or computed differently on one side turns this red.
 */
function sameResource(name: string, schema: TSchema, cli: unknown, api: unknown): void {
  assert.deepEqual(cli, api, `${name}: the CLI's --json and the admin API answer the same`);
  assert.ok(Value.Check(schema, cli), `${name}: ${JSON.stringify([...Value.Errors(schema, cli)].map((e) => `${e.path} ${e.message}`))}`);
  // The schemas are open (the API's serializer would strip an extra field): a field the CLI adds is caught here.
  assert.deepEqual(Object.keys(cli as Json).sort(), Object.keys((schema as unknown as { properties: Json }).properties).sort(), `${name}: exactly the schema's fields`);
}

test('issue 17: tenant, app, secret, API token, admin token and end user have one shape in the CLI --json and the admin API', { timeout: 300_000 }, async () => {
  const started = await startTestServer();
  // The CLI names issuers from KEYMINT_PUBLIC_URL; the test server learned its port after listening.
  const server = { ...started, env: { ...started.env, KEYMINT_PUBLIC_URL: started.url } };
  try {
    const adminToken = await keymintCli(server, 'admin', 'token', 'create', '--name', 'contract', '--expires-in', '1d');
    const admin = AdminClient.withToken(server, adminToken.token);
    const get = async (path: string) => {
      const response = await admin.call('GET', path);
      assert.equal(response.status, 200, path);
      return response.body;
    };

    const tenant = (await keymintCli(server, 'tenant', 'list')).tenants[0];
    sameResource('tenant', S.TenantView, tenant, (await get('/tenants')).tenants[0]);
    sameResource('tenant settings', S.SettingsView, await keymintCli(server, 'tenant', 'settings', 'default'), await get(`${T}/settings`));

    const created = await keymintCli(server, 'app', 'create', '--name', 'billing', '--scopes', 'contacts_read');
    const showApp = async () => [await keymintCli(server, 'app', 'show', created.client_id), await get(`${T}/apps/${created.client_id}`)] as const;
    sameResource('app on the tenant default lifetime', S.AppView, ...await showApp());
    assert.equal((await admin.call('PATCH', `${T}/apps/${created.client_id}`, { token_lifetime: 900 })).status, 200);
    sameResource('app with its own lifetime', S.AppView, ...await showApp());
    sameResource('app list', S.AppList, await keymintCli(server, 'app', 'list'), await get(`${T}/apps`));

    const added = await keymintCli(server, 'app', 'secret', 'add', created.client_id, '--expires-in', '7d');
    assert.ok(Value.Check(S.NewSecretView, added), 'a new secret: the shape the API answers POST …/secrets with');
    assert.deepEqual(Object.keys(added).sort(), Object.keys(S.NewSecretView.properties).sort());
    const cliSecrets = (await keymintCli(server, 'app', 'secret', 'list', created.client_id)).secrets;
    sameResource('secret', S.SecretView, cliSecrets[1], (await get(`${T}/apps/${created.client_id}/secrets`)).secrets[1]);
    assert.equal(cliSecrets[1].secret_id, added.secret_id);

    const apiToken = await keymintCli(server, 'token', 'create', '--name', 'export', '--scopes', 'contacts_read');
    assert.ok(Value.Check(S.NewApiTokenView, apiToken), 'a new API token: the shape the API answers POST …/api-tokens with');
    sameResource('API token', S.ApiTokenView, (await keymintCli(server, 'token', 'list')).tokens[0], (await get(`${T}/api-tokens`)).tokens[0]);

    assert.ok(Value.Check(S.NewAdminTokenView, adminToken), 'a new admin token: the shape the API answers POST /admin-tokens with');
    // Listed after the API call above recorded its last use, so both read the same row.
    const apiAdminTokens = (await get('/admin-tokens')).tokens;
    const cliAdminTokens = (await keymintCli(server, 'admin', 'token', 'list')).tokens;
    sameResource('admin token', S.AdminTokenView, cliAdminTokens[0], apiAdminTokens[0]);

    const signedUp = await postJson(`${server.issuer}/auth/signup`, { email: 'ana@example.com', password: 'ana@example.com password' });
    assert.equal(signedUp.status, 201);
    sameResource('end user', S.EndUserView, (await keymintCli(server, 'users', 'list')).users[0], (await get(`${T}/users`)).users[0]);
  } finally {
    await started.close();
  }
});
