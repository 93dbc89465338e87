import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Config } from '../config.js';
import { openDatabase, type Db } from './database.js';
import { withDatabaseLock } from './locks.js';
import * as foundation from './migrations/0001_foundation.js';
import * as contacts from './migrations/0002_contacts.js';
import * as credentials from './migrations/0003_credentials.js';
import * as profiles from './migrations/0004_profiles.js';
import * as users from './migrations/0005_users.js';
import * as admin from './migrations/0006_admin.js';
import * as attempts from './migrations/0007_attempts.js';
import * as emailProof from './migrations/0008_email_proof.js';
import * as clientKeys from './migrations/0009_client_keys.js';
import * as dpop from './migrations/0010_dpop.js';
import * as keyLimits from './migrations/0011_key_limits.js';
import * as webhooks from './migrations/0012_webhooks.js';
import * as expiryWarnings from './migrations/0013_expiry_warnings.js';
import * as sessionDpop from './migrations/0014_session_dpop.js';
import * as refreshOnSession from './migrations/0015_refresh_on_session.js';

/** Every migration, in order. Static imports keep them inside the compiled build. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_contacts': contacts,
  '0003_credentials': credentials,
  '0004_profiles': profiles,
  '0005_users': users,
  '0006_admin': admin,
  '0007_attempts': attempts,
  '0008_email_proof': emailProof,
  '0009_client_keys': clientKeys,
  '0010_dpop': dpop,
  '0011_key_limits': keyLimits,
  '0012_webhooks': webhooks,
  '0013_expiry_warnings': expiryWarnings,
  '0014_session_dpop': sessionDpop,
  '0015_refresh_on_session': refreshOnSession,
};

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Brings the schema up to date. Kysely's migrator takes a lock (a lock table row on SQLite,
 * an advisory lock on PostgreSQL), so several nodes may run this at once; on PostgreSQL the whole
 * run is also under the bootstrap lock, so a node never races another's creation of the
 * migration tables themselves.
 */
export function migrateToLatest(db: Db): Promise<string[]> {
  return withDatabaseLock(db, 'keymint:migrate', () => migrateNow(db));
}

/**
 * `keymint migrate`: the configured database brought up to date, and nothing else opened. No
 * master key is read or created: the schema needs none, and a key made here for a database whose
 * values another key sealed would open none of them (master-key/files.ts).
 * @returns the names of the migrations applied, oldest first; empty when the schema was current
 */
export async function migrateDatabase(config: Pick<Config, 'database'>): Promise<string[]> {
  const { db, close } = openDatabase(config.database);
  try {
    return await migrateToLatest(db);
  } finally {
    await close();
  }
}

async function migrateNow(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'keymint_migrations',
    migrationLockTableName: 'keymint_migrations_lock',
  });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
