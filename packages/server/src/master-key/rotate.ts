import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { Config } from '../config.js';
import { decodeMasterKey, MASTER_KEY_BYTES } from '../crypto/master-key.js';
import { randomKey } from '../crypto/random.js';
import { open, seal } from '../crypto/seal.js';
import { openDatabase, type Db } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';

export interface MasterKeyRotation {
  signingKeys: number;
  clientSecrets: number;
  /** Where the new key was written. */
  newKeyFile: string;
  /** Where the old key was kept (file-based keys only). */
  previousKeyFile: string | null;
}

/**
 * Re-seals every sealed value (signing keys' private keys, signed-request secret copies) under a
 * new master key, in one transaction: either every value opens with the new key or nothing
 * changed. Every node must be stopped first: a running node keeps the old key in memory and
 * could neither open what is re-sealed nor seal what others can open (docs/operations.md).
 *
 * Crash safety: the new key is written and synced to disk before the transaction commits, so
 * no moment exists at which the database is sealed under a key that exists nowhere.
 * - Key in `{dataDir}/master.key`: the new key goes to `master.key.next`; after commit the old
 *   file becomes `master.key.previous` and the new one `master.key`.
 * - Key in KEYMINT_MASTER_KEY: the new key is written to `newKeyFile` (required, created
 *   exclusively, mode 0600); the operator then puts it in KEYMINT_MASTER_KEY on every node.
 */
export async function rotateMasterKey(config: Config, options: { newKeyFile?: string } = {}): Promise<MasterKeyRotation> {
  const fromEnvironment = config.masterKey !== null;
  if (fromEnvironment && !options.newKeyFile) throw new Error('the master key comes from KEYMINT_MASTER_KEY: give --new-key-file PATH to receive the new one');
  let oldKey = config.masterKey;
  if (!oldKey) {
    if (!existsSync(config.masterKeyFile)) throw new Error(`no master key: ${config.masterKeyFile} does not exist and KEYMINT_MASTER_KEY is not set`);
    oldKey = decodeMasterKey(readFileSync(config.masterKeyFile, 'utf8'));
    if (!oldKey) throw new Error(`${config.masterKeyFile} does not hold a 32-byte base64url master key`);
  }
  const newKey = randomKey(MASTER_KEY_BYTES);
  const newKeyFile = options.newKeyFile ?? `${config.masterKeyFile}.next`;
  writeKeyFile(newKeyFile, newKey);

  const { db, close } = openDatabase(config.database);
  let counts: { signingKeys: number; clientSecrets: number };
  try {
    await migrateToLatest(db);
    counts = await db.transaction().execute((trx) => resealAll(trx, oldKey, newKey));
  } finally {
    await close();
  }
  let previousKeyFile: string | null = null;
  if (!fromEnvironment && !options.newKeyFile) {
    previousKeyFile = `${config.masterKeyFile}.previous`;
    renameSync(config.masterKeyFile, previousKeyFile);
    renameSync(newKeyFile, config.masterKeyFile);
  }
  return { ...counts, newKeyFile: previousKeyFile ? config.masterKeyFile : newKeyFile, previousKeyFile };
}

/** Opens every sealed value with `oldKey` and seals it again with `newKey` (same context). */
export async function resealAll(db: Db, oldKey: Buffer, newKey: Buffer): Promise<{ signingKeys: number; clientSecrets: number }> {
  const keys = await db.selectFrom('signing_keys').select(['kid', 'private_key_sealed']).execute();
  for (const key of keys) {
    const context = `signing_key:${key.kid}`;
    await db.updateTable('signing_keys').set({ private_key_sealed: seal(newKey, open(oldKey, key.private_key_sealed, context), context) }).where('kid', '=', key.kid).execute();
  }
  const secrets = await db.selectFrom('app_secrets').select(['id', 'sealed_secret']).where('sealed_secret', 'is not', null).execute();
  for (const secret of secrets) {
    const context = `client_secret:${secret.id}`;
    await db.updateTable('app_secrets').set({ sealed_secret: seal(newKey, open(oldKey, secret.sealed_secret!, context), context) }).where('id', '=', secret.id).execute();
  }
  return { signingKeys: keys.length, clientSecrets: secrets.length };
}

function writeKeyFile(path: string, key: Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64url')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
