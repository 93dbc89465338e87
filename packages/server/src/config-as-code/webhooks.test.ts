import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWebhook } from '@keymint/sdk/node';
import { keymintCli, keymintCliText } from '../testing/cli.js';
import { createPostgresDatabase, TEST_DATABASE, type ThrowawayDatabase } from '../testing/databases.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { within } from '../testing/wait.js';

// Issue 21 item 3, webhooks ("never a secret"): export writes each webhook's id, URL and events;
// apply on another database creates them (a new whsec_ secret printed once), updates URL/events,
// deletes only with --prune, all through WebhookService (audited, URL policy checked).

const env = { KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };
let source: TestServer;
let target: TestServer;
let targetDb: ThrowawayDatabase | null = null;
let receiver: WebhookReceiver;
const files = mkdtempSync(join(tmpdir(), 'keymint-cac-wh-'));

before(async () => {
  receiver = await startWebhookReceiver();
  source = await startTestServer({ env });
  if (TEST_DATABASE === 'sqlite') {
    targetDb = await createPostgresDatabase();
    target = await startTestServer({ databaseUrl: targetDb.url, env });
  } else {
    target = await startTestServer({ databaseUrl: `sqlite:${join(files, 'target.db')}`, env });
  }
  // The CLI runs with the servers' environment.
  for (const server of [source, target]) Object.assign(server.env, env);
});
after(async () => {
  await source.close();
  await target.close();
  await targetDb?.drop();
  await receiver.close();
  rmSync(files, { recursive: true, force: true });
});

type Hook = { id?: string; url: string; events: string[] };
const withoutIds = (document: { tenants: { webhooks: Hook[] }[] }) => document.tenants.map((t) => t.webhooks.map(({ url, events }) => ({ url, events })));

test('webhooks round-trip between databases: url and events exported without secret, created with a new secret that signs, updated by id, deleted only with --prune', { timeout: 300_000 }, async () => {
  const a = await keymintCli(source, 'webhook', 'create', '--url', `${receiver.url}?stream=a`, '--events', 'app.*,api_token.revoked');
  const b = await keymintCli(source, 'webhook', 'create', '--url', `${receiver.url}/b`);
  const exported = await keymintCliText(source, 'export', '--format', 'yaml');
  assert.equal(exported.code, 0, exported.stderr);
  assert.ok(!exported.stdout.includes(a.secret) && !exported.stdout.includes(b.secret));
  assert.doesNotMatch(exported.stdout, /whsec_|sealed/, 'no webhook secret is exported');
  const document = await keymintCli(source, 'export');
  assert.deepEqual(document.tenants[0].webhooks, [
    { id: a.id, url: `${receiver.url}?stream=a`, events: ['app.*', 'api_token.revoked'] },
    { id: b.id, url: `${receiver.url}/b`, events: [] },
  ]);
  writeFileSync(join(files, 'keymint.yaml'), exported.stdout);

  const applied = await keymintCli(target, 'apply', join(files, 'keymint.yaml'));
  assert.deepEqual(applied.plan.filter((c: { resource: string }) => c.resource === 'webhook').map((c: { action: string; target: string }) => `${c.action} ${c.target}`),
    [`create ${receiver.url}?stream=a`, `create ${receiver.url}/b`]);
  assert.equal(applied.webhook_secrets.length, 2);
  for (const s of applied.webhook_secrets) assert.match(s.secret, /^whsec_/);
  const copied = await keymintCli(target, 'export');
  assert.deepEqual(withoutIds(copied), withoutIds(document), 'the same URLs and events on the other database');
  assert.equal((await keymintCli(target, 'apply', join(files, 'keymint.yaml'))).changes, 0, 'idempotent: ids differ between installations, the URL matches');

  // The secrets apply printed are the ones deliveries are signed with (both webhooks get app.created).
  const hookA = applied.webhook_secrets.find((s: { url: string }) => s.url.endsWith('?stream=a'));
  const hookB = applied.webhook_secrets.find((s: { url: string }) => s.url.endsWith('/b'));
  const before = receiver.received.length;
  await target.createApp();
  const appCreated = () => receiver.received.slice(before).filter((r) => r.body.includes('"app.created"'));
  await within(10_000, 'app.created delivered to both webhooks', async () => appCreated().length === 2);
  for (const { secret } of [hookA, hookB]) {
    const verified = appCreated().filter((r) => {
      try {
        return verifyWebhook({ secret, headers: r.headers, body: r.body }).type === 'app.created';
      } catch {
        return false;
      }
    });
    assert.equal(verified.length, 1, 'each printed secret verifies its own delivery');
  }

  // The target's own export carries its ids: URL and events change in place, the other webhook stays without --prune.
  const edited = { ...copied, tenants: [{ ...copied.tenants[0], webhooks: [{ ...copied.tenants[0].webhooks[0], url: `${receiver.url}/a2`, events: ['credential.*'] }] }] };
  writeFileSync(join(files, 'edited.json'), JSON.stringify(edited));
  const updated = await keymintCli(target, 'apply', join(files, 'edited.json'));
  assert.deepEqual(updated.plan.map((c: { action: string; resource: string; target: string }) => `${c.action} ${c.resource} ${c.target}`), [`update webhook ${hookA.id}`]);
  assert.deepEqual(updated.webhook_secrets, [], 'an update keeps the secret');
  const pruned = await keymintCli(target, 'apply', join(files, 'edited.json'), '--prune');
  assert.deepEqual(pruned.plan.filter((c: { resource: string }) => c.resource === 'webhook').map((c: { action: string; resource: string; target: string }) => `${c.action} ${c.resource} ${c.target}`), [`delete webhook ${hookB.id}`]);
  assert.deepEqual((await keymintCli(target, 'webhook', 'list')).webhooks.map((w: { id: string; url: string; events: string[] }) => [w.id, w.url, w.events]),
    [[hookA.id, `${receiver.url}/a2`, ['credential.*']]]);

  await target.server.keymint.audit.flush();
  const { events } = await keymintCli(target, 'audit', 'list');
  const actions = events.filter((e: { action: string }) => e.action.startsWith('webhook.')).map((e: { action: string; actor: string; target: string }) => `${e.actor} ${e.action} ${e.target}`).sort();
  assert.deepEqual(actions, [`cli webhook.created ${hookA.id}`, `cli webhook.created ${hookB.id}`, `cli webhook.deleted ${hookB.id}`, `cli webhook.updated ${hookA.id}`].sort());

  // The URL policy of WebhookService applies: a refused URL stops the run with its reason.
  const current = (await keymintCli(target, 'export')).tenants[0];
  const withHooks = (webhooks: unknown[]) => JSON.stringify({ version: 1, tenants: [{ ...current, webhooks }] });
  writeFileSync(join(files, 'bad.json'), withHooks([{ url: 'ftp://hooks.example.com/' }]));
  const refused = await keymintCliText(target, 'apply', join(files, 'bad.json'));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /url must use https/);
  writeFileSync(join(files, 'bad.json'), withHooks([{ url: `${receiver.url}/c`, events: ['no.such'] }]));
  assert.match((await keymintCliText(target, 'apply', join(files, 'bad.json'))).stderr, /^keymint: tenants\[0\]: webhooks\[0\]: unknown event type\(s\): no\.such/);
});
