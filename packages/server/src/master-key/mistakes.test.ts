import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { masterKeyId } from '../crypto/keyring.js';
import { decodeMasterKey } from '../crypto/master-key.js';
import { randomKey } from '../crypto/random.js';
import { prepareTestStorage, startTestServer } from '../testing/harness.js';
import { freePort } from '../testing/net.js';

// An operator's mistake with the master keys is said in one line naming the setting to fix, with
// exit code 1 and nothing changed; never "unexpected failure" (issue 17 item 8).

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../cli/bin/keymint.js', import.meta.url));

async function refused(env: Record<string, string>, ...args: string[]): Promise<string> {
  // A command that was not refused (serve would keep serving) fails the test instead of hanging it.
  const outcome = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
    () => null,
    (error: { code: number; stderr: string }) => error,
  );
  assert.ok(outcome, `keymint ${args.join(' ')} must fail`);
  assert.equal(outcome.code, 1);
  assert.doesNotMatch(outcome.stderr, /unexpected failure/);
  return outcome.stderr;
}

/** The master key files in a data folder, sorted. */
const keyFilesIn = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('master.key')).sort();

/** A data folder (and database) holding sealed signing keys: one server start and stop. */
async function installation(env: Record<string, string> = {}) {
  const storage = await prepareTestStorage();
  const server = await startTestServer({ ...storage, env });
  const cliEnv = server.env;
  await server.close();
  const keyFiles = () => keyFilesIn(storage.dataDir);
  return { storage, env: cliEnv, keyFiles };
}

test('master-key rotate with a new KEYMINT_MASTER_KEY but the old one not in KEYMINT_MASTER_KEY_PREVIOUS: refused naming the setting and the key, nothing re-sealed', async () => {
  const oldKey = randomKey(32);
  const { storage, env } = await installation({ KEYMINT_MASTER_KEY: oldKey.toString('base64url') });
  try {
    const stderr = await refused({ ...env, KEYMINT_MASTER_KEY: randomKey(32).toString('base64url') }, 'master-key', 'rotate');
    assert.match(stderr, /^keymint: KEYMINT_MASTER_KEY_PREVIOUS: expected master key [0-9a-f]{12} \(it sealed \d+ values\); nothing was changed/);
    assert.ok(stderr.includes(masterKeyId(oldKey)), stderr);
    // With the old key supplied, the same rotation goes through: the refusal changed nothing.
    const { stdout } = await run(process.execPath, [CLI, 'master-key', 'rotate', '--json'], {
      env: { ...process.env, ...env, KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'), KEYMINT_MASTER_KEY_PREVIOUS: oldKey.toString('base64url') },
    });
    assert.ok(JSON.parse(stdout).signing_keys >= 2);
  } finally {
    await storage.cleanup();
  }
});

test('master-key rotate (file-based) when master.key was replaced without keeping the old key: refused naming KEYMINT_DATA_DIR and the missing key, no key file written', async () => {
  const { storage, env, keyFiles } = await installation();
  try {
    const original = masterKeyId(decodeMasterKey(readFileSync(join(storage.dataDir, 'master.key'), 'utf8'))!);
    writeFileSync(join(storage.dataDir, 'master.key'), `${randomKey(32).toString('base64url')}\n`);
    const before = keyFiles();
    const stderr = await refused(env, 'master-key', 'rotate');
    assert.match(stderr, new RegExp(`^keymint: KEYMINT_DATA_DIR: expected the retired key file of master key ${original} \\(it sealed \\d+ values\\)`));
    assert.match(stderr, /nothing was changed/);
    assert.deepEqual(keyFiles(), before, 'no key file written');
  } finally {
    await storage.cleanup();
  }
});

test('master-key rotate (file-based) when a retired file of that name holds another key: refused naming KEYMINT_DATA_DIR, the file untouched', async () => {
  const { storage, env, keyFiles } = await installation();
  try {
    const current = masterKeyId(decodeMasterKey(readFileSync(join(storage.dataDir, 'master.key'), 'utf8'))!);
    const stranger = `${randomKey(32).toString('base64url')}\n`;
    // The name rotate gives the retired key (today's date, UTC); the next minute's too, in case the date turns meanwhile.
    const names = [Date.now(), Date.now() + 60_000].map((at) => `master.key.retired-${new Date(at).toISOString().slice(0, 10)}-${current}`);
    for (const name of names) writeFileSync(join(storage.dataDir, name), stranger, { mode: 0o600 });
    const before = keyFiles();
    const stderr = await refused(env, 'master-key', 'rotate');
    assert.match(stderr, new RegExp(`^keymint: KEYMINT_DATA_DIR: expected \\S+master\\.key\\.retired-\\S+-${current} to hold master key ${current}; it holds another key`));
    assert.deepEqual(keyFiles(), before, 'no key file written');
    for (const name of names) assert.equal(readFileSync(join(storage.dataDir, name), 'utf8'), stranger, 'the stranger file is untouched');
  } finally {
    await storage.cleanup();
  }
});

test('serve or a command with neither KEYMINT_MASTER_KEY nor master.key, on a database holding sealed signing keys: refused naming KEYMINT_MASTER_KEY and the key id, no key created (migrate needs none)', async () => {
  const { storage, env } = await installation();
  // A second node's data folder: empty, pointed at the first node's database.
  const secondNode = mkdtempSync(join(tmpdir(), 'keymint-second-node-'));
  try {
    const firstNodeKey = decodeMasterKey(readFileSync(join(storage.dataDir, 'master.key'), 'utf8'))!;
    const database = storage.databaseUrl ?? `sqlite:${join(storage.dataDir, 'keymint.db')}`;
    const secondEnv = { ...env, KEYMINT_DATA_DIR: secondNode, KEYMINT_DATABASE_URL: database };
    // Migrating needs no key, and makes none that a later start would then take for the right one.
    const migrated = await run(process.execPath, [CLI, 'migrate', '--json'], { env: { ...process.env, ...secondEnv } });
    assert.deepEqual(JSON.parse(migrated.stdout), { applied: [] });
    assert.deepEqual(keyFilesIn(secondNode), [], 'migrate: no master key created');
    for (const args of [['serve', '--port', String(await freePort())], ['tenant', 'list']]) {
      const stderr = await refused(secondEnv, ...args);
      assert.match(stderr, new RegExp(`^keymint: KEYMINT_MASTER_KEY: expected the master key that sealed this database's signing keys \\(key id ${masterKeyId(firstNodeKey)}\\): it is not set`), args.join(' '));
      assert.deepEqual(keyFilesIn(secondNode), [], `${args[0]}: no master key created`);
    }
    // With the first node's key, the same second node starts: the refusal was about the key alone.
    const { stdout } = await run(process.execPath, [CLI, 'tenant', 'list', '--json'], { env: { ...process.env, ...secondEnv, KEYMINT_MASTER_KEY: firstNodeKey.toString('base64url') } });
    assert.ok((JSON.parse(stdout) as { tenants: { tenant: string }[] }).tenants.some((entry) => entry.tenant === 'default'));
  } finally {
    rmSync(secondNode, { recursive: true, force: true });
    await storage.cleanup();
  }
});

test('a damaged master.key: every command that opens it says KEYMINT_DATA_DIR and what the file should hold', async () => {
  const { storage, env } = await installation();
  try {
    writeFileSync(join(storage.dataDir, 'master.key'), 'not a key\n');
    for (const args of [['master-key', 'rotate'], ['master-key', 'status'], ['tenant', 'list']]) {
      const stderr = await refused(env, ...args);
      assert.match(stderr, /^keymint: KEYMINT_DATA_DIR: expected \S+master\.key to hold a 32-byte base64url master key/, args.join(' '));
    }
  } finally {
    await storage.cleanup();
  }
});
