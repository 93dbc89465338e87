import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { basic, postForm, prepareTestStorage, startTestServer } from '@keymint/server/testing';

const bin = fileURLToPath(new URL('../bin/keymint.js', import.meta.url));

function keymint(dataDir: string, ...args: string[]) {
  return keymintWith({ KEYMINT_DATA_DIR: dataDir }, ...args);
}

function keymintWith(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: env.KEYMINT_DATA_DIR,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json(dataDir: string, ...args: string[]): any {
  return jsonWith({ KEYMINT_DATA_DIR: dataDir }, ...args);
}

function jsonWith(env: Record<string, string>, ...args: string[]): any {
  const result = keymintWith(env, ...args, '--json');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n').length, 1, '--json prints exactly one line');
  return JSON.parse(result.stdout);
}

test('CLI on a fresh data folder: migrates, bootstraps tenant default, creates the master key with mode 0600', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-cli-'));
  const { tenants } = json(dir, 'tenant', 'list');
  assert.equal(tenants.length, 1);
  assert.equal(tenants[0].tenant, 'default');
  assert.equal(tenants[0].issuer, 'http://127.0.0.1:8080/t/default');
  assert.match(tenants[0].app_id, /^app_[a-z0-9]{20}$/);
  assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
  assert.deepEqual(json(dir, 'tenant', 'list'), { tenants }, 'running again changes nothing');
});

test('CLI app lifecycle with --json: create, list, show, secret add/list/revoke, rename, disable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-cli-'));
  const created = json(dir, 'app', 'create', '--name', 'billing-sync', '--scopes', 'contacts_read,contacts_write', '--lifetime', '900');
  assert.deepEqual(Object.keys(created).sort(), ['client_id', 'client_secret', 'issuer', 'scopes', 'secret_id', 'tenant']);
  assert.match(created.client_id, /^[a-z0-9]{24}$/);
  assert.match(created.client_secret, /^kms_[0-9A-Za-z]{38}$/);
  assert.deepEqual(created.scopes, ['contacts_read', 'contacts_write']);

  const { apps } = json(dir, 'app', 'list');
  assert.equal(apps.length, 1);
  assert.equal(JSON.stringify(apps).includes(created.client_secret), false, 'never the secret');
  const shown = json(dir, 'app', 'show', created.client_id);
  assert.equal(shown.name, 'billing-sync');
  assert.equal(shown.status, 'active');
  assert.equal(shown.token_lifetime, 900);

  const added = json(dir, 'app', 'secret', 'add', created.client_id, '--expires-in', '7d');
  assert.match(added.client_secret, /^kms_/);
  const expiresIn = Date.parse(added.expires_at) - Date.now();
  assert.ok(Math.abs(expiresIn - 7 * 86_400_000) < 60_000);
  const { secrets } = json(dir, 'app', 'secret', 'list', created.client_id);
  assert.equal(secrets.length, 2);
  assert.ok(!JSON.stringify(secrets).includes(created.client_secret) && !JSON.stringify(secrets).includes(added.client_secret));
  const revoked = json(dir, 'app', 'secret', 'revoke', created.client_id, created.secret_id);
  assert.equal(revoked.status, 'revoked');

  assert.equal(json(dir, 'app', 'rename', created.client_id, 'billing-sync-v2').name, 'billing-sync-v2');
  assert.equal(json(dir, 'app', 'disable', created.client_id).status, 'disabled');
});

test('CLI tenants: create with its own issuer and app id; a duplicate is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-cli-'));
  const acme = json(dir, 'tenant', 'create', 'acme-prod');
  assert.equal(acme.tenant, 'acme-prod');
  assert.equal(acme.issuer, 'http://127.0.0.1:8080/t/acme-prod');
  const app = json(dir, '--tenant', 'acme-prod', 'app', 'create', '--name', 'x');
  assert.equal(app.tenant, 'acme-prod');
  assert.deepEqual(app.scopes, [], 'no scopes unless chosen');
  const duplicate = keymint(dir, 'tenant', 'create', 'acme-prod');
  assert.notEqual(duplicate.status, 0);
  assert.equal(duplicate.stderr, 'keymint: tenant acme-prod already exists\n');
});

test('CLI errors exit non-zero with one line on stderr and nothing on stdout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-cli-'));
  const cases = [
    ['app', 'create', '--name', 'x', '--scopes', 'admin'],
    ['app', 'show', 'nosuchapp'],
    ['app', 'create', '--name', 'x', '--lifetime', '5'],
    ['tenant', 'create', 'Bad Slug'],
    ['--tenant', 'nope', 'app', 'list'],
  ];
  for (const args of cases) {
    const result = keymint(dir, ...args, '--json');
    assert.equal(result.status, 1, args.join(' '));
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^keymint: .+\n$/, args.join(' '));
  }
  const badConfig = spawnSync(process.execPath, [bin, 'app', 'list'], {
    cwd: dir,
    env: { PATH: process.env.PATH, KEYMINT_DATA_DIR: dir, KEYMINT_DATABASE_URL: 'mysql://x' },
    encoding: 'utf8',
  });
  assert.equal(badConfig.status, 1);
  assert.match(badConfig.stderr, /^keymint: KEYMINT_DATABASE_URL: expected sqlite:PATH or postgres:/);
});

test('a change made with the CLI reaches a running server within a second', async () => {
  const storage = await prepareTestStorage();
  const server = await startTestServer(storage);
  try {
    const app = jsonWith(server.env, 'app', 'create', '--name', 'live', '--scopes', 'contacts_read');
    const tokenUrl = `${server.issuer}/oauth/token`;
    const first = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.client_id, app.client_secret) });
    assert.equal(first.status, 200, 'an app made by the CLI works on the running server');
    jsonWith(server.env, 'app', 'disable', app.client_id);
    const disabledAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - disabledAt < 1000) {
      status = (await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.client_id, app.client_secret) })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 401, 'the disabled app is refused within 1 s');
  } finally {
    await server.close();
    await storage.cleanup();
  }
});
