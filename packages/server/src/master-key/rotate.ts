import { ConfigError, type Config } from '../config.js';
import { sealedBy, toMasterKey, type MasterKeyring } from '../crypto/keyring.js';
import { SealError } from '../crypto/seal.js';
import { MASTER_KEY_BYTES } from '../crypto/master-key.js';
import { randomKey } from '../crypto/random.js';
import { openDatabase, type Db } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';
import { installNewKeyFile, openMasterKeyring } from './files.js';

export interface MasterKeyRotation {
  /** The key every value is now sealed with. */
  keyId: string;
  signingKeys: number;
  clientSecrets: number;
  /** Webhook signing secrets (current and, during a rotation, previous). */
  webhookSecrets: number;
  /** Values still sealed by another key (sealed by a node during the run): run rotate again. */
  remaining: number;
  /** File-based keys: the new `master.key` and where the old key was kept. */
  newKeyFile: string | null;
  retiredKeyFile: string | null;
}

/**
 * `keymint master-key rotate`, safe while every node serves (docs/operations.md "Rotating the
 * master key"):
 * - Key in KEYMINT_MASTER_KEY: the operator has already deployed the new key as
 *   KEYMINT_MASTER_KEY with the old one in KEYMINT_MASTER_KEY_PREVIOUS on every node; this
 *   re-seals every value not sealed by the current key under it. No key is created or written.
 * - Key in `{dataDir}/master.key`: a new key is created; the old one is kept as
 *   `master.key.retired-<date>-<id>` (never overwritten or deleted), the new one becomes
 *   `master.key`, then every value is re-sealed. Running servers still open both (they re-read
 *   the key files when a value names a key they do not hold).
 * Each value is re-sealed by a conditional update of its own row, so a node changing a row at the
 * same moment is never overwritten, and every value opens at every moment with some key held.
 * @throws {ConfigError} a value is sealed by a key this installation does not hold (nothing is
 *   changed): the operator's mistake, reported as such by the CLI
 */
export async function rotateMasterKey(config: Config): Promise<MasterKeyRotation> {
  const { keyring } = openMasterKeyring(config, { create: false });
  let newKeyFile: string | null = null;
  let retiredKeyFile: string | null = null;
  const { db, close } = openDatabase(config.database);
  try {
    await migrateToLatest(db);
    // Before anything changes: a rotation that stopped halfway for want of a key would leave a
    // new key file behind and values sealed by a key that is still missing.
    await assertEveryValueOpens(db, keyring, config);
    if (!config.masterKey) {
      const old = keyring.current;
      const fresh = toMasterKey(randomKey(MASTER_KEY_BYTES));
      retiredKeyFile = installNewKeyFile(config.masterKeyFile, old, fresh, new Date()).retiredFile;
      newKeyFile = config.masterKeyFile;
      keyring.refresh();
    }
    const counts = await resealAll(db, keyring);
    return { keyId: keyring.current.id, ...counts, newKeyFile, retiredKeyFile };
  } finally {
    await close();
  }
}

/** What each key id still seals: `keymint master-key status`, and how an operator knows an old key may go. */
export async function sealedValuesByKey(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const sealed of await allSealed(db)) {
    const id = sealedBy(sealed.value) ?? 'v1 (before key ids)';
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

/** Refuses, naming the keys to supply, when some sealed value opens with no key held. */
async function assertEveryValueOpens(db: Db, keyring: MasterKeyring, config: Pick<Config, 'masterKey' | 'masterKeyFile'>): Promise<void> {
  const missing = new Map<string, number>();
  for (const value of await allSealed(db)) {
    try {
      keyring.open(value.value, value.context);
    } catch (error) {
      if (!(error instanceof SealError)) throw error;
      const id = sealedBy(value.value) ?? 'v1 (before key ids)';
      missing.set(id, (missing.get(id) ?? 0) + 1);
    }
  }
  if (missing.size === 0) return;
  const keys = [...missing].map(([id, n]) => `master key ${id} (it sealed ${n} values)`).join(', ');
  throw config.masterKey
    ? new ConfigError('KEYMINT_MASTER_KEY_PREVIOUS', `${keys}; nothing was changed: deploy it as KEYMINT_MASTER_KEY_PREVIOUS, then rotate (docs/operations.md "Rotating the master key")`)
    : new ConfigError('KEYMINT_DATA_DIR', `the retired key file of ${keys} beside ${config.masterKeyFile}; nothing was changed: restore its master.key.retired-* file from your backups, then rotate`);
}

interface SealedValue {
  table: 'signing_keys' | 'app_secrets' | 'webhooks' | 'webhooks_previous';
  id: string;
  context: string;
  value: string;
}

async function allSealed(db: Db): Promise<SealedValue[]> {
  const keys = await db.selectFrom('signing_keys').select(['kid', 'private_key_sealed']).execute();
  const secrets = await db.selectFrom('app_secrets').select(['id', 'sealed_secret']).where('sealed_secret', 'is not', null).execute();
  const webhooks = await db.selectFrom('webhooks').select(['id', 'secret_sealed', 'previous_secret_sealed']).execute();
  return [
    ...keys.map((k): SealedValue => ({ table: 'signing_keys', id: k.kid, context: `signing_key:${k.kid}`, value: k.private_key_sealed })),
    ...secrets.map((s): SealedValue => ({ table: 'app_secrets', id: s.id, context: `client_secret:${s.id}`, value: s.sealed_secret! })),
    ...webhooks.map((w): SealedValue => ({ table: 'webhooks', id: w.id, context: `webhook_secret:${w.id}`, value: w.secret_sealed })),
    ...webhooks.filter((w) => w.previous_secret_sealed !== null)
      .map((w): SealedValue => ({ table: 'webhooks_previous', id: w.id, context: `webhook_secret:${w.id}`, value: w.previous_secret_sealed! })),
  ];
}

/**
 * Re-seals under the keyring's current key every value another key sealed, in passes until none
 * is left (a node may seal a new value with its own current key meanwhile); at most five passes.
 */
export async function resealAll(db: Db, keyring: MasterKeyring): Promise<{ signingKeys: number; clientSecrets: number; webhookSecrets: number; remaining: number }> {
  let signingKeys = 0;
  let clientSecrets = 0;
  let webhookSecrets = 0;
  const staleValues = async () => (await allSealed(db)).filter((v) => sealedBy(v.value) !== keyring.current.id);
  for (let pass = 0; pass < 5; pass++) {
    const stale = await staleValues();
    if (stale.length === 0) break;
    for (const value of stale) {
      const resealed = keyring.seal(keyring.open(value.value, value.context), value.context);
      const result = value.table === 'signing_keys'
        ? await db.updateTable('signing_keys').set({ private_key_sealed: resealed }).where('kid', '=', value.id).where('private_key_sealed', '=', value.value).executeTakeFirst()
        : value.table === 'app_secrets'
          ? await db.updateTable('app_secrets').set({ sealed_secret: resealed }).where('id', '=', value.id).where('sealed_secret', '=', value.value).executeTakeFirst()
          : value.table === 'webhooks'
            ? await db.updateTable('webhooks').set({ secret_sealed: resealed }).where('id', '=', value.id).where('secret_sealed', '=', value.value).executeTakeFirst()
            : await db.updateTable('webhooks').set({ previous_secret_sealed: resealed }).where('id', '=', value.id).where('previous_secret_sealed', '=', value.value).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) {
        if (value.table === 'signing_keys') signingKeys++;
        else if (value.table === 'app_secrets') clientSecrets++;
        else webhookSecrets++;
      }
    }
  }
  return { signingKeys, clientSecrets, webhookSecrets, remaining: (await staleValues()).length };
}
