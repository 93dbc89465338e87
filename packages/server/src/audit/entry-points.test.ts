import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdminClient, createAdmin } from '../admin/testing.js';
import { keymintCli, keymintCliText } from '../testing/cli.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import type { AuditEntryView } from './view.js';

// docs/architecture.md "Where rules live": the services write the audit entries, so the admin API
// and the CLI leave the same ones, each change exactly once, with whoever acted as the actor.

async function events(server: TestServer, ...filters: string[]): Promise<AuditEntryView[]> {
  return (await keymintCli(server, 'audit', 'list', '--limit', '1000', ...filters)).events;
}

const ofAction = (list: AuditEntryView[], action: string) => list.filter((e) => e.action === action);

test('every CLI change (tenant create, tenant settings, app auth-methods, users settings) leaves exactly one audit entry with actor cli', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  try {
    await keymintCli(server, 'tenant', 'create', 'acme');
    await keymintCli(server, 'tenant', 'settings', 'acme', '--signed-request-window', '30');
    const app = await keymintCli(server, '--tenant', 'acme', 'app', 'create', '--name', 'billing');
    await keymintCli(server, '--tenant', 'acme', 'app', 'auth-methods', app.client_id, 'client_secret_basic,signed_request');
    await keymintCli(server, '--tenant', 'acme', 'users', 'settings', '--mode', 'cookie');

    const all = await events(server, '--tenant', 'acme');
    const expected: [string, string | null][] = [
      ['tenant.created', 'acme'], ['tenant.settings_updated', 'acme'], ['app.created', app.client_id], ['app.updated', app.client_id], ['user.settings_updated', null],
    ];
    for (const [action, target] of expected) {
      const found = ofAction(all, action);
      assert.equal(found.length, 1, `exactly one ${action}: ${JSON.stringify(found)}`);
      assert.equal(found[0]!.actor, 'cli', action);
      assert.equal(found[0]!.tenant, 'acme', action);
      assert.equal(found[0]!.target, target, action);
    }
    assert.deepEqual(ofAction(all, 'tenant.settings_updated')[0]!.detail, { signed_request_window: 30 });
    assert.deepEqual(ofAction(all, 'app.updated')[0]!.detail, { auth_methods: ['client_secret_basic', 'signed_request'] });
    assert.equal(all.length, expected.length, `nothing else: ${all.map((e) => e.action).join(', ')}`);
  } finally {
    await server.close();
  }
});

test('every admin API change leaves exactly one audit entry with the admin as actor; concurrent app edits one each (no double app.updated)', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const admin = await AdminClient.signIn(server, email, password);
    assert.equal((await admin.call('POST', '/tenants', { slug: 'beta' })).status, 201);
    const T = '/tenants/beta';
    assert.equal((await admin.call('PATCH', `${T}/settings`, { default_token_lifetime: 600 })).status, 200);
    assert.equal((await admin.call('POST', `${T}/scopes`, { name: 'invoices_read', description: 'Read invoices' })).status, 201);
    const created = await admin.call('POST', `${T}/apps`, { name: 'sync' });
    assert.equal(created.status, 201);
    const clientId = created.body.app.client_id as string;
    assert.equal((await admin.call('PATCH', `${T}/end-user-settings`, { token_mode: 'cookie' })).status, 200);

    // Auth methods with other fields, and auth methods alone: one entry per PATCH, in a burst.
    const patches = [
      { auth_methods: ['client_secret_basic', 'signed_request'], token_lifetime: 900 },
      { auth_methods: ['client_secret_post'] },
      { scopes: ['invoices_read'] },
      { auth_methods: ['client_secret_basic'], audiences: ['https://api.example.com'] },
    ];
    const answers = await Promise.all(patches.map((body) => admin.call('PATCH', `${T}/apps/${clientId}`, body)));
    assert.deepEqual(answers.map((a) => a.status), patches.map(() => 200));

    const all = await events(server, '--tenant', 'beta');
    for (const action of ['tenant.created', 'tenant.settings_updated', 'scope.added', 'app.created', 'user.settings_updated']) {
      const found = ofAction(all, action);
      assert.equal(found.length, 1, `exactly one ${action}: ${JSON.stringify(found)}`);
      assert.equal(found[0]!.actor, 'admin', action);
      assert.equal(found[0]!.actor_id, email, action);
    }
    const updates = ofAction(all, 'app.updated');
    assert.equal(updates.length, patches.length, `one app.updated per PATCH: ${JSON.stringify(updates)}`);
    assert.ok(updates.every((e) => e.actor === 'admin' && e.actor_id === email && e.target === clientId));
    assert.equal(updates.filter((e) => 'auth_methods' in (e.detail ?? {})).length, 3, 'auth-method changes are in the one entry of their PATCH');
    assert.deepEqual(ofAction(all, 'tenant.settings_updated')[0]!.detail, { default_token_lifetime: 600 });
    // Each PATCH wrote only its own fields, so the burst lost none of them.
    const final = (await admin.call('GET', `${T}/apps/${clientId}`)).body;
    assert.equal(final.token_lifetime, 900);
    assert.deepEqual(final.scopes, ['invoices_read']);
    assert.deepEqual(final.audiences, ['https://api.example.com']);
    // The admin API serves the same shape from the same serializer.
    const viaApi = (await admin.call('GET', `${T}/audit?limit=500`)).body.entries as AuditEntryView[];
    assert.deepEqual(viaApi, all);
  } finally {
    await server.close();
  }
});

test('keymint audit list: every tenant and the events of none, --tenant, --action, --since (duration or ISO), --limit, table output, and bad input refused', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  try {
    const { email, password } = await createAdmin(server, 'root@example.com');
    await AdminClient.signIn(server, email, password);
    await keymintCli(server, 'tenant', 'create', 'gamma');
    await keymintCli(server, 'app', 'create', '--name', 'in default');

    const all = await events(server);
    const signIn = ofAction(all, 'admin.signed_in');
    assert.equal(signIn.length, 1, 'an admin of every tenant signing in belongs to no tenant and is listed');
    assert.equal(signIn[0]!.tenant, null);
    assert.equal(signIn[0]!.actor_id, email);
    assert.equal(ofAction(all, 'tenant.created').filter((e) => e.tenant === 'gamma').length, 1);
    assert.equal(ofAction(all, 'app.created').filter((e) => e.tenant === 'default').length, 1);
    for (const e of all) {
      assert.deepEqual(Object.keys(e).sort(), ['action', 'actor', 'actor_id', 'created_at', 'detail', 'id', 'ip', 'target', 'tenant']);
    }
    assert.deepEqual(all.map((e) => e.id), [...all.map((e) => e.id)].sort((a, b) => b - a), 'newest first');

    assert.deepEqual((await events(server, '--tenant', 'gamma')).map((e) => e.action), ['tenant.created']);
    assert.ok((await events(server, '--action', 'app.created')).every((e) => e.action === 'app.created'));
    assert.equal((await events(server, '--action', 'app.created')).length, 1);
    assert.equal((await events(server, '--since', '1h')).length, all.length);
    assert.equal((await events(server, '--since', new Date(Date.now() + 3_600_000).toISOString())).length, 0);
    assert.equal((await keymintCli(server, 'audit', 'list', '--limit', '1')).events.length, 1);

    const text = await keymintCliText(server, 'audit', 'list', '--tenant', 'gamma');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^TIME\s+TENANT\s+ACTION\s+ACTOR\s+TARGET\s+IP\n/);
    assert.match(text.stdout, /gamma\s+tenant\.created\s+cli\s+gamma/);

    for (const args of [['--since', 'yesterday'], ['--limit', '0'], ['--limit', 'many'], ['--tenant', 'nope']]) {
      const refused = await keymintCliText(server, 'audit', 'list', ...args);
      assert.equal(refused.code, 1, args.join(' '));
      assert.doesNotMatch(refused.stderr, /unexpected failure/, args.join(' '));
    }
  } finally {
    await server.close();
  }
});
