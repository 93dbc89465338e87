import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { MasterKeyring, sealedBy, toMasterKey, type MasterKey } from '../crypto/keyring.js';
import { decodeMasterKey, loadOrCreateMasterKeyFile } from '../crypto/master-key.js';
import type { Db } from '../store/database.js';

/**
 * The file-based master keys of a one-machine install (no KEYMINT_MASTER_KEY): `master.key` seals;
 * every key it ever held is kept beside it as `master.key.retired-<YYYY-MM-DD>-<key id>` (and the
 * `master.key.previous` of older versions) and still opens. Nothing here overwrites or deletes a
 * retired key: removing one is the operator's decision (docs/operations.md).
 */
export const RETIRED_PREFIX = 'master.key.retired-';

export function retiredKeyFiles(masterKeyFile: string): string[] {
  const folder = dirname(masterKeyFile);
  if (!existsSync(folder)) return [];
  const stem = basename(masterKeyFile);
  return readdirSync(folder)
    .filter((name) => name.startsWith(RETIRED_PREFIX.replace('master.key', stem)) || name === `${stem}.previous`)
    .sort()
    .map((name) => join(folder, name));
}

export function readKeyFile(path: string): MasterKey {
  const key = decodeMasterKey(readFileSync(path, 'utf8'));
  if (!key) throw new ConfigError('KEYMINT_DATA_DIR', `${path} to hold a 32-byte base64url master key`);
  return toMasterKey(key);
}

export interface OpenedKeyring {
  keyring: MasterKeyring;
  /** For the start-up banner. */
  source: 'environment' | 'file' | 'new file';
}

/** KEYMINT_MASTER_KEY (+ KEYMINT_MASTER_KEY_PREVIOUS), or the key files in the data folder. */
export function openMasterKeyring(config: Config, options: { create: boolean } = { create: true }): OpenedKeyring {
  if (config.masterKey) {
    return { keyring: new MasterKeyring(toMasterKey(config.masterKey), config.masterKeyPrevious.map(toMasterKey)), source: 'environment' };
  }
  let created = false;
  // An existing file is read by readKeyFile below, which names the setting when it is damaged.
  if (options.create && !existsSync(config.masterKeyFile)) created = loadOrCreateMasterKeyFile(config.masterKeyFile).created;
  else if (!existsSync(config.masterKeyFile)) throw new ConfigError('KEYMINT_MASTER_KEY', `a master key: it is not set and ${config.masterKeyFile} does not exist`);
  const read = () => ({ current: readKeyFile(config.masterKeyFile), previous: retiredKeyFiles(config.masterKeyFile).map(readKeyFile) });
  const { current, previous } = read();
  return { keyring: new MasterKeyring(current, previous, read), source: created ? 'new file' : 'file' };
}

/**
 * Refuses to start without a master key on a database that already holds sealed signing keys: a
 * second node deployed without KEYMINT_MASTER_KEY, or a data folder restored without its
 * master.key. A key created then would open none of them: the node would start, announce a new
 * key to back up, and never be ready. A node whose keys are held but do not open every tenant's
 * key starts and is not ready instead (`/readyz`), as during a rolling master-key rotation.
 */
export async function assertKeyForSealedDatabase(db: Db, config: Pick<Config, 'masterKey' | 'masterKeyFile'>): Promise<void> {
  if (config.masterKey || existsSync(config.masterKeyFile)) return;
  const sealed = await db.selectFrom('signing_keys').select('private_key_sealed').limit(1).executeTakeFirst();
  if (!sealed) return;
  const keyId = sealedBy(sealed.private_key_sealed);
  throw new ConfigError(
    'KEYMINT_MASTER_KEY',
    `the master key that sealed this database's signing keys${keyId ? ` (key id ${keyId})` : ''}: it is not set and ${config.masterKeyFile} does not exist, and a new key would open none of them; set KEYMINT_MASTER_KEY to the key the other nodes use, or restore master.key (and any master.key.retired-* files) from a backup into KEYMINT_DATA_DIR`,
  );
}

/** Creates `path` with the key (exclusive: never replaces a file), mode 0600, synced to disk. */
export function writeKeyFile(path: string, key: Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64url')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes `newKey` the file-based current key. The old key is first copied to its retired file
 * (synced), then the new key is written to a file of its own and renamed over `master.key`: at
 * every moment each key that may have sealed something exists on disk under a name that says
 * which it is.
 */
export function installNewKeyFile(masterKeyFile: string, oldKey: MasterKey, newKey: MasterKey, now: Date): { retiredFile: string } {
  const retiredFile = join(dirname(masterKeyFile), `${basename(masterKeyFile)}.retired-${now.toISOString().slice(0, 10)}-${oldKey.id}`);
  if (existsSync(retiredFile)) {
    if (readKeyFile(retiredFile).id !== oldKey.id) {
      throw new ConfigError('KEYMINT_DATA_DIR', `${retiredFile} to hold master key ${oldKey.id}; it holds another key, which is left untouched: move that file out of the folder, then rotate again`);
    }
  } else {
    writeKeyFile(retiredFile, oldKey.key);
  }
  const staged = `${masterKeyFile}.new-${newKey.id}`;
  writeKeyFile(staged, newKey.key);
  renameSync(staged, masterKeyFile);
  syncFolder(dirname(masterKeyFile));
  return { retiredFile };
}

function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
