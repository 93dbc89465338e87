import type { Logger } from 'pino';
import { AppService } from './apps/service.js';
import type { Config } from './config.js';
import { loadOrCreateMasterKeyFile } from './crypto/master-key.js';
import { KeyService } from './keys/service.js';
import { BearerAuthenticator } from './resource/authenticate.js';
import { ChangeFeed } from './store/change-log.js';
import { openDatabase, type Db } from './store/database.js';
import { migrateToLatest } from './store/migrate.js';
import { TenantService } from './tenants/service.js';

/** Everything a Keymint process holds: database, caches and the domain services. */
export interface Keymint {
  readonly config: Config;
  readonly db: Db;
  readonly log: Logger;
  readonly tenants: TenantService;
  readonly apps: AppService;
  readonly keys: KeyService;
  readonly changes: ChangeFeed;
  /** Resolves Bearer tokens of resource routes; credential kinds register a resolver per prefix. */
  readonly bearer: BearerAuthenticator;
  /** Where the master key came from, for the startup banner. */
  readonly masterKeySource: 'environment' | 'file' | 'new file';
  now(): number;
  close(): Promise<void>;
}

export interface OpenOptions {
  log: Logger;
  /** Run migrations first (serve and migrate do; other CLI commands refuse an old schema). */
  migrate?: boolean;
  /** Tail the change log for writes from other processes (long-running servers only). */
  watchChanges?: boolean;
  now?: () => number;
}

export async function openKeymint(config: Config, options: OpenOptions): Promise<Keymint> {
  const { log, now = Date.now } = options;
  const { db, close: closeDb } = openDatabase(config.database);
  try {
    if (options.migrate) {
      const applied = await migrateToLatest(db);
      if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    }
    let masterKey = config.masterKey;
    let masterKeySource: Keymint['masterKeySource'] = 'environment';
    if (!masterKey) {
      const file = loadOrCreateMasterKeyFile(config.masterKeyFile);
      masterKey = file.key;
      masterKeySource = file.created ? 'new file' : 'file';
    }
    const changes = new ChangeFeed(db, config.changePollMs, (error) => log.error({ err: error }, 'change feed poll failed'));
    const keys = new KeyService(db, masterKey, changes, now);
    const tenants = new TenantService(db, keys, changes, now);
    const apps = new AppService(db, masterKey, changes, now);
    const bearer = new BearerAuthenticator({ keys, now });
    const timers: NodeJS.Timeout[] = [];
    if (options.watchChanges) {
      await changes.start();
      const flush = setInterval(() => apps.flushLastUsed().catch((error) => log.error({ err: error }, 'last-used flush failed')), 5_000);
      flush.unref();
      timers.push(flush);
    }
    return {
      config, db, log, tenants, apps, keys, changes, bearer, masterKeySource, now,
      async close() {
        changes.stop();
        bearer.close();
        for (const timer of timers) clearInterval(timer);
        await apps.flushLastUsed().catch((error) => log.error({ err: error }, 'last-used flush failed'));
        await closeDb();
      },
    };
  } catch (error) {
    await closeDb();
    throw error;
  }
}
