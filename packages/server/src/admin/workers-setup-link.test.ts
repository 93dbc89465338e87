import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnServe } from '../testing/serve-process.js';

async function setupCall(url: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/admin/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

test('serve --workers 2 on an empty database prints the admin setup link once, and it creates the first owner', { timeout: 120_000 }, async () => {
  const server = await spawnServe(['--workers', '2']);
  try {
    const started = Date.now();
    while (!/admin setup/.test(server.output()) && Date.now() - started < 20_000) await new Promise((resolve) => setTimeout(resolve, 100));
    const links = [...server.output().matchAll(/admin setup {2}(\S+)\/console\/setup\?token=([A-Za-z0-9_-]+)/g)];
    assert.equal(links.length, 1, `one setup link, from the primary:\n${server.output()}`);
    const [, base, token] = links[0]!;
    assert.equal(base, server.url, 'the link opens on this machine');
    assert.equal((await setupCall(server.url, '/setup/inspect', { token })).body.email, null, 'the first-start link asks for the owner email');
    const setup = await setupCall(server.url, '/setup', { token, email: 'first@example.com', password: 'a-long-owner-password' });
    assert.equal(setup.status, 200);
    assert.deepEqual([setup.body.account.email, setup.body.account.role, setup.body.account.tenant], ['first@example.com', 'owner', null]);
    assert.equal((await setupCall(server.url, '/setup/inspect', { token })).status, 400, 'the link is spent');
  } finally {
    await server.cleanup();
  }
});
