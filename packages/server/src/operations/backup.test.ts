import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { basic, postForm, startTestServer } from '../testing/harness.js';
import { TEST_DATABASE } from '../testing/databases.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../cli/bin/keymint.js', import.meta.url));

test('keymint backup FILE under token load: a 0600 copy on which a restored server serves the same apps (docs/operations.md restore drill)', { skip: TEST_DATABASE === 'sqlite' ? false : 'SQLite run only', timeout: 120_000 }, async () => {
  const server = await startTestServer();
  const restoreDir = mkdtempSync(join(tmpdir(), 'keymint-restore-'));
  try {
    const apps = [await server.createApp(), await server.createApp({ scopes: ['contacts_read'] })];
    for (const mode of ['keymint.db', 'keymint.db-wal', 'keymint.db-shm']) {
      assert.equal(statSync(join(server.dataDir, mode)).mode & 0o777, 0o600, `${mode} is 0600`);
    }
    let running = true;
    let issued = 0;
    const failures: number[] = [];
    const load = (async () => {
      while (running) {
        for (const app of apps) {
          const response = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
          if (response.status === 200) issued++;
          else failures.push(response.status);
        }
        // Writes too, so the copy is taken while the WAL changes.
        await server.createApp();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const file = join(restoreDir, 'keymint.db');
    const { stdout } = await run(process.execPath, [CLI, 'backup', file, '--json'], { env: { ...process.env, ...server.env }, cwd: server.dataDir });
    running = false;
    await load;
    assert.deepEqual(failures, [], 'the backup did not disturb the server');
    assert.ok(issued > 0);
    const result = JSON.parse(stdout);
    assert.equal(result.file, file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await assert.rejects(run(process.execPath, [CLI, 'backup', file], { env: { ...process.env, ...server.env } }), /never replaces a file/);

    // Restore drill: a server on the copy with the same master key serves the same apps.
    const restored = await startTestServer({ dataDir: restoreDir, env: { KEYMINT_MASTER_KEY: server.env.KEYMINT_MASTER_KEY! } });
    try {
      for (const app of apps) {
        const token = await postForm(`${restored.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
        assert.equal(token.status, 200, JSON.stringify(token.body));
      }
      assert.equal(
        (await restored.server.keymint.tenants.get('default')).appId,
        (await server.server.keymint.tenants.get('default')).appId,
        'the same tenant',
      );
    } finally {
      await restored.close();
    }
  } finally {
    await server.close();
  }
});

test('keymint backup on PostgreSQL explains pg_dump and the master keys instead of copying', { skip: TEST_DATABASE === 'postgres' ? false : 'PostgreSQL run only' }, async () => {
  const server = await startTestServer();
  try {
    const failed = await run(process.execPath, [CLI, 'backup', 'x.dump'], { env: { ...process.env, ...server.env }, cwd: server.dataDir }).then(() => null, (error: { code: number; stderr: string }) => error);
    assert.ok(failed, 'exits non-zero: nothing was copied');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^keymint: .*pg_dump -Fc.*KEYMINT_MASTER_KEY.*docs\/operations\.md "Backups"\n$/);
  } finally {
    await server.close();
  }
});
