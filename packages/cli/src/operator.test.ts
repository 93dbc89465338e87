import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/keymint.js', import.meta.url));

/** The CLI in `cwd` with only PATH from the environment: no KEYMINT_DATA_DIR, no KEYMINT_DATABASE_URL. */
function keymintIn(cwd: string, env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('issue 16: every command but serve/migrate run in a folder without an installation refuses in one line and creates nothing', () => {
  const empty = mkdtempSync(join(tmpdir(), 'keymint-empty-'));
  const commands = [
    ['app', 'list'], ['app', 'create', '--name', 'x'], ['tenant', 'list'], ['token', 'list'], ['keys', 'list'],
    ['admin', 'create', '--email', 'a@example.com'], ['master-key', 'rotate'], ['master-key', 'status'], ['backup', 'copy.db'], ['users', 'list'],
  ];
  for (const args of commands) {
    const result = keymintIn(empty, {}, ...args);
    assert.equal(result.status, 1, args.join(' '));
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `keymint: no Keymint installation here: ${join(empty, 'data', 'keymint.db')} does not exist. Run this in the folder the server runs in, or set KEYMINT_DATA_DIR (or KEYMINT_DATABASE_URL) to point at it\n`, args.join(' '));
  }
  assert.deepEqual(readdirSync(empty), [], 'no database, no master key, no data folder');
  // Pointed at an installation, the same command works from anywhere.
  const installation = mkdtempSync(join(tmpdir(), 'keymint-install-'));
  const listed = keymintIn(empty, { KEYMINT_DATA_DIR: join(installation, 'data') }, 'tenant', 'list', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  assert.equal(JSON.parse(listed.stdout).tenants[0].tenant, 'default');
  assert.deepEqual(readdirSync(empty), []);
  // And in the folder that holds data/keymint.db, without any setting.
  const inside = keymintIn(installation, {}, 'tenant', 'list', '--json');
  assert.equal(inside.status, 0, inside.stderr);
  assert.equal(JSON.parse(inside.stdout).tenants[0].app_id, JSON.parse(listed.stdout).tenants[0].app_id, 'the same installation');
});

test('keymint --version prints the version; a usage error is one line with a pointer to --help, not the whole help', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-usage-'));
  const version = keymintIn(dir, {}, '--version');
  assert.equal(version.status, 0);
  const { version: expected } = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string };
  assert.equal(version.stdout, `keymint ${expected}\n`);
  for (const args of [['bogus'], ['app', 'create'], ['app', 'list', '--nope'], ['serve', '--workers', 'x']]) {
    const result = keymintIn(dir, {}, ...args);
    assert.notEqual(result.status, 0, args.join(' '));
    assert.match(result.stderr, /^keymint: [^\n]+ \(see keymint --help\)\n$/, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stdout, '');
  }
  assert.deepEqual(readdirSync(dir), []);
});

test('keymint serve on a busy port says which port and what to do, at once, without migrating anything', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (holder.address() as AddressInfo).port;
  const data = mkdtempSync(join(tmpdir(), 'keymint-busy-'));
  try {
    const child = spawn(process.execPath, [bin, 'serve'], { cwd: data, env: { PATH: process.env.PATH, KEYMINT_DATA_DIR: data, HOST: '127.0.0.1', PORT: String(port) } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.equal(stderr, `keymint: port ${port} on 127.0.0.1 is already in use (another Keymint or another program): stop it, or start on another port with PORT=${port + 1} or --port ${port + 1}\n`);
    assert.deepEqual(readdirSync(data), [], 'it stopped before creating a database or a key');
    // npm start checks before it builds.
    const script = fileURLToPath(new URL('../../../scripts/port-free.mjs', import.meta.url));
    const early = spawnSync(process.execPath, [script], { env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1' }, encoding: 'utf8' });
    assert.equal(early.status, 1);
    assert.match(early.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
  } finally {
    holder.close();
  }
});
